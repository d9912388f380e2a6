/* Losses: cross entropy and MSE against hand-worked values and the formulas in
 * double, gradients against central finite differences of a double objective,
 * huge logits, NaN propagation, argmax counts and target/size errors; and
 * the cross entropy's bits against the straight loops over glibc's exp() that
 * the committed results were computed with. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <float.h>
#include <cmocka.h>

#include "kernels_exp.h"
#include "nn_kernels.h"
#include "nn_loss.h"
#include "nn_rng.h"
#include "test_util.h"

/* ---- double references ---------------------------------------------------- */

/* Mean cross entropy of logits (B, C) with class targets (B), in double. */
static double reference_cross_entropy(const double *logits, const int32_t *targets, int B,
                                      int C)
{
    double total = 0;
    for (int b = 0; b < B; b++) {
        const double *z = logits + b * C;
        double max = z[0], sum = 0;
        for (int j = 1; j < C; j++)
            max = z[j] > max ? z[j] : max;
        for (int j = 0; j < C; j++)
            sum += exp(z[j] - max);
        total += max + log(sum) - z[targets[b]];
    }
    return total / B;
}

/* Mean squared error of pred (B, C) against target (B, C), in double. */
static double reference_mse(const double *pred, const double *target, int B, int C)
{
    double total = 0;
    for (int i = 0; i < B * C; i++)
        total += (pred[i] - target[i]) * (pred[i] - target[i]);
    return total / (B * C);
}

static void onehot(double *dense, const int32_t *targets, int B, int C)
{
    for (int i = 0; i < B * C; i++)
        dense[i] = (i % C) == targets[i / C];
}

/* d objective / d x[i] by central differences, x (n) in double. */
typedef double objective_fn(const double *x, const void *context);
static void finite_differences(objective_fn *f, const void *context, const double *x, int n,
                               float *gradient)
{
    const double h = 1e-4;
    double shifted[64];
    assert_true(n <= 64);
    memcpy(shifted, x, (size_t)n * sizeof *x);
    for (int i = 0; i < n; i++) {
        shifted[i] = x[i] + h;
        double up = f(shifted, context);
        shifted[i] = x[i] - h;
        double down = f(shifted, context);
        shifted[i] = x[i];
        gradient[i] = (float)((up - down) / (2 * h));
    }
}

typedef struct loss_case {
    int B, C;
    const int32_t *targets;
    const double *dense_target;
} loss_case;

static double cross_entropy_objective(const double *logits, const void *context)
{
    const loss_case *c = context;
    return reference_cross_entropy(logits, c->targets, c->B, c->C);
}

static double mse_objective(const double *pred, const void *context)
{
    const loss_case *c = context;
    return reference_mse(pred, c->dense_target, c->B, c->C);
}

/* A fixed spread of values in about [-3, 3]. */
static void fill_values(float *x, double *x_double, int n, int seed)
{
    for (int i = 0; i < n; i++) {
        x[i] = (float)(3.0 * sin(1.7 * i + seed));
        x_double[i] = x[i];
    }
}

/* ---- cross entropy --------------------------------------------------------- */

/* logits [1, 2, 3], target 2:
 * loss = log(e^1 + e^2 + e^3) - 3 = log(30.19287485) - 3 = 0.40760596
 * softmax = [e^1, e^2, e^3] / 30.19287485 = [0.09003057, 0.24472847, 0.66524096]
 * dlogits = softmax - onehot(2) = [0.09003057, 0.24472847, -0.33475904] (B = 1) */
static void test_cross_entropy_hand_worked(void **state)
{
    (void)state;
    const float logits[3] = {1, 2, 3};
    const int32_t target[1] = {2};
    float loss = 0, dlogits[3];
    int correct = -1;
    assert_int_equal(nn_cross_entropy(logits, target, 1, 3, &loss, dlogits, &correct), NN_OK);
    assert_near(loss, 0.40760596, 1e-7);
    const float expected[3] = {0.09003057f, 0.24472847f, -0.33475904f};
    assert_close(dlogits, expected, 3, 0, 1e-7);
    assert_int_equal(correct, 1);
}

/* Two rows: [1, 2, 3] with target 0 gives log(30.19287485) - 1 = 2.40760596;
 * [0, 0, 0] with target 1 gives log 3 = 1.09861229. Mean 1.75310913.
 * dlogits are halved: row 0 = [0.09003057 - 1, 0.24472847, 0.66524096] / 2,
 * row 1 = [1/3, 1/3 - 1, 1/3] / 2. Neither row's argmax (2; 0 on the tie) hits. */
