/* Tensor math in PyTorch's names: element-wise arithmetic (Lua metamethods and
 * t:add/sub/mul/div/neg), t:exp/log/sqrt/abs/clamp, comparisons t:eq/ne/gt/ge/lt/le,
 * reductions t:sum/mean/max/argmax, and t:float/item (t:numel is lua_tensor.c's). Added to the
 * "nnlab.Tensor" metatable by lnn_open_tensor_math (called from lnn_open_tensor).
 *
 * DIM CONVENTION: a `dim` argument counts as PyTorch's does, 0-based: on a 2-D
 * (R, C) tensor dim 0 is along the rows (reducing it leaves C values) and dim 1
 * along the columns (leaves R values); -1 is the last dim, -2 the first. So
 * PyTorch's `out.argmax(1)` is `out:argmax(1)` here, verbatim. Element
 * indexing (t[i], t:get(r, c)) stays 1-based, as Lua counts.
 *
 * Types: float32 and int32 ("integer") tensors, promoted as PyTorch promotes:
 *   int op int (+ - *) → int, int / int → float (true division), int op float
 *   tensor → float; a Lua integer keeps an int tensor int, a Lua float makes it
 *   float. Integer arithmetic wraps on int32 overflow (PyTorch's is int64).
 *   exp/log/sqrt → float; abs → the input's type; clamp → int only for an int
 *   tensor clamped by Lua integers (or nil).
 *   Comparisons give int32 0/1 tensors (PyTorch gives bool, which we lack):
 *   `:float()` makes them floats, `:sum()` counts them. Mixed int/float
 *   comparisons compare in float32, as PyTorch's promotion does.
 *   mean of an int tensor is a float (PyTorch refuses mean of long; we convert).
 *
 * Shapes: a 1-D (n,) tensor broadcasts as a row (1, n), and (R, 1) as a column,
 * against (R, C), as PyTorch broadcasts. A reduction without dim, or of a 1-D
 * tensor along dim 0, gives a 1-D tensor of 1 element where PyTorch gives a 0-D
 * one (we have no 0-D tensors); :item() reads it. keepdim is the optional
 * argument after dim.
 *
 * Every result is a new owned tensor (except float() of a float tensor, which
 * is the tensor itself, as in PyTorch); every input must be fresh. Float
 * arithmetic rounds each result to float32 as PyTorch's float32 ops do
 * (computed in double, which for + - * / of two floats gives the same bits);
 * sums accumulate in double. */
#include "nnlab_bridge.h"

#include <math.h>
#include <stdio.h>

/* Documents, and lets code check, that dims here are PyTorch's 0-based ones. */
enum { LNN_FIRST_DIM = 0 };

/* One side of a binary op: a fresh tensor seen as logical rows × cols (a 1-D
 * (n,) as 1 × n), or a Lua number (0-D). */
typedef struct operand {
    const float *f;      /* float data, or NULL */
    const int32_t *i;    /* int data, or NULL */
    bool integer;        /* int tensor, or Lua integer scalar */
    lua_Integer si;      /* scalar, as a Lua integer (when integer) */
    double s;            /* scalar, as a double */
    int ndim;            /* 0 for a scalar */
    int rows, cols;      /* logical; 1 × 1 for a scalar */
    size_t rs, cs;       /* strides for broadcasting: 0 along a size-1 dim */
} operand;

/* "(3, 4)" or "(5,)" or "a number". */
static const char *shape_text(char *buf, size_t size, const operand *o)
{
    if (o->ndim == 0)
        snprintf(buf, size, "a number");
    else if (o->ndim == 1)
        snprintf(buf, size, "(%d,)", o->cols);
    else
        snprintf(buf, size, "(%d, %d)", o->rows, o->cols);
    return buf;
}

static void tensor_operand(lua_State *L, int arg, const lnn_tensor *t, operand *o)
{
    lnn_check_fresh(L, t, arg);
    *o = (operand){.f = t->f, .i = t->labels, .integer = t->labels != NULL, .ndim = t->ndim};
    if (t->ndim == 1) {
        o->rows = 1;
        o->cols = t->rows;
    } else {
        o->rows = t->rows;
        o->cols = t->cols;
    }
}

