-- nnlab.notebook.stats under a global null (issue 18): many synthetic sweeps
-- in which every variation has the same distribution, with a per-seed effect
-- shared by all variations (value = seed_effect + noise, paired by seed, as
-- sweep.build makes them). stats.versus_best (all pairs, Holm) must give a
-- table with any false "differs" at most 5 % of the time, and a family of
-- 25 null claims through stats.judge + stats.correct_family must give any
-- supported/contradicted at most 5 % of the time. The old procedure (Welch
-- against the best, no correction) is measured for contrast. Deterministic:
-- SplitMix64 on Lua integers with Box-Muller normals, fixed seeds.
local T = require "testlib"
local stats = require "nnlab.notebook.stats"

local function generator(seed)
  local next_int = require("nnlab.splitmix")(seed)
  local function uniform() return ((next_int() >> 11) + 0.5) / 9007199254740992 end -- (0, 1)
  local spare
  return function()
    if spare then local z = spare; spare = nil; return z end
    local r, a = math.sqrt(-2 * math.log(uniform())), 2 * math.pi * uniform()
    spare = r * math.sin(a)
    return r * math.cos(a)
  end
end

local SWEEPS = 4000
-- A one-sided binomial bound: the observed rate may exceed 5 % by chance
-- only by about 3 standard errors when the true rate is 5 %.
local BOUND = 0.05 + 3 * math.sqrt(0.05 * 0.95 / SWEEPS)

local function sweep(normal, k, n)
  local seed_effect = {}
  for s = 1, n do seed_effect[s] = 3 * normal() end -- seeds matter more than the noise
  local groups = {}
  for g = 1, k do
    local values = {}
    for s = 1, n do values[s] = 80 + seed_effect[s] + normal() end
    groups[g] = values
  end
  return groups
end

local rates = {}

-- The old procedure's decision: Welch's p < 0.05 (p only; no interval needed).
local function welch_differs(xs, ys)
  local nx, ny = #xs, #ys
  local vx, vy = stats.std(xs) ^ 2 / nx, stats.std(ys) ^ 2 / ny
  local t = (stats.mean(xs) - stats.mean(ys)) / math.sqrt(vx + vy)
  local df = (vx + vy) ^ 2 / (vx ^ 2 / (nx - 1) + vy ^ 2 / (ny - 1))
  return stats.t_two_sided_p(t, df) < 0.05
end

for _, n in ipairs { 3, 5 } do
  for _, k in ipairs { 3, 6, 9 } do
    T.case(("versus_best under the null, k = %d variations x n = %d seeds: any false 'differs' <= 5 %%"):format(k, n),
      function()
        local normal = generator(1000 * k + n)
        local new_any, old_any, old_each, old_tests = 0, 0, 0, 0
        for _ = 1, SWEEPS do
          local groups = sweep(normal, k, n)
          local rows, best = stats.versus_best(groups, { paired = true })
          local any = false
          for g = 1, k do if rows[g].differs then any = true end end
          if any then new_any = new_any + 1 end
          -- the old procedure: Welch against the best, uncorrected
          local old = false
          for g = 1, k do
            if g ~= best then
              old_tests = old_tests + 1
              if welch_differs(groups[g], groups[best]) then old = true; old_each = old_each + 1 end
            end
          end
          if old then old_any = old_any + 1 end
        end
        local new_rate, old_rate = new_any / SWEEPS, old_any / SWEEPS
        rates[#rates + 1] = ("k=%d n=%d: new (paired, all pairs, Holm) %.2f %% of tables; old (Welch vs best, uncorrected) %.2f %% of tables, %.2f %% of comparisons")
          :format(k, n, 100 * new_rate, 100 * old_rate, 100 * old_each / old_tests)
        print("  " .. rates[#rates])
        T.truthy(new_rate <= BOUND, ("rate %.4f <= %.4f"):format(new_rate, BOUND))
      end)
  end
end

-- The same null, unpaired and without a seed effect, with the old Welch-vs-best
-- procedure (the audit's setting) for contrast, and the new one unpaired.
T.case("versus_best under the null, unpaired (independent seeds), k = 6, n = 3", function()
  local normal = generator(77)
  local new_any, old_any, SWEEPS = 0, 0, 1000
  local BOUND = 0.05 + 3 * math.sqrt(0.05 * 0.95 / SWEEPS)
  for _ = 1, SWEEPS do
    local groups = {}
    for g = 1, 6 do groups[g] = { normal(), normal(), normal() } end
    local rows, best = stats.versus_best(groups)
    local any, old = false, false
    for g = 1, 6 do
      if rows[g].differs then any = true end
      if g ~= best and welch_differs(groups[g], groups[best]) then old = true end
    end
    if any then new_any = new_any + 1 end
    if old then old_any = old_any + 1 end
  end
  rates[#rates + 1] = ("unpaired k=6 n=3: new (Welch, all pairs, Holm) %.2f %% of tables; old %.2f %%")
    :format(100 * new_any / SWEEPS, 100 * old_any / SWEEPS)
  print("  " .. rates[#rates])
  T.truthy(new_any / SWEEPS <= BOUND, "unpaired new rate within bound")
end)

T.case("a family of 25 null claims through judge + correct_family: any supported/contradicted <= 5 %", function()
  local normal = generator(4242)
  local expects = { "higher", "lower" }
  local families = 4000
  local bound = 0.05 + 3 * math.sqrt(0.05 * 0.95 / families)
  local any_new, any_raw = 0, 0
  for _ = 1, families do
    local verdicts = {}
    for c = 1, 25 do
      local n = c % 2 == 0 and 3 or 5
      local g = sweep(normal, 2, n)
      verdicts[c] = stats.judge(g[1], g[2], expects[c % 2 + 1], { paired = true })
    end
    local raw = false
    for _, v in ipairs(verdicts) do
      if v.verdict == "supported" or v.verdict == "contradicted" then raw = true end
    end
    stats.correct_family(verdicts)
    local corrected = false
    for _, v in ipairs(verdicts) do
      if v.verdict == "supported" or v.verdict == "contradicted" then corrected = true end
    end
    if raw then any_raw = any_raw + 1 end
    if corrected then any_new = any_new + 1 end
  end
  rates[#rates + 1] = ("claim family of 25: with Holm %.2f %% of families; uncorrected %.2f %%")
    :format(100 * any_new / families, 100 * any_raw / families)
  print("  " .. rates[#rates])
  T.truthy(any_new / families <= bound, ("family rate %.4f <= %.4f"):format(any_new / families, bound))
end)

print("rates under the global null:")
for _, r in ipairs(rates) do print("  " .. r) end
T.done()
