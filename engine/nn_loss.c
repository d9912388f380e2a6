/* Losses with PyTorch's 'mean' reduction (see nn_loss.h): cross entropy on
 * logits and MSE, each with its gradient and an argmax hit count.
 *
 * Sums and exponentials are taken in double and rounded to float once, so a
 * loss is as close to the exact value as a float can be. NaN inputs are not
 * filtered: they make the loss NaN, which is how the caller sees divergence;
 * a row with a NaN or infinite output is never counted as a hit. */
#include "nn_loss.h"
#include "nn_kernels.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

static nn_status check_sizes(int B, int C)
{
    if (B <= 0)
        return nn_fail(NN_EINVAL, "invalid batch size: %d (must be > 0)", B);
    if (C <= 0)
        return nn_fail(NN_EINVAL, "invalid class count: %d (must be > 0)", C);
    return NN_OK;
}

/* Sizes, then targets (B), each in [0, C): the checks of every loss on class
 * targets, made before any output is written. */
static nn_status check_class_targets(const int32_t *targets, int B, int C)
{
    nn_status status = check_sizes(B, C);
    if (status != NN_OK)
        return status;
    for (int b = 0; b < B; b++)
        if (targets[b] < 0 || targets[b] >= C)
            return nn_fail(NN_EINVAL, "target %ld at row %d is out of range [0, %d)",
                           (long)targets[b], b, C);
    return NN_OK;
}

/* row: (C). Whether the row's argmax (its largest value, the first one on
 * ties, as torch.argmax) is `target`. A row with a NaN or infinite output is
 * never a hit: a model that overflowed is wrong there, not lucky. */
int nn_row_argmax(const float *row, int C)
{
    int best = 0;
    for (int j = 0; j < C; j++) {
        if (!isfinite(row[j]))
            return -1;
        if (row[j] > row[best])
            best = j;
    }
    return best;
}

static bool row_hits(const float *row, int C, int target)
{
    return nn_row_argmax(row, C) == target;
}

/* Exponentials go through the kernel table's exp_doubles (the bits of
 * glibc's exp, several lanes at a time), EXP_CHUNK at once: rows are taken in
 * groups that fit, a longer row in pieces. */
enum { EXP_CHUNK = 512 };

static float row_max(const float *row, int C)
{
    float max = row[0];
    for (int j = 1; j < C; j++)
        if (row[j] > max)
            max = row[j];
    return max;
}

/* Σ_j e^(row[j] - max) for j < C, added in order: xs and es are EXP_CHUNK
 * doubles of workspace. */
static double row_exp_sum(const nn_dense_kernels *k, const float *row, int C, float max,
                          double *xs, double *es)
{
    double sum = 0.0;
    for (int j0 = 0; j0 < C; j0 += EXP_CHUNK) {
        int n = C - j0 < EXP_CHUNK ? C - j0 : EXP_CHUNK;
        for (int j = 0; j < n; j++)
            xs[j] = (double)row[j0 + j] - max;
        k->exp_doubles(es, xs, (size_t)n);
        for (int j = 0; j < n; j++)
            sum += es[j];
    }
    return sum;
}

/* dz (C) = (e^(z[j] - lse) - [j == target]) / B, as floats. */
static void row_gradient(const nn_dense_kernels *k, float *dz, const float *z, int C, double lse,
                         int target, double inv_batch, double *xs, double *es)
{
    for (int j0 = 0; j0 < C; j0 += EXP_CHUNK) {
        int n = C - j0 < EXP_CHUNK ? C - j0 : EXP_CHUNK;
        for (int j = 0; j < n; j++)
            xs[j] = z[j0 + j] - lse;
        k->exp_doubles(es, xs, (size_t)n);
        for (int j = 0; j < n; j++)
            dz[j0 + j] = (float)((es[j] - (j0 + j == target)) * inv_batch);
    }
}

