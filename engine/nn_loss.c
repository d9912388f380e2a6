/* Losses with PyTorch's 'mean' reduction (see nn_loss.h): cross entropy on
 * logits and MSE, each with its gradient and an argmax hit count.
 *
 * Sums and exponentials are taken in double and rounded to float once, so a
 * loss is as close to the exact value as a float can be. NaN inputs are not
 * filtered: they make the loss NaN, which is how the caller sees divergence;
 * a row with a NaN or infinite output is never counted as a hit. */
#include "nn_loss.h"

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

/* row: (C). log(sum_j exp(row[j])), shifted by the row's maximum so that no
 * exponential overflows. A NaN anywhere in the row gives NaN. */
static double row_logsumexp(const float *row, int C)
{
    float max = row[0];
    for (int j = 1; j < C; j++)
        if (row[j] > max)
            max = row[j];
    double sum = 0.0;
    for (int j = 0; j < C; j++)
        sum += exp((double)row[j] - max);
    return max + log(sum);
}

nn_status nn_cross_entropy(const float *logits, const int32_t *targets, int B, int C,
                           float *loss, float *dlogits, int *correct)
{
    /* logits (B, C), targets (B), dlogits (B, C) or NULL */
    nn_status status = check_class_targets(targets, B, C);
    if (status != NN_OK)
        return status;

    double total = 0.0, inv_batch = 1.0 / B;
    int hits = 0;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * C;
        int target = targets[b];
        double lse = row_logsumexp(z, C);
        total += lse - z[target];
        if (dlogits) {
            float *dz = dlogits + (size_t)b * C;
            for (int j = 0; j < C; j++)
                dz[j] = (float)((exp(z[j] - lse) - (j == target)) * inv_batch);
        }
        hits += row_hits(z, C, target);
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
