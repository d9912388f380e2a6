/* Net userdata: a Sequential network. Built from a list of layer specs (Lua
 * tables made by lua/nnlab/nn.lua), called like a function for the forward
 * pass; its output is a view that goes stale at the next forward. */
#include "nnlab_bridge.h"
#include "nn_hash.h"

#include <limits.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

lnn_net *lnn_check_net(lua_State *L, int index)
{
    lnn_check_self(L, index, "model");
    lnn_net *ln = luaL_checkudata(L, index, LNN_NET);
    if (ln->net == NULL)
        luaL_argerror(L, index, "closed model");
    return ln;
}

static lnn_net *push_inert_net(lua_State *L)
{
    lnn_net *ln = lua_newuserdatauv(L, sizeof *ln, 1);
    *ln = (lnn_net){0};
    luaL_setmetatable(L, LNN_NET);
    return ln;
}

static lua_Integer field_integer(lua_State *L, int table, const char *key, lua_Integer dflt)
{
    lua_getfield(L, table, key);
    int ok;
    lua_Integer v = lua_tointegerx(L, -1, &ok);
    if (!ok && !lua_isnil(L, -1))
        luaL_error(L, "layer field '%s' must be an integer", key);
    lua_pop(L, 1);
    return ok ? v : dflt;
}

static lua_Number field_number(lua_State *L, int table, const char *key, lua_Number dflt)
{
    lua_getfield(L, table, key);
    int ok;
    lua_Number v = lua_tonumberx(L, -1, &ok);
    if (!ok && !lua_isnil(L, -1))
        luaL_error(L, "layer field '%s' must be a number", key);
    lua_pop(L, 1);
    return ok ? v : dflt;
}

/* Pushes field `key` and returns it as a name for the engine's lookups: dflt
 * when nil, "?" when it is no string. The pushed field keeps the string alive. */
static const char *push_field_name(lua_State *L, int table, const char *key, const char *dflt)
{
    lua_getfield(L, table, key);
    const char *s = lua_isnil(L, -1) ? dflt : lua_tostring(L, -1);
    return s ? s : "?";
}

/* Reads a layer size field of spec `s` (layer `index`, 0-based) into *out;
 * false, with the engine's message for a size out of range, for a value past
 * int's range, which the engine cannot be given (a cast would name another). */
static bool read_size(lua_State *L, int table, const char *key, const nn_layer_spec *s, int index,
                      int *out)
{
    lua_Integer v = field_integer(L, table, key, 0);
    if (v < INT_MIN || v > INT_MAX)
        return nn_fail(NN_EINVAL, "layer %d (%s): %s %lld out of range (1..%d)", index + 1,
                       nn_layer_kind_name(s->kind), key, (long long)v, NN_NET_MAX_FEATURES) == NN_OK;
    *out = (int)v;
    return true;
}

/* A layer's number, which the engine keeps as a float: one past float's range
 * is named as given (a cast would make it inf, and the message "slope inf"). */
static bool read_float(lua_State *L, int table, const char *key, double fallback, const nn_layer_spec *s,
                       int index, float *out)
{
    double v = field_number(L, table, key, fallback);
    if (isfinite(v) && fabs(v) > FLT_MAX)
        return nn_fail(NN_EINVAL, "layer %d (%s): %s %.9g is past the largest 32-bit float (%.6g)", index + 1,
                       nn_layer_kind_name(s->kind), key, v, (double)FLT_MAX) == NN_OK;
    *out = (float)v;
    return true;
}

/* Reads the spec at the top of the stack (layer `index`, 0-based) into *s;
 * false, with the engine's message, for an unknown name or a size past int's
 * range. Names are looked up by the engine, which also words the error for an
 * unknown one; it checks the values when it builds the network. */
