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
    /* No early exit and the best value in a register: branches on the data
     * here mispredict about once a row (which column wins is the model's
     * guess), and this runs for every row of every batch. */
    if (C <= 0)
        return 0; /* no column: as the loop below would leave it, without reading */
    int best = 0;
    float best_value = row[0];
    bool finite = true;
    for (int j = 0; j < C; j++) {
        float v = row[j];
        finite = finite & (isfinite(v) != 0);
        bool above = v > best_value;
        best = above ? j : best;
        best_value = above ? v : best_value;
    }
    return finite ? best : -1;
}

static bool row_hits(const float *row, int C, int target)
{
    return nn_row_argmax(row, C) == target;
}

/* Exponentials go through the kernel table's exp_doubles (the bits of
 * glibc's exp, several lanes at a time), EXP_CHUNK at once. Rows go in groups
 * of at most ROW_GROUP; a group's B·C elements are taken in row-major order,
 * EXP_CHUNK at a time whatever C is: a chunk may hold many short rows, or a
 * piece of a long one. Each row's exponentials are still added in order of j,
 * so the sums do not depend on where the chunks fall. */
enum { EXP_CHUNK = 512, ROW_GROUP = 256 };

static float row_max(const float *row, int C)
{
    float max = row[0];
    for (int j = 1; j < C; j++)
        if (row[j] > max)
            max = row[j];
    return max;
}

/* The rows of z (rows, C) and their shifts (rows): a pass takes their
 * exponentials e^(z[r][j] - shift[r]) in row-major order, a chunk at a time. */
typedef struct exp_rows {
    const nn_dense_kernels *k;
    const float *z;
    int rows, C;
    const double *shift;
} exp_rows;

/* A place in the rows: row r, column j. */
typedef struct row_cursor {
    int r, j;
} row_cursor;

/* How many of the `left` elements from c lie in c's row. */
static inline int run_in_row(const row_cursor *c, int C, size_t left)
{
    return (size_t)(C - c->j) < left ? C - c->j : (int)left;
}

static inline void advance(row_cursor *c, int C, int n)
{
    if ((c->j += n) == C)
        c->j = 0, c->r++;
}

/* xs[0 .. n) = z[e0 + i] - shift[its row], from the cursor at e0 (moved to e0 + n). */
static inline __attribute__((always_inline)) void shifted_chunk(const exp_rows *e, row_cursor *c,
                                                                size_t e0, size_t n, double *xs)
{
    for (size_t i = 0; i < n;) {
        int m = run_in_row(c, e->C, n - i);
        double shift = e->shift[c->r];
        const float *z = e->z + e0 + i;
        for (int t = 0; t < m; t++)
            xs[i + t] = (double)z[t] - shift;
        i += (size_t)m;
        advance(c, e->C, m);
    }
}

/* One pass over the rows' exponentials e^(z[r][j] - shift[r]), EXP_CHUNK at a
 * time (xs, es: EXP_CHUNK doubles of workspace). Without dz: sums[r] = their
 * sum over j, added in order of j. With dz (rows, C): dz[r][j] = (the
 * exponential - [j == targets[r]]) · inv_batch, as floats. Inlined into each
 * call, so that each pass is compiled without the other's branch (dz is a
 * constant there). */
static inline __attribute__((always_inline)) void exp_rows_pass(const exp_rows *e, double *sums,
                                                                float *dz,
                                                                const int32_t *targets,
                                                                double inv_batch, double *xs,
                                                                double *es)
{
    size_t count = (size_t)e->rows * e->C;
    row_cursor at = {0, 0};
    for (int r = 0; !dz && r < e->rows; r++)
        sums[r] = 0.0;
    for (size_t e0 = 0; e0 < count; e0 += EXP_CHUNK) {
        size_t n = count - e0 < EXP_CHUNK ? count - e0 : EXP_CHUNK;
        row_cursor c = at;
        shifted_chunk(e, &at, e0, n, xs);
        e->k->exp_doubles(es, xs, n);
        for (size_t i = 0; i < n;) {
            int m = run_in_row(&c, e->C, n - i);
            if (dz) {
                int target = targets[c.r] - c.j; /* its index in this run */
                for (int t = 0; t < m; t++)
                    dz[e0 + i + t] = (float)((es[i + t] - (t == target)) * inv_batch);
            } else {
                double sum = sums[c.r];
                for (int t = 0; t < m; t++)
                    sum += es[i + t];
                sums[c.r] = sum;
            }
            i += (size_t)m;
            advance(&c, e->C, m);
        }
    }
}

nn_status nn_cross_entropy(const float *logits, const int32_t *targets, int B, int C,
                           float *loss, float *dlogits, int *correct)
{
    /* logits (B, C), targets (B), dlogits (B, C) or NULL */
    nn_status status = check_class_targets(targets, B, C);
    if (status != NN_OK)
        return status;

    double xs[EXP_CHUNK], es[EXP_CHUNK], max[ROW_GROUP], sums[ROW_GROUP], lse[ROW_GROUP];
    double total = 0.0, inv_batch = 1.0 / B;
    int hits = 0;
    /* Per row: lse = max + log(Σ_j e^(z[j] - max)) (no exponential overflows;
     * a NaN anywhere gives NaN), the loss lse - z[target], and the gradient
     * (e^(z[j] - lse) - [j == target]) / B. */
    for (int b0 = 0; b0 < B; b0 += ROW_GROUP) {
        int rows = B - b0 < ROW_GROUP ? B - b0 : ROW_GROUP;
        const float *z0 = logits + (size_t)b0 * C;
        for (int r = 0; r < rows; r++)
            max[r] = row_max(z0 + (size_t)r * C, C);
        exp_rows e = {nn_kernels_active(), z0, rows, C, max};
        exp_rows_pass(&e, sums, NULL, NULL, 0.0, xs, es);
        for (int r = 0; r < rows; r++) {
            const float *z = z0 + (size_t)r * C;
            int target = targets[b0 + r];
            lse[r] = max[r] + log(sums[r]);
            total += lse[r] - z[target];
            hits += row_hits(z, C, target);
        }
        if (dlogits) {
            e.shift = lse;
            exp_rows_pass(&e, NULL, dlogits + (size_t)b0 * C, targets + b0, inv_batch, xs, es);
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
