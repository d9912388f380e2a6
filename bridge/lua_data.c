/* Dataset and Loader userdata. A Dataset is a whole data set read from IDX
 * files, or a view of some of its samples (a subset or a split), which keeps
 * the whole one alive. A Loader batches a Dataset; loader:batches() iterates one
 * epoch and hands out x/y views that go stale at the next batch. */
#include "nnlab_bridge.h"

#include <inttypes.h>
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
    uint64_t generation; /* bumped by every batch: older x/y views are stale */
    uint32_t batch_size;
} lnn_loader;

static lnn_dataset *check_dataset(lua_State *L, int index)
{
    lnn_dataset *d = luaL_checkudata(L, index, LNN_DATASET);
    if (!d->all)
        luaL_argerror(L, index, "closed dataset");
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

/* ds:subset(n) -> a dataset of the first n samples */
static int dataset_subset(lua_State *L)
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

/* ds:split(n_valid, seed) -> train, valid (a seeded random split) */
static int dataset_split(lua_State *L)
{
    lnn_dataset *d = check_dataset(L, 1);
    lua_Integer n_valid = luaL_checkinteger(L, 2);
    lua_Integer seed = luaL_optinteger(L, 3, 0);
    luaL_argcheck(L, n_valid >= 1 && n_valid < dataset_count(d), 2,
                  "validation size must be between 1 and the sample count - 1");
    nn_indices all, train, valid;
    nn_status st = copy_indices(d, dataset_count(d), &all);
    if (st == NN_OK)
        st = nn_indices_split(&all, (uint32_t)n_valid, (uint64_t)seed, &train, &valid);
    nn_indices_free(&all);
    if (st != NN_OK)
        return lnn_engine_error(L, st);
    push_view(L, 1, d, train);
    push_view(L, 1, d, valid);
    return 2;
}

static int dataset_len(lua_State *L)
{
    lua_pushinteger(L, dataset_count(check_dataset(L, 1)));
    return 1;
}

/* ds:info() -> { count, rows, cols, classes, checksum, images_path, labels_path } */
static int dataset_info(lua_State *L)
{
    lnn_dataset *d = check_dataset(L, 1);
    const nn_dataset *all = d->all;
    lua_createtable(L, 0, 8);
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
    lua_Integer *counts = lua_newuserdatauv(L, sizeof *counts * classes, 0);
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

static int dataset_release(lua_State *L)
{
    lnn_dataset *d = luaL_checkudata(L, 1, LNN_DATASET);
    nn_indices_free(&d->view);
    nn_dataset_free(&d->data);
    d->all = NULL;
    return 0;
}

/* core.loader_new(dataset, batch_size, shuffle, drop_last, seed, mean, std) */
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
    lnn_loader *l = lua_newuserdatauv(L, sizeof *l, 1);
    *l = (lnn_loader){.batch_size = c.batch_size};
    luaL_setmetatable(L, LNN_LOADER);
    if (nn_loader_create(&l->loader, d->all, d->view.at ? &d->view : NULL, &c) != NN_OK)
        return lnn_push_failure(L);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1); /* the dataset must outlive the loader */
    return 1;
}

static lnn_loader *check_loader(lua_State *L, int index)
{
    lnn_loader *l = luaL_checkudata(L, index, LNN_LOADER);
    if (!l->loader)
        luaL_argerror(L, index, "closed loader");
    return l;
}

nn_loader *lnn_loader_begin_pass(lua_State *L, int index, uint32_t *epoch)
{
    lnn_loader *l = check_loader(L, index);
    l->generation++; /* a new pass outdates every batch view handed out so far */
    if (epoch)
        *epoch = l->next_epoch++;
    return l->loader;
}

/* The iterator of loader:batches(): upvalue 1 is the loader. */
static int loader_iterate(lua_State *L)
{
    lnn_loader *l = luaL_checkudata(L, lua_upvalueindex(1), LNN_LOADER);
    if (!l->loader)
        return luaL_error(L, "closed loader");
    const float *x;
    const int32_t *y;
    uint32_t batch;
    l->generation++;
    if (!nn_loader_next(l->loader, &x, &y, &batch))
        return 0;
    lua_Integer cols = lua_tointeger(L, lua_upvalueindex(2));
    lnn_push_view(L, lua_upvalueindex(1), (float *)x, NULL, (int)batch, (int)cols,
                  &l->generation);
    lnn_push_view(L, lua_upvalueindex(1), NULL, (int32_t *)y, (int)batch, 1, &l->generation);
    return 2;
}

/* loader:batches() -> iterator over one epoch's (x, y); each call starts the
 * next epoch (a new shuffle order), like iterating a torch DataLoader again. */
static int loader_batches(lua_State *L)
{
    uint32_t epoch;
    nn_loader *loader = lnn_loader_begin_pass(L, 1, &epoch);
    nn_loader_start_epoch(loader, epoch);
    lua_getiuservalue(L, 1, 1);
    lnn_dataset *d = check_dataset(L, -1);
    lua_pop(L, 1);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, (lua_Integer)d->all->rows * d->all->cols);
    lua_pushcclosure(L, loader_iterate, 2);
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

static const luaL_Reg dataset_methods[] = {
    {"subset", dataset_subset}, {"split", dataset_split}, {"info", dataset_info},
    {"label_counts", dataset_label_counts}, {NULL, NULL},
};
static const luaL_Reg dataset_metamethods[] = {
    {"__len", dataset_len}, {"__gc", dataset_release}, {"__close", dataset_release},
    {NULL, NULL},
};
static const luaL_Reg loader_methods[] = {
    {"batches", loader_batches}, {"info", loader_info}, {NULL, NULL},
};
static const luaL_Reg loader_metamethods[] = {
    {"__len", loader_len}, {"__gc", loader_release}, {"__close", loader_release},
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
    lua_pushinteger(L, NN_LOADER_MAX_BATCH);
    lua_setfield(L, -2, "max_batch_size"); /* the engine's limit, for checks at the user's line */
}
