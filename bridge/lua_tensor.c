/* Tensor userdata: 1-D or 2-D float32 data or int32 integers (class labels).
 * Either owned (made from Lua or by an operation) or a view into a model's
 * output, a loader's batch buffer or another tensor; a view keeps its owner
 * alive and refuses to be read once the owner reused the memory. Shapes,
 * indexing (t[i], narrow, index_select, cat, stack) and tolist live here; the
 * element-wise math and reductions in lua_tensor_math.c; printing and the
 * Size object's looks in lua/nnlab/init.lua.
 *
 * Conventions (docs/lua-api.md, "Tensors"): every `dim` counts as PyTorch's,
 * from 0 (0 = rows, 1 = columns; -1 = the last), as in lua_tensor_math.c;
 * positions (t[i], narrow's start, a Lua list of indices) are 1-based as Lua
 * counts, negative from the end; an integer tensor used as an index holds
 * 0-based positions, as PyTorch's (and as class labels and argmax are). */
#include "nnlab_bridge.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_hash.h"
#include "nn_mem.h"

lnn_tensor *lnn_check_tensor(lua_State *L, int index)
{
    lnn_check_self(L, index, "tensor");
    return luaL_checkudata(L, index, LNN_TENSOR);
}

void lnn_check_self(lua_State *L, int index, const char *object)
{
    if (index == 1 && lua_isnoneornil(L, 1)) /* the words of errors.dot_call and errors.traceback */
        luaL_error(L, "%s %s method called with '.' gets no %s; call methods with ':' (obj:method()), not '.'",
                   strchr("aeiou", object[0]) ? "an" : "a", object, object);
}

void lnn_method_args(lua_State *L, int max, const char *usage)
{
    int top = lua_gettop(L);
    while (top > 1 && lua_isnil(L, top)) /* trailing nils are arguments left out: f(x, opt) with opt nil */
        top--;
    int got = top - 1;
    if (got <= max)
        return;
    if (max == 0)
        luaL_error(L, "%s takes no arguments, got %d", usage, got);
    luaL_error(L, "%s takes at most %d argument%s, got %d", usage, max, max == 1 ? "" : "s", got);
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

/* The write counter of t's memory, to bump (see nnlab_bridge.h). */
static uint64_t *version_counter(lnn_tensor *t)
{
    return t->version ? t->version : &t->writes;
}

uint64_t lnn_tensor_version(const lnn_tensor *t)
{
    return t->version ? *t->version : t->writes;
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
                          int cols, const uint64_t *owner_generation, uint64_t *version)
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
    t->version = version;
    lua_pushvalue(L, owner_index);
    lua_setiuservalue(L, -2, 1);
    return t;
}

/* core.tensor(values, rows, cols, is_labels [, ndim]): values is a flat Lua
 * array; ndim 1 (cols 1) makes a 1-D tensor, the default for labels of cols 1. */
static int tensor_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer rows = luaL_checkinteger(L, 2);
    lua_Integer cols = luaL_checkinteger(L, 3);
    int is_labels = lua_toboolean(L, 4);
    lua_Integer ndim = luaL_optinteger(L, 5, is_labels ? 1 : 2);
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
    t->ndim = ndim == 1 && cols == 1 ? 1 : 2;
    t->rows = (int)rows;
    t->cols = (int)cols;
    for (lua_Integer i = 0; i < n; i++) {
        lua_geti(L, 1, i + 1);
        int ok;
        /* a string is no number here (Lua would convert "2"), as in torch.tensor */
        bool number = lua_type(L, -1) == LUA_TNUMBER;
        if (is_labels) {
            lua_Integer v = lua_tointegerx(L, -1, &ok);
            ok = ok && number;
            if (!ok || v < 0 || v > INT32_MAX) { /* values[i] as Lua counts, and what it holds */
                int type = lua_type(L, -1);
                const char *what = type == LUA_TNUMBER ? luaL_tolstring(L, -1, NULL)
                                   : type == LUA_TSTRING ? lua_pushfstring(L, "the string '%s'", lua_tostring(L, -1))
                                   : type == LUA_TNIL   ? "nil"
                                                        : lua_pushfstring(L, "a %s", luaL_typename(L, -1));
                return luaL_error(L, "values[%d] is %s, not a class index (an integer from 0 to %d)", (int)(i + 1),
                                  what, INT32_MAX);
            }
            t->labels[i] = (int32_t)v;
        } else {
            lua_Number v = lua_tonumberx(L, -1, &ok);
            if (!ok || !number) /* (nnlab.tensor names the value and its row and column) */
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
        t->generation++; /* views of it (t[i], narrow) are stale from now on */
    }
    t->f = NULL;
    t->labels = NULL;
    t->owned = false;
    return 0;
}