static void check_operand(lua_State *L, int arg, const char *op, operand *o)
{
    const lnn_tensor *t = luaL_testudata(L, arg, LNN_TENSOR);
    if (t) {
        tensor_operand(L, arg, t, o);
    } else if (lua_type(L, arg) == LUA_TNUMBER) {
        *o = (operand){.ndim = 0, .rows = 1, .cols = 1};
        o->integer = lua_isinteger(L, arg);
        o->si = o->integer ? lua_tointeger(L, arg) : 0;
        o->s = lua_tonumber(L, arg);
    } else {
        luaL_error(L, "%s: expected a tensor or a number, got %s", op, luaL_typename(L, arg));
    }
}

/* The broadcast shape of a and b (PyTorch's rule: each dim equal, or one is 1),
 * with each side's strides set; raises naming both shapes. */
static void broadcast(lua_State *L, const char *op, operand *a, operand *b, int *ndim, int *rows,
                      int *cols)
{
    *ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
    if ((a->rows != b->rows && a->rows != 1 && b->rows != 1) ||
        (a->cols != b->cols && a->cols != 1 && b->cols != 1)) {
        char sa[48], sb[48];
        luaL_error(L, "%s: shapes %s and %s do not broadcast (each dim must match or be 1)", op,
                   shape_text(sa, sizeof sa, a), shape_text(sb, sizeof sb, b));
    }
    *rows = a->rows > b->rows ? a->rows : b->rows;
    *cols = a->cols > b->cols ? a->cols : b->cols;
    operand *both[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        operand *o = both[k];
        o->rs = o->rows == 1 ? 0 : (size_t)o->cols;
        o->cs = o->cols == 1 ? 0 : 1;
    }
}

/* A new tensor of the logical shape (1-D: rows is 1 and cols the length). */
static lnn_tensor *push_result(lua_State *L, int ndim, int rows, int cols, bool integers)
{
    if (ndim == 1)
        return lnn_push_tensor(L, 1, cols, 1, integers);
    return lnn_push_tensor(L, 2, rows, cols, integers);
}

/* Element k of o as PyTorch's float32 math sees it (an int rounded to float32). */
static inline double load_float(const operand *o, size_t k)
{
    if (o->f)
        return o->f[k];
    if (o->i)
        return (float)o->i[k];
    return (float)o->s;
}

static inline int64_t load_int(const operand *o, size_t k)
{
    return o->i ? o->i[k] : (int64_t)o->si;
}

/* int32 wrap-around without signed-overflow UB. */
static inline int32_t wrap32(int64_t v)
{
    return (int32_t)(uint32_t)(uint64_t)v;
}

enum binary_op { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE };
static const char *const op_names[] = {"+", "-", "*", "/", "eq", "ne", "gt", "ge", "lt", "le"};
static const char *const method_names[] = {"add", "sub", "mul", "div", "eq", "ne", "gt", "ge", "lt", "le"};

/* Applies op to the values at stack slots 1 and 2 (tensors or numbers, at
 * least one a tensor); pushes the new tensor. */
