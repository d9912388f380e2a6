-- Every shipped experiment (experiments/*.lua) runs to its end on a small
-- subset with 1 epoch and 1 seed (--set overrides), writing its report into
-- a test folder with its own cache, so none of them can rot. The sections
-- run first and the review last: the review's sweeps are the sections'
-- (experiments/lib/setup.lua), so it must train nothing.
local T = require "testlib"
local H = require "fixtures.notebook.helpers"

local dir = T.tmpdir("experiments")
local experiments = T.source .. "/experiments"
local SMALL = { epochs = 1, seeds = 1, train_size = 600, test_size = 300 }
-- parameters only some files declare
local EXTRA = { regularization = { reg_train_size = 300 }, review = { reg_train_size = 300, demo_size = 200 } }
-- files whose data is not the image datasets: their own small set (no
-- train_size / test_size), and the name their report gives the data
local OWN = { tabular = { sets = { epochs = 1, seeds = 2 }, dataset = "Iris" } }

local names = {}
local ls = io.popen("ls " .. T.quote(experiments) .. "/*.lua")
for path in ls:lines() do names[#names + 1] = path:match("([^/]+)%.lua$") end
ls:close()
table.sort(names, function(a, b)
  if (a == "review") ~= (b == "review") then return b == "review" end
  return a < b
end)

T.case("experiments/ holds the shipped experiments", function()
  T.truthy(#names >= 8, "experiments found: " .. table.concat(names, ", "))
end)

for _, name in ipairs(names) do
  -- The review's case relies on the sections' cases having run first (their
  -- cache is what it reads), which the order of `names` ensures.
  T.case(("experiment %s runs to its end and writes its report"):format(name), function()
    local args = { "run", experiments .. "/" .. name .. ".lua", "--out", dir .. "/reports" }
    local sets = {}
    for k, v in pairs(OWN[name] and OWN[name].sets or SMALL) do sets[k] = v end
    for k, v in pairs(EXTRA[name] or {}) do sets[k] = v end
    for k, v in pairs(sets) do args[#args + 1] = "--set" args[#args + 1] = ("%s=%s"):format(k, v) end
    local out, status = T.nnlab_run(args, { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
    T.eq(status, 0, name .. ": exit status\n" .. out)
    local runs, trained = H.counts(out)
    T.truthy(runs > 0, name .. ": has sweeps")
    if name == "review" then T.eq(trained, 0, "review: every run comes from the sections' cache\n" .. out) end
    local md = T.read(("%s/reports/%s.md"):format(dir, name))
    T.truthy(md, name .. ": report written")
    T.truthy(md:find("`epochs` = 1 (--set; default ", 1, true) or md:find("`epochs` = 1（`--set`；默认 ", 1, true),
             name .. ": epochs overridden")
    T.contains(md, OWN[name] and OWN[name].dataset or "Fashion-MNIST", name .. ": says which dataset ran")
    T.truthy(md:find("| 笔记的说法 | 判定 | 依据（实测） |", 1, true), name .. ": claims with verdicts")
    local png = md:match("%]%(([^)]+%.png)%)")
    T.truthy(png, name .. ": has a chart")
    H.expect_png(dir .. "/reports/" .. png, 5000)
  end)
end

T.done()
