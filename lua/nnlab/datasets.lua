-- nnlab.datasets: where data comes from. The table of known datasets (files,
-- MD5s, sizes, class names, licences), the folder search order, and download
-- with the `curl` program. Pure Lua (the standard library and nnlab.files'
-- shell quoting; nnlab.core only when loaded, to look at files without
-- waiting on a FIFO); the C engine reads the files this module finds
-- (engine/nn_data.h).
--
--   local datasets = require "nnlab.datasets"
--   local dir, info = datasets.locate("kmnist")          -- or a folder path
--   if not dir then error(info) end                      -- info is the message
--   print(info.reason)     --> found in ./data/kmnist
--
-- Search order for a name: opts.path (an explicit folder), $NNLAB_DATA/<name>,
-- ./data/<name>, the system copies listed in `known` (e.g. Debian's
-- dataset-fashion-mnist), then a download into ./data/<name> for known
-- datasets. A bare name that is not a known dataset is first tried as a folder
-- of the current directory (./<name>); a known name always means the known
-- dataset (its folder in the current directory is reached as ./<name>). A
-- leading ~ or ~/ means $HOME. A folder counts when it holds the four standard
-- files, each raw or .gz. Downloads go through FILE.part, are MD5-checked, and
-- only then renamed into place: a later run never trusts a half-written or
-- wrong file. A failed download is remembered for the rest of the process
-- (per dataset and mirror list) and not retried; NNLAB_OFFLINE=1 skips
-- downloading altogether.

local files = require "nnlab.files"

local M = {}

-- The four files of an MNIST-format dataset, without .gz.
M.FILES = {
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
}

