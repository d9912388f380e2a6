-- Your own data (issue 11): every dataset constructor (data.TensorDataset,
-- data.generate, data.csv, data.npy, data.npz, data.idx) read back through
-- ds:info() and a DataLoader batch, and refused with a message at the user's
-- line for each malformed input; views (head, subset, split), transforms, and
-- fit on regression data. The NumPy files are committed fixtures
-- (tests/nnlab/fixtures/data/, written by make_fixtures.py there); CSV and IDX
-- files are written here. The rows of the bad-input table in
-- docs/reliability.md for CSV, npy and npz files are in test_bad_inputs.lua.
local T = require "testlib"
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data

local dir = T.tmpdir("own_data")
local fx = T.source .. "/tests/nnlab/fixtures/data/"
local THIS = "test_own_data.lua"
local fit_ce_position -- see the last cases

-- f() must fail with a first line at the caller's line of this file (the
-- line where refused is called, which holds the call to nnlab) that holds
-- every fragment; returns that line.
local function refused(f, ...)
  local line = debug.getinfo(2, "l").currentline
  local ok, err = pcall(f)
  if ok then error("expected an error", 2) end
  local first = tostring(err):match("^[^\n]*")
  if not first:find(("%s:%d: "):format(THIS, line), 1, true) then
    error(("error %q is not at %s:%d"):format(first, THIS, line), 2)
  end
  for _, fragment in ipairs { ... } do
    if not first:find(fragment, 1, true) then error(("error %q lacks %q"):format(first, fragment), 2) end
  end
  return first
end

-- The whole dataset as one batch: flat features and labels (or targets).
local function batch(ds, opts)
  opts = opts or {}
  opts.batch_size = opts.batch_size or #ds
  local loader = data.DataLoader(ds, opts)
  for x, y in loader:batches() do return x:totable(), y:totable(), x, loader end
end

