-- nnlab.notebook.stats (also nnlab.stats): what a handful of seeds can say.
-- Mean and sample standard deviation, and Welch's two-sided t-test, which
-- decides whether two settings differ by more than seed-to-seed noise (at
-- the 95 % level unless told otherwise). Welch's test does not assume equal variances and, through its
-- degrees of freedom, is as cautious as three seeds per setting require.
-- Below it, issue 18's procedures: paired and exact tests, rank tests,
-- Holm, TOST, the detectable effect, and stats.judge, which turns a test
-- into a verdict on a claim (supported, contradicted, equivalent, can't tell
-- with what the seeds could have detected, not tested).
local errors = require "nnlab.errors"
local option_checks = require "nnlab.options"

local stats = {}

-- opts (nil: {}) after checking that it is a table whose every key is one
-- of names: a misspelt option (pairde = true) is an error at the user's
-- line, never a silent default.
local function known_options(where, opts, names)
  if opts == nil then return {} end
  if type(opts) ~= "table" then errors.raise("%s: options must be a table, got %s", where, errors.value(opts)) end
  for key in pairs(opts) do
    if not names[key] then option_checks.unknown(where, key, names) end
  end
  return opts
end

--- Arithmetic mean of an array of numbers (nil for an empty array).
function stats.mean(xs)
  if #xs == 0 then return nil end
  local sum = 0
  for _, x in ipairs(xs) do sum = sum + x end
  return sum / #xs
end

--- Sample standard deviation (n - 1 in the denominator); nil below 2 values.
function stats.std(xs)
  local n = #xs
  if n < 2 then return nil end
  local m = stats.mean(xs)
  local ss = 0
  for _, x in ipairs(xs) do ss = ss + (x - m) ^ 2 end
  return math.sqrt(ss / (n - 1))
end

-- A standard deviation at most this share of the largest magnitude among
-- the values it came from is rounding, not seed-to-seed noise. Accuracies of
-- 84.78 and 84.76 in three seeds give differences of 0.02 that differ in
-- their last bits (an sd of about 1e-15): read as noise, t would be about
-- 1e13 and p about 0. 1e-12 is some 4500 ulps, and a real spread of a
-- metric is far larger (one test sample of 10^4 moves an accuracy by 1e-4
-- of it).
local ROUNDING = 1e-12

-- The sample sd of values, or 0 when it is rounding (ROUNDING) of the
-- magnitudes of the lists given (of values itself when none is); nil below
-- two values.
local function spread(values, ...)
  local sd = stats.std(values)
  if not sd then return nil end
  local lists, scale = select("#", ...) > 0 and { ... } or { values }, 0
  for _, list in ipairs(lists) do
    for _, x in ipairs(list) do scale = math.max(scale, math.abs(x)) end
  end
  if sd <= ROUNDING * scale then return 0 end
  return sd
end

-- ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 significant digits).
local lanczos = { 0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
                  -176.61502916214059, 12.507343278686905, -0.13857109526572012,
                  9.9843695780195716e-6, 1.5056327351493116e-7 }
local function log_gamma(x)
  if x < 0.5 then return math.log(math.pi / math.abs(math.sin(math.pi * x))) - log_gamma(1 - x) end
  x = x - 1
  local a = lanczos[1]
  local t = x + 7.5
  for i = 2, 9 do a = a + lanczos[i] / (x + i - 1) end
  return 0.5 * math.log(2 * math.pi) + (x + 0.5) * math.log(t) - t + math.log(a)
end

-- Continued fraction of the regularised incomplete beta function (Lentz).
-- (The products are ordered so that a huge b times a tiny x does not overflow.)
local function beta_fraction(a, b, x)
  local tiny, eps = 1e-300, 1e-15
  local c, d = 1, 1 - (a + b) * x / (a + 1)
  if math.abs(d) < tiny then d = tiny end
  d = 1 / d
  local h = d
  for m = 1, 300 do
    local m2 = 2 * m
    local num = m * ((b - m) * x) / ((a + m2 - 1) * (a + m2))
    d = 1 + num * d; if math.abs(d) < tiny then d = tiny end
    c = 1 + num / c; if math.abs(c) < tiny then c = tiny end
    d = 1 / d
    h = h * d * c
    num = -(a + m) * ((a + b + m) * x) / ((a + m2) * (a + m2 + 1))
    d = 1 + num * d; if math.abs(d) < tiny then d = tiny end
    c = 1 + num / c; if math.abs(c) < tiny then c = tiny end
    d = 1 / d
    local step = d * c
    h = h * step
    if math.abs(step - 1) < eps then break end
  end
  return h
end

-- ln(1 + u), accurate for small u (Goldberg's correction of log(1 + u)).
local function log1p(u)
  local w = 1 + u
  if w == 1 then return u end
  return math.log(w) * u / (w - 1)
end

-- ln Γ(a + 1/2) - ln Γ(a); for a >= 20 by its asymptotic series (each
-- ln Γ is about a ln a there, and their difference would keep few digits).
local function log_gamma_half_ratio(a)
  if a < 20 then return log_gamma(a + 0.5) - log_gamma(a) end
  local a2 = a * a
  return 0.5 * math.log(a) - 1 / (8 * a) + 1 / (192 * a * a2) - 1 / (640 * a * a2 * a2)
         + 17 / (14336 * a * a2 * a2 * a2)
end

-- Beyond this many degrees of freedom P(|T| >= t) is the normal tail with
-- Fisher's expansion in 1/df (three terms): the incomplete beta function's
-- continued fraction needs about sqrt(df) steps there. Both are within 1e-9
-- relative of mpmath up to |t| = 20 (tests/lua/test_stats.lua).
local LARGE_DF = 1e7

-- Raises at the user's line unless df is a number > 0 (math.huge: the normal).
local function check_df(who, df)
  if type(df) ~= "number" or not (df > 0) then
    errors.raise("%s: df (degrees of freedom) must be a number > 0, got %s", who, tostring(df))
  end
end

--- P(|T| >= |t|) for Student's t with df degrees of freedom (df may be
--- fractional; math.huge gives the normal). A NaN t gives 1; df must be > 0.
function stats.t_two_sided_p(t, df)
  check_df("stats.t_two_sided_p", df)
  if t ~= t then return 1 end
  t = math.abs(t)
  if t == 0 then return 1 end
  if t == math.huge then return 0 end
  local t2 = t * t
  if df > LARGE_DF then
    local density = math.exp(-t2 / 2) / math.sqrt(2 * math.pi)
    if density == 0 then return 0 end -- below the smallest double
    local g1 = (t2 + 1) * t / 4
    local g2 = (((3 * t2 - 7) * t2 - 5) * t2 - 3) * t / 96
    local g3 = (((((t2 - 11) * t2 + 14) * t2 + 6) * t2 - 3) * t2 - 15) * t / 384
    return stats.normal_two_sided_p(t) + 2 * density * ((g3 / df + g2) / df + g1) / df
  end
  -- I_x(df/2, 1/2) with x = df / (df + t^2); 1 - x and ln x computed so that
  -- a large df does not lose them to rounding
  local a, u = df / 2, t2 / df
  local x, y = df / (df + t2), t2 / (df + t2)
  local ln_x = u < 1 and -log1p(u) or math.log(df) - math.log(df + t2)
  if t2 == math.huge then x, y, ln_x = df / t / t, 1, math.log(df) - 2 * math.log(t) end -- t beyond 1e154
  local front = math.exp(log_gamma_half_ratio(a) - 0.5 * math.log(math.pi) + a * ln_x + 0.5 * math.log(y))
  if x < (a + 1) / (a + 2.5) then return math.min(1, front * beta_fraction(a, 0.5, x) / a) end
  return math.max(0, 1 - 2 * front * beta_fraction(0.5, a, y))
end

--- stats.alpha(level) -> 1 - level, the bar a p must be below, rounded to 12
--- significant digits: 1 - 0.95 is 0.05000000000000004 in doubles, under
--- which an exact p of 1/20 = 0.05 would count as significant.
function stats.alpha(level)
  return tonumber(("%.12g"):format(1 - level))
end

--- stats.check_level(who, level) -> level as `who` takes it: a probability
--- strictly between 0 and 1 (0.95, not 95: at 95 or 1 the quantile search
--- would never end), else an error at the user's line.
function stats.check_level(who, level)
  if type(level) ~= "number" or not (level > 0 and level < 1) then
    errors.raise("%s: level must be between 0 and 1 (0.95 for 95 %%), got %s", who, tostring(level))
  end
  return level
