/* Dataset and Loader userdata. A Dataset is a whole data set (from IDX, NumPy
 * or CSV files, or Lua values: lua_dataset_sources.c), or a view of some of
 * its samples (a head, random subset or split), which keeps the whole one
 * alive. A Loader batches a Dataset through its transforms; loader:batches()
 * iterates one epoch and hands out x/y views that go stale at the next batch.
 * While the engine makes a batch (an engine pass, or one step of the
 * iteration) the loader is busy: its data.Lambda, the only Lua that runs
 * then, may not start, advance or close a pass of that loader. */
#include "nnlab_bridge.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_data.h"

typedef struct lnn_dataset {
    nn_dataset data;       /* the samples (owned only by the root) */
    const nn_dataset *all; /* the root's samples; == &data for the root */
    nn_indices view;       /* which samples of *all (view.at == NULL: all of them) */
} lnn_dataset;

typedef struct lnn_loader {
    nn_loader *loader;  /* NULL once closed */
    uint32_t next_epoch; /* the epoch the next pass will run (shared with fit) */
    uint64_t passes;     /* passes begun: a loader:batches() loop finds another one begun inside it */
    uint64_t generation; /* bumped by every batch: older x/y views are stale */
    uint64_t x_writes, y_writes; /* the write counters of the batch's x and y buffers */
    uint32_t batch_size;
    /* A Lua batch function (data.Lambda, user value 2): called by the engine's
     * batch hook with the state and stack slot of the pass that runs it. */
    lua_State *hook_state;
    int hook_loader_index;
    float *hook_batch; /* the batch the hook hands to the function */
    uint32_t hook_rows, hook_features;
    bool busy; /* the engine is making a batch (see the top of this file) */
} lnn_loader;

/* Whether the dataset at index is closed, or is a view (head, subset, split)
 * of a root that is: either way its samples are gone. */
static bool dataset_closed(lua_State *L, int index)
{
    const lnn_dataset *d = lua_touserdata(L, index);
    if (!d->all)
        return true;
    if (d->all == &d->data)
        return false;
    lua_getiuservalue(L, index, 1); /* the root */
    bool closed = !((const lnn_dataset *)lua_touserdata(L, -1))->all;
    lua_pop(L, 1);
    return closed;
}

static lnn_dataset *check_dataset(lua_State *L, int index)
{
    lnn_check_self(L, index, "dataset");
    lnn_dataset *d = luaL_checkudata(L, index, LNN_DATASET);
    if (dataset_closed(L, index))
        luaL_argerror(L, index, d->all ? "a view of a closed dataset" : "closed dataset");
    return d;
}

static uint32_t dataset_count(const lnn_dataset *d)
{
    return d->view.at ? d->view.count : d->all->count;
}

static lnn_dataset *push_inert_dataset(lua_State *L)
{
    lnn_dataset *d = lua_newuserdatauv(L, sizeof *d, 1);
    *d = (lnn_dataset){0};
    luaL_setmetatable(L, LNN_DATASET);
    return d;
}

void lnn_push_dataset(lua_State *L, nn_dataset *data)
{
    lnn_dataset *d = push_inert_dataset(L);
    d->data = *data;
    memset(data, 0, sizeof *data);
    d->all = &d->data;
}

/* core.dataset_load(dir, train) -> dataset | nil, message */
static int dataset_load(lua_State *L)
{
    const char *dir = luaL_checkstring(L, 1);
    int train = lua_toboolean(L, 2);
    lnn_dataset *d = push_inert_dataset(L);
    if (nn_dataset_load_dir(&d->data, dir, train) != NN_OK)
        return lnn_push_failure(L);
    d->all = &d->data;
    return 1;
}

/* Pushes a view over `from`'s root holding `indices` (taken over). */
static void push_view(lua_State *L, int from_index, const lnn_dataset *from, nn_indices indices)
{
    from_index = lua_absindex(L, from_index);
    lnn_dataset *d = push_inert_dataset(L);
    d->all = from->all;
    d->view = indices;
    if (from->all == &from->data)
        lua_pushvalue(L, from_index); /* from is the root */
    else
        lua_getiuservalue(L, from_index, 1);
    lua_setiuservalue(L, -2, 1);
}

