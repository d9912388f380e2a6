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

/* Y (B,O) = act(X (B,I) · W (O,I)ᵀ + b (O)) */
static void scalar_forward(float *Y, const float *X, const float *W, const float *b,
                           int B, int I, int O, nn_act act, float slope, float *scratch)
{
    (void)scratch;
    for (int r = 0; r < B; r++) {
        const float *x = X + (size_t)r * I;
        for (int o = 0; o < O; o++) {
            const float *w = W + (size_t)o * I;
            float acc = b ? b[o] : 0.0f;
            for (int i = 0; i < I; i++)
                acc += x[i] * w[i];
            Y[(size_t)r * O + o] = act_apply(acc, act, slope);
        }
    }
}

/* dX (B,I) = dY (B,O) · W (O,I) */
static void scalar_backward_input(float *dX, const float *dY, const float *W,
                                  int B, int I, int O, float *scratch)
{
    (void)scratch;
    for (int r = 0; r < B; r++) {
        float *dx = dX + (size_t)r * I;
        for (int i = 0; i < I; i++)
            dx[i] = 0.0f;
        for (int o = 0; o < O; o++) {
            float g = dY[(size_t)r * O + o];
            const float *w = W + (size_t)o * I;
            for (int i = 0; i < I; i++)
                dx[i] += g * w[i];
        }
    }
}

/* dW (O,I) += dY (B,O)ᵀ · X (B,I);  db (O) += Σ_r dY[r] */
static void scalar_backward_weights(float *dW, float *db, const float *dY, const float *X,
                                    int B, int I, int O, float *scratch)
{
    (void)scratch;
    for (int o = 0; o < O; o++) {
        float *dw = dW + (size_t)o * I;
        float bias_acc = 0.0f;
        for (int r = 0; r < B; r++) {
            float g = dY[(size_t)r * O + o];
            const float *x = X + (size_t)r * I;
            bias_acc += g;
            for (int i = 0; i < I; i++)
                dw[i] += g * x[i];
        }
        if (db)
            db[o] += bias_acc;
    }
}

/* dW (O,I) = 0 + dY (B,O)ᵀ · X (B,I);  db (O) = 0 + Σ_r dY[r]: zeroing, then
 * the accumulating kernel, so the result is the same bit for bit. */
static void scalar_backward_weights_fresh(float *dW, float *db, const float *dY, const float *X,
                                          int B, int I, int O, float *scratch)
{
    for (size_t i = 0; i < (size_t)O * (size_t)I; i++)
        dW[i] = 0.0f;
    for (int o = 0; db && o < O; o++)
        db[o] = 0.0f;
    scalar_backward_weights(dW, db, dY, X, B, I, O, scratch);
}

static const nn_dense_kernels scalar_kernels = {
    .name = "scalar",
    .forward = scalar_forward,
    .backward_input = scalar_backward_input,
    .backward_weights = scalar_backward_weights,
    .backward_weights_fresh = scalar_backward_weights_fresh,
    .act_forward = scalar_act_forward,
    .act_backward = scalar_act_backward,
};

const nn_dense_kernels *nn_kernels_scalar(void) { return &scalar_kernels; }