static bool read_spec(lua_State *L, int table, int index, nn_layer_spec *s)
{
    *s = (nn_layer_spec){0};
    const char *kind = push_field_name(L, table, "kind", NULL);
    bool known = nn_layer_kind_from_name(&s->kind, kind) == NN_OK;
    lua_pop(L, 1);
    if (!known || !read_size(L, table, "in_features", s, index, &s->in_features) ||
        !read_size(L, table, "out_features", s, index, &s->out_features))
        return false;
    const char *init = push_field_name(L, table, "init", nn_init_name(NN_INIT_TORCH));
    known = nn_init_from_name(&s->init, init) == NN_OK;
    lua_pop(L, 1);
    return known && read_float(L, table, "negative_slope", 0.01, s, index, &s->slope) &&
           read_float(L, table, "p", 0.5, s, index, &s->p);
}

/* core.net_new(specs, seed) -> net | nil, message */
static int net_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer seed = luaL_checkinteger(L, 2);
    lua_Integer n = luaL_len(L, 1);
    luaL_argcheck(L, n >= 1 && n <= 4096, 1, "need between 1 and 4096 layers");
    lnn_net *ln = push_inert_net(L);
    nn_layer_spec *specs = lua_newuserdatauv(L, sizeof *specs * (size_t)n, 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_geti(L, 1, i + 1);
        luaL_argcheck(L, lua_istable(L, -1), 1, "every layer must be a table");
        if (!read_spec(L, lua_gettop(L), (int)i, &specs[i]))
            return lnn_push_failure(L);
        lua_pop(L, 1);
    }
    nn_status st = nn_net_create(&ln->net, specs, (int)n, (uint64_t)seed);
    lua_pop(L, 1); /* specs */
    if (st != NN_OK)
        return lnn_push_failure(L);
    return 1;
}

/* core.net_load(path) -> net | nil, message */
static int net_load(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lnn_net *ln = push_inert_net(L);
    if (nn_net_load(&ln->net, path) != NN_OK)
        return lnn_push_failure(L);
    return 1;
}

/* PyTorch's words for a value that backward needs and that was written in
 * place since the forward (its version counter moved on). */
static void raise_modified(lua_State *L, const char *what, const char *how, uint64_t version,
                           uint64_t expected)
{
    luaL_error(L, "one of the variables needed for gradient computation has been modified by an "
                  "inplace operation: the model's %s at version %I; expected version %I instead "
                  "(%s after the forward: run the model again after changing it)", what,
               (lua_Integer)version, (lua_Integer)expected, how);
}

void lnn_check_saved_values(lua_State *L, const lnn_net *ln)
{
    if (!ln->input)
        luaL_error(L, "backward before any forward");
    if (!ln->input->f || (ln->input->owner_generation &&
                          *ln->input->owner_generation != ln->input_generation))
        luaL_error(L, "the model's input was overwritten or closed before backward");
    if (ln->input_was_output)
        luaL_error(L, "cannot backward through model(model(x)): the last forward's input was the "
                      "model's own earlier output, and a model keeps the values of its last forward "
                      "only, so the gradient through the first call would be missing");
    if (lnn_tensor_version(ln->input) != ln->input_version)
        raise_modified(L, "input is", "it was written to, with t[i] = x or t:set,", lnn_tensor_version(ln->input),
                       ln->input_version);
    if (ln->output_writes != ln->output_version)
        raise_modified(L, "output is", "it was written to, with t[i] = x or t:set,", ln->output_writes,
                       ln->output_version);
    if (ln->weight_writes != ln->weight_version)
        raise_modified(L, "weights are", "optimizer:step() changed them", ln->weight_writes, ln->weight_version);
}

/* model(x) -> output view (batch, out); stale after the next call. An x that
 * is a view of this model's own output (model(model(x))) is copied first, as
 * the forward overwrites that memory while it reads it: the result is
 * PyTorch's. */