/* The first n sample indices of a dataset (of its view, or 0..n-1), freshly owned. */
static nn_status copy_indices(const lnn_dataset *d, uint32_t n, nn_indices *out)
{
    if (!d->view.at)
        return nn_indices_first(out, d->all, n);
    out->at = malloc((size_t)n * sizeof *out->at);
    if (!out->at)
        return nn_fail(NN_ENOMEM, "out of memory for %u sample indices", n);
    memcpy(out->at, d->view.at, (size_t)n * sizeof *out->at);
    out->count = n;
    return NN_OK;
}

/* ds:head(n) -> a dataset of the first n samples */
static int dataset_head(lua_State *L)
{
    lnn_dataset *d = check_dataset(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 1 && n <= dataset_count(d), 2, "subset size out of range");
    nn_indices ix;
    if (copy_indices(d, (uint32_t)n, &ix) != NN_OK)
        return lnn_engine_error(L, NN_ENOMEM);
    push_view(L, 1, d, ix);
    return 1;
}

/* ds:subset(n, seed) -> a dataset of n samples drawn at random (seeded) */
static int dataset_subset(lua_State *L)
{
    lnn_dataset *d = check_dataset(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    lua_Integer seed = luaL_optinteger(L, 3, 0);
    luaL_argcheck(L, n >= 1 && n <= dataset_count(d), 2, "subset size out of range");
    nn_indices all, some;
    nn_status st = copy_indices(d, dataset_count(d), &all);
    if (st == NN_OK)
        st = nn_indices_random(&all, (uint32_t)n, (uint64_t)seed, &some);
    nn_indices_free(&all);
    if (st != NN_OK)
        return lnn_engine_error(L, st);
    push_view(L, 1, d, some);
    return 1;
}

/* ds:split(n_valid, seed, stratify) -> train, valid (a seeded random split) */
static int dataset_split(lua_State *L)
{
    lnn_dataset *d = check_dataset(L, 1);
    lua_Integer n_valid = luaL_checkinteger(L, 2);
    lua_Integer seed = luaL_optinteger(L, 3, 0);
    int stratify = lua_toboolean(L, 4);
    luaL_argcheck(L, n_valid >= 1 && n_valid < dataset_count(d), 2,
                  "validation size must be between 1 and the sample count - 1");
    nn_indices all, train, valid;
    nn_status st = copy_indices(d, dataset_count(d), &all);
    if (st == NN_OK && stratify)
        st = nn_indices_split_stratified(&all, d->all, (uint32_t)n_valid, (uint64_t)seed, &train, &valid);
    else if (st == NN_OK)
        st = nn_indices_split(&all, (uint32_t)n_valid, (uint64_t)seed, &train, &valid);
    nn_indices_free(&all);
    if (st != NN_OK)
        return lnn_engine_error(L, st);
    push_view(L, 1, d, train);
    push_view(L, 1, d, valid);
    return 2;
}

/* core.dataset_state(ds) -> "open", "closed", or "root closed" (a view of a
 * dataset that was closed): for lua/nnlab/data.lua, which words the error at
 * the user's line. */
static int dataset_state(lua_State *L)
{
    const lnn_dataset *d = luaL_checkudata(L, 1, LNN_DATASET);
    lua_pushstring(L, !dataset_closed(L, 1) ? "open" : d->all ? "root closed" : "closed");
    return 1;
}

static int dataset_len(lua_State *L)
{
    lua_pushinteger(L, dataset_count(check_dataset(L, 1)));
    return 1;
}

/* ds:info() -> { count, rows, cols, features, classes, targets, dtype, checksum,
 * view_checksum, images_path, labels_path, is_view } */
static int dataset_info(lua_State *L)
{
    lnn_dataset *d = check_dataset(L, 1);
    const nn_dataset *all = d->all;
    lua_createtable(L, 0, 12);
    lua_pushinteger(L, (lua_Integer)all->rows * all->cols);
    lua_setfield(L, -2, "features");
    lua_pushinteger(L, all->n_targets);
    lua_setfield(L, -2, "targets");
    lua_pushstring(L, all->images ? "uint8" : "float32");
    lua_setfield(L, -2, "dtype");
    if (d->view.at) {
        char view_hex[17];
        snprintf(view_hex, sizeof view_hex, "%016" PRIx64, nn_indices_checksum(&d->view));
        lua_pushstring(L, view_hex);
        lua_setfield(L, -2, "view_checksum");
    }
    lua_pushinteger(L, dataset_count(d));
    lua_setfield(L, -2, "count");
    lua_pushinteger(L, all->rows);
    lua_setfield(L, -2, "rows");
    lua_pushinteger(L, all->cols);
    lua_setfield(L, -2, "cols");
    lua_pushinteger(L, all->n_classes);
    lua_setfield(L, -2, "classes");
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, all->checksum);
    lua_pushstring(L, hex);
    lua_setfield(L, -2, "checksum");
    lua_pushstring(L, all->images_path ? all->images_path : "");
    lua_setfield(L, -2, "images_path");
    lua_pushstring(L, all->labels_path ? all->labels_path : "");
    lua_setfield(L, -2, "labels_path");
    lua_pushboolean(L, d->view.at != NULL);
    lua_setfield(L, -2, "is_view");
    return 1;
}

