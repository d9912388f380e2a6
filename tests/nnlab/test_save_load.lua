-- Models survive save -> load bit for bit; damaged files are refused clearly.
local T = require "testlib"
local nnlab = require "nnlab"
local nn, data = nnlab.nn, nnlab.data

local dir = T.tmpdir("save_load")
local model = nn.Sequential({ nn.Linear(784, 16), nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(16, 10) }, { seed = 11 })
local path = dir .. "/model.nnlab"
T.eq(nnlab.save(model, path), true, "save")
local back = nnlab.load(path)
T.eq(tostring(back), tostring(model), "same layers")
T.eq(back:num_parameters(), model:num_parameters(), "same parameter count")
local a, b = model:parameter_values(), back:parameter_values()
for i = 1, #a do T.eq(b[i], a[i], "parameter " .. i) end

local test_loader = data.DataLoader(data.load("fashion-mnist", { train = false, subset = 500 }), { batch_size = 100 })
T.eq(nnlab.evaluate(back, test_loader).loss, nnlab.evaluate(model, test_loader).loss, "same evaluation")
T.contains(tostring(model), "(1): LeakyReLU(negative_slope=0.2)", "printed model")
T.contains(tostring(model), "(2): Dropout(p=0.3, inplace=False)", "printed model")

-- damaged files
local bytes = T.read(path)
T.write(dir .. "/truncated.nnlab", bytes:sub(1, #bytes - 7))
T.fails(function() nnlab.load(dir .. "/truncated.nnlab") end, "truncated.nnlab")
local flipped = bytes:sub(1, 200) .. string.char((bytes:byte(201) + 1) % 256) .. bytes:sub(202)
T.write(dir .. "/flipped.nnlab", flipped)
T.fails(function() nnlab.load(dir .. "/flipped.nnlab") end, "checksum")
T.write(dir .. "/foreign.nnlab", "PK\3\4 this is a zip file, not a model")
T.fails(function() nnlab.load(dir .. "/foreign.nnlab") end, "foreign.nnlab")
T.fails(function() nnlab.load(dir .. "/missing.nnlab") end, "missing.nnlab")
T.fails(function() nnlab.save(model, dir .. "/no/such/folder/m.nnlab") end, "no/such/folder")

-- train/eval mode round trip
T.eq(model:training(), true, "new models train")
model:eval()
T.eq(model:training(), false, "eval mode")
model:train()
T.eq(model:training(), true, "train mode")
