/* The Lua bridge (module "nnlab.core"): userdata types over the engine, in the
 * Lua 5.4 house style. Thin by design: argument checks, ownership and error
 * translation only. Option names, defaults, printing and every other policy live
 * in the Lua modules under lua/nnlab/.
 *
 * Lifetimes: a userdata that points into another object's memory keeps that
 * object alive through its user value; a view that the owner may overwrite
 * carries the owner's generation counter and refuses to be read once stale.
 * Memory that tensors can be written through has a version counter, as
 * PyTorch's: every in-place write bumps it, so a backward can tell that a
 * value it needs was changed after the forward. */
#ifndef NNLAB_BRIDGE_H
#define NNLAB_BRIDGE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

#include "nn_error.h"
#include "nn_net.h"

#define LNN_TENSOR "nnlab.Tensor"
#define LNN_NET "nnlab.Net"
#define LNN_LOSSFN "nnlab.LossFunction"
#define LNN_LOSS "nnlab.Loss"
#define LNN_OPTIM "nnlab.Optimizer"
#define LNN_DATASET "nnlab.Dataset"
#define LNN_LOADER "nnlab.Loader"

/* A tensor of 1 or 2 dimensions: float32 data, or int32 integers (class
 * labels; also what argmax and comparisons give). A 1-D tensor of n values
 * has ndim 1, rows n, cols 1 (so code that walks rows × cols reads it as a
 * column); a 2-D one ndim 2. Labels from loaders and nnlab.labels are 1-D,
 * (B,), as PyTorch's. */
typedef struct lnn_tensor {
    float *f;              /* float data, or NULL */
    int32_t *labels;       /* integer data, or NULL */
    int ndim;              /* 1 or 2 */
    int rows, cols;
    bool owned;            /* freed by __gc/__close */
    const uint64_t *owner_generation; /* non-NULL for views: owner's counter */
    uint64_t generation;   /* the owner's counter when this view was made */
    uint64_t *version;     /* the memory's write counter (its owner's, for views); NULL: `writes` */
    uint64_t writes;       /* the write counter of memory this tensor owns */
} lnn_tensor;

typedef struct lnn_net {
    nn_net *net;            /* NULL once closed */
    uint64_t generation;    /* bumped by every forward: outputs of older ones are stale */
    const lnn_tensor *input; /* the input of the last forward (kept alive in user value 1) */
    uint64_t input_generation;
    uint64_t input_version;  /* the input's write counter at the last forward */
    const float *output;     /* the last forward's output, (output_rows, outputs) */
    int output_rows;
    uint64_t output_writes;  /* the output memory's write counter */
    uint64_t output_version; /* output_writes at the last forward */
    bool input_was_output;   /* the last forward's input was a view of its own output */
    uint64_t weight_writes;  /* optimizer steps taken on this model */
    uint64_t weight_version; /* weight_writes at the last forward */
} lnn_net;

/* Raises `message` for an engine error at the caller's level. */
int lnn_engine_error(lua_State *L, nn_status status);

/* Pushes nil and the engine's error message; returns 2. For functions whose
 * Lua wrapper raises the error at the user's level. */
int lnn_push_failure(lua_State *L);

/* Creates a type's metatable: methods in __index, plus metamethods. */
void lnn_create_meta(lua_State *L, const char *name, const luaL_Reg *methods,
                     const luaL_Reg *metamethods);

/* Tensors. */
lnn_tensor *lnn_check_tensor(lua_State *L, int index);
/* Pushes a new owned tensor of the shape (ndim 1: rows values, cols must be 1),
 * float or integer, zero-filled; raises on out of memory. */
lnn_tensor *lnn_push_tensor(lua_State *L, int ndim, int rows, int cols, bool integers);
/* Pushes a view over memory owned by the object at `owner_index`, whose
 * generation counter and write counter (version) the view takes. */
lnn_tensor *lnn_push_view(lua_State *L, int owner_index, float *f, int32_t *labels, int rows,
                          int cols, const uint64_t *owner_generation, uint64_t *version);
/* Errors when the view's owner has overwritten it. */
void lnn_check_fresh(lua_State *L, const lnn_tensor *t, int arg);
/* Errors when argument 1 of a method is missing: it was called with a dot,
 * opt.step(), where Lua passes the object with a colon, opt:step(); a plain
 * "bad argument #1 (nnlab.Optimizer expected, got no value)" would not say
 * so. `object` names it in the message ("optimizer", "model", "tensor"). */
