-- nnlab.notebook.json under stock lua5.4: the text of results.json.
local T = require "testlib"
local json = require "nnlab.notebook.json"

T.case("JSON text: sorted keys, arrays, escaped strings, NaN as null, booleans", function()
  T.eq(json.encode({ a = { 1, 2.5, "x\"\n" }, b = 0 / 0, c = true }), '{"a": [1,2.5,"x\\"\\n"], "b": null, "c": true}',
       "JSON text")
end)

T.done()
