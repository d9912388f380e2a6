-- Big sweeps read well (issue 20; docs/notebook.md, lab.table's top and
-- lab.chart): a list table of more variations than `top` shows the best
-- `top` by the compared metric, best first, and says how many more there are
-- and where; top = false shows all; a bad top is an error at the user's
-- line. A chart of more than 10 lines keeps the best 6 and a grey band; a
-- two-parameter grid against one of them becomes a heatmap.
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

-- A grid of 12 widths × 2 learning rates: 24 lines per epoch, 12 against lr.
local grid = dir .. "/grid.lua"
T.write(grid, ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local widths = {}
for i = 1, 12 do widths[i] = i end
local runs = lab.sweep { vary = { hidden = widths, lr = { 0.1, 0.5 } }, seeds = 1, epochs = 2, batch_size = 10,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end,
}
lab.chart(runs)
lab.chart(runs, { x = "lr" })
lab.chart(runs, { x = "lr", where = { hidden = 3 } })
]]):format(data, data))

local grid_out, grid_status = T.nnlab_run({ "run", grid, "--out", dir .. "/reports", "--quiet" })
local function png_size(path)
  local bytes = T.read(path) or ""
  if #bytes < 24 then return nil end
  return string.unpack(">I4", bytes, 17), string.unpack(">I4", bytes, 21)
end

T.case("a chart of 24 lines keeps the best 6 and draws the other 18 as one grey band", function()
  T.eq(grid_status, 0, grid_out)
  local gp = T.read(dir .. "/reports/grid/fig1-test_acc-epoch.gp") or ""
  T.eq(select(2, gp:gsub("with linespoints", "")), 6, "six lines\n" .. gp)
  T.contains(gp, "with filledcurves fc rgb '#b0b0b0'", "the grey band")
  T.contains(gp, "18 others (range of their means)", "its key says how many")
  local dat = T.read(dir .. "/reports/grid/fig1-test_acc-epoch.dat") or ""
  T.contains(dat, "# 18 others (range of their means)\n# x low high\n1 ", "the band's data first")
  T.truthy(png_size(dir .. "/reports/grid/fig1-test_acc-epoch.png"), "drawn")
end)

T.case("a two-parameter grid charted against one of them with more than 10 lines is a heatmap", function()
  local gp = T.read(dir .. "/reports/grid/fig2-test_acc-lr.gp") or ""
  T.contains(gp, "with image", "a heatmap\n" .. gp)
  T.contains(gp, "set ylabel 'hidden'", "the other parameter up")
  local cells = 0
  for _ in (T.read(dir .. "/reports/grid/fig2-test_acc-lr.dat") or ""):gmatch("\n%d+ %d+ [%d%.]+") do cells = cells + 1 end
  T.eq(cells, 24, "one cell per variation")
  local w, h = png_size(dir .. "/reports/grid/fig2-test_acc-lr.png")
  T.truthy(w and w >= 640 and h >= 480, "drawn")
  local one = T.read(dir .. "/reports/grid/fig3-test_acc-lr.gp") or ""
  T.truthy(not one:find("with image", 1, true) and one:find("yerrorlines", 1, true), "one line stays a line chart")
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
