-- The bad-input catalogue (README, "When something goes wrong"): one run per
-- row, each of which must end with exit status 1 and, on its first line, a
-- message that names the file (the user's line, or the file that could not be
-- read or written) and the cause; no crash; nothing lost: the previous report
-- stays as it was and finished runs stay cached. Rows tested elsewhere:
-- gnuplot missing or failing (test_notebook_errors.lua), an interrupted run
-- (test_interrupt.lua), IDX, CSV, NumPy and model-file parsing in depth
-- (tests/engine, test_own_data.lua).
local T = require "testlib"
local inputs = require "fixtures.bad.inputs"

local dir = T.tmpdir("bad_inputs")
local fixtures = T.source .. "/tests/nnlab/fixtures/bad/"
local notebook = fixtures .. "notebook.lua"
local reports, cache = dir .. "/reports", dir .. "/cache"
local report_md = reports .. "/notebook.md"
-- ASan reserves terabytes of address space: `ulimit -v` cannot be used under it
local sanitized = os.getenv("NNLAB_SANITIZED") == "1"

-- ---- inputs -------------------------------------------------------------------

-- A copy of the good dataset in which `file` holds `bytes` (a .gz file
-- replaces the raw one, which would be preferred).
local function damaged_dataset(name, file, bytes)
  local folder = dir .. "/" .. name
  inputs.write_dataset(folder)
  os.remove(folder .. "/" .. file:gsub("%.gz$", ""))
  T.write(folder .. "/" .. file, bytes)
  return folder
end

local data = inputs.write_dataset(dir .. "/data")
local good_images = T.read(data .. "/train-images-idx3-ubyte")
T.run(("gzip -n -c %s >%s"):format(T.quote(data .. "/train-images-idx3-ubyte"), T.quote(dir .. "/images.gz")))
local gzipped = T.read(dir .. "/images.gz")

local good_model = T.read(inputs.write_model(dir .. "/model.nnlab"))
local lab = require "nnlab"
lab.save(lab.load(dir .. "/model.nnlab"), dir .. "/deflated.nnlab", { deflate = true })
local good_deflated = T.read(dir .. "/deflated.nnlab")
local function damaged_model(name, bytes)
  local path = dir .. "/" .. name .. ".nnlab"
  T.write(path, bytes)
  return path
end
local function flip(bytes, at) -- at counts from the end when negative
  if at < 0 then at = #bytes + at + 1 end
  return bytes:sub(1, at - 1) .. string.char(bytes:byte(at) ~ 0xff) .. bytes:sub(at + 1)
end

-- The line of the fixture that holds `text` (error messages name it).
local fixture_text = T.read(notebook)
local function line_of(text)
  local at = assert(fixture_text:find(text, 1, true), text)
  return select(2, fixture_text:sub(1, at):gsub("\n", "")) + 1
end
local at_sweep = "notebook.lua:" .. line_of("local runs = lab.sweep(spec)") .. ": "
local at_load = "notebook.lua:" .. line_of("local train = lab.data.load(dir, ") .. ": "
local at_model_load = "notebook.lua:" .. line_of("lab.load(model_path)") .. ": "
local function at(text) return "notebook.lua:" .. line_of(text) .. ": " end

-- ---- running ------------------------------------------------------------------

--- nnlab run fixtures/bad/notebook.lua --set data=<good data> args...; opts:
--- script (another fixture), env, before (shell code, e.g. a ulimit), out, cache.
local function run(args, opts)
  opts = opts or {}
  local argv = { "run", opts.script or notebook, "--out", opts.out or reports, "--set", "data=" .. data, "--quiet" }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  local env = { NNLAB_CACHE = opts.cache or cache, NNLAB_OFFLINE = "1" }
  for k, v in pairs(opts.env or {}) do env[k] = v end
  return T.nnlab_run(argv, env, opts.before)
end

-- The first run: a good report and two cached runs that every later row must leave alone.
local first_out, first_status = run {}
local good_report = T.read(report_md)
local function cache_entries() return tonumber(T.run("ls " .. T.quote(cache) .. " | wc -l"):match("%d+")) end

T.case("the good run writes its report and caches its runs", function()
  T.eq(first_status, 0, "the good run\n" .. first_out)
  T.truthy(good_report, "the good run wrote its report")
end)