/* ds:label_counts() -> array: samples per class (index 1 = class 0) */
static int dataset_label_counts(lua_State *L)
{
    lnn_dataset *d = check_dataset(L, 1);
    uint32_t n = dataset_count(d), classes = d->all->n_classes;
    if (!d->all->labels) { /* regression targets: no classes */
        lua_newtable(L);
        return 1;
    }
    lua_Integer *counts = lua_newuserdatauv(L, sizeof *counts * classes + 1, 0);
    for (uint32_t c = 0; c < classes; c++)
        counts[c] = 0;
    for (uint32_t i = 0; i < n; i++)
        counts[d->all->labels[d->view.at ? d->view.at[i] : i]]++;
    lua_createtable(L, (int)classes, 0);
    for (uint32_t c = 0; c < classes; c++) {
        lua_pushinteger(L, counts[c]);
        lua_rawseti(L, -2, c + 1);
    }
    return 1;
}

/* ds:value_range() -> lowest, highest feature value of its samples as the
 * loader reads them (uint8 as x / 255): whether two datasets share a scale. */
static int dataset_value_range(lua_State *L)
{
    lnn_dataset *d = check_dataset(L, 1);
    uint32_t n = dataset_count(d);
    size_t per = (size_t)d->all->rows * d->all->cols;
    float lowest = INFINITY, highest = -INFINITY;
    for (uint32_t i = 0; i < n; i++) {
        size_t start = (size_t)(d->view.at ? d->view.at[i] : i) * per;
        for (size_t k = 0; k < per; k++) {
            float v = d->all->images ? d->all->images[start + k] * (1.0f / 255.0f) : d->all->values[start + k];
            lowest = v < lowest ? v : lowest;
            highest = v > highest ? v : highest;
        }
    }
    lua_pushnumber(L, lowest);
    lua_pushnumber(L, highest);
    return 2;
}

static int dataset_release(lua_State *L)
{
    lnn_dataset *d = luaL_checkudata(L, 1, LNN_DATASET);
    nn_indices_free(&d->view);
    nn_dataset_free(&d->data);
    d->all = NULL;
    return 0;
}

