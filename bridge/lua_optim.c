/* Optimizer userdata over one model's flat parameter buffer, plus the engine's
 * checks of learning-rate schedules. Option names and defaults are lua/nnlab/optim.lua's;
 * this file reads a complete config table and lets the engine validate it.
 *
 * The learning rate is shown as the user set it: optimizer:lr() and
 * config().lr return the double given to the constructor or set_lr (0.001,
 * not 0.0010000000474975). The engine keeps a float32 and steps with
 * nn_hyperparameter_as_written of it, as before: numbers are unchanged. */
#include "nnlab_bridge.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_optim.h"

typedef struct lnn_optim {
    nn_optim *opt; /* NULL once closed */
    double lr;     /* the learning rate as the user set it */
} lnn_optim;

static const char *const optim_names[] = {"SGD", "Adam", "AdamW", NULL};
static const char *const schedule_names[] = {"constant", "step", "exponential", "cosine", NULL};

/* The values float_value kept as another number than the one given (0.99999999
 * as 1), so that a refusal of one names it as given (name_as_given). */
typedef struct rounded_values {
    int count;
    struct {
        const char *name;
        lua_Number given;
    } value[8];
} rounded_values;

/* v as the engine keeps it, a float32, in *out; false, with the message
 * naming v as given, when v is finite but past float32's range (as a float it
 * would be inf, and the engine's message would say inf). A value whose float
 * differs from it is noted in *rounded. */
static bool float_value(const char *name, lua_Number v, float *out, rounded_values *rounded)
{
    if (isfinite(v) && fabs(v) > FLT_MAX) {
        char shown[32]; /* as Lua prints it, or every digit when that reads back otherwise */
        snprintf(shown, sizeof shown, "%.14g", v);
        if (strtod(shown, NULL) != v)
            snprintf(shown, sizeof shown, "%.17g", v);
        return nn_fail(NN_EINVAL, "invalid %s: %s (out of range: the engine keeps it as a "
                                  "32-bit float, at most %g)", name, shown, (double)FLT_MAX) == NN_OK;
    }
    *out = (float)v;
    if (!isnan(v) && (double)*out != v && rounded->count < 8) {
        rounded->value[rounded->count].name = name;
        rounded->value[rounded->count].given = v;
        rounded->count++;
    }
    return true;
}

/* After the engine refused a setting: when its message ("invalid beta2: 1
 * (must be in [0, 1))") names a value that float_value rounded to what the
 * message shows as another number, the message names it as given too ("invalid beta2: 0.99999999 (which rounds to 1 as a
 * 32-bit float; must be in [0, 1))"), as nn.Dropout's does. */
static void name_as_given(const rounded_values *rounded)
{
    const char *msg = nn_error_message();
    for (int i = 0; i < rounded->count; i++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "invalid %s: ", rounded->value[i].name);
        size_t n = strlen(prefix);
        const char *open = strstr(msg, " (");
        if (strncmp(msg, prefix, n) != 0 || !open)
            continue;
        char shown[32], kept[64];
        snprintf(shown, sizeof shown, "%.14g", rounded->value[i].given);
        if (strtod(shown, NULL) != rounded->value[i].given)
            snprintf(shown, sizeof shown, "%.17g", rounded->value[i].given);
        snprintf(kept, sizeof kept, "%.*s", (int)(open - msg - n), msg + n);
        if (strcmp(kept, shown) == 0) /* -0.1 reads -0.1 either way: rounding is not the cause */
            continue;
        char rest[256];
        snprintf(rest, sizeof rest, "%s", open + 2);
        nn_fail(NN_EINVAL, "%s%s (which rounds to %s as a 32-bit float; %s", prefix, shown, kept, rest);
        return;
    }
}

/* v as the engine's int in *out; false, with the message naming v as given,
 * past int's range (a clamped value would name another number). */
static bool int_value(const char *name, lua_Integer v, int *out)
{
    if (v < INT_MIN || v > INT_MAX)
        return nn_fail(NN_EINVAL, "invalid %s: %lld (out of range: must be from 1 to %d)", name,
                       (long long)v, INT_MAX) == NN_OK;
    *out = (int)v;
    return true;
}

/* Reads number field `key` into *out (float_value); raises when it is no number. */
static bool number_field(lua_State *L, int table, const char *key, float *out, rounded_values *rounded)
{
    lua_getfield(L, table, key);
    int ok;
    lua_Number v = lua_tonumberx(L, -1, &ok);
    if (!ok)
        luaL_error(L, "optimizer option '%s' must be a number", key);
    lua_pop(L, 1);
    return float_value(key, v, out, rounded);
}

