/* nnlab: the command-line host. It embeds Lua 5.4, makes the C module
(nnlab.core) preloadable, finds the Lua half of nnlab at run time and hands
 * the command line to lua/nnlab/cli.lua. All command-line policy lives there;
 * this file only starts Lua, runs it under a traceback handler and turns the
 * outcome into an exit status. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "nnlab_bridge.h"

/* True when dir/nnlab/init.lua exists. */
static int has_nnlab_lua(const char *dir)
{
    char path[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/nnlab/init.lua", dir) >= (int)sizeof path)
        return 0;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The folder holding nnlab/init.lua, in this order: $NNLAB_LUA_PATH (when set,
 * it is the only place tried: a wrong value is an error, not a fallback); the install
 * prefix next to the executable (<exe>/../share/nnlab/lua); the source tree the
 * executable was built from. Writes it to `out` and returns 1, or returns 0 and
 * lists what was tried in `tried`. */
static int find_lua_dir(char *out, size_t size, char *tried, size_t tried_size)
{
    const char *env = getenv("NNLAB_LUA_PATH");
    char exe[PATH_MAX], candidate[PATH_MAX];
    tried[0] = '\0';

    if (env && *env) {
        snprintf(out, size, "%s", env);
        if (has_nnlab_lua(env))
            return 1;
        snprintf(tried, tried_size, " $NNLAB_LUA_PATH=%s", env);
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            int len = snprintf(candidate, sizeof candidate, "%s/../share/nnlab/lua", exe);
            if (len > 0 && len < (int)sizeof candidate && has_nnlab_lua(candidate)) {
                snprintf(out, size, "%s", candidate);
                return 1;
            }
            snprintf(tried + strlen(tried), tried_size - strlen(tried), " %s", candidate);
        }
    }
    if (has_nnlab_lua(NNLAB_SOURCE_LUA_DIR)) {
        snprintf(out, size, "%s", NNLAB_SOURCE_LUA_DIR);
        return 1;
    }
    snprintf(tried + strlen(tried), tried_size - strlen(tried), " %s", NNLAB_SOURCE_LUA_DIR);
    return 0;
}

/* Prepends dir/?.lua;dir/?/init.lua to package.path. */
static void set_package_path(lua_State *L, const char *dir)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", dir, dir, lua_tostring(L, -1));
    lua_setfield(L, -3, "path");
    lua_pop(L, 2);
}

static void preload_core(lua_State *L)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_nnlab_core);
    lua_setfield(L, -2, "nnlab.core");
    lua_pop(L, 2);
}

/* Message handler: adds a traceback to string errors (as lua.c does). */
static int traceback_handler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Runs require("nnlab.cli").main(argv, lua_dir); returns the exit status. */
static int run_cli(lua_State *L, int argc, char **argv, const char *lua_dir)
{
    lua_pushcfunction(L, traceback_handler);
    int handler = lua_gettop(L);
    lua_getglobal(L, "require");
    lua_pushstring(L, "nnlab.cli");
    if (lua_pcall(L, 1, 1, handler) != LUA_OK) {
        fprintf(stderr, "nnlab: cannot load its Lua half from %s: %s\n", lua_dir,
                lua_tostring(L, -1));
        return 1;
    }
    lua_getfield(L, -1, "main");
    lua_createtable(L, argc, 0);
    for (int i = 1; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i);
    }
    lua_pushstring(L, lua_dir);
    if (lua_pcall(L, 2, 1, handler) != LUA_OK) {
        /* cli.main reports user errors itself; reaching here is an nnlab bug. */
        fprintf(stderr, "nnlab: internal error: %s\n", lua_tostring(L, -1));
        return 1;
    }
    return lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 0;
}

int main(int argc, char **argv)
{
    char lua_dir[PATH_MAX], tried[3 * PATH_MAX + 64];
    if (!find_lua_dir(lua_dir, sizeof lua_dir, tried, sizeof tried)) {
        fprintf(stderr,
                "nnlab: cannot find its Lua files (nnlab/init.lua); tried:%s\n"
                "nnlab: set NNLAB_LUA_PATH to the folder that holds nnlab/init.lua\n",
                tried);
        return 1;
    }
    /* package.path gives '?' and ';' a meaning of their own, with no escape */
    if (strpbrk(lua_dir, "?;")) {
        fprintf(stderr,
                "nnlab: cannot load its Lua files from %s: Lua's module path cannot hold a folder whose path has "
                "'?' or ';' in it; move or link the clone to a path without them, or set NNLAB_LUA_PATH to one\n",
                lua_dir);
        return 1;
    }
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, "nnlab: out of memory starting Lua\n");
        return 1;
    }
    luaL_openlibs(L);
    set_package_path(L, lua_dir);
    preload_core(L);
    int status = run_cli(L, argc, argv, lua_dir);
    lua_close(L);
    return status;
}