/* Reads field `name` of the table at index as a number (default when absent). */
static lua_Number number_field(lua_State *L, int index, const char *name, lua_Number fallback)
{
    lua_Number v = lua_getfield(L, index, name) == LUA_TNIL ? fallback : luaL_checknumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* Field `name` (absent: 0) as a uint32: a number from 0 to UINT32_MAX, else
 * an argument error (a cast of a larger one would cut it, or be undefined). */
static uint32_t size_field(lua_State *L, int index, const char *name)
{
    lua_Number v = number_field(L, index, name, 0);
    if (!(v >= 0 && v <= (lua_Number)UINT32_MAX))
        luaL_error(L, "transform field %s out of range: %f", name, (double)v);
    return (uint32_t)v;
}

/* Reads the float array in field `name` of the table at index into a new
 * userdata (left on the stack, so collected with the call); *n its length. */
static float *floats_field(lua_State *L, int index, const char *name, uint32_t *n)
{
    lua_getfield(L, index, name);
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_Integer len = luaL_len(L, -1);
    luaL_argcheck(L, len >= 1 && len <= UINT32_MAX, 8, "normalize values: 1 or one per feature");
    float *v = lua_newuserdatauv(L, (size_t)len * sizeof *v, 0);
    for (lua_Integer i = 1; i <= len; i++) {
        lua_geti(L, -2, i);
        v[i - 1] = (float)luaL_checknumber(L, -1);
        lua_pop(L, 1);
    }
    lua_remove(L, -2);
    *n = (uint32_t)len;
    return v;
}

/* The transform list at index (an array of { kind = ..., fields }), checked
 * by the engine at loader creation; arrays live in userdata left on the stack. */
static nn_transform *read_transforms(lua_State *L, int index, uint32_t *n)
{
    *n = 0;
    if (lua_isnoneornil(L, index))
        return NULL;
    luaL_checktype(L, index, LUA_TTABLE);
    lua_Integer len = luaL_len(L, index);
    luaL_argcheck(L, len >= 0 && len <= 64, index, "at most 64 transforms");
    nn_transform *t = lua_newuserdatauv(L, (size_t)(len ? len : 1) * sizeof *t, 0);
    int keep = lua_gettop(L);
    static const char *const kinds[] = {"normalize", "shift", "crop", "hflip", "noise", NULL};
    for (lua_Integer i = 1; i <= len; i++) {
        lua_geti(L, index, i);
        int tf = lua_gettop(L);
        luaL_checktype(L, tf, LUA_TTABLE);
        lua_getfield(L, tf, "kind");
        nn_transform *x = &t[i - 1];
        *x = (nn_transform){.kind = (nn_transform_kind)luaL_checkoption(L, -1, NULL, kinds)};
        lua_pop(L, 1);
        x->pixels = size_field(L, tf, "pixels");
        x->size_rows = size_field(L, tf, "size_rows");
        x->size_cols = size_field(L, tf, "size_cols");
        x->padding = size_field(L, tf, "padding");
        x->p = (float)number_field(L, tf, "p", 0.5);
        x->noise_std = (float)number_field(L, tf, "noise_std", 0);
        if (x->kind == NN_TRANSFORM_NORMALIZE) {
            uint32_t nm, ns;
            x->mean = floats_field(L, tf, "mean", &nm);
            x->std = floats_field(L, tf, "std", &ns);
            luaL_argcheck(L, nm == ns, index, "normalize: as many means as stds");
            x->n_values = nm;
            lua_rotate(L, tf, 2); /* keep the two arrays below the transform table */
            tf += 2;
        }
        lua_settop(L, tf - 1);
    }
    (void)keep;
    *n = (uint32_t)len;
    return t;
}

/* core.transforms_check(transforms, rows, cols) -> rows, cols of the samples
 * the chain makes from rows x cols ones; or nil and the engine's message. The
 * loader's own check, for lab.sweep before anything trains. */
static int transforms_check(lua_State *L)
{
    uint32_t n, rows = (uint32_t)luaL_checkinteger(L, 2), cols = (uint32_t)luaL_checkinteger(L, 3);
    nn_transform *chain = read_transforms(L, 1, &n);
    if (nn_transform_check(chain, n, rows, cols, &rows, &cols) != NN_OK) {
        lua_pushnil(L);
        lua_pushstring(L, nn_error_message());
        return 2;
    }
    lua_pushinteger(L, rows);
    lua_pushinteger(L, cols);
    return 2;
}

/* Whether the dataset of the loader at index (its user value 1) is closed. */
static bool loader_dataset_closed(lua_State *L, int index)
{
    lua_getiuservalue(L, index, 1);
    bool closed = dataset_closed(L, -1);
    lua_pop(L, 1);
    return closed;
}

#define DATASET_CLOSED "the loader's dataset was closed (close a dataset only once its loaders are done)"

/* Calls the loader's data.Lambda (the loader at stack index 1, as a light
 * userdata at 2) on a view of the batch; lambda_hook runs it protected. */
static int call_lambda(lua_State *L)
{
    lnn_loader *l = lua_touserdata(L, 2);
    lua_getiuservalue(L, 1, 2);
    lnn_push_view(L, 1, l->hook_batch, NULL, (int)l->hook_rows, (int)l->hook_features,
                  &l->generation, &l->x_writes);
    lua_call(L, 1, 0);
    if (loader_dataset_closed(L, 1)) { /* by the function: stop reading it */
        lua_pushliteral(L, "data.Lambda: " DATASET_CLOSED);
        return lua_error(L);
    }
    return 0;
}

/* The engine's batch hook for data.Lambda: calls the function (loader user
 * value 2) with the batch as a tensor view; an error stops the pass. Each call
 * is a new batch: it outdates the views of earlier ones, in an engine pass
 * (fit, evaluate) as in loader:batches(). A Lua error in it (out of memory
 * too) becomes the pass's failure, not a jump out of the engine's loop. */
static int lambda_hook(void *context, float *x, uint32_t batch, uint32_t features)
{
    lnn_loader *l = context;
    lua_State *L = l->hook_state;
    if (!L)
        return nn_fail(NN_EINVAL, "data.Lambda: the loader was used outside a pass") != NN_OK;
    int top = lua_gettop(L);
    l->generation++;
    l->hook_batch = x;
    l->hook_rows = batch;
    l->hook_features = features;
    lua_pushcfunction(L, call_lambda);
    lua_pushvalue(L, l->hook_loader_index);
    lua_pushlightuserdata(L, l);
    int failed = lua_pcall(L, 2, 0, 0) != LUA_OK;
    if (failed)
        nn_fail(NN_EINVAL, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "data.Lambda: error object is not a string");
    lua_settop(L, top);
    return failed;
}

/* core.loader_new(dataset, batch_size, shuffle, drop_last, seed, mean, std,
 *                 transforms, lambda) */
static int loader_new(lua_State *L)
{
    lnn_dataset *d = check_dataset(L, 1);
    lua_Integer batch = luaL_checkinteger(L, 2);
    nn_loader_config c = {
        /* out of uint32 range: 0, which the engine refuses with its message */
        .batch_size = batch >= 1 && batch <= UINT32_MAX ? (uint32_t)batch : 0,
        .shuffle = lua_toboolean(L, 3),
        .drop_last = lua_toboolean(L, 4),
        .seed = (uint64_t)luaL_optinteger(L, 5, 0),
    };
    if (!lua_isnoneornil(L, 6)) {
        c.normalize = 1;
        c.mean = (float)luaL_checknumber(L, 6);
        c.std = (float)luaL_checknumber(L, 7);
    }
    lua_settop(L, 9);
    if (!lua_isnil(L, 9))
        luaL_checktype(L, 9, LUA_TFUNCTION);
    c.transforms = read_transforms(L, 8, &c.n_transforms);
    lnn_loader *l = lua_newuserdatauv(L, sizeof *l, 2);
    *l = (lnn_loader){.batch_size = c.batch_size};
    luaL_setmetatable(L, LNN_LOADER);
    if (!lua_isnil(L, 9)) {
        c.batch_hook = lambda_hook;
        c.hook_context = l;
        lua_pushvalue(L, 9);
        lua_setiuservalue(L, -2, 2);
    }
    if (nn_loader_create(&l->loader, d->all, d->view.at ? &d->view : NULL, &c) != NN_OK)
        return lnn_push_failure(L);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1); /* the dataset must outlive the loader */
    return 1;
}