static int tensor_is_labels(lua_State *L)
{
    lnn_method_args(L, 0, "x:is_labels()");
    lua_pushboolean(L, lnn_check_tensor(L, 1)->labels != NULL);
    return 1;
}

/* t:get(row, col) with 1-based indices (col defaults to 1). */
static int tensor_get(lua_State *L)
{
    lnn_method_args(L, 2, "x:get(i, j)");
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
    lnn_method_args(L, 0, "x:totable()");
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

/* The int32 value an integer tensor stores for x, or an error: PyTorch's
 * int32 tensors refuse what does not fit ("value cannot be converted to
 * type int without overflow"), where a cast would wrap. */
static int32_t int32_value(lua_State *L, lua_Number x, const char *where)
{
    if (!(x >= -2147483648.0 && x < 2147483648.0)) /* NaN fails too */
        luaL_error(L, "%s%s is out of range for an integer (int32) tensor", where,
                   x != x ? "nan" : lua_pushfstring(L, "%f", x));
    return (int32_t)x;
}

/* The float a float tensor stores for the number at stack index v, or an
 * error past float32's range: PyTorch refuses t[i] = 1e40 ("value cannot
 * be converted to type float without overflow") where a cast would store
 * inf; inf and nan themselves are taken. */
static float float_value(lua_State *L, int v, const char *where)
{
    lua_Number x = luaL_checknumber(L, v);
    if (isfinite(x) && (x > FLT_MAX || x < -FLT_MAX))
        luaL_error(L, "%s%s is out of range for a float (float32) tensor", where, lua_pushfstring(L, "%f", x));
    return (float)x;
}

/* The int32 an integer tensor stores for the number at stack index v: an
 * integer in range, or a float truncated (as PyTorch's int32 tensors take
 * t[i] = 1.5 as 1); anything else is an error. */
static int32_t label_value(lua_State *L, int v, const char *where)
{
    if (lua_isinteger(L, v)) {
        lua_Integer x = lua_tointeger(L, v);
        if (x < INT32_MIN || x > INT32_MAX)
            luaL_error(L, "%s%I is out of range for an integer (int32) tensor", where, x);
        return (int32_t)x;
    }
    if (lua_type(L, v) != LUA_TNUMBER)
        luaL_error(L, "%san integer tensor takes numbers, not %s", where, luaL_typename(L, v));
    return int32_value(L, trunc(lua_tonumber(L, v)), where);
}

/* t:set(row, col, value): writes one element (1-based, like get), e.g. from a
 * data.Lambda changing its batch in place. */
static int tensor_set(lua_State *L)
{
    lnn_method_args(L, 3, "x:set(i, j, v)");
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lnn_check_fresh(L, t, 1);
    lua_Integer r = luaL_checkinteger(L, 2), c = luaL_checkinteger(L, 3);
    luaL_argcheck(L, r >= 1 && r <= t->rows, 2, "row out of range");
    luaL_argcheck(L, c >= 1 && c <= t->cols, 3, "column out of range");
    size_t at = (size_t)(r - 1) * t->cols + (size_t)(c - 1);
    if (t->labels) {
        t->labels[at] = label_value(L, 4, "t:set: ");
    } else
        t->f[at] = float_value(L, 4, "t:set: ");
    ++*version_counter(t);
    return 0;
}

/* ---- shapes ---------------------------------------------------------- */

#define LNN_SIZE "nnlab.Size"

/* The length of dimension d (0-based here) of t. */
static int dim_length(const lnn_tensor *t, int d)
{
    return d == 0 ? t->rows : t->cols;
}

/* The first dim's number: 0, as PyTorch counts (and as lua_tensor_math.c's
 * reductions do), so PyTorch's `t.narrow(0, ...)` and `torch.cat(ts, 1)` read
 * the same here. One constant, so the whole file follows it. */
enum { DIM_BASE = 0 };

/* Reads the `dim` argument at `arg` (DIM_BASE for the rows, -1 the last) and
 * returns it 0-based; raises at the user's line when out of range. */
static int check_dim(lua_State *L, int arg, int ndim)
{
    lua_Integer given = luaL_checkinteger(L, arg), d = given;
    if (d < 0)
        d += ndim;
    else
        d -= DIM_BASE;
    if (d < 0 || d >= ndim)
        return luaL_error(L, "dim %I out of range for a %d-D tensor (expected %d to %d, or %d to -1: "
                          "dims count from %d, as PyTorch's)", given, ndim, DIM_BASE,
                          DIM_BASE + ndim - 1, -ndim, DIM_BASE);
    return (int)d;
}

/* A 1-based position (negative: from the end) along a dimension of length n,
 * returned 0-based; raises naming `what` when out of range. */
static lua_Integer check_position(lua_State *L, lua_Integer i, lua_Integer n, const char *what)
{
    lua_Integer at = i < 0 ? n + i : i - 1;
    if (at < 0 || at >= n)
        luaL_error(L, "%s %I out of range for a dimension of size %I (1 to %I, or -%I to -1)",
                   what, i, n, n, n);
    return at;
}

/* Pushes a Size (a list of the dimension lengths with the nnlab.Size metatable). */
static void push_size(lua_State *L, const lnn_tensor *t)
{
    lua_createtable(L, t->ndim, 0);
    for (int d = 0; d < t->ndim; d++) {
        lua_pushinteger(L, dim_length(t, d));
        lua_rawseti(L, -2, d + 1);
    }
    luaL_setmetatable(L, LNN_SIZE);
}

/* t:size() -> Size; t:size(dim) -> the length of dim (an integer). */
static int tensor_size(lua_State *L)
{
    lnn_method_args(L, 1, "x:size(dim)");
    lnn_tensor *t = lnn_check_tensor(L, 1);
    if (lua_isnoneornil(L, 2))
        push_size(L, t);
    else
        lua_pushinteger(L, dim_length(t, check_dim(L, 2, t->ndim)));
    return 1;
}

/* Size's __call: t:shape() (the Size, t.shape, called with t) gives the Size. */
static int size_call(lua_State *L)
{
    lua_settop(L, 1);
    return 1;
}

static int tensor_dim(lua_State *L)
{
    lnn_method_args(L, 0, "x:dim()");
    lua_pushinteger(L, lnn_check_tensor(L, 1)->ndim);
    return 1;
}

static int tensor_numel(lua_State *L)
{
    lnn_method_args(L, 0, "x:numel()");
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lua_pushinteger(L, (lua_Integer)t->rows * t->cols);
    return 1;
}

static int tensor_len(lua_State *L)
{
    lua_pushinteger(L, lnn_check_tensor(L, 1)->rows);
    return 1;
}

/* core.tensor_state(t) -> "fresh", "stale" or "closed": for printing, which
 * words its own error at the user's line. */
static int tensor_state(lua_State *L)
{
    lnn_tensor *t = lnn_check_tensor(L, 1);
    if (t->owner_generation && *t->owner_generation != t->generation)
        lua_pushliteral(L, "stale");
    else if (!t->f && !t->labels)
        lua_pushliteral(L, "closed");
    else
        lua_pushliteral(L, "fresh");
    return 1;
}

/* core.tensor_checksum(t) -> 16 hex digits: FNV-1a (nn_hash.h) over its
 * dimensions, its kind (float or integer) and its elements' bits, in order:
 * what a cache key holds of a tensor a run function closes over
 * (sweep.code_fingerprint). t must be fresh. */
static int tensor_checksum(lua_State *L)
{
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lnn_check_fresh(L, t, 1);
    uint64_t h = nn_hash_word(NN_FNV_OFFSET, (uint64_t)t->ndim | (uint64_t)(t->labels != NULL) << 8);
    h = nn_hash_word(h, (uint64_t)(uint32_t)t->rows | (uint64_t)(uint32_t)t->cols << 32);
    size_t n = (size_t)t->rows * (size_t)t->cols;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        if (t->f)
            memcpy(&bits, t->f + i, sizeof bits);
        else
            memcpy(&bits, t->labels + i, sizeof bits);
        h = nn_hash_word(h, bits);
    }
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
    lua_pushstring(L, hex);
    return 1;
}