-- Known datasets. `files` are what a download fetches (upstream .gz, with the
-- MD5s and sizes torchvision uses); `mirrors` are tried in order; `system` are
-- folders where an OS package installs a copy.
M.known = {
  kmnist = {
    name = "kmnist",
    title = "Kuzushiji-MNIST",
    homepage = "https://github.com/rois-codh/kmnist",
    mirrors = { "http://codh.rois.ac.jp/kmnist/dataset/kmnist/" },
    files = {
      { name = "train-images-idx3-ubyte.gz", bytes = 18165135, md5 = "bdb82020997e1d708af4cf47b453dcf7" },
      { name = "train-labels-idx1-ubyte.gz", bytes = 29497, md5 = "e144d726b3acfaa3e44228e80efcd344" },
      { name = "t10k-images-idx3-ubyte.gz", bytes = 3041136, md5 = "5c965bf0a639b31b8f53240b1b52f4d7" },
      { name = "t10k-labels-idx1-ubyte.gz", bytes = 5120, md5 = "7320c461ea6c1c855c0b718fb2a4b134" },
    },
    classes = { "お", "き", "す", "つ", "な", "は", "ま", "や", "れ", "を" },
    classes_latin = { "o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo" },
    license = "CC BY-SA 4.0",
    attribution = '"KMNIST Dataset" (created by CODH), adapted from "Kuzushiji Dataset" '
      .. "(created by NIJL and others), doi:10.20676/00000341; "
      .. "Clanuwat et al., Deep Learning for Classical Japanese Literature, 2018",
    system = {},
  },
  mnist = {
    name = "mnist",
    title = "MNIST",
    homepage = "http://yann.lecun.com/exdb/mnist/",
    mirrors = {
      "https://ossci-datasets.s3.amazonaws.com/mnist/",
      "http://yann.lecun.com/exdb/mnist/",
    },
    files = {
      { name = "train-images-idx3-ubyte.gz", bytes = 9912422, md5 = "f68b3c2dcbeaaa9fbdd348bbdeb94873" },
      { name = "train-labels-idx1-ubyte.gz", bytes = 28881, md5 = "d53e105ee54ea40749a09fcbcd1e9432" },
      { name = "t10k-images-idx3-ubyte.gz", bytes = 1648877, md5 = "9fb629c4189551a2d022fa330f9573f3" },
      { name = "t10k-labels-idx1-ubyte.gz", bytes = 4542, md5 = "ec29112dd5afa0611ce80d1b7f02629c" },
    },
    classes = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" },
    license = "CC BY-SA 3.0",
    attribution = "Yann LeCun, Corinna Cortes and Christopher J. C. Burges, The MNIST database of handwritten digits",
    system = {},
  },
  ["fashion-mnist"] = {
    name = "fashion-mnist",
    title = "Fashion-MNIST",
    homepage = "https://github.com/zalandoresearch/fashion-mnist",
    mirrors = { "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/" },
    files = {
      { name = "train-images-idx3-ubyte.gz", bytes = 26421880, md5 = "8d4fb7e6c68d591d4c3dfef9ec88bf0d" },
      { name = "train-labels-idx1-ubyte.gz", bytes = 29515, md5 = "25c81989df183df01b3e8a0aad5dffbe" },
      { name = "t10k-images-idx3-ubyte.gz", bytes = 4422102, md5 = "bef4ecab320f06d8554ea6380940ec79" },
      { name = "t10k-labels-idx1-ubyte.gz", bytes = 5148, md5 = "bb300cfdad3c16e7a12a480ee83cd310" },
    },
    classes = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
    license = "MIT",
    attribution = "Han Xiao, Kashif Rasul and Roland Vollgraf (Zalando Research), "
      .. "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms, 2017",
    -- Debian's dataset-fashion-mnist. Its .gz files were recompressed without the
    -- original file names (each is 23-24 bytes shorter than upstream), so they do
    -- NOT match the MD5s above. A system copy is trusted as installed by the
    -- package manager; MD5s apply to downloads only. (The engine still validates
    -- every header and size when it reads the files.)
    system = { "/usr/share/datasets/fashion-mnist" },
  },
  -- Kuzushiji-49: NumPy archives (key arr_0), 49 classes, no published checksums
  -- (the reader checks the arrays' shapes and label range; reports record SHA-256).
  k49 = {
    name = "k49",
    title = "Kuzushiji-49",
    homepage = "https://github.com/rois-codh/kmnist",
    mirrors = { "http://codh.rois.ac.jp/kmnist/dataset/k49/" },
    format = "npz",
    layout = { train = { "k49-train-imgs.npz", "k49-train-labels.npz" },
               test = { "k49-test-imgs.npz", "k49-test-labels.npz" } },
    files = {
      { name = "k49-train-imgs.npz" }, { name = "k49-train-labels.npz" },
      { name = "k49-test-imgs.npz" }, { name = "k49-test-labels.npz" },
    },
    shape = { train = 232365, test = 38547, rows = 28, cols = 28 },
    classes = { "あ", "い", "う", "え", "お", "か", "き", "く", "け", "こ", "さ", "し", "す", "せ", "そ",
                "た", "ち", "つ", "て", "と", "な", "に", "ぬ", "ね", "の", "は", "ひ", "ふ", "へ", "ほ",
                "ま", "み", "む", "め", "も", "や", "ゆ", "よ", "ら", "り", "る", "れ", "ろ", "わ", "ゐ",
                "ゑ", "を", "ん", "ゝ" },
    license = "CC BY-SA 4.0",
    attribution = '"KMNIST Dataset" (created by CODH), adapted from "Kuzushiji Dataset" '
      .. "(created by NIJL and others), doi:10.20676/00000341",
    system = {},
  },
}

-- EMNIST (Cohen et al. 2017): IDX files with the images stored transposed,
-- named emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte[.gz]. NIST
-- ships them only inside one 560 MB zip (gzip.zip), so there is no per-file
-- download: unpack it into data/emnist-<split>/ (or $NNLAB_DATA/emnist-<split>/).
local function emnist(split, title, classes)
  local prefix = "emnist-" .. split .. "-"
  return {
    name = "emnist-" .. split,
    title = "EMNIST " .. title,
    homepage = "https://www.nist.gov/itl/products-and-services/emnist-dataset",
    mirrors = {},
    no_download = "NIST ships EMNIST only as one zip (https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip); "
      .. "unpack its emnist-" .. split .. "-* files into the folder",
    transposed = true,
    layout = { train = { prefix .. "train-images-idx3-ubyte", prefix .. "train-labels-idx1-ubyte" },
               test = { prefix .. "test-images-idx3-ubyte", prefix .. "test-labels-idx1-ubyte" } },
    files = {},
    classes = classes,
    license = "see the EMNIST page (NIST special database 19)",
    attribution = "Gregory Cohen, Saeed Afshar, Jonathan Tapson and André van Schaik, "
      .. "EMNIST: an extension of MNIST to handwritten letters, 2017",
    system = {},
  }
end
local function chars(s)
  local t = {}
  for c in s:gmatch(".") do t[#t + 1] = c end
  return t
end
local letters = chars("abcdefghijklmnopqrstuvwxyz")
table.insert(letters, 1, "N/A") -- letters are labelled 1..26; class 0 is unused (as in torchvision)
M.known["emnist-letters"] = emnist("letters", "Letters", letters)
M.known["emnist-balanced"] = emnist("balanced", "Balanced",
  chars("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt"))
M.known["emnist-digits"] = emnist("digits", "Digits", chars("0123456789"))

local ALIASES = { fashion_mnist = "fashion-mnist", fashionmnist = "fashion-mnist",
                  ["k-mnist"] = "kmnist", kuzushiji = "kmnist" }

-- The known entry for a name (case and a few spellings forgiven), or nil.
function M.lookup(name)
  if type(name) ~= "string" then return nil end
  local key = name:lower()
  return M.known[ALIASES[key] or key]
end

-- The known names, sorted, comma-separated.
function M.known_names()
  local names = {}
  for name in pairs(M.known) do names[#names + 1] = name end
  table.sort(names)
  return table.concat(names, ", ")
end

-- Class names for a known dataset (a copy), or nil.
function M.class_names(name)
  local entry = M.lookup(name)
  if not entry then return nil end
  return table.move(entry.classes, 1, #entry.classes, 1, {})
end

---------------------------------------------------------------------------
-- Files and folders

-- errno of a name that is neither a regular file nor a folder (a FIFO, a
-- device): proc.open_regular refuses it with EINVAL (22 on Linux).
local EINVAL = 22

-- A non-empty regular file we can read (a directory opens but cannot be
-- read), or a FIFO or device in a file's place: the engine then refuses it,
-- saying what it is. Under nnlab nothing here waits on a FIFO, as io.open
-- would forever (nnlab.core's proc.open_regular); the stock interpreter of
-- the pure-Lua tests has io.open only.
local function readable(path)
  local has_core, core = pcall(require, "nnlab.core")
  if has_core then
    local f, size, code = core.proc.open_regular(path)
    if not f then return code == EINVAL end
    f:close()
    return size > 0
  end
  local f = io.open(path, "rb")
  if not f then return false end
  local ok = f:read(0)
  f:close()
  return ok ~= nil
end

-- Anything at that path, file or folder (on Linux a folder opens for reading).
local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function join(dir, name)
  if dir:sub(-1) == "/" then return dir .. name end
  return dir .. "/" .. name
end

-- "~" and "~/..." with the home folder `home` (default $HOME) in place of the
-- ~; any other path (and every path when there is no home) as it is. "~user"
-- is not expanded.
function M.expand_home(path, home)
  if home == nil then home = os.getenv("HOME") end
  if type(path) ~= "string" or not home or home == "" then return path end
  if path == "~" then return home end
  if path:sub(1, 2) == "~/" then return join(home, path:sub(3)) end
  return path
end

-- The four file names of a dataset (without .gz): a known entry's layout, or
-- the standard MNIST names.
function M.file_names(entry)
  if entry and entry.layout then
    local l = entry.layout
    return { l.train[1], l.train[2], l.test[1], l.test[2] }
  end
  return M.FILES
end

-- Checks a folder for the four files (of `entry`, a known dataset, or the
-- MNIST names). Returns a table { [base] = path } when all are there, else nil
-- and a short reason ("no such folder", "missing ..."). IDX files may be .gz.
function M.folder_files(dir, entry)
  local found, missing = {}, {}
  local names = M.file_names(entry)
  local gz_ok = not (entry and entry.format == "npz")
  for _, base in ipairs(names) do
    local raw, gz = join(dir, base), join(dir, base .. ".gz")
    if readable(raw) then found[base] = raw
    elseif gz_ok and readable(gz) then found[base] = gz
    else missing[#missing + 1] = base .. (gz_ok and "[.gz]" or "") end
  end
  if #missing == 0 then return found end
  if #missing == #names and not exists(dir) then return nil, "no such folder" end
  return nil, "missing " .. table.concat(missing, ", ")
end

-- Signals that system() has this process ignore while its command runs: a
-- Ctrl-C then reaches only the command (curl), and would be lost here.
local INTERRUPTS = { [2] = "INT", [3] = "QUIT" }

-- Runs a shell command; true when it exited with status 0, else false and the
-- code. A command ended by Ctrl-C (SIGINT, or SIGQUIT) ends the run too: the
-- signal is sent again to this process (under nnlab, which catches it, the
-- run stops with 128 + its number, as for a Ctrl-C anywhere else) and
-- "interrupted by SIGINT" is raised, never reported as a failed download.
local function run(command)
  local ok, how, code = os.execute(command)
  if ok then return true end
  if how == "signal" and INTERRUPTS[code] then
    local core = package.loaded["nnlab.core"]
    if core then core.proc.kill(core.proc.getpid(), code) end
    error("interrupted by SIG" .. INTERRUPTS[code], 0)
  end
  return false, how == "exit" and code or -1
end

-- The MD5 of a file as 32 lowercase hex digits (via md5sum), or nil and why.
function M.md5(path)
  local p = io.popen("md5sum -- " .. files.shell_quote(path) .. " 2>/dev/null")
  if not p then return nil, "cannot run md5sum" end
  local out = p:read("a") or ""
  p:close()
  local hex = out:match("^\\?(%x+)")
  if not hex or #hex ~= 32 then return nil, "md5sum failed on " .. path end
  return hex:lower()
end

---------------------------------------------------------------------------
-- Download

-- Short meanings of the curl exit codes one meets when fetching a file.
local CURL_ERRORS = {
  [6] = "could not resolve the host (no network?)",
  [7] = "could not connect to the server",
  [22] = "the server answered with an HTTP error (file not there?)",
  [23] = "could not write the file",
  [28] = "timed out",
  [35] = "TLS handshake failed",
  [37] = "could not read the file (file:// URL)",
  [47] = "too many redirects",
  [56] = "the connection broke while receiving",
  [60] = "the server's certificate was not accepted",
}

-- (the report says these in its own language: nnlab.notebook.report)
M.curl_errors = CURL_ERRORS

local function env_lookup(opts)
  local env = opts.env
  if type(env) == "function" then return env end
  if type(env) == "table" then return function(k) return env[k] end end
  return os.getenv
end

-- NNLAB_DOWNLOAD_BASE_FASHION_MNIST for "fashion-mnist".
function M.base_url_variable(name)
  return "NNLAB_DOWNLOAD_BASE_" .. name:upper():gsub("[^%w]", "_")
end

-- The mirrors to try: opts.base_url, else $NNLAB_DOWNLOAD_BASE_<NAME>, else the
-- known mirrors.
local function mirrors_for(entry, opts)
  local override = opts.base_url or env_lookup(opts)(M.base_url_variable(entry.name))
  if override and override ~= "" then return { override } end
  return entry.mirrors
end

-- Is stderr a terminal (so curl may draw its progress bar there)?
local function stderr_is_terminal()
  return (run("test -t 2"))
end

-- Fetches url into `part` with curl; true, or false and what went wrong.
local function curl_fetch(url, part, opts)
  local progress = opts.progress
  if progress == nil then progress = stderr_is_terminal() end
  local errfile = os.tmpname()
  local command = table.concat({
    files.shell_quote(opts.curl or "curl"), -- a program path with a space is one word
    "--fail --location --show-error",
    "--proto =http,https,file --proto-redir =http,https",
    "--connect-timeout", tostring(opts.connect_timeout or 15),
    "--max-time", tostring(opts.max_time or 900),
    progress and "--progress-bar" or "--silent",
    "--output", files.shell_quote(part),
    files.shell_quote(url),
    progress and "" or ("2>" .. files.shell_quote(errfile)),
  }, " ")
  if progress then io.stderr:write("downloading ", url, "\n") end
  local ran, ok, code = pcall(run, command)
  if not ran then -- interrupted: no half-written file stays
    os.remove(errfile)
    os.remove(part)
    error(ok, 0)
  end
  local f = io.open(errfile, "rb")
  local detail = f and f:read("a") or ""
  if f then f:close() end
  os.remove(errfile)
  if ok then return true end
  detail = detail:gsub("%s+$", ""):gsub("\n", " ")
  local meaning = CURL_ERRORS[code] or ("curl exited with status " .. tostring(code))
  if detail ~= "" then meaning = meaning .. " [" .. detail .. "]" end
  return false, meaning
end

-- Downloads one file of `entry` into dir: FILE.part, MD5 check, rename.
local function download_file(entry, file, dir, mirrors, opts)
  local final, part = join(dir, file.name), join(dir, file.name .. ".part")
  local failures = {}
  for _, base in ipairs(mirrors) do
    local url = base .. (base:sub(-1) == "/" and "" or "/") .. file.name
    os.remove(part) -- a stale .part is never trusted, nor resumed
    local ok, why = curl_fetch(url, part, opts)
    if ok then
      local got, md5_error
      if file.md5 then got, md5_error = M.md5(part) end
      if not file.md5 or got == file.md5 then -- no published checksum: the reader checks shapes
        local renamed, rename_error = os.rename(part, final)
        if renamed then return true end
        os.remove(part)
        return false, ("cannot move %s into place: %s"):format(part, tostring(rename_error))
      end
      os.remove(part)
      why = md5_error or ("MD5 mismatch: got %s, expected %s; the partial file %s was deleted")
        :format(got, file.md5, part)
    else
      os.remove(part)
    end
    failures[#failures + 1] = url .. ": " .. why
  end
  return false, table.concat(failures, "; ")
end

-- Downloads that failed in this process: "<name> <mirror> <mirror>..." -> why.
-- Without network every load of an absent dataset would otherwise run curl
-- again (up to --connect-timeout per mirror and file); a failure is final for
-- the rest of the run. Only fetch failures are kept (not "cannot create the
-- folder", which depends on the target).
local failed_downloads = {}

--- Forgets the failed downloads remembered so far (for tests and long sessions).
function M.forget_failed_downloads()
  failed_downloads = {}
end

--- The failed downloads remembered so far ("<name> <mirrors>" -> why), and
--- remember_failed_downloads(t) to take another process's: nnlab watch's
--- renders are forked children, so each began without network afresh (a
--- curl per render, up to --connect-timeout a mirror); the watcher passes
--- a render's failures on to the next ones.
function M.failed_downloads()
  local copy = {}
  for key, why in pairs(failed_downloads) do copy[key] = why end
  return copy
end

function M.remember_failed_downloads(t)
  for key, why in pairs(t) do
    if type(key) == "string" and type(why) == "string" then failed_downloads[key] = why end
  end
end

-- Downloads the files of a known dataset that are not yet in dir (creating it).
-- Returns true, or nil, a message and true when the failure was remembered
-- from an earlier attempt in this process (curl was not run again).
function M.download(name, dir, opts)
  opts = opts or {}
  local entry = M.lookup(name)
  if not entry then return nil, ("no download known for %q"):format(tostring(name)) end
  local mirrors = mirrors_for(entry, opts)
  local key = entry.name .. " " .. table.concat(mirrors, " ")
  if failed_downloads[key] then return nil, failed_downloads[key], true end
  -- mkdir's own message (its stderr, which would reach the terminal) gives the cause
  local pipe = io.popen("mkdir -p -- " .. files.shell_quote(dir) .. " 2>&1")
  local text = pipe and pipe:read("a") or ""
  local made = pipe and pipe:close()
  if not made then
    local cause = text:match("^[^\n]*: ([^:\n]+)\n?$")
    return nil, "cannot create the folder " .. dir .. (cause and (": " .. cause) or "")
  end
  for _, file in ipairs(entry.files) do
    local base = file.name:gsub("%.gz$", "")
    if not readable(join(dir, file.name)) and not readable(join(dir, base)) then
      local ok, why = download_file(entry, file, dir, mirrors, opts)
      if not ok then
        failed_downloads[key] = why
        return nil, why
      end
    end
  end
  return true
end

---------------------------------------------------------------------------
-- Locate

local function looks_like_path(s)
  return s:find("/", 1, true) ~= nil or s:sub(1, 1) == "." or s:sub(1, 1) == "~"
end

local function files_list(entry)
  local t = {}
  local npz = entry and entry.format == "npz"
  for i, base in ipairs(M.file_names(entry)) do t[i] = base .. (npz and "" or ".gz") end
  return table.concat(t, ", ") .. (npz and "" or "; raw or .gz")
end

-- The "how to fix" lines of a not-found message; `where` names the folder(s).
local function how_to_fix(where, entry)
  local lines = {
    ("To fix: put the four files (%s) in %s."):format(files_list(entry), where),
  }
  if entry and entry.no_download then
    lines[#lines + 1] = "  " .. entry.no_download .. "."
  elseif entry then
    lines[#lines + 1] = ("  On a machine with network, get them from %s (%s)."):format(entry.mirrors[1], entry.homepage)
    if entry.name == "fashion-mnist" then
      lines[#lines + 1] = "  On Debian: apt install dataset-fashion-mnist (or run scripts/setup.sh)."
    else
      lines[#lines + 1] = "  Or name a fallback dataset: fashion-mnist is packaged by Debian (scripts/setup.sh installs it)."
    end
  end
  return table.concat(lines, "\n")
end

local function found(dir, files, name, entry, source, reason, tried)
  return dir, { name = name, dir = dir, files = files, source = source, reason = reason,
                known = entry, tried = tried }
end

-- Finds the folder of a dataset. name_or_path: a known name ("kmnist",
-- "mnist", "fashion-mnist"; the known dataset even when a folder of that name
-- is in the current directory), another folder name (tried as ./<name>, then
-- under $NNLAB_DATA and ./data), or a path (contains "/" or starts with "." or
-- "~"; "~" and "~/..." expand from $HOME).
-- opts (all optional):
--   path        an explicit folder, searched first ("~/..." expands)
--   download    false: never download (also env NNLAB_OFFLINE=1)
--   data_root   the ./data folder (default "./data"); downloads go to data_root/<name>
--   env         table or function(name) used instead of os.getenv (for tests)
--   base_url    replaces the known mirrors (also env NNLAB_DOWNLOAD_BASE_<NAME>)
--   system      list of system folders, replacing the known ones
--   progress    true/false: curl progress bar (default: when stderr is a terminal)
--   curl, connect_timeout, max_time   the curl program and its limits (s)
-- Returns dir, info with info = { name, dir, files = { [base] = path },
-- source = "path" | "NNLAB_DATA" | "data" | "system" | "download",
-- reason = one line for reports, known = the known entry or nil, tried = {...} };
-- or nil, message (every place tried, what download said, how to fix).
function M.locate(name_or_path, opts)
  opts = opts or {}
  assert(type(name_or_path) == "string" and name_or_path ~= "", "locate: a dataset name or folder")
  local getenv = env_lookup(opts)
  local home = getenv("HOME")
  local data_root = opts.data_root or "./data"
  local tried = {}

  if looks_like_path(name_or_path) then
    local path = M.expand_home(name_or_path, home)
    local shown = path == name_or_path and path or ("%s (%s)"):format(path, name_or_path)
    local files, why = M.folder_files(path)
    if files then
      return found(path, files, name_or_path, nil, "path",
                   "the folder " .. shown .. " (given explicitly)", tried)
    end
    return nil, ("dataset folder %s: %s.\n%s"):format(shown, why, how_to_fix(path))
  end

  local entry = M.lookup(name_or_path)
  local name = entry and entry.name or name_or_path
  local function try(source, dir, label)
    local files, why = M.folder_files(dir, entry)
    local where = label == dir and dir or ("%s (%s)"):format(label, dir)
    tried[#tried + 1] = ("%s: %s"):format(where, files and "found" or why)
    if files then return found(dir, files, name, entry, source, "found in " .. where, tried) end
  end

  local dir, info
  if opts.path then
    dir, info = try("path", M.expand_home(opts.path, home), "the explicit path")
    if dir then return dir, info end
  end
  if not entry then
    -- a bare name that is not a known dataset: first the folder of that name
    -- here, as if given as ./<name>
    local files, why = M.folder_files(name)
    tried[#tried + 1] = ("./%s: %s"):format(name, files and "found" or why)
    if files then
      return found(name, files, name, nil, "path", "the folder ./" .. name .. " (named bare)", tried)
    end
  end
  local nnlab_data = getenv("NNLAB_DATA")
  if nnlab_data and nnlab_data ~= "" then
    nnlab_data = M.expand_home(nnlab_data, home)
    dir, info = try("NNLAB_DATA", join(nnlab_data, name), "$NNLAB_DATA/" .. name)
    if dir then return dir, info end
  else
    tried[#tried + 1] = "$NNLAB_DATA/" .. name .. ": NNLAB_DATA is not set"
  end
  dir, info = try("data", join(data_root, name), join(data_root, name))
  if dir then return dir, info end
  for _, system_dir in ipairs(opts.system or (entry and entry.system) or {}) do
    dir, info = try("system", system_dir, "the system copy")
    if dir then return dir, info end
  end

  local download_said, download_note
  if not entry then
    download_said = ("none: %q is not a known dataset (known: %s)"):format(name, M.known_names())
  elseif entry.no_download then
    download_said = "not possible: " .. entry.no_download
  elseif opts.download == false then
    download_said = "disabled (download = false)"
  elseif getenv("NNLAB_OFFLINE") == "1" then
    download_said = "disabled (NNLAB_OFFLINE=1)"
  else
    local target = join(data_root, name)
    local ok, why, remembered = M.download(name, target, opts)
    if ok then
      local files, missing = M.folder_files(target, entry)
      if files then
        return found(target, files, name, entry, "download",
                     "downloaded into " .. target .. (entry.files[1].md5 and " (MD5-checked)" or ""), tried)
      end
      why = "downloaded, but the folder is still " .. missing
    end
    download_said = "failed: " .. why .. (remembered and " (failed earlier; not retried in this run)" or "")
    download_note = "  A failed download is not retried in this run; NNLAB_OFFLINE=1 skips downloading."
    if not remembered then
      os.remove(target) -- only succeeds when empty: leaves no empty folder behind
      os.remove(data_root)
    end
  end

  local lines = { ("dataset %q not found. Searched:"):format(name) }
  for i, t in ipairs(tried) do lines[#lines + 1] = ("  %d. %s"):format(i, t) end
  lines[#lines + 1] = "Download: " .. download_said
  if download_note then lines[#lines + 1] = download_note end
  if entry and M.folder_files(name_or_path) then
    lines[#lines + 1] = ("Note: %q is the known dataset; the folder of that name here is loaded as ./%s.")
                          :format(name_or_path, name_or_path)
  end
  lines[#lines + 1] = how_to_fix(("%s or $NNLAB_DATA/%s, or pass their folder as an explicit path")
                                   :format(join(data_root, name), name), entry)
  return nil, table.concat(lines, "\n")
end

-- Tries names in order (e.g. { "kmnist", "fashion-mnist" }): the first found
-- wins. info.fallback_from lists { name, message } for each one that was not.
function M.locate_first(names, opts)
  local skipped, messages = {}, {}
  for _, name in ipairs(names) do
    local dir, info = M.locate(name, opts)
    if dir then
      info.fallback_from = skipped
      if #skipped > 0 then
        local first = skipped[1].name
        info.reason = ("%s was not available; using %s, %s"):format(first, info.name, info.reason)
      end
      return dir, info
    end
    skipped[#skipped + 1] = { name = name, message = info }
    messages[#messages + 1] = info
  end
  return nil, table.concat(messages, "\n\n")
end

return M