/* core.optimizer_new(model, config) -> optimizer | nil, message. config holds
 * every field of nn_optim_config (kind as "SGD"/"Adam"/"AdamW"). */
static int optim_new(lua_State *L)
{
    lnn_net *ln = lnn_check_net(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "kind");
    int kind = luaL_checkoption(L, -1, NULL, optim_names);
    lua_pop(L, 1);
    nn_optim_config c = nn_optim_defaults((nn_optim_kind)kind);
    rounded_values rounded = {0};
    if (!number_field(L, 2, "lr", &c.lr, &rounded))
        return lnn_push_failure(L);
    lua_getfield(L, 2, "lr");
    double lr = lua_tonumber(L, -1); /* a number: number_field checked it */
    lua_pop(L, 1);
    bool ok = number_field(L, 2, "weight_decay", &c.weight_decay, &rounded);
    if (c.kind == NN_OPTIM_SGD) {
        ok = ok && number_field(L, 2, "momentum", &c.momentum, &rounded) &&
             number_field(L, 2, "dampening", &c.dampening, &rounded);
        lua_getfield(L, 2, "nesterov");
        c.nesterov = lua_toboolean(L, -1);
        lua_pop(L, 1);
    } else {
        ok = ok && number_field(L, 2, "beta1", &c.beta1, &rounded) &&
             number_field(L, 2, "beta2", &c.beta2, &rounded) && number_field(L, 2, "eps", &c.eps, &rounded);
    }
    if (!ok)
        return lnn_push_failure(L);
    lnn_optim *o = lua_newuserdatauv(L, sizeof *o, 1);
    o->opt = NULL;
    o->lr = lr;
    luaL_setmetatable(L, LNN_OPTIM);
    if (nn_optim_create(&o->opt, &c, nn_net_param_count(ln->net)) != NN_OK) {
        name_as_given(&rounded);
        return lnn_push_failure(L);
    }
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1); /* the model whose parameters this updates */
    return 1;
}

static lnn_optim *check_optim(lua_State *L, int index)
{
    lnn_check_self(L, index, "optimizer");
    lnn_optim *o = luaL_checkudata(L, index, LNN_OPTIM);
    if (!o->opt)
        luaL_argerror(L, index, "closed optimizer");
    return o;
}

/* The model an optimizer updates, pushed on the stack. */
static lnn_net *push_model(lua_State *L, int optim_index)
{
    lua_getiuservalue(L, optim_index, 1);
    return lnn_check_net(L, -1);
}

nn_optim *lnn_check_optim(lua_State *L, int index, lnn_net **model)
{
    lnn_optim *o = check_optim(L, index);
    *model = push_model(L, index);
    lua_pop(L, 1); /* the optimizer's user value keeps the model alive */
    return o->opt;
}

/* optimizer:step([closure]): one step from the gradients. With a closure
 * (PyTorch's step(closure)): calls it first (it zeroes the gradients, runs
 * forward and backward, and returns the loss), then steps, and returns what
 * it returned. */
static int optim_step(lua_State *L)
{
    lnn_optim *o = check_optim(L, 1);
    bool closure = !lua_isnoneornil(L, 2);
    if (closure) {
        if (!lua_isfunction(L, 2))
            return luaL_error(L, "optimizer:step(closure): the closure must be a function, got a %s",
                              luaL_typename(L, 2));
        lua_settop(L, 2);
        lua_pushvalue(L, 2);
        lua_call(L, 0, 1); /* its loss, at index 3 */
    }
    lnn_net *ln = push_model(L, 1);
    nn_optim_step(o->opt, nn_net_params(ln->net), nn_net_grads(ln->net));
    ln->weight_writes++; /* a backward of an earlier forward would mix old activations with new weights */
    if (!closure)
        return 0;
    lua_pushvalue(L, 3);
    return 1;
}

static int optim_zero_grad(lua_State *L)
{
    lnn_method_args(L, 0, "optimizer:zero_grad()");
    check_optim(L, 1);
    nn_net_zero_grad(push_model(L, 1)->net);
    return 0;
}

/* optimizer:lr() -> the learning rate as set (a double; see the top). */
static int optim_get_lr(lua_State *L)
{
    const lnn_optim *o = check_optim(L, 1);
    if (lua_gettop(L) > 1)
        return luaL_error(L, "optimizer:lr() takes no argument: it reads the rate; optimizer:set_lr(v) sets it");
    lua_pushnumber(L, o->lr);
    return 1;
}