static int net_forward(lua_State *L)
{
    lnn_net *ln = lnn_check_net(L, 1);
    if (lua_gettop(L) > 2) /* model(x, y): the second was never used */
        return luaL_error(L, "model(x) takes one input, got %d", lua_gettop(L) - 1);
    if (!luaL_testudata(L, 2, LNN_TENSOR)) /* model(x) is __call: the user's x is argument 2 */
        return luaL_error(L, "model(x): x must be a tensor (nnlab.tensor { { ... } }), got %s",
                          lua_isnoneornil(L, 2) ? "nothing" : lua_pushfstring(L, "a %s", luaL_typename(L, 2)));
    lnn_tensor *x = lnn_check_tensor(L, 2);
    lnn_check_fresh(L, x, 2);
    if (!x->f) /* (argument 2 of __call, the user's first) */
        return luaL_error(L, "model(x): x must be a float tensor, got an integer one (class labels?)");
    int in = nn_net_input_size(ln->net);
    if (x->ndim == 1) /* (n,) is n rows of one column here; PyTorch's Linear reads it as one sample */
        return luaL_error(L, "model input must be 2-D (batch, features = %d), got a 1-D (%d,) tensor: "
                             "PyTorch would take it as one sample of %d features; give "
                             "nnlab.tensor { { ... } } (one row per sample)", in, x->rows, x->rows);
    if (x->cols != in)
        return luaL_error(L, "model expects %d input features but got a (%d, %d) tensor", in,
                          x->rows, x->cols);
    bool own_output = x->owner_generation == &ln->generation;
    if (own_output) {
        lnn_tensor *copy = lnn_push_tensor(L, x->ndim, x->rows, x->cols, false);
        memcpy(copy->f, x->f, (size_t)x->rows * (size_t)x->cols * sizeof *x->f);
        lua_replace(L, 2);
        x = copy;
    }
    /* The forward reuses (and, for a larger batch, frees) the output buffers:
     * the views of the last one go stale and its saved values are gone even
     * when this forward fails. */
    ln->generation++;
    ln->input = NULL;
    ln->output = NULL;
    const float *y;
    nn_status st = nn_net_forward(ln->net, x->f, x->rows, &y);
    if (st != NN_OK)
        return lnn_engine_error(L, st);
    ln->input = x;
    ln->input_generation = x->generation;
    ln->input_version = lnn_tensor_version(x);
    ln->input_was_output = own_output;
    ln->output = y;
    ln->output_rows = x->rows;
    ln->output_version = ln->output_writes;
    ln->weight_version = ln->weight_writes;
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, 1); /* keep x alive until the next forward */
    lnn_push_view(L, 1, (float *)y, NULL, x->rows, nn_net_output_size(ln->net), &ln->generation,
                  &ln->output_writes);
    return 1;
}

bool lnn_is_whole_output(const lnn_tensor *t, const lnn_net *ln)
{
    return t->f == ln->output && t->rows == ln->output_rows && t->cols == nn_net_output_size(ln->net);
}

/* The model whose whole last output is the last forward's input of the model
 * at `index` (m1 in m2(m1(x))), pushed; NULL, with nothing pushed, when that
 * input is not a model's output (data, a loader's batch, a tensor of its own).
 * An input that is part of a model's output is an error: its gradient would
 * have to be routed through the slice. */
static lnn_net *push_producer(lua_State *L, int index, const lnn_net *ln)
{
    lua_getiuservalue(L, index, 1); /* the input, kept alive by the forward */
    lua_getiuservalue(L, -1, 1);    /* its owner, for a view */
    lnn_net *producer = luaL_testudata(L, -1, LNN_NET);
    lua_remove(L, -2);
    if (!producer) {
        lua_pop(L, 1);
        return NULL;
    }
    const lnn_tensor *x = ln->input;
    if (!lnn_is_whole_output(x, producer))
        luaL_error(L, "backward through model_b(model_a(x)) needs model_a's whole output as "
                      "model_b's input: model_b ran on %d values of the (%d, %d) model_a gave (a row "
                      "or a narrow of it); run model_a on just those rows instead",
                   x->rows * x->cols, producer->output_rows, nn_net_output_size(producer->net));
    return producer;
}

