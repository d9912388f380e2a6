/* Losses with PyTorch's 'mean' reduction (see nn_loss.h): cross entropy on
 * logits and MSE, each with its gradient and an argmax hit count.
 *
 * Sums and exponentials are taken in double and rounded to float once, so a
 * loss is as close to the exact value as a float can be. NaN inputs are not
 * filtered: they make the loss NaN, which is how the caller sees divergence;
 * a row with a NaN or infinite output is never counted as a hit. */
#include "nn_loss.h"
#include "nn_kernels.h"

#include <float.h>
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
            return nn_fail(NN_EINVAL, "target %ld at row %d (0-based) is out of range [0, %d)",
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

/* The cross entropy takes its rows ROW_BLOCK at a time, one row a lane: a
 * block's columns are copied transposed into zt (column j's ROW_BLOCK values
 * side by side), so that every step below is the same operation on all the
 * block's rows at once, and each row's sum is still its exponentials added in
 * order of j. Before, each row was a short loop of its own (10 classes), and
 * the glue around the vector exponentials took half the loss's time: a call
 * on 32 rows of 10 takes 1.13-1.15 µs against 1.49-1.50, on 128 rows 4.46-4.64
 * against 5.78-5.87 (Zen 5, bench_kernels 0.3 --loss BxC, 3 alternating runs),
 * the seed's loss phase 3.2-4.2 ms an epoch against 5.0-5.6 (bench_phases DIR 5
 * wall seed, 4 alternating runs).
 * Exponentials go through the kernel table's exp_doubles (the bits of glibc's
 * exp, several lanes at a time), BLOCK_COLS columns of the block (EXP_CHUNK
 * values) at once. Lanes past a block's last row repeat that row; nothing of
 * theirs is kept. */
enum { EXP_CHUNK = 512, ROW_BLOCK = 16, BLOCK_COLS = EXP_CHUNK / ROW_BLOCK };

/* One copy per instruction set, as nn_optim.c's steps (its STEP_CLONES): the
 * lane loops here are elementwise, compares and selects, conversions and
 * additions, none of which a wider vector rounds differently. (Which NaN an
 * addition of two NaNs gives follows the compiled operand order, which may
 * differ between copies and compilers: NaN stays NaN, its sign and payload
 * are not promised.) */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__ELF__) && !defined(__clang__)
#define LANE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LANE_CLONES
#endif

/* A block of rows of logits z (rows ≤ ROW_BLOCK, row stride C). */
typedef struct row_block {
    const float *z;
    int rows, C;
} row_block;

/* zt (cols, ROW_BLOCK) = the block's columns [j0, j0 + cols), one row a lane. */
static inline void load_columns(float *restrict zt, const row_block *blk, int j0, int cols)
{
    for (int r = 0; r < ROW_BLOCK; r++) {
        const float *row = blk->z + (size_t)(r < blk->rows ? r : blk->rows - 1) * blk->C + j0;
        for (int j = 0; j < cols; j++)
            zt[j * ROW_BLOCK + r] = row[j];
    }
}

/* Per lane: max = the row's largest value (row[0] and then each larger one, as
 * a chain of `>`: a NaN first makes it NaN, a NaN later is passed over); best
 * = where it first is, finite = no NaN or infinity in the row: what
 * nn_row_argmax finds, one row a lane. */
LANE_CLONES static void block_max(const row_block *blk, float *restrict zt,
                                  float *restrict max_out, int *restrict best_out,
                                  bool *restrict finite_out)
{
    float max[ROW_BLOCK];
    int best[ROW_BLOCK], finite[ROW_BLOCK];
    for (int j0 = 0; j0 < blk->C; j0 += BLOCK_COLS) {
        int cols = blk->C - j0 < BLOCK_COLS ? blk->C - j0 : BLOCK_COLS;
        load_columns(zt, blk, j0, cols);
        if (j0 == 0)
            for (int r = 0; r < ROW_BLOCK; r++)
                max[r] = zt[r], best[r] = 0, finite[r] = 1;
        for (int j = 0; j < cols; j++)
            for (int r = 0; r < ROW_BLOCK; r++) {
                float v = zt[j * ROW_BLOCK + r];
                int above = v > max[r];
                finite[r] &= fabsf(v) <= FLT_MAX; /* false for NaN and ±inf */
                best[r] = above ? j0 + j : best[r];
                max[r] = above ? v : max[r];
            }
    }
    for (int r = 0; r < ROW_BLOCK; r++)
        max_out[r] = max[r], best_out[r] = best[r], finite_out[r] = finite[r];
}