/* optimizer:set_lr(lr) -> true | nil, message */
static int optim_set_lr(lua_State *L)
{
    lnn_method_args(L, 1, "optimizer:set_lr(lr)");
    lnn_optim *o = check_optim(L, 1);
    lua_Number lr = luaL_checknumber(L, 2);
    nn_optim_config c = *nn_optim_config_of(o->opt);
    rounded_values rounded = {0};
    if (!float_value("lr", lr, &c.lr, &rounded))
        return lnn_push_failure(L);
    if (nn_optim_validate(&c) != NN_OK) {
        name_as_given(&rounded);
        return lnn_push_failure(L);
    }
    nn_optim_set_lr(o->opt, c.lr);
    o->lr = lr;
    lua_pushboolean(L, 1);
    return 1;
}

/* optimizer:config() -> { kind, lr, weight_decay, momentum, dampening, nesterov }
 * for SGD, { kind, lr, weight_decay, beta1, beta2, eps } for Adam/AdamW: the
 * values in use, each as the shortest decimal that gives its float; lr as
 * set (optimizer:lr()). */
static int optim_config(lua_State *L)
{
    lnn_method_args(L, 0, "optimizer:config()");
    lnn_optim *o = check_optim(L, 1);
    const nn_optim_config *c = nn_optim_config_of(o->opt);
    lua_createtable(L, 0, 6);
    lua_pushstring(L, optim_names[c->kind]);
    lua_setfield(L, -2, "kind");
    const struct { const char *name; float value; bool sgd; } fields[] = {
        {"lr", c->lr, true},          {"weight_decay", c->weight_decay, true},
        {"momentum", c->momentum, true}, {"dampening", c->dampening, true},
        {"beta1", c->beta1, false},   {"beta2", c->beta2, false},
        {"eps", c->eps, false},
    };
    bool sgd = c->kind == NN_OPTIM_SGD;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        bool shared = i < 2;
        if (!shared && fields[i].sgd != sgd)
            continue;
        lua_pushnumber(L, i == 0 ? o->lr : nn_hyperparameter_as_written(fields[i].value));
        lua_setfield(L, -2, fields[i].name);
    }
    if (sgd) {
        lua_pushboolean(L, c->nesterov);
        lua_setfield(L, -2, "nesterov");
    }
    return 1;
}

static int optim_steps(lua_State *L)
{
    lnn_method_args(L, 0, "optimizer:steps()");
    lua_pushinteger(L, nn_optim_steps_taken(check_optim(L, 1)->opt));
    return 1;
}

static int optim_release(lua_State *L)
{
    lnn_optim *o = luaL_checkudata(L, 1, LNN_OPTIM);
    nn_optim_free(o->opt);
    o->opt = NULL;
    return 0;
}

/* core.schedule_check(kind, step_size, gamma, t_max, eta_min) -> true | nil,
 * message: the engine's checks of a schedule's settings. The schedulers of
 * lua/nnlab/optim.lua compute their steps themselves, in Lua doubles, as
 * PyTorch's step() does. */
static int schedule_check(lua_State *L)
{
    nn_schedule s = {0};
    s.kind = (nn_schedule_kind)luaL_checkoption(L, 1, NULL, schedule_names);
    lua_Integer step_size = luaL_optinteger(L, 2, 1), t_max = luaL_optinteger(L, 4, 1);
    lua_Number gamma = luaL_optnumber(L, 3, 1.0), eta_min = luaL_optnumber(L, 5, 0.0);
    rounded_values rounded = {0};
    if (!int_value("step_size", step_size, &s.step_size) ||
        !float_value("gamma", gamma, &s.gamma, &rounded) || !int_value("T_max", t_max, &s.t_max) ||
        !float_value("eta_min", eta_min, &s.eta_min, &rounded))
        return lnn_push_failure(L);
    if (nn_schedule_validate(&s) != NN_OK) {
        name_as_given(&rounded);
        return lnn_push_failure(L);
    }
    lua_pushboolean(L, 1);
    return 1;
}

static const luaL_Reg optim_methods[] = {
    {"step", optim_step}, {"zero_grad", optim_zero_grad}, {"lr", optim_get_lr},
    {"set_lr", optim_set_lr}, {"steps", optim_steps}, {"config", optim_config}, {NULL, NULL},
};
static const luaL_Reg optim_metamethods[] = {
    {"__gc", optim_release}, {"__close", optim_release}, {NULL, NULL},
};

void lnn_open_optim(lua_State *L)
{
    lnn_create_meta(L, LNN_OPTIM, optim_methods, optim_metamethods);
    lua_pushcfunction(L, optim_new);
    lua_setfield(L, -2, "optimizer_new");
    lua_pushcfunction(L, schedule_check);
    lua_setfield(L, -2, "schedule_check");
}