/* ---- views ----------------------------------------------------------- */

/* Pushes a view of part of the tensor p at parent (fresh, checked by the
 * caller). The view keeps p's memory alive through p's root owner (or p
 * itself, if p owns its memory) and goes stale with it: a view of a view takes
 * the root's generation counter; a view of an owned tensor takes that tensor's
 * own counter, which closing it bumps. It shares p's write counter. */
static lnn_tensor *push_subview(lua_State *L, int parent, lnn_tensor *p, size_t offset,
                                int ndim, int rows, int cols)
{
    parent = lua_absindex(L, parent);
    lnn_tensor *t = push_inert(L);
    t->f = p->f ? p->f + offset : NULL;
    t->labels = p->labels ? p->labels + offset : NULL;
    t->ndim = ndim;
    t->rows = rows;
    t->cols = cols;
    t->version = version_counter(p); /* userdata memory never moves */
    if (p->owner_generation) {
        t->owner_generation = p->owner_generation;
        t->generation = p->generation;
    } else if (p->owned) {
        t->owner_generation = &p->generation; /* userdata memory never moves */
        t->generation = p->generation;
    }
    if (p->owned || lua_getiuservalue(L, parent, 1) == LUA_TNIL) {
        if (!p->owned)
            lua_pop(L, 1);
        lua_pushvalue(L, parent);
    }
    lua_setiuservalue(L, -2, 1);
    return t;
}

