/* Per-sample transforms against scalar references written from their
 * definitions: random ones by property (the output is the reference for SOME
 * draw in range, and every draw occurs), frequencies within sound bounds,
 * determinism across batch compositions, eval mode, every check error. Buffers
 * are malloc'd to their exact sizes so ASan catches any overrun. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "nn_transform.h"
#include "test_util.h"

/* Sample i of a (rows, cols) image: distinct non-zero values, so each shift or
 * crop position (and a flip) gives a different image. */
static float value_of(uint32_t i, uint32_t r, uint32_t c, uint32_t cols)
{
    return 1.0f + (float)(r * cols + c) + 0.01f * (float)(i % 97);
}

static float *make_batch(uint32_t batch, uint32_t rows, uint32_t cols, const uint32_t *index)
{
    float *x = malloc((size_t)batch * rows * cols * sizeof *x);
    for (uint32_t b = 0; b < batch; b++)
        for (uint32_t r = 0; r < rows; r++)
            for (uint32_t c = 0; c < cols; c++)
                x[((size_t)b * rows + r) * cols + c] = value_of(index[b], r, c, cols);
    return x;
}

static uint32_t *iota(uint32_t n, uint32_t first)
{
    uint32_t *ix = malloc(n * sizeof *ix);
    for (uint32_t i = 0; i < n; i++)
        ix[i] = first + i;
    return ix;
}

/* Checks the chain, then runs it with scratch of exactly the advertised size. */
static void run(const nn_transform *chain, uint32_t n, const float *in, float *out, uint32_t batch,
                uint32_t rows, uint32_t cols, const uint32_t *index, uint64_t seed, uint32_t epoch,
                int training)
{
    uint32_t orow, ocol;
    assert_int_equal(nn_transform_check(chain, n, rows, cols, &orow, &ocol), NN_OK);
    uint64_t floats = nn_transform_scratch(chain, n, rows, cols);
    float *scratch = malloc(floats ? floats * sizeof(float) : 1);
    nn_transform_batch(chain, n, in, out, scratch, batch, rows, cols, index, seed, epoch, training);
    free(scratch);
}

/* Reference shift: out(r, c) = in(r - dy, c - dx), 0 outside. */
static void ref_shift(float *out, const float *in, int rows, int cols, int dx, int dy)
{
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            int sr = r - dy, sc = c - dx;
            out[r * cols + c] = (sr >= 0 && sr < rows && sc >= 0 && sc < cols) ? in[sr * cols + sc] : 0.0f;
        }
}

/* Reference crop of the image padded with p zeros: window (h, w) at (top, left). */
static void ref_crop(float *out, const float *in, int rows, int cols, int p, int h, int w, int top,
                     int left)
{
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            int sr = top + r - p, sc = left + c - p;
            out[r * w + c] = (sr >= 0 && sr < rows && sc >= 0 && sc < cols) ? in[sr * cols + sc] : 0.0f;
        }
}

