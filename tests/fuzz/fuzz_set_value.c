/* libFuzzer target: the --set value parser (nnlab.cli.parse_run and
 * nnlab.notebook.settings.parse, which lab.param uses) on arbitrary command lines, through
 * embedded Lua; the properties are in fuzz_set_value.lua. */
#include "fuzz_lua.h"

FUZZ_LUA_TARGET("fuzz_set_value.lua")
