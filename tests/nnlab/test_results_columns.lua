-- results.csv's header (docs/notebook.md, "Files"): one column per name. A
-- varied key named like a fixed column (a sweep over `epoch`) is headed
-- param_epoch, or param_param_epoch when another varied key is param_epoch
-- (every key keeps its own name when it can); it was a second `epoch`
-- column, which csv.DictReader reads as one, losing the parameter's values.
local T = require "testlib"

local dir = T.tmpdir("results_columns")
local data = require("fixtures.bad.inputs").write_dataset(dir .. "/data") -- 4x4 images: runs take milliseconds
local script = dir .. "/columns.lua"
T.write(script, ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { vary = { epoch = { 4, 8 }, test_acc = { 1 }, param_epoch = { 2 } }, seeds = 1, epochs = 1,
  batch_size = 10, train = train, test = test,
  model = function(p) -- every key read: a varied key no part reads is refused
    local width = p.epoch + p.test_acc + p.param_epoch - 3
    return nn.Sequential { nn.Linear(16, width), nn.ReLU(), nn.Linear(width, 10) }
  end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end }
lab.table(runs)
]]):format(data, data))

T.case("a varied key named like a fixed column is param_NAME; every header is one column", function()
  local out, status = T.nnlab_run({ "run", script, "--out", dir .. "/reports", "--quiet" },
                                  { NNLAB_CACHE = dir .. "/cache" })
  T.eq(status, 0, out)
  local lines = {}
  for line in T.read(dir .. "/reports/columns/results.csv"):gmatch("[^\n]+") do lines[#lines + 1] = line end
  local head, seen = {}, {}
  for name in lines[1]:gmatch("[^,]+") do
    T.eq(seen[name], nil, "column " .. name .. " once\n" .. lines[1])
    seen[name] = true
    head[#head + 1] = name
  end
  T.eq(table.concat(head, ","), "sweep,variation,param_param_epoch,param_epoch,param_test_acc,seed,epoch,"
       .. "train_loss,train_acc,test_loss,test_acc,epoch_lr,diverged", "the header")
  -- each key's values are in its column (the user's param_epoch under its own name), the epoch in its own
  local column = {}
  for i, name in ipairs(head) do column[name] = i end
  local widths = {}
  for i = 2, #lines do
    local fields = {}
    local plain = lines[i]:gsub('"[^"]*"', "label") -- the variation label is quoted: it holds commas
    for f in (plain .. ","):gmatch("([^,]*),") do fields[#fields + 1] = f end
    widths[fields[column.param_param_epoch]] = true
    T.eq(fields[column.param_epoch], "2", "the user's param_epoch keeps its name and values")
    T.eq(fields[column.param_test_acc], "1", "test_acc's values")
    T.eq(fields[column.epoch], "1", "the epoch column holds the epoch")
  end
  T.eq(widths["4"] and widths["8"], true, "the varied epoch's 4 and 8")
end)

T.done()