static void test_cross_entropy_mean_over_batch(void **state)
{
    (void)state;
    const float logits[6] = {1, 2, 3, 0, 0, 0};
    const int32_t targets[2] = {0, 1};
    float loss = 0, dlogits[6];
    int correct = -1;
    assert_int_equal(nn_cross_entropy(logits, targets, 2, 3, &loss, dlogits, &correct), NN_OK);
    assert_near(loss, 1.75310913, 1e-7);
    const float expected[6] = {-0.45498471f, 0.12236424f, 0.33262048f,
                               0.16666667f, -0.33333333f, 0.16666667f};
    assert_close(dlogits, expected, 6, 0, 1e-7);
    assert_int_equal(correct, 0);
}

/* A (3, 5) case against the formula evaluated in double in this test. */
static void test_cross_entropy_matches_formula(void **state)
{
    (void)state;
    enum { B = 3, C = 5 };
    float logits[B * C], dlogits[B * C], expected[B * C];
    double logits_double[B * C];
    fill_values(logits, logits_double, B * C, 1);
    const int32_t targets[B] = {4, 0, 2};
    float loss;
    assert_int_equal(nn_cross_entropy(logits, targets, B, C, &loss, dlogits, NULL), NN_OK);
    assert_near(loss, reference_cross_entropy(logits_double, targets, B, C), 2e-7);
    for (int b = 0; b < B; b++) {
        double sum = 0;
        for (int j = 0; j < C; j++)
            sum += exp(logits_double[b * C + j]);
        for (int j = 0; j < C; j++)
            expected[b * C + j] =
                (float)((exp(logits_double[b * C + j]) / sum - (j == targets[b])) / B);
    }
    assert_close(dlogits, expected, B * C, 1e-6, 1e-8);
}

static void test_cross_entropy_gradient_finite_differences(void **state)
{
    (void)state;
    enum { B = 4, C = 6 };
    float logits[B * C], dlogits[B * C], numeric[B * C];
    double logits_double[B * C];
    fill_values(logits, logits_double, B * C, 2);
    const int32_t targets[B] = {5, 0, 3, 3};
    float loss;
    assert_int_equal(nn_cross_entropy(logits, targets, B, C, &loss, dlogits, NULL), NN_OK);
    loss_case c = {B, C, targets, NULL};
    finite_differences(cross_entropy_objective, &c, logits_double, B * C, numeric);
    /* entries are up to 1/B = 0.25; a wrong factor (B, 2, a sign) is off by > 0.01 */
    assert_close(dlogits, numeric, B * C, 1e-4, 1e-6);
}

/* Logits of +-1e4 overflow exp() without the max shift. Row 0: [1e4, -1e4, 0]
 * with target 1 loses 2e4 exactly; row 1: [1e4, 1e4, -1e4], target 0, loses log 2. */
static void test_cross_entropy_huge_logits(void **state)
{
    (void)state;
    const float logits[6] = {1e4f, -1e4f, 0, 1e4f, 1e4f, -1e4f};
    const int32_t targets[2] = {1, 0};
    float loss, dlogits[6];
    int correct;
    assert_int_equal(nn_cross_entropy(logits, targets, 2, 3, &loss, dlogits, &correct), NN_OK);
    assert_true(isfinite(loss));
    assert_near(loss, (2e4 + log(2.0)) / 2, 1e-3);
    const float expected[6] = {0.5f, -0.5f, 0, -0.25f, 0.25f, 0};
    assert_close(dlogits, expected, 6, 0, 1e-7);
    assert_int_equal(correct, 1); /* row 1: the tie goes to index 0 */
}

/* A NaN logit is the caller's divergence signal: the loss must be NaN too. */
static void test_cross_entropy_nan_propagates(void **state)
{
    (void)state;
    const float first_nan[4] = {NAN, 1, 0, 2};
    const float later_nan[4] = {0, 1, 0, NAN};
    const int32_t targets[2] = {1, 0};
    float loss = 0, dlogits[4];
    assert_int_equal(nn_cross_entropy(first_nan, targets, 2, 2, &loss, dlogits, NULL), NN_OK);
    assert_true(isnan(loss));
    assert_true(isnan(dlogits[0]) && isnan(dlogits[1]));
    assert_int_equal(nn_cross_entropy(later_nan, targets, 2, 2, &loss, NULL, NULL), NN_OK);
    assert_true(isnan(loss));
}

