-- nnlab.notebook.stats under stock lua5.4: Student's t, Welch's test and its
-- confidence interval (reference values from scipy), and (below) issue 18's
-- procedures and the verdicts on a claim that reports give (stats.judge).
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

local low, high, mid = { 1, 2, 3 }, { 11, 12, 13.5 }, { 1.5, 2.5, 2 }

-- level = 95 (a percentage) made t_quantile search forever. A count hook
-- turns a search that never ends into a failure of this case.
T.case("welch and judge refuse a level outside (0, 1), such as 95", function()
  debug.sethook(function() error("still running after 10^8 instructions", 2) end, "", 1e8)
  local ok, err = pcall(function()
    for _, level in ipairs { 95, 1, 0, -0.5, 0 / 0 } do
      local shown = tostring(level)
      T.fails(function() stats.welch(low, high, level) end,
              "stats.welch: level must be between 0 and 1 (0.95 for 95 %), got " .. shown)
      T.fails(function() stats.judge(low, high, "higher", { level = level }) end,
              "level must be between 0 and 1 (0.95 for 95 %), got " .. shown)
    end
    T.fails(function() stats.welch(low, high, "95%") end, "level must be between 0 and 1")
  end)
  debug.sethook()
  if not ok then error(err, 0) end
  T.eq(stats.welch(low, high, 0.99).level, 0.99, "a level inside (0, 1) is taken")
end)

-- ---------------------------------------------------------------------------
-- Issue 18: the new procedures. Reference values were computed once with
-- Debian's python3-scipy 1.10.1 and python3-statsmodels 0.13.5
-- (/usr/bin/python3), by this script (abridged; brute force = enumerating
-- every sign flip / every split with itertools):
--   x=[68.1,68.3,67.9,68.6,68.0]; y=[67.5,68.0,67.7,68.1,67.9]
--   stats.ttest_rel(x,y)  -> t 3.6663142889168903, p 0.02146063437689258
--   d=x-y; se=d.std(ddof=1)/sqrt(5); d.mean() -+ t.ppf(0.975,4)*se
--                          -> se 0.09273618495495682, CI 0.08252307320709013 .. 0.5974769267929054
--   brute-force sign flip: d of x,y -> 2 of 32; [0.4,0.2,0.1] -> 2 of 8;
--                          [1,-0.5,2,0.25] -> 6 of 16
--   stats.wilcoxon(a,b,mode="exact"), a=[1.83,0.50,1.62,2.48,1.68,1.88,1.55,3.06],
--     b=[0.878,0.647,0.598,2.05,1.06,1.29,1.06,3.14] -> statistic 3, p 0.0390625
--   stats.wilcoxon([5.5,10.9,20.5],[1.8,3.0,4.2],mode="exact") -> 0, p 0.25
--   brute force, zeros dropped, average ranks: [3,5,2,7,7,4,9] vs [1,3,2,5,8,2,4]
--     -> W+ 20, p 0.0625
--   stats.mannwhitneyu([1.1,2.3,0.4,5.6],[3.3,4.4,6.1,7.2,8.0],method="exact") -> U 2, p 0.06349206349206349
--   stats.mannwhitneyu([5.5,10.9,20.5],[1.8,3.0,4.2],method="exact") -> U 9, p 0.1
--   brute force over all splits, average ranks: [0,0,1.5,3,3] vs [0,2,2,4,5,6] -> U 8, p 0.22294372294372294
--   stats.mannwhitneyu(X,Y,method="asymptotic") for BIG_X, BIG_Y below -> U 269.5, p 0.4092603856148106
--   multipletests([0.01,0.04,0.03,0.005,0.2],method="holm")[1] -> [0.04,0.09,0.09,0.025,0.2]
--   multipletests([0.006,0.030,0.048],method="holm")[1] -> [0.018,0.06,0.06]
--   ttost_paired(x,y,-1,1) -> p 0.001030002700734124 (lower 6.667418367090068e-05)
--     90 % CI: d.mean() -+ t.ppf(0.95,4)*se -> 0.1423006625903662 .. 0.5376993374096293
--   ttost_ind([81.27,81.10,81.40],[81.28,81.20,81.35],-0.5,0.5,usevar="unequal") -> p 0.008335493942825227
--   detectable effect, sd 1: (t.ppf(0.975,df)+t.ppf(0.8,df))*se, and the true power there,
--     nc = mde/se; nct.sf(t.ppf(0.975,df),df,nc) + nct.cdf(-t.ppf(0.975,df),df,nc):
--     n=3 unpaired 3.0352522955834096 (power 0.7913), n=5 unpaired 2.020628164972856 (0.7985),
--     n=10 unpaired 1.325080783788845 (0.8001), n=3 paired 3.0965101475395485 (0.7663),
--     n=5 paired 1.6624761500103715 (0.7913), n=10 paired 0.9947137349915766 (0.7990)
-- ---------------------------------------------------------------------------
local px, py = { 68.1, 68.3, 67.9, 68.6, 68.0 }, { 67.5, 68.0, 67.7, 68.1, 67.9 }