/* t[i]: a 2-D tensor's row i as a 1-D view; a 1-D tensor's element i as a
 * number. Pushes the result. */
static void push_item(lua_State *L, int index, lnn_tensor *t, lua_Integer i)
{
    lnn_check_fresh(L, t, index);
    lua_Integer at = check_position(L, i, t->rows, "index");
    if (t->ndim == 2)
        push_subview(L, index, t, (size_t)at * t->cols, 1, t->cols, 1);
    else if (t->labels)
        lua_pushinteger(L, t->labels[at]);
    else
        lua_pushnumber(L, t->f[at]);
}

/* __index: integer keys index (t[i]); `shape` gives the Size (t.shape, and
 * t:shape() through Size's __call); other keys are methods (upvalue 1). */
/* PyTorch's tensor methods that nnlab's tensors lack, which a PyTorch user
 * reaches for: t:reshape(...) would say "attempt to call a nil value (method
 * 'reshape')". Reading one gives a function that says what nnlab has. */
static const char *const torch_only_methods[] = {
    "reshape", "view", "t", "transpose", "permute", "unsqueeze", "squeeze", "flatten", "softmax",
    "log_softmax", "to", "cpu", "cuda", "detach", "numpy", "clone", "long", "int", "double",
    "type", "min", "argmin", "std", "var", "sort", "topk", "requires_grad_", "backward", NULL,
};

static int torch_only_method(lua_State *L)
{
    const char *name = lua_tostring(L, lua_upvalueindex(1));
    return luaL_error(L, "x:%s(): nnlab tensors have no %s (PyTorch's); they are 1-D or 2-D float or int32 tensors "
                      "with the methods of docs/lua-api.md, \"Tensors\" (a model takes (batch, features) rows "
                      "as they are)", name, name);
}

static int tensor_index(lua_State *L)
{
    lnn_tensor *t = lnn_check_tensor(L, 1);
    int is_int;
    lua_Integer i = lua_tointegerx(L, 2, &is_int);
    if (is_int && lua_type(L, 2) == LUA_TNUMBER) {
        push_item(L, 1, t, i);
        return 1;
    }
    if (lua_type(L, 2) == LUA_TSTRING) {
        const char *key = lua_tostring(L, 2);
        if (strcmp(key, "shape") == 0) {
            push_size(L, t);
            return 1;
        }
        lua_pushvalue(L, 2);
        if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL)
            for (const char *const *m = torch_only_methods; *m; m++)
                if (strcmp(key, *m) == 0) {
                    lua_pushvalue(L, 2);
                    lua_pushcclosure(L, torch_only_method, 1);
                    return 1;
                }
        return 1;
    }
    if (lua_type(L, 2) == LUA_TNUMBER)
        return luaL_error(L, "tensor index %s is not an integer", lua_tostring(L, 2));
    lua_pushnil(L);
    return 1;
}

/* Writes value (stack index v) into n elements of t from offset (a row of a
 * 2-D tensor, n = cols, or one element of a 1-D one): a number, or a tensor
 * of one element, fills them; a tensor of the row's shape ((n,) or (1, n))
 * copies, as PyTorch's t[i] = value. Bumps t's write counter. */
