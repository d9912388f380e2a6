-- nnlab.notebook.serialize: Lua values as canonical Lua text and back. The same value
-- always gives the same text (keys sorted, numbers in their shortest exact
-- form, integers and floats kept apart), so the text can be hashed into a
-- cache key. Reading text back treats it as outside input: a strict parser of
-- exactly what encode writes reads it as data; nothing in it is ever run.
-- All three are in C for speed (core.codec, bridge/lua_codec.c): reading a
-- sweep's cached runs is mostly encoding keys and decoding entries. The Lua
-- code they replaced is the oracle that tests/nnlab/test_codec.lua holds them
-- to, byte for byte (tests/nnlab/serialize_reference.lua).
local codec = require("nnlab.core").codec

local serialize = {}

--- The shortest decimal text that reads back as exactly x; floats that look
--- like integers keep a ".0" so they read back as floats. NaN and infinities
--- are written as the expressions (0/0), (1/0) and (-1/0).
serialize.number = codec.number

--- The canonical text of v (nil, booleans, numbers, strings and tables of
--- them with string or integer keys), without a leading "return". Keys are
--- sorted (integers, then strings in byte order), the items 1..n are written
--- without keys, strings as %q writes them. A table that contains itself, a
--- key or value of another type, or tables nested more than 200 deep raise
--- "serialize: cannot serialise ...". Tables are read as pairs and t[k] read
--- them (__pairs and __index are honoured).
serialize.encode = codec.encode

--- Reads data text ("return <value>", as cache files hold it) back; returns
--- the table it holds, or nil and why not ("name:line: what"). The text is
--- outside input: it is parsed, never run, and only what encode writes is
--- accepted: nil, booleans, numbers (and (0/0), (1/0), (-1/0)), double-quoted
--- strings with Lua's escapes, and tables of positional items, name = value and
--- [integer or string] = value fields, nested at most 64 deep. Time and memory
--- are linear in the length of the text.
serialize.decode = codec.decode

return serialize
