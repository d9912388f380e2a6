/* Dense-layer kernels: the three GEMMs of a Linear layer plus elementwise
 * activations. Two implementations share one table: a scalar reference and an
 * AVX2+FMA version (packed panels, register-blocked microkernel). The active one
 * is chosen once from CPUID; NNLAB_SIMD=scalar forces the reference.
 *
 * Shapes (row-major, contiguous):
 *   X  (B, I)   layer input          W  (O, I)   weight, like torch.nn.Linear
 *   Y  (B, O)   layer output         b  (O)      bias (may be NULL)
 *   dY (B, O)   grad of output       dX (B, I)   grad of input
 *   dW (O, I)   grad of weight       db (O)      grad of bias (may be NULL)
 *
 * `scratch` is caller-owned workspace of at least nn_dense_scratch_floats(B, I, O)
 * floats, 64-byte aligned; kernels never allocate. */
#ifndef NN_KERNELS_H
#define NN_KERNELS_H

#include <stddef.h>

typedef enum nn_act {
    NN_ACT_NONE = 0,
    NN_ACT_SIGMOID,
    NN_ACT_RELU,
    NN_ACT_LEAKY_RELU, /* uses `slope` for x < 0 */
    NN_ACT_TANH,
} nn_act;

typedef struct nn_dense_kernels {
    const char *name; /* "scalar" or "avx2" */

    /* Y = act(X·Wᵀ + b). Overwrites Y. */
    void (*forward)(float *Y, const float *X, const float *W, const float *b,
                    int B, int I, int O, nn_act act, float slope, float *scratch);

    /* dX = dY·W. Overwrites dX. */
    void (*backward_input)(float *dX, const float *dY, const float *W,
                           int B, int I, int O, float *scratch);

    /* dW += dYᵀ·X; db += Σ_batch dY (skipped when db is NULL). Accumulates. */
    void (*backward_weights)(float *dW, float *db, const float *dY, const float *X,
                             int B, int I, int O, float *scratch);

    /* dW = dYᵀ·X; db = Σ_batch dY (skipped when db is NULL). Overwrites dW and db
     * without reading them, with exactly (bit for bit) what zeroing them and
     * then backward_weights would leave: the training loop's zero_grad + backward. */
    void (*backward_weights_fresh)(float *dW, float *db, const float *dY, const float *X,
                                   int B, int I, int O, float *scratch);

    /* y[i] = act(x[i]) for i < n (y may alias x). */
    void (*act_forward)(float *y, const float *x, size_t n, nn_act act, float slope);

    /* dx[i] = dy[i] * act'(.) expressed through the activation's OUTPUT y
     * (sigmoid y(1-y), tanh 1-y², relu/leaky by the sign of y). dx may alias dy. */
    void (*act_backward)(float *dx, const float *dy, const float *y, size_t n,
                         nn_act act, float slope);
} nn_dense_kernels;

/* Workspace (in floats) any kernel of either table needs for these sizes. */
size_t nn_dense_scratch_floats(int B, int I, int O);

const nn_dense_kernels *nn_kernels_scalar(void);
/* NULL when this CPU lacks AVX2 or FMA. */
const nn_dense_kernels *nn_kernels_avx2(void);
/* The table in use: AVX2 when available unless NNLAB_SIMD=scalar. Cached after
 * the first call; thread-safe. */
const nn_dense_kernels *nn_kernels_active(void);

#endif