/* The loader at index, open and over an open dataset (the engine reads the
 * dataset's samples at every batch). */
static lnn_loader *check_loader(lua_State *L, int index)
{
    lnn_check_self(L, index, "loader");
    lnn_loader *l = luaL_checkudata(L, index, LNN_LOADER);
    if (!l->loader)
        luaL_argerror(L, index, "closed loader");
    if (loader_dataset_closed(L, index))
        luaL_error(L, "%s", DATASET_CLOSED);
    return l;
}

nn_loader *lnn_check_loader(lua_State *L, int index)
{
    return check_loader(L, index)->loader;
}

/* Marks the loader at index busy while the engine makes batches in this call
 * (the state and stack slot where its data.Lambda finds it); refused when it
 * already is: then this is its own data.Lambda, in the middle of a batch. */
static void claim(lua_State *L, lnn_loader *l, int index)
{
    if (l->busy)
        luaL_error(L, "data.Lambda: the loader is in a pass; a transform cannot start or go on with "
                      "a pass of its own loader (loader:batches(), fit or evaluate on it)");
    l->busy = true;
    l->hook_state = L;
    l->hook_loader_index = lua_absindex(L, index);
}

static void unclaim(lnn_loader *l)
{
    l->busy = false;
    l->hook_state = NULL;
}