/* Backward from dy (the output gradient of the model at `index`), then on
 * through every model whose whole output fed the next one's last forward
 * (m3(m2(m1(x)))), as PyTorch routes it: each gets the gradient of its
 * output, the input gradient of the model it fed. Every link's saved values
 * are checked before any gradient is added, so an error leaves every
 * gradient as it was. */
void lnn_backward_chain(lua_State *L, int index, const float *dy)
{
    enum { MAX_CHAIN = 64 };
    lnn_net *chain[MAX_CHAIN];
    int n = 0, top = lua_gettop(L);
    lua_pushvalue(L, index);
    for (lnn_net *ln = lnn_check_net(L, -1); ln; ln = push_producer(L, -1, ln)) {
        if (n == MAX_CHAIN)
            luaL_error(L, "backward through more than %d models fed one into the next", MAX_CHAIN);
        luaL_checkstack(L, 2, "backward through models fed one into the next");
        lnn_check_saved_values(L, ln);
        chain[n++] = ln;
    }
    lua_settop(L, top);
    for (int i = 0; i < n; i++) {
        const float *dx = NULL;
        nn_status st = i + 1 < n ? nn_net_backward_input(chain[i]->net, dy, &dx)
                                 : nn_net_backward(chain[i]->net, dy);
        if (st != NN_OK)
            lnn_engine_error(L, st);
        dy = dx;
    }
}

/* model:backward(dy): dy (batch, out) for the last forward, and on into the
 * models whose outputs fed it (lnn_backward_chain). */
static int net_backward(lua_State *L)
{
    lnn_net *ln = lnn_check_net(L, 1);
    lnn_tensor *dy = lnn_check_tensor(L, 2);
    lnn_check_fresh(L, dy, 2);
    luaL_argcheck(L, dy->f != NULL, 2, "gradient must be a float tensor");
    lnn_check_saved_values(L, ln);
    if (dy->ndim != 2 || dy->rows != ln->input->rows || dy->cols != nn_net_output_size(ln->net))
        return luaL_error(L, "model:backward(gradient): the gradient is %s, but the output is (%d, %d): give "
                             "one of the output's shape",
                          dy->ndim == 1 ? lua_pushfstring(L, "(%d,)", dy->rows)
                                        : lua_pushfstring(L, "(%d, %d)", dy->rows, dy->cols),
                          ln->input->rows, nn_net_output_size(ln->net));
    lnn_backward_chain(L, 1, dy->f);
    return 0;
}

static int net_zero_grad(lua_State *L)
{
    lnn_method_args(L, 0, "model:zero_grad()");
    nn_net_zero_grad(lnn_check_net(L, 1)->net);
    return 0;
}

static int net_set_mode(lua_State *L, bool training)
{
    nn_net_set_training(lnn_check_net(L, 1)->net, training);
    lua_settop(L, 1);
    return 1;
}
/* model:train([mode = true]): mode a boolean, as PyTorch's train(mode) asks */
static int net_train(lua_State *L)
{
    lnn_method_args(L, 1, "model:train(mode)");
    if (!lua_isnone(L, 2) && !lua_isboolean(L, 2))
        return luaL_error(L, "model:train(mode): mode must be true or false, got a %s", luaL_typename(L, 2));
    return net_set_mode(L, lua_isnone(L, 2) ? true : lua_toboolean(L, 2));
}
static int net_eval(lua_State *L)
{
    lnn_method_args(L, 0, "model:eval()");
    return net_set_mode(L, false);
}

static int net_training(lua_State *L)
{
    lnn_method_args(L, 0, "model:training()");
    lua_pushboolean(L, nn_net_training(lnn_check_net(L, 1)->net));
    return 1;
}

