/* luaopen_nnlab_core: assembles the C module from its parts and holds the few
 * helpers every part shares (metatables, engine errors). */
#include "nnlab_bridge.h"

#include "nn_kernels.h"
#include "nn_numerics.h"
#include "nn_threads.h"

int lnn_engine_error(lua_State *L, nn_status status)
{
    const char *msg = nn_error_message();
    return luaL_error(L, "%s", *msg ? msg : nn_status_name(status));
}

int lnn_push_failure(lua_State *L)
{
    lua_pushnil(L);
    lua_pushstring(L, nn_error_message());
    return 2;
}

void lnn_create_meta(lua_State *L, const char *name, const luaL_Reg *methods,
                     const luaL_Reg *metamethods)
{
    luaL_newmetatable(L, name);
    if (metamethods)
        luaL_setfuncs(L, metamethods, 0);
    lua_newtable(L);
    if (methods)
        luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

static int core_engine_version(lua_State *L)
{
    lua_pushstring(L, NNLAB_VERSION);
    return 1;
}

/* core.simd() -> "scalar" | "avx2" | "avx512": the kernel path in use; raises the
 * engine's message when NNLAB_SIMD is refused (unknown, or a path this CPU
 * lacks). */
static int core_simd(lua_State *L)
{
    const nn_dense_kernels *k;
    nn_status st = nn_kernels_choose(&k);
    if (st != NN_OK)
        return lnn_engine_error(L, st);
    lua_pushstring(L, k->name);
    return 1;
}

/* core.numerics() -> "results-3": the version of the numbers nnlab computes,
 * the same on every path (NN_NUMERICS); what cache keys record instead of the
 * path. */
static int core_numerics(lua_State *L)
{
    lua_pushstring(L, NN_NUMERICS);
    return 1;
}

/* core.set_num_threads(n): threads for one run's kernels (nn_threads.h);
 * n in 1..256 (nnlab.threads checks it and says where it came from). */
static int core_set_num_threads(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 1 && n <= NN_THREADS_MAX, 1, "threads out of range (1..256)");
    nn_status st = nn_threads_set((int)n);
    if (st != NN_OK)
        return lnn_engine_error(L, st);
    return 0;
}

static int core_get_num_threads(lua_State *L)
{
    lua_pushinteger(L, nn_threads_get());
    return 1;
}

#ifndef NNLAB_C_COMPILER
#define NNLAB_C_COMPILER "unknown"
#endif
#ifndef NNLAB_BUILD_TYPE
#define NNLAB_BUILD_TYPE ""
#endif

/* core.build_info() -> { compiler = "GNU 12.2.0" (CMake's compiler id and
 * version), version = __VERSION__ (the compiler's own version string),
 * build_type = "Release" (CMAKE_BUILD_TYPE; "" when none) }: how this nnlab
 * was built, fixed at compile time (bridge/CMakeLists.txt). */
static int core_build_info(lua_State *L)
{
    lua_createtable(L, 0, 3);
    lua_pushstring(L, NNLAB_C_COMPILER);
    lua_setfield(L, -2, "compiler");
#ifdef __VERSION__
    lua_pushstring(L, __VERSION__);
#else
    lua_pushstring(L, "");
#endif
    lua_setfield(L, -2, "version");
    lua_pushstring(L, NNLAB_BUILD_TYPE);
    lua_setfield(L, -2, "build_type");
    return 1;
}

/* core.metatable(name) -> a type's metatable, so Lua can add methods to its
 * __index table and metamethods such as __tostring. */
static int core_metatable(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    if (luaL_getmetatable(L, name) != LUA_TTABLE)
        return luaL_error(L, "no type named '%s'", name);
    return 1;
}

static const luaL_Reg core_functions[] = {
    {"engine_version", core_engine_version},
    {"simd", core_simd},
    {"numerics", core_numerics},
    {"set_num_threads", core_set_num_threads},
    {"get_num_threads", core_get_num_threads},
    {"build_info", core_build_info},
    {"metatable", core_metatable},
    {NULL, NULL},
};

int luaopen_nnlab_core(lua_State *L)
{
    luaL_newlib(L, core_functions);
    lnn_open_tensor(L);
    lnn_open_net(L);
    lnn_open_loss(L);
    lnn_open_optim(L);
    lnn_open_data(L);
    lnn_open_dataset_sources(L);
    lnn_open_train(L);
    lnn_open_proc(L);
    lnn_open_watch(L);
    lnn_open_html(L);
    lnn_open_codec(L);
    return 1;
}
