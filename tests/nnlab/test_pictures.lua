-- Pictures (lab.confusion, lab.samples, lab.mistakes, lab.weights) and what
-- each run keeps for them (the predictions in its cache entry, its weights
-- beside it): counts against evaluate and a recount, PNG sizes, class
-- names, cached re-runs that draw nothing, mistakes ranked over every seed,
-- weights naming their seed, damaged and old entries, tabular data, and
-- sweeps with their own run function (a model kept by ctx.save, or none).
-- The cases run in order over one cache (8×8 shapes: milliseconds a run).
local T = require "testlib"
local H = require "fixtures.notebook.helpers"
local shapes = require "fixtures.shapes"
local lab = require "nnlab"
local serialize = require "nnlab.notebook.serialize"
local predictions = require "nnlab.notebook.predictions"

local dir = T.tmpdir("pictures")
local cache, out = dir .. "/cache", dir .. "/reports"
local data = shapes.write(dir .. "/shapes", 200, 60)
local N_TEST, SEEDS = 60, 2

-- The head of the experiment files here: the shapes data, with class names.
local HEAD = ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local names = { "横杠", "bar down", "diagonal", "ring" }
local d = %q
local train = lab.data.idx(d .. "/train-images-idx3-ubyte", d .. "/train-labels-idx1-ubyte", { classes = names, name = "shapes" })
local test = lab.data.idx(d .. "/t10k-images-idx3-ubyte", d .. "/t10k-labels-idx1-ubyte", { classes = names, name = "shapes" })
]]):format(data)

T.case("a run's accuracy taken as a float32 mean still matches its matrix; one sample off does not", function()
  local label, pred, confidence = {}, {}, {}
  for i = 1, 1000 do label[i], pred[i], confidence[i] = i % 3, i <= 580 and i % 3 or (i + 1) % 3, 0.5 end
  local record = predictions.record(label, pred, confidence, 3)
  T.truthy(predictions.check(record, 58), "the exact accuracy")
  -- (580 ones in 1000 as a float32 mean, times 100: the README's idiom)
  T.truthy(predictions.check(record, 57.999998331069946), "the float32 mean's accuracy")
  T.truthy(not predictions.check(record, 58.1), "one sample more")
  T.truthy(not predictions.check(record, 57.9), "one sample fewer")
end)

local script = dir .. "/pics.lua"
T.write(script, HEAD .. ([[
local runs = lab.sweep { vary = { hidden = { 4, 16 } }, seeds = 2, epochs = 3, batch_size = 20,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(64, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 4) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.05 }) end,
}
lab.samples(train, { per_class = 3 })
lab.confusion(runs)
lab.mistakes(runs, { n = 6 })
lab.weights(runs, { n = 9 })
]]))

