-- The seed's PyTorch training loop, as written in the README, on a subset.
local T = require "testlib"
local nnlab = require "nnlab"
local nn, optim, data = nnlab.nn, nnlab.optim, nnlab.data

local train_dataset = data.load("fashion-mnist", { train = true, subset = 6000 })
local test_dataset  = data.load("fashion-mnist", { train = false, subset = 2000 })
local train_loader  = data.DataLoader(train_dataset, { batch_size = 32, shuffle = true })
local test_loader   = data.DataLoader(test_dataset,  { batch_size = 32, shuffle = false })
local model = nn.Sequential { nn.Linear(28*28, 64), nn.Sigmoid(), nn.Linear(64, 10) }
local loss_fn = nn.CrossEntropyLoss()
local optimizer = optim.SGD(model:parameters(), { lr = 0.01 })

-- The loop itself, which the cases then inspect.
local before = nnlab.evaluate(model, test_loader)
local first_loss, last_loss
for epoch = 1, 3 do
  for x, y in train_loader:batches() do
    local y_pred = model(x)
    local loss = loss_fn(y_pred, y)
    optimizer:zero_grad()
    loss:backward()
    optimizer:step()
    first_loss = first_loss or loss:item()
    last_loss = loss:item()
  end
end
local after = nnlab.evaluate(model, test_loader)

T.case("the subset and its loader have the sizes asked for", function()
  T.eq(#train_dataset, 6000, "train subset size")
  T.eq(#train_loader, 188, "batches per epoch (6000 / 32, last one partial)")
end)

T.case("the optimizer steps once per batch", function()
  T.eq(optimizer:steps(), 3 * 188, "optimizer steps")
end)

T.case("the untrained model is near chance", function()
  T.truthy(before.accuracy < 20, ("untrained accuracy near chance (%.2f)"):format(before.accuracy))
end)

T.case("three epochs of the seed's loop learn: accuracy above 40 %, the loss falls", function()
  -- chance is 10 %; sigmoid + SGD lr 0.01 learns slowly (about 49 % here after 3 epochs)
  T.truthy(after.accuracy > 40, ("accuracy after 3 epochs > 40%% (%.2f)"):format(after.accuracy))
  T.truthy(last_loss < first_loss, "loss went down")
end)

T.case("evaluate counts every test sample", function()
  T.eq(after.count, 2000, "evaluated samples")
end)

print(("seed loop: %.2f%% -> %.2f%%"):format(before.accuracy, after.accuracy))
T.done()