end
local check_level = stats.check_level

-- Welch's standard error of mean(xs) - mean(ys) and its degrees of freedom
-- (nx + ny - 2 when both sides have no spread); two values a side at least.
local function welch_se_df(xs, ys)
  local nx, ny = #xs, #ys
  local vx, vy = spread(xs) ^ 2 / nx, spread(ys) ^ 2 / ny
  local se = math.sqrt(vx + vy)
  return se, se > 0 and (vx + vy) ^ 2 / (vx ^ 2 / (nx - 1) + vy ^ 2 / (ny - 1)) or nx + ny - 2
end

-- The smallest one-sided p of the exact test of data with no spread: the
-- sign flips of n paired differences (only all signs as observed is as
-- extreme: 1 / 2^n), or the splits of nx + ny constant values into two
-- labelled groups (only the observed split: 1 / C(nx + ny, nx)).
local function exact_one_sided_floor(nx, ny, paired)
  if paired then return 0.5 ^ nx end
  local ways = 1
  for i = 1, ny do ways = ways * (nx + i) / i end
  return 1 / ways
end

-- How many such outcomes are as extreme two-sided: the mirror too (every
-- sign flipped, or the labels swapped), except for labels of groups of
-- unequal sizes, which have no mirror split.
local function exact_sides(nx, ny, paired)
  return (paired or nx == ny) and 2 or 1
end

--- Welch's t-test of the means of xs and ys.
--- Returns { differs, p, t, df, delta (mean(xs) - mean(ys)), se, level }, or
--- nil and a reason when either side has fewer than two values (noise unknown).
--- differs is true when p < 1 - level (level 0.95 by default; a level
--- outside (0, 1), such as 95, is an error). When both sides are exactly
--- repeatable (both standard deviations 0, or rounding: ROUNDING) t is
--- undefined: with equal means p = 1; else p is NOT 0 but the exact
--- permutation p of the two labels (only the observed split, and its mirror
--- when nx = ny, is as extreme: sides / C(nx + ny, nx), 2 / 20 for 3 a
--- side), with exact = true, sides and reason.
function stats.welch(xs, ys, level)
  level = check_level("stats.welch", level or 0.95)
  local nx, ny = #xs, #ys
  if nx < 2 or ny < 2 then return nil, "needs at least two seeds per side to measure noise" end
  local se, df = welch_se_df(xs, ys)
  local delta = stats.mean(xs) - stats.mean(ys)
  if se == 0 then
    local out = { differs = false, p = 1, t = 0, df = df, delta = delta, se = 0, level = level, ci = { delta, delta } }
    if delta ~= 0 then
      out.sides = exact_sides(nx, ny, false)
      out.p = out.sides * exact_one_sided_floor(nx, ny, false)
      out.exact, out.t = true, delta > 0 and math.huge or -math.huge
      out.reason = "every seed gave the same value on each side"
      out.differs = out.p < stats.alpha(level)
    end
    return out
  end
  local t = delta / se
  local p = stats.t_two_sided_p(t, df)
  local half = stats.t_quantile(level, df) * se
  return { differs = p < stats.alpha(level), p = p, t = t, df = df, delta = delta, se = se, level = level,
           ci = { delta - half, delta + half } }
end

--- The t with P(|T| <= t) = level for Student's t with df degrees of freedom
--- (the half-width of a two-sided confidence interval, in standard errors;
--- df > 0, math.huge for the normal; math.huge when the quantile is beyond
--- the largest double, as for level 0.95 at df 0.01).
local quantile_cache, quantile_cached = {}, 0
function stats.t_quantile(level, df)
  check_level("stats.t_quantile", level)
  check_df("stats.t_quantile", df)
  local key = level .. "|" .. df
  local hit = quantile_cache[key]
  if hit then return hit end
  local q = stats.t_quantile_uncached(level, df)
  if quantile_cached < 10000 then quantile_cache[key], quantile_cached = q, quantile_cached + 1 end
  return q
end

-- The bisection behind stats.t_quantile (which remembers up to 10 000 answers).
function stats.t_quantile_uncached(level, df)
  local lo, hi = 0.0, 1.0 -- floats: an integer hi doubled 64 times wraps to 0
  while stats.t_two_sided_p(hi, df) > 1 - level do
    lo, hi = hi, hi * 2
    if hi == math.huge then return math.huge end
  end
  for _ = 1, 200 do
    local mid = (lo + hi) / 2
    if stats.t_two_sided_p(mid, df) > 1 - level then lo = mid else hi = mid end
    if hi - lo < 1e-12 * hi then break end
  end
  return (lo + hi) / 2
end

-- ---------------------------------------------------------------------------
-- Issue 18, "honest verdicts": paired tests, exact small-sample tests, rank
-- tests for skewed metrics, multiplicity (Holm), equivalence (TOST), power
-- (the minimum detectable effect) and stats.judge, the verdict on a claim.
-- ---------------------------------------------------------------------------

--- P(T <= t) for Student's t with df degrees of freedom.
function stats.t_cdf(t, df)
  if t ~= t then return 0.5 end
  local tail = stats.t_two_sided_p(t, df) / 2
  return t > 0 and 1 - tail or tail
end

--- The t with P(T <= t) = prob for Student's t with df degrees of freedom
--- (prob strictly between 0 and 1; 0.8 gives the 80th percentile).
function stats.t_one_sided_quantile(prob, df)
  check_level("stats.t_one_sided_quantile", prob)
  if prob == 0.5 then return 0 end
  local q = stats.t_quantile(math.abs(2 * prob - 1), df)
  return prob > 0.5 and q or -q
end

-- Q(a, x), the regularised upper incomplete gamma function (series below
-- a + 1, continued fraction above), for the normal tail.
local function gamma_q(a, x)
  if x <= 0 then return 1 end
  local front = math.exp(-x + a * math.log(x) - log_gamma(a))
  if x < a + 1 then
    local sum, term, ap = 1 / a, 1 / a, a
    for _ = 1, 500 do
      ap = ap + 1; term = term * x / ap; sum = sum + term
      if math.abs(term) < math.abs(sum) * 1e-16 then break end
    end
    return 1 - sum * front
  end
  local tiny = 1e-300
  local b = x + 1 - a
  local c, d = 1 / tiny, 1 / b
  local h = d
  for i = 1, 500 do
    local an = -i * (i - a)
    b = b + 2
    d = an * d + b; if math.abs(d) < tiny then d = tiny end
    c = b + an / c; if math.abs(c) < tiny then c = tiny end
    d = 1 / d
    local step = d * c
    h = h * step
    if math.abs(step - 1) < 1e-16 then break end
  end
  return front * h
end

--- P(|Z| >= |z|) for a standard normal Z.
function stats.normal_two_sided_p(z)
  if z ~= z then return 1 end
  if z == math.huge or z == -math.huge then return 0 end
  return gamma_q(0.5, z * z / 2)
end

