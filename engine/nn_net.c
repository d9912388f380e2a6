/* Sequential networks (see nn_net.h): spec and shape checks, flat parameter and
 * gradient buffers, forward and backward over reused activation buffers.
 *
 * A Linear directly followed by an activation runs as one fused kernel; the
 * activation layer then owns no buffer and its output is the Linear's output.
 * Backward walks the layers in reverse through two ping-pong gradient buffers
 * and stops at the first Linear: nothing before it has parameters.
 *
 * Threads (nn_threads.h): each dense GEMM large enough to pay is cut into
 * column ranges of its output, one per thread, through the kernel table's
 * _cols entries; every element keeps the chain of operations it has on one
 * thread, so the bits do not depend on the thread count. Each part has its
 * own slice of the kernel workspace. */
#include "nn_net.h"
#include "nn_mem.h"
#include "nn_net_internal.h"
#include "nn_rng.h"
#include "nn_threads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct net_layer {
    nn_layer_spec spec;  /* canonical: fields that do not apply to the kind are 0 */
    int width;           /* features this layer produces */
    /* Linear: views into the flat buffers, and the activation fused into it */
    float *W, *b, *dW, *db;
    nn_act fused_act;
    float fused_slope;
    /* activation: computed by the preceding Linear's fused kernel */
    bool fused;
    /* owned, (capacity, width); NULL for a fused activation */
    float *buffer;
    float *mask; /* Dropout: 0 or 1/(1-p) per element of the last training forward */
    /* set by the last forward */
    const float *input;  /* (batch, in) */
    const float *output; /* (batch, width) */
} net_layer;

struct nn_net {
    int n_layers;
    net_layer *layers;
    int first_linear;
    int input_size, output_size, max_width;

    size_t n_params;
    float *params, *grads;

    const nn_dense_kernels *kernels;
    bool training;
    nn_rng dropout_rng;
    uint64_t dropout_draws;  /* numbers dropout_rng has given (nn_net_dropout_draws) */

    int capacity;            /* rows every activation buffer holds */
    float *grad_a, *grad_b;  /* (capacity, max_width), backward ping-pong */
    float *scratch;          /* scratch_parts slices of scratch_stride floats, one per thread */
    size_t scratch_stride;
    int scratch_parts;

    int last_batch;          /* batch of the last forward; 0 = nothing to go back through */
    bool last_training;      /* mode of the last forward */
};

/* ---- names ---------------------------------------------------------------- */

/* Indexed by enum value, so neither table depends on the order of its enum. */
static const char *const layer_kind_names[] = {
    [NN_LAYER_LINEAR] = "Linear", [NN_LAYER_SIGMOID] = "Sigmoid",
    [NN_LAYER_RELU] = "ReLU",     [NN_LAYER_LEAKY_RELU] = "LeakyReLU",
    [NN_LAYER_TANH] = "Tanh",     [NN_LAYER_DROPOUT] = "Dropout",
};
static const char *const init_names[] = {
    [NN_INIT_TORCH] = "torch",
    [NN_INIT_XAVIER_UNIFORM] = "xavier_uniform",
    [NN_INIT_XAVIER_NORMAL] = "xavier_normal",
    [NN_INIT_KAIMING_UNIFORM] = "kaiming_uniform",
    [NN_INIT_KAIMING_NORMAL] = "kaiming_normal",
};
#define NAME_COUNT(names) (sizeof(names) / sizeof *(names))

/* names[value] (count entries), or NULL when value is outside the table. */
static const char *name_of(const char *const *names, size_t count, unsigned value)
{
    return value < count ? names[value] : NULL;
}

