-- Provenance in every report header (issue 14): the engine row names the
-- compiler; the machine, commit, files and command rows say where a report
-- came from; the hashes are the SHA-256 of each file the run loaded (the
-- experiment and its lab.require'd files); a folder outside git says so.
-- `nnlab run FILE --help` lists the lab.param calls before the first data
-- load or sweep, trains nothing and writes nothing.
local T = require "testlib"

local fixture = T.source .. "/tests/nnlab/fixtures/provenance"
local root = T.tmpdir("provenance")
local data = require("fixtures.bad.inputs").write_dataset(root .. "/data") -- 4x4 images: runs take milliseconds
-- git never looks above the scratch folder (the build folder may sit inside a repository)
local ENV = { NNLAB_CACHE = root .. "/cache", PROVENANCE_DATA = data, GIT_CEILING_DIRECTORIES = root }
local has_git = select(2, T.run("command -v git")) == 0

-- A copy of the fixture folder (experiment.lua, lib/helper.lua) at root/name.
local function copy(name)
  local dir = root .. "/" .. name
  local _, status = T.run(("mkdir -p %s && cp -R %s/. %s"):format(T.quote(dir), T.quote(fixture), T.quote(dir)))
  T.eq(status, 0, "copy the fixture")
  return dir
end

-- Runs dir/experiment.lua (report outside dir); returns the report's text.
local function run(dir, args, env)
  local argv = { "run", dir .. "/experiment.lua", "--out", dir .. "-reports", "--quiet", "-j", "1" }
  table.move(args or {}, 1, #(args or {}), #argv + 1, argv)
  local e = {}
  for k, v in pairs(ENV) do e[k] = v end
  for k, v in pairs(env or {}) do e[k] = v end
  local out, status = T.nnlab_run(argv, e)
  T.eq(status, 0, "the experiment runs\n" .. out)
  return T.read(dir .. "-reports/experiment.md")
end

-- The second cell of the header row `name`.
local function row(md, name)
  local prefix = "| " .. name .. " | "
  for line in md:gmatch("[^\n]+") do
    if line:sub(1, #prefix) == prefix then return line:sub(#prefix + 1):gsub(" |$", "") end
  end
  error(("no header row '%s' in\n%s"):format(name, md:sub(1, 3000)), 2)
end

-- An argument as the command row writes it: as it is when it holds only
-- characters the shell takes literally (the clone's path, usually), else
-- single-quoted (a clone path with a space or a quote).
local function shell_word(a)
  if a ~= "" and not a:find("[^%w_%-%.,/=:+@%%]") then return a end
  return T.quote(a)
end

local function sha256(path)
  return T.run("sha256sum " .. T.quote(path)):match("^(%x+)")
end

local function git(dir, args)
  local out, status = T.run(("git -C %s %s"):format(T.quote(dir), args))
  T.eq(status, 0, "git " .. args .. "\n" .. out)
  return out
end

local repo = copy("repo")
if has_git then
  git(repo, "init -q")
  git(repo, "add -A")
  git(repo, "-c user.name=test -c user.email=test@example.com -c commit.gpgsign=false commit -qm fixture")
end

local first -- the report of the first run in the repository

T.case("the header has the machine, build, commit, files and command rows", function()
  first = run(repo, { "--set", "epochs=1", "--set", "note=two words" })
  T.contains(row(first, "Engine"), "; compiled by `", "engine row: the compiler")
  local build = require("nnlab.core").build_info()
  T.contains(row(first, "Engine"), build.compiler, "engine row: core.build_info().compiler")
  local machine = row(first, "Machine")
  local cpus = require("nnlab.core").proc.cpu_limits().cpus
  T.contains(machine, ("%d CPUs this process may use"):format(cpus), "machine row: cores")
  local model = (T.read("/proc/cpuinfo") or ""):match("model name%s*:%s*([^\n]*)")
  if model then T.contains(machine, "`" .. model:gsub("%s+", " "):gsub("%s+$", "") .. "`", "machine row: CPU model") end
  local uname = T.run("uname -sr"):gsub("%s+$", "")
  T.contains(machine, "`" .. uname .. "`", "machine row: uname -sr")
  local command = row(first, "Command")
  T.eq(command, ("`nnlab run %s --out %s --quiet -j 1 --set epochs=1 --set 'note=two words'`")
                :format(shell_word(repo .. "/experiment.lua"), shell_word(repo .. "-reports")),
       "command row: the arguments, quoted where the shell needs it")
end)

T.case("the hashes are each loaded file's SHA-256", function()
  local files = row(first, "Files (SHA-256)")
  T.eq(files, ("`%s/experiment.lua` `%s`, `%s/lib/helper.lua` `%s`"):format(
    repo, sha256(repo .. "/experiment.lua"), repo, sha256(repo .. "/lib/helper.lua")), "files row")
end)

if has_git then
  T.case("the commit row: the short commit, clean", function()
    local short = git(repo, "rev-parse --short HEAD"):gsub("%s+$", "")
    T.eq(row(first, "Commit"), ("`%s`, no uncommitted changes"):format(short), "commit row")
  end)
else
  T.skip("the commit row: the short commit, clean", "git is not installed")
end

if has_git then
  T.case("reports written inside the repository are no change to what produced them", function()
    local argv = { "run", repo .. "/experiment.lua", "--out", repo .. "/reports", "--quiet", "-j", "1", "--set", "epochs=1" }
    local e = {}
    for k, v in pairs(ENV) do e[k] = v end
    for _ = 1, 2 do -- the second run finds the first one's report folder untracked
      local out, status = T.nnlab_run(argv, e)
      T.eq(status, 0, out)
    end
    local md = T.read(repo .. "/reports/experiment.md")
    local short = git(repo, "rev-parse --short HEAD"):gsub("%s+$", "")
    T.eq(row(md, "Commit"), ("`%s`, no uncommitted changes"):format(short), "the reports folder is left out")
    os.execute("rm -rf " .. T.quote(repo .. "/reports"))
  end)

  -- the reports folder is found by its real path: not through a stale $PWD,
  -- nor missed when named through a symbolic link
  T.case("reports inside the repository are left out with a stale $PWD or through a link", function()
    local short = git(repo, "rev-parse --short HEAD"):gsub("%s+$", "")
    local e = { PWD = "/" }
    for k, v in pairs(ENV) do e[k] = v end
    for _ = 1, 2 do
      local out, status = T.nnlab_run({ "run", "experiment.lua", "--out", "reports", "--quiet", "-j", "1",
                                        "--set", "epochs=1" }, e, "cd " .. T.quote(repo))
      T.eq(status, 0, out)
    end
    T.eq(row(T.read(repo .. "/reports/experiment.md"), "Commit"), ("`%s`, no uncommitted changes"):format(short),
         "a stale $PWD")
    os.execute("rm -rf " .. T.quote(repo .. "/reports"))
    os.execute(("ln -sfn %s %s"):format(T.quote(repo), T.quote(root .. "/alias")))
    local argv = { "run", repo .. "/experiment.lua", "--out", root .. "/alias/reports", "--quiet", "-j", "1",
                   "--set", "epochs=1" }
    for _ = 1, 2 do
      local out, status = T.nnlab_run(argv, ENV)
      T.eq(status, 0, out)
    end
    T.eq(row(T.read(repo .. "/reports/experiment.md"), "Commit"), ("`%s`, no uncommitted changes"):format(short),
         "through a link")
    os.execute("rm -rf " .. T.quote(repo .. "/reports"))
    -- the reports folder itself a link to a folder outside the repository
    -- (git lists `?? reports`): its real path is outside, its name is not
    local elsewhere = root .. "/elsewhere"
    os.execute(("mkdir -p %s && ln -sfn %s %s"):format(T.quote(elsewhere), T.quote(elsewhere), T.quote(repo .. "/reports")))
    local out, status = T.nnlab_run({ "run", "experiment.lua", "--out", "reports", "--quiet", "-j", "1",
                                      "--set", "epochs=1" }, ENV, "cd " .. T.quote(repo))
    T.eq(status, 0, out)
    T.eq(row(T.read(elsewhere .. "/experiment.md"), "Commit"), ("`%s`, no uncommitted changes"):format(short),
         "a linked reports folder")
    os.execute("rm -rf " .. T.quote(repo .. "/reports") .. " " .. T.quote(elsewhere))
  end)
end

T.case("the provenance rows are the same when nothing changed", function()
  local again = run(repo, { "--set", "epochs=1", "--set", "note=two words" })
  for _, name in ipairs { "Engine", "Machine", "Commit", "Files (SHA-256)", "Command" } do
    T.eq(row(again, name), row(first, name), name .. " row is stable")
  end
end)

T.case("a changed lab.require'd file changes its hash (and marks the commit modified)", function()
  local helper = repo .. "/lib/helper.lua"
  local before = sha256(helper)
  T.write(helper, T.read(helper) .. "-- changed\n")
  local md = run(repo, { "--set", "epochs=1" })
  local after = sha256(helper)
  T.truthy(after ~= before, "the file's hash changed")
  local files = row(md, "Files (SHA-256)")
  T.contains(files, ("`%s/lib/helper.lua` `%s`"):format(repo, after), "the new hash is shown")
  T.contains(files, ("`%s/experiment.lua` `%s`"):format(repo, sha256(repo .. "/experiment.lua")),
             "the experiment's hash is unchanged")
  if has_git then T.contains(row(md, "Commit"), ", modified: `git status` listed", "modified mark") end
  T.contains(row(md, "Command"), "--set epochs=1`", "command row follows the command")
end)

T.case("a folder outside git says so, and the run succeeds", function()
  local plain = copy("plain")
  local md = run(plain, {})
  local commit = row(md, "Commit")
  if has_git then
    T.eq(commit, ("none: `%s` is not in a `git` repository"):format(plain), "commit row outside git")
    -- git's messages decide, and a translated git (Debian ships its .mo files) words them otherwise
    T.eq(row(run(plain, {}, { LANGUAGE = "de", LC_ALL = "C.UTF-8" }), "Commit"),
         ("none: `%s` is not in a `git` repository"):format(plain), "the same with git in German")
  else
    T.eq(commit, "unknown: `git` is not installed", "commit row without git")
  end
end)

if has_git then
  T.case("a repository without a commit says so", function()
    local fresh = copy("fresh")
    git(fresh, "init -q")
    T.eq(row(run(fresh, {}), "Commit"), ("none: the `git` repository of `%s` has no commit yet"):format(fresh),
         "commit row")
  end)
else
  T.skip("a repository without a commit says so", "git is not installed")
end

-- A repository git would not read (another user's: "detected dubious
-- ownership", as in CI containers) was called no repository at all.
local is_root = T.run("id -u") == "0\n"
if has_git and is_root then
  T.case("a repository git refuses to read: the commit row says so, with git's reason", function()
    local theirs = copy("theirs")
    git(theirs, "init -q")
    git(theirs, "add -A")
    git(theirs, "-c user.name=test -c user.email=test@example.com -c commit.gpgsign=false commit -qm fixture")
    local _, status = T.run("chown -R nobody " .. T.quote(theirs))
    T.eq(status, 0, "chown")
    local md = run(theirs, {}, { HOME = root .. "/no-git-config" }) -- no safe.directory of the user's
    T.eq(row(md, "Commit"), ("unknown: `git` would not read the repository of `%s`: `detected dubious ownership in "
                             .. "repository at '%s'`"):format(theirs, theirs), "commit row")
  end)
else
  T.skip("a repository git refuses to read: the commit row says so, with git's reason",
         has_git and "it needs root, to give the repository to another user" or "git is not installed")
end

T.case("run FILE --help lists the parameters, trains nothing and writes nothing", function()
  local dir = copy("help")
  local cache = root .. "/help-cache"
  local out, status = T.nnlab_run({ "run", dir .. "/experiment.lua", "--help", "--out", dir .. "-reports" },
                                  { NNLAB_CACHE = cache, PROVENANCE_DATA = data })
  T.eq(status, 0, "--help status\n" .. out)
  T.contains(out, "parameters of " .. dir .. "/experiment.lua", "the heading")
  T.contains(out, "  epochs  integer  default 2        epochs per run\n", "epochs: type, default, description")
  T.contains(out, "  note    string   default \"plain\"  a note, shown in the report\n", "a string default")
  T.contains(out, "  rate    number   default 0.05     the learning rate of SGD\n", "a number default")
  T.truthy(not out:find("late", 1, true), "a parameter after the first data load is not listed")
  T.contains(out, "declared after the file's first lab.sweep, data load or training step are not listed",
             "the limitation is said")
  T.truthy(not out:find("trained"), "nothing trained")
  T.eq(select(2, T.run("test -e " .. T.quote(cache))), 1, "no cache written")
  T.eq(select(2, T.run("test -e " .. T.quote(dir .. "-reports"))), 1, "no report written")
  -- a --set value is shown beside its default
  out = T.nnlab_run({ "run", dir .. "/experiment.lua", "--help", "--set", "epochs=7" },
                    { NNLAB_CACHE = cache, PROVENANCE_DATA = data })
  T.contains(out, "epochs per run (--set: 7)", "--set value shown")
  -- every reader of data stops the listing before it reads: a CSV read, an npy, a generator
  local readers = root .. "/help-readers.lua"
  T.write(readers, [[
local lab = require "nnlab"
local a = lab.param("a", 1, "before the CSV")
local ok = lab.data.csv("/nonexistent/no.csv")
local b = lab.param("b", 2, "after the CSV")
]])
  out, status = T.nnlab_run({ "run", readers, "--help" }, { NNLAB_CACHE = cache })
  T.eq(status, 0, "a CSV read stops --help before it reads\n" .. out)
  T.contains(out, "  a  integer  default 1  before the CSV", "the parameter before it")
  T.truthy(not out:find("after the CSV", 1, true), "not the one after it")
  for _, call in ipairs { 'lab.data.npy("/nonexistent/x.npy", "/nonexistent/y.npy")',
                          'lab.data.generate(3, function() error("generate ran its function") end)' } do
    T.write(readers, 'local lab = require "nnlab"\n' .. call .. "\n")
    out, status = T.nnlab_run({ "run", readers, "--help" }, { NNLAB_CACHE = cache })
    T.eq(status, 0, call .. "\n" .. out)
    T.contains(out, "declares no parameters", call)
  end
  -- without a file: the options; nnlab --help: the commands
  out = T.nnlab_run { "run", "--help" }
  T.contains(out, "with FILE: the experiment's parameters", "run --help mentions FILE --help")
  out = T.nnlab_run { "--help" }
  T.contains(out, "run FILE.lua --help", "nnlab --help mentions FILE --help")
end)

T.done()