void lnn_check_self(lua_State *L, int index, const char *object);
/* Errors "USAGE takes no arguments, got N" (or "at most MAX") when a method
 * got more than `max` arguments after its object: x:exp(1) would otherwise
 * read as x:exp() without a word. Trailing nils do not count (a wrapper's
 * optional argument passed on as nil). */
void lnn_method_args(lua_State *L, int max, const char *usage);
/* The write counter of t's memory: bumped by every in-place write through t or
 * any tensor sharing that memory (t[i] = x, t:set). */
uint64_t lnn_tensor_version(const lnn_tensor *t);
lnn_net *lnn_check_net(lua_State *L, int index);
/* Errors unless what backward reads of the model's last forward is intact:
 * its input (not closed, not overwritten by its loader, not written in
 * place, not the model's own earlier output) and its output (not written in
 * place). */
void lnn_check_saved_values(lua_State *L, const lnn_net *ln);
/* Whether t is all of the model's last output (rows and columns), as a
 * backward from it needs: a row or a narrow of it is not. */
bool lnn_is_whole_output(const lnn_tensor *t, const lnn_net *ln);
/* Backward from dy, the output gradient of the model at stack `index`, and on
 * through the models whose whole outputs fed it (m2(m1(x))); checks every
 * link's saved values first, raising at the caller's line. */
void lnn_backward_chain(lua_State *L, int index, const float *dy);

/* Pushes a new root Dataset that takes over *data (left zeroed). */
struct nn_dataset;
void lnn_push_dataset(lua_State *L, struct nn_dataset *data);
/* Registers core.dataset_* constructors for files and Lua values (lua_dataset_sources.c). */
void lnn_open_dataset_sources(lua_State *L);

/* The engine loader of the loader at index, open and over an open dataset. */
struct nn_loader *lnn_check_loader(lua_State *L, int index);
/* Starts a pass over a loader: outdates its batch views and, when epoch is
 * non-NULL, takes the loader's next epoch number. The loader is busy until
 * lnn_loader_end_pass (its data.Lambda may not start a pass of it; an error
 * if one is under way): nothing in between may raise. */
struct nn_loader *lnn_loader_begin_pass(lua_State *L, int index, uint32_t *epoch);
/* Ends a pass begun by lnn_loader_begin_pass: outdates the batch views handed
 * out during it (a data.Lambda's), as the end of loader:batches() does. */
void lnn_loader_end_pass(lua_State *L, int index);
/* The optimizer at index and (through *model) the model it updates. */
struct nn_optim *lnn_check_optim(lua_State *L, int index, lnn_net **model);
/* The engine loss kind (nn_train.h) of a LossFunction. */
int lnn_check_loss_kind(lua_State *L, int index);

void lnn_open_tensor(lua_State *L);
/* Adds tensor math to the "nnlab.Tensor" metatable (lua_tensor_math.c): + - * /
 * and unary - with broadcasting, exp/log/sqrt/abs/clamp, eq/ne/gt/ge/lt/le (0/1
 * int tensors), sum/mean/max/argmax, float/item/numel. Dims are 0-based, as
 * PyTorch's. Called at the end of lnn_open_tensor. */
void lnn_open_tensor_math(lua_State *L);
void lnn_open_net(lua_State *L);
void lnn_open_loss(lua_State *L);
void lnn_open_optim(lua_State *L);
void lnn_open_data(lua_State *L);
void lnn_open_train(lua_State *L);
/* core.proc: fork/wait/pipes/poll/clock, signals and locks for the notebook's
 * workers and files (lua_proc.c). */
void lnn_open_proc(lua_State *L);
/* core.watch: inotify folder watches for `nnlab watch` (lua_watch.c). */
void lnn_open_watch(lua_State *L);
/* core.html: Markdown to HTML with cmark-gfm, and base64 (lua_html.c). */
void lnn_open_html(lua_State *L);
/* core.codec: the cache's data-text encoder and decoder and FNV-1a 64 (lua_codec.c). */
void lnn_open_codec(lua_State *L);
/* Non-zero once proc.catch_signals() is in force and one of its signals has
 * arrived: long engine passes take it as their cancel flag. */
const volatile sig_atomic_t *lnn_interrupt_flag(void);
/* Raises "interrupted by SIGxxx" (after a pass stopped on that flag). */
int lnn_raise_interrupted(lua_State *L);

int luaopen_nnlab_core(lua_State *L);

#endif
