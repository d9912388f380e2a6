/* Tensor userdata: 2-D float32 data or int32 class labels. Either owned (made
 * from Lua) or a view into a model's output or a loader's batch buffer; a view
 * keeps its owner alive and refuses to be read once the owner reused the memory. */
#include "nnlab_bridge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_mem.h"

lnn_tensor *lnn_check_tensor(lua_State *L, int index)
{
    return luaL_checkudata(L, index, LNN_TENSOR);
}

void lnn_check_fresh(lua_State *L, const lnn_tensor *t, int arg)
{
    if (t->owner_generation && *t->owner_generation != t->generation)
        luaL_argerror(L, arg,
                      "stale tensor: its owner (a model's output or a loader's batch) "
                      "has been overwritten since");
    if (!t->f && !t->labels)
        luaL_argerror(L, arg, "closed tensor");
}

/* A new inert tensor on the stack (nothing allocated yet, so __gc is safe). */
static lnn_tensor *push_inert(lua_State *L)
{
    lnn_tensor *t = lua_newuserdatauv(L, sizeof *t, 1);
    *t = (lnn_tensor){0};
    luaL_setmetatable(L, LNN_TENSOR);
    return t;
}

lnn_tensor *lnn_push_tensor(lua_State *L, int ndim, int rows, int cols, bool integers)
{
    lnn_tensor *t = push_inert(L);
    size_t n = (size_t)rows * (size_t)cols;
    void *mem = nn_alloc_bytes((n ? n : 1) * 4);
    if (!mem)
        lnn_engine_error(L, NN_ENOMEM);
    memset(mem, 0, (n ? n : 1) * 4);
    if (integers)
        t->labels = mem;
    else
        t->f = mem;
    t->owned = true;
    t->ndim = ndim;
    t->rows = rows;
    t->cols = cols;
    return t;
}

lnn_tensor *lnn_push_view(lua_State *L, int owner_index, float *f, int32_t *labels, int rows,
                          int cols, const uint64_t *owner_generation)
{
    owner_index = lua_absindex(L, owner_index);
    lnn_tensor *t = push_inert(L);
    t->f = f;
    t->labels = labels;
    t->ndim = labels && cols == 1 ? 1 : 2; /* labels are (B,), as PyTorch's */
    t->rows = rows;
    t->cols = cols;
    t->owner_generation = owner_generation;
    t->generation = owner_generation ? *owner_generation : 0;
    lua_pushvalue(L, owner_index);
    lua_setiuservalue(L, -2, 1);
    return t;
}

/* core.tensor(values, rows, cols, is_labels): values is a flat Lua array. */
static int tensor_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer rows = luaL_checkinteger(L, 2);
    lua_Integer cols = luaL_checkinteger(L, 3);
    int is_labels = lua_toboolean(L, 4);
    luaL_argcheck(L, rows > 0 && rows <= (1 << 24), 2, "rows out of range");
    luaL_argcheck(L, cols > 0 && cols <= (1 << 24), 3, "cols out of range");
    luaL_argcheck(L, rows * cols <= (1 << 28), 3, "tensor too large");
    lua_Integer n = rows * cols;
    luaL_argcheck(L, luaL_len(L, 1) == n, 1, "wrong number of values for the shape");
    lnn_tensor *t = push_inert(L);
    void *mem = nn_alloc_bytes((size_t)n * 4);
    if (!mem)
        return lnn_engine_error(L, NN_ENOMEM);
    if (is_labels)
        t->labels = mem;
    else
        t->f = mem;
    t->owned = true;
    t->ndim = is_labels && cols == 1 ? 1 : 2;
    t->rows = (int)rows;
    t->cols = (int)cols;
    for (lua_Integer i = 0; i < n; i++) {
        lua_geti(L, 1, i + 1);
        int ok;
        if (is_labels) {
            lua_Integer v = lua_tointegerx(L, -1, &ok);
            if (!ok || v < 0 || v > INT32_MAX) /* values[i] as Lua counts, and what it holds */
                return luaL_error(L, "values[%d] is %s, not a class index (an integer from 0 to %d)",
                                  (int)(i + 1), luaL_tolstring(L, -1, NULL), INT32_MAX);
            t->labels[i] = (int32_t)v;
        } else {
            lua_Number v = lua_tonumberx(L, -1, &ok);
            if (!ok)
                return luaL_error(L, "value %d is not a number", (int)(i + 1));
            t->f[i] = (float)v;
        }
        lua_pop(L, 1);
    }
    return 1;
}

