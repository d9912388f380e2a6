-- Big sweeps read well (issue 20; docs/notebook.md, lab.table's top): a
-- list table of more variations than `top` shows the best `top` by the
-- compared metric, best first, and says how many more there are and where;
-- top = false shows all; a bad top is an error at the user's line.
local T = require "testlib"

local dir = T.tmpdir("big_sweeps")
local data = require("fixtures.bad.inputs").write_dataset(dir .. "/data")
local script = dir .. "/big.lua"
T.write(script, ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local widths = {}
for i = 1, 25 do widths[i] = i end
local runs = lab.sweep { vary = { hidden = widths }, seeds = 1, epochs = 2, batch_size = 10,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.5 }) end,
}
lab.md("TOP DEFAULT")
lab.table(runs, { metrics = { "test_loss" } })
lab.md("TOP FIVE")
lab.table(runs, { top = 5, metrics = { "test_loss" } })
lab.md("TOP ALL")
lab.table(runs, { top = false, metrics = { "test_loss" } })
]]):format(data, data))

local out, status = T.nnlab_run({ "run", script, "--out", dir .. "/reports", "--quiet" })
local md = T.read(dir .. "/reports/big.md") or ""

-- The rows of the table after `marker`: { hidden, test loss } each.
local function rows_after(marker)
  local part = md:match(marker .. "\n(.-)\n\n_After") or ""
  local rows = {}
  for hidden, loss in part:gmatch("\n| (%d+) | ([%d%.]+) |") do rows[#rows + 1] = { tonumber(hidden), tonumber(loss) } end
  return rows, part
end

T.case("a table of 25 variations shows the best 20 by the compared metric, best first, and where the rest are", function()
  T.eq(status, 0, out)
  local rows, part = rows_after("TOP DEFAULT")
  T.eq(#rows, 20, "20 rows\n" .. part)
  for i = 2, #rows do T.truthy(rows[i][2] >= rows[i - 1][2], "lowest test loss first: row " .. i) end
  local all = rows_after("TOP ALL")
  local worst_shown, left_out = rows[#rows][2], 0
  for _, r in ipairs(all) do if r[2] > worst_shown then left_out = left_out + 1 end end
  T.truthy(left_out >= 1, "the rows left out are the worst ones")
  T.contains(part, "_The best 20 of 25 variations by test loss, best first; the other 5 are in [results.csv](big/results.csv)._",
             "the line that says so, with the link")
end)

T.case("top = 5 shows five; top = false shows every variation in sweep order", function()
  T.eq(#rows_after("TOP FIVE"), 5, "five")
  local all, part = rows_after("TOP ALL")
  T.eq(#all, 25, "all 25")
  for i, r in ipairs(all) do T.eq(r[1], i, "sweep order") end
  T.truthy(not part:find("The best", 1, true), "no such line")
end)

T.case("a bad top is an error at the user's line", function()
  for _, bad in ipairs { "0", "2.5", "'many'", "true" } do
    local file, line = T.marked_script(dir, "bad_top", ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local train = lab.data.load(%q)
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, batch_size = 10, train = train,
  test = lab.data.load(%q, { train = false }),
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.5 }) end }
lab.table(runs, { top = %s }) --<
]]):format(data, data, bad))
    local text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet" })
    T.eq(code, 1, text)
    T.contains(text, ("bad_top.lua:%d: lab.table: top must be a whole number"):format(line), "top = " .. bad)
  end
end)

T.done()
