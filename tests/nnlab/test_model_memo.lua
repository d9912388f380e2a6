-- Planning memoises the models it builds for cache keys (nnlab.notebook.sweep,
-- new_memo): runs whose model function reads the same values of p under the
-- same seed share one build. A memoised key must be the key a fresh build
-- gives, whatever the model and optimizer functions do: each case plans a
-- sweep with the memo and without (the file sets sweep.memoise from --set
-- memo=) and compares every run's cache key text, in order.
local T = require "testlib"
local plan = require "nnlab.notebook.plan"
local sweep = require "nnlab.notebook.sweep"

local dir = T.tmpdir("model_memo")

-- The sweep of a case: a grid h × lr × 2 seeds on 16 made-up features;
-- `model` and `optimizer` are the functions' source text.
local function script(model, optimizer, extra)
  return ([[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local state = package.loaded["memo_test_state"] or { calls = 0 }
require("nnlab.notebook.sweep").memoise = lab.param("memo", true)
local function make(n, seed)
  return data.generate(n, function(i, rng)
    local x = {}
    for j = 1, 16 do x[j] = rng:random() end
    return x, (i - 1) %% 10
  end, { seed = seed, classes = 10 })
end
%s
lab.sweep { vary = { h = { 1, 2, 3 }, lr = { 0.001, 0.002, 0.003, 0.004 } }, seeds = 2, epochs = 1, batch_size = 10,
  train = make(40, 1), test = make(20, 2),
  model = %s,
  optimizer = %s,
}
]]):format(extra or "", model, optimizer)
end

