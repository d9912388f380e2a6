/* Scalar reference kernels for dense layers (see nn_kernels.h for shapes).
 * Plain loops in the obvious order; the AVX2 kernels are tested against these. */
#include "nn_kernels.h"

#include <math.h>

static float act_apply(float x, nn_act act, float slope)
{
    switch (act) {
    case NN_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case NN_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case NN_ACT_LEAKY_RELU: return x > 0.0f ? x : slope * x;
    case NN_ACT_TANH: return tanhf(x);
    case NN_ACT_NONE: break;
    }
    return x;
}

/* act'(pre) written through y = act(pre). For leaky ReLU with slope > 0 the
 * sign of y is the sign of pre; slope 0 behaves as ReLU. PyTorch's grad at 0
 * is 0 for ReLU and `slope` for LeakyReLU (x > 0 is the test); we match. */
static float act_grad_from_output(float y, nn_act act, float slope)
{
    switch (act) {
    case NN_ACT_SIGMOID: return y * (1.0f - y);
    case NN_ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case NN_ACT_LEAKY_RELU: return y > 0.0f ? 1.0f : slope;
    case NN_ACT_TANH: return 1.0f - y * y;
    case NN_ACT_NONE: break;
    }
    return 1.0f;
}

static void scalar_act_forward(float *y, const float *x, size_t n, nn_act act, float slope)
{
    for (size_t i = 0; i < n; i++)
        y[i] = act_apply(x[i], act, slope);
}

static void scalar_act_backward(float *dx, const float *dy, const float *y, size_t n,
                                nn_act act, float slope)
{
    for (size_t i = 0; i < n; i++)
        dx[i] = dy[i] * act_grad_from_output(y[i], act, slope);
}

/* Columns [o0, o1) of Y (B,O) = act(X (B,I) · W (O,I)ᵀ + b (O)) */
static void scalar_forward_cols(float *Y, const float *X, const float *W, const float *b,
                                int B, int I, int O, nn_act act, float slope, int o0, int o1,
                                float *scratch)
{
    (void)scratch;
    for (int r = 0; r < B; r++) {
        const float *x = X + (size_t)r * I;
        for (int o = o0; o < o1; o++) {
            const float *w = W + (size_t)o * I;
            float acc = b ? b[o] : 0.0f;
            for (int i = 0; i < I; i++)
                acc += x[i] * w[i];
            Y[(size_t)r * O + o] = act_apply(acc, act, slope);
        }
    }
}

/* Y (B,O) = act(X (B,I) · W (O,I)ᵀ + b (O)) */
static void scalar_forward(float *Y, const float *X, const float *W, const float *b,
                           int B, int I, int O, nn_act act, float slope, float *scratch)
{
    scalar_forward_cols(Y, X, W, b, B, I, O, act, slope, 0, O, scratch);
}

/* Columns [i0, i1) of dX (B,I) = dY (B,O) · W (O,I) */
static void scalar_backward_input_cols(float *dX, const float *dY, const float *W,
                                       int B, int I, int O, int i0, int i1, float *scratch)
{
    (void)scratch;
    for (int r = 0; r < B; r++) {
        float *dx = dX + (size_t)r * I;
        for (int i = i0; i < i1; i++)
            dx[i] = 0.0f;
        for (int o = 0; o < O; o++) {
            float g = dY[(size_t)r * O + o];
            const float *w = W + (size_t)o * I;
            for (int i = i0; i < i1; i++)
                dx[i] += g * w[i];
        }
    }
}

/* dX (B,I) = dY (B,O) · W (O,I) */
static void scalar_backward_input(float *dX, const float *dY, const float *W,
                                  int B, int I, int O, float *scratch)
{
    scalar_backward_input_cols(dX, dY, W, B, I, O, 0, I, scratch);
}

/* Columns [i0, i1) of dW (O,I) += dY (B,O)ᵀ · X (B,I);  db (O) += Σ_r dY[r].
 * When `fresh`: those columns of dW and db zeroed first (the same bits as
 * zeroing, then accumulating). */
static void scalar_backward_weights_cols(float *dW, float *db, const float *dY, const float *X,
                                         int B, int I, int O, int i0, int i1, bool fresh,
                                         float *scratch)
{
    (void)scratch;
    for (int o = 0; o < O; o++) {
        float *dw = dW + (size_t)o * I;
        if (fresh)
            for (int i = i0; i < i1; i++)
                dw[i] = 0.0f;
        float bias_acc = 0.0f;
        for (int r = 0; r < B; r++) {
            float g = dY[(size_t)r * O + o];
            const float *x = X + (size_t)r * I;
            bias_acc += g;
            for (int i = i0; i < i1; i++)
                dw[i] += g * x[i];
        }
        if (db)
            db[o] = (fresh ? 0.0f : db[o]) + bias_acc;
    }
}

/* dW (O,I) += dY (B,O)ᵀ · X (B,I);  db (O) += Σ_r dY[r] */
static void scalar_backward_weights(float *dW, float *db, const float *dY, const float *X,
                                    int B, int I, int O, float *scratch)
{
    scalar_backward_weights_cols(dW, db, dY, X, B, I, O, 0, I, false, scratch);
}

/* dW (O,I) = 0 + dY (B,O)ᵀ · X (B,I);  db (O) = 0 + Σ_r dY[r]: zeroing, then
 * the accumulating kernel, so the result is the same bit for bit. */
static void scalar_backward_weights_fresh(float *dW, float *db, const float *dY, const float *X,
                                          int B, int I, int O, float *scratch)
{
    scalar_backward_weights_cols(dW, db, dY, X, B, I, O, 0, I, true, scratch);
}

static const nn_dense_kernels scalar_kernels = {
    .name = "scalar",
    .forward = scalar_forward,
    .backward_input = scalar_backward_input,
    .backward_weights = scalar_backward_weights,
    .backward_weights_fresh = scalar_backward_weights_fresh,
    .act_forward = scalar_act_forward,
    .act_backward = scalar_act_backward,
    .forward_cols = scalar_forward_cols,
    .backward_input_cols = scalar_backward_input_cols,
    .backward_weights_cols = scalar_backward_weights_cols,
};

const nn_dense_kernels *nn_kernels_scalar(void) { return &scalar_kernels; }
