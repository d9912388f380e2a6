-- A small sweep for the cluster tests (test_slurm.sh, test_parallel.sh): 3
-- hidden sizes x 2 seeds = 6 runs of a tiny MLP on 240 generated points in 3
-- classes, each run well under a second. The data is made here (data.generate,
-- seeded), so nothing is read from disk and every machine builds the same
-- samples. NNLAB_TEST_FAIL_HIDDEN=h makes the runs with that hidden size fail
-- while training, to stand for a shard that dies half-way.
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data

lab.title "Cluster test sweep"
local epochs = lab.param("epochs", 3, "epochs per run")

local points = data.generate(240, function(i, rng)
  local c = (i - 1) % 3
  return { c * 2 + rng:normal() * 0.6, (c == 1 and 2 or 0) + rng:normal() * 0.6 }, c
end, { seed = 7, classes = 3, name = "blobs" })
local train, test = points:split(60, { seed = 1, stratify = true })

local runs = lab.sweep {
  name = "hidden", vary = { hidden = { 4, 8, 16 } }, seeds = 2, epochs = epochs, batch_size = 20,
  train = train, test = test,
  model = function(p)
    return nn.Sequential { nn.Linear(2, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 3) }
  end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end,
  -- called on each training batch only, and the variable read there, so planning and
  -- cache keys never see the failure (a value the Lambda closed over would be in its key)
  transform = function(p)
    return { data.Lambda(function(x)
      if p.hidden == tonumber(os.getenv("NNLAB_TEST_FAIL_HIDDEN") or "") then
        error("injected failure (NNLAB_TEST_FAIL_HIDDEN)")
      end
      return x
    end) }
  end,
}
lab.table(runs)