static void test_cross_entropy_rejects_bad_targets_and_sizes(void **state)
{
    (void)state;
    float logits[40] = {0}, dlogits[40];
    const int32_t too_big[4] = {1, 2, 3, 12};
    const int32_t negative[4] = {-1, 2, 3, 4};
    float loss = -7;
    int correct = -7;
    assert_int_equal(nn_cross_entropy(logits, too_big, 4, 10, &loss, dlogits, &correct),
                     NN_EINVAL);
    assert_error_contains("target 12 at row 3 (0-based) is out of range [0, 10)");
    assert_true(loss == -7 && correct == -7); /* nothing written */
    assert_int_equal(nn_cross_entropy(logits, negative, 4, 10, &loss, NULL, NULL), NN_EINVAL);
    assert_error_contains("target -1 at row 0 (0-based) is out of range [0, 10)");
    assert_int_equal(nn_cross_entropy(logits, negative, 0, 10, &loss, NULL, NULL), NN_EINVAL);
    assert_error_contains("invalid batch size: 0 (must be > 0)");
    assert_int_equal(nn_cross_entropy(logits, negative, 4, 0, &loss, NULL, NULL), NN_EINVAL);
    assert_error_contains("invalid class count: 0 (must be > 0)");
    assert_int_equal(nn_cross_entropy(logits, negative, -2, 10, &loss, NULL, NULL), NN_EINVAL);
    assert_error_contains("invalid batch size: -2 (must be > 0)");
}

/* argmax hits: ties go to the lowest index (torch.argmax's first max); a row
 * with a NaN or infinite output is never a hit (an overflowed model is wrong,
 * not lucky), so an evaluation that meets one counts it as a miss. */
static void test_correct_counts(void **state)
{
    (void)state;
    enum { B = 7, C = 3 };
    const float scores[B * C] = {
        5, 5, 1,            /* tie between 0 and 1: argmax 0, target 0 hits */
        2, 7, 7,            /* tie between 1 and 2: argmax 1, target 1 hits */
        0, 1, 2,            /* argmax 2, target 2 hits */
        -1, -3, -2,         /* argmax 0, target 1 misses */
        1, NAN, 9,          /* a NaN output: never a hit, whatever the target */
        INFINITY, 0, 0,     /* an infinite output: never a hit either */
        -INFINITY, 0, 1e30f, /* the same for -inf, even where the argmax is finite */
    };
    const int32_t targets[B] = {0, 1, 2, 1, 1, 0, 2};
    int correct = -1;
    float loss;
    assert_int_equal(nn_cross_entropy(scores, targets, B, C, &loss, NULL, &correct), NN_OK);
    assert_int_equal(correct, 3);
    correct = -1;
    assert_int_equal(nn_mse_onehot(scores, targets, B, C, &loss, NULL, &correct), NN_OK);
    assert_int_equal(correct, 3);
}

/* nn_row_argmax itself, on what its branch-free loop must keep: the first of
 * equal maxima (-0 and +0 are equal), a NaN or infinity anywhere (first, last,
 * beside the maximum) gives -1, and one column is its own argmax. */
static void test_row_argmax_edges(void **state)
{
    (void)state;
    const float ties[4] = {1, 3, 3, 2};
    assert_int_equal(nn_row_argmax(ties, 4), 1);
    const float zeros[3] = {-0.0f, 0.0f, -1};
    assert_int_equal(nn_row_argmax(zeros, 3), 0);
    const float rising[5] = {-5, -4, -3, -2, -1};
    assert_int_equal(nn_row_argmax(rising, 5), 4);
    const float nan_first[3] = {NAN, 1, 2};
    assert_int_equal(nn_row_argmax(nan_first, 3), -1);
    const float nan_last[3] = {3, 1, NAN};
    assert_int_equal(nn_row_argmax(nan_last, 3), -1);
    const float inf_last[3] = {3, 1, -INFINITY};
    assert_int_equal(nn_row_argmax(inf_last, 3), -1);
    const float one[1] = {-7};
    assert_int_equal(nn_row_argmax(one, 1), 0);
    const float lowest[2] = {-FLT_MAX, -FLT_MAX};
    assert_int_equal(nn_row_argmax(lowest, 2), 0);
    assert_int_equal(nn_row_argmax(NULL, 0), 0); /* no column: nothing read */
}

/* ---- MSE ------------------------------------------------------------------- */

