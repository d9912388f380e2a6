-- valgrind memcheck over a representative run: a notebook that reads IDX files
-- (raw and gzip'd), loads a model file, trains a sweep in forked workers
-- (-j 2), writes cache entries and its report, then runs again from the cache
-- (the cache-entry reader); and the engine's IDX and model-file tests. Every
-- process must end without a memcheck error or a definite leak. Skipped in the
-- sanitizer build (ASan and valgrind exclude each other) and without valgrind.
local T = require "testlib"
local inputs = require "fixtures.bad.inputs"

local valgrind = T.run("command -v valgrind"):match("%S+")
if os.getenv("NNLAB_SANITIZED") == "1" or not valgrind then
  T.skip("memcheck of a notebook run and of the engine's file readers",
         valgrind and "sanitizer build" or "valgrind is not installed")
  T.done()
  return
end
local MEMCHECK = { valgrind, "--error-exitcode=99", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                   "--errors-for-leak-kinds=definite,indirect", "--quiet" }

local dir = T.tmpdir("memcheck")
local data = inputs.write_dataset(dir .. "/data")
T.run(("gzip -n %s"):format(T.quote(data .. "/train-images-idx3-ubyte")))
local model = inputs.write_model(dir .. "/model.nnlab")

-- Runs `command` (a program and its arguments, quoted) under memcheck, with env.
local function memcheck(what, command, env)
  local assignments = {}
  for k, v in pairs(env or {}) do assignments[#assignments + 1] = k .. "=" .. T.quote(v) end
  local out, status = T.run(table.concat(assignments, " ") .. " " .. table.concat(MEMCHECK, " ") .. " " .. command)
  T.eq(status, 0, what .. " under memcheck\n" .. out)
  T.truthy(not out:find("==%d+== %u"), what .. ": memcheck reported nothing\n" .. out)
  return out
end

local run = T.nnlab_command { "run", T.source .. "/tests/nnlab/fixtures/bad/notebook.lua", "--out", dir .. "/reports",
                              "--set", "data=" .. data, "--set", "model=" .. model, "-j", "2" }
local env = { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" }
T.case("a notebook that reads IDX and model files and trains a sweep in workers is memcheck-clean", function()
  T.contains(memcheck("a sweep that trains", run, env), "2 runs, 2 trained, 0 from cache", "trained")
end)
-- Reads the entries the case above wrote: unavoidable, the cache reader needs them.
T.case("the same notebook served from the cache is memcheck-clean", function()
  T.contains(memcheck("a sweep from the cache", run, env), "2 runs, 0 trained, 2 from cache", "from the cache")
end)

local engine_tests = os.getenv("NNLAB_ENGINE_TESTS")
for _, test in ipairs { "test_idx", "test_model_file" } do
  T.case(("the engine's %s is memcheck-clean"):format(test), function()
    memcheck(test, T.quote(engine_tests .. "/" .. test))
  end)
end

T.done()