nn_loader *lnn_loader_begin_pass(lua_State *L, int index, uint32_t *epoch)
{
    lnn_loader *l = check_loader(L, index);
    claim(L, l, index);
    l->passes++;
    l->generation++; /* a new pass outdates every batch view handed out so far */
    if (epoch)
        *epoch = l->next_epoch++;
    return l->loader;
}

void lnn_loader_end_pass(lua_State *L, int index)
{
    lnn_loader *l = luaL_checkudata(L, index, LNN_LOADER);
    l->generation++; /* as after loader:batches()'s last batch */
    unclaim(l);
}

/* The iterator of loader:batches(): upvalue 1 is the loader, upvalue 2 the
 * number of its pass, upvalue 3 the batches it has handed out. A loader has
 * one position, so a pass begun inside the loop (batches(), fit, evaluate or
 * predict on the same loader) would end the loop early, silently: refused at
 * the loop's next step, unless the loop had had all its batches. */
static int loader_iterate(lua_State *L)
{
    lnn_loader *l = luaL_checkudata(L, lua_upvalueindex(1), LNN_LOADER);
    if (!l->loader)
        return luaL_error(L, "closed loader");
    /* (inside its own data.Lambda, claim's refusal below says what is wrong) */
    if (!l->busy && (uint64_t)lua_tointeger(L, lua_upvalueindex(2)) != l->passes) {
        if (lua_tointeger(L, lua_upvalueindex(3)) >= (lua_Integer)nn_loader_batches(l->loader))
            return 0;
        return luaL_error(L, "loader:batches(): another pass of this loader (its batches(), or fit or evaluate "
                             "on it) began inside the loop over it, and a loader has one position "
                             "(a torch DataLoader's iterators are independent): give the inner pass a "
                             "DataLoader of its own");
    }
    if (loader_dataset_closed(L, lua_upvalueindex(1)))
        return luaL_error(L, "%s", DATASET_CLOSED);
    const float *x;
    const int32_t *y;
    uint32_t batch;
    lua_pushvalue(L, lua_upvalueindex(1)); /* a data.Lambda finds its loader here */
    claim(L, l, -1);
    l->generation++;
    int more = nn_loader_next(l->loader, &x, &y, &batch);
    unclaim(l);
    if (!more && nn_loader_failed(l->loader))
        return luaL_error(L, "%s", nn_error_message());
    if (!more)
        return 0;
    lua_pushinteger(L, lua_tointeger(L, lua_upvalueindex(3)) + 1);
    lua_replace(L, lua_upvalueindex(3));
    lnn_push_view(L, lua_upvalueindex(1), (float *)x, NULL, (int)batch,
                  (int)nn_loader_features(l->loader), &l->generation, &l->x_writes);
    const float *t = nn_loader_targets(l->loader);
    if (t)
        lnn_push_view(L, lua_upvalueindex(1), (float *)t, NULL, (int)batch,
                      (int)nn_loader_target_width(l->loader), &l->generation, &l->y_writes);
    else
        lnn_push_view(L, lua_upvalueindex(1), NULL, (int32_t *)y, (int)batch, 1, &l->generation,
                      &l->y_writes);
    return 2;
}