/* pred [[1, 2, 3], [0, 0, 0]], target [[1, 1, 1], [1, 0, -1]]:
 * diff [[0, 1, 2], [-1, 0, 1]]; loss = (0 + 1 + 4 + 1 + 0 + 1) / 6 = 7/6 = 1.16666667;
 * dpred = 2 diff / 6 = diff / 3. */
static void test_mse_hand_worked(void **state)
{
    (void)state;
    const float pred[6] = {1, 2, 3, 0, 0, 0};
    const float target[6] = {1, 1, 1, 1, 0, -1};
    float loss, dpred[6];
    assert_int_equal(nn_mse(pred, target, 2, 3, &loss, dpred), NN_OK);
    assert_near(loss, 1.16666667, 1e-7);
    const float expected[6] = {0, 0.33333334f, 0.66666669f, -0.33333334f, 0, 0.33333334f};
    assert_close(dpred, expected, 6, 0, 1e-8);
    assert_int_equal(nn_mse(pred, target, 2, 3, &loss, NULL), NN_OK);
    assert_near(loss, 1.16666667, 1e-7);
}

/* pred [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]], targets [1, 2] -> one-hot [[0, 1, 0], [0, 0, 1]]:
 * diff [[0.1, -0.3, 0.2], [0.5, 0.3, -0.8]];
 * loss = (0.01 + 0.09 + 0.04 + 0.25 + 0.09 + 0.64) / 6 = 1.12 / 6 = 0.18666667.
 * Row 0's argmax (1) hits, row 1's (0) misses. */
static void test_mse_onehot_hand_worked(void **state)
{
    (void)state;
    const float pred[6] = {0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f};
    const int32_t targets[2] = {1, 2};
    float loss, dpred[6];
    int correct = -1;
    assert_int_equal(nn_mse_onehot(pred, targets, 2, 3, &loss, dpred, &correct), NN_OK);
    assert_near(loss, 0.18666667, 1e-7);
    const float expected[6] = {0.1f / 3, -0.3f / 3, 0.2f / 3, 0.5f / 3, 0.3f / 3, -0.8f / 3};
    assert_close(dpred, expected, 6, 1e-6, 1e-8);
    assert_int_equal(correct, 1);

    /* the same as nn_mse against the explicit one-hot target, bit for bit */
    const float dense[6] = {0, 1, 0, 0, 0, 1};
    float dense_loss, dense_dpred[6];
    assert_int_equal(nn_mse(pred, dense, 2, 3, &dense_loss, dense_dpred), NN_OK);
    assert_true(dense_loss == loss);
    assert_close(dpred, dense_dpred, 6, 0, 0);
}

static void test_mse_gradients_finite_differences(void **state)
{
    (void)state;
    enum { B = 3, C = 7 };
    float pred[B * C], target[B * C], dpred[B * C], numeric[B * C];
    double pred_double[B * C], target_double[B * C];
    fill_values(pred, pred_double, B * C, 3);
    fill_values(target, target_double, B * C, 4);
    float loss;
    assert_int_equal(nn_mse(pred, target, B, C, &loss, dpred), NN_OK);
    assert_near(loss, reference_mse(pred_double, target_double, B, C), 1e-6);
    loss_case dense_case = {B, C, NULL, target_double};
    finite_differences(mse_objective, &dense_case, pred_double, B * C, numeric);
    assert_close(dpred, numeric, B * C, 1e-4, 1e-6);

    const int32_t targets[B] = {6, 0, 3};
    double onehot_double[B * C];
    onehot(onehot_double, targets, B, C);
    assert_int_equal(nn_mse_onehot(pred, targets, B, C, &loss, dpred, NULL), NN_OK);
    assert_near(loss, reference_mse(pred_double, onehot_double, B, C), 1e-6);
    loss_case onehot_case = {B, C, NULL, onehot_double};
    finite_differences(mse_objective, &onehot_case, pred_double, B * C, numeric);
    assert_close(dpred, numeric, B * C, 1e-4, 1e-6);
}

static void test_mse_rejects_bad_targets_and_sizes(void **state)
{
    (void)state;
    const float pred[6] = {0};
    const int32_t targets[2] = {0, 3};
    float loss;
    assert_int_equal(nn_mse_onehot(pred, targets, 2, 3, &loss, NULL, NULL), NN_EINVAL);
    assert_error_contains("target 3 at row 1 (0-based) is out of range [0, 3)");
    assert_int_equal(nn_mse(pred, pred, 0, 3, &loss, NULL), NN_EINVAL);
    assert_error_contains("invalid batch size: 0 (must be > 0)");
    assert_int_equal(nn_mse(pred, pred, 2, -1, &loss, NULL), NN_EINVAL);
    assert_error_contains("invalid class count: -1 (must be > 0)");
    assert_int_equal(nn_mse_onehot(pred, targets, 2, 0, &loss, NULL, NULL), NN_EINVAL);
    assert_error_contains("invalid class count: 0 (must be > 0)");
}