T.case("paired t matches scipy.stats.ttest_rel, with its confidence interval", function()
  local r = stats.paired_t(px, py)
  T.close(r.t, 3.6663142889168903, 1e-9, "paired t")
  T.close(r.p, 0.02146063437689258, 1e-10, "paired p")
  T.eq(r.df, 4, "df = n - 1"); T.eq(r.n, 5, "n")
  T.close(r.delta, 0.34, 1e-12, "delta"); T.close(r.se, 0.09273618495495682, 1e-12, "se")
  T.close(r.ci[1], 0.08252307320709013, 1e-9, "CI low"); T.close(r.ci[2], 0.5974769267929054, 1e-9, "CI high")
  T.eq(r.differs, true, "paired: differs")
  T.eq(stats.welch(px, py).differs, false, "the same data unpaired: Welch cannot tell")
  T.eq(select(1, stats.paired_t({ 1 }, { 2 })), nil, "one pair: no test")
  T.fails(function() stats.paired_t({ 1, 2, 3 }, { 1, 2 }) end, "same length (paired by seed), got 3 and 2")
end)

T.case("constant sides: no p = 0 (paired t falls back to the exact sign-flip p)", function()
  local r = stats.paired_t({ 2, 3, 4 }, { 1, 2, 3 })
  T.close(r.p, 0.25, 1e-15, "3 seeds all +1: p = 2/2^3"); T.eq(r.exact, true, "exact")
  T.eq(r.differs, false, "3 seeds cannot show it"); T.contains(r.reason, "same amount", "says why")
  local six = stats.paired_t({ 2, 3, 4, 5, 6, 7 }, { 1, 2, 3, 4, 5, 6 })
  T.close(six.p, 2 / 64, 1e-15, "6 seeds: 2/64"); T.eq(six.differs, true, "6 seeds all +1 differ")
  T.eq(stats.paired_t({ 1, 2 }, { 1, 2 }).p, 1, "identical: p = 1")
  local w = stats.compare({ 1, 1 }, { 2, 2 })
  T.close(w.p, 2 / 6, 1e-15, "Welch, both sides constant: label permutation p = 2 / C(4,2)")
  T.eq(w.differs, false, "two constant seeds a side cannot show a difference")
  T.truthy(stats.compare({ 1, 1, 1 }, { 2, 2, 2, 2 }).p > 0, "unequal sizes: p > 0")
end)

T.case("no spread up to rounding is no spread: 84.78 - 84.76 in every seed is not p = 1e-26", function()
  -- accuracies as a run computes them, 100 * correct / 10000: two fewer correct in every seed
  local a, b = {}, {}
  for i, correct in ipairs({ 8478, 8459, 8487 }) do a[i], b[i] = 100 * correct / 10000, 100 * (correct - 2) / 10000 end
  T.truthy(stats.std({ a[1] - b[1], a[2] - b[2], a[3] - b[3] }) > 0, "the differences differ in their last bits")
  local paired = stats.compare(a, b, { paired = true })
  T.close(paired.p, 0.25, 1e-15, "paired: the exact sign-flip p, 2/2^3"); T.eq(paired.differs, false, "can't tell")
  T.eq(paired.exact, true, "exact")
  T.eq(paired.detectable, math.huge, "3 seeds without spread detect no difference at all (never 0)")
  local welch = stats.compare({ 97.13, 97.13, 97.13 }, { 97.03, 97.03, 97.03 })
  T.close(welch.p, 2 / 20, 1e-15, "both sides constant: the label permutation p 2 / C(6,3)")
  T.close(stats.compare({ 0.1, 0.1, 0.1 }, { 0.2, 0.2, 0.2 }).p, 0.1, 1e-15, "the same at 0.1 against 0.2")
  local five = {}
  for i = 1, 5 do five[i] = 100 * 28 / 30 end
  local other = {}
  for i = 1, 5 do other[i] = 100 * 10 / 30 end
  T.close(stats.compare(five, other, { paired = true }).p, 2 / 32, 1e-15, "5 seeds: 2/2^5")
  T.eq(stats.compare(five, other, { paired = true }).detectable, math.huge, "2/32 is not below 0.05")
  local six_a, six_b = {}, {}
  for i = 1, 6 do six_a[i], six_b[i] = 100 * (8000 + i) / 10000, 100 * (7998 + i) / 10000 end
  local six = stats.compare(six_a, six_b, { paired = true })
  T.close(six.p, 2 / 64, 1e-15, "6 seeds: 2/64"); T.eq(six.differs, true, "6 seeds all +0.02 differ")
  T.eq(six.detectable, 0, "6 seeds without spread detect any difference")
  -- a real spread, however small against the values, is kept
  local tiny = stats.compare({ 1000, 1000.001, 1000.002 }, { 999, 999.002, 999.001 }, { paired = true })
  T.truthy(tiny.exact == nil and tiny.p < 0.01, "a spread of 1e-6 of the values is noise, not rounding")
end)