/* loader:batches() -> iterator over one epoch's (x, y); each call starts the
 * next epoch (a new shuffle order), like iterating a torch DataLoader again. */
static int loader_batches(lua_State *L)
{
    uint32_t epoch;
    nn_loader *loader = lnn_loader_begin_pass(L, 1, &epoch);
    nn_loader_start_epoch(loader, epoch);
    lnn_loader *l = lua_touserdata(L, 1);
    unclaim(l); /* busy again only while loader_iterate makes a batch */
    lua_pushvalue(L, 1);
    lua_pushinteger(L, (lua_Integer)l->passes);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, loader_iterate, 3);
    return 1;
}

static int loader_len(lua_State *L)
{
    lua_pushinteger(L, nn_loader_batches(check_loader(L, 1)->loader));
    return 1;
}

/* loader:info() -> { batches, samples, batch_size, epoch } */
static int loader_info(lua_State *L)
{
    lnn_loader *l = check_loader(L, 1);
    nn_loader *loader = l->loader;
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, nn_loader_batches(loader));
    lua_setfield(L, -2, "batches");
    lua_pushinteger(L, nn_loader_samples(loader));
    lua_setfield(L, -2, "samples");
    lua_pushinteger(L, l->batch_size);
    lua_setfield(L, -2, "batch_size");
    lua_pushinteger(L, l->next_epoch);
    lua_setfield(L, -2, "epoch");
    lua_pushinteger(L, nn_loader_features(loader));
    lua_setfield(L, -2, "features");
    return 1;
}

static int loader_release(lua_State *L)
{
    lnn_loader *l = luaL_checkudata(L, 1, LNN_LOADER);
    nn_loader_free(l->loader);
    l->loader = NULL;
    l->generation++;
    return 0;
}

/* `local l <close> = loader`: refused in its own data.Lambda, in the middle of
 * a batch. (__gc meets a busy loader only when the state closes, as
 * os.exit(code, true) in a Lambda does: its pass never goes on.) */
static int loader_close(lua_State *L)
{
    if (((lnn_loader *)luaL_checkudata(L, 1, LNN_LOADER))->busy)
        return luaL_error(L, "data.Lambda: the loader is in a pass; a transform cannot close its own loader");
    return loader_release(L);
}

static const luaL_Reg dataset_methods[] = {
    {"head", dataset_head}, {"subset", dataset_subset}, {"split", dataset_split}, {"info", dataset_info},
    {"label_counts", dataset_label_counts}, {"value_range", dataset_value_range}, {NULL, NULL},
};
static const luaL_Reg dataset_metamethods[] = {
    {"__len", dataset_len}, {"__gc", dataset_release}, {"__close", dataset_release},
    {NULL, NULL},
};
static const luaL_Reg loader_methods[] = {
    {"batches", loader_batches}, {"info", loader_info}, {NULL, NULL},
};
static const luaL_Reg loader_metamethods[] = {
    {"__len", loader_len}, {"__gc", loader_release}, {"__close", loader_close},
    {NULL, NULL},
};

void lnn_open_data(lua_State *L)
{
    lnn_create_meta(L, LNN_DATASET, dataset_methods, dataset_metamethods);
    lnn_create_meta(L, LNN_LOADER, loader_methods, loader_metamethods);
    lua_pushcfunction(L, dataset_load);
    lua_setfield(L, -2, "dataset_load");
    lua_pushcfunction(L, loader_new);
    lua_setfield(L, -2, "loader_new");
    lua_pushcfunction(L, transforms_check);
    lua_setfield(L, -2, "transforms_check");
    lua_pushcfunction(L, dataset_state);
    lua_setfield(L, -2, "dataset_state");
    lua_pushinteger(L, NN_LOADER_MAX_BATCH);
    lua_setfield(L, -2, "max_batch_size"); /* the engine's limit, for checks at the user's line */
}
