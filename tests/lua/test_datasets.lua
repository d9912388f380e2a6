-- nnlab.datasets under stock lua5.4: the known table, the search order, the
-- system copy, downloads from a file:// mirror (good and bad MD5, stale .part,
-- a failure remembered for the run), the offline message, bare folder names
-- and ~. Never touches the network.
local T = require "testlib"
local datasets = require "nnlab.datasets"

local ROOT = T.tmp .. "/datasets-lua"

local function sh(command)
  assert(os.execute(command), "command failed: " .. command)
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- A folder holding the four files (content is irrelevant to locate);
-- `skip` leaves one out, `raw` writes them without .gz.
local function make_folder(dir, opts)
  opts = opts or {}
  sh("mkdir -p " .. T.quote(dir))
  for _, base in ipairs(datasets.FILES) do
    if base ~= opts.skip then
      T.write(dir .. "/" .. base .. (opts.raw and "" or ".gz"), "content of " .. base)
    end
  end
  return dir
end

-- each case works in a sub-folder of its own under an empty ROOT
sh("rm -rf " .. T.quote(ROOT))
sh("mkdir -p " .. T.quote(ROOT))

---------------------------------------------------------------------------

T.case("known datasets: files, MD5s, sizes, classes, licences", function()
  for _, name in ipairs({ "kmnist", "mnist", "fashion-mnist" }) do
    local e = datasets.known[name]
    T.eq(e.name, name)
    T.eq(#e.files, 4)
    for i, f in ipairs(e.files) do
      T.eq(f.name, datasets.FILES[i] .. ".gz")
      assert(f.md5:match("^%x+$") and #f.md5 == 32, name .. ": bad md5 " .. f.md5)
      assert(f.bytes > 0)
    end
    T.eq(#e.classes, 10)
    assert(e.license and e.attribution and #e.mirrors >= 1)
  end
  -- KMNIST's values from DESIGN.md
  T.eq(datasets.known.kmnist.files[1].md5, "bdb82020997e1d708af4cf47b453dcf7")
  T.eq(datasets.known.kmnist.files[4].bytes, 5120)
  T.eq(datasets.known.kmnist.classes[1], "お")
  T.eq(datasets.known.kmnist.classes[10], "を")
  T.eq(datasets.known["fashion-mnist"].classes[10], "Ankle boot")
  T.eq(datasets.lookup("Fashion_MNIST"), datasets.known["fashion-mnist"])
  T.eq(datasets.lookup("nope"), nil)
  local names = datasets.class_names("fashion-mnist")
  names[1] = "changed"
  T.eq(datasets.known["fashion-mnist"].classes[1], "T-shirt/top") -- a copy
  T.eq(datasets.base_url_variable("fashion-mnist"), "NNLAB_DOWNLOAD_BASE_FASHION_MNIST")
end)

T.case("search order: explicit path, $NNLAB_DATA, ./data", function()
  local root = ROOT .. "/order"
  local explicit = make_folder(root .. "/explicit")
  make_folder(root .. "/env/kmnist", { raw = true })
  make_folder(root .. "/data/kmnist")
  local env = { NNLAB_DATA = root .. "/env" }
  local base = { env = env, data_root = root .. "/data", download = false }

  local dir, info = datasets.locate("kmnist", { path = explicit, env = env, data_root = base.data_root })
  T.eq(dir, explicit)
  T.eq(info.source, "path")

  dir, info = datasets.locate("kmnist", base)
  T.eq(dir, root .. "/env/kmnist")
  T.eq(info.source, "NNLAB_DATA")
  T.contains(info.reason, "$NNLAB_DATA/kmnist")
  T.eq(info.files["train-images-idx3-ubyte"], root .. "/env/kmnist/train-images-idx3-ubyte")
  T.eq(info.known, datasets.known.kmnist)

  dir, info = datasets.locate("kmnist", { env = {}, data_root = root .. "/data", download = false })
  T.eq(dir, root .. "/data/kmnist")
  T.eq(info.source, "data")
  T.eq(info.files["t10k-labels-idx1-ubyte"], root .. "/data/kmnist/t10k-labels-idx1-ubyte.gz")
  T.contains(info.tried[1], "NNLAB_DATA is not set")

  -- an incomplete folder is passed over, and the reason recorded
  os.remove(root .. "/env/kmnist/t10k-labels-idx1-ubyte")
  dir, info = datasets.locate("kmnist", base)
  T.eq(info.source, "data")
  T.contains(info.tried[1], "missing t10k-labels-idx1-ubyte[.gz]")

  -- the env lookup may also be a function
  dir, info = datasets.locate("kmnist", { env = function(k) return env[k] end, download = false,
                                          data_root = root .. "/nothing" })
  T.eq(dir, nil)
  T.contains(info, "missing t10k-labels-idx1-ubyte[.gz]")
end)

T.case("a folder path, and folder names that are not known datasets", function()
  local root = ROOT .. "/paths"
  local mine = make_folder(root .. "/data/mine", { raw = true })
  local dir, info = datasets.locate(mine)
  T.eq(dir, mine)
  T.eq(info.source, "path")
  T.eq(info.known, nil)

  make_folder(root .. "/partial", { skip = "train-labels-idx1-ubyte" })
  dir, info = datasets.locate(root .. "/partial")
  T.eq(dir, nil)
  T.contains(info, "missing train-labels-idx1-ubyte[.gz]")
  dir, info = datasets.locate(root .. "/absent")
  T.contains(info, "no such folder")
  T.contains(info, "in " .. root .. "/absent")

  dir, info = datasets.locate("mine", { env = {}, data_root = root .. "/data" })
  T.eq(dir, mine)
  T.eq(info.source, "data")
  dir, info = datasets.locate("yours", { env = {}, data_root = root .. "/data" })
  T.eq(dir, nil)
  T.contains(info, '"yours" is not a known dataset')
end)

T.case("system copy: Debian's Fashion-MNIST (installed by scripts/setup.sh)", function()
  local dir, info = datasets.locate("fashion-mnist", { env = {}, data_root = ROOT .. "/none",
                                                       download = false })
  assert(dir, "no Fashion-MNIST: run scripts/setup.sh (installs dataset-fashion-mnist)\n" .. tostring(info))
  T.eq(dir, "/usr/share/datasets/fashion-mnist")
  T.eq(info.source, "system")
  T.contains(info.reason, "the system copy")
  T.eq(#info.tried, 3) -- $NNLAB_DATA, ./data, then the system copy
  -- and a listed system folder is searched after ./data
  local sys = make_folder(ROOT .. "/system/kmnist")
  dir, info = datasets.locate("kmnist", { env = {}, data_root = ROOT .. "/none", system = { sys },
                                          download = false })
  T.eq(dir, sys)
  T.eq(info.source, "system")
end)

-- The file:// URL of a folder: every byte a URL path may not hold as it is
-- (a space, a quote or a non-ASCII byte in the clone's path) percent-encoded.
local function file_url(path)
  return "file://" .. path:gsub("[^%w%-%._~/]", function(c) return ("%%%02X"):format(c:byte()) end)
end

-- A mirror folder served through file:// and a known entry whose MD5s match
-- it; returns its base URL, its files and its path.
local function make_mirror(name)
  local mirror = ROOT .. "/mirror-" .. name
  sh("mkdir -p " .. T.quote(mirror))
  local files = {}
  for i, base in ipairs(datasets.FILES) do
    local path = mirror .. "/" .. base .. ".gz"
    T.write(path, ("%s bytes of %s"):format(string.rep("x", i * 100), base))
    files[i] = { name = base .. ".gz", md5 = assert(datasets.md5(path)) }
  end
  datasets.known[name] = { name = name, mirrors = { "http://127.0.0.1:9/never-used/" },
                           files = files, classes = {}, system = {}, homepage = "(test)" }
  return file_url(mirror .. "/"), files, mirror .. "/"
end

local function part_files(dir)
  local p = io.popen("ls -a " .. T.quote(dir) .. " 2>/dev/null")
  local out = p:read("a")
  p:close()
  return out:match("%.part") ~= nil
end

T.case("download from a file:// mirror: MD5-checked, renamed, no .part left", function()
  local base_url, files = make_mirror("test-good")
  local data_root = ROOT .. "/dl-good"
  local dir, info = datasets.locate("test-good", { env = {}, data_root = data_root,
                                                   base_url = base_url, progress = false })
  assert(dir, info)
  T.eq(dir, data_root .. "/test-good")
  T.eq(info.source, "download")
  T.contains(info.reason, "MD5-checked")
  for _, f in ipairs(files) do T.eq(datasets.md5(dir .. "/" .. f.name), f.md5) end
  assert(not part_files(dir), "a .part file was left behind")
  -- the next run finds it in ./data without downloading
  dir, info = datasets.locate("test-good", { env = {}, data_root = data_root, download = false })
  T.eq(info.source, "data")

  -- the base URL may also come from $NNLAB_DOWNLOAD_BASE_<NAME>
  local env = { NNLAB_DOWNLOAD_BASE_TEST_GOOD = base_url }
  dir, info = datasets.locate("test-good", { env = env, data_root = ROOT .. "/dl-env", progress = false })
  assert(dir, info)
  T.eq(info.source, "download")
end)

T.case("download with a wrong MD5: error says so, nothing left behind", function()
  local base_url = make_mirror("test-bad")
  datasets.known["test-bad"].files[3].md5 = string.rep("0", 32)
  local data_root = ROOT .. "/dl-bad"
  local dir, message = datasets.locate("test-bad", { env = {}, data_root = data_root,
                                                     base_url = base_url, progress = false })
  T.eq(dir, nil)
  T.contains(message, "MD5 mismatch")
  T.contains(message, "expected " .. string.rep("0", 32))
  T.contains(message, "t10k-images-idx3-ubyte.gz.part was deleted")
  local target = data_root .. "/test-bad"
  assert(not exists(target .. "/t10k-images-idx3-ubyte.gz"), "the bad file was moved into place")
  assert(not part_files(target), "a .part file was left behind")
  -- the two good files before it are complete and verified: they may stay
  assert(exists(target .. "/train-images-idx3-ubyte.gz"))
end)

T.case("a stale .part is never trusted; a missing mirror file is reported", function()
  local base_url, _, mirror = make_mirror("test-stale")
  local target = ROOT .. "/dl-stale/test-stale"
  sh("mkdir -p " .. T.quote(target))
  -- a .part with exactly the right bytes, but the mirror no longer serves the file
  sh(("cp %s %s"):format(T.quote(mirror .. "train-images-idx3-ubyte.gz"),
                         T.quote(target .. "/train-images-idx3-ubyte.gz.part")))
  os.remove(mirror .. "train-images-idx3-ubyte.gz")
  local dir, message = datasets.locate("test-stale", { env = {}, data_root = ROOT .. "/dl-stale",
                                                       base_url = base_url, progress = false })
  T.eq(dir, nil)
  T.contains(message, "could not read the file")
  T.contains(message, "train-images-idx3-ubyte.gz")
  assert(not exists(target .. "/train-images-idx3-ubyte.gz"), "a stale .part was trusted")
  assert(not part_files(target), "the stale .part was left behind")
end)

T.case("offline: one message listing the places tried, the download status, the fix", function()
  local root = ROOT .. "/offline"
  make_folder(root .. "/env/kmnist", { skip = "train-images-idx3-ubyte" })
  local t0 = os.time()
  local dir, message = datasets.locate("kmnist", { env = { NNLAB_DATA = root .. "/env", NNLAB_OFFLINE = "1" },
                                                   data_root = root .. "/data" })
  T.eq(dir, nil)
  assert(os.time() - t0 <= 1, "offline must not wait on the network")
  T.contains(message, 'dataset "kmnist" not found. Searched:')
  T.contains(message, "1. $NNLAB_DATA/kmnist (" .. root .. "/env/kmnist): missing train-images-idx3-ubyte[.gz]")
  T.contains(message, "2. " .. root .. "/data/kmnist: no such folder")
  T.contains(message, "Download: disabled (NNLAB_OFFLINE=1)")
  T.contains(message, "To fix: put the four files")
  T.contains(message, "train-labels-idx1-ubyte.gz")
  T.contains(message, "http://codh.rois.ac.jp/kmnist/dataset/kmnist/")
  assert(not exists(root .. "/data"), "an offline run created ./data")

  dir, message = datasets.locate("mnist", { env = {}, download = false }) -- default ./data
  T.contains(message, "Download: disabled (download = false)")
  T.contains(message, "./data/mnist")
  T.contains(message, "fallback")
end)

T.case("download that fails (unreachable mirror) leaves no folder and says why", function()
  make_mirror("test-down")
  local data_root = ROOT .. "/dl-down"
  local dir, message = datasets.locate("test-down", { env = {}, data_root = data_root,
                                                      base_url = "file:///nonexistent-nnlab-mirror/",
                                                      progress = false })
  T.eq(dir, nil)
  T.contains(message, "Download: failed: file:///nonexistent-nnlab-mirror/train-images-idx3-ubyte.gz")
  assert(not exists(data_root), "an empty download folder was left behind")
end)

-- mkdir's stderr reached the terminal ("mkdir: cannot create directory
-- ‘./data’: Permission denied", once per data.load) and the message said
-- only "cannot create the folder". The cause is in the message now.
T.case("a download folder that cannot be made: the message gives mkdir's cause", function()
  make_mirror("test-nodir")
  local blocker = ROOT .. "/dl-blocker"
  T.write(blocker, "a file, not a folder\n")
  local dir, message = datasets.locate("test-nodir", { env = {}, data_root = blocker .. "/data",
                                                       base_url = "file:///nonexistent-nnlab-mirror/", progress = false })
  T.eq(dir, nil)
  T.contains(message, ("Download: failed: cannot create the folder %s/data/test-nodir: Not a directory"):format(blocker))
end)

-- Runs `code` (Lua, with `datasets` loaded) in a fresh interpreter whose
-- current directory is `dir` (and $HOME `home`, when given); returns what it
-- printed. The stock interpreter cannot change its own directory.
local LUA = arg and arg[-1] or "lua5.4"
local function run_in(dir, code, home)
  local script = dir .. "/.case.lua"
  T.write(script, 'local datasets = require "nnlab.datasets"\n' .. code)
  local p = io.popen(("cd %s && %s%s .case.lua 2>&1"):format(T.quote(dir),
                     home and ("HOME=" .. T.quote(home) .. " ") or "", T.quote(LUA)))
  local out = p:read("a")
  local ok = p:close()
  assert(ok, "the sub-process failed:\n" .. out)
  os.remove(script)
  return out
end

T.case("a bare folder name is a folder of the current directory", function()
  local root = ROOT .. "/bare"
  make_folder(root .. "/somefolder")
  make_folder(root .. "/data", { raw = true }) -- the issue's case: data.load("data")
  make_folder(root .. "/half", { skip = "t10k-images-idx3-ubyte" })
  make_folder(root .. "/store/half")
  local out = run_in(root, [[
    local opts = { env = {}, download = false, data_root = "store" }
    for _, name in ipairs({ "somefolder", "data", "half", "nothing" }) do
      local dir, info = datasets.locate(name, opts)
      if dir then
        print(name, dir, info.source, info.reason, info.tried[1])
      else
        print(name, "nil", (info:gsub("\n", "|")))
      end
    end
  ]])
  T.contains(out, "somefolder\tsomefolder\tpath\tthe folder ./somefolder (named bare)\t./somefolder: found")
  T.contains(out, "data\tdata\tpath\tthe folder ./data (named bare)")
  -- a folder here without the files is passed over, and said so
  T.contains(out, "half\tstore/half\tdata\tfound in store/half\t./half: missing t10k-images-idx3-ubyte[.gz]")
  T.contains(out, 'nothing\tnil\tdataset "nothing" not found. Searched:|  1. ./nothing: no such folder')
end)

T.case("a bare known name means the known dataset, not a folder here", function()
  local root = ROOT .. "/bare-known"
  make_folder(root .. "/kmnist")
  make_folder(root .. "/store/kmnist", { raw = true })
  local out = run_in(root, [[
    local dir, info = datasets.locate("kmnist", { env = {}, download = false, data_root = "store" })
    print("known", dir, info.source)
    dir, info = datasets.locate("./kmnist", { env = {}, download = false, data_root = "store" })
    print("path", dir, info.source)
    dir, info = datasets.locate("kmnist", { env = {}, download = false, data_root = "none" })
    print("absent", dir, (info:gsub("\n", "|")))
  ]])
  T.contains(out, "known\tstore/kmnist\tdata")
  T.contains(out, "path\t./kmnist\tpath")
  T.contains(out, "absent\tnil\t")
  T.contains(out, 'Note: "kmnist" is the known dataset; the folder of that name here is loaded as ./kmnist.')
end)

T.case("~ and ~/... expand from $HOME", function()
  T.eq(datasets.expand_home("~/x", "/h"), "/h/x")
  T.eq(datasets.expand_home("~", "/h"), "/h")
  T.eq(datasets.expand_home("~/x", "/h/"), "/h/x")
  T.eq(datasets.expand_home("~bob/x", "/h"), "~bob/x") -- another user's home is not guessed
  T.eq(datasets.expand_home("a/~/x", "/h"), "a/~/x")
  T.eq(datasets.expand_home("~/x", ""), "~/x")
  local home = ROOT .. "/home"
  local x = make_folder(home .. "/x")
  make_folder(home .. "/lib/kmnist")
  local dir, info = datasets.locate("~/x", { env = { HOME = home } })
  T.eq(dir, x)
  T.eq(info.source, "path")
  T.contains(info.reason, x .. " (~/x)")
  dir, info = datasets.locate("~/absent", { env = { HOME = home } })
  T.eq(dir, nil)
  T.contains(info, "dataset folder " .. home .. "/absent (~/absent): no such folder")
  -- opts.path and $NNLAB_DATA too
  dir = datasets.locate("kmnist", { env = { HOME = home }, path = "~/x", download = false })
  T.eq(dir, x)
  dir = datasets.locate("kmnist", { env = { HOME = home, NNLAB_DATA = "~/lib" }, download = false })
  T.eq(dir, home .. "/lib/kmnist")
  -- and the real $HOME, as data.load sees it
  local out = run_in(ROOT, [[
    local dir, info = datasets.locate("~/x")
    print(dir, info.source)
  ]], home)
  T.contains(out, x .. "\tpath")
end)

T.case("a failed download is tried once per run; the message names NNLAB_OFFLINE=1", function()
  make_mirror("test-once")
  local root = ROOT .. "/dl-once"
  local log = root .. "/curl.log"
  sh("mkdir -p " .. T.quote(root))
  local fake = root .. "/curl"
  T.write(fake, ('#!/bin/sh\necho "$@" >> %s\nexec curl "$@"\n'):format(T.quote(log)))
  sh("chmod +x " .. T.quote(fake))
  local function curl_runs()
    local f = io.open(log, "rb")
    if not f then return 0 end
    local n = select(2, f:read("a"):gsub("\n", ""))
    f:close()
    return n
  end
  local env = { NNLAB_DOWNLOAD_BASE_TEST_ONCE = "file:///nonexistent-nnlab-once/" }
  local opts = { env = env, data_root = root .. "/data", progress = false, curl = fake }
  local dir, message = datasets.locate("test-once", opts)
  T.eq(dir, nil)
  T.eq(curl_runs(), 1)
  T.contains(message, "Download: failed: file:///nonexistent-nnlab-once/train-images-idx3-ubyte.gz")
  T.contains(message, "NNLAB_OFFLINE=1 skips downloading")
  T.contains(message, "not retried in this run")
  assert(not exists(root .. "/data"), "an empty download folder was left behind")

  -- the second load in the same run reports the first failure without curl
  dir, message = datasets.locate("test-once", opts)
  T.eq(dir, nil)
  T.eq(curl_runs(), 1, "curl runs after the second locate")
  T.contains(message, "Download: failed: file:///nonexistent-nnlab-once/train-images-idx3-ubyte.gz")
  T.contains(message, "(failed earlier; not retried in this run)")
  T.contains(message, "NNLAB_OFFLINE=1")
  -- also into another folder: the mirror is what failed
  datasets.locate("test-once", { env = env, data_root = root .. "/other", progress = false, curl = fake })
  T.eq(curl_runs(), 1)

  -- another mirror is another attempt; forgetting allows a retry
  env.NNLAB_DOWNLOAD_BASE_TEST_ONCE = "file:///nonexistent-nnlab-twice/"
  datasets.locate("test-once", opts)
  T.eq(curl_runs(), 2)
  datasets.forget_failed_downloads()
  env.NNLAB_DOWNLOAD_BASE_TEST_ONCE = "file:///nonexistent-nnlab-once/"
  datasets.locate("test-once", opts)
  T.eq(curl_runs(), 3)
end)

T.case("locate_first: the first dataset found wins and records the fallback", function()
  local root = ROOT .. "/fallback"
  make_folder(root .. "/data/second")
  local opts = { env = {}, data_root = root .. "/data", download = false }
  local dir, info = datasets.locate_first({ "first", "second" }, opts)
  T.eq(dir, root .. "/data/second")
  T.eq(info.fallback_from[1].name, "first")
  T.contains(info.fallback_from[1].message, '"first" is not a known dataset')
  T.contains(info.reason, "first was not available; using second")
  local none, message = datasets.locate_first({ "first", "third" }, opts)
  T.eq(none, nil)
  T.contains(message, '"first"')
  T.contains(message, '"third"')
end)

T.done()