--- Runs one row (`args`, `opts` as for run) and checks how it ended: exit
--- status 1, a first line with every piece, no crash, the good report kept
--- and the cache as it was before the run.
local function expect_row(what, args, opts, pieces)
  local cached = cache_entries()
  local got, code = run(args, opts)
  -- ASan, told to return NULL for a huge allocation, says so first
  got = got:gsub("==%d+==WARNING: AddressSanitizer failed to allocate[^\n]*\n", "")
  T.eq(code, 1, what .. ": exit status\n" .. got)
  local first = got:match("^[^\n]*")
  T.contains(first, "nnlab: ", what .. ": first line")
  for _, piece in ipairs(pieces) do T.contains(first, piece, what .. ": first line") end
  for _, crash in ipairs { "Segmentation", "Aborted", "AddressSanitizer", "runtime error", "internal error" } do
    T.truthy(not got:find(crash, 1, true), what .. ": no crash (" .. crash .. ")\n" .. got)
  end
  T.eq(T.read(report_md), good_report, what .. ": the previous report is kept")
  T.eq(cache_entries(), cached, what .. ": the cache is as it was")
end

-- ---- the catalogue ---------------------------------------------------------------
-- { what, arguments of the run, pieces of the first line, run options }
local truncated_images = good_images:sub(1, #good_images - 5)

-- CSV and NumPy files (fixtures/data/bad_files.lua reads one; the NumPy files
-- are committed in fixtures/data/, written by make_fixtures.py there).
local bad_files = T.source .. "/tests/nnlab/fixtures/data/bad_files.lua"
local npy = T.source .. "/tests/nnlab/fixtures/data/"
local bad_files_text = T.read(bad_files)
local function in_bad_files(text)
  local at = assert(bad_files_text:find(text, 1, true), text)
  return "bad_files.lua:" .. (select(2, bad_files_text:sub(1, at):gsub("\n", "")) + 1) .. ": "
end
local function csv_file(name, text)
  T.write(dir .. "/" .. name, text)
  return dir .. "/" .. name
end
local function data_file_row(what, kind, x, y, pieces)
  return { what, { "--set", "kind=" .. kind, "--set", "x=" .. x, "--set", "y=" .. (y or "") }, pieces,
           { script = bad_files } }
end
local ragged_csv = csv_file("ragged.csv", "a,b,kind\n1,2,cat\n3,4\n")
local text_csv = csv_file("text.csv", "a,b,kind\n1,2,cat\n3,abc,dog\n")
local nan_csv = csv_file("nan.csv", "a,b,kind\n1,2,cat\nNaN,4,dog\n")
local classes_csv = csv_file("classes.csv", "a,b,kind\n1,2,cat\n3,4,owl\n")
local label_csv = csv_file("label.csv", "a,b,kind\n1,2,0\n3,4,5\n")

local rows = {
  -- malformed CSV and NumPy files
  data_file_row("CSV row with too few fields", "csv", ragged_csv, nil,
    { in_bad_files("data.csv(x)"), "data.csv: " .. ragged_csv .. ":3:3: has 2 fields, expected 3 (like the header)" }),
  data_file_row("CSV cell that is not a number", "csv", text_csv, nil,
    { in_bad_files("data.csv(x)"), "data.csv: " .. text_csv .. ":3:2: 'abc' is not a number (column 'b')" }),
  data_file_row("NaN in a CSV file", "csv", nan_csv, nil,
    { in_bad_files("data.csv(x)"), "data.csv: " .. nan_csv .. ":3:1: 'NaN' is not finite (NaN or Inf) (column 'a')" }),
  data_file_row("CSV file without the target column", "csv_target", nan_csv, nil,
    { in_bad_files("data.csv(x, { target"), "data.csv: " .. nan_csv .. ": no target column 'label' in the header ('a', 'b', 'kind')" }),
  data_file_row("CSV class not among the classes given", "csv_classes", classes_csv, nil,
    { in_bad_files("data.csv(x, { classes"),
      "data.csv: " .. classes_csv .. ":3:3: 'owl' is not one of the classes ('cat', 'dog') (target column 'kind')" }),
  data_file_row("CSV class number out of range for the classes given", "csv_classes", label_csv, nil,
    { in_bad_files("data.csv(x, { classes"),
      "data.csv: " .. label_csv .. ":3:3: class number '5' is out of range: 2 classes ('cat', 'dog') (target column 'kind')" }),
  data_file_row("npy array in Fortran order", "npy", npy .. "fortran.npy", npy .. "y_u1.npy",
    { in_bad_files("data.npy(x, y)"), "data.npy: " .. npy .. "fortran.npy: the array is in Fortran order; save it with np.ascontiguousarray" }),
  data_file_row("npy file cut short", "npy", npy .. "truncated.npy", npy .. "y_u1.npy",
    { in_bad_files("data.npy(x, y)"), "data.npy: " .. npy .. "truncated.npy: truncated body: shape (3, 2) of <f4 needs 24 bytes but only 21 follow the header" }),
  data_file_row("npy array of Python objects", "npy", npy .. "object.npy", npy .. "y_u1.npy",
    { in_bad_files("data.npy(x, y)"), "data.npy: " .. npy .. "object.npy: holds Python objects (dtype object), not numbers" }),
  data_file_row("npy features and labels of different counts", "npy", npy .. "x_u1.npy", npy .. "y_short.npy",
    { in_bad_files("data.npy(x, y)"), "data.npy: " .. npy .. "x_u1.npy has 4 samples but " .. npy .. "y_short.npy has 2 labels" }),
  data_file_row("npz archive without the array asked for", "npz_key", npy .. "pair.npz", nil,
    { in_bad_files("data.npz(x, {"), "data.npz: " .. npy .. "pair.npz: no array 'images' (it has: x, y)" }),
  data_file_row("npz archive that is corrupt", "npz", npy .. "corrupt.npz", nil,
    { in_bad_files("data.npz(x)\n"), "data.npz: " .. npy .. "corrupt.npz: not a readable zip archive (Not a zip archive)" }),
  -- malformed data and model files
  { "IDX file with a bad magic number", { "--set", "data=" .. damaged_dataset("bad_magic", "train-images-idx3-ubyte",
      string.pack(">I4", 0x1234) .. good_images:sub(5)) },
    { at_load, "data.load: ", "bad_magic/train-images-idx3-ubyte: bad magic 0x00001234, expected 0x00000803 (IDX image file, unsigned bytes)" } },
  { "IDX file cut short", { "--set", "data=" .. damaged_dataset("cut", "train-images-idx3-ubyte", truncated_images) },
    { at_load, "cut/train-images-idx3-ubyte: truncated body: header declares 40 images of 4x4 (640 bytes) but only 635 follow" } },
  { "IDX file with an impossible label",
    { "--set", "data=" .. damaged_dataset("label", "train-labels-idx1-ubyte", string.pack(">I4I4", 0x801, 40) .. ("\12"):rep(40)) },
    { at_load, "label/train-labels-idx1-ubyte: label 12 at index 0 is out of range for 10 classes" } },
  { "gzip'd IDX file cut short", { "--set", "data=" .. damaged_dataset("gz_cut", "train-images-idx3-ubyte.gz",
      gzipped:sub(1, #gzipped // 2)) },
    { at_load, "gz_cut/train-images-idx3-ubyte.gz: truncated gzip stream (the file ends inside the compressed data)" } },
  { "gzip'd IDX file with a bad checksum", { "--set", "data=" .. damaged_dataset("gz_crc", "train-images-idx3-ubyte.gz",
      flip(gzipped, -6)) },
    { at_load, "gz_crc/train-images-idx3-ubyte.gz: corrupt gzip stream (incorrect data check)" } },
  { "model file that is not one", { "--set", "model=" .. damaged_model("foreign", "#!/bin/sh\necho hello\n") },
    { at_model_load, "foreign.nnlab: not an nnlab model file (bad magic)" } },
  { "model file with a flipped bit", { "--set", "model=" .. damaged_model("flipped", flip(good_model, -10)) },
    { at_model_load, "flipped.nnlab: checksum mismatch (file corrupted)" } },
  { "model file cut short", { "--set", "model=" .. damaged_model("cut", good_model:sub(1, 40)) },
    { at_model_load, "cut.nnlab: truncated: 3 layers need 84 more bytes, only 24 left" } },
  { "deflated model file cut short", { "--set", "model=" .. damaged_model("deflated_cut", good_deflated:sub(1, 30)) },
    { at_model_load, "deflated_cut.nnlab: truncated: the deflated model ends early" } },
  -- the experiment file
  { "syntax error", {}, { "syntax_error.lua:4: unexpected symbol near ')'" }, { script = fixtures .. "syntax_error.lua" } },
  { "runtime error", { "--set", "case=runtime_error" },
    { at("local settings = nil"), "attempt to index a nil value (local 'settings')" } },
  { "layer sizes that do not fit", { "--set", "case=layer_mismatch" },
    { at("nn.Linear(32, 10)"), "nn.Sequential: layer 3 (Linear) expects 32 inputs but layer 1 (Linear) produces 4" } },
  { "model that does not fit the data", { "--set", "case=input_mismatch" },
    { at_sweep, "lab.sweep: the model of hidden=4 takes 784 input features, but the train data has 16 per sample (4x4 images)" } },
  { "unknown dataset", { "--set", "data=no-such-dataset" },
    { at_load, "data.load: dataset \"no-such-dataset\" not found" } },
  { "unknown layer", { "--set", "case=unknown_layer" },
    { at("nn.Relu()"), "nn.Relu: nnlab has no layer or loss of that name (did you mean nn.ReLU?); it has CrossEntropyLoss," } },
  { "unknown layer option", { "--set", "case=unknown_layer_option" },
    { at("inti ="), "nn.Linear: unknown option 'inti' (did you mean 'init'?)" } },
  { "unknown optimizer", { "--set", "case=unknown_optimizer" },
    { at("optim.RMSprop"), "optim.RMSprop: nnlab has no optimizer of that name; it has Adam, AdamW, SGD" } },
  { "unknown optimizer option", { "--set", "case=unknown_optimizer_option" },
    { at("momentom"), "optim.SGD: unknown option 'momentom' (did you mean 'momentum'?)" } },
  { "lr < 0", { "--set", "lr=-0.5" },
    { at("return optim.SGD(params, { lr = p.lr }) end,"), "optim.SGD: invalid lr: -0.5 (must be >= 0)" } },
  { "batch size 0", { "--set", "case=batch_size_0" }, { at_sweep, "lab.sweep: batch_size must be a positive integer, got 0" } },
  { "epochs 0", { "--set", "case=epochs_0" }, { at_sweep, "lab.sweep: epochs must be a positive integer, got 0" } },
  { "epochs < 0", { "--set", "case=epochs_negative" }, { at_sweep, "lab.sweep: epochs must be a positive integer, got -2" } },
  { "batch size 0 (DataLoader)", { "--set", "case=loader_batch_size_0" },
    { at("{ batch_size = 0 }"), "data.DataLoader: batch_size must be a positive integer, got 0" } },
  { "epochs 0 (fit)", { "--set", "case=fit_epochs_0" },
    { at("lab.fit {"), "fit: epochs must be a positive integer, got 0" } },
  { "seeds 0", { "--set", "case=seeds_0" },
    { at_sweep, "lab.sweep: seeds must be a count (3), a list of distinct integer seeds ({ 1, 2, 3 }) or { min = 3, max = 10 } (more seeds where a verdict is undecided), got 0" } },
  -- the command line
  { "--set of an unknown parameter", { "--set", "hiden=8" },
    { at_sweep, "--set hiden=8: no lab.param or vary axis named 'hiden' is declared before the first lab.sweep (did you mean 'hidden'?)" } },
  { "--set of an ill-typed integer", { "--set", "hidden=many" },
    { at("lab.param(\"hidden\", 4)"), "--set hidden=many: hidden expects an integer (default 4), got 'many'" } },
  { "--set of a non-finite number", { "--set", "lr=1e999" },
    { at("lab.param(\"lr\", 0.1)"), "--set lr=1e999: lr expects a finite number (default 0.1), got '1e999'" } },
  { "malformed --set", { "--set", "lr" },
    { "malformed --set 'lr': expected key=value with key a name like epochs or lr" } },
  -- memory
  { "model too large", { "--set", "case=too_large" },
    { at("nn.Linear(1e6, 1e6)"), "nn.Sequential: layer 3 (Linear): 1000000 x 1000000 weights (4000.0 GB) are too large: "
      .. "a network holds at most 1073741824 parameters (4 GiB)" } },
  { "out of memory", { "--set", "case=out_of_memory" },
    { at("nn.Linear(20000, 20000)"), "nn.Sequential: out of memory for a network of 400560010 parameters (3.2 GB "
      .. "for its weights and gradients)" },
    sanitized and { env = { ASAN_OPTIONS = "allocator_may_return_null=1:max_allocation_size_mb=1024" } }
              or { before = "ulimit -v 1500000" } },
}
for _, row in ipairs(rows) do
  T.case(row[1] .. ": exit 1, the cause on the first line, no crash, report and cache kept", function()
    expect_row(row[1], row[2], row[4], row[3])
  end)
end

-- ---- the file system ---------------------------------------------------------------

-- A reports folder that cannot be made (a file stands in its way): the runs
-- are trained and cached, the report is not written; once the folder is
-- fixed, the next run writes it from the cache.
T.case("a reports folder that cannot be made fails the run; once fixed, the cache has every run", function()
  local blocker = dir .. "/not-a-folder"
  T.write(blocker, "a file, not a folder\n")
  local out, status = run({ "--set", "hidden=6" }, { out = blocker .. "/reports" })
  T.eq(status, 1, "unwritable reports folder: status\n" .. out)
  T.contains(out:match("^[^\n]*"), ("nnlab: cannot create %s/reports: %s: Not a directory"):format(blocker, blocker),
             "unwritable reports folder: message")
  out, status = run({ "--set", "hidden=6" }, { out = dir .. "/fixed-reports" })
  T.eq(status, 0, "after fixing the reports folder\n" .. out)
  T.contains(out, "2 runs, 0 trained, 2 from cache", "no work was lost")
end)

-- A read-only reports folder: chmod for ordinary users; root writes anyway,
-- so for root a read-only file system in a private mount namespace.
local read_only = dir .. "/read-only"
os.execute("mkdir -p " .. T.quote(read_only))
-- `wrapper` runs the command after it in a private mount namespace where `setup` has run.
local namespaces = select(2, T.run("unshare -m true")) == 0
local function in_namespace(setup)
  return "unshare -m sh -c " .. T.quote(setup .. ' && exec "$@"') .. " sh env"
end
local read_only_args = { "run", notebook, "--out", read_only, "--set", "data=" .. data, "--quiet" }
local root = T.run("id -u"):match("%d+") == "0"
local read_only_case = "a read-only reports folder fails the run, naming the lock file and the cause"
if not root or namespaces then
  T.case(read_only_case, function()
    local out, status, why
    if not root then
      out, status = T.nnlab_run(read_only_args, { NNLAB_CACHE = cache }, "chmod a-w " .. T.quote(read_only))
      why = "Permission denied"
    else
      out, status = T.run(in_namespace("mount -t tmpfs -o ro tmpfs " .. T.quote(read_only)) .. " "
                          .. T.nnlab_command(read_only_args, { NNLAB_CACHE = cache }))
      why = "Read-only file system"
    end
    T.eq(status, 1, "read-only reports folder: status\n" .. out)
    T.contains(out:match("^[^\n]*"), ("nnlab: cannot write %s/.notebook.lock: %s"):format(read_only, why),
               "read-only reports folder: message")
  end)
else
  T.skip(read_only_case, "root without mount namespaces")
end
os.execute("chmod u+w " .. T.quote(read_only))

-- A full disk, simulated with the file size limit (SIGXFSZ is ignored, so a
-- write past it fails with EFBIG and is reported): for cache entries (a new
-- hidden size: its runs must be trained; the cache folder's probe finds it
-- before anything trains), and while writing the report (every run comes
-- from the cache).
T.case("a full disk for cache entries: exit 1 before training, the folder named, nothing lost", function()
  expect_row("full disk for cache entries", { "--set", "hidden=5" }, { before = "ulimit -f 0" },
             { at_sweep, "lab.sweep 'hidden': 2 of 2 runs need training, but cannot write to the cache folder "
               .. cache .. ": File too large: nothing was trained" })
end)
T.case("a full disk while writing the report: exit 1, the file named, nothing lost", function()
  expect_row("full disk while writing the report", {}, { before = "ulimit -f 0" },
             { ("nnlab: cannot write %s/notebook/results.csv: File too large"):format(reports) })
end)
T.case("the run after a full disk is served from the cache", function()
  local out, status = run {}
  T.eq(status, 0, "the run after a full disk\n" .. out)
  T.contains(out, "2 runs, 0 trained, 2 from cache", "the cache survived the full disk")
end)

-- A really full file system (a tiny tmpfs, filled up) where mount namespaces allow it.
local small = dir .. "/small"
local full = in_namespace(("mount -t tmpfs -o size=16k tmpfs %s && mkdir %s && "
                           .. "(head -c 65536 /dev/zero >%s 2>/dev/null || true)")
                          :format(T.quote(small), T.quote(small .. "/reports"), T.quote(small .. "/filler")))
local no_space_cache = "no space left for cache entries: exit 1 before training, naming the folder and the cause"
local no_space_report = "no space left for the report: exit 1, naming the file and the cause"
if namespaces then
  os.execute("mkdir -p " .. T.quote(small))
  -- a full disk is found before anything trains (an empty probe file had
  -- passed: every run then trained and failed to store its result)
  T.case(no_space_cache, function()
    local out, status = T.run(full .. " " .. T.nnlab_command({ "run", notebook, "--out", small .. "/reports", "--set",
      "data=" .. data, "--set", "hidden=7", "--quiet" }, { NNLAB_CACHE = small .. "/cache" }))
    T.eq(status, 1, "no space left for cache entries: status\n" .. out)
    T.contains(out:match("^[^\n]*"), ("cannot write to the cache folder %s/cache: No space left on device: nothing "
                                      .. "was trained"):format(small), "no space left for cache entries: message")
    T.truthy(not out:find("seed 1: test acc", 1, true), "no run trained\n" .. out)
  end)
  -- Runs an experiment of one sweep per name in `names` (h = 1, `seeds`
  -- seeds), each run writing files into a 256 KiB tmpfs mounted as the
  -- cache's folder until it is full (so the first run fills it); `args`
  -- after the file. Returns the folder, nnlab's output and status.
  local function filling_run(name, names, seeds, args)
    local roomy = dir .. "/" .. name
    os.execute("mkdir -p " .. T.quote(roomy))
    local file = dir .. "/" .. name .. ".lua"
    T.write(file, ([[
local lab = require "nnlab"
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, (i - 1) %% 2 end, { seed = 1, classes = 2 })
for _, name in ipairs { %s } do
  lab.sweep { name = name, vary = { h = { 1 } }, seeds = %d, train = ds, test = ds, run = function(p, ctx)
    local f = io.open(%q .. "/filler" .. name .. ctx.seed, "wb") -- writes until the disk is full
    for _ = 1, 64 do if not f:write(string.rep("x", 16384)) then break end f:flush() end
    f:close()
    return { { train_loss = 1, train_acc = 50 } }
  end }
end
]]):format(table.concat(names, ", "), seeds, roomy))
    local argv = { "run", file }
    for _, a in ipairs(args) do argv[#argv + 1] = a end
    local out, status = T.run(in_namespace(("mount -t tmpfs -o size=256k tmpfs %s"):format(T.quote(roomy))) .. " "
      .. T.nnlab_command(argv, { NNLAB_CACHE = roomy .. "/cache" }))
    return roomy, out, status
  end
  -- The disk fills while the sweep trains (here: the first run fills it):
  -- the runs not yet started would train for nothing, so none starts.
  T.case("a cache folder that fills up during the sweep starts no further run", function()
    local roomy, out, status = filling_run("roomy", { '"fill"' }, 4,
                                           { "--out", dir .. "/filling-reports", "-j", "1", "--quiet" })
    T.eq(status, 1, "status\n" .. out)
    T.contains(out, "1 of 4 runs failed: h=1 seed 1: cannot write " .. roomy .. "/cache/", "the run that found it full\n" .. out)
    T.contains(out, ("3 runs were not started: the cache folder %s/cache has no room (No space left on device); free "
                     .. "some space, or give another folder with --cache DIR"):format(roomy), "the rest, not started")
    T.truthy(not out:find("seed 2", 1, true), "seed 2 never started\n" .. out)
  end)
  -- A shard of two sweeps: the second sweep's runs are not started either,
  -- and the error counts the runs of both (it had named the last sweep's).
  T.case("a shard whose cache folder fills up counts every run it did not start", function()
    local roomy, out, status = filling_run("roomy-shard", { '"first"', '"second"' }, 3, { "--shard", "0/1", "-j", "1" })
    T.eq(status, 1, "status\n" .. out)
    T.contains(out, "0 trained, 0 already cached, 1 failed, 5 not started", "the shard's line\n" .. out)
    T.contains(out, "5 runs were not started: the cache folder " .. roomy .. "/cache has no room", "the error\n" .. out)
  end)
  -- ctx.save writes its model file in the cache folder too: its failure for
  -- want of room there stops the sweep as a failed store does.
  T.case("ctx.save's model file finding the cache folder full starts no further run", function()
    local roomy = dir .. "/roomy-save"
    os.execute("mkdir -p " .. T.quote(roomy))
    local file = dir .. "/saving.lua"
    T.write(file, [[
local lab = require "nnlab"
local nn, data = lab.nn, lab.data
local ds = data.generate(20, function(i, rng) return { rng:random(), rng:random() }, (i - 1) % 2 end, { seed = 1, classes = 2 })
lab.sweep { name = "saving", vary = { hidden = { 6000, 6001, 6002, 6003 } }, seeds = 1, train = ds, test = ds,
  run = function(p, ctx)
    local model = nn.Sequential { nn.Linear(2, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 2) }
    ctx.save(model) -- about 120 KB, where 80 KB are left
    return { { train_loss = 1, train_acc = 50 } }
  end }
]])
    local mount = ("mount -t tmpfs -o size=256k tmpfs %s && head -c 180224 /dev/zero >%s/filler")
                  :format(T.quote(roomy), T.quote(roomy))
    local out, status = T.run(in_namespace(mount) .. " " .. T.nnlab_command(
      { "run", file, "--out", dir .. "/saving-reports", "-j", "1", "--quiet" }, { NNLAB_CACHE = roomy .. "/cache" }))
    T.eq(status, 1, "status\n" .. out)
    T.contains(out, "1 of 4 runs failed: hidden=600", "the run whose model did not fit\n" .. out)
    T.contains(out, "No space left on device", "the cause")
    T.contains(out, ("3 runs were not started: the cache folder %s/cache has no room"):format(roomy), "the rest\n" .. out)
  end)

  -- Only the cache folder's lack of room stops the sweep: a run that fails
  -- for want of room on its own scratch disk had stopped every later run;
  -- and a small disk with room for the entries trains (a 64 KiB probe had
  -- refused a 48 KiB one).
  T.case("a run's own full scratch disk fails that run only; a small cache disk with room trains", function()
    local scratch, small_cache = dir .. "/scratch", dir .. "/small-cache"
    os.execute("mkdir -p " .. T.quote(scratch) .. " " .. T.quote(small_cache))
    local file = dir .. "/scratch.lua"
    T.write(file, ([[
local lab = require "nnlab"
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, (i - 1) %% 2 end, { seed = 1, classes = 2 })
lab.sweep { name = "scratch", vary = { h = { 1 } }, seeds = 4, train = ds, test = ds, run = function(p, ctx)
  if ctx.seed == 1 then -- its checkpoint does not fit
    local f = assert(io.open(%q .. "/checkpoint", "wb"))
    assert(f:write(string.rep("x", 65536)))
    assert(f:close())
  end
  return { { train_loss = 1, train_acc = 50 } }
end }
]]):format(scratch))
    local mounts = ("mount -t tmpfs -o size=16k tmpfs %s && head -c 65536 /dev/zero >%s/filler 2>/dev/null; "
                    .. "mount -t tmpfs -o size=48k tmpfs %s"):format(T.quote(scratch), T.quote(scratch), T.quote(small_cache))
    local out, status = T.run(in_namespace(mounts) .. " " .. T.nnlab_command(
      { "run", file, "--out", dir .. "/scratch-reports", "-j", "1", "--quiet" }, { NNLAB_CACHE = small_cache .. "/cache" }))
    T.eq(status, 1, "status\n" .. out)
    T.contains(out, "1 of 4 runs failed: h=1 seed 1:", "the run whose scratch disk was full\n" .. out)
    T.contains(out, "The finished runs are cached", "the other three trained and were kept\n" .. out)
    T.eq(out:find("not started", 1, true), nil, "no run left unstarted\n" .. out)
  end)
  T.case(no_space_report, function()
    local out, status = T.run(full .. " " .. T.nnlab_command({ "run", notebook, "--out", small .. "/reports", "--set",
      "data=" .. data, "--quiet" }, { NNLAB_CACHE = cache }))
    T.eq(status, 1, "no space left for the report: status\n" .. out)
    T.contains(out:match("^[^\n]*"), ("nnlab: cannot write %s/reports/notebook/results.csv: No space left on device")
               :format(small), "no space left for the report: message")
  end)
else
  T.skip(no_space_cache, "no mount namespaces")
  T.skip(no_space_report, "no mount namespaces")
end

T.done()