static int tensor_release(lua_State *L)
{
    lnn_tensor *t = lnn_check_tensor(L, 1);
    if (t->owned) {
        nn_free(t->f ? (void *)t->f : (void *)t->labels);
    }
    t->f = NULL;
    t->labels = NULL;
    t->owned = false;
    return 0;
}

/* t:size() -> rows, cols */
static int tensor_size(lua_State *L)
{
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lua_pushinteger(L, t->rows);
    lua_pushinteger(L, t->cols);
    return 2;
}

static int tensor_is_labels(lua_State *L)
{
    lua_pushboolean(L, lnn_check_tensor(L, 1)->labels != NULL);
    return 1;
}

/* t:get(row, col) with 1-based indices (col defaults to 1). */
static int tensor_get(lua_State *L)
{
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lnn_check_fresh(L, t, 1);
    lua_Integer r = luaL_checkinteger(L, 2), c = luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, r >= 1 && r <= t->rows, 2, "row out of range");
    luaL_argcheck(L, c >= 1 && c <= t->cols, 3, "column out of range");
    size_t at = (size_t)(r - 1) * t->cols + (size_t)(c - 1);
    if (t->labels)
        lua_pushinteger(L, t->labels[at]);
    else
        lua_pushnumber(L, t->f[at]);
    return 1;
}

/* t:totable() -> flat array of rows*cols numbers, row-major. */
static int tensor_totable(lua_State *L)
{
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lnn_check_fresh(L, t, 1);
    size_t n = (size_t)t->rows * t->cols;
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        if (t->labels)
            lua_pushinteger(L, t->labels[i]);
        else
            lua_pushnumber(L, t->f[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* t:argmax() -> array of 0-based class indices, one per row (first max wins). */
static int tensor_argmax(lua_State *L)
{
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lnn_check_fresh(L, t, 1);
    luaL_argcheck(L, t->f != NULL, 1, "argmax needs a float tensor");
    lua_createtable(L, t->rows, 0);
    for (int r = 0; r < t->rows; r++) {
        const float *row = t->f + (size_t)r * t->cols;
        int best = 0;
        for (int c = 1; c < t->cols; c++)
            if (row[c] > row[best])
                best = c;
        lua_pushinteger(L, best);
        lua_rawseti(L, -2, r + 1);
    }
    return 1;
}

static int tensor_len(lua_State *L)
{
    lua_pushinteger(L, lnn_check_tensor(L, 1)->rows);
    return 1;
}

/* t:set(row, col, value): writes one element (1-based, like get), e.g. from a
 * data.Lambda changing its batch in place. */
static int tensor_set(lua_State *L)
{
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lnn_check_fresh(L, t, 1);
    lua_Integer r = luaL_checkinteger(L, 2), c = luaL_checkinteger(L, 3);
    luaL_argcheck(L, r >= 1 && r <= t->rows, 2, "row out of range");
    luaL_argcheck(L, c >= 1 && c <= t->cols, 3, "column out of range");
    size_t at = (size_t)(r - 1) * t->cols + (size_t)(c - 1);
    if (t->labels)
        t->labels[at] = (int32_t)luaL_checkinteger(L, 4);
    else
        t->f[at] = (float)luaL_checknumber(L, 4);
    return 0;
}

static const luaL_Reg tensor_methods[] = {
    {"size", tensor_size},       {"get", tensor_get},       {"set", tensor_set},
    {"totable", tensor_totable},
    {"argmax", tensor_argmax},   {"is_labels", tensor_is_labels},
    {NULL, NULL},
};

static const luaL_Reg tensor_metamethods[] = {
    {"__gc", tensor_release},
    {"__close", tensor_release},
    {"__len", tensor_len},
    {NULL, NULL},
};

void lnn_open_tensor(lua_State *L)
{
    lnn_create_meta(L, LNN_TENSOR, tensor_methods, tensor_metamethods);
    lua_pushcfunction(L, tensor_new);
    lua_setfield(L, -2, "tensor");
}
