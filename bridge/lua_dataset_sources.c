/* Where datasets come from, besides the MNIST folders of lua_data.c: IDX files
 * by name (any size, labels from the data, EMNIST's transposed layout), NumPy
 * .npy/.npz arrays, CSV files, and Lua values (tensors or tables of rows, and
 * a builder that data.generate fills one sample at a time). Each constructor
 * returns a root Dataset, or nil and the engine's message (the Lua wrappers in
 * lua/nnlab/data.lua raise it at the user's line). */
#include "nnlab_bridge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_csv.h"
#include "nn_data.h"
#include "nn_npy.h"

#define LNN_BUILDER "nnlab.DatasetBuilder"

/* core.dataset_load_files(images_path, labels_path, n_classes, transpose) */
static int dataset_load_files(lua_State *L)
{
    const char *images = luaL_checkstring(L, 1), *labels = luaL_checkstring(L, 2);
    lua_Integer classes = luaL_optinteger(L, 3, 0);
    luaL_argcheck(L, classes >= 0 && classes <= 256, 3, "an IDX label file holds 1 to 256 classes");
    nn_dataset ds;
    if (nn_dataset_load_files(&ds, images, labels, (uint32_t)classes) != NN_OK)
        return lnn_push_failure(L);
    if (lua_toboolean(L, 4) && nn_dataset_transpose_images(&ds) != NN_OK) {
        nn_dataset_free(&ds);
        return lnn_push_failure(L);
    }
    lnn_push_dataset(L, &ds);
    return 1;
}

static nn_status read_array(const char *path, const char *key, nn_array *out)
{
    return key ? nn_npz_read(path, key, out) : nn_npy_read(path, out);
}

/* core.dataset_numpy(x_path, x_key, y_path, y_key, regression, n_classes)
 *   -> dataset, x_dtype, y_dtype | nil, message   (key nil: a .npy file) */
static int dataset_numpy(lua_State *L)
{
    const char *x_path = luaL_checkstring(L, 1), *x_key = luaL_optstring(L, 2, NULL);
    const char *y_path = luaL_checkstring(L, 3), *y_key = luaL_optstring(L, 4, NULL);
    int regression = lua_toboolean(L, 5);
    lua_Integer classes = luaL_optinteger(L, 6, 0);
    luaL_argcheck(L, classes >= 0 && classes <= NN_MAX_CLASSES, 6, "class count out of range");
    char x_name[1100], y_name[1100];
    snprintf(x_name, sizeof x_name, x_key ? "%s[%s]" : "%s", x_path, x_key);
    snprintf(y_name, sizeof y_name, y_key ? "%s[%s]" : "%s", y_path, y_key);
    nn_array x = {0}, y = {0};
    if (read_array(x_path, x_key, &x) != NN_OK)
        return lnn_push_failure(L);
    if (read_array(y_path, y_key, &y) != NN_OK) {
        nn_array_free(&x);
        return lnn_push_failure(L);
    }
    char x_dtype[8], y_dtype[8];
    memcpy(x_dtype, x.descr, sizeof x_dtype);
    memcpy(y_dtype, y.descr, sizeof y_dtype);
    nn_dataset ds;
    if (nn_dataset_from_arrays(&ds, &x, &y, regression, (uint32_t)classes, x_name, y_name) != NN_OK)
        return lnn_push_failure(L);
    lnn_push_dataset(L, &ds);
    lua_pushstring(L, x_dtype);
    lua_pushstring(L, y_dtype);
    return 3;
}

/* An array of strings (the table at index) as a NULL-terminated C array in a
 * userdata left on the stack; *n its length. */
