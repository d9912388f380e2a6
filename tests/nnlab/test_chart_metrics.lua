-- Several metrics on one chart (issue 14): lab.chart(runs, { y = { "train_acc",
-- "test_acc" } }) draws a line and band per variation × metric, keyed by both,
-- with the shared unit on the y axis; metrics of different units on one axis,
-- an unknown metric in the list and more than four are errors at the user's
-- line. lr (the learning rate per epoch) is a metric: charted it shows a
-- StepLR schedule's steps; a table refuses to pick a best by it. A sweep whose
-- every run diverged still gets its table and charts, each run marked diverged.
local T = require "testlib"

local dir = T.tmpdir("chart_metrics")
local data = require("fixtures.bad.inputs").write_dataset(dir .. "/data") -- 4x4 images: runs take milliseconds

local function experiment(language, lines)
  return ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
lab.title "Charts of several metrics"
lab.language %q
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 2, epochs = 3, batch_size = 10,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params)
    local opt = optim.SGD(params, { lr = 0.1 })
    return opt, optim.lr_scheduler.StepLR(opt, { step_size = 1, gamma = 0.5 })
  end }
%s
]]):format(language, data, data, lines)
end

local function run(name, language, lines)
  local path, marked = T.marked_script(dir, name, experiment(language, lines))
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--quiet", "-j", "1" },
                                  { NNLAB_CACHE = dir .. "/cache" })
  return out, status, marked
end

local function report_file(name, file) return T.read(("%s/reports/%s/%s"):format(dir, name, file)) end

local out, status = run("two", "en", [[
lab.chart(runs, { y = { "train_acc", "test_acc" } })
lab.chart(runs, { y = "lr" })
lab.chart(runs, { y = { "train_loss", "test_loss" }, x = "hidden" })
lab.table(runs, { metrics = { "test_acc", "lr" } })
]])

T.case("a chart of several metrics and one of lr make a report", function()
  T.eq(status, 0, "runs\n" .. out)
end)