T.case("TOST without spread: the exact one-sided tests, never equivalence for free", function()
  local r = stats.tost({ 90, 91, 92 }, { 90, 91, 92 }, 0.1, { paired = true })
  T.close(r.p, 1 / 8, 1e-15, "3 pairs, delta 0: each one-sided sign-flip p is 1/2^3")
  T.eq(r.equivalent, false, "3 seeds cannot show equivalence"); T.eq(r.exact, true, "exact")
  local six = stats.tost({ 1, 2, 3, 4, 5, 6 }, { 1, 2, 3, 4, 5, 6 }, 0.1, { paired = true })
  T.close(six.p, 1 / 64, 1e-15, "6 pairs: 1/64"); T.eq(six.equivalent, true, "6 identical pairs are equivalent")
  local outside = stats.tost({ 2, 3, 4, 5, 6, 7 }, { 1, 2, 3, 4, 5, 6 }, 0.5, { paired = true })
  T.eq(outside.p, 1, "a constant difference beyond the margin: p = 1"); T.eq(outside.equivalent, false, "not equivalent")
  local unpaired = stats.tost({ 5, 5, 5 }, { 5, 5, 5 }, 0.1)
  T.close(unpaired.p, 1 / 20, 1e-15, "unpaired, both constant: 1 / C(6,3)"); T.eq(unpaired.equivalent, false, "0.05 is not below 0.05")
  local v = stats.judge({ 90, 91, 92 }, { 90, 91, 92 }, "similar", { margin = 0.1, paired = true })
  T.eq(v.verdict, "cant_tell", "judge: no equivalence from three identical seeds"); T.close(v.p, 1 / 8, 1e-15, "with its p")
  stats.correct_family({ v }); T.close(v.p_adjusted, 1 / 8, 1e-15, "and a member of the family")
end)

T.case("one-sided tests of two constant sides of unequal size take the exact one-sided p, not half of it", function()
  -- the splits of 6 values into 2 and 4: C(6,2) = 15, only the observed one as extreme
  local v = stats.judge({ 80, 80 }, { 80.1, 80.1, 80.1, 80.1 }, "not_higher", { margin = 0.5 })
  T.close(v.p, 1 / 15, 1e-12, "the non-inferiority p"); T.eq(v.verdict, "cant_tell", "1/15 is not below 0.05")
  local same = stats.judge({ 80, 80 }, { 80.1, 80.1, 80.1, 80.1 }, "similar", { margin = 0.5 })
  T.close(same.p, 1 / 15, 1e-12, "as TOST's for the same data")
  local paired = stats.judge({ 1, 2, 3, 4, 5, 6 }, { 1.1, 2.1, 3.1, 4.1, 5.1, 6.1 }, "not_higher", { margin = 0.5, paired = true })
  T.close(paired.p, 1 / 64, 1e-12, "paired: half the two-sided sign-flip p, 1/2^6")
end)

T.case("sign flip: exact counts over all 2^n flips", function()
  T.close(stats.sign_flip({ 0.4, 0.2, 0.1 }, { 0, 0, 0 }).p, 2 / 8, 1e-15, "n = 3: the smallest p is 0.25")
  T.close(stats.sign_flip(px, py).p, 2 / 32, 1e-15, "n = 5: 2 of 32")
  T.close(stats.sign_flip({ 1, -0.5, 2, 0.25 }, { 0, 0, 0, 0 }).p, 6 / 16, 1e-15, "mixed signs: 6 of 16")
  T.eq(stats.sign_flip({ 1, 2 }, { 1, 2 }).p, 1, "no differences: p = 1")
  local xs, ys = {}, {}
  for i = 1, 24 do xs[i], ys[i] = i % 5 + 0.5, (i % 3) end
  local mc = stats.sign_flip(xs, ys)
  T.eq(mc.exact, false, "n > 20: Monte Carlo"); T.truthy(mc.p > 0 and mc.p < 1e-3, "Monte Carlo p small, never 0")
  T.eq(stats.sign_flip(xs, ys).p, mc.p, "fixed seed: reproducible")
end)