local function differences(who, xs, ys)
  if #xs ~= #ys then
    errors.raise("%s: xs and ys must have the same length (paired by seed), got %d and %d", who, #xs, #ys)
  end
  local d = {}
  for i = 1, #xs do d[i] = xs[i] - ys[i] end
  return d
end

-- SplitMix64: a fixed-seed generator for the Monte Carlo fallback of
-- stats.sign_flip (deterministic, so reports are reproducible).
local splitmix = require "nnlab.splitmix"

--- stats.sign_flip(xs, ys) -> { p, n, exact }: the two-sided permutation test
--- of paired differences d = xs[i] - ys[i]. Under the null hypothesis (no
--- effect), each difference is as likely to be +d as -d, so every one of the
--- 2^n sign flips is equally likely; p is the share of flips whose
--- |sum| (equivalently |mean difference|) is at least the observed one, ties
--- counted as at least (within 1e-12 relative). It assumes nothing about the
--- distribution except symmetry of the null differences. With n <= 20 all
--- 2^n flips are enumerated (exact = true); the smallest possible p is
--- 2 / 2^n (0.25 with 3 seeds, 0.0625 with 5): no p below that can come from
--- so few seeds. Above 20, 200 000 random flips from a fixed-seed SplitMix64
--- give p = (1 + hits) / (1 + draws) (exact = false, reproducible).
--- A NaN or infinite difference has no sum to flip: p = 1, as for a NaN t.
function stats.sign_flip(xs, ys)
  local d = differences("stats.sign_flip", xs, ys)
  local n = #d
  if n == 0 then return { p = 1, n = 0, exact = true } end
  local obs, scale = 0, 0
  for i = 1, n do obs = obs + d[i]; scale = scale + math.abs(d[i]) end
  if scale ~= scale or scale == math.huge then return { p = 1, n = n, exact = true, reason = "a difference is NaN or infinite" } end
  local bar = math.abs(obs) - 1e-12 * scale
  if n <= 20 then
    local sign, s, hits = {}, obs, 0
    for i = 1, n do sign[i] = 1 end
    if math.abs(s) >= bar then hits = 1 end
    for k = 1, (1 << n) - 1 do
      local i = 1
      while (k >> (i - 1)) & 1 == 0 do i = i + 1 end -- the lowest set bit: Gray-code order
      s = s - 2 * sign[i] * d[i]
      sign[i] = -sign[i]
      if math.abs(s) >= bar then hits = hits + 1 end
    end
    return { p = hits / (1 << n), n = n, exact = true }
  end
  local draws, hits, rand = 200000, 0, splitmix(20180318)
  for _ = 1, draws do
    local s, bits, left = 0, 0, 0
    for i = 1, n do
      if left == 0 then bits, left = rand(), 64 end
      s = s + ((bits & 1 == 1) and d[i] or -d[i])
      bits, left = bits >> 1, left - 1
    end
    if math.abs(s) >= bar then hits = hits + 1 end
  end
  return { p = (1 + hits) / (1 + draws), n = n, exact = false }
end

--- stats.paired_t(xs, ys [, level = 0.95]) -> { differs, p, t, df = n - 1,
--- delta = mean(xs - ys), se, ci, level, n }: Student's t on the paired
--- differences xs[i] - ys[i] (xs[i] and ys[i] come from the same seed: same
--- initial weights and shuffle). Pairing removes the seed-to-seed variation
--- both sides share, so it sees effects Welch's test misses. xs and ys must
--- have the same length (an error otherwise); nil and a reason below two
--- pairs. When every seed moved by the same amount (the differences have
--- no spread beyond rounding: ROUNDING) the t statistic is undefined: with delta = 0, p = 1; else
--- p is NOT 0 (that would claim certainty from a handful of seeds) but the
--- exact sign-flip p (stats.sign_flip, 2 / 2^n here), with exact = true and
--- reason "every seed moved by the same amount"; ci is then {delta, delta}.
function stats.paired_t(xs, ys, level)
  level = check_level("stats.paired_t", level or 0.95)
  local d = differences("stats.paired_t", xs, ys)
  local n = #d
  if n < 2 then return nil, "needs at least two seeds per side to measure noise" end
  local delta, sd = stats.mean(d), spread(d, xs, ys)
  local se = sd / math.sqrt(n)
  if se == 0 then
    if delta == 0 then
      return { differs = false, p = 1, t = 0, df = n - 1, delta = 0, se = 0, ci = { 0, 0 }, level = level, n = n }
    end
    local p = stats.sign_flip(xs, ys).p
    return { differs = p < stats.alpha(level), p = p, exact = true, t = delta > 0 and math.huge or -math.huge, df = n - 1,
             delta = delta, se = 0, ci = { delta, delta }, level = level, n = n,
             reason = "every seed moved by the same amount" }
  end
  local t = delta / se
  local p = stats.t_two_sided_p(t, n - 1)
  local half = stats.t_quantile(level, n - 1) * se
  return { differs = p < stats.alpha(level), p = p, t = t, df = n - 1, delta = delta, se = se,
           ci = { delta - half, delta + half }, level = level, n = n }
end

-- Average ranks (1-based) of values; ties share the mean of their ranks.
-- Returns the ranks and the list of tie-group sizes.
local function average_ranks(values)
  local order = {}
  for i = 1, #values do order[i] = i end
  table.sort(order, function(a, b) return values[a] < values[b] end)
  local ranks, ties, i = {}, {}, 1
  while i <= #order do
    local j = i
    while j < #order and values[order[j + 1]] == values[order[i]] do j = j + 1 end
    for k = i, j do ranks[order[k]] = (i + j) / 2 end
    if j > i then ties[#ties + 1] = j - i + 1 end
    i = j + 1
  end
  return ranks, ties
end

--- stats.wilcoxon_signed_rank(xs, ys) -> { p, statistic, w_plus, n, zeros,
--- exact = true }: Wilcoxon's signed-rank test of paired differences
--- xs[i] - ys[i], for skewed metrics where a mean is led by one seed. Zero
--- differences are dropped (Wilcoxon's convention, scipy's
--- zero_method = "wilcox"; zeros counts them, n is what is left); tied |d| get
--- average ranks. statistic = min(W+, W-) as scipy reports it. p is exact for
--- every n: the null distribution of W+ (each rank's sign + or - with
--- probability 1/2, conditional on the ranks observed, ties included) is
--- built by dynamic programming over doubled ranks; p = P(|W+ - E| >=
--- |w+ - E|). With no ties it equals scipy.stats.wilcoxon(mode="exact").
--- With nothing left (all differences 0), p = 1. The smallest p with n
--- nonzero differences is 2 / 2^n (0.25 with 3 seeds): p_min. A NaN
--- difference has no rank: p = 1 (and p_min = 1), as for a NaN t.
function stats.wilcoxon_signed_rank(xs, ys)
  local all = differences("stats.wilcoxon_signed_rank", xs, ys)
  local d, abs = {}, {}
  for _, v in ipairs(all) do
    if v ~= v then
      return { p = 1, p_min = 1, statistic = 0 / 0, w_plus = 0 / 0, n = #all, zeros = 0, exact = true,
               reason = "a difference is NaN" }
    end
    if v ~= 0 then d[#d + 1] = v; abs[#abs + 1] = math.abs(v) end
  end
  local n = #d
  local zeros = #all - n
  if n == 0 then return { p = 1, p_min = 1, statistic = 0, w_plus = 0, n = 0, zeros = zeros, exact = true } end
  local ranks = average_ranks(abs)
  local w2, total2, dist = 0, 0, { [0] = 1 }
  for i = 1, n do
    local r2 = math.floor(2 * ranks[i] + 0.5)
    if d[i] > 0 then w2 = w2 + r2 end
    local next_dist = {}
    for s = 0, total2 + r2 do
      next_dist[s] = 0.5 * ((dist[s] or 0) + (dist[s - r2] or 0))
    end
    dist, total2 = next_dist, total2 + r2
  end
  local centre = total2 / 2
  local bar = math.abs(w2 - centre) - 1e-9
  local p = 0
  for s = 0, total2 do
    if math.abs(s - centre) >= bar then p = p + dist[s] end
  end
  local w_plus = w2 / 2
  return { p = math.min(1, p), p_min = 2 * 0.5 ^ n, statistic = math.min(w_plus, total2 / 2 - w_plus),
           w_plus = w_plus, n = n, zeros = zeros, exact = true }
end

local MANN_WHITNEY_EXACT = 40

--- stats.mann_whitney(xs, ys) -> { p, statistic = U of xs, nx, ny, exact }:
--- the Mann-Whitney U (Wilcoxon rank-sum) test of two independent samples,
--- for skewed or zero-inflated metrics. Ties get average ranks; U = rank sum
--- of xs - nx(nx+1)/2 (scipy's U1). With nx + ny <= 40 p is exact: the
--- permutation distribution of the rank sum over all C(nx+ny, nx) ways to
--- split the observed ranks (ties included, by dynamic programming), p =
--- P(|U - E| >= |u - E|) (without ties: scipy's method = "exact"). Above 40
--- values, the normal approximation with the tie correction of the variance
--- and a 0.5 continuity correction (scipy's method = "asymptotic"). p_min
--- is the smallest p the test can give with these ranks (2 / C(nx + ny, nx)
--- without ties when exact). Nil and a reason when a side is empty. A NaN
--- value has no rank: p = 1 (and p_min = 1), as for a NaN t.
function stats.mann_whitney(xs, ys)
  local nx, ny = #xs, #ys
  if nx == 0 or ny == 0 then return nil, "needs at least one value per side" end
  local all = {}
  for i = 1, nx do all[i] = xs[i] end
  for i = 1, ny do all[nx + i] = ys[i] end
  for i = 1, nx + ny do
    if all[i] ~= all[i] then
      return { p = 1, p_min = 1, statistic = 0 / 0, nx = nx, ny = ny, exact = true, reason = "a value is NaN" }
    end
  end
  local ranks, ties = average_ranks(all)
  local N = nx + ny
  local r1 = 0
  for i = 1, nx do r1 = r1 + ranks[i] end
  local u = r1 - nx * (nx + 1) / 2
  local mu = nx * ny / 2
  if N <= MANN_WHITNEY_EXACT then
    -- ways[j][s]: the number of j-subsets of the values seen so far whose
    -- doubled ranks sum to s.
    local ways = { [0] = { [0] = 1 } }
    for j = 1, nx do ways[j] = {} end
    for i = 1, N do
      local r2 = math.floor(2 * ranks[i] + 0.5)
      for j = math.min(i, nx), 1, -1 do
        local to, from = ways[j], ways[j - 1]
        for s, c in pairs(from) do to[s + r2] = (to[s + r2] or 0) + c end
      end
    end
    local total, hits, widest, at_widest = 0, 0, -1, 0
    local centre2 = nx * (N + 1) -- E(2 R1)
    local bar = math.abs(2 * r1 - centre2) - 1e-9
    for s, c in pairs(ways[nx]) do
      total = total + c
      local off = math.abs(s - centre2)
      if off >= bar then hits = hits + c end
      if off > widest + 1e-9 then widest, at_widest = off, c elseif off >= widest - 1e-9 then at_widest = at_widest + c end
    end
    return { p = math.min(1, hits / total), p_min = math.min(1, at_widest / total), statistic = u, nx = nx, ny = ny,
             exact = true }
  end
  local tie_sum = 0
  for _, t in ipairs(ties) do tie_sum = tie_sum + t ^ 3 - t end
  local var = nx * ny / 12 * ((N + 1) - tie_sum / (N * (N - 1)))
  if var <= 0 then return { p = 1, p_min = 1, statistic = u, nx = nx, ny = ny, exact = false } end
  local z = math.max(0, math.abs(u - mu) - 0.5) / math.sqrt(var)
  return { p = math.min(1, stats.normal_two_sided_p(z)), statistic = u, nx = nx, ny = ny, exact = false, z = z,
           p_min = math.min(1, stats.normal_two_sided_p(math.max(0, mu - 0.5) / math.sqrt(var))) }
end

--- stats.holm(ps) -> adjusted p-values in the same order (Holm's step-down:
--- the i-th smallest of m p-values times (m - i + 1), made monotone by a
--- running maximum, capped at 1). It keeps the chance of any false
--- "differs" in the whole family at most alpha, whatever the dependence
--- between the tests. nil entries (tests not run) stay nil and are not
--- counted in m; ps may have holes (its length is its largest index, or
--- ps.n when given). A NaN p counts as 1: it shows nothing. Any other p
--- must be a number between 0 and 1 (an error otherwise).
function stats.holm(ps)
  local n = ps.n or 0
  for k in pairs(ps) do if math.type(k) == "integer" and k > n then n = k end end
  for i = 1, n do
    local p = ps[i]
    if p ~= nil and p == p and not (type(p) == "number" and p >= 0 and p <= 1) then
      errors.raise("stats.holm: p-value %d must be a number between 0 and 1, got %s", i, errors.value(p))
    end
  end
  local idx, p = {}, {}
  for i = 1, n do
    if ps[i] ~= nil then idx[#idx + 1], p[i] = i, ps[i] == ps[i] and ps[i] or 1 end -- NaN: no evidence, p = 1
  end
  table.sort(idx, function(a, b) if p[a] ~= p[b] then return p[a] < p[b] end return a < b end)
  local m, out, running = #idx, {}, 0
  for rank, i in ipairs(idx) do
    running = math.max(running, math.min(1, (m - rank + 1) * p[i]))
    out[i] = running
  end
  out.n = n
  return out
end

-- The standard error and degrees of freedom of mean(xs) - mean(ys):
-- paired (the differences' sd / sqrt(n), n - 1) or Welch's.
local function se_df(xs, ys, paired)
  if paired then
    local d = differences("stats.tost", xs, ys)
    if #d < 2 then return nil end
    return stats.mean(d), spread(d, xs, ys) / math.sqrt(#d), #d - 1
  end
  if #xs < 2 or #ys < 2 then return nil end
  return stats.mean(xs) - stats.mean(ys), welch_se_df(xs, ys)
end

-- The level of a TOST, checked for `who`: its interval has level 1 - 2 alpha,
-- which exists only for level > 0.5.
local function check_tost_level(who, level)
  check_level(who, level)
  if not (level > 0.5) then
    errors.raise("%s: level must be above 0.5 for an equivalence test (its interval is 1 - 2 × (1 - level)), got %s",
                 who, tostring(level))
  end
  return level
end

--- stats.tost(xs, ys, margin [, { paired = false, level = 0.95 }]) ->
--- { equivalent, p, p_lower, p_upper, ci, delta, se, df, margin, level }:
--- Schuirmann's two one-sided t tests that |mean(xs) - mean(ys)| < margin:
--- H0 delta <= -margin (p_lower) and H0 delta >= +margin (p_upper), each at
--- alpha = 1 - level; p is the larger, equivalent = p < alpha, which is the
--- same as the 1 - 2 alpha confidence interval ci (90 % for level 0.95)
--- lying inside (-margin, +margin). Paired (differences, df = n - 1) or
--- Welch. Nil and a reason below two seeds a side. With no spread (se = 0,
--- or rounding) the t tests are undefined and each one-sided test is the
--- exact one (sign flips when paired, else the labels' permutations): its p
--- is 1 / 2^n (1 / C(nx + ny, nx)) when delta lies on the margin's inner
--- side, else 1; exact = true, ci = {delta, delta}, and reason says why. So
--- three seeds never show equivalence from no spread (1/8 > 0.05). level
--- must be above 0.5 (an error otherwise: the interval would not exist).
function stats.tost(xs, ys, margin, options)
  options = known_options("stats.tost", options, { level = true, paired = true })
  local level = check_tost_level("stats.tost", options.level or 0.95)
  if type(margin) ~= "number" or not (margin > 0) then
    errors.raise("stats.tost: margin must be a number > 0, got %s", tostring(margin))
  end
  local delta, se, df = se_df(xs, ys, options.paired)
  if not delta then return nil, "needs at least two seeds per side to measure noise" end
  local alpha = stats.alpha(level)
  if se == 0 then
    local floor = exact_one_sided_floor(#xs, #ys, options.paired)
    local p_lower, p_upper = delta > -margin and floor or 1, delta < margin and floor or 1
    local p = math.max(p_lower, p_upper)
    return { equivalent = p < alpha, p = p, p_lower = p_lower, p_upper = p_upper, exact = true, ci = { delta, delta },
             delta = delta, se = 0, df = df, margin = margin, level = level,
             reason = "no spread: every seed gave the same difference" }
  end
  local p_lower = 1 - stats.t_cdf((delta + margin) / se, df)
  local p_upper = stats.t_cdf((delta - margin) / se, df)
  local p = math.max(p_lower, p_upper)
  local half = stats.t_quantile(1 - 2 * alpha, df) * se
  return { equivalent = p < alpha, p = p, p_lower = p_lower, p_upper = p_upper, ci = { delta - half, delta + half },
           delta = delta, se = se, df = df, margin = margin, level = level }
end

-- Φ(x), the standard normal distribution function.
local function normal_cdf(x)
  local tail = stats.normal_two_sided_p(x) / 2
  return x > 0 and 1 - tail or tail
end

-- The 10-point Gauss-Legendre rule on [-1, 1]: nodes ±GL_X[i], weights GL_W[i].
local GL_X = { 0.1488743389816312, 0.4333953941292472, 0.6794095682990244, 0.8650633666889845, 0.9739065285171717 }
local GL_W = { 0.2955242247147529, 0.2692667193099963, 0.2190863625159820, 0.1494513491505806, 0.0666713443086881 }

--- stats.noncentral_t_power(ncp, df, alpha) -> P(|T'| > c), the power of a
--- two-sided t test at alpha with df degrees of freedom (df >= 1, may be
--- fractional) when the statistic is noncentral t with noncentrality ncp
--- (the true difference over the true standard error); c = the test's
--- critical t (stats.t_quantile(1 - alpha, df)). With T' = (Z + ncp) / S,
--- S = sqrt(V / df), V chi-square with df degrees of freedom:
--- P(|T'| > c) = E[Φ(ncp - c S) + Φ(-ncp - c S)] (both tails), integrated
--- over the density of S: 10-point Gauss-Legendre panels on 1 ± 9 /
--- sqrt(df) (beyond which S has less than 1e-18 of its mass), 8 of them
--- on each side of and across the step of Φ(ncp - c S) (within 8 / c of
--- ncp / c), and geometric ones towards 0 for a fractional df (S^(df - 1)
--- is not smooth there); divided by the same rule's integral of the
--- density, which cancels most of the rule's error. Within 1e-12 of mpmath
--- for df 1 to 30 and alpha 0.05 to 0.001, 1e-7 at a fractional df
--- (tests/lua/test_stats.lua).
function stats.noncentral_t_power(ncp, df, alpha)
  check_df("stats.noncentral_t_power", df)
  check_level("stats.noncentral_t_power (alpha)", alpha)
  ncp = math.abs(ncp) -- the power is symmetric in it
  local c = stats.t_quantile(1 - alpha, df)
  local log_front = (df / 2) * math.log(df / 2) - log_gamma(df / 2)
  local width = 9 / math.sqrt(df)
  local lo, hi = math.max(0, 1 - width), 1 + width
  local mass, sum = 0, 0
  local function panel(a, b)
    local mid, half = (a + b) / 2, (b - a) / 2
    for i = 1, 5 do
      for _, sign in ipairs { -1, 1 } do
        local s = mid + sign * half * GL_X[i]
        local f = half * GL_W[i] * math.exp(log_front + (df - 1) * math.log(s) - df * s * s / 2)
        mass = mass + f
        sum = sum + f * (normal_cdf(ncp - c * s) + normal_cdf(-ncp - c * s))
      end
    end
  end
  -- segments: the near tail's step, Φ(ncp - c S) going from 1 to 0 within
  -- 8 / c of ncp / c, gets panels of its own
  local cuts = { lo }
  for _, x in ipairs { ncp / c - 8 / c, ncp / c + 8 / c } do
    if x > cuts[#cuts] and x < hi then cuts[#cuts + 1] = x end
  end
  cuts[#cuts + 1] = hi
  for k = 1, #cuts - 1 do
    local a, b = cuts[k], cuts[k + 1]
    if a == 0 and df ~= math.floor(df) then
      -- S^(df - 1) near 0 with a fractional df is not smooth: geometric panels
      local first = b / 2 ^ 30
      for _ = 1, 30 do panel(first, 2 * first); first = 2 * first end
    else
      for j = 0, 7 do panel(a + j * (b - a) / 8, a + (j + 1) * (b - a) / 8) end
    end
  end
  return sum / mass
end

-- The noncentrality at which a two-sided t test at alpha with df degrees of
-- freedom has the power asked (stats.noncentral_t_power, which rises with
-- it), by regula falsi (Illinois) in a bracket from the central-t
-- approximation (up or down), to 1e-10 relative or 1e-12 in power, on the
-- side of at least that power; remembered per (df, alpha, power).
local ncp_cache, ncp_cached = {}, 0
local function ncp_for_power(df, alpha, power)
  local key = df .. "|" .. alpha .. "|" .. power
  local hit = ncp_cache[key]
  if hit then return hit end
  -- a test at alpha rejects with probability alpha at ncp 0 already
  if power <= alpha then return 0 end
  local function gap(ncp) return stats.noncentral_t_power(ncp, df, alpha) - power end
  local start = math.max(0, stats.t_one_sided_quantile(1 - alpha / 2, df) + stats.t_one_sided_quantile(power, df))
  local lo, hi, g_lo, g_hi = start, start, gap(start), gap(start)
  while g_hi < 0 do -- the approximation is short of the power (few df): up
    lo, g_lo = hi, g_hi
    hi = hi * 1.25 + 0.1
    g_hi = gap(hi)
  end
  while g_lo >= 0 and lo > 1e-300 do -- or beyond it (many df): down (power > alpha: it ends)
    hi, g_hi = lo, g_lo
    lo = lo * 0.9
    g_lo = gap(lo)
  end
  local side = 0
  for _ = 1, 100 do
    if hi - lo <= 1e-10 * hi or g_hi < 1e-12 then break end
    local mid = (lo * g_hi - hi * g_lo) / (g_hi - g_lo)
    if not (mid > lo and mid < hi) then mid = (lo + hi) / 2 end
    local g = gap(mid)
    if g < 0 then
      lo, g_lo = mid, g
      if side == -1 then g_hi = g_hi / 2 end
      side = -1
    else
      hi, g_hi = mid, g
      if side == 1 then g_lo = g_lo / 2 end
      side = 1
    end
  end
  if ncp_cached < 10000 then ncp_cache[key], ncp_cached = hi, ncp_cached + 1 end
  return hi
end

--- stats.detectable_effect(sd, n [, { paired = false, alpha = 0.05,
--- power = 0.8, n_other = n, sd_other = sd }]) -> the smallest true
--- difference of means that the two-sided t test at alpha finds with
--- probability `power` (at least), in the metric's units, from the power of
--- the test under the noncentral t (stats.noncentral_t_power): ncp * se,
--- ncp the noncentrality at which that power is reached with df degrees of
--- freedom (remembered per (df, alpha, power), so the effect scales with
--- the sd at no cost).
--- Paired (the paired t test): sd is the sd of the per-seed differences,
--- se = sd / sqrt(n), df = n - 1; the power is exact for normal
--- differences of that sd.
--- Unpaired (Welch's test): sd and sd_other are the two sides' sds and se =
--- sqrt(sd^2 / n + sd_other^2 / n_other), as the test computes it. Welch's
--- degrees of freedom are themselves estimated from the seeds (between
--- min(n, n_other) - 1 and n + n_other - 2), and the noncentral t at the
--- df of the true sds overstates the power (0.70 instead of 0.80 at 3
--- seeds a side with equal sds); so df is the smallest they can be, min(n,
--- n_other) - 1, and the power is at least `power`, more when the sds are
--- alike: with equal sds a side, simulated in tests/lua/test_stats.lua,
--- 0.95 at 3 seeds a side, 0.89 at 5, 0.84 at 10 (alpha 0.05).
--- nil below two seeds (paired) or two a side (unpaired), or without an
--- sd. sd (sd_other) must be a number >= 0 and n, n_other numbers >= 1
--- (errors otherwise).
function stats.detectable_effect(sd, n, options)
  options = known_options("stats.detectable_effect", options,
                          { alpha = true, n_other = true, paired = true, power = true, sd_other = true })
  local alpha, power = options.alpha or 0.05, options.power or 0.8
  check_level("stats.detectable_effect (alpha)", alpha)
  check_level("stats.detectable_effect (power)", power)
  if not sd or not n then return nil end
  for _, value in ipairs { { "sd", sd }, { "sd_other", options.sd_other or sd } } do
    if type(value[2]) ~= "number" or not (value[2] >= 0 and value[2] < math.huge) then
      errors.raise("stats.detectable_effect: %s must be a number >= 0, got %s", value[1], errors.value(value[2]))
    end
  end
  for _, count in ipairs { { "n", n }, { "n_other", options.n_other or n } } do
    if type(count[2]) ~= "number" or not (count[2] >= 1 and count[2] < math.huge) then
      errors.raise("stats.detectable_effect: %s must be a number of seeds >= 1, got %s", count[1], errors.value(count[2]))
    end
  end
  local se, df
  if options.paired then
    se, df = sd / math.sqrt(n), n - 1
  else
    local m = options.n_other or n
    if n < 2 or m < 2 then return nil end
    se, df = math.sqrt(sd ^ 2 / n + (options.sd_other or sd) ^ 2 / m), math.min(n, m) - 1
  end
  if df < 1 then return nil end
  return ncp_for_power(df, alpha, power) * se
end

-- The pooled standard deviation of two samples.
local function pooled_sd(xs, ys)
  local nx, ny = #xs, #ys
  return math.sqrt(((nx - 1) * spread(xs) ^ 2 + (ny - 1) * spread(ys) ^ 2) / (nx + ny - 2))
end

-- The detectable effect of a comparison c (stats.compare's fields sd, sd_x,
-- sd_y, p_min, paired, n, nx, ny) for a test at alpha, the bar of the
-- correction's first step (Holm's, the only one of Bonferroni's), in a
-- family whose laxest bar is `last` (Holm's last step, 1 - level; alpha
-- itself for Bonferroni or a single test). Returns math.huge (no difference,
-- however large, can show) when the test's smallest possible p, p_min (an
-- exact or rank test's), is not below `last`: no step can pass it. When
-- p_min is below `last` but not below alpha, nil and true (later_step):
-- these seeds alone cannot pass the first step, only a later one, which
-- depends on the family's other p-values, so no effect is found 80 % of
-- the time whatever they are. Else 0 (any difference shows) when there is
-- no spread, whose test is exact; nil for NaN data; else
-- stats.detectable_effect (Welch's from the two sides' sds when unpaired).
local DETECT_POWER = 0.8
local function detectable_at(c, alpha, last)
  if c.p_min and not (c.p_min < last) then return math.huge end
  if c.p_min and not (c.p_min < alpha) then return nil, true end
  if c.sd == 0 then return 0 end
  if c.sd ~= c.sd then return nil end -- NaN data: no noise to speak of
  -- a test at alpha >= 0.8 "finds" 80 % with no effect at all: no bound to give
  if alpha >= DETECT_POWER then return nil end
  if c.paired then return stats.detectable_effect(c.sd, c.n, { paired = true, alpha = alpha }) end
  return stats.detectable_effect(c.sd_x, c.nx, { n_other = c.ny, sd_other = c.sd_y, alpha = alpha })
end

--- stats.settle_later_steps(cs, n, alpha) -> cs: for a family of n tests
--- Holm-corrected together at alpha (cs[i]: stats.compare's table, or a
--- verdict; a hole: not in the family), each member with later_step
--- (stats.compare) that could not pass Holm even with every p of the family
--- at the smallest its test can give (p_min; 0 for a t test with a spread:
--- a smaller p elsewhere only helps) gets detectable = math.huge and
--- later_step = nil: these seeds can show no difference in this family (a
--- table whose pairs are all Wilcoxon on 6 seeds: 2 / 64 is every pair's
--- floor, and no first step passes).
function stats.settle_later_steps(cs, n, alpha)
  local floors = { n = n }
  for i = 1, n do floors[i] = cs[i] and (cs[i].p_min or 0) or nil end
  local adjusted = stats.holm(floors)
  for i = 1, n do
    local c = cs[i]
    if c and c.later_step and not (adjusted[i] < alpha) then c.detectable, c.later_step = math.huge, nil end
  end
  return cs
end

--- stats.compare(xs, ys [, { paired = false, skewed = false, level = 0.95,
--- family = 1, correction = "holm", exact = true }]) -> { differs, p, delta = mean(xs) -
--- mean(ys), ci, test, detectable, later_step, n, level, ... }, or nil and
--- a reason (fewer than two seeds a side):
---   paired (xs[i], ys[i] share seed i)  -> "paired t" (stats.paired_t), with
---       p_exact, the exact sign-flip p (stats.sign_flip), beside it (not
---       with exact = false: 2^n sign flips, which tables of many pairs skip);
---   unpaired -> "Welch t" (stats.welch; when both sides are exactly
---       constant p is the exact permutation p of the two labels, never 0);
---   skewed = true -> rank tests on the values: "Wilcoxon signed-rank"
---       (paired) or "Mann-Whitney" (unpaired), ci = nil. For skewed,
---       zero-inflated metrics (an oscillation measure that is 0 in some
---       seeds and large in one) a mean and a t-test are led by one seed;
---       ranks are not.
--- detectable is the effect these seeds would find 80 % of the time with p
--- below (1 - level) / family (stats.detectable_effect from the observed
--- sds: of the differences when paired, exact for the paired t test; each
--- side's when unpaired, about 80 % for Welch's test; for the rank tests it
--- is the t test's, an indication). family (default 1) is the number of
--- p-values corrected together, by Holm (correction = "holm", the default)
--- or Bonferroni (correction = "bonferroni"): a p below alpha / family
--- passes either correction whatever the others are (it is Holm's first
--- step), so at least 80 % of such effects are found after the correction
--- too. p_min is the smallest p the test can give with these seeds (the
--- rank tests' and, with no spread, the exact tests'; nil for a t test with
--- a spread): when it is not below the correction's laxest bar (1 - level
--- for Holm's last step, (1 - level) / family for Bonferroni), detectable
--- is math.huge (no difference, however large, can show with these seeds:
--- 3 a side, or 5 paired with Wilcoxon). When it is below that but not
--- below (1 - level) / family, detectable is nil and later_step = true:
--- these seeds alone cannot pass Holm's first step; a difference can pass
--- only at a later step, after the family's smaller p-values (6 paired
--- seeds with Wilcoxon, p_min 2 / 64, in a family of 2 or more). With no
--- spread (an sd of 0 or rounding: ROUNDING) the test is an exact one and
--- finds any difference or none: detectable is 0 when p_min is below
--- (1 - level) / family.
--- differs = p < stats.alpha(level).
function stats.compare(xs, ys, options)
  options = known_options("stats.compare", options,
                          { correction = true, exact = true, family = true, level = true, paired = true, skewed = true })
  local level = check_level("stats.compare", options.level or 0.95)
  local alpha = stats.alpha(level)
  local family = options.family or 1
  if math.type(family) ~= "integer" or family < 1 then
    errors.raise("stats.compare: family must be an integer >= 1 (the number of p-values corrected together), got %s",
                 errors.value(family))
  end
  if options.correction ~= nil and options.correction ~= "holm" and options.correction ~= "bonferroni" then
    errors.raise("stats.compare: correction must be \"holm\" or \"bonferroni\", got %s", errors.value(options.correction))
  end
  local paired = options.paired
  if paired then differences("stats.compare", xs, ys) end
  if #xs < 2 or #ys < 2 then return nil, "needs at least two seeds per side to measure noise" end
  local out
  if paired then
    local d = differences("stats.compare", xs, ys)
    local sd = spread(d, xs, ys)
    if options.skewed then
      local w = stats.wilcoxon_signed_rank(xs, ys)
      out = { p = w.p, p_min = w.p_min, statistic = w.statistic, delta = stats.mean(d), test = "Wilcoxon signed-rank",
              zeros = w.zeros, exact = true }
    else
      out = stats.paired_t(xs, ys, level)
      -- its 2^n flips (n <= 20; 200 000 draws above) took 0.2 s a pair at 20
      -- seeds: tables and the looks of seeds on demand, which compare
      -- thousands of pairs and never read it, pass exact = false
      if options.exact ~= false then out.p_exact = stats.sign_flip(xs, ys).p end
      out.test = "paired t"
    end
    out.n, out.sd = #d, sd
  else
    local sd = pooled_sd(xs, ys)
    if options.skewed then
      local u = stats.mann_whitney(xs, ys)
      out = { p = u.p, p_min = u.p_min, statistic = u.statistic, exact = u.exact,
              delta = stats.mean(xs) - stats.mean(ys), test = "Mann-Whitney" }
    else
      out = stats.welch(xs, ys, level)
      out.test = "Welch t"
    end
    out.n, out.nx, out.ny, out.sd = math.min(#xs, #ys), #xs, #ys, sd
    out.sd_x, out.sd_y = spread(xs), spread(ys)
  end
  if out.sd == 0 and not out.p_min then -- the exact test of data with no spread
    local nx, ny = out.nx or out.n, out.ny or out.n
    out.p_min = exact_sides(nx, ny, paired) * exact_one_sided_floor(nx, ny, paired)
  end
  out.level, out.paired, out.skewed = level, paired and true or false, options.skewed and true or false
  local last = options.correction == "bonferroni" and alpha / family or alpha
  out.detectable, out.later_step = detectable_at(out, alpha / family, last)
  out.differs = out.p < alpha
  return out
end

--- stats.versus_best(groups [, { higher = true, paired = false, skewed =
--- false, level = 0.95 }]) -> per group (same order) { best, p, p_adjusted,
--- differs, delta, detectable, later_step, test, n }, and the index of the best group.
--- groups is a list of value lists, one per variation (aligned by seed when
--- paired). The best is the highest mean (lowest with higher = false).
--- Every pair of groups is tested (k(k-1)/2 tests with stats.compare) and
--- all of them are Holm-adjusted together: the best was chosen by the same
--- data, so "every group against the best" is not a fixed family of k - 1
--- tests, and correcting only those would still be fooled by the selection.
--- Holm over all pairs keeps the chance of any false "differs" among all
--- pairs, hence among those that involve the best, at most 1 - level.
--- p is the raw p of the group against the best, p_adjusted its Holm value
--- over all pairs, differs = p_adjusted < 1 - level, delta = mean(group) -
--- mean(best). The best row has best = true, delta = 0. A group with fewer
--- than two values gets reason and no p (and takes no part in the family);
--- it cannot be the best either (one value measures no noise, and a best
--- that nothing can be tested against would leave every row untested), so
--- the best is the best mean among the groups of two values or more (no
--- best when there is none). detectable is at (1 - level) / the number of
--- pairs tested (stats.compare's family), with later_step as there
--- (stats.settle_later_steps: math.huge when no pair's p can be smaller).
function stats.versus_best(groups, options)
  options = known_options("stats.versus_best", options, { higher = true, level = true, paired = true, skewed = true })
  local level = check_level("stats.versus_best", options.level or 0.95)
  local higher = options.higher ~= false
  local k = #groups
  local best, best_mean
  local testable = 0
  for i = 1, k do
    local m = #groups[i] >= 2 and stats.mean(groups[i]) or nil
    if m then testable = testable + 1 end
    if m and m == m and (not best_mean or (higher and m > best_mean) or (not higher and m < best_mean)) then
      best, best_mean = i, m
    end
  end
  local family = math.max(1, testable * (testable - 1) // 2)
  local pairs_list, ps = {}, {}
  for i = 1, k do
    for j = i + 1, k do
      local c = stats.compare(groups[i], groups[j], { paired = options.paired, skewed = options.skewed, level = level,
                                                      exact = false,
                                                      family = family })
      pairs_list[#pairs_list + 1] = { i = i, j = j, c = c }
      ps[#pairs_list] = c and c.p or nil
    end
  end
  ps.n = #pairs_list
  local adjusted = stats.holm(ps)
  local cs = {}
  for index, pr in ipairs(pairs_list) do cs[index] = pr.c end
  stats.settle_later_steps(cs, #pairs_list, stats.alpha(level))
  local out = {}
  for g = 1, k do
    out[g] = { best = g == best, delta = g == best and 0 or nil, n = #groups[g] }
  end
  for index, pr in ipairs(pairs_list) do
    local other = pr.i == best and pr.j or pr.j == best and pr.i or nil
    if other then
      local row, c = out[other], pr.c
      if c then
        local sign = other == pr.i and 1 or -1
        row.p, row.p_adjusted, row.delta = c.p, adjusted[index], sign * c.delta
        row.differs = adjusted[index] < stats.alpha(level)
        row.detectable, row.later_step, row.test = c.detectable, c.later_step, c.test
        row.ci = c.ci and (sign == 1 and { c.ci[1], c.ci[2] } or { -c.ci[2], -c.ci[1] }) or nil
      else
        row.reason = "needs at least two seeds per side to measure noise"
        row.delta = stats.mean(groups[other]) and best_mean and stats.mean(groups[other]) - best_mean or nil
      end
    end
  end
  return out, best
end

local JUDGE_EXPECT = { higher = true, lower = true, not_higher = true, not_lower = true, similar = true }

-- The one-sided p that the true difference lies beyond `shift` in direction
-- dir (+1: delta > shift, -1: delta < shift): the two-sided test of
-- (xs - shift) against ys, halved on the observed side. For the t tests this
-- is exactly the one-sided t test; for the rank tests it is exact when the
-- null distribution is symmetric (no ties) and close otherwise.
local function one_sided(xs, ys, shift, dir, options)
  local shifted = {}
  for i = 1, #xs do shifted[i] = xs[i] - shift end
  local c = stats.compare(shifted, ys, options)
  if c.delta == 0 then return 0.5 end
  local half = c.p / (c.sides or 2) -- two constant sides of unequal sizes: the p is one-sided already
  if (c.delta > 0) == (dir > 0) then return half end
  return 1 - half
end

--- stats.judge(xs, ys, expect [, { margin, level = 0.95, paired = false,
--- skewed = false }]) -> a verdict table: what the seeds say about a claim on
--- delta = mean(xs) - mean(ys). verdict is one of
---   "supported"    the test finds what the claim says,
---   "contradicted" the test finds the opposite,
---   "equivalent"   TOST shows |delta| < margin (only with a margin),
---   "cant_tell"    neither; `detectable` is the effect these seeds would
---                  find 80 % of the time, in the metric's units
---                  (stats.compare: math.huge, or nil with later_step),
---   "not_tested"   no test possible (one seed); `reason` says why.
--- By expect:
---   higher / lower: supported when the difference test (stats.compare) finds
---     delta > 0 / < 0, contradicted when it finds the other sign; otherwise
---     "equivalent" when a margin is given and TOST shows |delta| < margin,
---     else cant_tell. p is the difference test's (TOST's when equivalent).
---   not_higher / not_lower (xs is no better / no worse than ys, up to the
---     margin): supported ONLY by a one-sided non-inferiority test, H0 delta
---     >= +margin (not_higher) or delta <= -margin (not_lower), rejected at
---     1 - level; that needs a margin. Contradicted when the difference test
---     finds xs higher (not_higher) / lower (not_lower) with the confidence
---     interval wholly beyond the margin (beyond 0 without one). A null result
---     never supports: without a margin the verdict is cant_tell or
---     contradicted. p is the non-inferiority p (or the difference test's
---     without a margin, or when contradicted).
---   similar (needs margin > 0): "equivalent" (the claim is supported) by
---     TOST; contradicted when the whole confidence interval lies outside
---     ±margin (one-sided test beyond the margin, p is its two-sided value);
---     else cant_tell. p is TOST's unless contradicted.
--- Every verdict carries delta, ci, p (raw: uncorrected, so a family of
--- claims can be corrected with stats.correct_family), p_difference, test,
--- detectable (at 1 - level, as stats.compare's; stats.correct_family
--- recomputes it for the family), margin, expect, level. A margin needs a
--- level above 0.5 (the equivalence test's interval is 1 - 2 (1 - level)). With a paired design, xs[i] and ys[i]
--- come from seed i. skewed selects the rank tests (then ci is nil).
function stats.judge(xs, ys, expect, options)
  if not JUDGE_EXPECT[expect] then
    errors.raise("stats.judge: expect must be higher, lower, not_higher, not_lower or similar, got %s",
                 tostring(expect))
  end
  options = known_options("stats.judge", options, { level = true, margin = true, paired = true, skewed = true })
  local level = check_level("stats.judge", options.level or 0.95)
  local alpha = stats.alpha(level)
  local margin = options.margin
  if margin ~= nil and not (type(margin) == "number" and margin > 0) then
    errors.raise("stats.judge: margin must be a number > 0, got %s", tostring(margin))
  end
  if expect == "similar" and not margin then errors.raise("stats.judge: 'similar' needs a margin > 0") end
  if margin then check_tost_level("stats.judge", level) end
  local copts = { paired = options.paired, skewed = options.skewed, level = level }
  local c, why = stats.compare(xs, ys, copts)
  if not c then
    local mx, my = stats.mean(xs), stats.mean(ys)
    return { verdict = "not_tested", reason = why, expect = expect, margin = margin, level = level,
             delta = (mx and my) and mx - my or nil }
  end
  local v = { expect = expect, margin = margin, level = level, delta = c.delta, ci = c.ci, p = c.p,
              p_difference = c.p, p_exact = c.p_exact, test = c.test, detectable = c.detectable, n = c.n,
              paired = c.paired, skewed = c.skewed, se = c.se, df = c.df, t = c.t,
              later_step = c.later_step, sd = c.sd, sd_x = c.sd_x, sd_y = c.sd_y, p_min = c.p_min, nx = c.nx,
              ny = c.ny } -- sd ... ny: for detectable_at
  local function tost()
    local r = stats.tost(xs, ys, margin, { paired = options.paired, level = level })
    if options.skewed then -- two one-sided rank tests at ±margin
      local pl, pu = one_sided(xs, ys, -margin, 1, copts), one_sided(xs, ys, margin, -1, copts)
      return math.max(pl, pu) < alpha, math.max(pl, pu), nil
    end
    return r.equivalent, r.p, r.ci
  end
  if expect == "higher" or expect == "lower" then
    local want = expect == "higher" and 1 or -1
    if c.differs then
      v.verdict = ((c.delta > 0) == (want > 0)) and "supported" or "contradicted"
    else
      v.verdict = "cant_tell"
      if margin then
        local eq, p, ci = tost()
        v.p_tost, v.ci_tost = p, ci
        if eq then v.verdict, v.p = "equivalent", p end
      end
    end
  elseif expect == "not_higher" or expect == "not_lower" then
    local bad = expect == "not_higher" and 1 or -1 -- the direction that contradicts
    local beyond = c.differs and (c.delta * bad > 0)
    if beyond and margin then
      -- the evidence is the test beyond the margin, not against 0: its p is
      -- what stats.correct_family must adjust (as for similar's p_beyond)
      local p_beyond = math.min(1, 2 * one_sided(xs, ys, bad * margin, bad, copts))
      beyond = p_beyond < alpha
      if beyond then v.p, v.p_beyond = p_beyond, p_beyond end
    end
    if beyond then
      v.verdict = "contradicted"
    elseif margin then
      local p = one_sided(xs, ys, bad * margin, -bad, copts)
      v.p, v.p_noninferiority = p, p
      v.verdict = p < alpha and "supported" or "cant_tell"
    else
      -- only a margin's test can support "not higher": however clear the
      -- seeds, the reason to say is the missing margin, not their power
      v.verdict, v.needs_margin = "cant_tell", true
    end
  else -- similar
    local eq, p, ci = tost()
    v.p, v.p_tost, v.ci_tost = p, p, ci
    if eq then
      v.verdict = "equivalent"
    else
      local dir = c.delta >= 0 and 1 or -1
      local p_beyond = 2 * one_sided(xs, ys, dir * margin, dir, copts)
      if p_beyond < alpha then v.verdict, v.p = "contradicted", math.min(1, p_beyond) else v.verdict = "cant_tell" end
    end
  end
  return v
end

--- stats.correct_family(verdicts [, level = 0.95]) -> verdicts, corrected in
--- place as one family with Holm (stats.holm). The family is every verdict
--- that came from a significance test and has a p: supported / contradicted
--- (by a difference or non-inferiority test), equivalent (by its TOST p),
--- and the cant_tell ones too (they were tests that did not reach
--- significance, and Holm must count them in m). not_tested verdicts (and
--- any without a p) are left out and unchanged. Each member
--- gets p_adjusted; a supported, contradicted or equivalent verdict whose
--- p_adjusted is no longer below 1 - level becomes "cant_tell" (downgraded
--- = the old verdict). p keeps its raw value. Each member's detectable is
--- recomputed at alpha / m, m the family's size and alpha the smaller of
--- 1 - level and its own 1 - level (a p below that passes Holm's correction
--- whatever the others are), so that "detectable" still means an effect
--- found at least 80 % of the time (about 80 % for Welch's test: see
--- stats.detectable_effect). It is math.huge only when the test's smallest
--- p is not below alpha (no step of Holm can pass it); when that p is below
--- alpha but not below alpha / m, detectable is nil and later_step = true
--- (stats.compare): the claim can pass only after smaller p-values of the
--- family have, unless none can be smaller (stats.settle_later_steps: then
--- math.huge).
function stats.correct_family(verdicts, level)
  level = check_level("stats.correct_family", level or 0.95)
  local ps, members = {}, {}
  for i, v in ipairs(verdicts) do
    if v.verdict ~= "not_tested" and v.p ~= nil then
      members[#members + 1] = i
      ps[#members] = v.p
    end
  end
  local adjusted = stats.holm(ps)
  local tested = {}
  for k, i in ipairs(members) do
    local v = verdicts[i]
    v.p_adjusted = adjusted[k]
    if v.sd ~= nil then
      local last = math.min(stats.alpha(level), stats.alpha(v.level or level))
      v.detectable, v.later_step = detectable_at(v, last / #members, last)
      tested[k] = v
    end
    if (v.verdict == "supported" or v.verdict == "contradicted" or v.verdict == "equivalent")
        and not (adjusted[k] < stats.alpha(level)) then
      v.downgraded, v.verdict = v.verdict, "cant_tell"
    end
  end
  stats.settle_later_steps(tested, #members, stats.alpha(level))
  return verdicts
end

-- The argument positions that are lists of numbers (values of the seeds, or
-- p values), per function of nnlab.stats.
-- (holm takes its p values with holes, and their count as `n`: documented.)
local LISTS = { mean = { 1 }, std = { 1 }, welch = { 1, 2 }, sign_flip = { 1, 2 }, paired_t = { 1, 2 },
                wilcoxon_signed_rank = { 1, 2 }, mann_whitney = { 1, 2 }, tost = { 1, 2 },
                compare = { 1, 2 }, judge = { 1, 2 } }
-- Arguments that are lists of such lists (versus_best's groups).
local LISTS_OF_LISTS = { versus_best = { 1 } }
-- Arguments that must be tables, whose entries the function itself reads:
-- holm's p values (holes allowed, and a count n), correct_family's verdicts.
local TABLES = { holm = { 1 }, correct_family = { 1 } }

-- Raises at the user's line unless v is a list without holes (a plain table
-- whose keys are 1..n, and table.pack's n), of numbers when `numbers`;
-- returns n.
local function check_list(name, position, v, numbers)
  local noun = numbers and "a list of numbers" or "a list"
  if type(v) ~= "table" or getmetatable(v) ~= nil then
    errors.raise("nnlab.stats.%s: argument %d must be %s, got %s", name, position, noun, errors.value(v))
  end
  local n = 0
  for k in pairs(v) do
    if k == "n" and math.type(v.n) == "integer" then -- table.pack's count: the entries say the rest
    elseif math.type(k) ~= "integer" or k < 1 then
      errors.raise("nnlab.stats.%s: argument %d must be %s, but has the key %s", name, position, noun,
                   errors.value(k))
    else
      n = math.max(n, k)
    end
  end
  for k = 1, n do
    if numbers and type(v[k]) ~= "number" then
      errors.raise("nnlab.stats.%s: argument %d, value %d is %s, not a number", name, position, k, errors.value(v[k]))
    elseif v[k] == nil then
      errors.raise("nnlab.stats.%s: argument %d, value %d is nil", name, position, k)
    end
  end
  return n
end

--- stats.public() -> nnlab.stats: these functions, each checking that its
--- lists are lists of numbers (no holes: {1, nil, 3} averaged to 1/3) before
--- it runs; nnlab's own callers use the module's unchecked functions.
function stats.public()
  local public = {}
  for name, f in pairs(stats) do
    local lists, nested, tables = LISTS[name], LISTS_OF_LISTS[name], TABLES[name]
    public[name] = (lists or nested or tables) and function(...)
      for _, position in ipairs(lists or {}) do check_list(name, position, (select(position, ...)), true) end
      for _, position in ipairs(tables or {}) do
        local v = select(position, ...)
        if type(v) ~= "table" then
          errors.raise("nnlab.stats.%s: argument %d must be a table, got %s", name, position, errors.value(v))
        end
        if v.n ~= nil and math.type(v.n) ~= "integer" then
          errors.raise("nnlab.stats.%s: argument %d's count n must be an integer, got %s", name, position,
                       errors.value(v.n))
        end
        if name == "correct_family" then -- a list of verdicts, each a table
          for i = 1, v.n or #v do
            if type(v[i]) ~= "table" then
              errors.raise("nnlab.stats.correct_family: argument 1, value %d is %s, not a verdict (stats.judge's)",
                           i, errors.value(v[i]))
            end
          end
        end
      end
      for _, position in ipairs(nested or {}) do
        local groups = select(position, ...)
        for i = 1, check_list(name, position, groups) do
          if type(groups[i]) ~= "table" then
            errors.raise("nnlab.stats.%s: argument %d, group %d is %s, not a list of numbers", name, position, i,
                         errors.value(groups[i]))
          end
          check_list(("%s (group %d)"):format(name, i), position, groups[i], true)
        end
      end
      return f(...)
    end or f
  end
  public.public = nil
  return public
end

return stats
