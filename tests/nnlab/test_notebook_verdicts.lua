-- Verdicts on claims (nnlab.stats.verdict, runs:verdict), the confidence
-- interval of Welch's test, the derived gap metric, and where a chart's key goes.
local T = require "testlib"
local stats = require "nnlab.notebook.stats"
local runs = require "nnlab.notebook.runs"
local gnuplot = require "nnlab.notebook.gnuplot"

-- t quantiles (scipy.stats.t.ppf(0.975, df)) and Welch's confidence interval
T.close(stats.t_quantile(0.95, 4), 2.7764451052, 1e-8, "t(0.975, 4)")
T.close(stats.t_quantile(0.95, 1), 12.7062047362, 1e-7, "t(0.975, 1)")
T.close(stats.t_quantile(0.99, 10), 3.1692726726, 1e-8, "t(0.995, 10)")
T.close(stats.t_quantile(0.95, 1e6), 1.959966, 1e-5, "normal limit")
local w = stats.welch({ 68.1, 68.3, 67.9 }, { 68.4, 68.2, 68.6 })
T.close(w.ci[1], -0.7533916, 1e-6, "CI low")
T.close(w.ci[2], 0.1533916, 1e-6, "CI high")
T.eq(stats.welch({ 1, 1 }, { 2, 2 }).ci[1], -1, "no spread: the interval is the difference")

-- stats.verdict: each expectation
local low, high, mid = { 1, 2, 3 }, { 11, 12, 13.5 }, { 1.5, 2.5, 2 }
T.eq(stats.verdict(high, low, "higher").verdict, "supports", "higher: found")
T.eq(stats.verdict(low, high, "higher").verdict, "contradicts", "higher: the other way")
T.eq(stats.verdict(mid, low, "higher").verdict, "noise", "higher: within noise")
T.eq(stats.verdict(low, high, "lower").verdict, "supports", "lower: found")
T.eq(stats.verdict(high, low, "lower").verdict, "contradicts", "lower: the other way")
T.eq(stats.verdict(mid, low, "not_higher").verdict, "supports", "not_higher: within noise")
T.eq(stats.verdict(low, high, "not_higher").verdict, "supports", "not_higher: worse")
T.eq(stats.verdict(high, low, "not_higher").verdict, "contradicts", "not_higher: better")
T.eq(stats.verdict(low, high, "not_lower").verdict, "contradicts", "not_lower: worse")
local a, b = { 81.27, 81.10, 81.40 }, { 81.28, 81.20, 81.35 }
T.eq(stats.verdict(a, b, "similar", { margin = 1 }).verdict, "supports", "similar: interval inside ±margin")
T.eq(stats.verdict(high, low, "similar", { margin = 1 }).verdict, "contradicts", "similar: interval outside")
T.eq(stats.verdict(mid, low, "similar", { margin = 0.1 }).verdict, "noise", "similar: interval straddles the margin")
local one = stats.verdict({ 1 }, { 2, 3 }, "higher")
T.eq(one.verdict, "noise", "one seed: cannot tell")
T.contains(one.reason, "two seeds", "one seed: says why")
T.close(one.delta, -1.5, 1e-12, "one seed: the difference is still given")
T.fails(function() stats.verdict(low, high, "bigger") end, "expect must be higher, lower")
T.fails(function() stats.verdict(low, high, "similar") end, "'similar' needs a margin")

-- the gap metric: eval-mode training accuracy when measured, else the running one
T.eq(runs.value({ train_acc = 90, test_acc = 80 }, "gap"), 10, "gap from train_acc")
T.eq(runs.value({ train_acc = 90, train_eval_acc = 95, test_acc = 80 }, "gap"), 15, "gap from train_eval_acc")
T.eq(runs.value({ train_acc = 90 }, "gap"), nil, "no test accuracy: no gap")
T.eq(runs.format("gap", 10.5, 0.25), "10.50 ± 0.25 pp", "gap format")

local function seed(s, train, test, diverged)
  return { seed = s, diverged = diverged, seconds = 1,
           history = { { epoch = 1, train_acc = train, train_eval_acc = train + 1, test_acc = test,
                         train_loss = 1, test_loss = 1, seconds = 1 } } }
end
local r = runs.new { name = "reg", keys = { "dropout" }, seeds = { 1, 2, 3 }, epochs = 1, variations = {
  { label = "none", values = { dropout = 0 }, params = { dropout = 0 },
    seeds = { seed(1, 95, 80), seed(2, 96, 80.5), seed(3, 95.5, 79.5) } },
  { label = "dropout", values = { dropout = 0.5 }, params = { dropout = 0.5 },
    seeds = { seed(1, 88, 80.2), seed(2, 88.5, 80.4), seed(3, 87.5, 79.9) } },
  { label = "broken", values = { dropout = 0.9 }, params = { dropout = 0.9 },
    seeds = { seed(1, 10, 10, true), seed(2, 88.5, 80.4), seed(3, 87.5, 79.9) } },
} }
local gap = r:verdict("dropout", "none", "lower", { metric = "gap" })
T.eq(gap.verdict, "supports", "dropout shrinks the gap")
T.close(gap.delta, -23 / 3, 1e-9, "gap difference (eval-mode train accuracy)")
T.eq(gap.a.label, "dropout", "verdict carries the rows")
T.eq(r:verdict("dropout", "none", "higher").verdict, "noise", "test accuracy within noise")
T.eq(r:verdict("broken", "none", "higher").verdict, "diverged", "a diverged seed: nothing tested")
T.fails(function() r:verdict("nothing", "none", "higher") end, "verdict: no variation matches nothing")
T.fails(function() r:verdict("dropout", "none", "higher", { metric = "accuracy" }) end, "unknown metric 'accuracy'")

-- the key goes to the emptiest corner when the preferred one holds data
local rising = { title = "up", points = { { 1, 10, 0 }, { 2, 50, 0 }, { 3, 90, 0 } } }
T.eq(gnuplot.key_position { key = "bottom right", xrange = { 1, 3 }, series = { rising } }, "bottom right",
     "a rising line leaves the bottom right free")
local falling = { title = "down", points = { { 1, 90, 0 }, { 2, 50, 0 }, { 3, 10, 0 } } }
local corner = gnuplot.key_position { key = "bottom right", xrange = { 1, 3 }, series = { falling } }
T.truthy(corner == "bottom left" or corner == "top right", "a falling line moves the key: " .. corner)
T.eq(gnuplot.key_position { key = "top right", series = { falling } }, "top right", "no x range: as asked")