static int binary(lua_State *L, enum binary_op op)
{
    const char *name = op_names[op];
    if (lua_gettop(L) > 2) /* t:add(b, { alpha = 2 }), t:div(b, { rounding_mode = "floor" }): said, not ignored */
        return luaL_error(L, op <= OP_DIV ? "%s takes one operand: PyTorch's alpha and rounding_mode are not "
                                            "supported (write a + b * alpha, or round the quotient yourself)"
                                          : "%s takes one operand", method_names[op]);
    operand a, b;
    check_operand(L, 1, name, &a);
    check_operand(L, 2, name, &b);
    if (a.ndim == 0 && b.ndim == 0)
        return luaL_error(L, "%s: expected a tensor", name);
    int ndim, rows, cols;
    broadcast(L, name, &a, &b, &ndim, &rows, &cols);
    bool both_int = a.integer && b.integer;
    bool compare = op >= OP_EQ;
    if (both_int && (op == OP_ADD || op == OP_SUB || op == OP_MUL)) {
        const operand *sc = a.ndim == 0 ? &a : b.ndim == 0 ? &b : NULL;
        if (sc && (sc->si < INT32_MIN || sc->si > INT32_MAX))
            return luaL_error(L, "%s: %I is out of range for an integer (int32) tensor", name,
                              sc->si);
    }
    lnn_tensor *out = push_result(L, ndim, rows, cols, compare || (both_int && op != OP_DIV));
    size_t at = 0;
    for (int r = 0; r < rows; r++) {
        size_t ka = (size_t)r * a.rs, kb = (size_t)r * b.rs;
        for (int c = 0; c < cols; c++, at++, ka += a.cs, kb += b.cs) {
            if (compare && both_int) {
                int64_t x = load_int(&a, ka), y = load_int(&b, kb);
                int v = op == OP_EQ ? x == y : op == OP_NE ? x != y : op == OP_GT ? x > y
                      : op == OP_GE ? x >= y : op == OP_LT ? x < y : x <= y;
                out->labels[at] = v;
            } else if (compare) {
                double x = load_float(&a, ka), y = load_float(&b, kb);
                int v = op == OP_EQ ? x == y : op == OP_NE ? x != y : op == OP_GT ? x > y
                      : op == OP_GE ? x >= y : op == OP_LT ? x < y : x <= y;
                out->labels[at] = v;
            } else if (out->labels) {
                int64_t x = load_int(&a, ka), y = load_int(&b, kb);
                out->labels[at] = wrap32(op == OP_ADD ? x + y : op == OP_SUB ? x - y : x * y);
            } else {
                double x = load_float(&a, ka), y = load_float(&b, kb);
                if (op == OP_DIV && a.ndim == 0) /* number / tensor: PyTorch's __rtruediv__, */
                    out->f[at] = (float)((double)(float)(1.0 / y) * x); /* reciprocal(t) * number */
                else
                    out->f[at] = (float)(op == OP_ADD ? x + y : op == OP_SUB ? x - y
                                       : op == OP_MUL ? x * y : x / y);
            }
        }
    }
    return 1;
}

static int tensor_add(lua_State *L) { return binary(L, OP_ADD); }
static int tensor_sub(lua_State *L) { return binary(L, OP_SUB); }
static int tensor_mul(lua_State *L) { return binary(L, OP_MUL); }
static int tensor_div(lua_State *L) { return binary(L, OP_DIV); }
static int tensor_eq(lua_State *L) { return binary(L, OP_EQ); }
static int tensor_ne(lua_State *L) { return binary(L, OP_NE); }
static int tensor_gt(lua_State *L) { return binary(L, OP_GT); }
static int tensor_ge(lua_State *L) { return binary(L, OP_GE); }
static int tensor_lt(lua_State *L) { return binary(L, OP_LT); }
static int tensor_le(lua_State *L) { return binary(L, OP_LE); }

/* The fresh tensor at slot 1 and its element count. */
static lnn_tensor *check_input(lua_State *L, size_t *n)
{
    lnn_tensor *t = lnn_check_tensor(L, 1);
    lnn_check_fresh(L, t, 1);
    *n = (size_t)t->rows * (size_t)t->cols;
    return t;
}

/* A new tensor of t's shape. */
static lnn_tensor *push_like(lua_State *L, const lnn_tensor *t, bool integers)
{
    return lnn_push_tensor(L, t->ndim, t->rows, t->cols, integers);
}

/* -t (__unm, t:neg()): keeps the type. */
static int tensor_neg(lua_State *L)
{
    if (!(lua_gettop(L) == 2 && lua_rawequal(L, 1, 2))) /* __unm gets its operand twice */
        lnn_method_args(L, 0, "x:neg()");
    size_t n;
    const lnn_tensor *t = check_input(L, &n);
    lnn_tensor *out = push_like(L, t, t->labels != NULL);
    if (t->labels)
        for (size_t k = 0; k < n; k++)
            out->labels[k] = wrap32(-(int64_t)t->labels[k]);
    else
        for (size_t k = 0; k < n; k++)
            out->f[k] = -t->f[k];
    return 1;
}

enum unary_op { UN_EXP, UN_LOG, UN_SQRT };

/* exp, log, sqrt: float results, an int input read as float32 first. */
static int unary_float(lua_State *L, enum unary_op op)
{
    lnn_method_args(L, 0, op == UN_EXP ? "x:exp()" : op == UN_LOG ? "x:log()" : "x:sqrt()");
    size_t n;
    const lnn_tensor *t = check_input(L, &n);
    lnn_tensor *out = push_like(L, t, false);
    for (size_t k = 0; k < n; k++) {
        float x = t->f ? t->f[k] : (float)t->labels[k];
        out->f[k] = op == UN_EXP ? expf(x) : op == UN_LOG ? logf(x) : sqrtf(x);
    }
    return 1;
}