-- Runs an experiment file (default: the built-in sweep's) over the cache.
local function run(env, file)
  local full = { NNLAB_CACHE = cache }
  for k, v in pairs(env or {}) do full[k] = v end
  return T.nnlab_run({ "run", file or script, "--out", out, "--quiet" }, full)
end

-- The cache's entries: { path, entry (decoded) }, in name order.
local function entries()
  local list = {}
  for name in T.run("ls " .. T.quote(cache)):gmatch("%S+%.lua") do
    local path = cache .. "/" .. name
    list[#list + 1] = { path = path, entry = assert(serialize.decode(T.read(path), name)) }
  end
  table.sort(list, function(a, b) return a.path < b.path end)
  return list
end

-- Width and height from a PNG's IHDR chunk.
local function png_size(path)
  local bytes = T.read(path)
  if not bytes then error("no PNG at " .. path, 2) end
  T.eq(bytes:sub(1, 8), "\137PNG\r\n\26\n", path .. ": PNG signature")
  T.eq(bytes:sub(13, 16), "IHDR", path .. ": IHDR first")
  return string.unpack(">I4I4", bytes, 17)
end

-- Rows of a CSV without quoted fields.
local function csv_rows(path)
  local rows = {}
  for line in assert(T.read(path), "no " .. path):gmatch("[^\n]+") do
    local row = {}
    for field in (line .. ","):gmatch("([^,]*),") do row[#row + 1] = field end
    rows[#rows + 1] = row
  end
  return rows
end

local function test_set()
  return lab.data.idx(data .. "/t10k-images-idx3-ubyte", data .. "/t10k-labels-idx1-ubyte")
end

local function test_labels()
  local labels = {}
  for _, y in lab.data.DataLoader(test_set(), { batch_size = 100 }):batches() do
    for _, v in ipairs(y:totable()) do labels[#labels + 1] = v end
  end
  return labels
end

local first_out, first_status = run()
local report = T.read(out .. "/pics.md") or ""

T.case("each run keeps predictions that add up to the test set and agree with evaluate", function()
  T.eq(first_status, 0, "first run\n" .. first_out)
  local list = entries()
  T.eq(#list, 4, "entries")
  for _, e in ipairs(list) do
    local result = e.entry.result
    local pics = result.pictures
    T.truthy(predictions.check(pics, result.history[#result.history].test_acc), "stored record is valid")
    T.eq(pics.count, N_TEST, "one prediction per test sample")
    local total, diagonal = 0, 0
    for y = 0, 3 do
      for p = 0, 3 do
        total = total + predictions.cell(pics, y, p)
        if y == p then diagonal = diagonal + predictions.cell(pics, y, p) end
      end
    end
    T.eq(total, N_TEST, "confusion counts sum to the test size")
    -- the weights beside the entry give evaluate's accuracy again
    local model = lab.load((e.path:gsub("%.lua$", ".model")))
    local ev = lab.evaluate(model, lab.data.DataLoader(test_set(), { batch_size = 25 }))
    T.eq(ev.correct, diagonal, "the diagonal is evaluate's count of correct samples")
    T.close(100 * diagonal / N_TEST, result.history[#result.history].test_acc, 1e-9, "and the history's test_acc")
  end
  -- the report's matrix is summed over seeds
  local rows = csv_rows(out .. "/pics/pic2-confusion.csv")
  local total = 0
  for i = 2, #rows do for j = 2, #rows[i] do total = total + tonumber(rows[i][j]) end end
  T.eq(total, N_TEST * SEEDS, "the drawn matrix sums to test size × seeds")
end)

T.case("per-class accuracies match a recount from the stored predictions", function()
  local labels = test_labels()
  T.eq(#labels, N_TEST, "labels")
  local names = shapes.NAMES
  local recount = {}
  for _, e in ipairs(entries()) do
    local text = T.read((e.path:gsub("%.lua$", ".pred")))
    T.truthy(predictions.check_text(e.entry.result.pictures, text), "the predictions file is valid")
    local pred = predictions.decode(e.entry.result.pictures, text)
    local hidden, seed = e.entry.key.params.hidden, e.entry.key.params.seed
    for k = 0, 3 do
      local hit, count = 0, 0
      for i = 1, N_TEST do
        if labels[i] == k then
          count = count + 1
          if pred[i] == k then hit = hit + 1 end
        end
      end
      recount[("%s|hidden=%d|%d"):format(names[k + 1], hidden, seed)] = { hit, count }
    end
  end
  local rows, checked = csv_rows(out .. "/pics/pic2-confusion-per-class.csv"), 0
  T.eq(table.concat(rows[1], ","), "class,variation,seed,correct,count,accuracy", "per-class CSV header")
  for i = 2, #rows do
    local r = rows[i]
    local want = recount[("%s|%s|%s"):format(r[1], r[2], r[3])]
    T.truthy(want, "a recount for " .. table.concat(r, ","))
    T.eq(tonumber(r[4]), want[1], "correct of " .. r[1])
    T.eq(tonumber(r[5]), want[2], "count of " .. r[1])
    T.close(tonumber(r[6]), 100 * want[1] / want[2], 1e-9, "accuracy of " .. r[1])
    checked = checked + 1
  end
  T.eq(checked, 4 * 4, "a row per class × variation × seed")
end)

T.case("the pictures are PNGs of the expected sizes, with class names in the Markdown", function()
  -- mistakes: 6 a row, 170 pixels each; a row per 6 shown, 246 pixels high (13 × 9 data pixels a tile)
  local shown = #csv_rows(out .. "/pics/pic3-mistakes.csv") - 1
  T.truthy(shown >= 1 and shown <= 6, "1 to 6 mistakes shown")
  local want = { ["pic1-samples"] = { 720, 356 }, ["pic2-confusion"] = { 900, 800 },
                 ["pic3-mistakes"] = { 100 + 6 * 170, 110 + 246 }, ["pic4-weights"] = { 720, 292 } }
  for name, size in pairs(want) do
    local w, h = png_size(("%s/pics/%s.png"):format(out, name))
    T.eq(w, size[1], name .. " width")
    T.eq(h, size[2], name .. " height")
    T.contains(report, ("](pics/%s.png)"):format(name), "the report shows " .. name)
    T.truthy(T.read(("%s/pics/%s.csv"):format(out, name)), name .. ": its numbers as CSV")
  end
  for _, name in ipairs(shapes.NAMES) do T.contains(report, name, "class name in the Markdown") end
  T.contains(report, "Most confused in", "the most-confused sentence")
  T.contains(T.read(out .. "/pics/pic2-confusion.gp"), "'横杠' 0", "class names on the axes")
end)

T.case("a cached re-run draws nothing new", function()
  local before = T.read(out .. "/pics/pic2-confusion.png")
  -- gnuplot that fails: any picture drawn again would be a 'not drawn' note
  local again, status = run { NNLAB_GNUPLOT = "false" }
  T.eq(status, 0, "cached run\n" .. again)
  H.expect_counts(again, 4, 0, "cached run")
  local md = T.read(out .. "/pics.md")
  T.truthy(not md:find("not drawn", 1, true), "every picture re-used with its proof\n" .. md)
  T.eq(T.read(out .. "/pics/pic2-confusion.png"), before, "the same PNG bytes")
  local proofs = T.read(out .. "/pics/.charts-drawn")
  for _, name in ipairs { "pic1-samples", "pic2-confusion", "pic3-mistakes", "pic4-weights" } do
    T.contains(proofs, name .. " ", "a proof for " .. name)
  end
end)

T.case("mistakes are ranked over every seed; weights name the seed drawn", function()
  local labels = test_labels()
  local md = T.read(out .. "/pics.md")
  local hidden = tonumber(md:match("Mistakes over seeds: hidden=(%d+), 2 seeds"))
  T.truthy(hidden, "the mistakes' title names the variation and its seeds\n" .. md)
  local by_seed = {}
  for _, e in ipairs(entries()) do
    local params = e.entry.key.params
    if not e.entry.key.run and params.hidden == hidden then
      local text = T.read((e.path:gsub("%.lua$", ".pred")))
      by_seed[params.seed] = { predictions.decode(e.entry.result.pictures, text) }
    end
  end
  local rows = csv_rows(out .. "/pics/pic3-mistakes.csv")
  T.eq(table.concat(rows[1], ","), "rank,sample,true,true_name,predicted,predicted_name,confidence,seeds_wrong,seeds",
       "mistakes CSV header")
  local previous
  for i = 2, #rows do
    local r = rows[i]
    local sample = tonumber(r[2]) + 1
    local wrong, sum, n = 0, 0, 0
    for seed = 1, SEEDS do
      local pred, conf = by_seed[seed][1], by_seed[seed][2]
      if pred[sample] ~= labels[sample] then wrong = wrong + 1 end
      if pred[sample] == tonumber(r[5]) then sum, n = sum + conf[sample], n + 1 end
    end
    T.eq(tonumber(r[8]), wrong, "seeds wrong, recounted, for sample " .. r[2])
    T.eq(tonumber(r[9]), SEEDS, "out of every seed")
    T.truthy(n > 0 and tonumber(r[5]) ~= labels[sample], "the class shown is a wrong prediction of some seed")
    T.close(tonumber(r[7]), sum / n, 1e-9, "its mean confidence over the seeds that predict it")
    local key = { tonumber(r[8]), tonumber(r[7]) }
    if previous then
      T.truthy(key[1] < previous[1] or (key[1] == previous[1] and key[2] <= previous[2]),
               "ranked by seeds wrong, then confidence")
    end
    previous = key
  end
  local gp = T.read(out .. "/pics/pic3-mistakes.gp")
  T.contains(gp, (", wrong in %d of %d seeds'"):format(tonumber(rows[2][8]), SEEDS), "the caption says k of n seeds")
  T.contains(md, "Over 2 seeds: ", "the sentence is over the seeds")
  T.contains(md, ("Linear layer 1 weights: hidden=%d, seed 1 (one of 2 seeds)"):format(hidden),
             "the weights' title names the seed")
  T.contains(md, "_Seed 1, one of 2 seeds with weights", "and so does the sentence")
  -- the tiles share one scale: the largest |w| is at most one step past full colour
  local dat = T.read(out .. "/pics/pic4-weights.dat")
  local lo, hi = 0, 0
  for x in dat:gmatch("%-?%d+") do
    local v = tonumber(x)
    if v ~= -130 then lo, hi = math.min(lo, v), math.max(hi, v) end
  end
  T.truthy(lo >= -127 and hi <= 127 and (hi == 127 or lo == -127), "values span the palette: " .. lo .. ".." .. hi)
end)

-- Three more sweeps for the checks below: 64 hidden units on the 8×8 shapes,
-- 6×6 crops of them, and 70 classes of 2 features.
local WIDE = [[
local wide = lab.sweep { name = "wide", vary = { hidden = { 64 } }, seeds = 1, epochs = 1, batch_size = 20,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(64, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 4) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.05 }) end }
]]
local CROP = [[
local cropped = lab.sweep { name = "cropped", vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 20,
  train = train, test = test, transform = function() return lab.data.RandomCrop { 6, 6 } end,
  model = function(p) return nn.Sequential { nn.Linear(36, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 4) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.05 }) end }
]]
local MANY = [[
local seventy = lab.data.generate(140, function(i) return { i % 70, 1 }, (i - 1) % 70 end, { classes = 70 })
local many = lab.sweep { name = "many", vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 20,
  train = seventy, test = seventy,
  model = function(p) return nn.Sequential { nn.Linear(2, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 70) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.05 }) end }
]]

-- 6 images of 40×2 pixels (a .npy pair written here): too far from square to draw.
local write_npy = T.write_npy
write_npy(dir .. "/narrow_x.npy", "|u1", "(6, 40, 2)", ("\7"):rep(6 * 80))
write_npy(dir .. "/narrow_y.npy", "|u1", "(6,)", "\0\1\0\1\0\1")
local NARROW = ("local narrow = lab.data.npy(%q, %q)\n"):format(dir .. "/narrow_x.npy", dir .. "/narrow_y.npy")

T.case("lab.confusion's where and show, and lab.weights' layer, are checked at the user's line", function()
  local other_cache = dir .. "/other_cache" -- the two sweeps' entries stay out of the cases after this one
  local base = T.read(script):gsub("lab%.samples.*$", "")
  for _, c in ipairs {
    { "lab.confusion(runs, { where = { hidden = 4 }, show = { hidden = 16 } }) --<",
      "lab.confusion: show selects hidden=16, which where leaves out" },
    { "lab.confusion(runs, { where = { hiden = 4 } }) --<", "lab.confusion: where.hiden: not a varied parameter (hidden)" },
    { "lab.mistakes(runs, { n = 0 }) --<", "lab.mistakes: n must be an integer from 1 to 100, got 0" },
    { "lab.mistakes(runs, { title = \" \" }) --<", "lab.mistakes: title is blank (leave it out for the default title)" },
    { "lab.chart(runs, { title = \"\" }) --<", "lab.chart: title is blank (leave it out for the default title)" },
    { "lab.weights(runs, { layer = 5 }) --<", "lab.weights: layer 5: the model of hidden=16 has 2 Linear layers" },
    { "lab.weights(runs, { layer = 2 }) --<",
      "lab.weights: layer 2 takes the outputs of Linear layer 1, not an image's pixels" },
    -- a hidden layer of 64 units: layer 2 takes as many inputs as an image has pixels
    { WIDE .. "lab.weights(wide, { layer = 2 }) --<",
      "lab.weights: layer 2 takes the outputs of Linear layer 1, not an image's pixels", other_cache },
    { CROP .. "lab.weights(cropped) --<",
      "lab.weights: layer 1 of hidden=4 takes 36 inputs, not the 8×8 pixels of the test images (a crop changes them)",
      other_cache },
    { MANY .. "lab.confusion(many) --<",
      "lab.confusion: the test data has 70 classes; sweeps keep predictions and weights for at most 64", other_cache },
    { MANY .. "lab.weights(many) --<",
      "lab.weights: the test data has 70 classes; sweeps keep predictions and weights for at most 64", other_cache },
    { NARROW .. "lab.samples(narrow) --<",
      "lab.samples: images of 40×2 pixels are too far from square to draw (more than 8:1); reshape them" },
  } do
    local path, line = T.marked_script(dir, "bad_where", base .. c[1] .. "\n")
    local text, status = T.nnlab_run({ "run", path, "--out", out, "--quiet" }, { NNLAB_CACHE = c[3] or cache })
    T.eq(status, 1, c[1])
    T.contains(text, ("bad_where.lua:%d: %s"):format(line, c[2]), c[1])
  end
end)

-- Rewrites one cache entry through f(entry); returns its path.
local function rewrite(i, f)
  local e = entries()[i]
  f(e.entry)
  e.entry.digest = nil -- written as before digests (its result changed: a digest would no longer match)
  T.write(e.path, "return " .. serialize.encode(e.entry) .. "\n")
  return e.path
end

-- Changes the predictions file beside every entry through f(text, record).
local function damage_predictions(f)
  for _, e in ipairs(entries()) do
    local path = e.path:gsub("%.lua$", ".pred")
    T.write(path, f(T.read(path), e.entry.result.pictures))
  end
end

T.case("damaged weights are one warning: a later picture of the same seed says so, not 'No such file'", function()
  local path = dir .. "/weights_first.lua"
  T.write(path, T.read(script):gsub("lab%.samples.*$", "") .. "lab.weights(runs, { n = 9 })\nlab.mistakes(runs, { n = 6 })\n")
  for _, e in ipairs(entries()) do -- a byte changed mid-file: the same size, a broken deflate stream
    local model = e.path:gsub("%.lua$", ".model")
    local bytes = T.read(model)
    local at = #bytes // 2
    T.write(model, bytes:sub(1, at - 1) .. string.char((bytes:byte(at) + 1) % 256) .. bytes:sub(at + 1))
  end
  local text, status = T.nnlab_run({ "run", path, "--out", out, "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(status, 0, text)
  local _, warnings = text:gsub("damaged cache entry ", "")
  T.eq(warnings, 1, "one warning: the entry lab.weights found damaged\n" .. text)
  local md = T.read(out .. "/weights_first.md") or ""
  T.truthy(not (text .. md):find("No such file", 1, true), "no missing file named\n" .. text .. md)
  H.expect_counts(run(), 4, 1, "the damaged entry is trained again")
end)

T.case("a damaged stored prediction is a damaged cache entry, trained again", function()
  -- one confidence changed to another valid character: only the checksum can tell
  damage_predictions(function(text, record)
    local n = record.count
    local c = text:sub(n + 1, n + 1)
    return text:sub(1, n) .. (c == "0" and "1" or "0") .. text:sub(n + 2)
  end)
  local again, status = run()
  T.eq(status, 0, "run\n" .. again)
  H.expect_counts(again, 4, 0, "the damage is found when the mistakes are drawn")
  T.contains(again, "damaged cache entry " .. cache .. "/", "the warning")
  T.contains(again, "(damaged predictions (checksum)); deleted", "the warning says why")
  T.contains(T.read(out .. "/pics.md"), "is damaged (damaged predictions (checksum))", "the picture says so")
  again = run()
  -- the mistakes are drawn over both seeds of one variation: both entries were damaged, and deleted
  H.expect_counts(again, 4, 2, "the damaged entries are trained again")
  -- a predicted class moved (checksum made to match): the matrix and the predictions disagree
  damage_predictions(function(text)
    local c = text:sub(1, 1)
    return (c == "0" and "1" or "0") .. text:sub(2)
  end)
  for i = 1, 4 do
    rewrite(i, function(entry)
      local path = entries()[i].path:gsub("%.lua$", ".pred")
      entry.result.pictures.checksum = predictions.checksum(T.read(path))
    end)
  end
  again = run()
  T.contains(again, "disagrees with the predictions); deleted", "a moved prediction is found")
  H.expect_counts(run(), 4, 2, "and trained again (both seeds of the variation the mistakes show)")
  -- weights missing beside an entry: found on reading the entry
  local model = entries()[3].path:gsub("%.lua$", ".model")
  os.remove(model)
  again = run()
  H.expect_counts(again, 4, 1, "missing weights are retrained")
  T.contains(again, "its .model file beside it is missing", "the warning says why")
  T.truthy(T.read(model), "the weights are written again")
end)

T.case("entries cached before the pictures still load; the pictures say to re-run with --force", function()
  for i = 1, 4 do
    rewrite(i, function(entry) entry.result.pictures, entry.result.beside = nil, nil end)
    local path = entries()[i].path
    os.remove((path:gsub("%.lua$", ".model")))
    os.remove((path:gsub("%.lua$", ".pred")))
  end
  local again, status = run()
  T.eq(status, 0, "run over old entries\n" .. again)
  H.expect_counts(again, 4, 0, "old entries come from the cache")
  local md = T.read(out .. "/pics.md")
  T.contains(md, "re-run with `--force` to draw this", "the note")
  T.contains(md, "pic1-samples.png", "samples need no runs")
end)

-- A sweep with its own run function (lab.sweep's run): three variations,
-- the model saved after training, at epoch 0 (before any training: another
-- model than the last epoch's), and not at all. Each call is logged.
local custom = dir .. "/custom.lua"
local custom_calls = dir .. "/custom_calls.txt"
T.write(custom, HEAD .. ([[
local runs = lab.sweep { name = "own loop", vary = { save = { "end", "start", "none" } }, seeds = 2, epochs = 3,
  train = train, test = test,
  run = function(p, ctx)
    local f = assert(io.open(%q, "a"))
    f:write(p.save, " ", ctx.seed, "\n")
    f:close()
    lab.nn.manual_seed(ctx.seed)
    local model = nn.Sequential { nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 4) }
    if p.save == "start" then ctx.save(model) end
    local history = lab.fit { model = model, loss = nn.CrossEntropyLoss(), epochs = p.epochs,
      optimizer = optim.SGD(model:parameters(), { lr = 0.05 }),
      train = lab.data.DataLoader(ctx.train, { batch_size = 20, shuffle = true, seed = ctx.seed }),
      test = lab.data.DataLoader(ctx.test, { batch_size = 30 }) }
    if p.save == "end" then ctx.save(model) end
    return history
  end }
lab.confusion(runs, { where = { save = "end" } })
lab.mistakes(runs, { where = { save = "end" }, n = 6 })
lab.weights(runs, { where = { save = "end" }, n = 9 })
lab.confusion(runs, { where = { save = "start" } })
lab.confusion(runs, { where = { save = "none" } })
lab.weights(runs, { where = { save = "none" } })
]]):format(custom_calls))

local function run_custom(env) return run(env, custom) end

-- The custom sweep's cache entries: { [save] = { entry, path } ... } per seed.
local function custom_entries()
  local by = {}
  for _, e in ipairs(entries()) do
    local params = e.entry.key.params
    if e.entry.key.run then
      by[params.save] = by[params.save] or {}
      by[params.save][params.seed] = e
    end
  end
  return by
end

T.case("a run function's saved model gets the pictures of a built-in run", function()
  local text, status = run_custom()
  T.eq(status, 0, "custom sweep\n" .. text)
  local by = custom_entries()
  local labels = test_labels()
  for seed = 1, SEEDS do
    local e = by["end"][seed]
    local result = e.entry.result
    T.truthy(result.pictures, "a model saved after training keeps predictions")
    T.eq(result.pictures.test_acc, nil, "the last epoch's model: no accuracy of its own")
    local total, diagonal = 0, 0
    for y = 0, 3 do
      for p = 0, 3 do
        total = total + predictions.cell(result.pictures, y, p)
        if y == p then diagonal = diagonal + predictions.cell(result.pictures, y, p) end
      end
    end
    T.eq(total, N_TEST, "counts sum to the test size")
    T.close(100 * diagonal / N_TEST, result.history[#result.history].test_acc, 1e-9, "and match its accuracy")
    local model = lab.load((e.path:gsub("%.lua$", ".model")))
    T.eq(lab.evaluate(model, lab.data.DataLoader(test_set(), { batch_size = 25 })).correct, diagonal,
         "the weights beside it give the diagonal again")
    T.eq(T.read((e.path:gsub("%.lua$", ".model"))):sub(1, 8), "NNLABMDZ", "kept deflated")
    local start = by.start[seed].entry.result
    T.truthy(start.pictures and start.pictures.test_acc, "a model saved before training keeps its own accuracy")
    T.truthy(start.pictures.test_acc ~= start.history[#start.history].test_acc, "which is not the last epoch's")
    T.eq(by.none[seed].entry.result.pictures, nil, "no model saved: no predictions")
    T.eq(T.read((by.none[seed].path:gsub("%.lua$", ".model"))), nil, "and no weights beside it")
  end
  T.eq(#labels, N_TEST, "labels")
  local rows = csv_rows(out .. "/custom/pic1-confusion.csv")
  local total = 0
  for i = 2, #rows do for j = 2, #rows[i] do total = total + tonumber(rows[i][j]) end end
  T.eq(total, N_TEST * SEEDS, "the drawn matrix sums to test size × seeds")
  local md = T.read(out .. "/custom.md") or ""
  for _, name in ipairs { "pic1-confusion", "pic2-mistakes", "pic3-weights", "pic4-confusion" } do
    T.contains(md, ("](custom/%s.png)"):format(name), "drawn: " .. name)
  end
  T.contains(md, "In 2 of the 2 seeds the saved model's accuracy on the test set differs from the last epoch's",
             "the epoch-0 model is named")
  local _, unsaved = md:gsub("this sweep's run function saved no model for save=none: call `ctx.save%(model%)`", "")
  T.eq(unsaved, 2, "both pictures of the unsaved variation say what to do\n" .. md)
  T.truthy(not md:find("--force", 1, true), "and no advice to re-run")
  T.truthy(not md:find("damaged", 1, true), "no entry is damaged")
end)

T.case("a custom sweep's cached re-run calls nothing and draws nothing new", function()
  os.remove(custom_calls)
  local before = T.read(out .. "/custom/pic1-confusion.png")
  local again, status = run_custom { NNLAB_GNUPLOT = "false" }
  T.eq(status, 0, "cached custom run\n" .. again)
  H.expect_counts(again, 6, 0, "cached custom run")
  T.eq(T.read(custom_calls), nil, "the run function is not called")
  local md = T.read(out .. "/custom.md")
  T.truthy(not md:find("Chart not drawn", 1, true), "every picture re-used with its proof\n" .. md)
  T.eq(T.read(out .. "/custom/pic1-confusion.png"), before, "the same PNG bytes")
end)

-- A run function whose loop reads the test set through a per-feature
-- data.Normalize: ctx.save's normalize took scalars only, and a matrix of
-- the raw test set (35 % where the loop measured 87 %) was blamed on an
-- early stop. ctx.save now takes the loop's transforms.
T.case("ctx.save takes the transforms the loop reads the test set with; a Lambda there is refused", function()
  local file = dir .. "/per_feature.lua"
  T.write(file, HEAD .. [[
local means, stds = {}, {}
for i = 1, 64 do means[i], stds[i] = 0.3, 0.02 + i / 640 end
local norm = lab.data.Normalize(means, stds)
local runs = lab.sweep { name = "per feature", vary = { told = { "yes", "no" } }, seeds = 1, epochs = 3,
  train = train, test = test,
  run = function(p, ctx)
    lab.nn.manual_seed(ctx.seed)
    local model = nn.Sequential { nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 4) }
    local history = lab.fit { model = model, loss = nn.CrossEntropyLoss(), epochs = p.epochs,
      optimizer = optim.SGD(model:parameters(), { lr = 0.05 }),
      train = lab.data.DataLoader(ctx.train, { batch_size = 20, shuffle = true, seed = ctx.seed, transform = norm }),
      test = lab.data.DataLoader(ctx.test, { batch_size = 30, transform = { norm } }) }
    if os.getenv("LAMBDA") then ctx.save(model, { transform = { norm, lab.data.Lambda(function() end) } }) end
    ctx.save(model, p.told == "yes" and { transform = { norm } } or nil)
    return history
  end }
lab.confusion(runs, { where = { told = "yes" } })
lab.confusion(runs, { where = { told = "no" } })
]])
  local text, status = run(nil, file)
  T.eq(status, 0, "per-feature sweep\n" .. text)
  local told, untold
  for _, e in ipairs(entries()) do
    local params = e.entry.key.params
    if e.entry.key.run and params.told then
      if params.told == "yes" then told = e.entry.result else untold = e.entry.result end
    end
  end
  T.truthy(told and told.pictures, "the told run keeps predictions")
  T.eq(told.pictures.test_acc, nil, "read as the loop reads it: the last epoch's accuracy, none of its own")
  T.truthy(untold.pictures.test_acc and untold.pictures.test_acc ~= untold.history[#untold.history].test_acc,
           "untold: an accuracy of its own, not the last epoch's")
  local md = T.read(out .. "/per_feature.md") or ""
  T.contains(md, "or its loop reads the test set otherwise than ctx.save was told", "the sentence names the cause")
  T.write(file, (T.read(file):gsub('told = { "yes", "no" }', 'told = { "lambda" }')))
  text, status = run({ LAMBDA = "1" }, file)
  T.eq(status, 1, "a Lambda in ctx.save's transform\n" .. text)
  T.contains(text, "ctx.save: transform: a data.Lambda runs in training passes only", text)
end)

-- ctx.save compared the model with the raw test samples: a loop that crops
-- was refused ("takes 36 input features, but the test data has 64"), and a
-- Normalize of the wrong width failed later, at the sweep's line.
T.case("ctx.save checks the model against the samples its transforms make, at the user's line", function()
  local file = dir .. "/cropped.lua"
  T.write(file, HEAD .. [[
local how = os.getenv("HOW")
local runs = lab.sweep { name = "cropped", vary = { how = { how } }, seeds = 1, epochs = 1, train = train, test = test,
  run = function(p, ctx)
    lab.nn.manual_seed(ctx.seed)
    local model = nn.Sequential { nn.Linear(36, 8), nn.ReLU(), nn.Linear(8, 4) }
    local crop = lab.data.RandomCrop(6)
    local history = lab.fit { model = model, loss = nn.CrossEntropyLoss(), epochs = p.epochs,
      optimizer = optim.SGD(model:parameters(), { lr = 0.05 }),
      train = lab.data.DataLoader(ctx.train, { batch_size = 20, shuffle = true, seed = ctx.seed, transform = crop }),
      test = lab.data.DataLoader(ctx.test, { batch_size = 30, transform = crop }) }
    local told = p.how == "crop" and { crop } or { crop, lab.data.Normalize({ 1, 2, 3 }, { 1, 1, 1 }) }
    ctx.save(model, { transform = told }) --<
    return history
  end }
lab.confusion(runs)
]])
  local line = 0
  for l in T.read(file):gmatch("[^\n]*\n") do line = line + 1 if l:find("--<", 1, true) then break end end
  local text, status = run({ HOW = "crop" }, file)
  T.eq(status, 0, "a crop told to ctx.save\n" .. text)
  text, status = run({ HOW = "bad" }, file)
  T.eq(status, 1, "a Normalize of the wrong width\n" .. text)
  T.contains(text, ("cropped.lua:%d: ctx.save: transform does not fit the test data: transform 2 (Normalize): 3 "
                    .. "mean/std values, but it needs 1 or one per feature (36)"):format(line), "at the ctx.save line")
end)

T.case("a test set of two classes of four: empty accuracy fields, and a mistakes grid as wide as its mistakes", function()
  local two = dir .. "/two.lua"
  T.write(two, HEAD .. [[
local runs = lab.sweep { seeds = 1, epochs = 1, batch_size = 20, train = train, test = test:head(2),
  model = function() return nn.Sequential { nn.Linear(64, 4), nn.ReLU(), nn.Linear(4, 4) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 1e-6 }) end }
lab.confusion(runs)
lab.mistakes(runs)
]])
  local text, status = T.nnlab_run({ "run", two, "--out", out, "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(status, 0, text)
  local per_class = T.read(out .. "/two/pic1-confusion-per-class.csv")
  T.contains(per_class, "\ndiagonal,baseline,1,0,0,\n", "a class with no test sample: an empty accuracy, not a short row")
  local shown = #csv_rows(out .. "/two/pic2-mistakes.csv") - 1
  T.truthy(shown >= 1 and shown <= 2, "one or two mistakes among two samples: " .. shown)
  local w, h = png_size(out .. "/two/pic2-mistakes.png")
  local want_w, want_h = require("nnlab.notebook.pictures").mistakes_size(shown, 1, 8 + 4 + 1, 8 + 1)
  T.eq(("%dx%d"):format(w, h), ("%dx%d"):format(want_w, want_h), "the grid holds the mistakes shown, not n = 24 places")
  -- its 720 pixels hold an English title of about 800 at 15 points: it was cut at both
  -- edges, and is drawn smaller now (11 points: pixels 67 to 646 of 720, read with PIL)
  local points = tonumber((T.read(out .. "/two/pic2-mistakes.gp") or ""):match("\nset title [^\n]*,(%d+)'\n"))
  T.truthy(points and points < 15 and points >= 8, "a smaller title font: " .. tostring(points))
  local wide = tonumber((T.read(out .. "/two/pic1-confusion.gp") or ""):match("\nset title [^\n]*,(%d+)'\n"))
  T.eq(wide, 15, "a title that fits keeps 15 points")
end)

T.case("tabular data gets the confusion matrix; image pictures refuse it at the user's line", function()
  local tab = dir .. "/tab.lua"
  local body = [[
local lab = require "nnlab"
local pts = lab.data.generate(90, function(i, rng)
  local k = (i - 1) % 3
  return { k + rng:normal() * 0.3, -k + rng:normal() * 0.3 }, k
end, { seed = 1, classes = { "setosa", "versicolor", "virginica" } })
local runs = lab.sweep { seeds = 2, epochs = 5, batch_size = 10, train = pts, test = pts,
  model = function() return lab.nn.Sequential { lab.nn.Linear(2, 8), lab.nn.ReLU(), lab.nn.Linear(8, 3) } end,
  optimizer = function(_, params) return lab.optim.Adam(params, { lr = 0.05 }) end }
lab.confusion(runs, { normalize = true })
CALL
]]
  -- noisier classes than the accuracy test's: no share reaches 100
  body = body:gsub("%* 0%.3", "* 1.5")
  local function with(call) return (body:gsub("CALL", function() return call end)) end
  T.write(tab, with(""))
  local text, status = T.nnlab_run({ "run", tab, "--out", out, "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(status, 0, "tabular confusion\n" .. text)
  local md = T.read(out .. "/tab.md")
  T.contains(md, "versicolor", "class names of tabular data")
  T.contains(md, "tab/pic1-confusion.png", "its matrix")
  -- shares run to 100: black numbers below 50, white above, whatever the largest share
  T.contains(T.read(out .. "/tab/pic1-confusion.gp"), "$3 > 0 && $3 <= 50 ?", "labels turn white at the scale's middle")
  for _, call in ipairs { "lab.samples(pts)", "lab.mistakes(runs)", "lab.weights(runs)" } do
    local path, line = T.marked_script(dir, "tab_refused", with(call .. " --<"))
    text, status = T.nnlab_run({ "run", path, "--out", out, "--quiet" }, { NNLAB_CACHE = cache })
    T.eq(status, 1, call .. " fails")
    T.contains(text, ("tab_refused.lua:%d: %s: the data are not images (2 features a sample"):format(
      line, call:match("^[%w.]+")), call .. " names the user's line")
  end
end)

-- Each mistake's caption "true → predicted" fits its 170-pixel tile: long
-- class names are cut with "…" there, and kept whole in the CSV.
T.case("long class names are cut to fit a mistake's tile, and kept whole in the CSV", function()
  local pictures = require "nnlab.notebook.pictures"
  T.eq(pictures.mistake_label("ring", "diagonal"), "ring → diagonal", "short names stay whole")
  T.eq(pictures.mistake_label("横杠", "Ring Drawn Around The Middle"), "横杠 → Ring Drawn Arou…",
       "the longer is cut, the shorter kept")
  local long = dir .. "/long_names.lua"
  T.write(long, HEAD:gsub('"diagonal", "ring"', '"diagonal from corner to corner", "Ring Drawn Around The Middle"') .. [[
local runs = lab.sweep { vary = { hidden = { 2 } }, seeds = 1, epochs = 1, batch_size = 20, train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(64, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 4) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.01 }) end,
}
lab.mistakes(runs, { n = 24 })
]])
  local text, status = run(nil, long)
  T.eq(status, 0, text)
  local rows = csv_rows(out .. "/long_names/pic1-mistakes.csv")
  local gp = T.read(out .. "/long_names/pic1-mistakes.gp")
  local cut = 0
  for i = 2, #rows do
    local line = gp:match(("set label %d '([^']*)'"):format(2 * (i - 1) - 1))
    T.truthy(line, "caption " .. (i - 1) .. " in\n" .. gp)
    T.truthy(pictures.caption_width(line) <= 160, "fits its tile: " .. line)
    if line ~= rows[i][4] .. " → " .. rows[i][6] then
      cut = cut + 1
      T.truthy(#rows[i][4] + #rows[i][6] > 30 and line:find("…", 1, true), "cut with an ellipsis: " .. line)
    end
  end
  T.truthy(cut > 0, "some caption names a long class:\n" .. gp)
end)

-- A sweep by a run function over `hidden` = hiddens, whose last seed of
-- hidden=16 reports a NaN loss (diverged); `lr` is Lua code of p.
local function diverging_sweep(hiddens, seeds, epochs, lr)
  return ([[
local runs = lab.sweep { name = "div", vary = { hidden = { %s } }, seeds = %d, epochs = %d, train = train, test = test,
  run = function(p, ctx)
    lab.nn.manual_seed(ctx.seed)
    local model = nn.Sequential { nn.Linear(64, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 4) }
    local history = lab.fit { model = model, loss = nn.CrossEntropyLoss(), epochs = p.epochs,
      optimizer = optim.SGD(model:parameters(), { lr = %s }),
      train = lab.data.DataLoader(ctx.train, { batch_size = 20, shuffle = true, seed = ctx.seed }),
      test = lab.data.DataLoader(ctx.test, { batch_size = 30 }) }
    ctx.save(model)
    if p.hidden == 16 and ctx.seed == %d then history[#history].train_loss = 0 / 0 end -- it diverged
    return history
  end }
]]):format(table.concat(hiddens, ", "), seeds, epochs, lr, seeds)
end

-- The per-class table had named a variation with a diverged seed the best
-- of classes, over "3 seeds" where it had 2, "paired by seed" when the two
-- did not share their seeds; and the note said "1 diverged runs".
T.case("the per-class table never crowns a variation with a diverged seed, and says over how many seeds", function()
  local file = dir .. "/diverged_pictures.lua"
  T.write(file, HEAD .. diverging_sweep({ 4, 8, 16 }, 3, 2, "p.hidden == 16 and 0.2 or 0.01") .. [[
lab.confusion(runs, { show = { hidden = 4 } })
lab.confusion(runs, { show = { hidden = 16 } })
lab.mistakes(runs, { where = { hidden = 16 }, n = 6 })
]])
  local text, status = run(nil, file)
  T.eq(status, 0, text)
  local md = T.read(out .. "/diverged_pictures.md")
  local verdicts = {}
  for cell in md:gmatch("| ([^|\n]-): [^|\n]- |\n") do verdicts[#verdicts + 1] = cell end
  T.truthy(#verdicts > 0, "the verdict column\n" .. md)
  for _, best in ipairs(verdicts) do T.truthy(best ~= "hidden=16", "hidden=16 named best of a class\n" .. md) end
  T.truthy(md:find("| hidden=4: ", 1, true) or md:find("| hidden=8: ", 1, true), "a verdict names a best\n" .. md)
  T.contains(md, "mean ± std over 2 to 3 seeds", "the caption: the seeds the columns are over")
  T.contains(md, "paired by seed where the two share their seeds (else Welch's t)", "the test named as done")
  T.contains(md, "_Left out: 1 diverged run._", "the note of the diverged seed, in the singular")
  local _, notes = md:gsub("_Left out: 1 diverged run%._", "")
  -- under both confusion tables (each spans every variation: one seed of
  -- hidden=16 left out), and under the mistakes of hidden=16
  T.eq(notes, 3, "the notes\n" .. md)
end)

-- Where all but one column had a diverged seed, every verdict cell read "–"
-- under a caption that described the verdicts.
T.case("a per-class table without a verdict says why", function()
  local file = dir .. "/no_verdict.lua"
  T.write(file, HEAD .. diverging_sweep({ 4, 16 }, 2, 1, "0.05") .. [[
lab.confusion(runs, { show = { hidden = 4 } })
]])
  local text, status = run(nil, file)
  T.eq(status, 0, text)
  local md = T.read(out .. "/no_verdict.md")
  T.contains(md, "| best vs runner-up |", "the verdict column is there\n" .. md)
  T.contains(md, "no verdict: fewer than two of the variations are free of diverged seeds", "the caption says why")
  T.truthy(not md:find("Holm-corrected over the classes", 1, true), "no caption describing verdicts that are not there")
end)

-- Chinese class names take two character cells each: an 8-character name
-- lost its first character at the picture's left edge.
T.case("lab.samples leaves room for wide class names", function()
  local file = dir .. "/wide_names.lua"
  T.write(file, HEAD .. [[
local wide = { "水稻细菌性条斑病", "bar down", "diagonal", "ring" }
local named = lab.data.idx(d .. "/train-images-idx3-ubyte", d .. "/train-labels-idx1-ubyte", { classes = wide, name = "wide" })
lab.samples(named, { per_class = 2 })
]])
  local text, status = run(nil, file)
  T.eq(status, 0, text)
  T.contains(T.read(out .. "/wide_names/pic1-samples.gp"), "set lmargin 19", "8 wide characters: 16 cells and 3")
end)

-- Runs lab.confusion over a sweep of 2-feature generated data whose
-- classes option is `classes` (Lua text) and whose label is `label(i)`
-- (Lua text), C outputs; returns the file's report folder name.
local function confusion_of(name, classes, label, C)
  local file = dir .. "/" .. name .. ".lua"
  T.write(file, ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local long = {}
for k = 1, 4 do long[k] = ("class number %%d with a rather long descriptive name that keeps going on"):format(k) end
local ds = lab.data.generate(80, function(i, rng) return { rng:random(), rng:random() }, %s end,
                             { seed = 1, classes = %s })
local runs = lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 10, train = ds, test = ds,
  model = function(p) return nn.Sequential { nn.Linear(2, p.hidden), nn.ReLU(), nn.Linear(p.hidden, %d) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end }
lab.confusion(runs)
]]):format(label, classes, C))
  local text, status = run(nil, file)
  T.eq(status, 0, text)
  return out .. "/" .. name
end

-- Class names of 55 characters pushed a confusion matrix off the picture's
-- right edge: the axes cut them to 32 character cells, the CSV keeps them.
T.case("a confusion matrix cuts long class names on its axes and keeps them whole in its CSV", function()
  local folder = confusion_of("long_names", "long", "(i - 1) % 4", 4)
  T.contains(T.read(folder .. "/pic1-confusion.gp"), "set xtics ('class number 1 with a rather lo…' 0,",
             "cut to 32 cells with …")
  T.contains(T.read(folder .. "/pic1-confusion.csv"),
             "class number 1 with a rather long descriptive name that keeps going on", "whole in the CSV")
end)

T.done()
