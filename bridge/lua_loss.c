/* Loss functions (CrossEntropyLoss, MSELoss) and the Loss value they return.
 * loss_fn(y_pred, y) computes the mean loss and its gradient w.r.t. y_pred into
 * the function's reusable buffer; loss:backward() feeds that gradient to the
 * model that produced y_pred, as PyTorch's autograd would for this graph.
 *
 * The graph of a loss is used once, as PyTorch frees it after backward: a
 * second loss:backward() on the same loss is an error (PyTorch's "Trying to
 * backward through the graph a second time"), and so is a backward after the
 * model ran forward again or the loss function was called again (their saved
 * values are overwritten). Errors name the user's line (luaL_error level 1). */
#include "nnlab_bridge.h"

#include <string.h>

#include "nn_loss.h"
#include "nn_mem.h"
#include "nn_train.h"

typedef enum { LOSS_CROSS_ENTROPY, LOSS_MSE } loss_kind;

typedef struct lnn_lossfn {
    loss_kind kind;
    float *grad;         /* d(mean loss)/d(y_pred) of the latest call */
    size_t capacity;     /* floats in grad */
    uint64_t generation; /* bumped by every call */
} lnn_lossfn;

typedef struct lnn_loss {
    double value;
    int correct, count;
    uint64_t fn_generation;
    bool backward_done; /* loss:backward() already ran: the graph is freed */
} lnn_loss;

int lnn_check_loss_kind(lua_State *L, int index)
{
    lnn_lossfn *fn = luaL_checkudata(L, index, LNN_LOSSFN);
    return fn->kind == LOSS_MSE ? NN_LOSS_MSE_ONEHOT : NN_LOSS_CROSS_ENTROPY;
}

static const char *const loss_names[] = {"cross_entropy", "mse", NULL};

/* core.loss_kind(loss_fn) -> "cross_entropy" | "mse" */
static int lossfn_kind(lua_State *L)
{
    lnn_lossfn *fn = luaL_checkudata(L, 1, LNN_LOSSFN);
    lua_pushstring(L, loss_names[fn->kind]);
    return 1;
}

/* core.loss_new(kind) */
static int lossfn_new(lua_State *L)
{
    int kind = luaL_checkoption(L, 1, NULL, loss_names);
    lnn_lossfn *fn = lua_newuserdatauv(L, sizeof *fn, 0);
    *fn = (lnn_lossfn){.kind = (loss_kind)kind};
    luaL_setmetatable(L, LNN_LOSSFN);
    return 1;
}

static int lossfn_release(lua_State *L)
{
    lnn_lossfn *fn = luaL_checkudata(L, 1, LNN_LOSSFN);
    nn_free(fn->grad);
    fn->grad = NULL;
    fn->capacity = 0;
    fn->generation++;
    return 0;
}

/* Where a call of n gradient values writes: fn->grad when it holds them, else
 * a new buffer that replaces it only once the call succeeded (install_grad),
 * so that a failed call leaves the previous loss's gradient as it was. */
static float *grad_buffer(lua_State *L, lnn_lossfn *fn, size_t n)
{
    if (n <= fn->capacity)
        return fn->grad;
    float *grad = nn_alloc_floats(n);
    if (!grad)
        lnn_engine_error(L, NN_ENOMEM);
    return grad;
}

/* Ends a call that wrote its gradient into `grad` (from grad_buffer) with
 * status st: a new buffer becomes the function's on success and is freed on
 * failure, raised at the user's line. */
static void install_grad(lua_State *L, lnn_lossfn *fn, float *grad, size_t n, nn_status st)
{
    if (grad != fn->grad) {
        if (st != NN_OK) {
            nn_free(grad);
        } else {
            nn_free(fn->grad);
            fn->grad = grad;
            fn->capacity = n;
        }
    }
    if (st != NN_OK)
        lnn_engine_error(L, st);
}

/* Pushes a tensor's shape as PyTorch prints it: "(4,)" or "(4, 2)". */
static const char *push_shape(lua_State *L, const lnn_tensor *t)
{
    return t->ndim == 1 ? lua_pushfstring(L, "(%d,)", t->rows) : lua_pushfstring(L, "(%d, %d)", t->rows, t->cols);
}

/* loss_fn(y_pred, y) -> Loss. y: labels (B) for cross entropy and MSE-on-one-hot,
 * or a float tensor shaped like y_pred for MSE. Every check comes before the
 * gradient buffer is touched: an earlier Loss backs up from it until a call
 * succeeds. */