static int tensor_exp(lua_State *L) { return unary_float(L, UN_EXP); }
static int tensor_log(lua_State *L) { return unary_float(L, UN_LOG); }
static int tensor_sqrt(lua_State *L) { return unary_float(L, UN_SQRT); }

/* t:abs(): keeps the type (abs of INT32_MIN wraps, as in PyTorch's int32). */
static int tensor_abs(lua_State *L)
{
    lnn_method_args(L, 0, "x:abs()");
    size_t n;
    const lnn_tensor *t = check_input(L, &n);
    lnn_tensor *out = push_like(L, t, t->labels != NULL);
    if (t->labels)
        for (size_t k = 0; k < n; k++)
            out->labels[k] = wrap32(t->labels[k] < 0 ? -(int64_t)t->labels[k] : t->labels[k]);
    else
        for (size_t k = 0; k < n; k++)
            out->f[k] = fabsf(t->f[k]);
    return 1;
}

/* t:clamp(lo, hi), either nil (not both): min(max(x, lo), hi) as PyTorch's, so
 * lo > hi gives hi everywhere and NaN stays NaN. An int tensor stays int when
 * its bounds are Lua integers. */
static int tensor_clamp(lua_State *L)
{
    lnn_method_args(L, 2, "x:clamp(lo, hi)");
    size_t n;
    const lnn_tensor *t = check_input(L, &n);
    bool has_lo = !lua_isnoneornil(L, 2), has_hi = !lua_isnoneornil(L, 3);
    if (!has_lo && !has_hi)
        return luaL_error(L, "clamp: at least one of lo and hi must be given (not nil)");
    lua_Number lo = has_lo ? luaL_checknumber(L, 2) : 0, hi = has_hi ? luaL_checknumber(L, 3) : 0;
    bool integers =
        t->labels && (!has_lo || lua_isinteger(L, 2)) && (!has_hi || lua_isinteger(L, 3));
    lnn_tensor *out = push_like(L, t, integers);
    if (integers) {
        lua_Integer ilo = has_lo ? lua_tointeger(L, 2) : 0, ihi = has_hi ? lua_tointeger(L, 3) : 0;
        for (size_t k = 0; k < n; k++) {
            lua_Integer x = t->labels[k];
            if (has_lo && x < ilo)
                x = ilo;
            if (has_hi && x > ihi)
                x = ihi;
            /* a bound past int32 saturates */
            out->labels[k] = x < INT32_MIN ? INT32_MIN : x > INT32_MAX ? INT32_MAX : (int32_t)x;
        }
    } else {
        float flo = (float)lo, fhi = (float)hi;
        for (size_t k = 0; k < n; k++) {
            float x = t->f ? t->f[k] : (float)t->labels[k];
            if (has_lo && (x < flo || flo != flo)) /* a NaN bound gives NaN, as PyTorch's */
                x = flo;
            if (has_hi && (x > fhi || fhi != fhi))
                x = fhi;
            out->f[k] = x;
        }
    }
    return 1;
}

/* The layout of a reduction over the tensor at slot 1: `groups` results, the
 * g-th over `count` elements starting at g * gstride, `stride` apart. */
typedef struct reduction {
    const lnn_tensor *t;
    size_t groups, gstride, count, stride;
} reduction;

/* Reads the optional dim (slot 2) and keepdim (slot 3); gives the result's
 * logical shape (as push_result takes it) in ndim, rows and cols. */