-- Every planned run's key text, in plan order, and how often model(p) ran.
local function keys(text, memoise)
  local path = dir .. "/exp.lua"
  T.write(path, text)
  local state = { calls = 0 }
  package.loaded["memo_test_state"] = state
  local got, record = {}, plan.record
  plan.record = function(_, _, _, job) got[#got + 1] = job.key_text end
  local passes, err = plan.passes({ script = path, set = { memo = tostring(memoise) }, set_order = { "memo" } }, { 1 },
                                  loadfile)
  plan.record, sweep.memoise = record, true
  package.loaded["memo_test_state"] = nil
  T.truthy(passes, "planned: " .. tostring(err))
  T.truthy(not passes[1].stopped, "the pass ran to its end: " .. tostring(passes[1].stopped))
  return got, state.calls
end

-- The keys with and without the memo are the same; returns the model calls of both.
local function same_keys(text, what)
  local memo_keys, memo_calls = keys(text, true)
  local fresh_keys, fresh_calls = keys(text, false)
  T.eq(#memo_keys, 24, what .. ": runs planned")
  T.eq(#fresh_keys, 24, what .. ": runs planned without the memo")
  for i = 1, #fresh_keys do T.eq(memo_keys[i], fresh_keys[i], ("%s: the key of run %d"):format(what, i)) end
  return memo_calls, fresh_calls
end

local SGD = "function(p, params) return optim.SGD(params, { lr = p.lr }) end"
local MODEL = "function(p) return nn.Sequential { nn.Linear(16, p.h), nn.ReLU(), nn.Linear(p.h, 10) } end"

-- Writes the sweep of script(...) to dir/name.lua; returns its path.
local function write(name, ...)
  local path = ("%s/%s.lua"):format(dir, name)
  T.write(path, script(...))
  return path
end

T.case("a model of p.h is built once per h and seed, and the keys are the fresh builds'", function()
  local memo_calls, fresh_calls = same_keys(script(
    "function(p) state.calls = state.calls + 1; return nn.Sequential { nn.Linear(16, p.h + 1), nn.ReLU(), nn.Linear(p.h + 1, 10) } end",
    SGD), "model of p.h")
  T.eq(fresh_calls, 24, "without the memo, one model per run")
  T.eq(memo_calls, 6, "with it, one per h and seed")
end)

T.case("a model that reads p.lr in some calls only is not reused across lr", function()
  local memo_calls = same_keys(script([[function(p)
    state.calls = state.calls + 1
    local width = p.h == 2 and math.floor(p.lr * 1000) + 1 or p.h
    return nn.Sequential { nn.Linear(16, width), nn.ReLU(), nn.Linear(width, 10) } end]], SGD), "p.lr read for h = 2")
  T.eq(memo_calls, 2 * (1 + 4 + 1), "h = 1 and 3 once per seed, h = 2 once per lr and seed")
end)

T.case("a model that reads p.seed, iterates p or counts its calls is never wrongly reused", function()
  same_keys(script("function(p) local w = p.seed + p.h; return nn.Sequential { nn.Linear(16, w), nn.Linear(w, 10) } end", SGD),
            "p.seed")
  local memo_calls = same_keys(script([[function(p)
    state.calls = state.calls + 1
    local w = 1
    for k, v in pairs(p) do if k == "h" or k == "lr" then w = w + #tostring(v) end end
    w = w + p.h
    return nn.Sequential { nn.Linear(16, w), nn.Linear(w, 10) } end]], SGD), "pairs(p)")
  T.eq(memo_calls, 24, "a model that iterates p is built for every run")
  same_keys(script("function(p) calls = calls + 1; return nn.Sequential { nn.Linear(16, calls + p.h), nn.Linear(calls + p.h, 10) } end",
                   SGD, "local calls = 0"), "a counter in the model function's closure")
  same_keys(script("function(p) local w = width() + p.h; return nn.Sequential { nn.Linear(16, w), nn.Linear(w, 10) } end", SGD,
                   "local n = 0\nlocal function width() n = n + 1; return n end"), "a counter one function away")
end)

T.case("an optimizer function that makes models or changes the mode gets the fresh build's key", function()
  same_keys(script(MODEL, [[
    function(p, params)
      local other = nn.Sequential { nn.Linear(16, 2), nn.Linear(2, 10) }
      return optim.SGD(params, { lr = p.lr * (1 + other:checksum():byte(1) / 1000) })
    end]]), "a model made without a seed inside the optimizer function")
  same_keys(script(MODEL, [[
    function(p, params) params.model:eval(); return optim.SGD(params, { lr = p.lr }) end]]), "eval mode")
end)

-- Planning refuses an optimizer step (the sweep would train outside
-- lab.sweep), so a run keys it: the memoised run trains and caches its 24
-- runs, then the same file without the memo must find all 24 in the cache.
-- The step is taken for one lr only: on a model the memo already holds. (By
-- an optimizer of its own: one returned after a step is refused, its state
-- not being in the key; see test_silent_args.)
T.case("an optimizer function that trains the model one step in some calls gets the fresh build's key", function()
  local path = write("step", MODEL, [[
    function(p, params)
      local x = lab.tensor { { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 } }
      local loss = nn.CrossEntropyLoss()(params.model(x), lab.labels { 3 })
      loss:backward()
      if p.lr == 0.003 then optim.SGD(params, { lr = p.lr }):step() end
      return optim.SGD(params, { lr = p.lr })
    end]])
  local env = { NNLAB_CACHE = dir .. "/step-cache" }
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "-j", "1" }, env)
  T.eq(status, 0, "the memoised run\n" .. out)
  out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--set", "memo=false", "--no-train" }, env)
  T.eq(status, 0, "the same runs without the memo, from the cache\n" .. out)
  T.contains(out, "24 runs, 0 trained, 24 from cache", "every key found")
end)

-- A warm run looks each run up under a key text made from its fields' texts
-- (sweep.key_text: the shared fields encoded once); it must be the encoder's.
T.case("a key's text made from its fields' texts is the canonical text of the key", function()
  local path = dir .. "/fields.lua"
  T.write(path, script(MODEL, [[
    function(p, params)
      local opt = optim.Adam(params, { lr = p.lr })
      return opt, p.h == 2 and optim.lr_scheduler.StepLR(opt, { step_size = 1, gamma = 0.5 }) or nil
    end]]):gsub("train = make%(40, 1%), test = make%(20, 2%),", [[train = make(40, 1), test = make(20, 2), valid = make(10, 3),
  normalize = { mean = 0.5, std = 0.25 }, transform = function(p) return p.h == 3 and { data.GaussianNoise(0.1) } or {} end,]]))
  -- planning keeps each run's key as that text; with check_key_texts it compares
  -- every text with the encoder's text of the whole key (and fails the plan if one differs)
  local serialize = require "nnlab.notebook.serialize"
  local texts, got, whole, record, encode = {}, 0, 0, plan.record, serialize.encode
  serialize.encode = function(v)
    if type(v) == "table" and v.params and v.nnlab then whole = whole + 1 end
    return encode(v)
  end
  plan.record = function(_, _, _, job)
    got = got + 1
    local counted = whole
    local key = plan.key(job) -- the text read back (and held to be canonical; its own encode is not counted)
    whole = counted
    T.eq(sweep.key_text(key, texts), job.key_text, "run " .. got .. ": fields' texts shared")
    T.eq(sweep.key_text(key, {}, encode(key.model)), job.key_text, "run " .. got .. ": the model's text given")
  end
  sweep.check_key_texts = true
  local passes, err = plan.passes({ script = path, set = {}, set_order = {} }, { 1 }, loadfile)
  plan.record, serialize.encode, sweep.check_key_texts = record, encode, false
  T.truthy(passes and not passes[1].stopped, "planned: " .. tostring(err or passes[1].stopped))
  T.eq(got, 24, "every run recorded")
  T.eq(whole, 24, "every run's text compared with the whole key's")
end)

-- A sweep's own transform list is one text for every job (encoded once: a
-- 784-wide Normalize's values took 1 ms a job); a function of p is not.
T.case("a sweep's transform list is encoded once, and every key's text is still canonical", function()
  local path = dir .. "/static_transform.lua"
  T.write(path, script(MODEL, SGD):gsub("train = make%(40, 1%), test = make%(20, 2%),", [[train = make(40, 1), test = make(20, 2),
  transform = { data.Normalize(0.1, 0.3), data.GaussianNoise(0.05) },]]))
  local serialize = require "nnlab.notebook.serialize"
  local got, record = 0, plan.record
  plan.record = function(_, _, _, job)
    got = got + 1
    T.eq(serialize.encode(plan.key(job)), job.key_text, "run " .. got .. ": the canonical text")
  end
  sweep.check_key_texts = true
  local passes, err = plan.passes({ script = path, set = {}, set_order = {} }, { 1 }, loadfile)
  plan.record, sweep.check_key_texts = record, false
  T.truthy(passes and not passes[1].stopped, "planned: " .. tostring(err or passes[1].stopped))
  T.eq(got, 24, "every run recorded")
end)

T.case("a model function that returns one model twice is still refused", function()
  local path = write("twice", "function(p) kept = kept or nn.Sequential { nn.Linear(16, 4), nn.Linear(4, 10) }; return kept end",
                     SGD, "local kept")
  local out, status = T.nnlab_run({ "plan", path, "--count" }, { NNLAB_CACHE = dir .. "/cache" })
  T.truthy(status ~= 0, "planning fails\n" .. out)
  T.contains(out, "must build a new one on every call", "the error says why")
end)

T.done()