/* The index of `name` in names (count entries), or -1. */
static int index_of(const char *const *names, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *nn_layer_kind_name(nn_layer_kind kind)
{
    return name_of(layer_kind_names, NAME_COUNT(layer_kind_names), (unsigned)kind);
}

const char *nn_init_name(nn_init init)
{
    return name_of(init_names, NAME_COUNT(init_names), (unsigned)init);
}

nn_status nn_layer_kind_from_name(nn_layer_kind *kind, const char *name)
{
    int i = index_of(layer_kind_names, NAME_COUNT(layer_kind_names), name);
    if (i < 0)
        return nn_fail(NN_EINVAL, "unknown layer kind '%s'", name);
    *kind = (nn_layer_kind)i;
    return NN_OK;
}

nn_status nn_init_from_name(nn_init *init, const char *name)
{
    int i = index_of(init_names, NAME_COUNT(init_names), name);
    if (i < 0)
        return nn_fail(NN_EINVAL, "unknown layer init '%s'", name);
    *init = (nn_init)i;
    return NN_OK;
}

static nn_act layer_act(nn_layer_kind kind)
{
    switch (kind) {
    case NN_LAYER_SIGMOID: return NN_ACT_SIGMOID;
    case NN_LAYER_RELU: return NN_ACT_RELU;
    case NN_LAYER_LEAKY_RELU: return NN_ACT_LEAKY_RELU;
    case NN_LAYER_TANH: return NN_ACT_TANH;
    default: return NN_ACT_NONE;
    }
}

/* ---- specs ---------------------------------------------------------------- */

nn_status nn_layer_spec_check(const nn_layer_spec *spec, int index)
{
    int n = index + 1;
    switch (spec->kind) {
    case NN_LAYER_LINEAR:
        if (spec->in_features < 1 || spec->in_features > NN_NET_MAX_FEATURES)
            return nn_fail(NN_EINVAL, "layer %d (Linear): in_features %d out of range (1..%d)", n,
                           spec->in_features, NN_NET_MAX_FEATURES);
        if (spec->out_features < 1 || spec->out_features > NN_NET_MAX_FEATURES)
            return nn_fail(NN_EINVAL, "layer %d (Linear): out_features %d out of range (1..%d)", n,
                           spec->out_features, NN_NET_MAX_FEATURES);
        if (nn_layer_spec_param_count(spec) > NN_NET_MAX_PARAMS)
            return nn_fail(NN_EINVAL,
                           "layer %d (Linear): %d x %d weights (%.1f GB) are too large: a network holds at "
                           "most %zu parameters (%zu GiB)", n, spec->out_features, spec->in_features,
                           4e-9 * (double)nn_layer_spec_param_count(spec), NN_NET_MAX_PARAMS,
                           NN_NET_MAX_PARAMS * sizeof(float) >> 30);
        if (!nn_init_name(spec->init))
            return nn_fail(NN_EINVAL, "layer %d (Linear): unknown init %d", n, (int)spec->init);
        return NN_OK;
    case NN_LAYER_LEAKY_RELU:
        /* The backward pass reads the sign of the output, which needs slope >= 0. */
        if (!isfinite(spec->slope) || spec->slope < 0.0f)
            return nn_fail(NN_EINVAL, "layer %d (LeakyReLU): slope %.9g must be finite and >= 0", n,
                           (double)spec->slope);
        return NN_OK;
    case NN_LAYER_DROPOUT:
        if (!(spec->p >= 0.0f && spec->p < 1.0f))
            /* %.9g: every digit of the float (0.99999999 arrives as 1: the bridge's rounding) */
            return nn_fail(NN_EINVAL, "layer %d (Dropout): p %.9g must be in [0, 1)", n, (double)spec->p);
        return NN_OK;
    case NN_LAYER_SIGMOID:
    case NN_LAYER_RELU:
    case NN_LAYER_TANH:
        return NN_OK;
    }
    return nn_fail(NN_EINVAL, "layer %d: unknown kind %d", n, (int)spec->kind);
}

size_t nn_layer_spec_param_count(const nn_layer_spec *spec)
{
    if (spec->kind != NN_LAYER_LINEAR)
        return 0;
    return ((size_t)spec->in_features + 1) * (size_t)spec->out_features;
}

/* The spec with the fields that do not apply to its kind set to 0, so that
 * nn_net_layer and saved files say only what matters. */
static nn_layer_spec canonical_spec(const nn_layer_spec *spec)
{
    nn_layer_spec c = {.kind = spec->kind};
    if (spec->kind == NN_LAYER_LINEAR) {
        c.in_features = spec->in_features;
        c.out_features = spec->out_features;
        c.init = spec->init;
    }
    if (spec->kind == NN_LAYER_LEAKY_RELU)
        c.slope = spec->slope;
    if (spec->kind == NN_LAYER_DROPOUT)
        c.p = spec->p;
    return c;
}

/* Each Linear's in_features must be the width the previous Linear produces
 * (activations and dropout keep the width). */
static nn_status check_shapes(const nn_layer_spec *layers, int n_layers)
{
    int producer = -1;
    for (int i = 0; i < n_layers; i++) {
        if (layers[i].kind != NN_LAYER_LINEAR)
            continue;
        if (producer >= 0 && layers[i].in_features != layers[producer].out_features)
            return nn_fail(NN_ESHAPE, "layer %d (Linear) expects %d inputs but layer %d (Linear) produces %d",
                           i + 1, layers[i].in_features, producer + 1, layers[producer].out_features);
        producer = i;
    }
    if (producer < 0)
        return nn_fail(NN_EINVAL, "a network needs at least one Linear layer");
    return NN_OK;
}

/* ---- create / free -------------------------------------------------------- */

static void release_batch_buffers(nn_net *net)
{
    for (int i = 0; i < net->n_layers; i++) {
        nn_free(net->layers[i].buffer);
        nn_free(net->layers[i].mask);
        net->layers[i].buffer = net->layers[i].mask = NULL;
    }
    nn_free(net->grad_a);
    nn_free(net->grad_b);
    net->grad_a = net->grad_b = NULL;
    net->capacity = 0;
    net->last_batch = 0;
}

void nn_net_free(nn_net *net)
{
    if (!net)
        return;
    if (net->layers)
        release_batch_buffers(net);
    nn_free(net->scratch);
    nn_free(net->params);
    nn_free(net->grads);
    free(net->layers);
    free(net);
}

/* Lays W then b of each Linear out in the flat buffers, wires up fusion and
 * widths, and initialises the parameters from `seed`. */
static void wire_layers(nn_net *net, uint64_t seed)
{
    nn_rng init_rng;
    nn_rng_seed(&init_rng, seed, NN_STREAM_INIT);
    size_t offset = 0;
    int width = net->input_size;
    net->max_width = width;
    for (int i = 0; i < net->n_layers; i++) {
        net_layer *L = &net->layers[i];
        if (L->spec.kind == NN_LAYER_LINEAR) {
            int in = L->spec.in_features, out = L->spec.out_features;
            L->W = net->params + offset;
            L->dW = net->grads + offset;
            offset += (size_t)out * in;
            L->b = net->params + offset;
            L->db = net->grads + offset;
            offset += (size_t)out;
            nn_init_linear(L->W, L->b, in, out, L->spec.init, &init_rng);
            width = out;
        } else if (layer_act(L->spec.kind) != NN_ACT_NONE && i > 0 &&
                   net->layers[i - 1].spec.kind == NN_LAYER_LINEAR) {
            L->fused = true;
            net->layers[i - 1].fused_act = layer_act(L->spec.kind);
            net->layers[i - 1].fused_slope = L->spec.slope;
        }
        L->width = width;
        if (width > net->max_width)
            net->max_width = width;
    }
    net->output_size = width;
}

nn_status nn_net_create(nn_net **out, const nn_layer_spec *layers, int n_layers, uint64_t seed)
{
    *out = NULL;
    if (!layers)
        return nn_fail(NN_EINVAL, "no layer list given");
    if (n_layers < 1 || n_layers > NN_NET_MAX_LAYERS)
        return nn_fail(NN_EINVAL, "a network needs 1..%d layers (got %d)", NN_NET_MAX_LAYERS, n_layers);
    size_t n_params = 0;
    for (int i = 0; i < n_layers; i++) {
        nn_status st = nn_layer_spec_check(&layers[i], i);
        if (st != NN_OK)
            return st;
        n_params += nn_layer_spec_param_count(&layers[i]);
        if (n_params > NN_NET_MAX_PARAMS)
            return nn_fail(NN_EINVAL, "the network is too large: more than %zu parameters (at layer %d); "
                           "a network holds at most %zu GiB of them", NN_NET_MAX_PARAMS, i + 1,
                           NN_NET_MAX_PARAMS * sizeof(float) >> 30);
    }
    nn_status st = check_shapes(layers, n_layers);
    if (st != NN_OK)
        return st;
    const nn_dense_kernels *kernels; /* NNLAB_SIMD is refused here, before anything trains */
    if ((st = nn_kernels_choose(&kernels)) != NN_OK)
        return st;

    nn_net *net = calloc(1, sizeof *net);
    if (!net)
        return nn_fail(NN_ENOMEM, "out of memory creating a network");
    net->layers = calloc((size_t)n_layers, sizeof *net->layers);
    net->params = nn_alloc_floats(n_params);
    net->grads = nn_alloc_floats(n_params);
    if (!net->layers || !net->params || !net->grads) {
        nn_net_free(net);
        return nn_fail(NN_ENOMEM, "out of memory for a network of %zu parameters (%.1f GB for its weights "
                       "and gradients)", n_params, 8e-9 * (double)n_params);
    }
    net->n_layers = n_layers;
    net->n_params = n_params;
    net->first_linear = -1;
    for (int i = 0; i < n_layers; i++) {
        net->layers[i].spec = canonical_spec(&layers[i]);
        if (net->first_linear < 0 && layers[i].kind == NN_LAYER_LINEAR)
            net->first_linear = i;
    }
    net->input_size = layers[net->first_linear].in_features;
    wire_layers(net, seed);
    net->kernels = kernels;
    net->training = true;
    nn_rng_seed(&net->dropout_rng, seed, NN_STREAM_DROPOUT);
    *out = net;
    return NN_OK;
}

/* ---- accessors ------------------------------------------------------------ */

int nn_net_layer_count(const nn_net *net) { return net->n_layers; }

const nn_layer_spec *nn_net_layer(const nn_net *net, int index)
{
    if (index < 0 || index >= net->n_layers)
        return NULL;
    return &net->layers[index].spec;
}

int nn_net_input_size(const nn_net *net) { return net->input_size; }
int nn_net_output_size(const nn_net *net) { return net->output_size; }
size_t nn_net_param_count(const nn_net *net) { return net->n_params; }
float *nn_net_params(nn_net *net) { return net->params; }
float *nn_net_grads(nn_net *net) { return net->grads; }

ptrdiff_t nn_net_weight_offset(const nn_net *net, int index)
{
    if (index < 0 || index >= net->n_layers || net->layers[index].spec.kind != NN_LAYER_LINEAR)
        return -1;
    return net->layers[index].W - net->params;
}

ptrdiff_t nn_net_bias_offset(const nn_net *net, int index)
{
    if (index < 0 || index >= net->n_layers || net->layers[index].spec.kind != NN_LAYER_LINEAR)
        return -1;
    return net->layers[index].b - net->params;
}

void nn_net_set_training(nn_net *net, bool training) { net->training = training; }
bool nn_net_training(const nn_net *net) { return net->training; }

uint64_t nn_net_dropout_draws(const nn_net *net) { return net->dropout_draws; }

/* NULL goes back to nn_kernels_active(). */
void nn_net_set_kernels(nn_net *net, const nn_dense_kernels *kernels)
{
    net->kernels = kernels ? kernels : nn_kernels_active();
}

void nn_net_zero_grad(nn_net *net) { memset(net->grads, 0, net->n_params * sizeof *net->grads); }

double nn_net_grad_norm(const nn_net *net, double p)
{
    if (!(p > 0))
        return NAN;
    const float *g = net->grads;
    size_t n = net->n_params;
    double acc = 0.0;
    if (isinf(p)) {
        for (size_t i = 0; i < n; i++) {
            double a = fabs((double)g[i]);
            if (a > acc || a != a)
                acc = a;
        }
        return acc;
    }
    if (p == 2.0) {
        for (size_t i = 0; i < n; i++)
            acc += (double)g[i] * g[i];
        return sqrt(acc);
    }
    if (p == 1.0) {
        for (size_t i = 0; i < n; i++)
            acc += fabs((double)g[i]);
        return acc;
    }
    for (size_t i = 0; i < n; i++)
        acc += pow(fabs((double)g[i]), p);
    return pow(acc, 1.0 / p);
}

void nn_net_scale_grads(nn_net *net, float factor)
{
    for (size_t i = 0; i < net->n_params; i++)
        net->grads[i] *= factor;
}

/* ---- buffers -------------------------------------------------------------- */

/* Grows every per-batch buffer to hold `batch` rows; a no-op when they already do. */
static nn_status ensure_capacity(nn_net *net, int batch)
{
    if (batch <= net->capacity)
        return NN_OK;
    release_batch_buffers(net);
    if ((size_t)batch > SIZE_MAX / sizeof(float) / (size_t)net->max_width)
        return nn_fail(NN_ENOMEM, "batch %d is too large for this network", batch);
    size_t rows = (size_t)batch;
    bool ok = (net->grad_a = nn_alloc_floats(rows * net->max_width)) &&
              (net->grad_b = nn_alloc_floats(rows * net->max_width));
    for (int i = 0; ok && i < net->n_layers; i++) {
        net_layer *L = &net->layers[i];
        if (!L->fused)
            ok = (L->buffer = nn_alloc_floats(rows * L->width)) != NULL;
        if (ok && L->spec.kind == NN_LAYER_DROPOUT)
            ok = (L->mask = nn_alloc_floats(rows * L->width)) != NULL;
    }
    if (!ok) {
        release_batch_buffers(net);
        return nn_fail(NN_ENOMEM, "out of memory for activations of batch %d", batch);
    }
    net->capacity = batch;
    return NN_OK;
}

/* Grows the kernel workspace to what every Linear needs at this batch size,
 * for each of nn_threads_get() parts (64-byte aligned slices). */
static nn_status ensure_scratch(nn_net *net, int batch)
{
    size_t need = 1;
    for (int i = 0; i < net->n_layers; i++) {
        const nn_layer_spec *s = &net->layers[i].spec;
        if (s->kind == NN_LAYER_LINEAR) {
            size_t n = nn_dense_scratch_floats(batch, s->in_features, s->out_features);
            if (n > need)
                need = n;
        }
    }
    const size_t line = NN_ALIGN / sizeof(float);
    need = (need + line - 1) / line * line;
    int parts = nn_threads_get();
    if (need <= net->scratch_stride && parts <= net->scratch_parts)
        return NN_OK;
    if (need < net->scratch_stride)
        need = net->scratch_stride;
    if (parts < net->scratch_parts)
        parts = net->scratch_parts;
    nn_free(net->scratch);
    net->scratch_stride = 0;
    net->scratch_parts = 0;
    if (need > SIZE_MAX / sizeof(float) / (size_t)parts ||
        !(net->scratch = nn_alloc_floats(need * (size_t)parts)))
        return nn_fail(NN_ENOMEM, "out of memory for %zu floats of kernel workspace", need * (size_t)parts);
    net->scratch_stride = need;
    net->scratch_parts = parts;
    return NN_OK;
}

/* ---- dense GEMMs, split over threads ---------------------------------------- */

/* One dense GEMM call and its operands; a part computes a column range. */
typedef struct dense_job {
    const nn_dense_kernels *k;
    int B, I, O;
    const float *X, *W, *b, *dY; /* inputs, as the kernels name them */
    float *Y, *dX, *dW, *db;     /* outputs */
    nn_act act;
    float slope;
    bool fresh;
    float *scratch;
    size_t scratch_stride;
} dense_job;

static void forward_part(void *ctx, int part, int parts)
{
    const dense_job *j = ctx;
    int o0 = (int)nn_threads_split(j->O, NN_DENSE_FORWARD_GRAIN, part, parts);
    int o1 = (int)nn_threads_split(j->O, NN_DENSE_FORWARD_GRAIN, part + 1, parts);
    j->k->forward_cols(j->Y, j->X, j->W, j->b, j->B, j->I, j->O, j->act, j->slope, o0, o1,
                       j->scratch + (size_t)part * j->scratch_stride);
}

static void backward_input_part(void *ctx, int part, int parts)
{
    const dense_job *j = ctx;
    int i0 = (int)nn_threads_split(j->I, NN_DENSE_BACKWARD_GRAIN, part, parts);
    int i1 = (int)nn_threads_split(j->I, NN_DENSE_BACKWARD_GRAIN, part + 1, parts);
    j->k->backward_input_cols(j->dX, j->dY, j->W, j->B, j->I, j->O, i0, i1,
                              j->scratch + (size_t)part * j->scratch_stride);
}

static void backward_weights_part(void *ctx, int part, int parts)
{
    const dense_job *j = ctx;
    int i0 = (int)nn_threads_split(j->I, NN_DENSE_BACKWARD_GRAIN, part, parts);
    int i1 = (int)nn_threads_split(j->I, NN_DENSE_BACKWARD_GRAIN, part + 1, parts);
    j->k->backward_weights_cols(j->dW, part == 0 ? j->db : NULL, j->dY, j->X, j->B, j->I, j->O, i0,
                                i1, j->fresh, j->scratch + (size_t)part * j->scratch_stride);
}

/* Parts for a GEMM of B·I·O multiply-adds over `columns` columns cut at
 * `grain`: 1 when the table cannot split or the work is too small to pay. */
static int dense_parts(const nn_net *net, bool splittable, int B, int I, int O, int columns, int grain)
{
    if (!splittable)
        return 1;
    int parts = nn_threads_parts(2.0 * B * I * O, (columns + grain - 1) / grain);
    return parts < net->scratch_parts ? parts : net->scratch_parts;
}

/* Y (B,O) = act(X (B,I) · W (O,I)ᵀ + b (O)). */
static void dense_forward(nn_net *net, float *Y, const float *X, const float *W, const float *b, int B,
                          int I, int O, nn_act act, float slope)
{
    const nn_dense_kernels *k = net->kernels;
    int parts = dense_parts(net, k->forward_cols != NULL, B, I, O, O, NN_DENSE_FORWARD_GRAIN);
    if (parts <= 1) {
        k->forward(Y, X, W, b, B, I, O, act, slope, net->scratch);
        return;
    }
    dense_job j = {.k = k, .B = B, .I = I, .O = O, .X = X, .W = W, .b = b, .Y = Y, .act = act,
                   .slope = slope, .scratch = net->scratch, .scratch_stride = net->scratch_stride};
    nn_threads_run(parts, forward_part, &j);
}

/* dX (B,I) = dY (B,O) · W (O,I). */
static void dense_backward_input(nn_net *net, float *dX, const float *dY, const float *W, int B, int I,
                                 int O)
{
    const nn_dense_kernels *k = net->kernels;
    int parts = dense_parts(net, k->backward_input_cols != NULL, B, I, O, I, NN_DENSE_BACKWARD_GRAIN);
    if (parts <= 1) {
        k->backward_input(dX, dY, W, B, I, O, net->scratch);
        return;
    }
    dense_job j = {.k = k, .B = B, .I = I, .O = O, .dY = dY, .W = W, .dX = dX, .scratch = net->scratch,
                   .scratch_stride = net->scratch_stride};
    nn_threads_run(parts, backward_input_part, &j);
}

/* dW (O,I) (+)= dY (B,O)ᵀ · X (B,I), db (O) (+)= Σ_r dY[r]: overwritten when `fresh`. */
static void dense_backward_weights(nn_net *net, float *dW, float *db, const float *dY, const float *X,
                                   int B, int I, int O, bool fresh)
{
    const nn_dense_kernels *k = net->kernels;
    int parts = dense_parts(net, k->backward_weights_cols != NULL, B, I, O, I, NN_DENSE_BACKWARD_GRAIN);
    if (parts <= 1) {
        if (fresh)
            k->backward_weights_fresh(dW, db, dY, X, B, I, O, net->scratch);
        else
            k->backward_weights(dW, db, dY, X, B, I, O, net->scratch);
        return;
    }
    dense_job j = {.k = k, .B = B, .I = I, .O = O, .dY = dY, .X = X, .dW = dW, .db = db, .fresh = fresh,
                   .scratch = net->scratch, .scratch_stride = net->scratch_stride};
    nn_threads_run(parts, backward_weights_part, &j);
}

/* ---- forward -------------------------------------------------------------- */

/* y, mask, x are (n): mask = 1/(1-p) with probability 1-p, else 0; y = x * mask. */
static void dropout_forward(float *y, float *mask, const float *x, size_t n, float p, nn_rng *rng)
{
    float keep_scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        mask[i] = nn_rng_uniform(rng) >= p ? keep_scale : 0.0f;
        y[i] = x[i] * mask[i];
    }
}

