/* Sequential networks: layers, shape checks, forward/backward, init, save/load.
 *
 * A network owns one flat buffer of parameters and one of gradients (both
 * 64-byte aligned, same layout); each Linear layer's W (out, in) and b (out)
 * point into them, in layer order, W before b. Activation buffers are sized for
 * the largest batch seen so far and reused: no allocation in steady state.
 * A Linear followed directly by an activation is fused into one forward kernel. */
#ifndef NN_NET_H
#define NN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_error.h"
#include "nn_kernels.h"

typedef enum nn_layer_kind {
    NN_LAYER_LINEAR = 0,
    NN_LAYER_SIGMOID,
    NN_LAYER_RELU,
    NN_LAYER_LEAKY_RELU,
    NN_LAYER_TANH,
    NN_LAYER_DROPOUT,
} nn_layer_kind;

typedef enum nn_init {
    NN_INIT_TORCH = 0,       /* torch.nn.Linear default: W, b ~ U(±1/√in) */
    NN_INIT_XAVIER_UNIFORM,  /* W ~ U(±√(6/(in+out))), b = 0 */
    NN_INIT_XAVIER_NORMAL,   /* W ~ N(0, 2/(in+out)), b = 0 */
    NN_INIT_KAIMING_UNIFORM, /* W ~ U(±√(6/in)) (ReLU gain), b = 0 */
    NN_INIT_KAIMING_NORMAL,  /* W ~ N(0, 2/in), b = 0 */
} nn_init;

typedef struct nn_layer_spec {
    nn_layer_kind kind;
    int in_features, out_features; /* Linear only */
    nn_init init;                   /* Linear only */
    float slope;                    /* LeakyReLU negative slope (torch default 0.01) */
    float p;                        /* Dropout probability, 0 <= p < 1 */
} nn_layer_spec;

/* The most features either side of a Linear layer may have. */
#define NN_NET_MAX_FEATURES (1 << 24)

typedef struct nn_net nn_net;

/* Names of layer kinds and init schemes, as experiments and messages spell
 * them. C code converts both ways through these, never with a table of its own.
 *
 * "Linear", "Sigmoid", "ReLU", "LeakyReLU", "Tanh", "Dropout"; NULL for a value
 * that is no kind. */
const char *nn_layer_kind_name(nn_layer_kind kind);
/* The kind named `name` (case-sensitive) into *kind; otherwise NN_EINVAL,
 * "unknown layer kind 'NAME'", and *kind untouched. */
nn_status nn_layer_kind_from_name(nn_layer_kind *kind, const char *name);
/* "torch", "xavier_uniform", "xavier_normal", "kaiming_uniform",
 * "kaiming_normal"; NULL for a value that is no scheme. */
const char *nn_init_name(nn_init init);
/* The scheme named `name` into *init; otherwise NN_EINVAL, "unknown layer init
 * 'NAME'", and *init untouched. */
nn_status nn_init_from_name(nn_init *init, const char *name);

/* Builds a network and initialises it from `seed` (stream NN_STREAM_INIT; dropout
 * masks use NN_STREAM_DROPOUT). Checks every spec and that each Linear's
 * in_features equals the width flowing into it: a mismatch is NN_ESHAPE naming
 * both layers by index and kind and both sizes. The network must contain at least
 * one Linear. Starts in training mode with zero gradients. */
nn_status nn_net_create(nn_net **out, const nn_layer_spec *layers, int n_layers, uint64_t seed);
void nn_net_free(nn_net *net);

int nn_net_layer_count(const nn_net *net);
const nn_layer_spec *nn_net_layer(const nn_net *net, int index);
int nn_net_input_size(const nn_net *net);
int nn_net_output_size(const nn_net *net);

size_t nn_net_param_count(const nn_net *net);
float *nn_net_params(nn_net *net);
float *nn_net_grads(nn_net *net);
/* Offsets of layer `index`'s W and b in the flat buffers (-1 when not Linear). */
ptrdiff_t nn_net_weight_offset(const nn_net *net, int index);
ptrdiff_t nn_net_bias_offset(const nn_net *net, int index);

/* Training mode turns dropout on; eval mode makes it the identity. */
void nn_net_set_training(nn_net *net, bool training);
bool nn_net_training(const nn_net *net);

/* How many random numbers the dropout layers have drawn since the net was
 * made (one per element of each training-mode forward): with the seed, it
 * fixes where the dropout stream stands, so a cache key holds it. */
uint64_t nn_net_dropout_draws(const nn_net *net);

/* Uses this kernel table from now on (tests compare scalar and AVX2). */
void nn_net_set_kernels(nn_net *net, const nn_dense_kernels *kernels);

/* Forward pass over x (batch, input_size). *y points to (batch, output_size)
 * owned by the network, valid until the next forward, even one that fails
 * (a larger batch frees the buffers before it allocates). x must stay alive and
 * unchanged until the matching backward. */
nn_status nn_net_forward(nn_net *net, const float *x, int batch, const float **y);

/* Backward pass for the last forward: dy is (batch, output_size). Adds into the
 * gradient buffer (call nn_net_zero_grad between steps). The input gradient of
 * the first layer is not computed. */
nn_status nn_net_backward(nn_net *net, const float *dy);

/* nn_net_backward, then on to the input: *dx points to the gradient of the
 * loss with respect to the last forward's input, (batch, input_size), owned
 * by the network and valid until its next forward or backward (to feed the
 * backward of the network whose output that input was). */
nn_status nn_net_backward_input(nn_net *net, const float *dy, const float **dx);

/* nn_net_zero_grad then nn_net_backward in one pass: the gradient buffer is
 * overwritten with this batch's gradients, bit for bit what zeroing and adding
 * give, without the memset or reading the old values (the training loop). */
nn_status nn_net_backward_fresh(nn_net *net, const float *dy);

void nn_net_zero_grad(nn_net *net);

/* The p-norm of the whole gradient buffer, accumulated in double:
 * (sum |g|^p)^(1/p) for p > 0, max |g| for p = INFINITY (torch's
 * total_norm in clip_grad_norm_ over every parameter). NaN for p <= 0 or NaN. */
double nn_net_grad_norm(const nn_net *net, double p);
/* Multiplies every gradient by `factor` (the clipping step). */
void nn_net_scale_grads(nn_net *net, float factor);

/* Binary model file: magic "NNLABMDL", format version, layer list, sizes,
 * parameters, and a CRC-32 over everything before it. Written to a temporary
 * file of its own beside path (path.tmp.PID.N, never an existing file) and
 * renamed, so a crash never leaves a half file under `path`, and two saves to
 * one path leave one whole model. */
nn_status nn_net_save(const nn_net *net, const char *path);
/* The same file deflated (its bytes split into four byte planes, then zlib's
 * deflate; layout in nn_model_file.c), written the same way: about 16 % smaller
 * for trained float32 weights. nn_net_load reads either. */
nn_status nn_net_save_deflated(const nn_net *net, const char *path);
/* Validates magic, version, every layer field, sizes against the file length and
 * the checksum before trusting a byte; errors name the file and the cause. A
 * deflated file is inflated (never past the length its header gives, itself
 * bounded) and the model file inside validated the same way. */
nn_status nn_net_load(nn_net **out, const char *path);

#endif