T.case("two metrics: one plot line per variation × metric, keyed by both; the axis says the shared unit", function()
  local gp = T.truthy(report_file("two", "fig1-train_acc-test_acc-epoch.gp"), "the .gp")
  local titles = {}
  for t in gp:gmatch("with linespoints [^\n]- title '([^']*)'") do titles[#titles + 1] = t end
  T.eq(table.concat(titles, " | "),
       "hidden=4: train accuracy | hidden=4: test accuracy | hidden=8: train accuracy | hidden=8: test accuracy",
       "line titles")
  local _, bands = gp:gsub("with filledcurves", "")
  T.eq(bands, 4, "a mean ± std band per line")
  T.contains(gp, "set ylabel '%'", "the shared unit on the y axis")
  T.contains(gp, "train accuracy; test accuracy per epoch", "the title names both")
  local dat = T.truthy(report_file("two", "fig1-train_acc-test_acc-epoch.dat"), "the .dat")
  local blocks, rows = 0, 0
  for block in (dat .. "\n\n"):gmatch("# [^\n]*\n# x mean std n\n(.-)\n\n\n") do
    blocks = blocks + 1
    for line in block:gmatch("[^\n]+") do
      rows = rows + 1
      T.truthy(line:match("^%d+ %-?[%d.e+-]+ [%d.e+-]+ 2$"), "x mean std n columns: " .. line)
    end
  end
  T.eq(blocks, 4, "one data block per line")
  T.eq(rows, 12, "3 epochs per line")
  T.contains(dat, "# hidden=8: test accuracy", "each block named")
  local md = T.read(dir .. "/reports/two.md")
  T.contains(md, "(two/fig1-train_acc-test_acc-epoch.png)", "the chart in the report")
end)

T.case("y = lr with StepLR draws the stepped learning rate", function()
  local gp = T.truthy(report_file("two", "fig2-lr-epoch.gp"), "the .gp")
  T.contains(gp, "set ylabel 'learning rate'", "axis label")
  local dat = T.truthy(report_file("two", "fig2-lr-epoch.dat"), "the .dat")
  local values = {}
  for epoch, mean, std in dat:gmatch("\n(%d+) ([%d.e+-]+) ([%d.e+-]+) 2") do
    values[#values + 1] = ("%s:%g:%g"):format(epoch, tonumber(mean), tonumber(std))
  end
  T.eq(table.concat(values, " "), "1:0.1:0 2:0.05:0 3:0.025:0 1:0.1:0 2:0.05:0 3:0.025:0", "lr per epoch")
end)

T.case("final values of two losses against a parameter: a line per metric", function()
  local gp = T.truthy(report_file("two", "fig3-train_loss-test_loss-hidden.gp"), "the .gp")
  local _, lines = gp:gsub("with yerrorlines", "")
  T.eq(lines, 2, "one line per metric")
  T.contains(gp, "set ylabel 'train loss; test loss'", "unitless metrics name themselves on the axis")
end)

T.case("a table lists lr but ranks by another metric", function()
  T.contains(T.read(dir .. "/reports/two.md"), "| learning rate", "lr column")
end)

local refused = {
  { "mixed", [[lab.chart(runs, { y = { "test_acc", "test_loss" } }) --<]],
    "lab.chart: y: the metrics' units differ (test_acc: %, test_loss: loss)" },
  { "unknown", [[lab.chart(runs, { y = { "test_acc", "tset_acc" } }) --<]], "unknown metric 'tset_acc'" },
  { "five", [[lab.chart(runs, { y = { "test_acc", "train_acc", "valid_acc", "gap", "seconds" } }) --<]],
    "lab.chart: y lists 1 to 4 metrics, got 5" },
  { "compare_lr", [[lab.table(runs, { compare = "lr" }) --<]], "lr is a setting, not a result" },
  { "first_lr", [[lab.table(runs, { metrics = { "lr" } }) --<]], "compare by another metric" },
  -- an option that would do nothing on a sweep, and a value named by its type, not its address
  { "label", [[lab.table(runs, { label = "x" }) --<]],
    "lab.table: option 'label' names a history's line; a sweep's runs are named by their parameters" },
  { "title_table", [[lab.chart(runs, { title = { "x" } }) --<]], "option 'title' must be a string, got a table" },
}
for _, case in ipairs(refused) do
  T.case(("refused at the user's line: %s"):format(case[3]), function()
    local o, s, marked = run(case[1], "en", case[2])
    T.eq(s, 1, case[1] .. " status\n" .. o)
    T.contains(o, ("%s.lua:%d: "):format(case[1], marked), "the user's line")
    T.contains(o, case[3], "the message")
  end)
end

T.case("a history that diverged in its first epoch is still drawn: its key entry on an empty plot", function()
  local o, s = run("diverged_fit", "en", [[
local model = nn.Sequential { nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, 10) }
local h = lab.fit { model = model, loss = nn.CrossEntropyLoss(), epochs = 2,
  optimizer = optim.SGD(model:parameters(), { lr = 1e38 }), train = lab.data.DataLoader(train, { batch_size = 10 }) }
lab.chart(h, { y = "train_loss" })]])
  T.eq(s, 0, "runs\n" .. o)
  local md = T.read(dir .. "/reports/diverged_fit.md")
  T.truthy(not md:find("not drawn", 1, true), "gnuplot drew it (it asserted on a plot of key entries alone)\n" .. md)
  T.contains(T.read(dir .. "/reports/diverged_fit/fig1-train_loss-epoch.gp"), "plot NaN notitle, ", "a plot with nothing drawn")
  T.truthy(T.read(dir .. "/reports/diverged_fit/fig1-train_loss-epoch.png"), "the picture")
end)

T.case("a sweep whose every run diverged is reported: diverged rows, and charts of key entries", function()
  local o, s = run("all_diverged", "en", [[local wild = lab.sweep { name = "wild", vary = { hidden = { 4, 8 } }, seeds = 2,
  epochs = 2, batch_size = 10, train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 1e38 }) end }
lab.table(wild, { metrics = { "test_acc", "train_loss" } })
lab.chart(wild)
lab.chart(wild, { x = "hidden", y = "test_loss" })]])
  T.eq(s, 0, "runs\n" .. o)
  local md = T.read(dir .. "/reports/all_diverged.md")
  T.contains(md, "| 4 | diverged | diverged | – |", "a variation's row")
  T.contains(md, "| 8 | diverged | diverged | – |", "the other's")
  T.truthy(not md:find("not drawn", 1, true), "both charts drawn\n" .. md)
  local per_epoch = T.read(dir .. "/reports/all_diverged/fig1-test_acc-epoch.gp")
  T.contains(per_epoch, "set yrange [0:100]", "a percentage's range")
  T.contains(per_epoch, "title 'hidden=8: diverged'", "each variation in the key")
  local final = T.read(dir .. "/reports/all_diverged/fig2-test_loss-hidden.gp")
  T.contains(final, "set yrange [0:1]", "a loss's range")
  T.contains(final, "title 'hidden=4: diverged'", "each variation in the key")
  T.truthy(T.read(dir .. "/reports/all_diverged/fig2-test_loss-hidden.png"), "the picture")