local function expect_floats(got, want, what)
  T.eq(#got, #want, what .. ": count")
  for i = 1, #want do T.close(got[i], want[i], 1e-6, ("%s[%d]"):format(what, i)) end
end

local function expect_list(got, want, what)
  T.eq(type(got), "table", what .. " is a list")
  T.eq(table.concat(got, ","), table.concat(want, ","), what)
end

-- ds:info() holds each field of `want`.
local function expect_info(ds, want)
  local info = ds:info()
  for k, v in pairs(want) do
    if type(v) == "table" then expect_list(info[k], v, "info." .. k) else T.eq(info[k], v, "info." .. k) end
  end
  T.eq(info.features, info.rows * info.cols, "info.features")
  return info
end

-- ---- data.TensorDataset ---------------------------------------------------------

T.case("data.rng:random refuses what math.random refuses; its numbers are as before", function()
  local r = data.rng(1)
  refused(function() r:random(3, 1) end, "rng:random: interval is empty (3..1)")
  refused(function() r:random(0) end, "rng:random: interval is empty (1..0)")
  refused(function() r:random(2.5) end, "rng:random: 2.5 has no integer representation")
  -- the draws of valid calls are unchanged (SplitMix64 of seed 1), and integers as math.random's (2.0..3 gave 3.0)
  local fresh = data.rng(1)
  local got = { fresh:random(1, 6), fresh:random(6), fresh:random(2.0, 3) }
  T.eq(table.concat(got, " "), "4 5 3", "the same numbers")
  -- wide intervals: hi - lo + 1 overflowed, giving numbers outside them
  local inside = true
  for _ = 1, 500 do
    inside = inside and fresh:random(0, math.maxinteger) >= 0 and fresh:random(math.mininteger, -1) < 0
  end
  T.eq(inside, true, "numbers inside 0..maxinteger and mininteger..-1")
  local seen = {}
  for _ = 1, 20 do seen[fresh:random(math.mininteger, math.maxinteger)] = true end
  T.eq(seen[math.mininteger], nil, "the whole range is not always mininteger")
end)

T.case("TensorDataset from tables of rows: contents, names, a batch as stored", function()
  local ds = data.TensorDataset({ { 1, 2, 3 }, { 4.5, -5, 6 }, { 7, 8, 9 }, { 0, 0, 0.25 } }, { 0, 2, 1, 2 },
                                { classes = { "cat", "dog", "owl" } })
  expect_info(ds, { count = 4, rows = 1, cols = 3, classes = 3, class_names = { "cat", "dog", "owl" },
                    dtype = "float32", targets = 0 })
  T.eq(#ds, 4, "#ds")
  local x, y = batch(ds)
  expect_floats(x, { 1, 2, 3, 4.5, -5, 6, 7, 8, 9, 0, 0, 0.25 }, "x")
  expect_list(y, { 0, 2, 1, 2 }, "y")
  expect_list(ds:label_counts(), { 1, 1, 2 }, "label counts")
end)

T.case("TensorDataset without classes counts them from the labels", function()
  local ds = data.TensorDataset({ { 1 }, { 2 } }, { 0, 4 })
  expect_info(ds, { count = 2, cols = 1, classes = 5, targets = 0 })
end)

T.case("TensorDataset from tensors (nnlab.tensor, nnlab.labels)", function()
  local ds = data.TensorDataset(lab.tensor { { 0.5, 1 }, { 2, 3 }, { -1, 4 } }, lab.labels { 1, 0, 1 }, { classes = 2 })
  expect_info(ds, { count = 3, rows = 1, cols = 2, classes = 2, dtype = "float32", targets = 0 })
  local x, y = batch(ds)
  expect_floats(x, { 0.5, 1, 2, 3, -1, 4 }, "x")
  expect_list(y, { 1, 0, 1 }, "y")
end)

-- Class labels are one per sample, as a loss takes them: (N,) or an (N, 1)
-- column. A (N, 2) integer tensor (a comparison's result) was taken, its
-- first N flat values becoming the labels.
T.case("TensorDataset takes (N,) or (N, 1) label tensors and refuses (N, 2)", function()
  local x = lab.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 } }
  refused(function() data.TensorDataset(x, lab.tensor { { 0, 1 }, { 1, 1 }, { 1, 0 } }:gt(0.5)) end,
          "data.TensorDataset: class labels must be 1-D, one per sample: (3,), not a (3, 2) integer tensor")
  local column = data.TensorDataset(x, lab.tensor { { 1 }, { 0 }, { 1 } }:gt(0.5))
  expect_info(column, { count = 3, classes = 2, targets = 0 })
  expect_list(select(2, batch(column)), { 1, 0, 1 }, "(N, 1) labels")
end)

T.case("TensorDataset with regression targets (rows, or a float tensor)", function()
  local ds = data.TensorDataset({ { 1, 2 }, { 3, 4 }, { 5, 6 } }, { { 0.5, 1 }, { -1, 2 }, { 3, 0.25 } })
  expect_info(ds, { count = 3, cols = 2, classes = 0, targets = 2, dtype = "float32" })
  local _, y = batch(ds)
  expect_floats(y, { 0.5, 1, -1, 2, 3, 0.25 }, "targets")
  local dt = data.TensorDataset(lab.tensor { { 1 }, { 2 } }, lab.tensor { { 1.5 }, { -2.5 } })
  expect_info(dt, { count = 2, cols = 1, targets = 1 })
  expect_floats(select(2, batch(dt)), { 1.5, -2.5 }, "tensor targets")
end)

T.case("TensorDataset with classes refuses regression targets (it dropped classes and trained MSE)", function()
  refused(function() data.TensorDataset(lab.tensor { { 1, 2 }, { 3, 4 } }, lab.tensor { 0, 1 }, { classes = 2 }) end,
          "data.TensorDataset: classes is given, but y is a float tensor (regression targets)")
  refused(function() data.TensorDataset({ { 1, 2 }, { 3, 4 } }, { { 0.5 }, { 1.5 } }, { classes = { "a", "b" } }) end,
          "data.TensorDataset: classes is given, but y holds target rows (regression)")
  T.eq(data.TensorDataset(lab.tensor { { 1, 2 }, { 3, 4 } }, lab.labels { 0, 1 }, { classes = 3 }):info().classes, 3,
       "labels with classes")
end)

T.case("TensorDataset refuses malformed values at the user's line", function()
  refused(function() data.TensorDataset({ { 1, 2, 3 }, { 4, 5 } }, { 0, 1 }) end,
          "data.TensorDataset: sample 2: features has 2 values, expected 3 like the first")
  refused(function() data.TensorDataset({ { 1, "x" } }, { 0 }) end,
          "data.TensorDataset: sample 1: features value 2 is a string, not a number")
  refused(function() data.TensorDataset({ { 1, 2 }, { 0 / 0, 1 } }, { 0, 1 }) end,
          "data.TensorDataset: sample 2: features value 1 is NaN: data must be finite")
  refused(function() data.TensorDataset({ { 1 }, { 1 / 0 } }, { 0, 1 }) end,
          "sample 2: features value 1 is not a finite float32")
  -- strings Lua would convert ("2") are refused, as torch.tensor refuses them
  refused(function() data.TensorDataset({ { 1 }, { "2" } }, { 0, 1 }) end,
          "data.TensorDataset: sample 2: features value 1 is a string, not a number")
  refused(function() data.TensorDataset({ { 1 }, { 2 } }, { 0, "1" }) end,
          "data.TensorDataset: sample 2: label is the string '1', not a class number")
  refused(function() data.TensorDataset({ { 1 }, { 2 } }, { 0, 1.5 }) end,
          "data.TensorDataset: sample 2: label 1.5 is not a class number (an integer from 0 to")
  refused(function() data.TensorDataset({ { 1 }, { 2 } }, { -1, 0 }) end,
          "data.TensorDataset: sample 1: label -1 is not a class number")
  refused(function() data.TensorDataset({ { 1 }, { 2 } }, { 0, 3 }, { classes = 3 }) end,
          "data.TensorDataset: sample 2: label 3 is out of range for 3 classes (0 to 2)")
  refused(function() data.TensorDataset({ { 1 }, { 2 } }, { 0, 1 }, { classes = { "a" } }) end,
          "data.TensorDataset: sample 2: label 1 is out of range for 1 class (0 to 0)")
  refused(function() data.TensorDataset({ { 1 }, { 2 } }, { 0, { 1 } }) end,
          "data.TensorDataset: sample 2: the label is a table but the first sample's was a number")
  refused(function() data.TensorDataset({ { 1 }, { 2 } }, { { 1, 2 }, { 1 } }) end,
          "data.TensorDataset: sample 2: targets has 1 values, expected 2 like the first")
  refused(function() data.TensorDataset({ { 1 }, { 2 }, { 3 } }, { 0, 1 }) end,
          "data.TensorDataset: x has 3 rows but y has 2")
  refused(function() data.TensorDataset({}, {}) end, "data.TensorDataset: no samples (x is empty)")
  refused(function() data.TensorDataset({ {} }, { 0 }) end, "sample 1: features must hold at least one number")
  refused(function() data.TensorDataset({ 1, 2 }, { 0, 1 }) end,
          "data.TensorDataset: x[1] is a number; x must be a table of rows")
  refused(function() data.TensorDataset(lab.tensor { { 1 } }, { 0 }) end,
          "data.TensorDataset: x and y must both be tensors or both be Lua tables")
  refused(function() data.TensorDataset({ { 1 } }, { 0 }, { classes = 0 }) end,
          "data.TensorDataset: classes must be from 1 to")
  refused(function() data.TensorDataset({ { 1 } }, { 0 }, { classes = { "a", 2 } }) end,
          "data.TensorDataset: class name 2 is a number, not a string")
  refused(function() data.TensorDataset({ { 1 } }, { 0 }, { clases = 2 }) end,
          "data.TensorDataset: unknown option 'clases' (did you mean 'classes'?)")
end)

T.case("TensorDataset refuses malformed tensors at the user's line", function()
  refused(function() data.TensorDataset(lab.tensor { { 1 }, { 2 }, { 3 } }, lab.labels { 0, 1 }) end,
          "data.TensorDataset: x has 3 samples but y has 2")
  refused(function() data.TensorDataset(lab.tensor { { 1 }, { 2 } }, lab.labels { 0, 2 }, { classes = 2 }) end,
          "data.TensorDataset: sample 2: label 2 is out of range for 2 classes (0 to 1)")
  refused(function() data.TensorDataset(lab.labels { 1, 2 }, lab.labels { 0, 1 }) end,
          "data.TensorDataset: x must be a float tensor (nnlab.tensor), not class labels")
end)

-- ---- data.generate ----------------------------------------------------------------

-- Three Gaussian blobs in 2-D, 3 classes.
local function blobs(i, rng)
  local c = (i - 1) % 3
  return { c * 3 + rng:normal() * 0.5, (c == 1 and 3 or 0) + rng:normal() * 0.5 }, c
end

T.case("generate: contents, and the same seed gives the same data, another seed other data", function()
  local a = data.generate(60, blobs, { seed = 1, classes = { "left", "top", "right" } })
  local info = expect_info(a, { count = 60, rows = 1, cols = 2, classes = 3, class_names = { "left", "top", "right" },
                                dtype = "float32", targets = 0 })
  expect_list(a:label_counts(), { 20, 20, 20 }, "label counts")
  local b = data.generate(60, blobs, { seed = 1 })
  local c = data.generate(60, blobs, { seed = 2 })
  T.eq(b:info().checksum, info.checksum, "same seed, same checksum")
  T.truthy(c:info().checksum ~= info.checksum, "another seed, another checksum")
  -- the batch is what fn returned, through the documented rng
  local rng, want = data.rng(1), {}
  for i = 1, 60 do
    local f = blobs(i, rng)
    want[#want + 1], want[#want + 2] = f[1], f[2]
  end
  expect_floats((batch(a)), want, "x")
  local r = data.generate(4, function(i) return { i }, { i * 0.5 } end)
  expect_info(r, { count = 4, targets = 1, classes = 0 })
  expect_floats(select(2, batch(r)), { 0.5, 1, 1.5, 2 }, "generated targets")
end)

T.case("generate refuses a function that returns the wrong types, at the user's line", function()
  refused(function() data.generate(3, function() return "x", 0 end) end,
          "data.generate: sample 1: features must be a table of numbers, got string")
  refused(function() data.generate(3, function() return { 1 } end) end,
          "data.generate: sample 1: label nil is not a class number")
  refused(function() data.generate(3, function(i) return { 1 }, i == 2 and { 1 } or 0 end) end,
          "data.generate: sample 2: the label is a table but the first sample's was a number")
  refused(function() data.generate(3, function(i) return { 1, i == 3 and "b" or 2 }, 0 end) end,
          "data.generate: sample 3: features value 2 is a string, not a number")
  refused(function() data.generate(2, function() return { 1 }, 2 end, { classes = 2 }) end,
          "data.generate: sample 1: label 2 is out of range for 2 classes (0 to 1)")
  refused(function() data.generate(0, blobs) end, "data.generate: n must be a positive integer, got 0")
  refused(function() data.generate(3, 5) end, "data.generate: expected a function(i, rng) -> features, label")
  -- an error inside fn is at fn's line
  local line = debug.getinfo(1, "l").currentline + 1
  local ok, err = pcall(data.generate, 2, function() error("my own mistake") end)
  T.truthy(not ok, "fails")
  T.contains(err, ("%s:%d: my own mistake"):format(THIS, line), "the error in fn")
end)

-- ---- data.csv ------------------------------------------------------------------------

local function csv_file(name, text)
  local path = dir .. "/" .. name
  T.write(path, text)
  return path
end

local iris = csv_file("iris.csv", "x1,x2,species\n1,2,setosa\n3,4.5,virginica\n5,-6,setosa\n")

T.case("csv: header, target the last column, string classes in order of appearance", function()
  local ds = data.csv(iris)
  expect_info(ds, { count = 3, rows = 1, cols = 2, classes = 2, class_names = { "setosa", "virginica" },
                    dtype = "float32", targets = 0 })
  local x, y = batch(ds)
  expect_floats(x, { 1, 2, 3, 4.5, 5, -6 }, "x")
  expect_list(y, { 0, 1, 0 }, "y")
  T.contains(ds:info().source, "iris.csv", "source")
end)

T.case("csv: classes given fix their order", function()
  local ds = data.csv(iris, { classes = { "virginica", "setosa", "versicolor" } })
  expect_info(ds, { classes = 3, class_names = { "virginica", "setosa", "versicolor" } })
  expect_list(select(2, batch(ds)), { 1, 0, 1 }, "y")
  expect_list(ds:label_counts(), { 1, 2, 0 }, "label counts")
end)

T.case("csv: target by name or 1-based index, features by name or index", function()
  local path = csv_file("cols.csv", "label,a,b,c\ncat,1,2,3\ndog,4,5,6\n")
  local by_name = data.csv(path, { target = "label" })
  expect_info(by_name, { cols = 3, classes = 2, class_names = { "cat", "dog" } })
  expect_floats((batch(by_name)), { 1, 2, 3, 4, 5, 6 }, "x by target name")
  local by_index = data.csv(path, { target = 1 })
  T.eq(by_index:info().checksum, by_name:info().checksum, "target = 1 is the column 'label'")
  local some = data.csv(path, { target = "label", features = { "c", "a" } })
  expect_info(some, { cols = 2 })
  expect_floats((batch(some)), { 3, 1, 6, 4 }, "features in the order given")
  local some_idx = data.csv(path, { target = 1, features = { 4, 2 } })
  expect_floats((batch(some_idx)), { 3, 1, 6, 4 }, "features by column number")
  -- the target is a feature column like any other when asked
  local rev = data.csv(csv_file("num.csv", "a,b\n1,0\n2,1\n3,2\n"), { target = "a", regression = true })
  expect_info(rev, { cols = 1, targets = 1, classes = 0 })
  expect_floats(select(2, batch(rev)), { 1, 2, 3 }, "regression targets of column a")
end)

T.case("csv: numeric classes, regression, no header", function()
  local num = data.csv(csv_file("numeric.csv", "f,label\n0.5,0\n1,3\n2,1\n"))
  expect_info(num, { count = 3, cols = 1, classes = 4, targets = 0 })
  T.eq(num:info().class_names, nil, "numeric classes have no names")
  expect_list(select(2, batch(num)), { 0, 3, 1 }, "y")
  local reg = data.csv(csv_file("reg.csv", "f,g,price\n1,2,10.5\n3,4,-0.25\n"), { regression = true })
  expect_info(reg, { count = 2, cols = 2, classes = 0, targets = 1 })
  expect_floats(select(2, batch(reg)), { 10.5, -0.25 }, "targets")
  local bare = data.csv(csv_file("bare.csv", "1,2,0\n3,4,1\n"), { header = false })
  expect_info(bare, { count = 2, cols = 2, classes = 2 })
  expect_floats((batch(bare)), { 1, 2, 3, 4 }, "x without a header")
end)

T.case("csv: separator ';', quoted fields, a byte-order mark and CRLF line ends", function()
  local ds = data.csv(csv_file("semi.csv", "\239\187\191x1;\"x 2\";kind\r\n\"1.5\";2;\"a;b\"\r\n3;\"4\";\"say \"\"hi\"\"\"\r\n"),
                      { sep = ";", features = { "x1", "x 2" } })
  expect_info(ds, { count = 2, cols = 2, classes = 2, class_names = { "a;b", "say \"hi\"" } })
  expect_floats((batch(ds)), { 1.5, 2, 3, 4 }, "x")
  -- a line break inside quotes is part of the field
  local nl = data.csv(csv_file("nl.csv", "a,kind\n1,\"two\nlines\"\n2,x\n"))
  expect_info(nl, { count = 2, class_names = { "two\nlines", "x" } })
end)

T.case("csv: malformed files are refused naming FILE:LINE:COLUMN, at the user's line", function()
  local p = csv_file("ragged.csv", "a,b,c\n1,2,x\n3,4\n")
  refused(function() data.csv(p) end, "data.csv: " .. p .. ":3:3: has 2 fields, expected 3 (like the header)")
  p = csv_file("text.csv", "a,b,c\n1,2,x\n3,abc,y\n")
  refused(function() data.csv(p) end, "data.csv: " .. p .. ":3:2: 'abc' is not a number (column 'b')")
  p = csv_file("empty_cell.csv", "a,b,c\n1,,x\n")
  refused(function() data.csv(p) end, "data.csv: " .. p .. ":2:2: empty cell (column 'b')")
  p = csv_file("nan.csv", "a,b,c\n1,2,x\nNaN,4,y\n")
  refused(function() data.csv(p) end, "data.csv: " .. p .. ":3:1: 'NaN' is not finite (NaN or Inf) (column 'a')")
  p = csv_file("inf.csv", "a,b,c\n1,inf,x\n")
  refused(function() data.csv(p) end, "data.csv: " .. p .. ":2:2: 'inf' is not finite (NaN or Inf) (column 'b')")
  refused(function() data.csv(iris, { target = "label" }) end,
          "data.csv: " .. iris .. ": no target column 'label' in the header ('x1', 'x2', 'species')")
  refused(function() data.csv(iris, { target = 9 }) end, "data.csv: " .. iris .. ": target column 9 "
          .. "is out of range: the file has 3 columns")
  -- columns in messages count from 1, as the options do
  refused(function() data.csv(iris, { features = { 1, 7 } }) end,
          "data.csv: " .. iris .. ": feature column 7 is out of range: the file has 3 columns")
  refused(function() data.csv(iris, { features = { 1, 1 } }) end,
          "data.csv: " .. iris .. ": column 'x1' (column 1) is listed twice among the features")
  refused(function() data.csv(iris, { features = { 1, 3 } }) end,
          "data.csv: " .. iris .. ": column 'species' (column 3) is the target")
  refused(function() data.csv(iris, { features = { 1 << 40 } }) end,
          "data.csv: feature column 1099511627776 is out of range")
  refused(function() data.csv(iris, { features = { 1, nil, 2 } }) end,
          "data.csv: features[2] must be a column name or number")
  refused(function() data.csv(iris, { classes = { "setosa", nil, "virginica" } }) end,
          "data.csv: class name 2 is nil, not a string")
  refused(function() data.csv(iris, { sep = "\0" }) end, "data.csv: sep must be one character (not a NUL byte)")
  refused(function() data.csv(iris, { features = { "x1", "x9" } }) end,
          "data.csv: " .. iris .. ": no feature column 'x9' in the header ('x1', 'x2', 'species')")
  refused(function() data.csv(iris, { classes = { "setosa" } }) end, "data.csv: " .. iris
          .. ":3:3: 'virginica' is not one of the classes ('setosa') (target column 'species')")
  p = csv_file("big_label.csv", "a,label\n1,0\n2,5\n")
  refused(function() data.csv(p, { classes = { "a", "b" } }) end, "data.csv: " .. p
          .. ":3:2: class number '5' is out of range: 2 classes ('a', 'b') (target column 'label')")
  p = csv_file("neg_label.csv", "a,label\n1,0\n2,-1\n")
  refused(function() data.csv(p) end, "data.csv: " .. p .. ":3:2: class number '-1' is negative (target column 'label')")
  p = csv_file("frac_label.csv", "a,label\n1,0\n2,1.5\n")
  refused(function() data.csv(p) end, "data.csv: " .. p .. ":3:2: '1.5' is not an integer class number "
          .. "(for a float target set regression) (target column 'label')")
  p = csv_file("nothing.csv", "")
  refused(function() data.csv(p) end, "data.csv: " .. p .. ": empty file (no rows)")
  p = csv_file("header_only.csv", "a,b\n")
  refused(function() data.csv(p) end, "data.csv: " .. p .. ": no data rows (only the header)")
  p = csv_file("quote.csv", "a,b\n1,\"unterminated\n")
  refused(function() data.csv(p) end, "data.csv: " .. p .. ":2:2: unterminated quoted field (the file ends inside it)")
  refused(function() data.csv(dir .. "/no-such.csv") end,
          "data.csv: cannot open " .. dir .. "/no-such.csv: No such file or directory")
  refused(function() data.csv(dir) end, "data.csv: " .. dir .. ": a directory, not a regular file")
  refused(function() data.csv(csv_file("bare2.csv", "1,2\n"), { header = false, target = "a" }) end,
          "data.csv: " .. dir .. "/bare2.csv: columns by name need a header")
  refused(function() data.csv(iris, { sep = ";;" }) end, "data.csv: sep must be one character")
  refused(function() data.csv(iris, { target = 0 }) end, "data.csv: target column 0: columns count from 1")
  refused(function() data.csv(iris, { features = { 1, "x2" } }) end,
          "data.csv: features must be all names or all column numbers")
  refused(function() data.csv(iris, { taget = 1 }) end, "data.csv: unknown option 'taget' (did you mean 'target'?)")
end)

-- ---- data.npy / data.npz -----------------------------------------------------------------

local u1_pixels = { 0, 255, 51, 102, 1, 2, 3, 4, 255, 0, 0, 255, 10, 20, 30, 40 }
local function scaled(values)
  local out = {}
  for i, v in ipairs(values) do out[i] = v / 255 end
  return out
end
local floats = { 0.5, -1.25, 2.0, 3.5, -0.125, 1e-3 }

T.case("npy: uint8 images (read as x/255) and int64 labels", function()
  local ds = data.npy(fx .. "x_u1.npy", fx .. "y_i8.npy", { classes = { "a", "b", "c" } })
  expect_info(ds, { count = 4, rows = 2, cols = 2, classes = 3, class_names = { "a", "b", "c" }, dtype = "uint8",
                    targets = 0 })
  local x, y = batch(ds)
  expect_floats(x, scaled(u1_pixels), "x")
  expect_list(y, { 0, 1, 2, 1 }, "y")
  T.contains(ds:info().source, "<i8", "the source names the label dtype")
  T.contains(ds:info().source, "|u1", "the source names the feature dtype")
end)

T.case("npy: float32 (either byte order) and float64 features as stored; u1 labels; regression", function()
  local checksum
  for _, file in ipairs { "x_f4.npy", "x_f4be.npy", "x_f8.npy" } do
    local ds = data.npy(fx .. file, fx .. "y_u1.npy")
    expect_info(ds, { count = 3, rows = 1, cols = 2, classes = 2, dtype = "float32", targets = 0 })
    local x, y = batch(ds)
    expect_floats(x, floats, file)
    expect_list(y, { 1, 0, 1 }, file .. " labels")
    checksum = checksum or ds:info().checksum
    T.eq(ds:info().checksum, checksum, file .. ": the same floats, the same checksum")
  end
  local reg = data.npy(fx .. "x_f4.npy", fx .. "y_reg_f8.npy", { regression = true })
  expect_info(reg, { count = 3, cols = 2, classes = 0, targets = 1 })
  expect_floats(select(2, batch(reg)), { 1.5, -2, 0.25 }, "targets")
  -- classes with regression: refused, as data.csv and data.TensorDataset refuse it (it kept names of no class)
  refused(function() data.npy(fx .. "x_f4.npy", fx .. "y_reg_f8.npy", { regression = true, classes = { "a", "b" } }) end,
          "data.npy: classes is given, but regression = true reads targets, not class labels")
  refused(function() data.generate(3, function(i) return { i }, { i } end, { classes = { "a", "b" } }) end,
          "data.generate: classes is given, but fn returns target rows (regression)")
  refused(function() data.generate(1, function() return { 1 }, 0 end):split(1) end,
          "ds:split: the dataset has 1 sample; a split needs at least 2")
end)

T.case("npz: np.savez and np.savez_compressed archives, and two archives of arr_0", function()
  local ds = data.npz(fx .. "pair.npz")
  expect_info(ds, { count = 3, rows = 1, cols = 2, classes = 2, dtype = "float32" })
  local x, y = batch(ds)
  expect_floats(x, floats, "x")
  expect_list(y, { 1, 0, 1 }, "y")
  local c = data.npz(fx .. "pair_compressed.npz", { classes = 3 })
  expect_info(c, { count = 4, rows = 2, cols = 2, classes = 3, dtype = "uint8" })
  expect_floats((batch(c)), scaled(u1_pixels), "compressed x")
  local two = data.npz { x = fx .. "imgs.npz", y = fx .. "labels.npz", classes = { "p", "q", "r" } }
  expect_info(two, { count = 4, rows = 2, cols = 2, classes = 3, class_names = { "p", "q", "r" } })
  T.eq(two:info().checksum, c:info().checksum, "the same arrays in two archives")
  local same = data.npz(fx .. "pair.npz", { x = "x", y = "y" })
  T.eq(same:info().checksum, ds:info().checksum, "keys named")
end)

T.case("npy/npz: malformed files are refused naming the file, at the user's line", function()
  refused(function() data.npz(fx .. "pair.npz", { x = "images" }) end,
          "data.npz: " .. fx .. "pair.npz: no array 'images' (it has: x, y)")
  refused(function() data.npz { x = fx .. "pair.npz", y = fx .. "labels.npz" } end,
          "data.npz: " .. fx .. "pair.npz: no array 'arr_0' (it has: x, y)")
  refused(function() data.npy(fx .. "fortran.npy", fx .. "y_u1.npy") end,
          "data.npy: " .. fx .. "fortran.npy: the array is in Fortran order; save it with np.ascontiguousarray")
  refused(function() data.npy(fx .. "object.npy", fx .. "y_u1.npy") end,
          "data.npy: " .. fx .. "object.npy: holds Python objects (dtype object), not numbers")
  refused(function() data.npy(fx .. "x_u1.npy", fx .. "y_short.npy") end,
          "data.npy: " .. fx .. "x_u1.npy has 4 samples but " .. fx .. "y_short.npy has 2 labels")
  refused(function() data.npy(fx .. "truncated.npy", fx .. "y_u1.npy") end, "data.npy: " .. fx
          .. "truncated.npy: truncated body: shape (3, 2) of <f4 needs 24 bytes but only 21 follow the header")
  refused(function() data.npz(fx .. "corrupt.npz") end,
          "data.npz: " .. fx .. "corrupt.npz: not a readable zip archive (Not a zip archive)")
  -- a label out of range names the labels file
  refused(function() data.npy(fx .. "x_u1.npy", fx .. "y_i8.npy", { classes = 2 }) end,
          "data.npy: " .. fx .. "y_i8.npy: label 2 at index 2 is out of range for 2 classes")
  -- (3, 1) is 3 labels, as TensorDataset takes them; these are no class numbers
  refused(function() data.npy(fx .. "x_f4.npy", fx .. "y_reg_f8.npy") end, "data.npy: " .. fx .. "y_reg_f8.npy: "
          .. "label 1.5 at index 0 is not a class number (an integer from 0 to 65534); for real-valued targets ask "
          .. "for regression")
  refused(function() data.npy(fx .. "x_f4.npy", fx .. "x_f4.npy") end, "data.npy: " .. fx .. "x_f4.npy: class labels")
  refused(function() data.npy(fx .. "x_u1.npy", fx .. "y_scalar.npy") end, "data.npy: " .. fx
          .. "y_scalar.npy: a scalar (a 0-d array), not one label per sample of " .. fx .. "x_u1.npy")
  -- an f8 label with a fraction that float32 rounds to a whole number is no class (it was class 29)
  refused(function() data.npy(fx .. "x_f8.npy", fx .. "y_f8_near.npy") end, "data.npy: " .. fx
          .. "y_f8_near.npy: label 28.999999999999996 at index 1 is not a class number")
  refused(function() data.npy(fx .. "no-such.npy", fx .. "y_u1.npy") end,
          "data.npy: cannot open " .. fx .. "no-such.npy: No such file or directory")
  refused(function() data.npy(fx .. "pair.npz", fx .. "y_u1.npy") end,
          "data.npy: " .. fx .. "pair.npz: not a .npy file (bad magic")
  refused(function() data.npz(fx .. "x_f4.npy") end, "data.npz: " .. fx .. "x_f4.npy: not a readable zip archive")
  refused(function() data.npy(fx .. "x_f4.npy") end, "data.npy: expected two .npy paths (features, labels)")
  refused(function() data.npz { x = fx .. "imgs.npz" } end, "data.npz: with a table, give the two archives")
end)

-- ---- data.idx ----------------------------------------------------------------------------------

local function write_idx(path, magic, dims, body)
  local f = assert(io.open(path, "wb"))
  f:write(string.pack(">I4", magic))
  for _, d in ipairs(dims) do f:write(string.pack(">I4", d)) end
  f:write(body)
  f:close()
  return path
end

-- Three 2x3 images with pixels 0..17 and labels 0, 4, 2.
local idx_pixels = {}
for i = 0, 17 do idx_pixels[#idx_pixels + 1] = string.char(i * 15) end
local idx_images = write_idx(dir .. "/images-idx3-ubyte", 0x803, { 3, 2, 3 }, table.concat(idx_pixels))
local idx_labels = write_idx(dir .. "/labels-idx1-ubyte", 0x801, { 3 }, "\0\4\2")

T.case("idx: classes from the labels, and transposed images", function()
  local ds = data.idx(idx_images, idx_labels)
  expect_info(ds, { count = 3, rows = 2, cols = 3, classes = 5, dtype = "uint8", targets = 0 })
  local want = {}
  for i = 0, 17 do want[#want + 1] = i * 15 / 255 end
  local x, y = batch(ds)
  expect_floats(x, want, "x")
  expect_list(y, { 0, 4, 2 }, "y")
  local t = data.idx(idx_images, idx_labels, { transpose = true, classes = { "a", "b", "c", "d", "e" } })
  expect_info(t, { count = 3, rows = 3, cols = 2, classes = 5, class_names = { "a", "b", "c", "d", "e" } })
  local tw = {}
  for s = 0, 2 do -- a 2x3 image read as 3x2: element (r, c) of the result is (c, r) of the file's
    for r = 0, 2 do for c = 0, 1 do tw[#tw + 1] = (s * 6 + c * 3 + r) * 15 / 255 end end
  end
  expect_floats((batch(t)), tw, "transposed x")
end)

-- scikit-learn saves a label column as (N, 1), which TensorDataset took and
-- data.npy refused, pointing at regression; one-hot rows got the same advice.
T.case("npy: (N, 1) labels are N labels; one-hot (N, K) rows are refused, naming argmax", function()
  T.write_npy(dir .. "/col_x.npy", "<f4", "(4, 2)", string.pack("<ffffffff", 1, 2, 3, 4, 5, 6, 7, 8))
  T.write_npy(dir .. "/col_y.npy", "<i8", "(4, 1)", string.pack("<i8i8i8i8", 0, 2, 1, 2))
  T.write_npy(dir .. "/hot_y.npy", "|u1", "(4, 3)", "\1\0\0\0\0\1\0\1\0\0\0\1")
  local ds = data.npy(dir .. "/col_x.npy", dir .. "/col_y.npy")
  T.eq(table.concat(ds:label_counts(), ","), "1,1,2", "the column's labels, per class")
  T.eq(ds:info().targets, 0, "class labels, not a regression target")
  refused(function() data.npy(dir .. "/col_x.npy", dir .. "/hot_y.npy") end, "hot_y.npy: class labels must be one "
          .. "number per sample, (N) or (N, 1), but it is (4, 3): one-hot rows need their argmax first")
end)

-- lab.sweep refused a test CSV whose string classes come in another order;
-- nnlab.fit scored the model against the swapped labels (8 % for 84 %).
T.case("fit refuses a test CSV that names its classes in another order than the train CSV", function()
  T.write(dir .. "/order_train.csv", "a,b,label\n1,0,cat\n0,1,dog\n1,1,cat\n0,0,dog\n")
  T.write(dir .. "/order_test.csv", "a,b,label\n0,1,dog\n1,0,cat\n")
  local tr, te = data.csv(dir .. "/order_train.csv"), data.csv(dir .. "/order_test.csv")
  local model = lab.nn.Sequential { lab.nn.Linear(2, 2) }
  local opt = lab.optim.SGD(model:parameters(), { lr = 0.1 })
  refused(function() lab.fit { model = model, loss = lab.nn.CrossEntropyLoss(), optimizer = opt, epochs = 1,
    train = data.DataLoader(tr, { batch_size = 2 }), test = data.DataLoader(te, { batch_size = 2 }) } end,
    "fit: class 0 is 'cat' in the train data but 'dog' in the test data")
end)

T.case("idx: malformed files are refused at the user's line", function()
  refused(function() data.idx(idx_images, idx_labels, { classes = 4 }) end,
          "data.idx: ", "label 4 at index 1 is out of range for 4 classes")
  local short = write_idx(dir .. "/short-labels", 0x801, { 2 }, "\0\1")
  refused(function() data.idx(idx_images, short) end,
          "data.idx: count mismatch: " .. idx_images .. " has 3 images but " .. short .. " has 2 labels")
  refused(function() data.idx(idx_images, idx_labels, { classes = 300 }) end,
          "data.idx: an IDX label file holds at most 256 classes")
  refused(function() data.idx(idx_labels, idx_labels) end,
          "data.idx: " .. idx_labels .. ": wrong dimension count 1 (magic 0x00000801); an IDX image file has 3")
end)

T.case("data.load of an IDX folder: head, a seeded random subset, classes", function()
  local folder = require("fixtures.bad.inputs").write_dataset(dir .. "/mnist-like") -- 40 + 20 4x4 images, labels i % 10
  local all = data.load(folder)
  expect_info(all, { count = 40, rows = 4, cols = 4, classes = 10, dtype = "uint8" })
  local head = data.load(folder, { head = 10 })
  expect_list(head:label_counts(), { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, "the first 10 (labels 0..9)")
  local sub = data.load(folder, { subset = 10, seed = 1 })
  T.eq(#sub, 10, "subset size")
  T.truthy(sub:info().view_checksum ~= head:info().view_checksum, "subset is not the head")
  T.eq(data.load(folder, { subset = 10, seed = 1 }):info().view_checksum, sub:info().view_checksum, "seeded")
  T.truthy(data.load(folder, { subset = 10, seed = 2 }):info().view_checksum ~= sub:info().view_checksum, "other seed")
  expect_info(data.load(folder, { train = false, classes = 12 }), { count = 20, classes = 12 })
  refused(function() data.load(folder, { classes = 5 }) end, "data.load: ", "out of range for 5 classes")
  refused(function() data.load(folder, { classes = 300 }) end, "data.load: classes must be from 1 to 256 for IDX files, got 300")
  refused(function() data.load(folder, { head = 0 }) end, "data.load: head must be a positive integer")
  refused(function() data.load("") end, "data.load: expected a dataset name or folder, got ''")
end)

T.case("data.load's fallback stands in for a dataset that is not there, not for a damaged one", function()
  local folder = require("fixtures.bad.inputs").write_dataset(dir .. "/damaged")
  local images = folder .. "/t10k-images-idx3-ubyte"
  local bytes = T.read(images)
  T.write(images, bytes:sub(1, #bytes - 5)) -- the test images cut short: the training files are fine
  -- named, not replaced by the fallback: the training set would be the folder's
  refused(function() data.load(folder, { train = false, fallback = "fashion-mnist" }) end,
          "data.load: " .. images, "truncated body")
  local absent = data.load(dir .. "/no-such-folder", { fallback = folder, head = 3 })
  T.eq(data.source(absent).name, dir .. "/damaged", "an absent one still falls back")
  refused(function() data.load("fashion-mnist", { classes = 3 }) end,
          "data.load: classes is for a folder of IDX files; fashion-mnist has its own 10")
end)

-- ---- views ----------------------------------------------------------------------------------------

-- 100 samples: 40 of class 0, 40 of class 1, 20 of class 2.
local function three(i) return { i, -i }, i <= 40 and 0 or i <= 80 and 1 or 2 end
local pool = data.generate(100, three, { classes = { "a", "b", "c" } })

T.case("views: head and subset differ; subset is deterministic by seed", function()
  local h, s = pool:head(20), pool:subset(20, { seed = 3 })
  expect_info(h, { count = 20, is_view = true, class_names = { "a", "b", "c" } })
  expect_list(h:label_counts(), { 20, 0, 0 }, "the head is the first 20")
  expect_floats((batch(h)), (function() local t = {} for i = 1, 20 do t[#t + 1], t[#t + 2] = i, -i end return t end)(),
                "head x")
  T.truthy(h:info().view_checksum ~= s:info().view_checksum, "head and subset differ")
  T.eq(pool:subset(20, { seed = 3 }):info().view_checksum, s:info().view_checksum, "same seed, same subset")
  T.truthy(pool:subset(20, { seed = 4 }):info().view_checksum ~= s:info().view_checksum, "other seed, other subset")
  T.eq(s:info().checksum, pool:info().checksum, "a view keeps the data's checksum")
  refused(function() pool:head(0) end, "ds:head: 0 samples asked, but the dataset has 100")
  refused(function() pool:head(101) end, "ds:head: 101 samples asked, but the dataset has 100")
  refused(function() pool:subset(2.5) end, "ds:subset: the sample count must be an integer, got 2.5")
end)

T.case("views: a stratified split keeps each class's share exactly; seeds give other splits", function()
  local train, valid = pool:split(10, { seed = 1, stratify = true })
  T.eq(#train, 90, "train size")
  T.eq(#valid, 10, "valid size")
  expect_list(valid:label_counts(), { 4, 4, 2 }, "valid class counts")
  expect_list(train:label_counts(), { 36, 36, 18 }, "train class counts")
  local _, valid2 = pool:split(10, { seed = 2, stratify = true })
  T.truthy(valid2:info().view_checksum ~= valid:info().view_checksum, "another seed, another split")
  local _, again = pool:split(10, { seed = 1, stratify = true })
  T.eq(again:info().view_checksum, valid:info().view_checksum, "the same seed, the same split")
  local a, b = pool:split(30, 5)
  local _, b2 = pool:split(30, { seed = 6 })
  T.eq(#a + #b, 100, "a plain split covers the data")
  T.truthy(b:info().view_checksum ~= b2:info().view_checksum, "plain split: seeds differ")
  -- the split parts are disjoint: every sample's first feature (1..100) once
  local seen = {}
  for _, part in ipairs { train, valid } do
    local x = batch(part)
    for k = 1, #x, 2 do
      T.truthy(not seen[x[k]], "sample " .. x[k] .. " in one part only")
      seen[x[k]] = true
    end
  end
  local reg = data.generate(10, function(i) return { i }, { i } end)
  refused(function() reg:split(2, { stratify = true }) end, "ds:split: stratify needs class labels")
  refused(function() pool:split(100) end, "ds:split: 100 samples asked, but the dataset has 100 (ask for 1 to 99)")
end)

T.case("a closed dataset: its views and loaders refuse at the user's line, never read its samples", function()
  local rows, labels = {}, {}
  for i = 1, 8 do rows[i], labels[i] = { i, -i }, i % 2 end
  local view
  do
    local ds <close> = data.TensorDataset(lab.tensor(rows), lab.labels(labels))
    view = ds:head(4)
    T.eq(view:info().count, 4, "the view while its dataset is open")
  end
  refused(function() view:info() end, "ds:info: the dataset this view (head, subset or split) was taken from was closed")
  refused(function() return #view end, "a view of a closed dataset")
  refused(function() view:subset(2) end, "ds:subset: the dataset this view")
  refused(function() data.DataLoader(view) end, "data.DataLoader: the dataset this view")
  local root = data.TensorDataset(lab.tensor(rows), lab.labels(labels))
  getmetatable(root).__close(root)
  refused(function() root:info() end, "ds:info: the dataset was closed")
  -- a loader made before the close: in a process of its own (it crashed nnlab)
  local uses = {
    batches = "for x in loader:batches() do print(x) end --<",
    fit = "lab.fit { model = model, loss = nn.CrossEntropyLoss(), optimizer = optim.SGD(model:parameters()), train = loader } --<",
    lambda = "for x in closing:batches() do print(x) end --<",
  }
  for name, use in pairs(uses) do
    local path, line = T.marked_script(dir, "closed_" .. name, [[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local model = nn.Sequential { nn.Linear(2, 2) }
local loader
do
  local ds <close> = data.TensorDataset(lab.tensor { { 1, 2 }, { 3, 4 } }, lab.labels { 0, 1 })
  loader = data.DataLoader(ds, { batch_size = 1 })
end
local other = data.TensorDataset(lab.tensor { { 1, 2 }, { 3, 4 } }, lab.labels { 0, 1 })
local closing = data.DataLoader(other, { batch_size = 1, transform = data.Lambda(function()
  getmetatable(other).__close(other)
end) })
]] .. use .. "\n")
    local out, status = T.nnlab_run({ "run", path })
    T.eq(status, 1, name .. ": exit status\n" .. out)
    -- (Lua shortens a long path in a message from C to its last 60 characters)
    T.contains(out:match("^[^\n]*"), ("closed_%s.lua:%d: "):format(name, line), name .. ": the user's line")
    T.contains(out:match("^[^\n]*"), "the loader's dataset was closed", name)
  end
end)

-- ---- transforms ---------------------------------------------------------------------------------

T.case("transforms: constructors refuse bad settings at the user's line", function()
  refused(function() data.Normalize({ 1, 2 }, { 1 }) end, "data.Normalize: 2 means but 1 stds")
  refused(function() data.Normalize(0, 0) end, "data.Normalize: std[1] must be > 0, got 0")
  refused(function() data.Normalize("a", 1) end, "data.Normalize: mean must be a number or a list of numbers")
  local shift_range = "data.RandomShift: pixels must be an integer from 0 to 2147483647, got "
  refused(function() data.RandomShift(-1) end, shift_range .. "-1")
  refused(function() data.RandomShift(1.5) end, shift_range .. "1.5")
  -- sizes past 32 bits were cut to their low bits: (1 << 32) + 1 ran as a shift of 1
  refused(function() data.RandomShift((1 << 32) + 1) end, shift_range .. "4294967297")
  refused(function() data.RandomShift(1 << 62) end, shift_range)
  local crop_range = "data.RandomCrop: size must be an integer from 1 to 2147483647 or { rows, cols }"
  refused(function() data.RandomCrop(0) end, crop_range)
  refused(function() data.RandomCrop((1 << 32) + 2) end, crop_range)
  refused(function() data.RandomCrop({ 2, 1 << 32 }) end, crop_range)
  refused(function() data.RandomCrop(2, { padding = -1 }) end,
          "data.RandomCrop: padding must be an integer from 0 to 2147483647, got -1")
  refused(function() data.RandomCrop(2, { padding = 1 << 32 }) end,
          "data.RandomCrop: padding must be an integer from 0 to 2147483647, got 4294967296")
  refused(function() data.RandomHorizontalFlip(2) end, "data.RandomHorizontalFlip: p must be a number >= 0 and <= 1, got 2")
  refused(function() data.GaussianNoise(-0.5) end, "data.GaussianNoise: std must be a number >= 0, got -0.5")
  refused(function() data.GaussianNoise(0 / 0) end, "data.GaussianNoise: std must be a number")
  refused(function() data.Lambda(3) end, "data.Lambda: expected a function(x)")
  local ds = data.TensorDataset({ { 1, 2 } }, { 0 })
  refused(function() data.DataLoader(ds, { transform = { data.Lambda(function() end), data.GaussianNoise(0.1) } }) end,
          "data.DataLoader: data.Lambda must be the last transform")
  refused(function() data.DataLoader(ds, { transform = { "noise" } }) end,
          "data.DataLoader: transform 1 is not a data.* transform")
  -- a loader's normalize: a NaN or infinite mean, or a std infinite as float32, made every input NaN, inf or 0
  local finite = "data.DataLoader: loader: normalization needs a finite mean and a finite std > 0"
  refused(function() data.DataLoader(ds, { normalize = { mean = 0 / 0, std = 1 } }) end, finite)
  refused(function() data.DataLoader(ds, { normalize = { mean = math.huge, std = 1 } }) end, finite)
  refused(function() data.DataLoader(ds, { normalize = { mean = 0, std = math.huge } }) end, finite)
  refused(function() data.DataLoader(ds, { normalize = { mean = 0, std = 1e300 } }) end, finite, "std inf as float32")
end)

-- Four 4x4 images, pixels 0..63 (IDX), for the image transforms.
local px = {}
for i = 0, 63 do px[#px + 1] = string.char(i) end
local img_ds = data.idx(write_idx(dir .. "/img4-idx3-ubyte", 0x803, { 4, 4, 4 }, table.concat(px)),
                        write_idx(dir .. "/lab4-idx1-ubyte", 0x801, { 4 }, "\0\1\0\1"))

T.case("transforms: RandomCrop 2x2 on 4x4 images gives 4 features; Normalize per feature; Lambda last", function()
  local x, _, xt, loader = batch(img_ds, { transform = data.RandomCrop(2), seed = 1 })
  T.eq(loader:info().features, 4, "loader features")
  T.eq(#x, 4 * 4, "4 samples of 4 features")
  T.eq(xt:size(1), 4, "batch columns")
  -- a crop is a 2x2 window of the image: neighbours differ by 1 across, 4 down
  for s = 0, 3 do
    local a, b, c, d = x[s * 4 + 1] * 255, x[s * 4 + 2] * 255, x[s * 4 + 3] * 255, x[s * 4 + 4] * 255
    T.close(b - a, 1, 1e-3, "crop row")
    T.close(c - a, 4, 1e-3, "crop column")
    T.close(d - a, 5, 1e-3, "crop diagonal")
    T.truthy(a >= s * 16 - 1e-3 and a <= s * 16 + 10 + 1e-3, "the window is inside sample " .. s)
  end
  local tab = data.TensorDataset({ { 1, 10 }, { 3, 30 } }, { 0, 1 })
  local n = batch(tab, { transform = data.Normalize({ 2, 20 }, { 1, 10 }) })
  expect_floats(n, { -1, -1, 1, 1 }, "normalized per feature")
  -- a Lambda (last) sees each batch after the C transforms, as batch x features
  local seen = {}
  batch(tab, { transform = { data.Normalize({ 2, 20 }, { 1, 10 }), data.Lambda(function(t)
    seen.rows, seen.cols, seen.first = t:size(0), t:size(1), t:get(1, 1)
  end) } })
  T.eq(seen.rows, 2, "Lambda batch rows")
  T.eq(seen.cols, 2, "Lambda batch columns")
  T.close(seen.first, -1, 1e-6, "Lambda sees the normalized batch")
  -- the report names a Lambda by its file's base name, the same from any folder
  local named_line = debug.getinfo(1, "l").currentline + 1
  local named = data.Lambda(function() end)
  T.eq(tostring(named), ("Lambda(%s:%d)"):format(THIS, named_line), "a Lambda's name")
  -- and changes it in place (t:set), before the model sees it
  local doubled = batch(tab, { transform = data.Lambda(function(t)
    local rows, cols = t:size(0), t:size(1)
    for r = 1, rows do for c = 1, cols do t:set(r, c, 2 * t:get(r, c)) end end
  end) })
  expect_floats(doubled, { 2, 20, 6, 60 }, "a Lambda's changes reach the batch")
  -- an error inside a Lambda names the Lambda's line
  local line = debug.getinfo(1, "l").currentline + 1
  local lam = data.DataLoader(tab, { batch_size = 2, transform = data.Lambda(function() error("lambda fails") end) })
  local ok, err = pcall(function() for _ in lam:batches() do end end)
  T.truthy(not ok, "a failing Lambda fails the pass")
  T.contains(err, ("%s:%d: lambda fails"):format(THIS, line), "the Lambda's line")
end)

-- A data.Lambda runs in the middle of its loader's batch: one that started a
-- pass of that loader (loader:batches(), a step of an iterator of it, fit,
-- or evaluate on it) or closed it moved the loader under the pass
-- that ran it (reads past the samples, a wrong stack slot read as the
-- dataset, an endless loop). Each is an error at the Lambda's line; in a
-- process of its own, as today's code crashed or hung.
T.case("a data.Lambda cannot start, go on with or close a pass of its own loader", function()
  local inner = {
    batches = "for _ in loader:batches() do end --<",
    iterator = "iterator() --<",
    fit = "lab.fit { model = model, loss = nn.CrossEntropyLoss(), optimizer = optim.SGD(model:parameters()), train = loader } --<",
    evaluate = "lab.evaluate(model, loader) --<",
    predict = "core.predict(model, nn.CrossEntropyLoss(), loader) --<",
    close = "do local _ <close> = loader end --<",
  }
  local outer = {
    batches = "for _ in loader:batches() do end",
    fit = "lab.fit { model = model, loss = nn.CrossEntropyLoss(), optimizer = optim.SGD(model:parameters()), train = loader }",
  }
  for inner_name, inner_use in pairs(inner) do
    for outer_name, outer_use in pairs(outer) do
      local name = "reenter_" .. inner_name .. "_in_" .. outer_name
      local path, line = T.marked_script(dir, name, ([[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local core = require "nnlab.core"
local model = nn.Sequential { nn.Linear(2, 2) }
local xs, ys = {}, {}
for i = 1, 12 do xs[i], ys[i] = { i / 12, -i / 12 }, i %% 2 end
local loader, iterator
loader = data.DataLoader(data.TensorDataset(xs, ys), { batch_size = 4, transform = data.Lambda(function()
  %s
end) })
iterator = loader:batches()
%s
print("not refused")
]]):format(inner_use, outer_use))
      local out, status = T.run("timeout 60 " .. T.nnlab_command({ "run", path }))
      T.eq(status, 1, name .. ": exit status\n" .. out)
      local first = out:match("^[^\n]*")
      T.contains(first, ("%s.lua:%d: "):format(name, line), name .. ": the Lambda's line")
      T.contains(first, inner_name == "close" and "a transform cannot close its own loader"
                        or "data.Lambda: the loader is in a pass; a transform cannot start or go on with a pass of its own loader",
                 name)
    end
  end
end)

-- The loader is busy only while it makes a batch: after a refusal, and after
-- a pass that a failing Lambda ended, it runs passes again.
T.case("a pass begun inside a loop over the same loader stops the loop with an error, not silently", function()
  local xs, ys = {}, {}
  for i = 1, 40 do xs[i], ys[i] = { i / 40, -i / 40 }, i % 2 end
  local loader = lab.data.DataLoader(lab.data.TensorDataset(xs, ys), { batch_size = 8 })
  local model = lab.nn.Sequential { lab.nn.Linear(2, 2) }
  for _, inner in ipairs { function() lab.evaluate(model, loader) end,
                           function() for _ in loader:batches() do end end } do
    local steps = 0
    local ok, err = pcall(function()
      for _ in loader:batches() do steps = steps + 1; inner() end
    end)
    T.truthy(not ok, "the outer loop does not end early and quietly (it took " .. steps .. " batches)")
    T.contains(tostring(err), "another pass of this loader", "says why")
  end
  -- a pass begun during the loop's last batch leaves nothing undone: the loop ends as usual
  local steps = 0
  for _ in loader:batches() do
    steps = steps + 1
    if steps == 5 then lab.evaluate(model, loader) end
  end
  T.eq(steps, 5, "evaluated on its own loader during the last batch")
  -- a loop left with break, then a new one: every batch
  for _ in loader:batches() do break end
  local n = 0
  for _ in loader:batches() do n = n + 1 end
  T.eq(n, 5, "a new loop after a break")
end)

T.case("after a refused or failed data.Lambda the loader runs passes again", function()
  local tab = data.TensorDataset({ { 1, 10 }, { 3, 30 }, { 5, 50 } }, { 0, 1, 0 })
  local refusals, fail = {}, false
  local loader
  loader = data.DataLoader(tab, { batch_size = 2, transform = data.Lambda(function()
    if fail then error("lambda fails") end
    local ok, err = pcall(loader.batches, loader)
    refusals[#refusals + 1] = not ok and err
  end) })
  local function batches()
    local n = 0
    for _ in loader:batches() do n = n + 1 end
    return n
  end
  T.eq(batches(), 2, "the pass whose Lambda was refused goes on")
  T.eq(#refusals, 2, "one refusal a batch")
  T.contains(refusals[1], "data.Lambda: the loader is in a pass", "refused")
  T.eq(batches(), 2, "a pass after the refusals")
  fail = true
  T.fails(batches, "lambda fails")
  local model = nn.Sequential { nn.Linear(2, 2) }
  local function fit()
    return lab.fit { model = model, loss = nn.CrossEntropyLoss(), optimizer = optim.SGD(model:parameters()), train = loader }
  end
  T.fails(fit, "lambda fails")
  fail = false
  T.eq(batches(), 2, "a pass after a failed one")
  T.eq(#fit(), 1, "fit after a failed one")
end)

T.case("transforms: an image transform on tabular data is a clear error", function()
  local tab = data.TensorDataset({ { 1, 10 }, { 3, 30 } }, { 0, 1 })
  refused(function() data.DataLoader(tab, { transform = data.RandomShift(1) }) end,
          "data.DataLoader: transform 1 (RandomShift): needs images (rows x cols), but the samples are 1 x 2 features")
  refused(function() data.DataLoader(tab, { transform = { data.GaussianNoise(0.1), data.RandomCrop(2) } }) end,
          "data.DataLoader: transform 2 (RandomCrop): needs images")
  refused(function() data.DataLoader(tab, { transform = data.RandomHorizontalFlip() }) end,
          "data.DataLoader: transform 1 (RandomHorizontalFlip): needs images")
  refused(function() data.DataLoader(tab, { transform = data.Normalize({ 1, 2, 3 }, { 1, 1, 1 }) }) end,
          "data.DataLoader: transform 1 (Normalize): 3 mean/std values, but it needs 1 or one per feature (2)")
  refused(function() data.DataLoader(img_ds, { transform = data.RandomCrop(5) }) end,
          "data.DataLoader: transform 1 (RandomCrop): a 5x5 window is larger than the padded 4x4 image (padding 0)")
end)

-- ---- fit on regression data ------------------------------------------------------------------------

local function linear_data(n, seed)
  return data.generate(n, function(_, rng)
    local a, b = rng:normal(), rng:normal()
    return { a, b }, { 2 * a - b + 0.05 * rng:normal() }
  end, { seed = seed })
end

T.case("fit on regression data: MSELoss trains (the loss falls); CrossEntropyLoss is refused", function()
  local train_set, test_set = linear_data(400, 1), linear_data(100, 2)
  local model = nn.Sequential({ nn.Linear(2, 1) }, { seed = 1 })
  local history = lab.fit { model = model, loss = nn.MSELoss(), optimizer = optim.SGD(model:parameters(), { lr = 0.05 }),
                            train = data.DataLoader(train_set, { batch_size = 20, shuffle = true }),
                            test = data.DataLoader(test_set, { batch_size = 100 }), epochs = 4 }
  T.eq(#history, 4, "epochs run")
  T.truthy(history[4].train_loss < history[1].train_loss / 2, ("the loss falls: %g -> %g"):format(
    history[1].train_loss, history[4].train_loss))
  T.truthy(history[4].test_loss < 0.1, "test loss " .. history[4].test_loss)
  local m2 = nn.Sequential({ nn.Linear(2, 1) }, { seed = 1 })
  local function fit_ce()
    lab.fit { model = m2, loss = nn.CrossEntropyLoss(), optimizer = optim.SGD(m2:parameters(), { lr = 0.05 }),
              train = data.DataLoader(train_set, { batch_size = 20 }), epochs = 1 }
  end
  local line = debug.getinfo(1, "l").currentline - 3 -- the `lab.fit {` line
  local ok, err = pcall(fit_ce)
  T.truthy(not ok, "CrossEntropyLoss on regression data fails")
  local first = tostring(err):match("^[^\n]*")
  T.contains(first, "the data has regression targets: train it with MSELoss, not a classification loss", "the cause")
  fit_ce_position = { first = first, line = line }
end)

T.case("fit with CrossEntropyLoss on regression data names the user's lab.fit line", function()
  local got = assert(fit_ce_position, "the case before ran")
  T.contains(got.first, ("%s:%d: "):format(THIS, got.line), "at the fit line")
end)


-- ---- known names beyond MNIST: k49 (npz, shape-checked) and EMNIST (transposed IDX) ----

T.case("known k49 and EMNIST folders: k49's published shapes are checked, EMNIST is read transposed", function()
  local root = T.tmpdir("own_data_known")
  os.execute(("mkdir -p %s %s"):format(T.quote(root .. "/k49"), T.quote(root .. "/emnist-digits")))
  for _, part in ipairs { "train", "test" } do
    T.run(("cp %s %s && cp %s %s"):format(
      T.quote(fx .. "imgs.npz"), T.quote(("%s/k49/k49-%s-imgs.npz"):format(root, part)),
      T.quote(fx .. "labels.npz"), T.quote(("%s/k49/k49-%s-labels.npz"):format(root, part))))
    -- EMNIST stores each image transposed: 2x3 on disk is the 3x2 image [[0,1],[2,3],[4,5]]
    local stored = string.char(0, 2, 4, 1, 3, 5, 10, 12, 14, 11, 13, 15)
    write_idx(("%s/emnist-digits/emnist-digits-%s-images-idx3-ubyte"):format(root, part), 0x803, { 2, 2, 3 }, stored)
    write_idx(("%s/emnist-digits/emnist-digits-%s-labels-idx1-ubyte"):format(root, part), 0x801, { 2 }, "\7\9")
  end
  local script = root .. "/known.lua"
  local f = assert(io.open(script, "w"))
  f:write([[
local data = require("nnlab").data
local ds = data.load("emnist-digits")
local i = ds:info()
print(("emnist %dx%d classes %d names %s"):format(i.rows, i.cols, i.classes, table.concat(i.class_names, "")))
local loader = data.DataLoader(ds, { batch_size = 2 })
for x, y in loader:batches() do
  local row = {}
  for c = 1, 6 do row[c] = math.floor(x:get(1, c) * 255 + 0.5) end
  print("first image " .. table.concat(row, ",") .. " labels " .. y:get(1) .. "," .. y:get(2))
end
local ok, err = pcall(data.load, "k49")
print("k49 " .. tostring(err):match("^[^\n]*"))
]])
  f:close()
  local out, status = T.nnlab_run({ "run", script }, { NNLAB_DATA = root, NNLAB_OFFLINE = "1" })
  T.eq(status, 0, out)
  T.contains(out, "emnist 3x2 classes 10 names 0123456789", "EMNIST: transposed shape and its class names")
  T.contains(out, "first image 0,1,2,3,4,5 labels 7,9", "EMNIST: pixels in reading order after the transpose")
  T.contains(out, "k49-train-imgs.npz: 4 samples of 2x2, but Kuzushiji-49 has 232365 of 28x28",
             "k49: the published shape is checked")
end)

T.done()
