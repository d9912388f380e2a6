-- Autograd as PyTorch's in a hand-written loop (issue 19): a loss backs up
-- once (a second backward, or one after the model ran forward again, is an
-- error at the user's line); parameter tensors with readable gradients;
-- nn.utils.clip_grad_norm_; opt:lr() and the schedulers give the doubles the
-- user set (and PyTorch computes), not float32 values shown as doubles.
--
-- The expected gradients are literals computed once with numpy from the
-- model's initial values (asserted below) by /usr/bin/python3 running:
--   import numpy as np
--   W = np.array([[0.0182817578, -0.492648154, -0.0518413186],
--                 [0.55062294, -0.0910981297, -0.101290524]], np.float32).astype(np.float64)
--   b = np.array([-0.121595144, 0.119523168], np.float32).astype(np.float64)
--   x = np.array([[1, 2, 3], [-1, 0.5, 2], [0, -2, 1], [3, 1, -1]], np.float64)
--   t = np.array([[1, 0], [0, 1], [0.5, -0.5], [2, 1]], np.float64)
--   y = x @ W.T + b
--   loss = ((y - t) ** 2).mean()          # nn.MSELoss: mean over B*C
--   dy = 2 * (y - t) / y.size
--   gW, gb = dy.T @ x, dy.sum(0)          # weight (out, in), bias (out)
--   g = np.concatenate([gW.ravel(), gb])
--   print(loss, gW, gb, np.sqrt((g**2).sum()), np.abs(g).sum(), np.abs(g).max())
-- and the scheduler sequences with Python floats, as torch.optim.lr_scheduler
-- computes them (its closed form): 0.1 * 0.1 ** (e // 2),
-- 0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * e / 10)) / 2.
local T = require "testlib"
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim

local W0 = { { 0.0182817578, -0.492648154, -0.0518413186 }, { 0.55062294, -0.0910981297, -0.101290524 } }
local B0 = { -0.121595144, 0.119523168 }
local LOSS = 1.95204895
local GW = { { -2.31923004, -1.96612138, -1.22318791 }, { 1.05201533, -0.272682954, -0.721845105 } }
local GB = { -1.23242853, -0.00328458101 }
local NORM2, NORM1, NORM_INF = 3.73653494, 8.79079582, 2.31923004

local function tiny()
  local model = nn.Sequential({ nn.Linear(3, 2) }, { seed = 7 })
  local x = lab.tensor { { 1, 2, 3 }, { -1, 0.5, 2 }, { 0, -2, 1 }, { 3, 1, -1 } }
  local y = lab.tensor { { 1, 0 }, { 0, 1 }, { 0.5, -0.5 }, { 2, 1 } }
  return model, x, y, nn.MSELoss()
end

-- The element (r, c) of a 2-D tensor, or (r) of a 1-D one.
local function at(t, r, c) return c and t:get(r, c) or t:get(r) end

-- a == b as 32-bit floats (the literals carry the 9 digits that pin one).
local function feq(a, b, what) T.eq(string.pack("f", a), string.pack("f", b), what) end

local function this_file_line(err, line)
  T.contains(err, ("test_autograd.lua:%d:"):format(line), "the error names the calling line")
end

T.case("a second backward on the same loss is an error naming the user's line", function()
  local model, x, y, loss_fn = tiny()
  local loss = loss_fn(model(x), y)
  loss:backward()
  local before = model:parameters()[1]:grad()
  local ok, err = pcall(function() loss:backward() end) local line = debug.getinfo(1, "l").currentline
  T.eq(ok, false, "second backward fails")
  T.contains(err, "Trying to backward through the graph a second time")
  this_file_line(err, line)
  local after = model:parameters()[1]:grad()
  T.eq(at(after, 1, 1), at(before, 1, 1), "the failed backward added nothing")
end)

T.case("backward after the model ran forward again is an error; so after the loss function ran again", function()
  local model, x, y, loss_fn = tiny()
  local loss = loss_fn(model(x), y)
  model(x)
  local ok, err = pcall(function() loss:backward() end) local line = debug.getinfo(1, "l").currentline
  T.eq(ok, false, "backward through a gone graph fails")
  T.contains(err, "the model ran forward again")
  this_file_line(err, line)
  -- the latest loss of the latest forward still backs up
  local loss2 = loss_fn(model(x), y)
  local loss3 = loss_fn(model(x), y)
  T.fails(function() loss2:backward() end, "graph that is gone")
  loss3:backward()
  T.fails(function() loss3:backward() end, "second time")
end)