static int same(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static void test_normalize(void **state)
{
    (void)state;
    enum { B = 3, R = 3, C = 4, F = R * C };
    uint32_t *ix = iota(B, 10);
    float mean[F], std[F];
    for (int f = 0; f < F; f++)
        mean[f] = 0.1f * (float)f - 0.3f, std[f] = 0.25f + 0.37f * (float)f;
    const float one_mean = 0.1307f, one_std = 0.3081f;
    nn_transform per_feature = {.kind = NN_TRANSFORM_NORMALIZE, .mean = mean, .std = std, .n_values = F};
    nn_transform every = {.kind = NN_TRANSFORM_NORMALIZE, .mean = &one_mean, .std = &one_std, .n_values = 1};

    for (int training = 0; training <= 1; training++) {
        float *in = make_batch(B, R, C, ix), *out = malloc(sizeof(float) * B * F);
        float want[B * F];
        run(&per_feature, 1, in, out, B, R, C, ix, 1, 0, training);
        for (int i = 0; i < B * F; i++)
            want[i] = (in[i] - mean[i % F]) / std[i % F]; /* exactly, as documented */
        assert_true(same(out, want, B * F));
        run(&every, 1, in, out, B, R, C, ix, 1, 0, training);
        for (int i = 0; i < B * F; i++)
            want[i] = (in[i] - one_mean) / one_std;
        assert_true(same(out, want, B * F));
        run(&every, 1, in, in, B, R, C, ix, 1, 0, training); /* in place */
        assert_true(same(in, want, B * F));
        free(in);
        free(out);
    }
    /* tabular data: 1 x features is fine for Normalize */
    float *in = make_batch(B, 1, F, ix), *out = malloc(sizeof(float) * B * F);
    run(&per_feature, 1, in, out, B, 1, F, ix, 1, 0, 1);
    for (int i = 0; i < B * F; i++)
        assert_true(out[i] == (in[i] - mean[i % F]) / std[i % F]);
    free(in);
    free(out);
    free(ix);
}

/* Every output is the input shifted by some (dx, dy) in range; each occurs. */
static void check_shift(uint32_t rows, uint32_t cols, uint32_t pixels, uint32_t batch)
{
    uint32_t *ix = iota(batch, 0);
    size_t f = (size_t)rows * cols;
    float *in = make_batch(batch, rows, cols, ix), *out = malloc(batch * f * sizeof(float));
    float *want = malloc(f * sizeof(float));
    nn_transform t = {.kind = NN_TRANSFORM_SHIFT, .pixels = pixels};
    int span = 2 * (int)pixels + 1, p = (int)pixels;
    uint32_t seen[11][11] = {{0}};
    run(&t, 1, in, out, batch, rows, cols, ix, 42, 3, 1);
    for (uint32_t b = 0; b < batch; b++) {
        int found = 0;
        for (int dy = -p; dy <= p && !found; dy++)
            for (int dx = -p; dx <= p && !found; dx++) {
                ref_shift(want, in + b * f, (int)rows, (int)cols, dx, dy);
                if (same(out + b * f, want, f))
                    found = 1, seen[dy + p][dx + p]++;
            }
        assert_true(found);
    }
    for (int i = 0; i < span; i++)
        for (int j = 0; j < span; j++)
            assert_true(seen[i][j] > 0);

    run(&t, 1, in, out, batch, rows, cols, ix, 42, 3, 0); /* eval: identity */
    assert_true(same(out, in, batch * f));
    run(&t, 1, in, in, batch, rows, cols, ix, 42, 3, 1); /* in place: the same draws */
    float *again = make_batch(batch, rows, cols, ix);
    run(&t, 1, again, out, batch, rows, cols, ix, 42, 3, 1);
    assert_true(same(in, out, batch * f));
    free(again);
    free(in);
    free(out);
    free(want);
    free(ix);
}

static void test_shift(void **state)
{
    (void)state;
    check_shift(3, 4, 1, 500);
    check_shift(5, 6, 2, 2000);
    check_shift(28, 28, 4, 3000);
}

static uint32_t python_centre(uint32_t d) { return (uint32_t)nearbyint(d / 2.0); } /* half to even */

/* Every window is the padded image's at some (top, left) in range; each
 * occurs; eval takes torchvision's centre. */
static void check_crop(uint32_t rows, uint32_t cols, uint32_t pad, uint32_t h, uint32_t w,
                       uint32_t batch)
{
    uint32_t *ix = iota(batch, 7);
    size_t f = (size_t)rows * cols, g = (size_t)h * w;
    float *in = make_batch(batch, rows, cols, ix), *out = malloc(batch * g * sizeof(float));
    float *want = malloc(g * sizeof(float));
    nn_transform t = {.kind = NN_TRANSFORM_CROP, .size_rows = h, .size_cols = w, .padding = pad};
    uint32_t orow, ocol;
    assert_int_equal(nn_transform_check(&t, 1, rows, cols, &orow, &ocol), NN_OK);
    assert_int_equal(orow, h);
    assert_int_equal(ocol, w);
    int free_r = (int)(rows + 2 * pad - h), free_c = (int)(cols + 2 * pad - w);
    uint32_t seen[16][16] = {{0}};
    run(&t, 1, in, out, batch, rows, cols, ix, 9, 0, 1);
    for (uint32_t b = 0; b < batch; b++) {
        int found = 0;
        for (int i = 0; i <= free_r && !found; i++)
            for (int j = 0; j <= free_c && !found; j++) {
                ref_crop(want, in + b * f, (int)rows, (int)cols, (int)pad, (int)h, (int)w, i, j);
                if (same(out + b * g, want, g))
                    found = 1, seen[i][j]++;
            }
        assert_true(found);
    }
    for (int i = 0; i <= free_r; i++)
        for (int j = 0; j <= free_c; j++)
            assert_true(seen[i][j] > 0);

    run(&t, 1, in, out, batch, rows, cols, ix, 9, 0, 0);
    for (uint32_t b = 0; b < batch; b++) {
        ref_crop(want, in + b * f, (int)rows, (int)cols, (int)pad, (int)h, (int)w,
                 (int)python_centre((uint32_t)free_r), (int)python_centre((uint32_t)free_c));
        assert_true(same(out + b * g, want, g));
    }
    free(in);
    free(out);
    free(want);
    free(ix);
}

static void test_crop(void **state)
{
    (void)state;
    check_crop(3, 4, 1, 2, 3, 1000); /* free 3 x 3: centre round(1.5) = 2 */
    check_crop(7, 6, 0, 2, 2, 2000); /* free 5 x 4: round(2.5) = 2 (to even), 2 */
    check_crop(3, 4, 1, 3, 4, 1000); /* same shape, zero-padded borders */
    check_crop(4, 4, 2, 7, 8, 500);  /* free 1 x 0: round(0.5) = 0 */
    check_crop(28, 28, 4, 28, 28, 3000);
    assert_int_equal(python_centre(3), 2);
    assert_int_equal(python_centre(5), 2);
    assert_int_equal(python_centre(7), 4);

    /* shape kept and out == in: the same windows as out of place */
    enum { B = 50, R = 3, C = 4 };
    uint32_t *ix = iota(B, 0);
    nn_transform t = {.kind = NN_TRANSFORM_CROP, .size_rows = R, .size_cols = C, .padding = 1};
    float *a = make_batch(B, R, C, ix), *b = make_batch(B, R, C, ix), *out = malloc(sizeof(float) * B * R * C);
    run(&t, 1, a, out, B, R, C, ix, 5, 1, 1);
    run(&t, 1, b, b, B, R, C, ix, 5, 1, 1);
    assert_true(same(out, b, B * R * C));
    free(a);
    free(b);
    free(out);
    free(ix);
}

/* Flips over `batch` samples, checking each output is the input or its mirror. */
static uint32_t count_flips(float p, uint32_t batch, int training)
{
    enum { R = 3, C = 4, F = R * C };
    uint32_t *ix = iota(batch, 0);
    float *in = make_batch(batch, R, C, ix), *out = malloc(sizeof(float) * batch * F);
    nn_transform t = {.kind = NN_TRANSFORM_HFLIP, .p = p};
    run(&t, 1, in, out, batch, R, C, ix, 77, 2, training);
    uint32_t flips = 0;
    for (uint32_t b = 0; b < batch; b++) {
        float mirror[F];
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                mirror[r * C + c] = in[b * F + r * C + (C - 1 - c)];
        if (same(out + b * F, mirror, F))
            flips++;
        else
            assert_true(same(out + b * F, in + b * F, F));
    }
    free(in);
    free(out);
    free(ix);
    return flips;
}

static void test_hflip(void **state)
{
    (void)state;
    /* Binomial(10000, 0.3): sd 45.8; 5 sd = 229 (fails by chance < 1e-6). */
    uint32_t flips = count_flips(0.3f, 10000, 1);
    assert_true(flips >= 3000 - 229 && flips <= 3000 + 229);
    assert_int_equal(count_flips(0.0f, 1000, 1), 0);
    assert_int_equal(count_flips(1.0f, 1000, 1), 1000);
    assert_int_equal(count_flips(1.0f, 1000, 0), 0); /* eval: identity */
}

static void test_noise(void **state)
{
    (void)state;
    enum { B = 10000, R = 3, C = 4, F = R * C };
    const double sigma = 0.5, n = (double)B * F;
    uint32_t *ix = iota(B, 0);
    float *in = make_batch(B, R, C, ix), *out = malloc(sizeof(float) * B * F);
    nn_transform t = {.kind = NN_TRANSFORM_NOISE, .noise_std = (float)sigma};
    run(&t, 1, in, out, B, R, C, ix, 3, 0, 1);
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < (size_t)B * F; i++) {
        double z = ((double)out[i] - in[i]) / sigma;
        sum += z, sum2 += z * z;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    /* 120 000 standard normals: sd of the mean 1/sqrt(n) = 0.0029, of the
     * variance sqrt(2/n) = 0.0041; bounds at 5 sd. */
    assert_near(mean, 0.0, 5.0 / sqrt(n));
    assert_near(var, 1.0, 5.0 * sqrt(2.0 / n));

    /* The shape, not just two moments (the engine draws these with its own
     * ziggurat): by the DKW inequality, P(sup |F_n - Phi| > e) <= 2 exp(-2 n e^2),
     * so e = 0.0078 fails by chance with probability < 1e-6. The fourth
     * moment (3; sd of its estimate sqrt(96/n) = 0.028) and the tail beyond
     * the ziggurat's base (|z| > 3.4426: p = 5.76e-4, about 69 draws, Poisson
     * sd 8.3) check the rare paths. */
    const double e = 0.0078;
    double below[25] = {0}, m4 = 0, tail = 0;
    for (size_t i = 0; i < (size_t)B * F; i++) {
        double z = ((double)out[i] - in[i]) / sigma;
        m4 += z * z * z * z;
        tail += fabs(z) > 3.442619855899;
        for (int k = 0; k < 25; k++)
            below[k] += z <= -3.0 + 0.25 * k;
    }
    for (int k = 0; k < 25; k++) {
        double x = -3.0 + 0.25 * k;
        assert_near(below[k] / n, 0.5 * erfc(-x / sqrt(2.0)), e);
    }
    assert_near(m4 / n, 3.0, 5.0 * sqrt(96.0 / n));
    assert_near(tail, n * 5.76e-4, 5.0 * sqrt(n * 5.76e-4));

    run(&t, 1, in, out, B, R, C, ix, 3, 0, 0); /* eval: identity */
    assert_true(same(out, in, (size_t)B * F));
    t.noise_std = 0.0f;
    run(&t, 1, in, out, B, R, C, ix, 3, 0, 1);
    assert_true(same(out, in, (size_t)B * F));
    free(in);
    free(out);
    free(ix);
}

/* A full chain: a sample's output depends on (seed, epoch, index) only. */
static void test_determinism(void **state)
{
    (void)state;
    enum { B = 40, R = 5, C = 6, F = R * C, H = 4, W = 5, G = H * W };
    const float mean = 0.5f, std = 2.0f;
    const nn_transform chain[] = {
        {.kind = NN_TRANSFORM_SHIFT, .pixels = 2},
        {.kind = NN_TRANSFORM_CROP, .size_rows = H, .size_cols = W, .padding = 1},
        {.kind = NN_TRANSFORM_HFLIP, .p = 0.5f},
        {.kind = NN_TRANSFORM_NOISE, .noise_std = 0.1f},
        {.kind = NN_TRANSFORM_NORMALIZE, .mean = &mean, .std = &std, .n_values = 1},
    };
    const uint32_t n = 5;
    uint32_t *ix = iota(B, 1000);
    float *in = make_batch(B, R, C, ix), *whole = malloc(sizeof(float) * B * G);
    run(chain, n, in, whole, B, R, C, ix, 11, 4, 1);

    /* reversed order in batches of 1, 7, 32 */
    const uint32_t sizes[] = {1, 7, 32};
    for (int s = 0; s < 3; s++) {
        for (uint32_t start = 0; start < B; start += sizes[s]) {
            uint32_t m = B - start < sizes[s] ? B - start : sizes[s];
            uint32_t *sub = malloc(m * sizeof *sub);
            for (uint32_t i = 0; i < m; i++)
                sub[i] = ix[B - 1 - (start + i)];
            float *x = make_batch(m, R, C, sub), *y = malloc(sizeof(float) * m * G);
            run(chain, n, x, y, m, R, C, sub, 11, 4, 1);
            for (uint32_t i = 0; i < m; i++)
                assert_true(same(y + i * G, whole + (size_t)(sub[i] - 1000) * G, G));
            free(sub);
            free(x);
            free(y);
        }
    }

    /* another epoch, another seed: other draws (noise alone makes every sample differ) */
    float *other = malloc(sizeof(float) * B * G);
    run(chain, n, in, other, B, R, C, ix, 11, 5, 1);
    for (uint32_t b = 0; b < B; b++)
        assert_false(same(other + b * G, whole + b * G, G));
    run(chain, n, in, other, B, R, C, ix, 12, 4, 1);
    for (uint32_t b = 0; b < B; b++)
        assert_false(same(other + b * G, whole + b * G, G));

    /* eval: the centre window, normalized, nothing random */
    run(chain, n, in, other, B, R, C, ix, 11, 4, 0);
    float want[G];
    for (uint32_t b = 0; b < B; b++) {
        ref_crop(want, in + b * F, R, C, 1, H, W, (int)python_centre(R + 2 - H),
                 (int)python_centre(C + 2 - W));
        for (int i = 0; i < G; i++)
            want[i] = (want[i] - mean) / std;
        assert_true(same(other + b * G, want, G));
    }

    /* no transforms: a copy */
    run(chain, 0, in, in + 0, B, R, C, ix, 11, 4, 1);
    float *copy = malloc(sizeof(float) * B * F);
    run(NULL, 0, in, copy, B, R, C, ix, 11, 4, 1);
    assert_true(same(copy, in, B * F));
    free(copy);
    free(other);
    free(in);
    free(whole);
    free(ix);
}

/* Seeds of neighbouring tuples do not give the same draws: the shifts of
 * (seed, epoch, index) and the swapped (seed, index, epoch) differ. */
static void test_key_mixing(void **state)
{
    (void)state;
    enum { R = 5, C = 6, F = R * C, N = 200 };
    nn_transform t = {.kind = NN_TRANSFORM_NOISE, .noise_std = 1.0f};
    float zero[F] = {0}, a[F], b[F];
    uint32_t same_count = 0;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t ia = i, ib = i + 1;
        run(&t, 1, zero, a, 1, R, C, &ia, 0, i + 1, 1); /* epoch i+1, index i */
        run(&t, 1, zero, b, 1, R, C, &ib, 0, i, 1);     /* epoch i, index i+1 */
        same_count += same(a, b, F);
        run(&t, 1, zero, b, 1, R, C, &ia, i + 1, 0, 1); /* seed and epoch swapped */
        same_count += same(a, b, F);
    }
    assert_int_equal(same_count, 0);
}

