/* libFuzzer target: the cache-entry reader (lua/nnlab/notebook/cache.lua and
 * serialize.lua) on arbitrary bytes, through embedded Lua; the properties
 * are in fuzz_cache_entry.lua. */
#include "fuzz_lua.h"

FUZZ_LUA_TARGET("fuzz_cache_entry.lua")