T.case("Wilcoxon signed-rank matches scipy's exact test; ties and zeros by brute force", function()
  local a = { 1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06 }
  local b = { 0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14 }
  local w = stats.wilcoxon_signed_rank(a, b)
  T.close(w.p, 0.0390625, 1e-12, "exact p"); T.eq(w.statistic, 3.0, "statistic min(W+, W-)")
  local osc = stats.wilcoxon_signed_rank({ 5.5, 10.9, 20.5 }, { 1.8, 3.0, 4.2 })
  T.close(osc.p, 0.25, 1e-12, "three seeds, all up: 0.25")
  local tie = stats.wilcoxon_signed_rank({ 3, 5, 2, 7, 7, 4, 9 }, { 1, 3, 2, 5, 8, 2, 4 })
  T.eq(tie.zeros, 1, "one zero dropped"); T.eq(tie.n, 6, "six left")
  T.eq(tie.w_plus, 20, "W+ with average ranks"); T.close(tie.p, 0.0625, 1e-12, "brute force p")
  T.eq(stats.wilcoxon_signed_rank({ 1, 2 }, { 1, 2 }).p, 1, "all zero: p = 1")
end)

local BIG_X = { 1.4, 2.1, 1.1, 1.8, 0.4, 6.8, 0.0, 5.6, 1.2, 0.6, 1.1, 0.6, 1.8, 2.1, 3.8, 0.4, 6.3, 1.5, 0.7, 1.8,
                0.2, 0.1, 2.4, 1.5, 4.4 }
local BIG_Y = { 1.4, 1.6, 3.5, 1.6, 0.1, 0.9, 3.0, 1.9, 4.2, 0.0, 2.7, 0.8, 1.1, 9.2, 4.2, 11.4, 5.2, 6.7, 0.4, 0.9,
                0.7, 3.4, 3.7, 0.4, 1.2 }

T.case("Mann-Whitney matches scipy (exact; ties by brute force; normal with tie correction above 40)", function()
  local u = stats.mann_whitney({ 1.1, 2.3, 0.4, 5.6 }, { 3.3, 4.4, 6.1, 7.2, 8.0 })
  T.eq(u.statistic, 2, "U1"); T.close(u.p, 0.06349206349206349, 1e-12, "exact p"); T.eq(u.exact, true, "exact")
  T.close(stats.mann_whitney({ 5.5, 10.9, 20.5 }, { 1.8, 3.0, 4.2 }).p, 0.1, 1e-12, "3 vs 3: smallest p 0.1")
  local t = stats.mann_whitney({ 0, 0, 1.5, 3, 3 }, { 0, 2, 2, 4, 5, 6 })
  T.eq(t.statistic, 8, "U1 with ties"); T.close(t.p, 0.22294372294372294, 1e-12, "ties: brute force p")
  local big = stats.mann_whitney(BIG_X, BIG_Y)
  T.eq(big.exact, false, "50 values: normal approximation"); T.eq(big.statistic, 269.5, "U1")
  T.close(big.p, 0.4092603856148106, 1e-9, "asymptotic p (tie-corrected, continuity)")
end)

T.case("Holm matches statsmodels' multipletests(method='holm'); nil stays nil", function()
  local adj = stats.holm { 0.01, 0.04, 0.03, 0.005, 0.2 }
  local want = { 0.04, 0.09, 0.09, 0.025, 0.2 }
  for i = 1, 5 do T.close(adj[i], want[i], 1e-15, "holm " .. i) end
  local three = stats.holm { 0.006, 0.030, 0.048 }
  T.close(three[1], 0.018, 1e-15, "0.006 -> 0.018"); T.close(three[2], 0.06, 1e-15, "0.030 -> 0.06")
  T.close(three[3], 0.06, 1e-15, "0.048 -> 0.06 (monotone)")
  local holes = stats.holm { 0.01, nil, 0.04, n = 3 }
  T.eq(holes[2], nil, "nil stays nil"); T.close(holes[1], 0.02, 1e-15, "m counts only the p-values")
  T.close(holes[3], 0.04, 1e-15, "second of two")
  T.eq(stats.holm { 0.6, 0.7 }[1], 1, "capped at 1")
end)

T.case("TOST matches statsmodels' ttost_paired and ttost_ind (Welch)", function()
  local r = stats.tost(px, py, 1.0, { paired = true })
  T.close(r.p, 0.001030002700734124, 1e-10, "paired TOST p"); T.close(r.p_lower, 6.667418367090068e-05, 1e-12, "lower")
  T.eq(r.equivalent, true, "within ±1")
  T.close(r.ci[1], 0.1423006625903662, 1e-9, "90 % CI low"); T.close(r.ci[2], 0.5376993374096293, 1e-9, "90 % CI high")
  local w = stats.tost({ 81.27, 81.10, 81.40 }, { 81.28, 81.20, 81.35 }, 0.5)
  T.close(w.p, 0.008335493942825227, 1e-9, "Welch TOST p")
  T.eq(stats.tost(px, py, 0.3, { paired = true }).equivalent, false, "not within ±0.3")
  T.fails(function() stats.tost(px, py, 0) end, "margin must be a number > 0")
end)