/* One pass over the block's exponentials e^(z[r][j] - shift[r]) (xs, es:
 * EXP_CHUNK doubles of workspace; zt: the block's columns when they are all in
 * one chunk, else room for a chunk). Without dz: sums[r] = their sum over j,
 * added in order of j. With dz: dz[r][j] = (the exponential - [j == targets[r]])
 * · inv_batch, as floats, for the block's rows (g: EXP_CHUNK floats, where
 * they are first taken one row a lane). */
LANE_CLONES static void block_exp_pass(const nn_dense_kernels *k, const row_block *blk,
                                       float *restrict zt, bool loaded,
                                       const double shift[ROW_BLOCK], double sums[ROW_BLOCK],
                                       float *dz, const int32_t *targets, double inv_batch,
                                       double *restrict xs, double *restrict es,
                                       float *restrict g)
{
    int target[ROW_BLOCK];
    for (int r = 0; r < ROW_BLOCK; r++) {
        target[r] = dz ? targets[r < blk->rows ? r : blk->rows - 1] : -1;
        if (!dz)
            sums[r] = 0.0;
    }
    for (int j0 = 0; j0 < blk->C; j0 += BLOCK_COLS) {
        int cols = blk->C - j0 < BLOCK_COLS ? blk->C - j0 : BLOCK_COLS;
        if (!loaded)
            load_columns(zt, blk, j0, cols);
        for (int i = 0; i < cols * ROW_BLOCK; i += ROW_BLOCK)
            for (int r = 0; r < ROW_BLOCK; r++)
                xs[i + r] = (double)zt[i + r] - shift[r];
        k->exp_doubles(es, xs, (size_t)cols * ROW_BLOCK);
        if (!dz) {
            for (int j = 0; j < cols; j++)
                for (int r = 0; r < ROW_BLOCK; r++)
                    sums[r] += es[j * ROW_BLOCK + r];
            continue;
        }
        for (int j = 0; j < cols; j++)
            for (int r = 0; r < ROW_BLOCK; r++)
                g[j * ROW_BLOCK + r] =
                    (float)((es[j * ROW_BLOCK + r] - (double)(j0 + j == target[r])) * inv_batch);
        for (int r = 0; r < blk->rows; r++)
            for (int j = 0; j < cols; j++)
                dz[(size_t)r * blk->C + j0 + j] = g[j * ROW_BLOCK + r];
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
    double xs[EXP_CHUNK], es[EXP_CHUNK], shift[ROW_BLOCK], sums[ROW_BLOCK];
    float zt[EXP_CHUNK], g[EXP_CHUNK], max[ROW_BLOCK];
    int best[ROW_BLOCK];
    bool finite[ROW_BLOCK];
    double total = 0.0, inv_batch = 1.0 / B;
    int hits = 0;
    /* Per row: lse = max + log(Σ_j e^(z[j] - max)) (no exponential overflows;
     * a NaN anywhere gives NaN), the loss lse - z[target], and the gradient
     * (e^(z[j] - lse) - [j == target]) / B. Rows in order, for the total. */
    for (int b0 = 0; b0 < B; b0 += ROW_BLOCK) {
        row_block blk = {logits + (size_t)b0 * C, B - b0 < ROW_BLOCK ? B - b0 : ROW_BLOCK, C};
        bool loaded = C <= BLOCK_COLS; /* zt keeps the whole block from block_max on */
        block_max(&blk, zt, max, best, finite);
        for (int r = 0; r < ROW_BLOCK; r++)
            shift[r] = max[r];
        block_exp_pass(k, &blk, zt, loaded, shift, sums, NULL, NULL, 0.0, xs, es, g);
        for (int r = 0; r < blk.rows; r++) {
            int target = targets[b0 + r];
            shift[r] = max[r] + log(sums[r]); /* now the row's lse */
            total += shift[r] - blk.z[(size_t)r * C + target];
            hits += finite[r] && best[r] == target;
        }
        for (int r = blk.rows; r < ROW_BLOCK; r++)
            shift[r] = shift[blk.rows - 1];
        if (dlogits)
            block_exp_pass(k, &blk, zt, loaded, shift, NULL, dlogits + (size_t)b0 * C,
                           targets + b0, inv_batch, xs, es, g);
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
