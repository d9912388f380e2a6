-- nnlab.notebook.hash under stock lua5.4: FNV-1a 64 against its reference
-- vectors. (That model:checksum(), in C, is the same hash of the parameters:
-- tests/nnlab/test_notebook_units.lua.)
local T = require "testlib"
local hash = require "nnlab.notebook.hash"

for _, vector in ipairs { { "", "cbf29ce484222325" }, { "a", "af63dc4c8601ec8c" }, { "foobar", "85944171f73967e8" } } do
  T.case(("fnv1a64 of '%s' is the reference %s"):format(vector[1], vector[2]), function()
    T.eq(hash.hex(hash.fnv1a64(vector[1])), vector[2], ("fnv1a64 of '%s'"):format(vector[1]))
  end)
end

T.done()