static void test_mse_nan_propagates(void **state)
{
    (void)state;
    const float pred[4] = {0, 1, NAN, 2};
    const float target[4] = {0, 0, 0, 0};
    float loss = 0;
    assert_int_equal(nn_mse(pred, target, 2, 2, &loss, NULL), NN_OK);
    assert_true(isnan(loss));
}

/* The cross entropy as it was written before its exponentials went through
 * the kernel tables, one row and one exp() at a time, with `e` for exp. */
static float straight_cross_entropy(double (*e)(double), const float *logits,
                                    const int32_t *targets, int B, int C, float *dlogits)
{
    double total = 0.0, inv_batch = 1.0 / B;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * C;
        float max = z[0];
        for (int j = 1; j < C; j++)
            if (z[j] > max)
                max = z[j];
        double sum = 0.0;
        for (int j = 0; j < C; j++)
            sum += e((double)z[j] - max);
        double lse = max + log(sum);
        total += lse - z[targets[b]];
        for (int j = 0; j < C; j++)
            dlogits[(size_t)b * C + j] = (float)((e(z[j] - lse) - (j == targets[b])) * inv_batch);
    }
    return (float)(total * inv_batch);
}

/* Same bits as the straight loops over exp() (where glibc runs its FMA copy,
 * which nn_exp_double reproduces; elsewhere over nn_exp_double). Rows go 16 at
 * a time, one a lane, their columns 32 at a time: a block short of 16 rows (1,
 * 3, 15, 33 = 2·16 + 1) or whole (16, 32), rows of one chunk of columns (10,
 * 32) or of several (33, 37, 100, 513, 600, 1100: the last chunk full or not),
 * many blocks (130, 300, 257 rows), a row with a huge spread (exp() itself for
 * its lanes), a one-class row; then, with argmax ties, every row a hit. (NaN,
 * ±inf and ±0 logits: the next test.) */
static void test_cross_entropy_same_bits_as_straight_loops(void **state)
{
    (void)state;
    nn_cpu_features cpu = nn_cpu_features_detect();
    int libm_fma = cpu.fma && cpu.avx2 && cpu.os_ymm;
    double (*e)(double) = libm_fma ? exp : nn_exp_double;
    if (!libm_fma)
        printf("against nn_exp_double, not exp(): glibc runs another copy of exp on this CPU\n");
    static const int shapes[][2] = {{1, 10},  {3, 10},   {32, 10},  {130, 10}, {3, 600},
                                    {2, 1100}, {7, 513},  {5, 1},    {40, 37},  {9, 100},
                                    {300, 10}, {257, 7},  {15, 10},  {16, 10},  {17, 32},
                                    {33, 33},  {16, 64},  {18, 65},  {31, 3}};
    nn_rng rng;
    nn_rng_seed(&rng, 5, 0);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int B = shapes[s][0], C = shapes[s][1];
        size_t n = (size_t)B * C;
        float *z = malloc(n * sizeof *z), *got = malloc(n * sizeof *got);
        float *want = malloc(n * sizeof *want);
        int32_t *t = malloc((size_t)B * sizeof *t);
        assert_true(z && got && want && t);
        for (size_t i = 0; i < n; i++)
            z[i] = nn_rng_range(&rng, -12.0f, 12.0f);
        if (C > 2)
            z[1] = 900.0f; /* row 0 spans more than 512: exp() for those lanes */
        for (int b = 0; b < B; b++)
            t[b] = (int32_t)nn_rng_below(&rng, (uint32_t)C);
        float loss;
        assert_int_equal(nn_cross_entropy(z, t, B, C, &loss, got, NULL), NN_OK);
        float want_loss = straight_cross_entropy(e, z, t, B, C, want);
        assert_memory_equal(&loss, &want_loss, sizeof loss);
        assert_memory_equal(got, want, n * sizeof *got);
        assert_int_equal(nn_cross_entropy(z, t, B, C, &loss, NULL, NULL), NN_OK);
        assert_memory_equal(&loss, &want_loss, sizeof loss);
        /* ties for the argmax, then every row's target its argmax: all hit */
        for (int b = 0; b < B; b++)
            z[(size_t)b * C + (size_t)b % C] = z[(size_t)b * C + (size_t)(b + 1) % C];
        for (int b = 0; b < B; b++)
            t[b] = nn_row_argmax(z + (size_t)b * C, C);
        int correct = -1;
        assert_int_equal(nn_cross_entropy(z, t, B, C, &loss, got, &correct), NN_OK);
        assert_int_equal(correct, B);
        free(z), free(got), free(want), free(t);
    }
}