static int net_num_parameters(lua_State *L)
{
    lnn_method_args(L, 0, "model:num_parameters()");
    lua_pushinteger(L, (lua_Integer)nn_net_param_count(lnn_check_net(L, 1)->net));
    return 1;
}

static int net_sizes(lua_State *L)
{
    lnn_net *ln = lnn_check_net(L, 1);
    lua_pushinteger(L, nn_net_input_size(ln->net));
    lua_pushinteger(L, nn_net_output_size(ln->net));
    return 2;
}

/* model:layers() -> array of spec tables, as nn.lua builds them. */
static int net_layers(lua_State *L)
{
    lnn_method_args(L, 0, "model:layers()");
    lnn_net *ln = lnn_check_net(L, 1);
    int n = nn_net_layer_count(ln->net);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        const nn_layer_spec *s = nn_net_layer(ln->net, i);
        lua_createtable(L, 0, 5);
        lua_pushstring(L, nn_layer_kind_name(s->kind));
        lua_setfield(L, -2, "kind");
        if (s->kind == NN_LAYER_LINEAR) {
            lua_pushinteger(L, s->in_features);
            lua_setfield(L, -2, "in_features");
            lua_pushinteger(L, s->out_features);
            lua_setfield(L, -2, "out_features");
            lua_pushstring(L, nn_init_name(s->init));
            lua_setfield(L, -2, "init");
        } else if (s->kind == NN_LAYER_LEAKY_RELU) {
            lua_pushnumber(L, s->slope);
            lua_setfield(L, -2, "negative_slope");
        } else if (s->kind == NN_LAYER_DROPOUT) {
            lua_pushnumber(L, s->p);
            lua_setfield(L, -2, "p");
        }
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* model:parameter_values() -> flat array of every parameter (W then b per layer). */
static int net_parameter_values(lua_State *L)
{
    lnn_net *ln = lnn_check_net(L, 1);
    size_t n = nn_net_param_count(ln->net);
    const float *p = nn_net_params(ln->net);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, p[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* The i-th (0-based) parameter tensor in PyTorch's order (each Linear's
 * weight then bias, layer by layer): its layer, whether it is the bias, and
 * its offset and shape in the flat buffers. False when there is no such one. */
static bool param_tensor(const nn_net *net, lua_Integer i, int *layer, bool *bias, ptrdiff_t *offset,
                         int *rows, int *cols)
{
    for (int l = 0, n = nn_net_layer_count(net); l < n && i >= 0; l++) {
        const nn_layer_spec *s = nn_net_layer(net, l);
        if (s->kind != NN_LAYER_LINEAR)
            continue;
        if (i <= 1) {
            *layer = l;
            *bias = i == 1;
            *offset = *bias ? nn_net_bias_offset(net, l) : nn_net_weight_offset(net, l);
            *rows = s->out_features;
            *cols = *bias ? 1 : s->in_features;
            return true;
        }
        i -= 2;
    }
    return false;
}

/* model:parameter_tensors() -> { { layer = 0-based index, name = "weight" |
 * "bias", size = { out, in } | { out } }, ... } in PyTorch's order. */
static int net_parameter_tensors(lua_State *L)
{
    lnn_net *ln = lnn_check_net(L, 1);
    lua_newtable(L);
    int layer, rows, cols;
    bool bias;
    ptrdiff_t offset;
    for (lua_Integer i = 0; param_tensor(ln->net, i, &layer, &bias, &offset, &rows, &cols); i++) {
        lua_createtable(L, 0, 3);
        lua_pushinteger(L, layer);
        lua_setfield(L, -2, "layer");
        lua_pushstring(L, bias ? "bias" : "weight");
        lua_setfield(L, -2, "name");
        lua_createtable(L, 2, 0);
        lua_pushinteger(L, rows);
        lua_rawseti(L, -2, 1);
        if (!bias) {
            lua_pushinteger(L, cols);
            lua_rawseti(L, -2, 2);
        }
        lua_setfield(L, -2, "size");
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* model:parameter_copy(i, "data" | "grad") -> a new tensor holding a copy of
 * the i-th (1-based) parameter tensor's values or gradient, shaped like it:
 * weight (out, in), bias (out). A copy, so later backwards, steps or fit
 * never change it. */
static int net_parameter_copy(lua_State *L)
{
    lnn_net *ln = lnn_check_net(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    static const char *const which[] = {"data", "grad", NULL};
    int grad = luaL_checkoption(L, 3, NULL, which);
    int layer, rows, cols;
    bool bias;
    ptrdiff_t offset;
    if (i < 1 || !param_tensor(ln->net, i - 1, &layer, &bias, &offset, &rows, &cols))
        return luaL_argerror(L, 2, "no such parameter tensor");
    const float *src = (grad ? nn_net_grads(ln->net) : nn_net_params(ln->net)) + offset;
    lnn_tensor *t = lnn_push_tensor(L, bias ? 1 : 2, rows, cols, false);
    memcpy(t->f, src, (size_t)rows * (size_t)cols * sizeof(float));
    return 1;
}

/* model:clip_grad_norm(max_norm, norm_type) -> the total norm of all the
 * model's gradients before clipping; scales them by max_norm / (norm + 1e-6)
 * when that is below 1 (torch.nn.utils.clip_grad_norm_). norm_type > 0, or
 * math.huge for the max norm. */
static int net_clip_grad_norm(lua_State *L)
{
    lnn_net *ln = lnn_check_net(L, 1);
    lua_Number max_norm = luaL_checknumber(L, 2);
    lua_Number p = luaL_checknumber(L, 3);
    luaL_argcheck(L, max_norm >= 0 && max_norm <= HUGE_VAL, 2, "max_norm must be a number >= 0");
    luaL_argcheck(L, p > 0, 3, "norm_type must be > 0 (or math.huge)");
    double total = nn_net_grad_norm(ln->net, p);
    double coef = max_norm / (total + 1e-6);
    if (!(coef >= 1.0)) /* a NaN total makes every gradient NaN, as PyTorch's clamp(coef, max=1) does */
        nn_net_scale_grads(ln->net, (float)coef);
    lua_pushnumber(L, total);
    return 1;
}

/* model:checksum() -> 16 hex digits, e.g. for cache keys: a hash of the
 * parameters' bytes (float32, little-endian, W then b per layer) taken as
 * 64-bit little-endian words (the last one zero-padded when the count of
 * floats is odd). Word i goes to lane i mod 4, each lane an FNV-1a 64 over its
 * words with the high half folded down after each multiply (nn_hash_word, from
 * the offset basis); then FNV-1a 64 over
 * the bytes of the 4 lanes (little-endian) and of the byte count. Four
 * independent multiply chains of whole words: a big sweep fingerprints every
 * run's model while planning, and byte-wise FNV-1a took 120 µs for an 84 KB
 * model (one dependent multiply per byte). tests/nnlab/test_notebook_units.lua
 * restates it in Lua. */
static int net_checksum(lua_State *L)
{
    lnn_method_args(L, 0, "model:checksum()");
    lnn_net *ln = lnn_check_net(L, 1);
    const float *params = nn_net_params(ln->net);
    size_t floats = nn_net_param_count(ln->net);
    const uint64_t basis = NN_FNV_OFFSET, prime = NN_FNV_PRIME;
    uint64_t lane[4] = {basis, basis, basis, basis};
    size_t words = (floats + 1) / 2, i = 0;
    /* whole groups of 4 words, one per lane, with no test per word (the
     * planning of 10^5 runs hashes a model per run: 35 -> 11 us for 54 010
     * parameters on a Zen 5) */
    uint64_t l0 = basis, l1 = basis, l2 = basis, l3 = basis;
    for (; i + 4 <= floats / 2; i += 4) {
        uint64_t w[4];
        memcpy(w, params + 2 * i, sizeof w); /* 8 floats: little-endian pairs */
        l0 = nn_hash_word(l0, w[0]);
        l1 = nn_hash_word(l1, w[1]);
        l2 = nn_hash_word(l2, w[2]);
        l3 = nn_hash_word(l3, w[3]);
    }
    lane[0] = l0, lane[1] = l1, lane[2] = l2, lane[3] = l3;
    for (; i < words; i++) {
        uint32_t lo, hi = 0;
        memcpy(&lo, params + 2 * i, sizeof lo);
        if (2 * i + 1 < floats)
            memcpy(&hi, params + 2 * i + 1, sizeof hi);
        uint64_t word = (uint64_t)lo | (uint64_t)hi << 32; /* little-endian pair */
        lane[i % 4] = nn_hash_word(lane[i % 4], word);
    }
    uint64_t tail[5] = {lane[0], lane[1], lane[2], lane[3], (uint64_t)floats * sizeof(float)};
    uint64_t h = basis;
    for (int w = 0; w < 5; w++)
        for (int byte = 0; byte < 8; byte++)
            h = (h ^ ((tail[w] >> (8 * byte)) & 0xffu)) * prime;
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
    lua_pushstring(L, hex);
    return 1;
}

/* model:save(path [, { deflate = true }]) -> true | nil, message; deflate:
 * the model file deflated (nn_net_save_deflated) */
static int net_save(lua_State *L)
{
    lnn_net *ln = lnn_check_net(L, 1);
    const char *path = luaL_checkstring(L, 2);
    bool deflate = false;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        lua_getfield(L, 3, "deflate");
        luaL_argcheck(L, lua_isnil(L, -1) || lua_isboolean(L, -1), 3, "deflate must be a boolean");
        deflate = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    if ((deflate ? nn_net_save_deflated : nn_net_save)(ln->net, path) != NN_OK)
        return lnn_push_failure(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int net_release(lua_State *L)
{
    lnn_net *ln = luaL_checkudata(L, 1, LNN_NET);
    nn_net_free(ln->net);
    ln->net = NULL;
    ln->input = NULL;
    ln->generation++;
    return 0;
}

static const luaL_Reg net_methods[] = {
    {"forward", net_forward},
    {"backward", net_backward},
    {"zero_grad", net_zero_grad},
    {"train", net_train},
    {"eval", net_eval},
    {"training", net_training},
    {"num_parameters", net_num_parameters},
    {"sizes", net_sizes},
    {"layers", net_layers},
    {"parameter_values", net_parameter_values},
    {"parameter_tensors", net_parameter_tensors},
    {"parameter_copy", net_parameter_copy},
    {"clip_grad_norm", net_clip_grad_norm},
    {"checksum", net_checksum},
    {"save", net_save},
    {NULL, NULL},
};

static const luaL_Reg net_metamethods[] = {
    {"__call", net_forward},
    {"__gc", net_release},
    {"__close", net_release},
    {NULL, NULL},
};

/* core.net_dropout_draws(model) -> the random numbers its dropout layers
 * have drawn (nn_net_dropout_draws): a cache key's part of a model. */
static int net_dropout_draws(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)nn_net_dropout_draws(lnn_check_net(L, 1)->net));
    return 1;
}

void lnn_open_net(lua_State *L)
{
    lnn_create_meta(L, LNN_NET, net_methods, net_metamethods);
    lua_pushcfunction(L, net_new);
    lua_setfield(L, -2, "net_new");
    lua_pushcfunction(L, net_load);
    lua_setfield(L, -2, "net_load");
    lua_pushcfunction(L, net_dropout_draws);
    lua_setfield(L, -2, "net_dropout_draws");
}
