-- Grids over several keys, explicit lists of labelled configurations and
-- several sweeps in one report.
local T = require "testlib"
local H = require "fixtures.notebook.helpers"

-- One run of the fixture, whose report the cases read.
local dir = T.tmpdir("notebook_sweeps")
local out, status = H.run(dir, "sweeps.lua", { "-j", "2" })
local md = T.read(dir .. "/reports/sweeps.md")

T.case("two sweeps run: a grid named by its keys and a named list", function()
  T.eq(status, 0, "status\n" .. out)
  H.expect_counts(out, 4 * 2 + 2 * 2, 12, "two sweeps")
  T.contains(out, "sweeps: hidden × lr: 8 runs", "grid named by its keys")
  T.contains(out, "sweeps: optimizers: 4 runs", "named sweep")
end)

T.case("the report lists the seeds of both sweeps", function()
  T.contains(md, "| Seeds | 1, 2, 7, 8 |", "seeds of both sweeps")
end)

T.case("a grid's table has a row per combination of its keys", function()
  T.contains(md, "| hidden | lr | test accuracy | train accuracy | vs best test accuracy |", "grid table header")
  for _, row in ipairs { "| 8 | 0.05 |", "| 8 | 0.2 |", "| 16 | 0.05 |", "| 16 | 0.2 |" } do
    T.contains(md, row, "grid row " .. row)
  end
end)

T.case("labelled variations show their label and keys; optimizer options are in the header", function()
  T.contains(md, "SGD(lr=0.05, momentum=0.9)", "optimizer options in the header")
  T.contains(md, "| variation | batch_size | optimizer | test accuracy |", "labelled variations: label and keys")
  T.contains(md, "| plain SGD |", "label")
  T.contains(md, "| Adam |", "label")
end)

T.case("a final-value chart against lr has one line per hidden size, on a log scale", function()
  local gp = T.read(dir .. "/reports/sweeps/fig1-test_acc-lr.gp")
  T.contains(gp, "title 'hidden=8'", "series per other key value")
  T.contains(gp, "title 'hidden=16'", "series per other key value")
  T.contains(gp, "set logscale x", "lr spans a factor 4: log scale")
end)

T.case("a categorical x axis: string values become labelled tics", function()
  T.contains(T.read(dir .. "/reports/sweeps/fig2-test_loss-optimizer.gp"), "set xtics ('sgd' 1, 'adam' 2)", "categorical x")
  H.expect_png(dir .. "/reports/sweeps/fig2-test_loss-optimizer.png", 10000)
end)

T.case("one CSV for both sweeps, with the union of their varied keys as columns", function()
  local csv = H.lines(dir .. "/reports/sweeps/results.csv")
  T.eq(csv[1], "sweep,variation,hidden,lr,batch_size,optimizer,seed,epoch,train_loss,train_acc,test_loss,test_acc,epoch_lr,diverged",
       "CSV header")
  T.eq(#csv, 1 + 8 * 1 + 4 * 2, "CSV rows")
  T.truthy(csv[2]:find("^hidden × lr,\"hidden=8, lr=0.05\",8,0.05,,,7,1,"), "grid row: " .. csv[2])
  T.truthy(csv[#csv]:find("^optimizers,Adam,,,100,adam,2,2,"), "listed row with its effective values: " .. csv[#csv])
  T.truthy(csv[10]:find("^optimizers,plain SGD,,,50,sgd,1,1,"), "defaults of the sweep fill the columns: " .. csv[10])
end)

T.done()