T.case("the CLI reports a double backward at the script's line", function()
  local dir = T.tmpdir("autograd")
  local path, line = T.marked_script(dir, "twice", [[
local lab = require "nnlab"
local nn = lab.nn
local model = nn.Sequential { nn.Linear(2, 2) }
local loss = nn.CrossEntropyLoss()(model(lab.tensor { { 1, 2 } }), lab.labels { 1 })
loss:backward()
loss:backward() --<
]])
  local out, status = T.nnlab_run({ "run", path })
  T.eq(status, 1, "exit status\n" .. out)
  T.contains(out:match("^[^\n]*"), ("%s:%d: Trying to backward through the graph a second time"):format(path, line))
end)

T.case("parameters()[i] are the weight (out, in) and bias (out) of each Linear, in PyTorch's order", function()
  local model = nn.Sequential({ nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2) }, { seed = 1 })
  local params = model:parameters()
  T.eq(#params, model:num_parameters(), "#params is still the number of values")
  local names, dims, numels = {}, {}, 0
  for i, p in ipairs(params) do
    names[i], dims[i] = p.name, p:dim()
    numels = numels + p:numel()
  end
  T.eq(table.concat(names, " "), "0.weight 0.bias 2.weight 2.bias", "names")
  T.eq(table.concat(dims, " "), "2 1 2 1", "dims")
  T.eq(numels, model:num_parameters(), "the tensors hold every value")
  T.eq(params[5], nil, "nothing past the last")
  T.eq(table.concat(params[3].shape, ","), "2,4", "weight shape (out, in)")
  T.eq(table.concat(params[4].shape, ","), "2", "bias shape (out)")
  local r, c = params[3]:grad():size(0), params[3]:grad():size(1)
  T.eq(r, 2, "grad rows")
  T.eq(c, 4, "grad cols")
  T.eq(params[2]:grad():size(0), 4, "bias grad length")
  -- data() is the values parameter_values() lists (W then b per layer)
  local flat = model:parameter_values()
  T.eq(at(params[3]:data(), 2, 4), flat[3 * 4 + 4 + 4 + 4], "data (2, 4) of the second weight")
  T.eq(at(params[4]:data(), 2), flat[#flat], "data of the last bias")
  T.contains(tostring(params[1]), "Parameter containing:", "prints as PyTorch's")
end)

T.case("grad() after backward is the hand-computed gradient of a Linear under MSE", function()
  local model, x, y, loss_fn = tiny()
  local params = model:parameters()
  local w, b = params[1]:data(), params[2]:data()
  for r = 1, 2 do
    feq(at(b, r), B0[r], "initial bias " .. r)
    for c = 1, 3 do feq(at(w, r, c), W0[r][c], ("initial weight (%d, %d)"):format(r, c)) end
  end
  local g0 = params[1]:grad()
  T.eq(at(g0, 1, 1), 0, "zero before any backward")
  local loss = loss_fn(model(x), y)
  T.close(loss:item(), LOSS, 1e-6, "loss")
  loss:backward()
  local gw, gb = params[1]:grad(), params[2]:grad()
  for r = 1, 2 do
    T.close(at(gb, r), GB[r], 1e-6, "bias grad " .. r)
    for c = 1, 3 do T.close(at(gw, r, c), GW[r][c], 1e-6, ("weight grad (%d, %d)"):format(r, c)) end
  end
  -- a copy: zero_grad does not change what grad() gave
  model:zero_grad()
  T.close(at(gw, 1, 1), GW[1][1], 1e-6, "the earlier copy is unchanged")
  T.eq(at(params[1]:grad(), 1, 1), 0, "a new grad() sees the zeroed gradient")
  getmetatable(model).__close(model)
  T.fails(function() params[1]:grad() end, "closed model")
end)

-- All gradients of the tiny model as one list, in parameter order.
local function all_grads(model)
  local out = {}
  for _, p in ipairs(model:parameters()) do
    local g = p:grad()
    if p:dim() == 2 then
      for r = 1, p.shape[1] do for c = 1, p.shape[2] do out[#out + 1] = at(g, r, c) end end
    else
      for r = 1, p.shape[1] do out[#out + 1] = at(g, r) end
    end
  end
  return out
end

T.case("clip_grad_norm_ returns the total norm and scales the gradients down to max_norm", function()
  local model, x, y, loss_fn = tiny()
  loss_fn(model(x), y):backward()
  local before = all_grads(model)
  local norm = nn.utils.clip_grad_norm_(model:parameters(), 1.0)
  T.close(norm, NORM2, 1e-5, "total 2-norm before clipping")
  local after = all_grads(model)
  local coef = 1.0 / (NORM2 + 1e-6)
  for i = 1, #before do T.close(after[i], before[i] * coef, 1e-6, "gradient " .. i .. " scaled") end
  T.close(nn.utils.clip_grad_norm_(model:parameters(), 1e9), 1.0, 1e-5, "norm after = max_norm")
end)

T.case("clip_grad_norm_ over a NaN total norm makes every gradient NaN, as PyTorch's clamp does", function()
  -- a dead ReLU unit and an overflowing loss: gradients of inf, and a NaN beside them
  local model = nn.Sequential({ nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1) }, { seed = 3 })
  nn.MSELoss()(model(lab.tensor { { 1e30 } }), lab.tensor { { -3e38 } }):backward()
  local total = nn.utils.clip_grad_norm_(model:parameters(), 1.0)
  T.truthy(total ~= total, "the total is NaN: " .. tostring(total))
  for i, g in ipairs(all_grads(model)) do T.truthy(g ~= g, "gradient " .. i .. " is NaN: " .. tostring(g)) end
end)

T.case("clip_grad_norm_ leaves gradients under max_norm alone, and knows the 1- and inf-norms", function()
  local model, x, y, loss_fn = tiny()
  loss_fn(model(x), y):backward()
  local before = all_grads(model)
  T.close(nn.utils.clip_grad_norm_(model:parameters(), 10), NORM2, 1e-5, "2-norm")
  T.close(nn.utils.clip_grad_norm_(model, 100, 1), NORM1, 1e-5, "1-norm")
  T.close(nn.utils.clip_grad_norm_(model:parameters(), 100, math.huge), NORM_INF, 1e-6, "inf-norm")
  T.close(nn.utils.clip_grad_norm_(model:parameters(), 100, "inf"), NORM_INF, 1e-6, "'inf'")
  local list = {}
  for i, p in ipairs(model:parameters()) do list[i] = p end
  T.close(nn.utils.clip_grad_norm_(list, 100), NORM2, 1e-5, "a list of all parameter tensors")
  local after = all_grads(model)
  for i = 1, #before do T.eq(after[i], before[i], "gradient " .. i .. " untouched") end
  T.close(nn.utils.clip_grad_norm_(model:parameters(), 1, math.huge), NORM_INF, 1e-6, "inf-norm clips")
  T.close(nn.utils.clip_grad_norm_(model:parameters(), 100, math.huge), 1, 1e-5, "max |g| is now 1")
  local ok, err = pcall(nn.utils.clip_grad_norm_, model:parameters(), -1)
  T.eq(ok, false, "negative max_norm")
  T.contains(err, "max_norm must be a number >= 0")
  T.fails(function() nn.utils.clip_grad_norm_(model:parameters(), 1, 0) end, "norm_type must be")
  T.fails(function() nn.utils.clip_grad_norm_({ list[1] }, 1) end, "pass model:parameters()")
end)

T.case("opt:lr() and config().lr are the double that was set", function()
  local model = tiny()
  local opt = optim.SGD(model:parameters(), { lr = 0.001 })
  T.eq(opt:lr(), 0.001, "lr()")
  T.eq(opt:config().lr, 0.001, "config().lr")
  T.eq(optim.Adam(model:parameters()):lr(), 0.001, "Adam's default")
  assert(opt:set_lr(1 / 3))
  T.eq(opt:lr(), 1 / 3, "set_lr keeps every digit")
  T.eq(opt:config().lr, 1 / 3, "config().lr too")
end)

T.case("schedulers give the doubles PyTorch computes", function()
  local model = tiny()
  local opt = optim.SGD(model:parameters(), { lr = 0.1 })
  local s = optim.lr_scheduler.StepLR(opt, { step_size = 1, gamma = 0.5 })
  local seq = { opt:lr() }
  for _ = 1, 4 do seq[#seq + 1] = s:step() end
  local expected = { 0.1, 0.05, 0.025, 0.0125, 0.00625 }
  for i = 1, #expected do T.eq(seq[i], expected[i], "StepLR epoch " .. (i - 1)) end
  T.eq(opt:lr(), 0.00625, "the optimizer's lr")
  T.eq(s:get_last_lr()[1], 0.00625, "get_last_lr")

  opt = optim.SGD(model:parameters(), { lr = 0.1 })
  s = optim.lr_scheduler.StepLR(opt, { step_size = 2, gamma = 0.1 })
  expected = { 0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002 }
  seq = { opt:lr() }
  for _ = 1, 4 do seq[#seq + 1] = s:step() end
  for i = 1, #expected do T.eq(seq[i], expected[i], "StepLR gamma 0.1, epoch " .. (i - 1)) end

  -- PyTorch's step() is its chainable form, not the closed one: from epoch 7
  -- on they differ in the last bits (0.021404630011522586 closed), and past
  -- T_max the cosine climbs back
  opt = optim.SGD(model:parameters(), { lr = 0.1 })
  s = optim.lr_scheduler.CosineAnnealingLR(opt, { T_max = 10, eta_min = 0.001 })
  expected = { 0.1, 0.09757729755661011, 0.0905463412215599, 0.07959536998847742, 0.0657963412215599, 0.0505,
               0.03520365877844011, 0.02140463001152259, 0.010453658778440109, 0.0034227024433899004, 0.001,
               0.0034227024433899004, 0.01045365877844014 }
  seq = { opt:lr() }
  for _ = 1, 12 do seq[#seq + 1] = s:step() end
  for i = 1, #expected do T.eq(seq[i], expected[i], "cosine epoch " .. (i - 1)) end
  T.eq(s:get_last_lr()[1], expected[#expected], "get_last_lr")
end)

-- f() must fail with `needle` at the caller's line of this file.
local function refused_here(f, needle)
  local line = debug.getinfo(2, "l").currentline
  local err = T.fails(f, needle)
  this_file_line(err, line)
  return err
end

T.case("a scheduler goes on from an lr set by hand, as PyTorch's; step(epoch) is refused", function()
  local model = tiny()
  local opt = optim.SGD(model:parameters(), { lr = 0.1 })
  local s = optim.lr_scheduler.StepLR(opt, { step_size = 3, gamma = 0.5 })
  T.eq(s:get_last_lr()[1], 0.1, "get_last_lr before any step")
  local seq = {}
  for e = 1, 7 do
    if e == 2 then opt:set_lr(1.0) end
    seq[e] = s:step()
  end
  local expected = { 0.1, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25 } -- torch 1.13, lr set to 1.0 before the 2nd step
  for i = 1, #expected do T.eq(seq[i], expected[i], "StepLR after set_lr, step " .. i) end
  opt:set_lr(0.3)
  T.eq(s:get_last_lr()[1], 0.25, "get_last_lr is the scheduler's, not the optimizer's")
  refused_here(function() s:step(5) end, "StepLR:step() takes no epoch")
end)

T.case("backward from a loss on a row or a narrow of the output is refused at the user's line", function()
  -- the engine's backward is fused from the model's whole last output: a loss
  -- on part of it had its gradient read as the whole one's (past its end)
  local model, x, y, loss_fn = tiny()
  local out = model(x)
  local part = loss_fn(out:narrow(0, 2, 2), y:narrow(0, 2, 2))
  refused_here(function() part:backward() end, "backward needs the model's whole output")
  refused_here(function() loss_fn(out[1], y[1]):backward() end, "2 values of the (4, 2) it gave")
  T.eq(at(model:parameters()[1]:grad(), 1, 1), 0, "the refused backwards added nothing")
  -- the whole output, also as a narrow of every row, backs up as before
  loss_fn(out:narrow(0, 1, 4), y):backward()
  local gw = model:parameters()[1]:grad()
  for r = 1, 2 do
    for c = 1, 3 do T.close(at(gw, r, c), GW[r][c], 1e-6, ("weight grad (%d, %d)"):format(r, c)) end
  end
end)

T.case("model(model(x)) is model(a copy of model(x)); backward through it is refused", function()
  -- large enough for the forward's tiles to write outputs before they read
  -- all of the input: in place, that read the new values
  local model = nn.Sequential({ nn.Linear(64, 64) }, { seed = 4 })
  local rows = {}
  for r = 1, 100 do
    rows[r] = {}
    for c = 1, 64 do rows[r][c] = math.sin(r + c) end
  end
  local x = lab.tensor(rows)
  local copy = lab.tensor(model(x):tolist())
  local expected = model(copy):tolist()
  local inner = model(x)
  local got = model(inner)
  local differ = 0
  for r = 1, 100 do
    for c = 1, 64 do
      if string.pack("f", got:get(r, c)) ~= string.pack("f", expected[r][c]) then differ = differ + 1 end
    end
  end
  T.eq(differ, 0, "values of m(m(x)) that differ from m(copy of m(x))")
  T.fails(function() return inner:tolist() end, "stale tensor")
  local loss_fn = nn.MSELoss()
  local loss = loss_fn(got, lab.tensor(expected))
  refused_here(function() loss:backward() end, "cannot backward through model(model(x))")
  -- the loss of an output the model then ran on is gone, as any loss after another forward
  local y = lab.tensor(expected)
  local h = model(x)
  local first = loss_fn(h, y)
  model(h)
  refused_here(function() first:backward() end, "the model ran forward again")
  -- a forward on another input backs up again
  loss_fn(model(x), y):backward()
end)

-- The gradients of m1's parameters in m2(m1(x)) for m1 = Linear(3, 4), Tanh and
-- m2 = Linear(4, 2) under MSE, computed here in double from the values the
-- models gave (h = m1(x), pred = m2(h)) and m2's weight w2, by the chain rule
-- PyTorch follows: dh = dpred W2, dpre = dh (1 - h^2), dW1 = dpre^T x.
local function chained_expected(h, pred, w2, x, y)
  local B, H, O, I = #h, #h[1], #w2, #x[1]
  local gw, gb = {}, {}
  for j = 1, H do
    gw[j], gb[j] = {}, 0
    for i = 1, I do gw[j][i] = 0 end
  end
  for r = 1, B do
    for j = 1, H do
      local dh = 0
      for o = 1, O do dh = dh + 2 * (pred[r][o] - y[r][o]) / (B * O) * w2[o][j] end
      local dpre = dh * (1 - h[r][j] * h[r][j])
      gb[j] = gb[j] + dpre
      for i = 1, I do gw[j][i] = gw[j][i] + dpre * x[r][i] end
    end
  end
  return gw, gb
end

T.case("backward through m2(m1(x)) routes the gradient on into m1, as PyTorch's", function()
  local m1 = nn.Sequential({ nn.Linear(3, 4), nn.Tanh() }, { seed = 3 })
  local m2 = nn.Sequential({ nn.Linear(4, 2) }, { seed = 5 })
  local xs = { { 1, 2, 3 }, { -1, 0.5, 2 }, { 0, -2, 1 }, { 3, 1, -1 } }
  local ys = { { 1, 0 }, { 0, 1 }, { 0.5, -0.5 }, { 2, 1 } }
  local x, y = lab.tensor(xs), lab.tensor(ys)
  local h = m1(x)
  local pred = m2(h)
  local hs, preds = h:tolist(), pred:tolist()
  local loss = nn.MSELoss()(pred, y)
  loss:backward()
  local gw, gb = chained_expected(hs, preds, m2:parameters()[1]:data():tolist(), xs, ys)
  local got_w, got_b = m1:parameters()[1]:grad(), m1:parameters()[2]:grad()
  for j = 1, 4 do
    T.close(at(got_b, j), gb[j], 1e-6, ("m1 bias grad (%d)"):format(j))
    for i = 1, 3 do T.close(at(got_w, j, i), gw[j][i], 1e-6, ("m1 weight grad (%d, %d)"):format(j, i)) end
  end
  T.eq(math.abs(at(got_w, 2, 1)) > 0.1, true, "m1's gradients are not zero")
  -- m2's own gradients are those of m2 alone on a copy of h, bit for bit
  local alone = nn.Sequential({ nn.Linear(4, 2) }, { seed = 5 })
  nn.MSELoss()(alone(lab.tensor(h:tolist())), y):backward()
  local a, b = alone:parameters()[1]:grad():totable(), m2:parameters()[1]:grad():totable()
  for k = 1, #a do feq(b[k], a[k], ("m2 weight grad %d"):format(k)) end
  -- three models, and model:backward(dy) routes the same way
  local m0 = nn.Sequential({ nn.Linear(2, 3) }, { seed = 9 })
  m1:zero_grad()
  local out = m2(m1(m0(lab.tensor { { 1, -1 }, { 0.5, 2 } })))
  m2:backward(lab.tensor { { 1, 0 }, { 0, 1 } })
  T.eq(at(m0:parameters()[1]:grad(), 1, 1) ~= 0, true, "the gradient reached the first model")
  T.eq(#out, 2, "rows")
end)

T.case("backward through m2(m1(x)) refuses a slice of m1's output and a changed link, adding nothing", function()
  local m1 = nn.Sequential({ nn.Linear(3, 4), nn.Tanh() }, { seed = 3 })
  local m2 = nn.Sequential({ nn.Linear(4, 2) }, { seed = 5 })
  local x = lab.tensor { { 1, 2, 3 }, { -1, 0.5, 2 }, { 0, -2, 1 }, { 3, 1, -1 } }
  local y = lab.tensor { { 1, 0 }, { 0, 1 } }
  local loss = nn.MSELoss()(m2(m1(x):narrow(0, 2, 2)), y)
  refused_here(function() loss:backward() end, "needs model_a's whole output")
  -- m1's input written after its forward: refused before m2 gets anything
  local y4 = lab.tensor { { 1, 0 }, { 0, 1 }, { 0.5, -0.5 }, { 2, 1 } }
  loss = nn.MSELoss()(m2(m1(x)), y4)
  x:set(1, 1, 5)
  refused_here(function() loss:backward() end, "the model's input is at version")
  for _, m in ipairs { m1, m2 } do
    for _, v in ipairs(m:parameters()[1]:grad():totable()) do T.eq(v, 0, "no gradient was added") end
  end
end)

T.case("writing the forward's input or output in place before backward is an error, as PyTorch's", function()
  local model, x, y, loss_fn = tiny()
  local writes = {
    { "t[i] = number", function(t) t[1] = 100 end },
    { "t:set", function(t) t:set(2, 3, 0) end },
    { "a row view", function(t) local row = t[3] row[1] = 5 end },
    { "a narrow view", function(t) t:narrow(0, 4, 1)[1] = lab.tensor { 1, 2, 3 } end },
  }
  for _, w in ipairs(writes) do
    local xi = lab.tensor(x:tolist())
    local loss = loss_fn(model(xi), y)
    w[2](xi)
    refused_here(function() loss:backward() end, "modified by an inplace operation: the model's input is at version 1; expected version 0")
  end
  local out = model(x)
  local loss = loss_fn(out, y)
  out[1] = 0
  refused_here(function() loss:backward() end, "the model's output is at version 1; expected version 0")
  out = model(x)
  out:set(1, 1, 0)
  loss = loss_fn(out, y)
  refused_here(function() loss:backward() end, "the model's output is at version")
  local written = lab.tensor(x:tolist())
  model(written)
  written[1] = 3
  refused_here(function() model:backward(lab.tensor { { 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 } }) end, "modified by an inplace operation")
  T.eq(at(model:parameters()[1]:grad(), 1, 1), 0, "the refused backwards added nothing")
  -- writes before the forward are the forward's input: it backs up
  local xi = lab.tensor(x:tolist())
  xi[1] = 5
  xi[1] = x[1]
  loss_fn(model(xi), y):backward()
  T.close(at(model:parameters()[1]:grad(), 1, 1), GW[1][1], 1e-6, "the gradient of the input as written")
end)

T.case("backward after an optimizer step is refused, as PyTorch's: the weights changed since the forward", function()
  -- the backward read the stepped weights with the forward's activations:
  -- gradients of no model at all
  local model = nn.Sequential({ nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2) }, { seed = 1 })
  local opt = optim.SGD(model:parameters(), { lr = 0.5 })
  local ce, x, y = nn.CrossEntropyLoss(), lab.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 } }, lab.labels { 0, 1, 1 }
  ce(model(x), y):backward()
  local loss = ce(model(x), y)
  opt:step()
  opt:zero_grad()
  refused_here(function() loss:backward() end, "the model's weights are at version 1; expected version 0")
  -- a step between a forward and its own backward is as wrong; the usual loop is not
  local out = model(x)
  opt:step()
  refused_here(function() model:backward(lab.tensor { { 1, 0 }, { 0, 1 }, { 1, 1 } }) end, "optimizer:step() changed them")
  T.eq(#out, 3, "the output itself stays readable")
  for _ = 1, 3 do
    opt:zero_grad()
    ce(model(x), y):backward()
    opt:step()
  end
end)

T.case("MSE of (N, 1) predictions against (N,) targets is refused, where PyTorch broadcasts to (N, N)", function()
  local column, flat = lab.tensor { { 1 }, { 2 }, { 3 } }, lab.tensor { 1.5, 2, 3 }
  refused_here(function() nn.MSELoss()(column, flat) end,
    "predictions (3, 1) and targets (3,) differ in shape; PyTorch would broadcast them to (3, 3)")
  refused_here(function() nn.MSELoss()(flat, column) end, "predictions (3,) and targets (3, 1)")
  -- the same shapes, and one row (where broadcasting changes nothing), compute
  T.close(nn.MSELoss()(column, lab.tensor { { 1.5 }, { 2 }, { 3 } }):item(), 0.25 / 3, 1e-7, "(3, 1) loss")
  T.close(nn.MSELoss()(flat, lab.tensor { 1, 2, 3 }):item(), 0.25 / 3, 1e-7, "(3,) loss")
  T.close(nn.MSELoss()(lab.tensor { { 1 } }, lab.tensor { 1.5 }):item(), 0.25, 1e-7, "one row")
end)

T.case("class labels are 1-D, one per row: a (N, 2) integer target is refused", function()
  local pred = lab.tensor { { 2, 0 }, { 0, 2 } }
  local two_d = lab.tensor { { 1, 0 }, { 0, 1 } }:gt(0.5)
  refused_here(function() nn.CrossEntropyLoss()(pred, two_d) end,
               "class labels must be 1-D, one per row of the predictions: (2,), not a (2, 2) integer tensor")
  refused_here(function() nn.MSELoss()(pred, two_d) end, "class labels must be 1-D")
  local as_column = lab.tensor { { 1 }, { 0 } }:gt(0.5)
  T.close(nn.CrossEntropyLoss()(pred, as_column):item(), nn.CrossEntropyLoss()(pred, lab.labels { 1, 0 }):item(),
          0, "(N, 1) labels read as (N,)")
end)

-- A failed call leaves the loss of the last good call as it was: the checks
-- come before the function's gradient buffer is touched, and a larger buffer
-- replaces it only once a call succeeded (a refused call on a wider batch
-- left a zeroed buffer behind, and the earlier loss backed up zeros).
T.case("a refused loss_fn call leaves the gradient of the earlier loss as it was", function()
  local wide = lab.tensor { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 } }
  local calls = {
    { nn.CrossEntropyLoss, "float targets", function(loss_fn)
      refused_here(function() loss_fn(wide, wide) end, "cross entropy needs class labels") end },
    { nn.CrossEntropyLoss, "a label out of range", function(loss_fn)
      refused_here(function() loss_fn(wide, lab.labels { 0, 10 }) end, "target 10 at row 1 (0-based) is out of range") end },
    { nn.CrossEntropyLoss, "a (N, 2) label tensor", function(loss_fn)
      refused_here(function() loss_fn(wide, lab.tensor { { 1, 0 }, { 0, 1 } }:gt(0.5)) end, "class labels must be 1-D") end },
    { nn.MSELoss, "targets of another width", function(loss_fn)
      refused_here(function() loss_fn(wide, lab.tensor { { 1 }, { 2 } }) end, "MSELoss: predictions (2, 10) and targets (2, 1) differ in shape") end },
    { nn.MSELoss, "a one-hot label out of range", function(loss_fn)
      refused_here(function() loss_fn(wide, lab.labels { 0, 10 }) end, "target 10 at row 1 (0-based) is out of range") end },
  }
  for _, call in ipairs(calls) do
    local loss_kind, what, refused = call[1], call[2], call[3]
    local function grads(spoil)
      local model, x = tiny()
      local loss_fn = loss_kind()
      local loss = loss_fn(model(x), lab.labels { 0, 1, 1, 0 })
      if spoil then refused(loss_fn) end
      loss:backward()
      return all_grads(model)
    end
    local expected, got = grads(false), grads(true)
    for i = 1, #expected do feq(got[i], expected[i], what .. ": gradient " .. i) end
  end
end)

-- A forward that fails for memory (a Linear(1, 65536) on 16384 rows asks for
-- 4 GiB of activations, in a process held to less) has freed the buffers of
-- the last output before it tried: that output and its rows are stale, an
-- error, not a read of freed memory, and its loss has no forward to back up
-- through.
-- PyTorch's step(closure): the closure had never been called, so a loop
-- written that way trained nothing without a word.
T.case("optimizer:step(closure) calls the closure, steps and returns its loss, as PyTorch's", function()
  local model, x, y, mse = tiny()
  local plain_model = tiny()
  local opt = optim.SGD(model:parameters(), { lr = 0.1 })
  local plain = optim.SGD(plain_model:parameters(), { lr = 0.1 })
  local calls = 0
  local loss = opt:step(function()
    calls = calls + 1
    opt:zero_grad()
    local l = mse(model(x), y)
    l:backward()
    return l
  end)
  T.eq(calls, 1, "the closure ran once")
  T.close(loss:item(), LOSS, 1e-6, "step returns the closure's loss")
  plain:zero_grad()
  mse(plain_model(x), y):backward()
  plain:step()
  local got, want = model:parameter_values(), plain_model:parameter_values()
  T.eq(#got, #want, "as many values")
  T.truthy(math.abs(got[1] - W0[1][1]) > 1e-4, "the step moved the weights: " .. got[1])
  for i = 1, #want do T.eq(got[i], want[i], "value " .. i .. ": the same step as without a closure") end
  refused_here(function() opt:step(3) end, "optimizer:step(closure): the closure must be a function, got a number")
end)

-- PyTorch arguments nnlab does not have were dropped without a word:
-- backward's gradient (the result was not scaled), add's alpha, div's
-- rounding_mode; a loss divided for accumulation gave Lua's own error; a
-- layer listed twice (PyTorch's tied weights) got two sets of weights.
T.case("PyTorch arguments and patterns nnlab lacks are refused in one line at the user's line", function()
  local model, x, y, mse = tiny()
  refused_here(function() mse(model(x), y):backward(lab.tensor { 2 }) end,
               "loss:backward() takes no arguments, got a tensor")
  refused_here(function() mse(model(x), y):backward { retain_graph = true } end,
               "loss:backward() takes no arguments, got a table")
  refused_here(function() local r = x:add(x, { alpha = 2 }) return r end, "add takes one operand: PyTorch's alpha and rounding_mode")
  refused_here(function() local r = x:div(x, { rounding_mode = "floor" }) return r end, "div takes one operand")
  refused_here(function() local r = mse(model(x), y) / 2 return r end, "a loss supports no arithmetic")
  local shared = nn.Linear(3, 3)
  refused_here(function() local m = nn.Sequential { shared, nn.Tanh(), shared } return m end,
               "nn.Sequential: items 1 and 3 are the same nn.Linear; nnlab does not tie weights")
  refused_here(function() local m = nn.Sequential { nn.Sequential { nn.Linear(3, 3) }, nn.Linear(3, 2) } return m end,
               "nn.Sequential: item 1 is a model; models do not nest here")
  refused_here(function() local m = nn.Sequential(model:layers()) return m end,
               "nn.Sequential: item 1 is a layer's description (as model:layers() lists them), not a layer")
  refused_here(function() local m = nn.Sequential { nn.Linear(3, 2), mse } return m end,
               "nn.Sequential: item 2 is an nnlab object (a loss function, a tensor, an optimizer?), not a layer")
  refused_here(function() local r = x:eq(x, 1) return r end, "eq takes one operand")
  local relu = nn.ReLU() -- a layer without weights may be listed twice
  T.truthy(nn.Sequential { nn.Linear(3, 3), relu, nn.Linear(3, 3), relu }, "a ReLU twice")
  refused_here(function() model:backward(lab.tensor { 1, 2 }) end,
               "model:backward(gradient): the gradient is (2,), but the output is (4, 2)")
  refused_here(function() local r = model(lab.labels { 1, 2 }) return r end, "model(x): x must be a float tensor, got an integer one")
  refused_here(function() local r = mse(model(x)) return r end, "the targets must be a tensor, got nothing")
  refused_here(function() local r = model(x, x) return r end, "model(x) takes one input, got 2")
  refused_here(function() model:train("no") end, "model:train(mode): mode must be true or false, got a string")
  refused_here(function() local r = mse(model(lab.tensor { { 1, 2, 3 } }), lab.tensor { 1, 2 }) return r end,
               "predictions (1, 2) and targets (2,) differ in their first dimension")
end)

T.case("a forward that fails for memory makes the last output stale", function()
  local path = T.marked_script(T.tmpdir("autograd_oom"), "oom", [[
local lab = require "nnlab"
local nn = lab.nn
local model = nn.Sequential { nn.Linear(1, 65536) }
local y = model(lab.tensor { { 1 } })
local row, zeros, rows = y[1], {}, {}
for i = 1, 65536 do zeros[i] = 0 end
for i = 1, 16384 do rows[i] = { 1 } end
local loss = nn.MSELoss()(y, lab.tensor { zeros })
print("forward:", pcall(model, lab.tensor(rows)))
print("output:", pcall(function() return y[1][1] end))
print("row:", pcall(function() return row[1] end))
print("backward:", pcall(function() loss:backward() end))
]])
  local sanitized = os.getenv("NNLAB_SANITIZED") == "1" -- ASan reserves terabytes: no `ulimit -v` under it
  local out, status = T.nnlab_run({ "run", path },
                                  sanitized and { ASAN_OPTIONS = "allocator_may_return_null=1:max_allocation_size_mb=1024" } or nil,
                                  not sanitized and "ulimit -v 1500000" or nil)
  T.eq(status, 0, "exit status\n" .. out)
  T.contains(out, "forward:\tfalse\t", "the forward fails")
  T.contains(out, "out of memory for activations of batch 16384", "for memory")
  T.contains(out, "output:\tfalse\t", "the output is refused")
  T.contains(out, "row:\tfalse\t", "its row is refused")
  for _, line in ipairs { out:match("output:[^\n]*"), out:match("row:[^\n]*") } do
    T.contains(line, "stale tensor", "as a stale view")
  end
  T.contains(out:match("backward:[^\n]*"), "the model ran forward again", "the loss of the old output")
end)

T.done()