static int lossfn_call(lua_State *L)
{
    lnn_lossfn *fn = luaL_checkudata(L, 1, LNN_LOSSFN);
    /* called as loss_fn(pred, target): name the arguments, as the call has no name of its own */
    for (int arg = 2; arg <= 3; arg++)
        if (!luaL_testudata(L, arg, LNN_TENSOR))
            return luaL_error(L, "loss_fn(predictions, targets): the %s must be a tensor, got %s%s",
                              arg == 2 ? "predictions" : "targets", lua_isnone(L, arg) ? "" : "a ",
                              lua_isnone(L, arg) ? "nothing" : luaL_typename(L, arg));
    lnn_tensor *pred = lnn_check_tensor(L, 2);
    lnn_tensor *target = lnn_check_tensor(L, 3);
    lnn_check_fresh(L, pred, 2);
    lnn_check_fresh(L, target, 3);
    if (!pred->f) /* loss_fn(pred, target) is __call: arguments 2 and 3 are the user's 1 and 2 */
        return luaL_error(L, "loss_fn(predictions, targets): the predictions must be a float tensor, "
                             "got an integer one");
    if (target->rows != pred->rows)
        return luaL_error(L, "loss_fn(predictions, targets): predictions %s and targets %s differ in "
                             "their first dimension: give one target per row of predictions (%d)",
                          push_shape(L, pred), push_shape(L, target), pred->rows);
    if (target->labels && target->cols != 1)
        return luaL_error(L, "class labels must be 1-D, one per row of the predictions: (%d,), "
                             "not a (%d, %d) integer tensor (multi-target not supported)",
                          pred->rows, target->rows, target->cols);
    int B = pred->rows, C = pred->cols, correct = 0;
    if (fn->kind == LOSS_CROSS_ENTROPY && !target->labels)
        return luaL_error(L, "loss_fn(predictions, targets): cross entropy needs class labels as "
                             "targets (an integer tensor, nnlab.labels { ... }), got a float tensor "
                             "(nnlab has no class-probability targets)");
    if (fn->kind == LOSS_MSE && !target->labels) {
        if (target->cols != C)
            return luaL_error(L, "MSELoss: predictions %s and targets %s differ in shape; PyTorch would "
                                 "broadcast them, nnlab does not: give the targets the predictions' shape",
                              push_shape(L, pred), push_shape(L, target));
        if (target->ndim != pred->ndim && B > 1) /* C is 1: a 1-D tensor has one column */
            return luaL_error(L, "MSELoss: predictions %s and targets %s differ in shape; PyTorch "
                                 "would broadcast them to (%d, %d), every prediction against every "
                                 "target: give the targets the predictions' shape",
                              pred->ndim == 2 ? lua_pushfstring(L, "(%d, 1)", B) : lua_pushfstring(L, "(%d,)", B),
                              target->ndim == 2 ? lua_pushfstring(L, "(%d, 1)", B) : lua_pushfstring(L, "(%d,)", B),
                              B, B);
    }
    float loss = 0.0f;
    size_t n = (size_t)B * C;
    float *grad = grad_buffer(L, fn, n);
    nn_status st; /* the engine checks the labels before it writes any gradient */
    if (fn->kind == LOSS_CROSS_ENTROPY)
        st = nn_cross_entropy(pred->f, target->labels, B, C, &loss, grad, &correct);
    else if (target->labels)
        st = nn_mse_onehot(pred->f, target->labels, B, C, &loss, grad, &correct);
    else
        st = nn_mse(pred->f, target->f, B, C, &loss, grad);
    install_grad(L, fn, grad, n, st);
    fn->generation++;

    lnn_loss *value = lua_newuserdatauv(L, sizeof *value, 2);
    *value = (lnn_loss){.value = loss, .correct = correct, .count = B,
                        .fn_generation = fn->generation};
    luaL_setmetatable(L, LNN_LOSS);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 2);
    return 1;
}

/* loss:backward(): gradients of this loss into the model that made y_pred,
 * once per loss value (see the top of this file). */
