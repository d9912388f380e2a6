-- Fills a cache for bench_notebook_scale.sh without training: plans the
-- experiment given as `--set file=PATH` with the other --set values
-- (nnlab.notebook.plan.passes, pass 1) and stores each planned run with its
-- made-up result under its real key, exactly as cache:put stores a trained
-- one, as soon as it is planned: the pass keeps no job, so that filling
-- 10^5 entries takes the memory of one. What it measures afterwards is
-- the notebook's own cost (plan, cache reads, tables, charts); training is
-- measured elsewhere (bench_train.lua, bench_sweep.lua).
local lab = require "nnlab"
local plan = require "nnlab.notebook.plan"
local cache_lib = require "nnlab.notebook.cache"
local file = lab.param("file", "big.lua")
local cache = cache_lib.open(cache_lib.default_dir(file))
-- the other --set values are the experiment's
local given = lab.run_options()
local set, set_order = {}, {}
for _, k in ipairs(given.set_order) do
  if k ~= "file" then set[k], set_order[#set_order + 1] = given.set[k], k end
end
local planned, stored = 0, 0
plan.record = function(_, _, _, job) -- each run as lab.sweep plans it (nnlab.notebook.sweep)
  planned = planned + 1
  if not cache:get(nil, nil, job.key_text, job.entry_name) then
    assert(cache:put(plan.key(job), job.result)) -- (a planned job holds its key as text)
    stored = stored + 1
  end
end
assert(plan.passes({ script = file, set = set, set_order = set_order }, { 1 }, loadfile))
print(("filled %s: %d runs planned, %d stored"):format(cache.dir, planned, stored))