static const char **string_list(lua_State *L, int index, uint32_t *n)
{
    lua_Integer len = luaL_len(L, index);
    const char **list = lua_newuserdatauv(L, (size_t)(len + 1) * sizeof *list, 1);
    lua_pushvalue(L, index); /* keeps the strings alive with the list */
    lua_setiuservalue(L, -2, 1);
    for (lua_Integer i = 1; i <= len; i++) {
        lua_geti(L, index, i);
        list[i - 1] = luaL_checkstring(L, -1);
        lua_pop(L, 1);
    }
    list[len] = NULL;
    *n = (uint32_t)len;
    return list;
}

static void push_names(lua_State *L, char **names, uint32_t n)
{
    lua_createtable(L, (int)n, 0);
    for (uint32_t i = 0; names && i < n; i++) {
        lua_pushstring(L, names[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

/* core.dataset_csv(path, { sep, header, target (name or 0-based index),
 *   features (names or 0-based indices), regression, classes })
 *   -> dataset, { class_names, feature_names, target_name } | nil, message */
static int dataset_csv(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    nn_csv_options o = {.target_index = -1};
    lua_getfield(L, 2, "sep");
    o.sep = lua_isstring(L, -1) ? lua_tostring(L, -1)[0] : ',';
    lua_getfield(L, 2, "header");
    o.header = lua_toboolean(L, -1);
    lua_getfield(L, 2, "regression");
    o.regression = lua_toboolean(L, -1);
    lua_getfield(L, 2, "target");
    if (lua_type(L, -1) == LUA_TSTRING)
        o.target_name = lua_tostring(L, -1);
    else if (!lua_isnil(L, -1))
        o.target_index = luaL_checkinteger(L, -1);
    if (lua_getfield(L, 2, "features") == LUA_TTABLE) {
        int list = lua_gettop(L);
        lua_geti(L, list, 1);
        int by_name = lua_type(L, -1) == LUA_TSTRING;
        lua_pop(L, 1);
        if (by_name) {
            o.feature_names = string_list(L, list, &o.n_features);
        } else {
            lua_Integer len = luaL_len(L, list);
            uint32_t *at = lua_newuserdatauv(L, (size_t)(len ? len : 1) * sizeof *at, 0);
            for (lua_Integer i = 1; i <= len; i++) {
                lua_geti(L, list, i);
                lua_Integer v = luaL_checkinteger(L, -1);
                luaL_argcheck(L, v >= 0 && v <= UINT32_MAX, 2, "feature column out of range");
                at[i - 1] = (uint32_t)v;
                lua_pop(L, 1);
            }
            o.feature_indices = at;
            o.n_features = (uint32_t)len;
        }
    }
    if (lua_getfield(L, 2, "classes") == LUA_TTABLE)
        o.classes = string_list(L, lua_gettop(L), &o.n_classes);

    nn_csv_data csv;
    if (nn_csv_read(path, &o, &csv) != NN_OK)
        return lnn_push_failure(L);
    nn_dataset_buffers b = {.values = csv.x, .labels = csv.labels, .targets = csv.targets,
                            .count = csv.rows, .rows = 1, .cols = csv.features,
                            .n_targets = csv.targets ? 1 : 0, .n_classes = csv.n_classes};
    csv.x = NULL, csv.labels = NULL, csv.targets = NULL;
    lua_createtable(L, 0, 3);
    push_names(L, csv.class_names, csv.class_names ? csv.n_classes : 0);
    lua_setfield(L, -2, "class_names");
    push_names(L, csv.feature_names, csv.feature_names ? csv.features : 0);
    lua_setfield(L, -2, "feature_names");
    if (csv.target_name) {
        lua_pushstring(L, csv.target_name);
        lua_setfield(L, -2, "target_name");
    }
    nn_csv_free(&csv);
    nn_dataset ds;
    if (nn_dataset_adopt(&ds, b, path) != NN_OK)
        return lnn_push_failure(L);
    lnn_push_dataset(L, &ds);
    lua_insert(L, -2);
    return 2;
}

/* ---- Lua values ------------------------------------------------------------- */

/* A growing dataset: rows of `width` features and a label or target row each. */
typedef struct lnn_builder {
    float *values;
    uint16_t *labels;
    float *targets;
    uint32_t count, capacity, width, n_targets;
    int regression;  /* -1 until the first sample says */
    int finished;
} lnn_builder;

static void builder_free(lnn_builder *b)
{
    free(b->values), free(b->labels), free(b->targets);
    b->values = NULL, b->labels = NULL, b->targets = NULL;
}

static int builder_gc(lua_State *L)
{
    builder_free(luaL_checkudata(L, 1, LNN_BUILDER));
    return 0;
}

/* Appends numbers from the table at index (length must be `want`, or sets it
 * when want is 0) to dst; messages name the sample (1-based) and `what`. */
static int read_row(lua_State *L, int index, float *dst, uint32_t want, uint32_t sample,
                    const char *what)
{
    lua_Integer len = luaL_len(L, index);
    if (want && len != (lua_Integer)want)
        return luaL_error(L, "sample %d: %s has %d values, expected %d like the first", (int)sample,
                          what, (int)len, (int)want);
    for (lua_Integer i = 1; i <= len; i++) {
        lua_geti(L, index, i);
        int isnum;
        lua_Number v = lua_tonumberx(L, -1, &isnum);
        if (!isnum || lua_type(L, -1) != LUA_TNUMBER) /* a string too: Lua would convert "2" */
            return luaL_error(L, "sample %d: %s value %d is a %s, not a number", (int)sample, what,
                              (int)i, luaL_typename(L, -1));
        if (!isfinite(v) || fabs(v) > 3.4028234663852886e38)
            return luaL_error(L, "sample %d: %s value %d is %s: data must be finite", (int)sample,
                              what, (int)i, isnan(v) ? "NaN" : "not a finite float32");
        dst[i - 1] = (float)v;
        lua_pop(L, 1);
    }
    return 0;
}

static void builder_grow(lua_State *L, lnn_builder *b)
{
    if (b->count < b->capacity)
        return;
    uint32_t cap = b->capacity ? b->capacity * 2 : 64;
    if (b->capacity >= UINT32_MAX / 2)
        luaL_error(L, "too many samples");
    float *v = realloc(b->values, (size_t)cap * b->width * sizeof *v);
    if (v)
        b->values = v;
    int ok = v != NULL;
    if (ok && b->regression) {
        float *t = realloc(b->targets, (size_t)cap * b->n_targets * sizeof *t);
        ok = t != NULL;
        if (t)
            b->targets = t;
    } else if (ok) {
        uint16_t *l = realloc(b->labels, (size_t)cap * sizeof *l);
        ok = l != NULL;
        if (l)
            b->labels = l;
    }
    if (!ok)
        luaL_error(L, "out of memory for %d samples of %d features", (int)cap, (int)b->width);
    b->capacity = cap;
}

/* builder:add(features, label_or_targets): features a table of numbers; the
 * label an integer 0..65535, or a table of numbers (regression targets). */
static int builder_add(lua_State *L)
{
    lnn_builder *b = luaL_checkudata(L, 1, LNN_BUILDER);
    luaL_argcheck(L, !b->finished, 1, "finished builder");
    uint32_t sample = b->count + 1;
    if (!lua_istable(L, 2))
        return luaL_error(L, "sample %d: features must be a table of numbers, got %s", (int)sample,
                          luaL_typename(L, 2));
    int is_targets = lua_istable(L, 3);
    if (b->regression < 0) {
        b->regression = is_targets;
        b->width = (uint32_t)luaL_len(L, 2);
        b->n_targets = is_targets ? (uint32_t)luaL_len(L, 3) : 0;
        if (b->width == 0)
            return luaL_error(L, "sample 1: features must hold at least one number");
        if (is_targets && b->n_targets == 0)
            return luaL_error(L, "sample 1: targets must hold at least one number");
    } else if (is_targets != b->regression) {
        return luaL_error(L, "sample %d: the label is a %s but the first sample's was a %s",
                          (int)sample, luaL_typename(L, 3), b->regression ? "table" : "number");
    }
    builder_grow(L, b);
    read_row(L, 2, b->values + (size_t)b->count * b->width, b->width, sample, "features");
    if (is_targets) {
        read_row(L, 3, b->targets + (size_t)b->count * b->n_targets, b->n_targets, sample, "targets");
    } else {
        int isint;
        lua_Integer label = lua_tointegerx(L, 3, &isint);
        if (lua_type(L, 3) == LUA_TSTRING)
            return luaL_error(L, "sample %d: label is the string '%s', not a class number (an integer from 0 to "
                                 "%d)", (int)sample, lua_tostring(L, 3), (int)NN_MAX_CLASSES - 1);
        if (!isint || label < 0 || label > NN_MAX_CLASSES - 1)
            return luaL_error(L, "sample %d: label %s is not a class number (an integer from 0 to %d)",
                              (int)sample, luaL_tolstring(L, 3, NULL), (int)NN_MAX_CLASSES - 1);
        b->labels[b->count] = (uint16_t)label;
    }
    b->count++;
    return 0;
}

/* builder:finish(n_classes, source) -> dataset | nil, message (n_classes 0: from the labels) */
static int builder_finish(lua_State *L)
{
    lnn_builder *b = luaL_checkudata(L, 1, LNN_BUILDER);
    luaL_argcheck(L, !b->finished, 1, "finished builder");
    lua_Integer classes = luaL_optinteger(L, 2, 0);
    const char *source = luaL_optstring(L, 3, "dataset");
    luaL_argcheck(L, classes >= 0 && classes <= NN_MAX_CLASSES, 2, "class count out of range");
    /* a label past the classes given, named by its 1-based sample as the
     * other messages of Lua values are (the engine's check counts from 0) */
    for (uint32_t i = 0; b->regression != 1 && classes > 0 && i < b->count; i++) {
        if (b->labels[i] >= classes) {
            lua_pushnil(L);
            lua_pushfstring(L, "%s: sample %d: label %d is out of range for %d class%s (0 to %d)", source,
                            (int)i + 1, (int)b->labels[i], (int)classes, classes == 1 ? "" : "es",
                            (int)classes - 1);
            return 2;
        }
    }
    b->finished = 1;
    nn_dataset_buffers buf = {.values = b->values, .labels = b->regression ? NULL : b->labels,
                              .targets = b->regression ? b->targets : NULL, .count = b->count,
                              .rows = 1, .cols = b->width, .n_targets = b->n_targets,
                              .n_classes = (uint32_t)classes};
    if (b->regression)
        free(b->labels);
    else
        free(b->targets);
    b->values = NULL, b->labels = NULL, b->targets = NULL;
    nn_dataset ds;
    if (nn_dataset_adopt(&ds, buf, source) != NN_OK)
        return lnn_push_failure(L);
    lnn_push_dataset(L, &ds);
    return 1;
}

/* core.dataset_builder() -> builder */
static int dataset_builder(lua_State *L)
{
    lnn_builder *b = lua_newuserdatauv(L, sizeof *b, 0);
    *b = (lnn_builder){.regression = -1};
    luaL_setmetatable(L, LNN_BUILDER);
    return 1;
}

/* core.dataset_from_tensors(x, y, n_classes, source) -> dataset | nil, message:
 * x a float tensor (N, D); y a label tensor (N) (or (N, 1)) or a float tensor
 * (N, K) of regression targets. The data are copied. */
static int dataset_from_tensors(lua_State *L)
{
    lnn_tensor *x = lnn_check_tensor(L, 1), *y = lnn_check_tensor(L, 2);
    lnn_check_fresh(L, x, 1);
    lnn_check_fresh(L, y, 2);
    lua_Integer classes = luaL_optinteger(L, 3, 0);
    const char *source = luaL_optstring(L, 4, "dataset");
    luaL_argcheck(L, x->f != NULL, 1, "features must be a float tensor");
    luaL_argcheck(L, classes >= 0 && classes <= NN_MAX_CLASSES, 3, "class count out of range");
    if (x->rows != y->rows) { /* nil, message: the Lua wrapper raises it at the user's line */
        lua_pushnil(L);
        lua_pushfstring(L, "%s: x has %d samples but y has %d", source, x->rows, y->rows);
        return 2;
    }
    if (y->labels && y->cols != 1) { /* as a loss takes labels: (N,) or (N, 1) */
        lua_pushnil(L);
        lua_pushfstring(L, "%s: class labels must be 1-D, one per sample: (%d,), not a (%d, %d) integer "
                           "tensor (multi-target not supported)", source, y->rows, y->rows, y->cols);
        return 2;
    }
    size_t n = (size_t)x->rows;
    nn_dataset_buffers b = {.count = (uint32_t)x->rows, .rows = 1, .cols = (uint32_t)x->cols,
                            .n_classes = (uint32_t)classes};
    b.values = malloc(n * (size_t)x->cols * sizeof *b.values + 1);
    if (y->f) {
        b.n_targets = (uint32_t)y->cols;
        b.targets = malloc(n * (size_t)y->cols * sizeof *b.targets + 1);
    } else {
        b.labels = malloc(n * sizeof *b.labels + 1);
    }
    if (!b.values || (!b.targets && !b.labels)) {
        free(b.values), free(b.targets), free(b.labels);
        lua_pushnil(L);
        lua_pushfstring(L, "%s: out of memory for %d samples", source, x->rows);
        return 2;
    }
    memcpy(b.values, x->f, n * (size_t)x->cols * sizeof *b.values);
    if (y->f)
        memcpy(b.targets, y->f, n * (size_t)y->cols * sizeof *b.targets);
    for (size_t i = 0; !y->f && i < n; i++) {
        int32_t top = classes > 0 ? (int32_t)classes - 1 : (int32_t)NN_MAX_CLASSES - 1;
        if (y->labels[i] < 0 || y->labels[i] > top) {
            free(b.values), free(b.labels);
            lua_pushnil(L);
            if (classes > 0) /* 1-based, as the other messages of Lua values */
                lua_pushfstring(L, "%s: sample %d: label %d is out of range for %d class%s (0 to %d)", source,
                                (int)i + 1, (int)y->labels[i], (int)classes, classes == 1 ? "" : "es",
                                (int)top);
            else
                lua_pushfstring(L, "%s: sample %d: label %d is not a class number (0 to %d)", source,
                                (int)i + 1, (int)y->labels[i], (int)top);
            return 2;
        }
        b.labels[i] = (uint16_t)y->labels[i];
    }
    nn_dataset ds;
    if (nn_dataset_adopt(&ds, b, source) != NN_OK)
        return lnn_push_failure(L);
    lnn_push_dataset(L, &ds);
    return 1;
}

void lnn_open_dataset_sources(lua_State *L)
{
    static const luaL_Reg builder_methods[] = {{"add", builder_add}, {"finish", builder_finish}, {NULL, NULL}};
    static const luaL_Reg builder_meta[] = {{"__gc", builder_gc}, {NULL, NULL}};
    lnn_create_meta(L, LNN_BUILDER, builder_methods, builder_meta);
    static const luaL_Reg functions[] = {
        {"dataset_load_files", dataset_load_files}, {"dataset_numpy", dataset_numpy},
        {"dataset_csv", dataset_csv}, {"dataset_builder", dataset_builder},
        {"dataset_from_tensors", dataset_from_tensors}, {NULL, NULL},
    };
    luaL_setfuncs(L, functions, 0);
    lua_pushinteger(L, NN_MAX_CLASSES);
    lua_setfield(L, -2, "max_classes");
}
