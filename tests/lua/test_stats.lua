-- nnlab.notebook.stats under stock lua5.4: Student's t, Welch's test and its
-- confidence interval (reference values from scipy), and the verdicts on a
-- claim that reports give.
local T = require "testlib"
local stats = require "nnlab.notebook.stats"

T.case("t_two_sided_p at the 97.5 % quantile of t is 0.05", function()
  T.close(stats.t_two_sided_p(2.776445, 4), 0.05, 1e-6, "t(0.975, 4)")
  T.close(stats.t_two_sided_p(12.7062, 1), 0.05, 1e-5, "t(0.975, 1)")
end)

T.case("t_quantile matches scipy.stats.t.ppf, and the normal limit", function()
  T.close(stats.t_quantile(0.95, 4), 2.7764451052, 1e-8, "t(0.975, 4)")
  T.close(stats.t_quantile(0.95, 1), 12.7062047362, 1e-7, "t(0.975, 1)")
  T.close(stats.t_quantile(0.99, 10), 3.1692726726, 1e-8, "t(0.995, 10)")
  T.close(stats.t_quantile(0.95, 1e6), 1.959966, 1e-5, "normal limit")
end)

T.case("std is the sample standard deviation", function()
  T.close(stats.std({ 2, 4, 4, 4, 5, 5, 7, 9 }), 2.138089935, 1e-9, "sample std")
end)

T.case("Welch's test: overlapping seeds are within noise, with scipy's t, df and p", function()
  local close_ones = stats.welch({ 68.1, 68.3, 67.9 }, { 68.4, 68.2, 68.6 })
  T.eq(close_ones.differs, false, "overlapping seeds are within noise")
  T.close(close_ones.t, -1.837117, 1e-6, "Welch t")
  T.close(close_ones.df, 4, 1e-9, "Welch df")
  T.close(close_ones.p, 0.14007, 1e-4, "Welch p (scipy: 0.14007)")
end)

T.case("Welch's test: separated seeds differ", function()
  local far = stats.welch({ 1, 2, 3 }, { 11, 12, 13.5 })
  T.eq(far.differs, true, "separated seeds differ")
end)

T.case("Welch's test with one seed: noise unknown", function()
  T.eq(select(1, stats.welch({ 1 }, { 2, 3 })), nil, "one seed: noise unknown")
end)

T.case("Welch's confidence interval of the difference; without spread, the difference itself", function()
  local w = stats.welch({ 68.1, 68.3, 67.9 }, { 68.4, 68.2, 68.6 })
  T.close(w.ci[1], -0.7533916, 1e-6, "CI low")
  T.close(w.ci[2], 0.1533916, 1e-6, "CI high")
  T.eq(stats.welch({ 1, 1 }, { 2, 2 }).ci[1], -1, "no spread: the interval is the difference")
end)

-- stats.verdict: each expectation
local low, high, mid = { 1, 2, 3 }, { 11, 12, 13.5 }, { 1.5, 2.5, 2 }

T.case("verdict 'higher': supports, contradicts, or within noise", function()
  T.eq(stats.verdict(high, low, "higher").verdict, "supports", "higher: found")
  T.eq(stats.verdict(low, high, "higher").verdict, "contradicts", "higher: the other way")
  T.eq(stats.verdict(mid, low, "higher").verdict, "noise", "higher: within noise")
end)

T.case("verdict 'lower': supports or contradicts", function()
  T.eq(stats.verdict(low, high, "lower").verdict, "supports", "lower: found")
  T.eq(stats.verdict(high, low, "lower").verdict, "contradicts", "lower: the other way")
end)

T.case("verdict 'not_higher': within noise or worse supports, better contradicts", function()
  T.eq(stats.verdict(mid, low, "not_higher").verdict, "supports", "not_higher: within noise")
  T.eq(stats.verdict(low, high, "not_higher").verdict, "supports", "not_higher: worse")
  T.eq(stats.verdict(high, low, "not_higher").verdict, "contradicts", "not_higher: better")
end)

T.case("verdict 'not_lower': worse contradicts", function()
  T.eq(stats.verdict(low, high, "not_lower").verdict, "contradicts", "not_lower: worse")
end)

T.case("verdict 'similar': the interval inside, outside or across ±margin", function()
  local a, b = { 81.27, 81.10, 81.40 }, { 81.28, 81.20, 81.35 }
  T.eq(stats.verdict(a, b, "similar", { margin = 1 }).verdict, "supports", "similar: interval inside ±margin")
  T.eq(stats.verdict(high, low, "similar", { margin = 1 }).verdict, "contradicts", "similar: interval outside")
  T.eq(stats.verdict(mid, low, "similar", { margin = 0.1 }).verdict, "noise", "similar: interval straddles the margin")
end)

T.case("verdict with one seed: cannot tell, says why, still gives the difference", function()
  local one = stats.verdict({ 1 }, { 2, 3 }, "higher")
  T.eq(one.verdict, "noise", "one seed: cannot tell")
  T.contains(one.reason, "two seeds", "one seed: says why")
  T.close(one.delta, -1.5, 1e-12, "one seed: the difference is still given")
end)

T.case("verdict refuses an unknown expectation, and 'similar' without a margin", function()
  T.fails(function() stats.verdict(low, high, "bigger") end, "expect must be higher, lower")
  T.fails(function() stats.verdict(low, high, "similar") end, "'similar' needs a margin")
end)

-- level = 95 (a percentage) made t_quantile search forever. A count hook
-- turns a search that never ends into a failure of this case.
T.case("welch and verdict refuse a level outside (0, 1), such as 95", function()
  debug.sethook(function() error("still running after 10^8 instructions", 2) end, "", 1e8)
  local ok, err = pcall(function()
    for _, level in ipairs { 95, 1, 0, -0.5, 0 / 0 } do
      local shown = tostring(level)
      T.fails(function() stats.welch(low, high, level) end,
              "stats.welch: level must be between 0 and 1 (0.95 for 95 %), got " .. shown)
      T.fails(function() stats.verdict(low, high, "higher", { level = level }) end,
              "stats.verdict: level must be between 0 and 1 (0.95 for 95 %), got " .. shown)
    end
    T.fails(function() stats.welch(low, high, "95%") end, "level must be between 0 and 1")
  end)
  debug.sethook()
  if not ok then error(err, 0) end
  T.eq(stats.welch(low, high, 0.99).level, 0.99, "a level inside (0, 1) is taken")
end)

T.done()