static void write_values(lua_State *L, lnn_tensor *t, size_t offset, int n, int v)
{
    if (lua_type(L, v) == LUA_TNUMBER) {
        if (t->labels) {
            int32_t x = label_value(L, v, "");
            for (int k = 0; k < n; k++)
                t->labels[offset + k] = x;
        } else {
            float x = float_value(L, v, "");
            for (int k = 0; k < n; k++)
                t->f[offset + k] = x;
        }
        ++*version_counter(t);
        return;
    }
    lnn_tensor *src = luaL_testudata(L, v, LNN_TENSOR);
    if (src) {
        lnn_check_fresh(L, src, v);
        int count = src->rows * src->cols;
        bool row_shape = (src->ndim == 1 && src->rows == n) || (src->ndim == 2 && src->rows == 1 && src->cols == n);
        if (count != 1 && !row_shape) {
            if (src->ndim == 1)
                luaL_error(L, "cannot assign a (%d,) tensor to %d elements (give one value or the row's shape)",
                           src->rows, n);
            luaL_error(L, "cannot assign a (%d, %d) tensor to %d elements (give one value or the row's shape)",
                       src->rows, src->cols, n);
        }
        if (t->labels && src->f) /* every value checked before any is written */
            for (int k = 0; k < count; k++)
                int32_value(L, trunc(src->f[k]), "");
        for (int k = 0; k < n; k++) {
            int from = count == 1 ? 0 : k;
            double x = src->f ? src->f[from] : src->labels[from];
            if (t->labels)
                t->labels[offset + k] = (int32_t)trunc(x);
            else
                t->f[offset + k] = (float)x;
        }
        ++*version_counter(t);
        return;
    }
    luaL_error(L, "can only assign a number or a tensor to tensor elements, not %s",
               luaL_typename(L, v));
}

/* __newindex: t[i] = x writes element i of a 1-D tensor, or fills or copies
 * row i of a 2-D one (x a number or a tensor of that many elements). */
static int tensor_newindex(lua_State *L)
{
    lnn_tensor *t = lnn_check_tensor(L, 1);
    int is_int;
    lua_Integer i = lua_tointegerx(L, 2, &is_int);
    if (!is_int || lua_type(L, 2) != LUA_TNUMBER)
        return luaL_error(L, "tensors take only integer keys (t[i] = x), not %s %s",
                          luaL_typename(L, 2), luaL_tolstring(L, 2, NULL));
    lnn_check_fresh(L, t, 1);
    lua_Integer at = check_position(L, i, t->rows, "index");
    write_values(L, t, (size_t)at * t->cols, t->cols, 3);
    return 0;
}

/* Pushes a new owned tensor of the same kind (float or integer) as `like`. */
static lnn_tensor *push_like(lua_State *L, const lnn_tensor *like, int ndim, int rows, int cols)
{
    return lnn_push_tensor(L, ndim, rows, cols, like->labels != NULL);
}

/* t:narrow(dim, start, length): along the rows (dim 0) a view sharing t's
 * memory; along the columns (dim 1) of a 2-D tensor a copy (nnlab tensors are contiguous). start is
 * 1-based (negative: from the end). */
static int tensor_narrow(lua_State *L)
{
    lnn_method_args(L, 3, "x:narrow(dim, start, length)");
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lnn_check_fresh(L, t, 1);
    int d = check_dim(L, 2, t->ndim);
    int n = dim_length(t, d);
    lua_Integer start = check_position(L, luaL_checkinteger(L, 3), n, "start");
    lua_Integer len = luaL_checkinteger(L, 4);
    if (len < 1)
        return luaL_error(L, "narrow: length %I must be at least 1 (nnlab has no empty tensors)", len);
    if (len > n - start) /* start + len could overflow */
        return luaL_error(L, "narrow: length %I from start %I goes past the end of a dimension "
                          "of size %d", len, start + 1, n);
    if (d == 0) {
        push_subview(L, 1, t, (size_t)start * t->cols, t->ndim, (int)len, t->cols);
        return 1;
    }
    lnn_tensor *out = push_like(L, t, 2, t->rows, (int)len);
    for (int r = 0; r < t->rows; r++) {
        size_t from = (size_t)r * t->cols + (size_t)start, to = (size_t)r * (size_t)len;
        if (t->f)
            memcpy(out->f + to, t->f + from, (size_t)len * sizeof *t->f);
        else
            memcpy(out->labels + to, t->labels + from, (size_t)len * sizeof *t->labels);
    }
    return 1;
}