/* Check errors: each names the transform and its 1-based position. */
static void test_errors(void **state)
{
    (void)state;
    uint32_t r = 0, c = 0;
    float mean[3] = {0, 0, 0}, std[3] = {1, 1, 1}, bad_std[2] = {1, 0}, nan_mean = NAN;
    nn_transform t[3];

    t[0] = (nn_transform){.kind = NN_TRANSFORM_SHIFT, .pixels = 1};
    assert_int_equal(nn_transform_check(t, 1, 1, 4, &r, &c), NN_ESHAPE);
    assert_error_contains("transform 1 (RandomShift): needs images (rows x cols), but the samples are 1 x 4 features");
    t[0] = (nn_transform){.kind = NN_TRANSFORM_HFLIP, .p = 0.5f};
    assert_int_equal(nn_transform_check(t, 1, 1, 4, &r, &c), NN_ESHAPE);
    assert_error_contains("transform 1 (RandomHorizontalFlip): needs images");
    t[0] = (nn_transform){.kind = NN_TRANSFORM_NORMALIZE, .mean = mean, .std = std, .n_values = 1};
    t[1] = (nn_transform){.kind = NN_TRANSFORM_CROP, .size_rows = 1, .size_cols = 2};
    t[2] = (nn_transform){.kind = NN_TRANSFORM_SHIFT, .pixels = 1};
    assert_int_equal(nn_transform_check(t, 3, 4, 4, &r, &c), NN_ESHAPE); /* a crop to one row */
    assert_error_contains("transform 3 (RandomShift): needs images (rows x cols), but the samples are 1 x 2 features");

    t[0] = (nn_transform){.kind = NN_TRANSFORM_HFLIP, .p = 0.5f};
    t[1] = (nn_transform){.kind = NN_TRANSFORM_CROP, .size_rows = 32, .size_cols = 32, .padding = 1};
    assert_int_equal(nn_transform_check(t, 2, 26, 26, &r, &c), NN_ESHAPE);
    assert_error_contains("transform 2 (RandomCrop): a 32x32 window is larger than the padded 28x28 image (padding 1)");
    t[1].size_rows = 28, t[1].size_cols = 29;
    assert_int_equal(nn_transform_check(t, 2, 26, 26, &r, &c), NN_ESHAPE);
    assert_error_contains("a 28x29 window is larger than the padded 28x28 image");
    t[1].size_cols = 0;
    assert_int_equal(nn_transform_check(t, 2, 26, 26, &r, &c), NN_EINVAL);
    assert_error_contains("transform 2 (RandomCrop): the window 28x0 is empty");
    t[1] = (nn_transform){.kind = NN_TRANSFORM_CROP, .size_rows = 2, .size_cols = 2, .padding = UINT32_MAX / 2};
    assert_int_equal(nn_transform_check(t, 2, 26, 26, &r, &c), NN_EINVAL);
    assert_error_contains("transform 2 (RandomCrop): padding 2147483647 is too large");

    t[0] = (nn_transform){.kind = NN_TRANSFORM_CROP, .size_rows = 2, .size_cols = 3};
    t[1] = (nn_transform){.kind = NN_TRANSFORM_NORMALIZE, .mean = mean, .std = std, .n_values = 3};
    assert_int_equal(nn_transform_check(t, 2, 4, 4, &r, &c), NN_ESHAPE); /* 6 features after the crop */
    assert_error_contains("transform 2 (Normalize): 3 mean/std values, but it needs 1 or one per feature (6)");
    assert_int_equal(nn_transform_check(t + 1, 1, 1, 3, &r, &c), NN_OK);
    t[1].n_values = 2, t[1].std = bad_std;
    assert_int_equal(nn_transform_check(t + 1, 1, 1, 2, &r, &c), NN_EINVAL);
    assert_error_contains("transform 1 (Normalize): std[1] must be > 0 and finite (got 0)");
    t[1].std = std, t[1].mean = &nan_mean, t[1].n_values = 1;
    assert_int_equal(nn_transform_check(t + 1, 1, 1, 2, &r, &c), NN_EINVAL);
    assert_error_contains("transform 1 (Normalize): mean[0] is not finite");
    t[1].mean = NULL;
    assert_int_equal(nn_transform_check(t + 1, 1, 1, 2, &r, &c), NN_EINVAL);
    assert_error_contains("transform 1 (Normalize): mean and std are missing");

    t[0] = (nn_transform){.kind = NN_TRANSFORM_HFLIP, .p = 1.5f};
    assert_int_equal(nn_transform_check(t, 1, 4, 4, &r, &c), NN_EINVAL);
    assert_error_contains("transform 1 (RandomHorizontalFlip): p must be from 0 to 1 (got 1.5)");
    t[0].p = NAN;
    assert_int_equal(nn_transform_check(t, 1, 4, 4, &r, &c), NN_EINVAL);
    assert_error_contains("p must be from 0 to 1 (got nan)");
    t[0] = (nn_transform){.kind = NN_TRANSFORM_NOISE, .noise_std = -0.5f};
    assert_int_equal(nn_transform_check(t, 1, 4, 4, &r, &c), NN_EINVAL);
    assert_error_contains("transform 1 (GaussianNoise): noise_std must be >= 0 and finite (got -0.5)");
    t[0].noise_std = INFINITY;
    assert_int_equal(nn_transform_check(t, 1, 4, 4, &r, &c), NN_EINVAL);
    assert_error_contains("noise_std must be >= 0 and finite (got inf)");
    t[0] = (nn_transform){.kind = NN_TRANSFORM_SHIFT, .pixels = 4};
    assert_int_equal(nn_transform_check(t, 1, 4, 9, &r, &c), NN_EINVAL);
    assert_error_contains("transform 1 (RandomShift): a shift of up to 4 pixels can move the whole 4x9 image out");
    t[0] = (nn_transform){.kind = (nn_transform_kind)9};
    assert_int_equal(nn_transform_check(t, 1, 4, 4, &r, &c), NN_EINVAL);
    assert_error_contains("transform 1: unknown kind 9");
    assert_int_equal(nn_transform_check(NULL, 2, 4, 4, &r, &c), NN_EINVAL);
    assert_error_contains("transforms: the chain of 2 is missing (NULL)");
    assert_int_equal(nn_transform_check(NULL, 0, 0, 4, &r, &c), NN_ESHAPE);
    assert_error_contains("transforms: the samples are empty (0 x 4)");

    /* valid edge cases */
    t[0] = (nn_transform){.kind = NN_TRANSFORM_SHIFT, .pixels = 0};
    t[1] = (nn_transform){.kind = NN_TRANSFORM_HFLIP, .p = 1.0f};
    t[2] = (nn_transform){.kind = NN_TRANSFORM_NOISE, .noise_std = 0.0f};
    assert_int_equal(nn_transform_check(t, 3, 2, 2, &r, &c), NN_OK);
    assert_int_equal(r, 2);
    assert_int_equal(c, 2);
    assert_int_equal(nn_transform_check(NULL, 0, 1, 7, &r, &c), NN_OK);
    assert_int_equal(r, 1);
    assert_int_equal(c, 7);
}