/* dx, dy, mask are (n): dx = dy * mask. dx may alias dy. */
static void dropout_backward(float *dx, const float *dy, const float *mask, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dx[i] = dy[i] * mask[i];
}

/* One layer's forward over input (batch, in): sets L->input and L->output. */
static void layer_forward(nn_net *net, int index, const float *input, int batch)
{
    net_layer *L = &net->layers[index];
    const nn_dense_kernels *k = net->kernels;
    size_t n = (size_t)batch * (size_t)L->width;
    L->input = input;
    L->output = L->buffer;
    switch (L->spec.kind) {
    case NN_LAYER_LINEAR:
        dense_forward(net, L->buffer, input, L->W, L->b, batch, L->spec.in_features,
                      L->spec.out_features, L->fused_act, L->fused_slope);
        return;
    case NN_LAYER_DROPOUT:
        if (net->training) {
            dropout_forward(L->buffer, L->mask, input, n, L->spec.p, &net->dropout_rng);
            net->dropout_draws += n;
        } else
            L->output = input;
        return;
    default:
        if (L->fused)
            L->output = input; /* the preceding Linear already applied this activation */
        else
            k->act_forward(L->buffer, input, n, layer_act(L->spec.kind), L->spec.slope);
        return;
    }
}

nn_status nn_net_forward(nn_net *net, const float *x, int batch, const float **y)
{
    *y = NULL;
    net->last_batch = 0;
    if (!x)
        return nn_fail(NN_EINVAL, "forward: input is NULL");
    if (batch < 1)
        return nn_fail(NN_EINVAL, "forward: batch %d must be > 0", batch);
    nn_status st = ensure_capacity(net, batch);
    if (st == NN_OK)
        st = ensure_scratch(net, batch);
    if (st != NN_OK)
        return st;
    const float *input = x;
    for (int i = 0; i < net->n_layers; i++) {
        layer_forward(net, i, input, batch);
        input = net->layers[i].output;
    }
    net->last_batch = batch;
    net->last_training = net->training;
    *y = input;
    return NN_OK;
}