static reduction check_reduction(lua_State *L, const char *usage, int *ndim, int *rows, int *cols)
{
    lnn_method_args(L, 2, usage);
    size_t n;
    const lnn_tensor *t = check_input(L, &n);
    int R = t->ndim == 1 ? 1 : t->rows, C = t->ndim == 1 ? t->rows : t->cols;
    reduction red = {.t = t};
    if (lua_isnoneornil(L, 2)) {
        if (lua_toboolean(L, 3)) /* false is the default: x:sum(nil, false) is x:sum() */
            luaL_error(L, "keepdim needs a dim: %s (over every element the result is one number)", usage);
        red = (reduction){t, 1, 0, n, 1};
        *ndim = 1, *rows = 1, *cols = 1;
        return red;
    }
    lua_Integer dim = luaL_checkinteger(L, 2);
    if (!lua_isnoneornil(L, 3) && !lua_isboolean(L, 3)) /* 0 and "false" are true in Lua */
        luaL_error(L, "keepdim must be true or false, got %s", luaL_typename(L, 3));
    bool keepdim = lua_toboolean(L, 3);
    if (dim < -t->ndim || dim >= t->ndim) /* worded as t:size's and t:narrow's (lua_tensor.c) */
        luaL_error(L, "dim %I out of range for a %d-D tensor (expected 0 to %d, or %d to -1: dims count "
                      "from 0, as PyTorch's)", dim, t->ndim, t->ndim - 1, -t->ndim);
    if (dim < 0)
        dim += t->ndim;
    bool along_rows = t->ndim == 2 && dim == LNN_FIRST_DIM; /* else along the (logical) columns */
    if (along_rows)
        red = (reduction){t, (size_t)C, 1, (size_t)R, (size_t)C};
    else
        red = (reduction){t, (size_t)R, (size_t)C, (size_t)C, 1};
    if (t->ndim == 1) {
        *ndim = 1, *rows = 1, *cols = 1;
    } else if (keepdim) {
        *ndim = 2, *rows = along_rows ? 1 : R, *cols = along_rows ? C : 1;
    } else {
        *ndim = 1, *rows = 1, *cols = along_rows ? C : R;
    }
    return red;
}

/* t:sum([dim [, keepdim]]): an int tensor's sum is int (raises past int32). */
static int tensor_sum(lua_State *L)
{
    int ndim, rows, cols;
    reduction red = check_reduction(L, "x:sum(dim, keepdim)", &ndim, &rows, &cols);
    const lnn_tensor *t = red.t;
    lnn_tensor *out = push_result(L, ndim, rows, cols, t->labels != NULL);
    for (size_t g = 0; g < red.groups; g++) {
        size_t k = g * red.gstride;
        if (t->labels) {
            int64_t s = 0;
            for (size_t j = 0; j < red.count; j++, k += red.stride)
                s += t->labels[k];
            if (s < INT32_MIN || s > INT32_MAX)
                return luaL_error(L, "sum: %I overflows an integer (int32) tensor; "
                                  "use t:float():sum()", (lua_Integer)s);
            out->labels[g] = (int32_t)s;
        } else {
            double s = 0;
            for (size_t j = 0; j < red.count; j++, k += red.stride)
                s += t->f[k];
            out->f[g] = (float)s;
        }
    }
    return 1;
}

/* t:mean([dim [, keepdim]]): always float (an int tensor is converted; PyTorch
 * would refuse it). The mean of no elements is NaN, as PyTorch's. */
static int tensor_mean(lua_State *L)
{
    int ndim, rows, cols;
    reduction red = check_reduction(L, "x:mean(dim, keepdim)", &ndim, &rows, &cols);
    const lnn_tensor *t = red.t;
    lnn_tensor *out = push_result(L, ndim, rows, cols, false);
    for (size_t g = 0; g < red.groups; g++) {
        size_t k = g * red.gstride;
        double s = 0;
        for (size_t j = 0; j < red.count; j++, k += red.stride)
            s += t->f ? (double)t->f[k] : (double)t->labels[k];
        out->f[g] = (float)(s / (double)red.count);
    }
    return 1;
}

/* The index (0-based, within the group) of a group's largest element: the
 * first of equal ones; a NaN counts as largest, as in PyTorch. */
static size_t group_argmax(const reduction *red, size_t g)
{
    const lnn_tensor *t = red->t;
    size_t k = g * red->gstride, best = 0;
    if (t->labels) {
        int32_t m = t->labels[k];
        for (size_t j = 1; j < red->count; j++)
            if (t->labels[k + j * red->stride] > m)
                m = t->labels[k + j * red->stride], best = j;
    } else {
        float m = t->f[k];
        for (size_t j = 1; j < red->count && !isnan(m); j++) {
            float v = t->f[k + j * red->stride];
            if (v > m || isnan(v))
                m = v, best = j;
        }
    }
    return best;
}

/* max and argmax: refuse a group of no elements, as PyTorch does. */
static void check_nonempty(lua_State *L, const char *name, const reduction *red)
{
    if (red->count == 0)
        luaL_error(L, "%s: the tensor (or the dim reduced) has no elements", name);
}