end)

-- Two variations drawn and twelve diverged: the key listed all 14 and
-- covered the lines; it now keeps four of the diverged and counts the rest.
T.case("a key with many diverged variations keeps a few and counts the rest", function()
  local o, s = run("many_diverged", "en", [[local lrs = { 0.1 }
for i = 1, 6 do lrs[#lrs + 1] = 1e37 * i end
local wild = lab.sweep { name = "wild", vary = { hidden = { 4, 8 }, lr = lrs }, seeds = 1,
  epochs = 2, batch_size = 10, train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
lab.chart(wild)]])
  T.eq(s, 0, "runs\n" .. o)
  local gp = T.read(dir .. "/reports/many_diverged/fig1-test_acc-epoch.gp")
  local keys = {}
  for title in gp:gmatch("title '([^']*)'") do keys[#keys + 1] = title end
  table.remove(keys, 1) -- the chart's own title
  T.eq(#keys, 2 + 4 + 1, "two lines, four diverged, one count:\n" .. table.concat(keys, "\n"))
  T.eq(keys[#keys], "8 more without a line (diverged or no value)", "the count")
  T.eq(select(2, table.concat(keys, "\n"):gsub(": diverged", "")), 4, "four diverged entries")
end)

-- A heatmap whose every cell diverged was drawn empty under a colour bar
-- of -10 to 10 %: it now says why it is empty, and has no scale.
T.case("a heatmap whose every variation diverged says so, with no colour scale", function()
  local o, s = run("empty_heatmap", "en", [[local lrs = {}
for i = 1, 11 do lrs[i] = 1e37 * i end
local wild = lab.sweep { name = "wild", vary = { hidden = { 4, 8 }, lr = lrs }, seeds = 1,
  epochs = 1, batch_size = 10, train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
lab.chart(wild, { x = "hidden" })]])
  T.eq(s, 0, "runs\n" .. o)
  local gp = T.read(dir .. "/reports/empty_heatmap/fig1-test_acc-hidden.gp")
  T.contains(gp, "with image", "a heatmap")
  T.contains(gp, "unset colorbox", "no scale of nothing")
  T.contains(gp, "set label 1 'every variation diverged: no cell has a value' at graph 0.5, 0.5 center", "the note")
  T.truthy(T.read(dir .. "/reports/empty_heatmap/fig1-test_acc-hidden.png"), "drawn")
end)

-- A heatmap whose grid had a hole (a diverged variation, one the listed
-- variations leave out) failed in gnuplot ("Unexpected line of data in
-- matrix"); one a single value wide drew no cell at all.
T.case("a heatmap with a blank cell is drawn, the axis says why; one value wide is drawn as lines", function()
  local o, s = run("holed_heatmap", "en", [[local list = {}
for h = 3, 1, -1 do -- out of order, with a hole in the middle: (hidden=6, lr=0.05)
  for i = 11, 1, -1 do
    if not (h == 2 and i == 5) then list[#list + 1] = { hidden = 2 + 2 * h, lr = 0.01 * i } end
  end
end
local holed = lab.sweep { name = "holed", variations = list, seeds = 1, epochs = 1, batch_size = 10,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
lab.chart(holed, { x = "hidden" })
local narrow = {}
for i = 1, 11 do narrow[i] = 0.01 * i end
local thin = lab.sweep { name = "thin", vary = { hidden = { 4 }, lr = narrow }, seeds = 1, epochs = 1,
  batch_size = 10, train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
lab.chart(thin, { x = "hidden" })]])
  T.eq(s, 0, "runs\n" .. o)
  local md = T.read(dir .. "/reports/holed_heatmap.md")
  T.eq(md:find("Chart not drawn", 1, true), nil, "every chart drawn\n" .. md)
  local gp = T.read(dir .. "/reports/holed_heatmap/fig1-test_acc-hidden.gp")
  T.contains(gp, "with image", "a heatmap")
  T.contains(gp, "set xlabel 'hidden (a grey cell: a seed diverged, or no such variation)'", "the axis says why")
  T.contains(gp, "rectangle from graph 0,0 to graph 1,1 behind fillcolor rgb '#c8c8c8'", "grey behind: no palette colour")
  local dat = T.read(dir .. "/reports/holed_heatmap/fig1-test_acc-hidden.dat")
  T.contains(dat, "\n2 5 NaN\n", "the blank cell")
  -- gnuplot's image reads the cells a row at a time: listed out of order
  -- or with the hole last, the colours had landed in other cells
  local order = {}
  for x, y in dat:gmatch("\n(%d+) (%d+) ") do order[#order + 1] = ("%d,%d"):format(x, y) end
  local want = {}
  for y = 1, 11 do for x = 1, 3 do want[#want + 1] = ("%d,%d"):format(x, y) end end
  T.eq(table.concat(order, " "), table.concat(want, " "), "the cells in the grid's order")
  T.eq(gp:find("NaN", 1, true), nil, "no label prints a blank cell's NaN")
  local _, labels = gp:gsub("\nset label %d+ '[^']*' at %d+,%d+ center front", "")
  T.eq(labels, 32, "a value printed in each of the 32 cells with one")
  T.truthy(T.read(dir .. "/reports/holed_heatmap/fig1-test_acc-hidden.png"), "drawn")
  local thin_gp = T.read(dir .. "/reports/holed_heatmap/fig2-test_acc-hidden.gp")
  T.eq(thin_gp:find("with image", 1, true), nil, "one value wide: no heatmap")
  T.contains(thin_gp, "with", "lines instead")
end)

T.case("a Chinese report's keys and axis are Chinese", function()
  local o, s = run("zh", "zh", [[lab.chart(runs, { y = { "train_acc", "test_acc" } })
lab.chart(runs, { y = "lr" })]])
  T.eq(s, 0, "runs\n" .. o)
  local gp = T.truthy(report_file("zh", "fig1-train_acc-test_acc-epoch.gp"), "the .gp")
  T.contains(gp, "title 'hidden=4：训练准确率'", "key")
  T.contains(gp, "hidden=8：测试准确率", "key")
  T.contains(gp, "set xlabel '轮次'", "x axis")
  T.contains(T.read(("%s/reports/zh/fig2-lr-epoch.gp"):format(dir)), "set ylabel '学习率'", "lr axis")
end)

T.done()
