-- Every kind of user error reaches the user as `file:line: message`, exit 1.
local T = require "testlib"

local fixtures = T.source .. "/tests/nnlab/fixtures/"
-- { fixture, the file:line its first line names, what it says is wrong, the kind of error }
local cases = {
  { "syntax_error.lua", "syntax_error.lua:2:", "unexpected symbol", "a syntax error" },
  { "runtime_error.lua", "runtime_error.lua:3:", "attempt to index a nil value", "a runtime error" },
  { "shape_mismatch.lua", "shape_mismatch.lua:3:", "expects 128 inputs", "layers whose sizes do not fit" },
  { "bad_lr.lua", "bad_lr.lua:3:", "lr", "a bad learning rate" },
  { "unknown_option.lua", "unknown_option.lua:3:", "unknown option 'momentom'", "an unknown optimizer option" },
  { "unknown_dataset.lua", "unknown_dataset.lua:2:", "no-such-dataset", "an unknown dataset" },
  { "input_size.lua", "input_size.lua:3:", "expects 3 input features", "input of the wrong width" },
  { "nested_error.lua", "nested_error.lua:3:", "out_features must be a positive integer",
    "an error inside the user's own function" },
  -- errors no errors.raise caught, positioned in lua/nnlab/ (train.lua:76, optim.lua:112): moved to the user's line
  { "closed_model.lua", "closed_model.lua:6:", "bad argument #1 to 'evaluate' (closed model)",
    "a closed model passed to nnlab.evaluate" },
  { "dot_method.lua", "dot_method.lua:4:", "call methods with ':' (obj:method()), not '.'",
    "a method called with '.'" },
}
for _, c in ipairs(cases) do
  T.case(("%s (%s) names the user's file and line, exit 1"):format(c[4], c[1]), function()
    local out, status = T.nnlab_run { "run", fixtures .. c[1] }
    T.eq(status, 1, c[1] .. " exit status")
    local first = out:match("^[^\n]*")
    T.contains(first, "nnlab: ", c[1] .. " first line")
    T.contains(first, c[2], c[1] .. " names the user's file and line")
    T.contains(first, c[3], c[1] .. " says what is wrong")
    T.truthy(not out:find("Segmentation", 1, true), c[1] .. " no crash")
  end)
end

-- Lua shortens a long path in an error's position to "...TAIL": nnlab's Lua
-- installed under a long folder was not recognised, and the message kept
-- naming it
T.case("a position in nnlab's Lua under a long install path moves to the user's line too", function()
  local long = T.tmpdir("errors_long") .. "/" .. ("x"):rep(70)
  os.execute(("ln -sfn %s %s"):format(T.quote(T.source .. "/lua"), T.quote(long)))
  for _, c in ipairs { { "closed_model.lua", "closed_model.lua:6:" }, { "dot_method.lua", "dot_method.lua:4:" } } do
    local out, status = T.nnlab_run({ "run", fixtures .. c[1] }, { NNLAB_LUA_PATH = long })
    T.eq(status, 1, c[1] .. " exit status")
    T.contains(out:match("^[^\n]*"), c[2], c[1] .. " names the user's line\n" .. out)
  end
end)

T.case("the traceback names the user's frames and hides nnlab's own plumbing", function()
  local out = T.nnlab_run { "run", fixtures .. "nested_error.lua" }
  T.contains(out, "stack traceback:", "traceback shown")
  T.contains(out, "nested_error.lua:6:", "caller frame in traceback")
  T.truthy(not out:find("cli.lua", 1, true), "no cli.lua frames")
end)

T.case("a missing experiment file cannot be opened, exit 1", function()
  local missing, status = T.nnlab_run { "run", fixtures .. "does_not_exist.lua" }
  T.eq(status, 1, "missing file status")
  T.contains(missing, "cannot open", "missing file message")
end)

T.done()