/* t:max() → a 1-element tensor; t:max(dim [, keepdim]) → values, indices
 * (indices 0-based int, as PyTorch's). */
static int tensor_max(lua_State *L)
{
    int ndim, rows, cols;
    bool by_dim = !lua_isnoneornil(L, 2);
    reduction red = check_reduction(L, "x:max(dim, keepdim)", &ndim, &rows, &cols);
    check_nonempty(L, "max", &red);
    const lnn_tensor *t = red.t;
    lnn_tensor *values = push_result(L, ndim, rows, cols, t->labels != NULL);
    lnn_tensor *indices = by_dim ? push_result(L, ndim, rows, cols, true) : NULL;
    for (size_t g = 0; g < red.groups; g++) {
        size_t j = group_argmax(&red, g), k = g * red.gstride + j * red.stride;
        if (t->labels)
            values->labels[g] = t->labels[k];
        else
            values->f[g] = t->f[k];
        if (indices)
            indices->labels[g] = (int32_t)j;
    }
    return by_dim ? 2 : 1;
}

/* t:argmax([dim [, keepdim]]) → an int tensor: without dim, one index into the
 * flattened (row-major) tensor. */
static int tensor_argmax(lua_State *L)
{
    int ndim, rows, cols;
    reduction red = check_reduction(L, "x:argmax(dim, keepdim)", &ndim, &rows, &cols);
    check_nonempty(L, "argmax", &red);
    lnn_tensor *out = push_result(L, ndim, rows, cols, true);
    for (size_t g = 0; g < red.groups; g++)
        out->labels[g] = (int32_t)group_argmax(&red, g);
    return 1;
}

/* t:float(): a float copy of an int tensor; a float tensor itself. */
static int tensor_float(lua_State *L)
{
    lnn_method_args(L, 0, "x:float()");
    size_t n;
    const lnn_tensor *t = check_input(L, &n);
    if (t->f) {
        lua_settop(L, 1);
        return 1;
    }
    lnn_tensor *out = push_like(L, t, false);
    for (size_t k = 0; k < n; k++)
        out->f[k] = (float)t->labels[k];
    return 1;
}

/* t:item(): the one value of a 1-element tensor, as a Lua number (an int
 * tensor's as a Lua integer). */
static int tensor_item(lua_State *L)
{
    lnn_method_args(L, 0, "x:item()");
    size_t n;
    const lnn_tensor *t = check_input(L, &n);
    if (n != 1) {
        operand o;
        char shape[48];
        tensor_operand(L, 1, t, &o);
        return luaL_error(L, "item: a tensor of %d elements, shape %s, has no single value "
                          "(item needs exactly 1)", (int)n, shape_text(shape, sizeof shape, &o));
    }
    if (t->labels)
        lua_pushinteger(L, t->labels[0]);
    else
        lua_pushnumber(L, t->f[0]);
    return 1;
}

static const luaL_Reg math_methods[] = {
    {"add", tensor_add},     {"sub", tensor_sub},       {"mul", tensor_mul},
    {"div", tensor_div},     {"neg", tensor_neg},       {"exp", tensor_exp},
    {"log", tensor_log},     {"sqrt", tensor_sqrt},     {"abs", tensor_abs},
    {"clamp", tensor_clamp}, {"eq", tensor_eq},         {"ne", tensor_ne},
    {"gt", tensor_gt},       {"ge", tensor_ge},         {"lt", tensor_lt},
    {"le", tensor_le},       {"sum", tensor_sum},       {"mean", tensor_mean},
    {"max", tensor_max},     {"argmax", tensor_argmax}, {"float", tensor_float},
    {"item", tensor_item},   {NULL, NULL},
};

static const luaL_Reg math_metamethods[] = {
    {"__add", tensor_add}, {"__sub", tensor_sub}, {"__mul", tensor_mul},
    {"__div", tensor_div}, {"__unm", tensor_neg}, {NULL, NULL},
};

void lnn_open_tensor_math(lua_State *L)
{
    luaL_getmetatable(L, LNN_TENSOR);
    luaL_setfuncs(L, math_metamethods, 0);
    if (lua_getfield(L, -1, "__index") != LUA_TTABLE) /* lua_tensor.c's methods table */
        luaL_error(L, "nnlab.Tensor's __index must be its methods table (lua_tensor_math.c)");
    luaL_setfuncs(L, math_methods, 0);
    lua_pop(L, 2);
}
