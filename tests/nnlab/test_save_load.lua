-- Models survive save -> load bit for bit; damaged files are refused clearly.
local T = require "testlib"
local nnlab = require "nnlab"
local nn, data = nnlab.nn, nnlab.data

-- A model saved once; the cases load it, damage copies of its file, switch its mode.
local dir = T.tmpdir("save_load")
local model = nn.Sequential({ nn.Linear(784, 16), nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(16, 10) }, { seed = 11 })
local path = dir .. "/model.nnlab"
local saved = nnlab.save(model, path)
local bytes = T.read(path)

T.case("save then load gives the same layers and parameters, bit for bit", function()
  T.eq(saved, true, "save")
  local back = nnlab.load(path)
  T.eq(tostring(back), tostring(model), "same layers")
  T.eq(back:num_parameters(), model:num_parameters(), "same parameter count")
  local a, b = model:parameter_values(), back:parameter_values()
  for i = 1, #a do T.eq(b[i], a[i], "parameter " .. i) end
end)

T.case("a loaded model evaluates to the same loss", function()
  local back = nnlab.load(path)
  local test_loader = data.DataLoader(data.load("fashion-mnist", { train = false, subset = 500 }), { batch_size = 100 })
  T.eq(nnlab.evaluate(back, test_loader).loss, nnlab.evaluate(model, test_loader).loss, "same evaluation")
end)

T.case("a model prints its layers as PyTorch does", function()
  T.contains(tostring(model), "(1): LeakyReLU(negative_slope=0.2)", "printed model")
  T.contains(tostring(model), "(2): Dropout(p=0.3, inplace=False)", "printed model")
end)

-- model:save checks its arguments as nnlab.save does: a misspelt option
-- wrote an uncompressed file, a number became a file name, and a wrong type
-- raised the binding's "bad argument #2" where nil, message was promised.
T.case("model:save refuses bad arguments as nnlab.save does, and returns nil, message on a failed write", function()
  T.fails(function() model:save(dir .. "/typo.nnlab", { deflat = true }) end,
          "model:save: unknown option 'deflat' (did you mean 'deflate'?)")
  T.eq(T.read(dir .. "/typo.nnlab"), nil, "nothing written")
  T.fails(function() model:save(42) end, "model:save: argument 1 must be the file's path (a string), got 42")
  T.fails(function() model:save(dir .. "/b.nnlab", { deflate = "yes" }) end,
          "model:save: option 'deflate' must be a boolean, got 'yes'")
  local ok, why = model:save(dir .. "/no/such/folder.nnlab")
  T.eq(ok, nil, "a failed write returns nil")
  T.contains(why, dir .. "/no/such/folder.nnlab", "and names the file")
  T.eq(model:save(dir .. "/deflated.nnlab", { deflate = true }), true, "a good call")
  T.eq(tostring(nnlab.load(dir .. "/deflated.nnlab")), tostring(model), "reads back")
end)

-- A save renames a temporary file over the path: through a symbolic link
-- that replaced the link by a file (its target kept the old model), and a
-- replaced file lost its permissions to 0666 & ~umask.
T.case("a save through a symbolic link writes the file it names; a replaced file keeps its permissions", function()
  local target, link = dir .. "/target.nnlab", dir .. "/link.nnlab"
  os.remove(target)
  os.remove(link)
  T.write(target, "old\n")
  os.execute(("chmod 640 %s && ln -s target.nnlab %s"):format(T.quote(target), T.quote(link)))
  T.eq(nnlab.save(model, link), true, "saved")
  T.eq(T.run("readlink " .. T.quote(link)), "target.nnlab\n", "the link is kept")
  T.eq(T.read(target), bytes, "the file it names holds the model")
  T.eq(T.run("stat -c %a " .. T.quote(target)), "640\n", "with its permissions")
  T.eq(model:save(target), true, "saved again, directly")
  T.eq(T.run("stat -c %a " .. T.quote(target)), "640\n", "still")
end)

T.case("a model file cut short is refused, naming the file", function()
  T.write(dir .. "/truncated.nnlab", bytes:sub(1, #bytes - 7))
  T.fails(function() nnlab.load(dir .. "/truncated.nnlab") end, "truncated.nnlab")
end)

T.case("a model file with a changed byte fails its checksum", function()
  local flipped = bytes:sub(1, 200) .. string.char((bytes:byte(201) + 1) % 256) .. bytes:sub(202)
  T.write(dir .. "/flipped.nnlab", flipped)
  T.fails(function() nnlab.load(dir .. "/flipped.nnlab") end, "checksum")
end)

T.case("a file that is not a model is refused, naming the file", function()
  T.write(dir .. "/foreign.nnlab", "PK\3\4 this is a zip file, not a model")
  T.fails(function() nnlab.load(dir .. "/foreign.nnlab") end, "foreign.nnlab")
end)

T.case("loading a missing file, or saving into a missing folder, is an error naming the path", function()
  T.fails(function() nnlab.load(dir .. "/missing.nnlab") end, "missing.nnlab")
  T.fails(function() nnlab.save(model, dir .. "/no/such/folder/m.nnlab") end, "no/such/folder")
end)

-- Before: nnlab.save("m", path) raised "init.lua:255: attempt to call a nil
-- value (method 'save')", and nnlab.save(model, 5) wrote a file named 5.
T.case("save and load name an argument that is not a model or a path, at the user's line", function()
  T.refused(function() nnlab.save("m", dir .. "/swapped.nnlab") end,
            "nnlab.save: argument 1 must be a model (nn.Sequential), got 'm'")
  T.refused(function() nnlab.save(path, model) end, "nnlab.save: argument 1 must be a model (nn.Sequential), got '")
  T.refused(function() nnlab.save(model) end, "nnlab.save: argument 2 must be the file's path (a string), got nil")
  T.refused(function() nnlab.save(model, 5) end, "nnlab.save: argument 2 must be the file's path (a string), got 5")
  T.refused(function() nnlab.load(model) end, "nnlab.load: expected the path of a model file (a string), got a model")
  T.eq(T.read(dir .. "/swapped.nnlab"), nil, "nothing written")
end)

T.case("a new model trains; eval() and train() switch its mode", function()
  T.eq(model:training(), true, "new models train")
  model:eval()
  T.eq(model:training(), false, "eval mode")
  model:train()
  T.eq(model:training(), true, "train mode")
end)

T.done()