/* Scratch: two images of the largest shape along the chain (a crop can grow it). */
static void test_scratch(void **state)
{
    (void)state;
    nn_transform t[2] = {{.kind = NN_TRANSFORM_CROP, .size_rows = 6, .size_cols = 7, .padding = 2},
                         {.kind = NN_TRANSFORM_CROP, .size_rows = 2, .size_cols = 2}};
    assert_int_equal(nn_transform_scratch(t, 2, 4, 4), 2 * 42);
    assert_int_equal(nn_transform_scratch(t + 1, 1, 4, 4), 2 * 16);
    assert_int_equal(nn_transform_scratch(NULL, 0, 4, 4), 0);
    /* run the growing chain with exactly that much (ASan checks) */
    enum { B = 20 };
    uint32_t *ix = iota(B, 0);
    float *in = make_batch(B, 4, 4, ix), *out = malloc(sizeof(float) * B * 4);
    run(t, 2, in, out, B, 4, 4, ix, 1, 1, 1);
    run(t, 2, in, out, B, 4, 4, ix, 1, 1, 0);
    /* eval: centre of the padded 8x8 is at (1, 0) = image (-1, -2); then the
     * centre (2, 2) of that 6x7 window: image (1, 0) onwards */
    for (uint32_t b = 0; b < B; b++) {
        float want[4], mid[42];
        ref_crop(mid, in + b * 16, 4, 4, 2, 6, 7, 1, 0);
        ref_crop(want, mid, 6, 7, 0, 2, 2, 2, 2);
        assert_true(same(out + b * 4, want, 4));
    }
    free(in);
    free(out);
    free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_shift),
        cmocka_unit_test(test_crop),
        cmocka_unit_test(test_hflip),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_key_mixing),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_scratch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
