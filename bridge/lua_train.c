/* Whole-epoch training and evaluation from Lua: one bridge call per pass, so
 * the per-batch loop runs in C (lua/nnlab/train.lua builds fit() on these).
 * A pass stops between batches once a caught signal is recorded (see
 * lua_proc.c) and raises "interrupted". */
#include "nnlab_bridge.h"

#include "nn_train.h"

static void push_stats(lua_State *L, const nn_pass_stats *s)
{
    lua_createtable(L, 0, 7);
    lua_pushnumber(L, s->loss);
    lua_setfield(L, -2, "loss");
    lua_pushnumber(L, s->count ? 100.0 * (double)s->correct / (double)s->count : 0.0);
    lua_setfield(L, -2, "accuracy");
    lua_pushinteger(L, (lua_Integer)s->correct);
    lua_setfield(L, -2, "correct");
    lua_pushinteger(L, (lua_Integer)s->count);
    lua_setfield(L, -2, "count");
    lua_pushnumber(L, s->seconds);
    lua_setfield(L, -2, "seconds");
    lua_pushboolean(L, s->diverged);
    lua_setfield(L, -2, "diverged");
    lua_pushnumber(L, s->first_loss);
    lua_setfield(L, -2, "first_loss");
}

/* A pass reuses the model's output buffers: earlier outputs go stale, and
 * there is no forward left for a backward to follow. */
static void outdate_outputs(lnn_net *model)
{
    model->generation++;
    model->input = NULL;
}

/* Turns a pass's outcome into its stats table or the matching Lua error. */
static int finish_pass(lua_State *L, nn_status st, const nn_pass_stats *stats)
{
    if (st == NN_ECANCELED)
        return lnn_raise_interrupted(L);
    if (st != NN_OK)
        return lnn_engine_error(L, st);
    push_stats(L, stats);
    return 1;
}

/* core.train_epoch(model, loss_fn, optimizer, loader) -> stats */
static int train_epoch(lua_State *L)
{
    lnn_net *model = lnn_check_net(L, 1);
    int kind = lnn_check_loss_kind(L, 2);
    lnn_net *updated;
    nn_optim *opt = lnn_check_optim(L, 3, &updated);
    if (updated != model) /* nnlab.fit blames the user's line (train.lua's engine_pass) */
        return luaL_error(L, "fit: the optimizer was made for another model's parameters: make it from the "
                             "trained model's, optim.SGD(model:parameters(), ...)");
    uint32_t epoch;
    nn_loader *loader = lnn_loader_begin_pass(L, 4, &epoch);
    if (kind == NN_LOSS_MSE_ONEHOT && nn_loader_target_width(loader) > 0)
        kind = NN_LOSS_MSE; /* MSELoss on regression data: against its targets */
    outdate_outputs(model);
    nn_pass_stats stats;
    nn_status st = nn_train_epoch(model->net, (nn_loss_kind)kind, opt, loader, epoch,
                                  lnn_interrupt_flag(), &stats);
    lnn_loader_end_pass(L, 4);
    return finish_pass(L, st, &stats);
}

/* core.evaluate(model, loss_fn, loader) -> stats */
static int evaluate(lua_State *L)
{
    lnn_net *model = lnn_check_net(L, 1);
    int kind = lnn_check_loss_kind(L, 2);
    nn_loader *loader = lnn_loader_begin_pass(L, 3, NULL);
    if (kind == NN_LOSS_MSE_ONEHOT && nn_loader_target_width(loader) > 0)
        kind = NN_LOSS_MSE;
    outdate_outputs(model);
    nn_pass_stats stats;
    nn_status st = nn_evaluate(model->net, (nn_loss_kind)kind, loader, lnn_interrupt_flag(), &stats);
    lnn_loader_end_pass(L, 3);
    return finish_pass(L, st, &stats);
}

/* Pushes a list of n integers (or floats) as a Lua sequence. */
static void push_int_list(lua_State *L, const int32_t *v, uint32_t n)
{
    lua_createtable(L, (int)n, 0);
    for (uint32_t i = 0; i < n; i++) {
        lua_pushinteger(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static void push_float_list(lua_State *L, const float *v, uint32_t n)
{
    lua_createtable(L, (int)n, 0);
    for (uint32_t i = 0; i < n; i++) {
        lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* core.predict(model, loss_fn, loader) -> stats as core.evaluate's, plus
 * stats.label, stats.pred (0-based classes, -1 for a non-finite output) and
 * stats.confidence: lists with one entry per sample, in the loader's order. */
static int predict(lua_State *L)
{
    lnn_net *model = lnn_check_net(L, 1);
    int kind = lnn_check_loss_kind(L, 2);
    uint32_t n = nn_loader_samples(lnn_check_loader(L, 3));
    /* one block for the three arrays, owned by a userdata so an error frees it;
     * made before the pass begins, as nothing may raise during one */
    size_t bytes = (size_t)n * (2 * sizeof(int32_t) + sizeof(float)) + 1;
    char *block = lua_newuserdatauv(L, bytes, 0);
    nn_loader *loader = lnn_loader_begin_pass(L, 3, NULL);
    nn_predictions out = {.capacity = n, .label = (int32_t *)block, .pred = (int32_t *)block + n,
                          .confidence = (float *)((int32_t *)block + 2 * (size_t)n)};
    outdate_outputs(model);
    nn_pass_stats stats;
    nn_status st = nn_predict(model->net, (nn_loss_kind)kind, loader, lnn_interrupt_flag(), &out, &stats);
    lnn_loader_end_pass(L, 3);
    finish_pass(L, st, &stats);
    uint32_t seen = (uint32_t)stats.count;
    push_int_list(L, out.label, seen);
    lua_setfield(L, -2, "label");
    push_int_list(L, out.pred, seen);
    lua_setfield(L, -2, "pred");
    push_float_list(L, out.confidence, seen);
    lua_setfield(L, -2, "confidence");
    return 1;
}

void lnn_open_train(lua_State *L)
{
    lua_pushcfunction(L, predict);
    lua_setfield(L, -2, "predict");
    lua_pushcfunction(L, train_epoch);
    lua_setfield(L, -2, "train_epoch");
    lua_pushcfunction(L, evaluate);
    lua_setfield(L, -2, "evaluate");
}
