/* See fuzz_lua.h. The allocator counts what Lua holds and refuses to go past
 * the limit, so a parser that can be made to allocate without bound fails
 * here with "not enough memory" (a finding) long before the machine does.
 *
 * Coverage: the system's liblua is not instrumented, so libFuzzer would see
 * next to nothing of the Lua code under test. A line hook feeds it instead:
 * each step from one Lua line to the next marks a byte in libFuzzer's extra
 * counters (AFL-style edges over (function, line) pairs), and inputs that
 * reach new lines, or new paths between them, are kept like new branches. */
#include "fuzz_lua.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lualib.h>

#include "nnlab_bridge.h"

typedef struct fuzz_memory {
    size_t used;
} fuzz_memory;

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    fuzz_memory *m = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        m->used -= old;
        return NULL;
    }
    if (nsize > old && m->used - old + nsize > FUZZ_LUA_MEMORY_LIMIT)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p)
        m->used = m->used - old + nsize;
    return p;
}

enum { LUA_EDGES = 1 << 16 };

/* libFuzzer reads these after every input (section __libfuzzer_extra_counters). */
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t lua_edge_counters[LUA_EDGES];

/* Line hook: marks the edge from the previous (function, line) to this one. */
static void count_line_edge(lua_State *L, lua_Debug *ar)
{
    static uint32_t previous;
    if (!lua_getinfo(L, "S", ar))
        return;
    uint32_t here = (uint32_t)((uintptr_t)ar->source * 2654435761u) ^ (uint32_t)ar->currentline * 40503u;
    here &= LUA_EDGES - 1;
    lua_edge_counters[here ^ previous]++;
    previous = here >> 1;
}

/* Stack of the state between calls: 1 the message handler, 2 the function. */
enum { HANDLER = 1, FUNCTION = 2 };

static void fail(lua_State *L, const char *what)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, lua_tostring(L, -1));
    abort();
}

static int traceback(lua_State *L)
{
    luaL_traceback(L, L, lua_tostring(L, 1), 1);
    return 1;
}

lua_State *fuzz_lua_open(const char *script)
{
    static fuzz_memory memory; /* lives as long as the state: the process */
    lua_State *L = lua_newstate(counting_alloc, &memory);
    if (!L)
        abort();
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_pushstring(L, NNLAB_SOURCE_LUA_DIR "/?.lua;" NNLAB_SOURCE_LUA_DIR "/?/init.lua");
    lua_setfield(L, -2, "path");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_nnlab_core);
    lua_setfield(L, -2, "nnlab.core");
    lua_pop(L, 2);

    lua_pushcfunction(L, traceback);
    const char *path = lua_pushfstring(L, "%s/%s", FUZZ_SCRIPT_DIR, script);
    if (luaL_loadfile(L, path) != LUA_OK)
        fail(L, script);
    lua_remove(L, -2); /* the path */
    if (lua_pcall(L, 0, 1, HANDLER) != LUA_OK)
        fail(L, script);
    if (!lua_isfunction(L, FUNCTION))
        fail(L, "the script must return a function of one string");
    lua_sethook(L, count_line_edge, LUA_MASKLINE, 0);
    return L;
}

void fuzz_lua_run(lua_State *L, const uint8_t *data, size_t size)
{
    lua_settop(L, FUNCTION);
    lua_pushvalue(L, FUNCTION);
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 1, 0, HANDLER) != LUA_OK)
        fail(L, "finding");
}