T.case("detectable effect: the formula by hand and scipy, and how close to 80 % power it is", function()
  T.close(stats.t_one_sided_quantile(0.8, 4), 0.9409645724, 1e-8, "t.ppf(0.8, 4)")
  T.close(stats.t_one_sided_quantile(0.2, 4), -0.9409645724, 1e-8, "t.ppf(0.2, 4)")
  -- by hand, n = 3 unpaired, sd 1: df 4, (2.7764451052 + 0.9409645724) * sqrt(2/3) = 3.03525
  T.close(stats.detectable_effect(1, 3), (2.7764451052 + 0.9409645724) * math.sqrt(2 / 3), 1e-8, "by hand")
  local want = { { 3, false, 3.0352522955834096 }, { 5, false, 2.020628164972856 }, { 10, false, 1.325080783788845 },
                 { 3, true, 3.0965101475395485 }, { 5, true, 1.6624761500103715 }, { 10, true, 0.9947137349915766 } }
  for _, w in ipairs(want) do
    T.close(stats.detectable_effect(1, w[1], { paired = w[2] }), w[3], 1e-8, ("mde n=%d paired=%s"):format(w[1], w[2]))
  end
  T.close(stats.detectable_effect(2.5, 5, { paired = true }), 2.5 * 1.6624761500103715, 1e-8, "scales with sd")
  T.eq(stats.detectable_effect(1, 1, { paired = true }), nil, "one seed: nothing detectable")
  -- Noncentral-t check (scipy, above): at these effects the true power is
  -- 0.766 .. 0.800, so the approximation is at most 3.4 points optimistic.
end)

T.case("compare picks the test and reports the detectable effect", function()
  local c = stats.compare(px, py, { paired = true })
  T.eq(c.test, "paired t", "paired"); T.close(c.p_exact, 2 / 32, 1e-15, "exact sign-flip p beside it")
  T.close(c.detectable, stats.detectable_effect(stats.std { 0.6, 0.3, 0.2, 0.5, 0.1 }, 5, { paired = true }), 1e-9,
          "detectable from the sd of the differences")
  T.eq(stats.compare(px, py).test, "Welch t", "unpaired")
  local s = stats.compare({ 5.5, 10.9, 20.5 }, { 1.8, 3.0, 4.2 }, { paired = true, skewed = true })
  T.eq(s.test, "Wilcoxon signed-rank", "skewed paired"); T.eq(s.ci, nil, "no CI for a rank test")
  T.eq(stats.compare({ 5.5, 10.9, 20.5 }, { 1.8, 3.0, 4.2 }, { skewed = true }).test, "Mann-Whitney", "skewed")
  T.eq(select(1, stats.compare({ 1 }, { 2, 3 })), nil, "one seed: no test")
end)