static int loss_backward(lua_State *L)
{
    lnn_check_self(L, 1, "loss");
    lnn_loss *value = luaL_checkudata(L, 1, LNN_LOSS);
    if (!lua_isnoneornil(L, 2)) /* PyTorch's gradient or retain_graph: said, not ignored */
        return luaL_error(L, "loss:backward() takes no arguments, got %s: a loss is one number whose "
                             "gradient is 1 (no gradient to scale it by: scale the learning rate; no "
                             "retain_graph: compute the loss again to backward again)",
                          luaL_testudata(L, 2, LNN_TENSOR) ? "a tensor"
                                                           : lua_pushfstring(L, "a %s", luaL_typename(L, 2)));
    if (value->backward_done)
        return luaL_error(L, "Trying to backward through the graph a second time: loss:backward() "
                             "already ran for this loss (compute the loss again, from a new forward, "
                             "to backward again)");
    lua_getiuservalue(L, 1, 1);
    lnn_lossfn *fn = luaL_checkudata(L, -1, LNN_LOSSFN);
    if (fn->generation != value->fn_generation)
        return luaL_error(L, "Trying to backward through a graph that is gone: its loss function "
                             "has been called again since this loss was computed");
    lua_getiuservalue(L, 1, 2);
    lnn_tensor *pred = lnn_check_tensor(L, -1);
    if (pred->owner_generation && *pred->owner_generation != pred->generation)
        return luaL_error(L, "Trying to backward through a graph that is gone: the model ran "
                             "forward again (or was closed) since this loss was computed; "
                             "backward the loss of the latest forward");
    lnn_check_fresh(L, pred, 1);
    lua_getiuservalue(L, -1, 1); /* the prediction's owner */
    if (!luaL_testudata(L, -1, LNN_NET))
        return luaL_error(L, "backward needs predictions made by a model");
    lnn_net *ln = lnn_check_net(L, -1);
    if (!lnn_is_whole_output(pred, ln))
        return luaL_error(L, "backward needs the model's whole output: this loss was computed on "
                             "%d values of the (%d, %d) it gave (a row or a narrow of it), and a "
                             "model backs up from its whole output in one fused pass; run the model "
                             "on just those rows instead (model(x:narrow(0, start, n)))",
                          pred->rows * pred->cols, ln->output_rows, nn_net_output_size(ln->net));
    lnn_backward_chain(L, lua_gettop(L), fn->grad);
    value->backward_done = true;
    return 0;
}

static int loss_item(lua_State *L)
{
    lnn_method_args(L, 0, "loss:item()");
    lnn_check_self(L, 1, "loss");
    lua_pushnumber(L, ((lnn_loss *)luaL_checkudata(L, 1, LNN_LOSS))->value);
    return 1;
}

/* loss:correct() -> number of argmax hits in the batch, batch size */
static int loss_correct(lua_State *L)
{
    lnn_check_self(L, 1, "loss");
    lnn_loss *value = luaL_checkudata(L, 1, LNN_LOSS);
    lua_pushinteger(L, value->correct);
    lua_pushinteger(L, value->count);
    return 2;
}

/* loss + x, loss / k, ...: a loss is no tensor; said in one line, not Lua's
 * "attempt to perform arithmetic on a nnlab.Loss value". */
static int loss_arithmetic(lua_State *L)
{
    return luaL_error(L, "a loss supports no arithmetic: it backs up on its own (loss:backward()); to "
                         "average k accumulated batches, divide the learning rate by k; for a sum of "
                         "losses, call backward on each (gradients add up); loss:item() is its number");
}

static const luaL_Reg loss_metamethods[] = {
    {"__add", loss_arithmetic}, {"__sub", loss_arithmetic}, {"__mul", loss_arithmetic},
    {"__div", loss_arithmetic}, {"__mod", loss_arithmetic}, {"__pow", loss_arithmetic},
    {"__unm", loss_arithmetic}, {"__idiv", loss_arithmetic},
    {NULL, NULL},
};

static const luaL_Reg loss_methods[] = {
    {"backward", loss_backward},
    {"item", loss_item},
    {"correct", loss_correct},
    {NULL, NULL},
};

static const luaL_Reg lossfn_metamethods[] = {
    {"__call", lossfn_call},
    {"__gc", lossfn_release},
    {"__close", lossfn_release},
    {NULL, NULL},
};

void lnn_open_loss(lua_State *L)
{
    lnn_create_meta(L, LNN_LOSSFN, NULL, lossfn_metamethods);
    /* __tostring is lua/nnlab/init.lua's: PyTorch's number format, as a tensor's */
    lnn_create_meta(L, LNN_LOSS, loss_methods, loss_metamethods);
    lua_pushcfunction(L, lossfn_new);
    lua_setfield(L, -2, "loss_new");
    lua_pushcfunction(L, lossfn_kind);
    lua_setfield(L, -2, "loss_kind");
}