/* t:index_select(dim, index) -> a new tensor of the rows (dim 0) or columns
 * (dim 1) that index names: an integer tensor of 0-based positions (as
 * PyTorch's), or a Lua list of 1-based ones. */
static int tensor_index_select(lua_State *L)
{
    lnn_method_args(L, 2, "x:index_select(dim, index)");
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lnn_check_fresh(L, t, 1);
    int d = check_dim(L, 2, t->ndim);
    int n = dim_length(t, d);
    lnn_tensor *ix = luaL_testudata(L, 3, LNN_TENSOR);
    lua_Integer count;
    if (ix) {
        lnn_check_fresh(L, ix, 3);
        if (!ix->labels || ix->ndim != 1)
            return luaL_error(L, "index_select: the index must be a 1-D integer tensor "
                              "(or a Lua list), not a %s %d-D one",
                              ix->labels ? "integer" : "float", ix->ndim);
        count = ix->rows;
    } else if (lua_istable(L, 3)) {
        count = luaL_len(L, 3);
        if (count < 1)
            return luaL_error(L, "index_select: the index list is empty");
    } else {
        return luaL_error(L, "index_select: the index must be an integer tensor or a Lua list, "
                          "not %s", luaL_typename(L, 3));
    }
    if (count > (1 << 24))
        return luaL_error(L, "index_select: too many indices");
    /* positions, 0-based, checked before anything is allocated */
    int32_t *at = lua_newuserdatauv(L, (size_t)count * sizeof *at, 0);
    for (lua_Integer k = 0; k < count; k++) {
        lua_Integer v;
        if (ix) {
            v = ix->labels[k];
            if (v < 0 || v >= n)
                return luaL_error(L, "index_select: index[%I] (0-based, from a tensor) is %I, out of "
                                  "range for a dimension of size %d (0 to %d)", k + 1, v, n, n - 1);
        } else {
            lua_geti(L, 3, k + 1);
            int ok;
            v = lua_tointegerx(L, -1, &ok);
            if (!ok)
                return luaL_error(L, "index_select: index[%I] is %s, not an integer", k + 1,
                                  luaL_tolstring(L, -1, NULL));
            lua_pop(L, 1);
            v = check_position(L, v, n, "index_select: index");
        }
        at[k] = (int32_t)v;
    }
    lnn_tensor *out;
    if (d == 0) {
        out = push_like(L, t, t->ndim, (int)count, t->cols);
        for (lua_Integer k = 0; k < count; k++) {
            size_t from = (size_t)at[k] * t->cols, to = (size_t)k * t->cols;
            if (t->f)
                memcpy(out->f + to, t->f + from, (size_t)t->cols * sizeof *t->f);
            else
                memcpy(out->labels + to, t->labels + from, (size_t)t->cols * sizeof *t->labels);
        }
    } else {
        out = push_like(L, t, 2, t->rows, (int)count);
        for (int r = 0; r < t->rows; r++)
            for (lua_Integer k = 0; k < count; k++) {
                size_t from = (size_t)r * t->cols + (size_t)at[k], to = (size_t)r * count + k;
                if (t->f)
                    out->f[to] = t->f[from];
                else
                    out->labels[to] = t->labels[from];
            }
    }
    return 1;
}

/* t:tolist() -> a Lua list (1-D) or a list of rows (2-D), as PyTorch's. */
static int tensor_tolist(lua_State *L)
{
    lnn_method_args(L, 0, "x:tolist()");
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lnn_check_fresh(L, t, 1);
    int inner = t->ndim == 1 ? t->rows : t->cols;
    int outer = t->ndim == 1 ? 1 : t->rows;
    if (t->ndim == 2)
        lua_createtable(L, outer, 0);
    for (int r = 0; r < outer; r++) {
        lua_createtable(L, inner, 0);
        for (int c = 0; c < inner; c++) {
            size_t at = (size_t)r * inner + (size_t)c;
            if (t->labels)
                lua_pushinteger(L, t->labels[at]);
            else
                lua_pushnumber(L, t->f[at]);
            lua_rawseti(L, -2, c + 1);
        }
        if (t->ndim == 2)
            lua_rawseti(L, -2, r + 1);
    }
    return 1;
}

