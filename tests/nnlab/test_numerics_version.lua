-- The numerics version against what nnlab computes. Cache keys hold
-- core.numerics() (engine/nn_numerics.h), not a fingerprint of the code, so
-- a change that moves any result (a kernel's chain, an optimizer step, a
-- schedule, the loader's conversion, a transform, autograd) must bump it, or
-- caches and shards would serve the old results as the new ones. This test
-- trains small runs through every such path and digests their weights and
-- histories (bit for bit, "%a"); the digest is recorded with the version. A
-- digest that moves fails here until the version is bumped and recorded.
-- Results are the same bits on every kernel path and thread count, so the
-- digest is the same on every machine with this Debian's glibc (libm's log,
-- pow and cos enter the loss, Adam's bias corrections and the cosine
-- schedule, there as in every result).
local T = require "testlib"
local lab = require "nnlab"
local core = require "nnlab.core"
local hash = require "nnlab.notebook.hash"
local shapes = require "fixtures.shapes"
local nn, optim, data = lab.nn, lab.optim, lab.data

-- The version and the digest of its results. When the test fails because
-- the digest moved: bump NN_NUMERICS in engine/nn_numerics.h and record both
-- here (the failure prints the new digest).
local RECORDED = { numerics = "results-3", digest = "bae52f167d99d60f" }

local dir = T.tmpdir("numerics_version")
local images = shapes.write(dir .. "/shapes", 120, 40)
local img_train = data.idx(images .. "/train-images-idx3-ubyte", images .. "/train-labels-idx1-ubyte")
local img_test = data.idx(images .. "/t10k-images-idx3-ubyte", images .. "/t10k-labels-idx1-ubyte")
local blobs = data.generate(150, function(i, rng)
  local c = (i - 1) % 3
  return { c * 2 + rng:normal(), (c == 1 and 2 or 0) + rng:normal() * 0.5, rng:random() * 40 }, c
end, { seed = 1, classes = 3 })
local blob_train, blob_test = blobs:split(50, { seed = 2, stratify = true })
local targets = data.generate(90, function(_, rng)
  local a, b = rng:normal(), rng:normal()
  return { a, b }, { a - 2 * b, a * b }
end, { seed = 3 })
local csv_path = dir .. "/small.csv"
T.write(csv_path, "a,b,label\n1.5,-2,yes\n0.25,3,no\n-1,0.5,yes\n2,2,no\n0,-1,yes\n3.5,1,no\n")
local csv = data.csv(csv_path, { classes = { "no", "yes" } })

local PIXELS, FEATURES = { mean = 0.3, std = 0.4 }, { mean = 2.7, std = 1.9 }

