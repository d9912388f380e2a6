-- nnlab.notebook.json under stock lua5.4: the text of results.json.
local T = require "testlib"
local json = require "nnlab.notebook.json"

T.case("JSON text: sorted keys, arrays, escaped strings, NaN as null, booleans", function()
  T.eq(json.encode({ a = { 1, 2.5, "x\"\n" }, b = 0 / 0, c = true }), '{"a": [1,2.5,"x\\"\\n"], "b": null, "c": true}',
       "JSON text")
end)

T.case("an object writer gives json.encode's text, fields left out where nil; raw text goes in as it is", function()
  local write = json.object_writer { "sweep", "seed", "params", "test_acc", "lr", "diverged", "b\"q", "list" }
  local rows = {
    { sweep = "h × lr", seed = 3, params = { h = 2, lr = 0.5 }, test_acc = 81.25, lr = 1.0, diverged = false },
    { sweep = "a\nb", seed = -1, test_acc = 0 / 0, lr = 1e300 * 10, diverged = true, ["b\"q"] = "x" },
    { seed = 2 ^ 53, list = { { a = 1 }, { b = 2 } }, params = {} },
    { test_acc = -0.0, lr = 1e-7 },
  }
  for i, row in ipairs(rows) do
    for _, indent in ipairs { "", "    " } do
      T.eq(write(row, indent), json.encode(row, indent), ("row %d at indent %q"):format(i, indent))
    end
  end
  local raw = json.raw(json.encode { h = 2, lr = 0.5 })
  T.eq(json.encode { params = raw, seed = 1 }, json.encode { params = { h = 2, lr = 0.5 }, seed = 1 }, "raw text")
  local items = { { seed = 1, lr = 0.5 }, { seed = 2 } }
  local function each(emit) for _, item in ipairs(items) do emit(item) end end
  T.eq(json.encode { rows = json.stream(each, json.object_writer { "seed", "lr" }) }, json.encode { rows = items },
       "a stream written by an object writer")
end)

T.done()