/* ---- cat and stack -------------------------------------------------- */

/* Reads argument 1, a non-empty list of tensors, into a new plain table that
 * it pushes at index 3 (after the dim), each item once (through __len and
 * __index, as any Lua code reads it); returns how many. cat and stack size
 * and copy from that table, which keeps the items alive: a proxy's __index
 * that answers differently on a second read, or drops an item, changes
 * nothing. */
static int read_tensor_list(lua_State *L, const char *what)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (n < 1)
        return luaL_error(L, "%s: expected a non-empty list of tensors", what);
    if (n > (1 << 24))
        return luaL_error(L, "%s: too many tensors", what);
    lua_settop(L, 2);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer k = 1; k <= n; k++) {
        lua_geti(L, 1, k);
        lua_rawseti(L, 3, k);
    }
    return (int)n;
}

/* Checks that the n items read_tensor_list read are fresh tensors; returns
 * whether any is float (then the result is). No Lua code runs from here to
 * the copy but finalizers (in the result's allocation), which is why cat and
 * stack check again after it. */
static bool check_tensor_list(lua_State *L, const char *what, int n)
{
    bool any_float = false;
    for (int k = 1; k <= n; k++) {
        lua_rawgeti(L, 3, k);
        lnn_tensor *t = luaL_testudata(L, -1, LNN_TENSOR);
        if (!t)
            return luaL_error(L, "%s: item %d is %s, not a tensor", what, k, luaL_typename(L, -1));
        if (t->owner_generation && *t->owner_generation != t->generation)
            return luaL_error(L, "%s: item %d is a stale tensor: its owner (a model's output or a "
                              "loader's batch) has been overwritten since", what, k);
        if (!t->f && !t->labels)
            return luaL_error(L, "%s: item %d is a closed tensor", what, k);
        if (t->f)
            any_float = true;
        lua_pop(L, 1);
    }
    return any_float;
}

static lnn_tensor *list_item(lua_State *L, int k)
{
    lua_rawgeti(L, 3, k);
    lnn_tensor *t = lua_touserdata(L, -1);
    lua_pop(L, 1); /* the table of items keeps it alive */
    return t;
}

/* Copies n elements of src from `from` into dst at `to`, converting integers
 * to floats when dst is float. */
static void copy_elems(lnn_tensor *dst, size_t to, const lnn_tensor *src, size_t from, size_t n)
{
    if (dst->labels)
        memcpy(dst->labels + to, src->labels + from, n * sizeof *src->labels);
    else if (src->f)
        memcpy(dst->f + to, src->f + from, n * sizeof *src->f);
    else
        for (size_t k = 0; k < n; k++)
            dst->f[to + k] = (float)src->labels[from + k];
}

/* nnlab.cat(tensors [, dim = 0]) -> a new tensor: the tensors joined along dim
 * (torch.cat); integers become floats when any tensor is float. */
static int tensor_cat(lua_State *L)
{
    int n = read_tensor_list(L, "cat");
    bool any_float = check_tensor_list(L, "cat", n);
    lnn_tensor *first = list_item(L, 1);
    int d = lua_isnoneornil(L, 2) ? 0 : check_dim(L, 2, first->ndim);
    int other = 1 - d;
    lua_Integer total = 0;
    for (int k = 1; k <= n; k++) {
        lnn_tensor *t = list_item(L, k);
        if (t->ndim != first->ndim)
            return luaL_error(L, "cat: item %d is %d-D, item 1 is %d-D", k, t->ndim, first->ndim);
        if (first->ndim == 2 && dim_length(t, other) != dim_length(first, other))
            return luaL_error(L, "cat: sizes must match except in dim %d: item %d has %d in dim %d, "
                              "item 1 has %d", d + DIM_BASE, k, dim_length(t, other), other + DIM_BASE,
                              dim_length(first, other));
        total += dim_length(t, d);
    }
    if (total > (1 << 24) || total * (d == 0 ? first->cols : first->rows) > (1 << 28))
        return luaL_error(L, "cat: the result would be too large");
    int rows = d == 0 ? (int)total : first->rows, cols = d == 0 ? first->cols : (int)total;
    lnn_tensor *out = lnn_push_tensor(L, first->ndim, rows, cols, !any_float);
    check_tensor_list(L, "cat", n);
    size_t at = 0;
    for (int k = 1; k <= n; k++) {
        lnn_tensor *t = list_item(L, k);
        if (d == 0) {
            size_t m = (size_t)t->rows * t->cols;
            copy_elems(out, at, t, 0, m);
            at += m;
        } else {
            for (int r = 0; r < rows; r++)
                copy_elems(out, (size_t)r * cols + at, t, (size_t)r * t->cols, (size_t)t->cols);
            at += (size_t)t->cols;
        }
    }
    return 1;
}