/* Whether a and b (n) hold the same bits, or NaN where the other holds NaN:
 * which NaN an operation on two NaNs returns depends on the order of its
 * operands, which C leaves to the compiler (clang and gcc differ on the
 * straight loops themselves), so only finite and infinite values are held to
 * their bits. */
static bool same_bits_or_both_nan(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(a[i]) ? !isnan(b[i]) : memcmp(&a[i], &b[i], sizeof a[i]) != 0)
            return false;
    return true;
}

/* Rows with NaN, ±inf, ±0 and the largest floats, in every lane of a block and
 * past it, 1 to 3 chunks of columns wide: the same loss, gradient bits (NaN for
 * NaN) and hit count as one row at a time. */
static void test_cross_entropy_special_values_same_bits(void **state)
{
    (void)state;
    nn_cpu_features cpu = nn_cpu_features_detect();
    double (*e)(double) = cpu.fma && cpu.avx2 && cpu.os_ymm ? exp : nn_exp_double;
    static const float specials[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, FLT_MAX, -FLT_MAX,
                                     1e-45f, 88.0f, -104.0f};
    enum { N_SPECIALS = sizeof specials / sizeof specials[0], B = 37, C_MAX = 70 };
    static const int widths[] = {11, 40, 70}; /* one chunk of 32 columns, two, three */
    nn_rng rng;
    nn_rng_seed(&rng, 9, 0);
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        int C = widths[w];
        for (int pass = 0; pass < 40; pass++) {
            float z[B * C_MAX], got[B * C_MAX], want[B * C_MAX];
            int32_t t[B];
            int want_hits = 0;
            for (int i = 0; i < B * C; i++)
                z[i] = nn_rng_below(&rng, 4) == 0 ? specials[nn_rng_below(&rng, N_SPECIALS)]
                                                  : nn_rng_range(&rng, -5.0f, 5.0f);
            for (int b = 0; b < B; b++) {
                /* odd rows: a random target; even rows: where the largest value
                 * first is, so that only a non-finite value anywhere in the row,
                 * in whichever chunk of columns, makes the row miss */
                const float *row = z + b * C;
                int first_max = 0;
                for (int j = 1; j < C; j++)
                    first_max = row[j] > row[first_max] ? j : first_max;
                t[b] = b % 2 ? (int32_t)nn_rng_below(&rng, (uint32_t)C) : first_max;
                want_hits += nn_row_argmax(row, C) == t[b];
            }
            float loss, want_loss = straight_cross_entropy(e, z, t, B, C, want);
            int correct = -1;
            assert_int_equal(nn_cross_entropy(z, t, B, C, &loss, got, &correct), NN_OK);
            assert_true(same_bits_or_both_nan(&loss, &want_loss, 1));
            assert_true(same_bits_or_both_nan(got, want, (size_t)B * C));
            assert_int_equal(correct, want_hits);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_entropy_hand_worked),
        cmocka_unit_test(test_cross_entropy_mean_over_batch),
        cmocka_unit_test(test_cross_entropy_matches_formula),
        cmocka_unit_test(test_cross_entropy_gradient_finite_differences),
        cmocka_unit_test(test_cross_entropy_huge_logits),
        cmocka_unit_test(test_cross_entropy_nan_propagates),
        cmocka_unit_test(test_cross_entropy_rejects_bad_targets_and_sizes),
        cmocka_unit_test(test_correct_counts),
        cmocka_unit_test(test_row_argmax_edges),
        cmocka_unit_test(test_cross_entropy_same_bits_as_straight_loops),
        cmocka_unit_test(test_cross_entropy_special_values_same_bits),
        cmocka_unit_test(test_mse_hand_worked),
        cmocka_unit_test(test_mse_onehot_hand_worked),
        cmocka_unit_test(test_mse_gradients_finite_differences),
        cmocka_unit_test(test_mse_rejects_bad_targets_and_sizes),
        cmocka_unit_test(test_mse_nan_propagates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