/* ---- backward ------------------------------------------------------------- */

/* Where an elementwise backward may write: in place when `grad` is ours, else grad_a. */
static float *writable_grad(nn_net *net, const float *grad)
{
    return grad == net->grad_b ? net->grad_b : net->grad_a;
}

/* The ping-pong buffer that does not hold `grad`. */
static float *other_grad(nn_net *net, const float *grad)
{
    return grad == net->grad_a ? net->grad_b : net->grad_a;
}

/* Linear (with its fused activation) backward. grad is (batch, out); adds into
 * dW (out, in) and db (out), or overwrites them when `fresh`; returns the input
 * grad (batch, in), or NULL when not wanted. */
static const float *linear_backward(nn_net *net, const net_layer *L, const float *grad, int batch,
                                    bool want_input_grad, bool fresh)
{
    const nn_dense_kernels *k = net->kernels;
    int in = L->spec.in_features, out = L->spec.out_features;
    if (L->fused_act != NN_ACT_NONE) {
        float *dpre = writable_grad(net, grad);
        k->act_backward(dpre, grad, L->output, (size_t)batch * out, L->fused_act, L->fused_slope);
        grad = dpre;
    }
    dense_backward_weights(net, L->dW, L->db, grad, L->input, batch, in, out, fresh);
    if (!want_input_grad)
        return NULL;
    float *dx = other_grad(net, grad);
    dense_backward_input(net, dx, grad, L->W, batch, in, out);
    return dx;
}