nn_status nn_cross_entropy(const float *logits, const int32_t *targets, int B, int C,
                           float *loss, float *dlogits, int *correct)
{
    /* logits (B, C), targets (B), dlogits (B, C) or NULL */
    nn_status status = check_class_targets(targets, B, C);
    if (status != NN_OK)
        return status;

    const nn_dense_kernels *k = nn_kernels_active();
    double xs[EXP_CHUNK], es[EXP_CHUNK], lse[EXP_CHUNK];
    double total = 0.0, inv_batch = 1.0 / B;
    int hits = 0;
    /* Rows in groups of EXP_CHUNK / C (one row when C is larger): per row,
     * lse = max + log(Σ_j e^(z[j] - max)) (no exponential overflows; a NaN
     * anywhere gives NaN), the loss lse - z[target], and the gradient
     * (e^(z[j] - lse) - [j == target]) / B. */
    int group = C < EXP_CHUNK ? EXP_CHUNK / C : 1;
    for (int b0 = 0; b0 < B; b0 += group) {
        int rows = B - b0 < group ? B - b0 : group;
        const float *z0 = logits + (size_t)b0 * C;
        if (C <= EXP_CHUNK) {
            float max[EXP_CHUNK];
            for (int r = 0; r < rows; r++) {
                const float *z = z0 + (size_t)r * C;
                max[r] = row_max(z, C);
                for (int j = 0; j < C; j++)
                    xs[r * C + j] = (double)z[j] - max[r];
            }
            k->exp_doubles(es, xs, (size_t)rows * C);
            for (int r = 0; r < rows; r++) {
                double sum = 0.0;
                for (int j = 0; j < C; j++)
                    sum += es[r * C + j];
                lse[r] = max[r] + log(sum);
            }
        } else {
            float max = row_max(z0, C);
            lse[0] = max + log(row_exp_sum(k, z0, C, max, xs, es));
        }
        for (int r = 0; r < rows; r++) {
            const float *z = z0 + (size_t)r * C;
            int target = targets[b0 + r];
            total += lse[r] - z[target];
            hits += row_hits(z, C, target);
        }
        if (!dlogits)
            continue;
        float *dz0 = dlogits + (size_t)b0 * C;
        if (C > EXP_CHUNK) {
            row_gradient(k, dz0, z0, C, lse[0], targets[b0], inv_batch, xs, es);
            continue;
        }
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < C; j++)
                xs[r * C + j] = z0[(size_t)r * C + j] - lse[r];
        k->exp_doubles(es, xs, (size_t)rows * C);
        for (int r = 0; r < rows; r++) {
            int target = targets[b0 + r];
            for (int j = 0; j < C; j++)
                dz0[(size_t)r * C + j] = (float)((es[r * C + j] - (j == target)) * inv_batch);
        }
    }
    *loss = (float)(total * inv_batch);
    if (correct)
        *correct = hits;
    return NN_OK;
}

/* pred (B, C); the target is dense (B, C) when `dense` is set, else the one-hot
 * encoding of `classes` (B). Writes the mean loss and, if dpred is set, its
 * gradient 2 (pred - target) / (B*C) in PyTorch's order: (pred - target) * (2/N). */
static void squared_error(const float *pred, const float *dense, const int32_t *classes,
                          int B, int C, float *loss, float *dpred)
{
    size_t count = (size_t)B * C;
    float grad_scale = (float)(2.0 / (double)count);
    double total = 0.0;
    for (int b = 0; b < B; b++) {
        for (int j = 0; j < C; j++) {
            size_t i = (size_t)b * C + j;
            float target = dense ? dense[i] : (float)(classes[b] == j);
            float diff = pred[i] - target;
            total += (double)diff * diff;
            if (dpred)
                dpred[i] = diff * grad_scale;
        }
    }
    *loss = (float)(total / (double)count);
}

nn_status nn_mse(const float *pred, const float *target, int B, int C, float *loss,
                 float *dpred)
{
    /* pred (B, C), target (B, C), dpred (B, C) or NULL */
    nn_status status = check_sizes(B, C);
    if (status != NN_OK)
        return status;
    squared_error(pred, target, NULL, B, C, loss, dpred);
    return NN_OK;
}

nn_status nn_mse_onehot(const float *pred, const int32_t *targets, int B, int C,
                        float *loss, float *dpred, int *correct)
{
    /* pred (B, C), targets (B), dpred (B, C) or NULL */
    nn_status status = check_class_targets(targets, B, C);
    if (status != NN_OK)
        return status;
    squared_error(pred, NULL, targets, B, C, loss, dpred);
    if (correct) {
        int hits = 0;
        for (int b = 0; b < B; b++)
            hits += row_hits(pred + (size_t)b * C, C, targets[b]);
        *correct = hits;
    }
    return NN_OK;
}
