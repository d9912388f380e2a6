-- nnlab.notebook.stats (also nnlab.stats): what a handful of seeds can say.
-- Mean and sample standard deviation, and Welch's two-sided t-test, which
-- decides whether two settings differ by more than seed-to-seed noise (at
-- the 95 % level unless told otherwise). Welch's test does not assume equal variances and, through its
-- degrees of freedom, is as cautious as three seeds per setting require.
-- stats.verdict turns a test into a verdict on a claim (supports,
-- contradicts, or cannot tell from noise).
local errors = require "nnlab.errors"

local stats = {}

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
local function beta_fraction(a, b, x)
  local tiny, eps = 1e-300, 1e-15
  local c, d = 1, 1 - (a + b) * x / (a + 1)
  if math.abs(d) < tiny then d = tiny end
  d = 1 / d
  local h = d
  for m = 1, 300 do
    local m2 = 2 * m
    local num = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
    d = 1 + num * d; if math.abs(d) < tiny then d = tiny end
    c = 1 + num / c; if math.abs(c) < tiny then c = tiny end
    d = 1 / d
    h = h * d * c
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
    d = 1 + num * d; if math.abs(d) < tiny then d = tiny end
    c = 1 + num / c; if math.abs(c) < tiny then c = tiny end
    d = 1 / d
    local step = d * c
    h = h * step
    if math.abs(step - 1) < eps then break end
  end
  return h
end

-- I_x(a, b), the regularised incomplete beta function.
local function incomplete_beta(a, b, x)
  if x <= 0 then return 0 end
  if x >= 1 then return 1 end
  local front = math.exp(log_gamma(a + b) - log_gamma(a) - log_gamma(b) + a * math.log(x) + b * math.log(1 - x))
  if x < (a + 1) / (a + b + 2) then return front * beta_fraction(a, b, x) / a end
  return 1 - front * beta_fraction(b, a, 1 - x) / b
end

--- P(|T| >= |t|) for Student's t with df degrees of freedom (df may be fractional).
function stats.t_two_sided_p(t, df)
  if t ~= t then return 1 end
  return incomplete_beta(df / 2, 0.5, df / (df + t * t))
end

-- level as `who` takes it: a probability strictly between 0 and 1 (0.95, not
-- 95: at 95 or 1 the quantile search would never end), else an error.
local function check_level(who, level)
  if type(level) ~= "number" or not (level > 0 and level < 1) then
    errors.raise("%s: level must be between 0 and 1 (0.95 for 95 %%), got %s", who, tostring(level))
  end
  return level
end

--- Welch's t-test of the means of xs and ys.
--- Returns { differs, p, t, df, delta (mean(xs) - mean(ys)), se, level }, or
--- nil and a reason when either side has fewer than two values (noise unknown).
--- differs is true when p < 1 - level (level 0.95 by default; a level
--- outside (0, 1), such as 95, is an error). Two exactly
--- repeatable sides (both standard deviations 0) differ when their means do.
function stats.welch(xs, ys, level)
  level = check_level("stats.welch", level or 0.95)
  local nx, ny = #xs, #ys
  if nx < 2 or ny < 2 then return nil, "needs at least two seeds per side to measure noise" end
  local mx, my = stats.mean(xs), stats.mean(ys)
  local vx, vy = stats.std(xs) ^ 2 / nx, stats.std(ys) ^ 2 / ny
  local se = math.sqrt(vx + vy)
  local delta = mx - my
  if se == 0 then
    return { differs = delta ~= 0, p = delta ~= 0 and 0 or 1, t = delta ~= 0 and math.huge or 0,
             df = nx + ny - 2, delta = delta, se = 0, level = level, ci = { delta, delta } }
  end
  local t = delta / se
  local df = (vx + vy) ^ 2 / (vx ^ 2 / (nx - 1) + vy ^ 2 / (ny - 1))
  local p = stats.t_two_sided_p(t, df)
  local half = stats.t_quantile(level, df) * se
  return { differs = p < 1 - level, p = p, t = t, df = df, delta = delta, se = se, level = level,
           ci = { delta - half, delta + half } }
end

--- The t with P(|T| <= t) = level for Student's t with df degrees of freedom
--- (the half-width of a two-sided confidence interval, in standard errors).
function stats.t_quantile(level, df)
  check_level("stats.t_quantile", level)
  local lo, hi = 0, 1
  while stats.t_two_sided_p(hi, df) > 1 - level do lo, hi = hi, hi * 2 end
  for _ = 1, 200 do
    local mid = (lo + hi) / 2
    if stats.t_two_sided_p(mid, df) > 1 - level then lo = mid else hi = mid end
    if hi - lo < 1e-12 * hi then break end
  end
  return (lo + hi) / 2
end

-- What each expectation says about delta = mean(xs) - mean(ys), given
-- Welch's test w and a margin: "supports", "contradicts" or "noise".
local EXPECTATIONS = {
  higher = function(w) return w.differs and (w.delta > 0 and "supports" or "contradicts") or "noise" end,
  lower = function(w) return w.differs and (w.delta < 0 and "supports" or "contradicts") or "noise" end,
  not_higher = function(w) return (w.differs and w.delta > 0) and "contradicts" or "supports" end,
  not_lower = function(w) return (w.differs and w.delta < 0) and "contradicts" or "supports" end,
  similar = function(w, margin)
    if w.ci[1] > -margin and w.ci[2] < margin then return "supports" end
    if w.ci[1] >= margin or w.ci[2] <= -margin then return "contradicts" end
    return "noise"
  end,
}

--- stats.verdict(xs, ys, expect [, { margin = m, level = 0.95 }]) -> what the
--- measurements say about a claim on mean(xs) - mean(ys):
--- expect "higher" / "lower": xs is higher / lower (supported when Welch's
--- test finds the difference in that direction, contradicted when it finds
--- it the other way, "noise" otherwise); "not_higher" / "not_lower": xs is
--- no better / no worse (contradicted only by a difference the test finds);
--- "similar": the two differ by less than margin (supported when the whole
--- confidence interval of the difference lies within ±margin, contradicted
--- when it lies wholly outside). Returns the fields of stats.welch plus
--- verdict ("supports", "contradicts" or "noise") and expect; with fewer
--- than two values a side, verdict is "noise" and reason says why.
function stats.verdict(xs, ys, expect, options)
  local judge = EXPECTATIONS[expect]
  if not judge then
    errors.raise("stats.verdict: expect must be higher, lower, not_higher, not_lower or similar, got %s",
                 tostring(expect))
  end
  options = options or {}
  if options.level ~= nil then check_level("stats.verdict", options.level) end
  local margin = options.margin or 0
  if expect == "similar" and not (margin > 0) then errors.raise("stats.verdict: 'similar' needs a margin > 0") end
  local w, why = stats.welch(xs, ys, options.level)
  if not w then
    return { verdict = "noise", expect = expect, reason = why, margin = margin,
             delta = (stats.mean(xs) and stats.mean(ys)) and stats.mean(xs) - stats.mean(ys) or nil }
  end
  w.verdict, w.expect, w.margin = judge(w, margin), expect, margin
  return w
end

return stats