local parts = {}
local function record(name, model, history)
  parts[#parts + 1] = name .. " " .. model:checksum()
  for _, h in ipairs(history or {}) do
    for _, k in ipairs { "train_loss", "train_acc", "test_loss", "test_acc", "lr", "train_eval_loss", "valid_acc" } do
      if h[k] ~= nil then parts[#parts + 1] = ("%s=%a"):format(k, h[k]) end
    end
  end
end

local function fit(name, spec) record(name, spec.model, lab.fit(spec)) end

T.case("every path of training gives the results recorded with this numerics version", function()
  nn.manual_seed(11)
  local m = nn.Sequential { nn.Linear(64, 12), nn.Sigmoid(), nn.Linear(12, 4) }
  fit("sgd-sigmoid-uint8", { model = m, loss = nn.CrossEntropyLoss(), epochs = 3,
    optimizer = optim.SGD(m:parameters(), { lr = 0.1 }),
    train = data.DataLoader(img_train, { batch_size = 16, shuffle = true, seed = 4 }),
    test = data.DataLoader(img_test, { batch_size = 7 }),
    train_eval = data.DataLoader(img_train, { batch_size = 50 }) })

  m = nn.Sequential { nn.Linear(64, 9), nn.ReLU(), nn.Dropout(0.25), nn.Linear(9, 4) }
  local o = optim.SGD(m:parameters(), { lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 1e-3 })
  fit("nesterov-relu-dropout-steplr", { model = m, loss = nn.CrossEntropyLoss(), epochs = 4, optimizer = o,
    scheduler = optim.lr_scheduler.StepLR(o, { step_size = 2, gamma = 0.5 }),
    train = data.DataLoader(img_train, { batch_size = 10, shuffle = true, seed = 5, normalize = PIXELS }),
    test = data.DataLoader(img_test, { batch_size = 40, normalize = PIXELS }) })

  m = nn.Sequential { nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 3) }
  o = optim.Adam(m:parameters(), { lr = 0.02 })
  fit("adam-tanh-cosine-float-normalize", { model = m, loss = nn.CrossEntropyLoss(), epochs = 5, optimizer = o,
    scheduler = optim.lr_scheduler.CosineAnnealingLR(o, { T_max = 5 }),
    train = data.DataLoader(blob_train, { batch_size = 8, shuffle = true, seed = 6, normalize = FEATURES }),
    test = data.DataLoader(blob_test, { batch_size = 50, normalize = FEATURES }),
    valid = data.DataLoader(blob_test, { batch_size = 13, normalize = FEATURES }) })

  m = nn.Sequential { nn.Linear(3, 7), nn.LeakyReLU(0.1), nn.Linear(7, 7), nn.ReLU(), nn.Linear(7, 3) }
  o = optim.AdamW(m:parameters(), { lr = 0.01, weight_decay = 0.05, betas = { 0.8, 0.99 } })
  fit("adamw-leaky-exponential", { model = m, loss = nn.CrossEntropyLoss(), epochs = 3, optimizer = o,
    scheduler = optim.lr_scheduler.ExponentialLR(o, { gamma = 0.7 }),
    train = data.DataLoader(blob_train, { batch_size = 32, shuffle = true, seed = 7 }),
    test = data.DataLoader(blob_test, { batch_size = 50 }) })

  m = nn.Sequential { nn.Linear(2, 6), nn.Sigmoid(), nn.Linear(6, 2) }
  o = optim.Adam(m:parameters(), { lr = 0.03, weight_decay = 1e-2 })
  fit("mse-regression-adam-l2", { model = m, loss = nn.MSELoss(), epochs = 3, optimizer = o,
    train = data.DataLoader(targets, { batch_size = 9, shuffle = true, seed = 8 }),
    test = data.DataLoader(targets, { batch_size = 30 }) })

  m = nn.Sequential { nn.Linear(64, 8), nn.ReLU(), nn.Linear(8, 4) }
  fit("sgd-dampening", { model = m, loss = nn.CrossEntropyLoss(), epochs = 2,
    optimizer = optim.SGD(m:parameters(), { lr = 0.05, momentum = 0.8, dampening = 0.3, weight_decay = 1e-3 }),
    train = data.DataLoader(img_train, { batch_size = 12, shuffle = true, seed = 13 }),
    test = data.DataLoader(img_test, { batch_size = 40 }) })
  local healthy = m

  -- a run that diverges: the history up to it and the flag
  m = nn.Sequential { nn.Linear(64, 8), nn.ReLU(), nn.Linear(8, 4) }
  local diverging = lab.fit { model = m, loss = nn.CrossEntropyLoss(), epochs = 3,
    optimizer = optim.SGD(m:parameters(), { lr = 1e6 }),
    train = data.DataLoader(img_train, { batch_size = 12, shuffle = true, seed = 14 }),
    test = data.DataLoader(img_test, { batch_size = 40 }) }
  T.truthy(diverging.diverged and #diverging < 3, "the run diverges and stops")
  record("diverged-" .. #diverging, m, diverging)

  -- the test set's predictions and confidences, as the pictures keep them, of a model that did not diverge
  local pass = core.predict(healthy, nn.CrossEntropyLoss(), data.DataLoader(img_test, { batch_size = 40 }))
  local predicted, distinct, seen = {}, 0, {}
  for i = 1, #pass.pred do
    predicted[i] = ("%d:%d:%a"):format(pass.label[i], pass.pred[i], pass.confidence[i])
    if not seen[pass.confidence[i]] and pass.confidence[i] < 1 then seen[pass.confidence[i]], distinct = true, distinct + 1 end
  end
  T.truthy(distinct > #pass.pred / 2, "confidences below 1 that differ, so that their arithmetic counts: " .. distinct)
  parts[#parts + 1] = "predict " .. table.concat(predicted, " ")

  m = nn.Sequential { nn.Linear(36, 10), nn.ReLU(), nn.Linear(10, 4) }
  fit("transforms", { model = m, loss = nn.CrossEntropyLoss(), epochs = 2,
    optimizer = optim.SGD(m:parameters(), { lr = 0.1, momentum = 0.5 }),
    train = data.DataLoader(img_train, { batch_size = 12, shuffle = true, seed = 9,
      transform = { data.RandomShift(1), data.RandomCrop { 6, 6 }, data.RandomHorizontalFlip(0.5),
                    data.GaussianNoise(0.1), data.Normalize(0.2, 0.3),
                    data.Lambda(function(x) x:set(1, 1, x:get(1, 1) * 0.5 + 0.25) end) } }),
    test = data.DataLoader(img_test, { batch_size = 40, transform = data.RandomCrop { 6, 6 } }) })

  m = nn.Sequential { nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 2) }
  fit("csv", { model = m, loss = nn.CrossEntropyLoss(), epochs = 3, optimizer = optim.SGD(m:parameters(), { lr = 0.3 }),
    train = data.DataLoader(csv, { batch_size = 4, shuffle = true, seed = 10 }),
    test = data.DataLoader(csv, { batch_size = 6 }) })

  -- a hand-written loop: two models chained, autograd, clipping, tensor ops
  local first = nn.Sequential { nn.Linear(64, 10), nn.Tanh() }
  local second = nn.Sequential { nn.Linear(10, 4) }
  local params = first:parameters()
  local o1, o2 = optim.SGD(params, { lr = 0.05, momentum = 0.9 }), optim.Adam(second:parameters(), { lr = 0.01 })
  local loss_fn = nn.CrossEntropyLoss()
  local losses = {}
  for x, y in data.DataLoader(img_train, { batch_size = 20, shuffle = true, seed = 12 }):batches() do
    o1:zero_grad(); o2:zero_grad()
    local loss = loss_fn(second(first(x)), y)
    loss:backward()
    nn.utils.clip_grad_norm_(params, 0.5)
    o1:step(); o2:step()
    losses[#losses + 1] = { train_loss = loss:item() }
  end
  local x = data.DataLoader(img_test, { batch_size = 40 }):batches()()
  local out = second(first(x))
  losses[#losses + 1] = { test_loss = (out * out):mean():item(), test_acc = out:abs():max():item() }
  record("loop-first", first, losses)
  record("loop-second", second)

  -- every initialisation, as a run function that builds its model inside run gets it
  for _, init in ipairs { "torch", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal" } do
    record("init-" .. init, nn.Sequential({ nn.Linear(17, 9, { init = init }), nn.ReLU(),
                                            nn.Linear(9, 3, { init = init }) }, { seed = 21 }))
  end

  local digest = hash.hex(hash.fnv1a64(table.concat(parts, "\n")))
  T.eq(core.numerics(), RECORDED.numerics,
       "engine/nn_numerics.h's version is the one recorded here: record it with its digest, " .. digest)
  T.eq(digest, RECORDED.digest, ("the results moved: bump NN_NUMERICS in engine/nn_numerics.h (now %s) and record "
                                 .. "the new version here with digest"):format(core.numerics()))
end)

T.done()
