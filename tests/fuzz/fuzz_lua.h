/* Embedded Lua for the fuzz targets of nnlab's Lua parsers (cache entries,
 * --set values). A target is a Lua script in tests/fuzz that returns a
 * function of one string: it calls the code under test with the input and
 * raises an error when a property does not hold. The C side runs it under
 * libFuzzer: any error that escapes the function, and any attempt to use more
 * than FUZZ_LUA_MEMORY_LIMIT bytes, is a finding (printed, then abort()). */
#ifndef FUZZ_LUA_H
#define FUZZ_LUA_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

/* Lua memory one input may use before it counts as a memory bomb. */
#define FUZZ_LUA_MEMORY_LIMIT ((size_t)256 << 20)

/* A Lua state with nnlab's Lua half (the source tree) on package.path and
 * nnlab.core preloaded, holding the function the script returns. */
lua_State *fuzz_lua_open(const char *script);

/* Calls the script's function with the input as a Lua string. */
void fuzz_lua_run(lua_State *L, const uint8_t *data, size_t size);

/* Defines a libFuzzer target that runs `script` (a file in tests/fuzz). */
#define FUZZ_LUA_TARGET(script)                                                  \
    static lua_State *fuzz_lua_state;                                            \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                            \
    {                                                                            \
        (void)argc, (void)argv;                                                  \
        fuzz_lua_state = fuzz_lua_open(script);                                  \
        return 0;                                                                \
    }                                                                            \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                 \
    {                                                                            \
        fuzz_lua_run(fuzz_lua_state, data, size);                                \
        return 0;                                                                \
    }

#endif