/* Every parameter belongs to a Linear at or after first_linear, and each of
 * those writes its dW and db here: with `fresh`, the whole gradient buffer is
 * overwritten. With `dx`, the walk goes on below the first Linear to the
 * input and points *dx at its gradient (batch, input_size) in a ping-pong
 * buffer; without, it stops at the first Linear, whose input gradient nothing
 * needs. */
static nn_status backward(nn_net *net, const float *dy, bool fresh, const float **dx_out)
{
    if (dx_out)
        *dx_out = NULL;
    if (!dy)
        return nn_fail(NN_EINVAL, "backward: output gradient is NULL");
    if (net->last_batch == 0)
        return nn_fail(NN_EINVAL, "backward: no forward pass to go back through");
    int batch = net->last_batch;
    int last = dx_out ? 0 : net->first_linear;
    const float *grad = dy;
    for (int i = net->n_layers - 1; i >= last; i--) {
        const net_layer *L = &net->layers[i];
        size_t n = (size_t)batch * (size_t)L->width;
        if (L->spec.kind == NN_LAYER_LINEAR) {
            grad = linear_backward(net, L, grad, batch, i > last || dx_out != NULL, fresh);
        } else if (L->spec.kind == NN_LAYER_DROPOUT) {
            if (net->last_training) {
                float *dx = writable_grad(net, grad);
                dropout_backward(dx, grad, L->mask, n);
                grad = dx;
            }
        } else if (!L->fused) {
            float *dx = writable_grad(net, grad);
            net->kernels->act_backward(dx, grad, L->output, n, layer_act(L->spec.kind), L->spec.slope);
            grad = dx;
        }
    }
    if (dx_out) /* a Linear always ran, so grad is a ping-pong buffer, never dy */
        *dx_out = grad;
    return NN_OK;
}

nn_status nn_net_backward(nn_net *net, const float *dy) { return backward(net, dy, false, NULL); }

nn_status nn_net_backward_input(nn_net *net, const float *dy, const float **dx)
{
    return backward(net, dy, false, dx);
}

nn_status nn_net_backward_fresh(nn_net *net, const float *dy) { return backward(net, dy, true, NULL); }