/* nnlab.stack(tensors [, dim = 0]) -> a new 2-D tensor from 1-D tensors of one
 * length: each a row (dim 0) or a column (dim 1, or -1) (torch.stack). */
static int tensor_stack(lua_State *L)
{
    int n = read_tensor_list(L, "stack");
    bool any_float = check_tensor_list(L, "stack", n);
    lnn_tensor *first = list_item(L, 1);
    int d = lua_isnoneornil(L, 2) ? 0 : check_dim(L, 2, 2); /* the result is 2-D */
    for (int k = 1; k <= n; k++) {
        lnn_tensor *t = list_item(L, k);
        if (t->ndim != 1)
            return luaL_error(L, "stack: item %d is %d-D; nnlab tensors have at most 2 dimensions, "
                              "so stack takes 1-D tensors", k, t->ndim);
        if (t->rows != first->rows)
            return luaL_error(L, "stack expects each tensor to be equal size, but item 1 has size "
                              "%d and item %d has size %d", first->rows, k, t->rows);
    }
    if ((lua_Integer)n * first->rows > (1 << 28))
        return luaL_error(L, "stack: the result would be too large");
    int len = first->rows;
    lnn_tensor *out = lnn_push_tensor(L, 2, d == 0 ? n : len, d == 0 ? len : n, !any_float);
    check_tensor_list(L, "stack", n);
    for (int k = 1; k <= n; k++) {
        lnn_tensor *t = list_item(L, k);
        if (d == 0) {
            copy_elems(out, (size_t)(k - 1) * len, t, 0, (size_t)len);
        } else {
            for (int r = 0; r < len; r++)
                copy_elems(out, (size_t)r * n + (size_t)(k - 1), t, (size_t)r, 1);
        }
    }
    return 1;
}

static const luaL_Reg tensor_methods[] = {
    {"size", tensor_size},
    {"dim", tensor_dim},
    {"numel", tensor_numel},
    {"get", tensor_get},
    {"set", tensor_set},
    {"totable", tensor_totable},
    {"tolist", tensor_tolist},
    {"narrow", tensor_narrow},
    {"index_select", tensor_index_select},
    {"is_labels", tensor_is_labels},
    {NULL, NULL},
};

static const luaL_Reg tensor_metamethods[] = {
    {"__gc", tensor_release},
    {"__close", tensor_release},
    {"__len", tensor_len},
    {"__newindex", tensor_newindex},
    {NULL, NULL},
};

void lnn_open_tensor(lua_State *L)
{
    lnn_create_meta(L, LNN_TENSOR, tensor_methods, tensor_metamethods);
    /* the math methods join the methods table before __index becomes a function */
    lnn_open_tensor_math(L);
    /* __index: a function over the methods table, so t[i] can index; the table
     * stays reachable as the metatable's `methods` (Lua adds methods there). */
    luaL_getmetatable(L, LNN_TENSOR);
    lua_getfield(L, -1, "__index");
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "methods");
    lua_pushcclosure(L, tensor_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    luaL_newmetatable(L, LNN_SIZE); /* looks (__tostring, __eq) from lua/nnlab/init.lua */
    lua_pushcfunction(L, size_call);
    lua_setfield(L, -2, "__call");
    lua_pop(L, 1);

    lua_pushcfunction(L, tensor_new);
    lua_setfield(L, -2, "tensor");
    lua_pushcfunction(L, tensor_cat);
    lua_setfield(L, -2, "cat");
    lua_pushcfunction(L, tensor_stack);
    lua_setfield(L, -2, "stack");
    lua_pushcfunction(L, tensor_state);
    lua_setfield(L, -2, "tensor_state");
    lua_pushcfunction(L, tensor_checksum);
    lua_setfield(L, -2, "tensor_checksum");
}