T.case("versus_best: all pairs, Holm, deltas against the best", function()
  local groups = { { 1, 2, 3, 4 }, { 11, 12, 13.5, 14 }, { 10.5, 12.5, 13, 14.2 } }
  local rows, best = stats.versus_best(groups, { paired = true })
  T.eq(best, 2, "highest mean"); T.eq(rows[2].best, true, "best row")
  -- three pairs: Holm over all three
  local ps = {}
  for _, pr in ipairs { { 1, 2 }, { 1, 3 }, { 2, 3 } } do ps[#ps + 1] = stats.compare(groups[pr[1]], groups[pr[2]], { paired = true }).p end
  local adj = stats.holm(ps)
  T.close(rows[1].p, ps[1], 1e-15, "raw p vs best"); T.close(rows[1].p_adjusted, adj[1], 1e-15, "Holm over all pairs")
  T.close(rows[3].p_adjusted, adj[3], 1e-15, "pair 2-3")
  T.close(rows[1].delta, 2.5 - 12.625, 1e-12, "delta = group - best")
  T.eq(rows[1].differs, true, "far below the best"); T.eq(rows[3].differs, false, "close to the best")
  local low = stats.versus_best(groups, { higher = false })
  T.eq(low[1].best, true, "lower is better")
end)

local lo3, hi3, mid3 = { 1, 2, 3 }, { 11, 12, 13.5 }, { 1.5, 2.5, 2 }

T.case("judge: higher / lower, and one seed is not tested", function()
  T.eq(stats.judge(hi3, lo3, "higher").verdict, "supported", "found")
  T.eq(stats.judge(lo3, hi3, "higher").verdict, "contradicted", "other way")
  local ct = stats.judge(mid3, lo3, "higher")
  T.eq(ct.verdict, "cant_tell", "within noise")
  T.truthy(ct.detectable and ct.detectable > 0, "cant_tell gives the detectable effect")
  T.eq(stats.judge(lo3, hi3, "lower").verdict, "supported", "lower")
  local one = stats.judge({ 1 }, { 2, 3 }, "higher")
  T.eq(one.verdict, "not_tested", "one seed"); T.contains(one.reason, "two seeds", "why")
  T.close(one.delta, -1.5, 1e-12, "delta still given")
  T.eq(stats.judge(px, py, "higher", { paired = true }).verdict, "supported", "paired finds it")
  T.eq(stats.judge(px, py, "higher").verdict, "cant_tell", "unpaired does not")
end)

T.case("judge: not_higher / not_lower need a margin to be supported", function()
  T.eq(stats.judge(mid3, lo3, "not_higher").verdict, "cant_tell", "a null result never supports")
  T.eq(stats.judge(lo3, hi3, "not_lower").verdict, "contradicted", "worse: contradicted")
  local a, b = { 81.27, 81.10, 81.40 }, { 81.28, 81.20, 81.35 }
  local ni = stats.judge(a, b, "not_lower", { margin = 1 })
  T.eq(ni.verdict, "supported", "non-inferior within 1")
  -- by hand: one-sided Welch p of H0 delta <= -1 = P(T > (delta + 1)/se)
  local w = stats.welch(a, b)
  T.close(ni.p, 1 - stats.t_cdf((w.delta + 1) / w.se, w.df), 1e-12, "non-inferiority p")
  T.eq(stats.judge(hi3, lo3, "not_higher", { margin = 1 }).verdict, "contradicted", "far higher")
  T.eq(stats.judge(mid3, lo3, "not_higher", { margin = 0.01 }).verdict, "cant_tell", "tiny margin")
end)

T.case("judge: similar is equivalent by TOST, contradicted outside the margin", function()
  local a, b = { 81.27, 81.10, 81.40 }, { 81.28, 81.20, 81.35 }
  local e = stats.judge(a, b, "similar", { margin = 0.5 })
  T.eq(e.verdict, "equivalent", "TOST"); T.close(e.p, 0.008335493942825227, 1e-9, "p is TOST's")
  T.eq(stats.judge(hi3, lo3, "similar", { margin = 1 }).verdict, "contradicted", "outside")
  T.eq(stats.judge(mid3, lo3, "similar", { margin = 0.1 }).verdict, "cant_tell", "straddles")
  T.eq(stats.judge(mid3, lo3, "higher", { margin = 0.1 }).verdict, "cant_tell", "higher, margin, unclear")
  T.eq(stats.judge(a, b, "higher", { margin = 0.5 }).verdict, "equivalent", "higher refuted in practice")
  T.fails(function() stats.judge(a, b, "similar") end, "'similar' needs a margin")
  T.fails(function() stats.judge(a, b, "bigger") end, "expect must be higher")
end)

T.case("correct_family: Holm over the verdicts' p, downgrading what is no longer significant", function()
  local vs = { { verdict = "supported", p = 0.006 }, { verdict = "contradicted", p = 0.030 },
               { verdict = "supported", p = 0.048 }, { verdict = "not_tested" }, { verdict = "cant_tell", p = 0.5 } }
  stats.correct_family(vs)
  T.close(vs[1].p_adjusted, 0.024, 1e-15, "0.006 x 4"); T.eq(vs[1].verdict, "supported", "still significant")
  T.eq(vs[2].verdict, "cant_tell", "0.030 -> 0.09"); T.eq(vs[2].downgraded, "contradicted", "what it was")
  T.eq(vs[3].verdict, "cant_tell", "0.048 -> 0.096"); T.eq(vs[4].p_adjusted, nil, "not tested: not in the family")
  T.close(vs[5].p_adjusted, 0.5, 1e-15, "cant_tell counted in m")
  T.eq(vs[3].p, 0.048, "p stays raw")
end)


-- ---------------------------------------------------------------------------
-- Fixes of the review of 60eddfa (references from mpmath, 50 digits).
-- ---------------------------------------------------------------------------

T.case("t_two_sided_p and t_quantile keep their precision at any df, and end for every df > 0", function()
  for _, case in ipairs {
    { 1.96, 1e6, 0.049996067585269791 }, { 3, 1e8, 0.0026997967280374944 }, { 5, 1e10, 5.7330315342206473e-7 },
    { 1.96, 1e12, 0.049995790296718161 }, { 10, 1e16, 1.5239706048324938e-23 }, { 2, 0.5, 0.44551489018313123 },
    { 1.96, 1e300, 0.049995790296440872 }, { 2, math.huge, 0.045500263896358414 },
  } do
    local t, df, want = table.unpack(case)
    local got = stats.t_two_sided_p(t, df)
    T.close(got / want, 1, 1e-9, ("t_two_sided_p(%g, %g) = %.17g, mpmath %.17g"):format(t, df, got, want))
  end
  T.close(stats.t_quantile(0.95, 1e7), 1.9599642217672055, 1e-9, "t(0.975, 1e7)")
  for _, df in ipairs { 1e17, 1e30, 1e100, math.huge } do
    T.close(stats.t_quantile(0.95, df), 1.9599639845400542, 1e-9, ("t(0.975, %g) is the normal's"):format(df))
  end
  T.close(stats.t_quantile(0.95, 0.5), 164.55767348048853, 1e-6, "t(0.975, 0.5): below one df the search ends")
  T.eq(stats.t_quantile(0.95, 0.001), math.huge, "a quantile beyond the largest double")
  T.eq(stats.normal_two_sided_p(math.huge), 0, "P(|Z| >= inf) is 0, not NaN")
  T.eq(stats.t_two_sided_p(math.huge, 3), 0, "and for t")
end)

T.case("a df that is not > 0 is an error naming the function and the value", function()
  for _, df in ipairs { 0, -1, 0 / 0 } do
    T.fails(function() stats.t_quantile(0.95, df) end,
            "stats.t_quantile: df (degrees of freedom) must be a number > 0, got " .. tostring(df))
  end
  T.fails(function() stats.t_two_sided_p(2, 0) end, "stats.t_two_sided_p: df (degrees of freedom) must be a number > 0, got 0")
  T.fails(function() stats.t_two_sided_p(2, -3) end, "stats.t_two_sided_p: df (degrees of freedom) must be a number > 0, got -3")
end)

T.case("NaN or infinite data give p = 1, never 0, in the sign-flip and rank tests", function()
  local nan, inf = 0 / 0, math.huge
  T.eq(stats.sign_flip({ nan, 2, 3 }, { 1, 1, 1 }).p, 1, "sign_flip with a NaN")
  T.eq(stats.sign_flip({ inf, 2, 3 }, { 1, 1, 1 }).p, 1, "sign_flip with an infinity")
  T.eq(stats.compare({ nan, 2, 3 }, { 1, 1, 1 }, { paired = true }).p_exact, 1, "compare's p_exact")
  T.eq(stats.mann_whitney({ nan, nan, nan, nan }, { 1, 2, 3, 4 }).p, 1, "mann_whitney with NaN")
  T.eq(stats.wilcoxon_signed_rank({ nan, 5, 6, 7, 8, 9 }, { 1, 1, 1, 1, 1, 1 }).p, 1, "wilcoxon with a NaN pair")
  T.eq(stats.compare({ nan, 5, 6 }, { 1, 1, 1 }, { skewed = true }).p, 1, "compare's Mann-Whitney")
  T.eq(stats.compare({ nan, 5, 6 }, { 1, 1, 1 }, { skewed = true, paired = true }).p, 1, "compare's Wilcoxon")
end)

T.case("welch on two constant sides gives the exact permutation p, never 0", function()
  local w = stats.welch({ 1, 1, 1 }, { 2, 2, 2 })
  T.close(w.p, 2 / 20, 1e-15, "2 / C(6, 3)")
  T.eq(w.differs, false, "0.1 is not below 0.05")
  T.eq(w.exact, true, "exact")
  T.close(stats.welch({ 1, 1, 1 }, { 2, 2, 2, 2 }).p, 1 / 35, 1e-15, "unequal sizes: 1 / C(7, 3)")
  T.eq(stats.welch({ 1, 1 }, { 1, 1 }).p, 1, "equal constant sides: p = 1")
end)

T.case("a TOST at a level of 0.5 or below is an error naming the function called", function()
  T.fails(function() stats.tost({ 1, 2, 3 }, { 1, 2, 4 }, 1, { level = 0.5 }) end,
          "stats.tost: level must be above 0.5 for an equivalence test (its interval is 1 - 2 × (1 - level)), got 0.5")
  T.fails(function() stats.judge({ 1, 2, 3 }, { 1, 2, 4 }, "similar", { margin = 1, level = 0.3 }) end,
          "stats.judge: level must be above 0.5 for an equivalence test")
  T.eq(stats.judge({ 1, 2, 3 }, { 1, 2, 4 }, "higher", { level = 0.3 }).level, 0.3, "without a margin any level is taken")
end)

T.case("detectable_effect and holm refuse values outside their range", function()
  T.fails(function() stats.detectable_effect(-1, 3) end, "stats.detectable_effect: sd must be a number >= 0, got -1")
  T.fails(function() stats.detectable_effect(1, 0, { n_other = 5 }) end,
          "stats.detectable_effect: n must be a number of seeds >= 1, got 0")
  T.fails(function() stats.detectable_effect(1, 3, { n_other = 0 }) end, "n_other must be a number of seeds >= 1, got 0")
  T.fails(function() stats.holm { -0.5, 0.01 } end, "stats.holm: p-value 1 must be a number between 0 and 1, got -0.5")
  T.fails(function() stats.holm { 0.01, 2 } end, "stats.holm: p-value 2 must be a number between 0 and 1, got 2")
  local adjusted = stats.holm { 0 / 0, 0.01, n = 3 }
  T.close(adjusted[2], 0.02, 1e-15, "NaN still counts as 1 and a hole as not run")
end)

T.case("versus_best: a group of one value is never the best, so the others are tested", function()
  local rows, best = stats.versus_best { { 5 }, { 1, 2, 3 }, { 4, 4.5, 3 } }
  T.eq(best, 3, "the best mean among groups of two values or more")
  T.truthy(rows[2].p ~= nil, "the other testable group is tested against it")
  T.truthy(rows[1].reason ~= nil and rows[1].p == nil, "the one-value group is not")
  T.eq(select(2, stats.versus_best { { 5 }, { 7 } }), nil, "no best without two values somewhere")
end)

-- The share of "differs" in a table when every other variation is worse
-- than the best by the detectable effect the table states.
local function detect_share(k, n, sims)
  local rand = require("nnlab.splitmix")(4242)
  local function uniform() return ((rand() >> 11) + 0.5) / 2 ^ 53 end
  local function normal() return math.sqrt(-2 * math.log(uniform())) * math.cos(2 * math.pi * uniform()) end
  -- the detectable effect for sd 1 of the paired differences (sd 1 / sqrt(2) per side)
  local noise = 1 / math.sqrt(2)
  local effect = stats.detectable_effect(1, n, { paired = true, alpha = 0.05 / (k * (k - 1) / 2) })
  local found, total = 0, 0
  for _ = 1, sims do
    local groups = {}
    for g = 1, k do
      groups[g] = {}
      for s = 1, n do groups[g][s] = (g == 1 and effect or 0) + noise * normal() end
    end
    local rows, best = stats.versus_best(groups, { paired = true })
    if best == 1 then
      T.close(rows[2].detectable / (effect * stats.std((function()
        local d = {}
        for s = 1, n do d[s] = groups[2][s] - groups[1][s] end
        return d
      end)())), 1, 1e-9, "the table's detectable is at 0.05 / the number of pairs")
    end
    for g = 2, k do
      total = total + 1
      if best == 1 and rows[g].differs then found = found + 1 end
    end
  end
  return found / total
end

T.case("a table's detectable effect is found about 80 % of the time after Holm (it was 24 % with 4 variations)", function()
  for _, case in ipairs { { 3, 8 }, { 4, 8 } } do
    local share = detect_share(case[1], case[2], 1500)
    T.truthy(share >= 0.75, ("k = %d, n = %d: %.1f %% of the differences found"):format(case[1], case[2], 100 * share))
  end
end)

T.case("rank tests whose smallest p is not below the deciding alpha can show no difference", function()
  -- 5 pairs: Wilcoxon's smallest p is 2 / 32 = 0.0625 > 0.05
  local c = stats.compare({ 3, 5, 4, 8, 6 }, { 1, 2, 1, 2, 3 }, { paired = true, skewed = true })
  T.close(c.p_min, 0.0625, 1e-15, "2 / 2^5")
  T.eq(c.detectable, math.huge, "no difference can show")
  -- 6 pairs: 2 / 64 < 0.05, but not below 0.05 / 3
  local xs, ys = { 3, 5, 4, 8, 6, 7 }, { 1, 2, 1, 2, 3, 2 }
  T.truthy(stats.compare(xs, ys, { paired = true, skewed = true }).detectable < math.huge, "alone it can")
  T.eq(stats.compare(xs, ys, { paired = true, skewed = true, family = 3 }).detectable, math.huge, "in a family of 3 not")
  T.fails(function() stats.compare(xs, ys, { family = 0 }) end, "stats.compare: family must be an integer >= 1")
  local u = stats.compare({ 1, 2, 3 }, { 4, 5, 6 }, { skewed = true })
  T.close(u.p_min, 2 / 20, 1e-15, "Mann-Whitney 3 + 3: 2 / C(6, 3)")
  T.eq(u.detectable, math.huge, "so no difference can show")
end)

T.case("correct_family recomputes each claim's detectable effect at alpha / the family's size", function()
  local a, b = { 80.1, 81.3, 79.8, 80.9, 81.0 }, { 80.4, 80.9, 80.6, 81.2, 80.5 }
  local vs = {}
  for i = 1, 4 do vs[i] = stats.judge(a, b, "higher", { paired = true }) end
  local alone = vs[1].detectable
  stats.correct_family(vs)
  local c4 = stats.compare(a, b, { paired = true, family = 4 })
  T.close(vs[1].detectable, c4.detectable, 1e-12, "detectable at 0.05 / 4")
  T.truthy(vs[1].detectable > alone, "larger than a single claim's")
end)
T.done()
