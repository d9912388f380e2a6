/* Per-sample transforms (nn_transform.h): a chain is checked once against the
 * shape it receives, then applied sample by sample, each step reading one
 * buffer and writing another (the input row, two scratch images, the output
 * row). Every random step of every sample seeds its own generator from
 * (seed, epoch, index, position), so no draw depends on the batch or thread. */
#include "nn_transform.h"
#include "nn_rng.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

static const char *kind_name(nn_transform_kind kind)
{
    switch (kind) {
    case NN_TRANSFORM_NORMALIZE: return "Normalize";
    case NN_TRANSFORM_SHIFT: return "RandomShift";
    case NN_TRANSFORM_CROP: return "RandomCrop";
    case NN_TRANSFORM_HFLIP: return "RandomHorizontalFlip";
    case NN_TRANSFORM_NOISE: return "GaussianNoise";
    }
    return "unknown";
}

static int is_spatial(nn_transform_kind kind)
{
    return kind == NN_TRANSFORM_SHIFT || kind == NN_TRANSFORM_CROP || kind == NN_TRANSFORM_HFLIP;
}

/* One transform at 1-based position `at`, receiving (*rows, *cols) images;
 * updates the shape to the one it produces. */
static nn_status check_one(const nn_transform *t, uint32_t at, uint32_t *rows, uint32_t *cols)
{
    const char *name = kind_name(t->kind);
    uint64_t features = (uint64_t)*rows * *cols;
    if (t->kind > NN_TRANSFORM_NOISE)
        return nn_fail(NN_EINVAL, "transform %u: unknown kind %d", at, (int)t->kind);
    if (is_spatial(t->kind) && *rows == 1)
        return nn_fail(NN_ESHAPE, "transform %u (%s): needs images (rows x cols), but the samples are 1 x %u features",
                       at, name, *cols);
    switch (t->kind) {
    case NN_TRANSFORM_NORMALIZE:
        if (!t->mean || !t->std)
            return nn_fail(NN_EINVAL, "transform %u (%s): mean and std are missing", at, name);
        if (t->n_values != 1 && t->n_values != features)
            return nn_fail(NN_ESHAPE, "transform %u (%s): %u mean/std values, but it needs 1 or one per feature (%llu)",
                           at, name, t->n_values, (unsigned long long)features);
        for (uint32_t f = 0; f < t->n_values; f++) {
            if (!isfinite(t->mean[f]))
                return nn_fail(NN_EINVAL, "transform %u (%s): mean[%u] is not finite (got %g)", at, name,
                               f, (double)t->mean[f]);
            if (!(t->std[f] > 0.0f) || !isfinite(t->std[f]))
                return nn_fail(NN_EINVAL, "transform %u (%s): std[%u] must be > 0 and finite (got %g)", at,
                               name, f, (double)t->std[f]);
        }
        return NN_OK;
    case NN_TRANSFORM_SHIFT:
        if (t->pixels >= *rows || t->pixels >= *cols)
            return nn_fail(NN_EINVAL, "transform %u (%s): a shift of up to %u pixels can move the whole %ux%u image out",
                           at, name, t->pixels, *rows, *cols);
        return NN_OK;
    case NN_TRANSFORM_CROP: {
        uint64_t padded_rows = *rows + 2ull * t->padding, padded_cols = *cols + 2ull * t->padding;
        if (padded_rows >= UINT32_MAX || padded_cols >= UINT32_MAX)
            return nn_fail(NN_EINVAL, "transform %u (%s): padding %u is too large", at, name, t->padding);
        if (t->size_rows == 0 || t->size_cols == 0)
            return nn_fail(NN_EINVAL, "transform %u (%s): the window %ux%u is empty", at, name,
                           t->size_rows, t->size_cols);
        if (t->size_rows > padded_rows || t->size_cols > padded_cols)
            return nn_fail(NN_ESHAPE, "transform %u (%s): a %ux%u window is larger than the padded %llux%llu image (padding %u)",
                           at, name, t->size_rows, t->size_cols, (unsigned long long)padded_rows,
                           (unsigned long long)padded_cols, t->padding);
        *rows = t->size_rows, *cols = t->size_cols;
        return NN_OK;
    }
    case NN_TRANSFORM_HFLIP:
        if (!(t->p >= 0.0f && t->p <= 1.0f))
            return nn_fail(NN_EINVAL, "transform %u (%s): p must be from 0 to 1 (got %g)", at, name, (double)t->p);
        return NN_OK;
    case NN_TRANSFORM_NOISE:
        if (!(t->noise_std >= 0.0f) || !isfinite(t->noise_std))
            return nn_fail(NN_EINVAL, "transform %u (%s): noise_std must be >= 0 and finite (got %g)", at,
                           name, (double)t->noise_std);
        return NN_OK;
    }
    return NN_OK;
}

nn_status nn_transform_check(const nn_transform *chain, uint32_t n, uint32_t rows, uint32_t cols,
                             uint32_t *out_rows, uint32_t *out_cols)
{
    if (n > 0 && !chain)
        return nn_fail(NN_EINVAL, "transforms: the chain of %u is missing (NULL)", n);
    if (rows == 0 || cols == 0)
        return nn_fail(NN_ESHAPE, "transforms: the samples are empty (%u x %u)", rows, cols);
    for (uint32_t k = 0; k < n; k++) {
        nn_status st = check_one(&chain[k], k + 1, &rows, &cols);
        if (st != NN_OK)
            return st;
    }
    if (out_rows)
        *out_rows = rows;
    if (out_cols)
        *out_cols = cols;
    return NN_OK;
}

/* Two images of the largest shape along the chain: steps alternate between
 * them (and a step that cannot work in place uses one when out == in). */
uint64_t nn_transform_scratch(const nn_transform *chain, uint32_t n, uint32_t rows, uint32_t cols)
{
    uint64_t largest = (uint64_t)rows * cols;
    for (uint32_t k = 0; k < n; k++)
        if (chain[k].kind == NN_TRANSFORM_CROP) {
            rows = chain[k].size_rows, cols = chain[k].size_cols;
            if ((uint64_t)rows * cols > largest)
                largest = (uint64_t)rows * cols;
        }
    return n == 0 ? 0 : 2 * largest;
}

/* SplitMix64's output function (Steele et al. 2014): a bijection of 64-bit
 * words whose every input bit flips about half the output bits. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The generator of the transform at chain position k for one sample. Each
 * field is added to a fully mixed word, so tuples differing in one field
 * always differ after that step (a bijection), and differing in several only
 * collide by chance (2^-64). */
static void seed_sample(nn_rng *rng, uint64_t seed, uint32_t epoch, uint32_t index, uint32_t k)
{
    uint64_t key = mix64(mix64(mix64(mix64(seed) + epoch) + index) + k);
    nn_rng_seed(rng, key, NN_STREAM_TRANSFORM);
}

/* Normalize: dst, src are (rows*cols); mean, std are (n_values), 1 or rows*cols.
 * Exactly (x - mean) / std, as torchvision computes it (no reciprocal). May alias. */
static void normalize(float *dst, const float *src, size_t features, const float *mean,
                      const float *std, uint32_t n_values)
{
    if (n_values == 1) {
        float m = mean[0], s = std[0];
        for (size_t i = 0; i < features; i++)
            dst[i] = (src[i] - m) / s;
    } else {
        for (size_t i = 0; i < features; i++)
            dst[i] = (src[i] - mean[i]) / std[i];
    }
}

/* Shift: dst, src are (rows, cols), distinct. dst(r, c) = src(r - dy, c - dx),
 * 0 where that falls outside; |dx| < cols, |dy| < rows. */
static void shift(float *restrict dst, const float *restrict src, uint32_t rows, uint32_t cols,
                  int32_t dx, int32_t dy)
{
    uint32_t lead = dx > 0 ? (uint32_t)dx : 0;             /* zeros on the left */
    uint32_t kept = cols - (uint32_t)(dx < 0 ? -dx : dx);   /* columns copied */
    uint32_t from = dx < 0 ? (uint32_t)-dx : 0;             /* first source column */
    for (uint32_t r = 0; r < rows; r++) {
        float *d = dst + (size_t)r * cols;
        int64_t sr = (int64_t)r - dy;
        if (sr < 0 || sr >= rows) {
            memset(d, 0, cols * sizeof *d);
            continue;
        }
        memset(d, 0, lead * sizeof *d);
        memcpy(d + lead, src + (size_t)sr * cols + from, kept * sizeof *d);
        memset(d + lead + kept, 0, (cols - lead - kept) * sizeof *d);
    }
}

/* Crop: dst is (size_rows, size_cols), src is (rows, cols), distinct.
 * dst(r, c) = padded(top + r, left + c), where padded(i, j) = src(i - padding,
 * j - padding) inside the image and 0 outside. */
static void crop(float *restrict dst, const float *restrict src, uint32_t rows, uint32_t cols,
                 uint32_t size_rows, uint32_t size_cols, uint32_t padding, uint32_t top,
                 uint32_t left)
{
    /* source column of dst column c: left + c - padding; copy where in 0..cols-1 */
    int64_t first = (int64_t)left - padding; /* source column of c = 0 */
    uint32_t lead = first < 0 ? (uint32_t)-first : 0;
    if (lead > size_cols)
        lead = size_cols;
    int64_t last = first + size_cols; /* one past */
    uint32_t tail = last > cols ? (uint32_t)(last - cols) : 0;
    if (tail > size_cols - lead)
        tail = size_cols - lead;
    uint32_t kept = size_cols - lead - tail;
    for (uint32_t r = 0; r < size_rows; r++) {
        float *d = dst + (size_t)r * size_cols;
        int64_t sr = (int64_t)top + r - padding;
        if (sr < 0 || sr >= rows || kept == 0) {
            memset(d, 0, size_cols * sizeof *d);
            continue;
        }
        memset(d, 0, lead * sizeof *d);
        memcpy(d + lead, src + (size_t)sr * cols + (first + lead), kept * sizeof *d);
        memset(d + lead + kept, 0, tail * sizeof *d);
    }
}

/* Horizontal flip: dst, src are (rows, cols), distinct. dst(r, c) = src(r, cols-1-c). */
static void hflip(float *restrict dst, const float *restrict src, uint32_t rows, uint32_t cols)
{
    for (uint32_t r = 0; r < rows; r++) {
        const float *s = src + (size_t)r * cols;
        float *d = dst + (size_t)r * cols;
        for (uint32_t c = 0; c < cols; c++)
            d[c] = s[cols - 1 - c];
    }
}

/* Standard normals for noise: Marsaglia & Tsang's ziggurat (J. Stat. Softw.
 * 5(8), 2000), 128 layers. nn_rng_normal (Box-Muller in double) costs about
 * 55 ns a draw, 2.6 s an epoch of 28x28 noise; this one takes one 32-bit draw
 * and a compare 99% of the time. The layer and the value come from disjoint
 * bits of that draw (the 7 low bits, the 25 high ones), avoiding the
 * correlation Doornik (2005) found in the original's reuse of bits. */
enum { ZIG_LAYERS = 128 };
static const double zig_r = 3.442619855899;       /* where the tail starts */
static const double zig_v = 9.91256303526217e-3;  /* each layer's area */
static struct {
    uint32_t k[ZIG_LAYERS]; /* |value| < k[i]: inside layer i's rectangle */
    float w[ZIG_LAYERS];    /* value to x in layer i */
    float f[ZIG_LAYERS];    /* exp(-x^2/2) at layer i's edge */
} zig;
/* The engine's one table built at run time: constants, written once before
 * any reader (pthread_once), so threads share it safely. */
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

static void zig_build(void)
{
    const double m = 16777216.0; /* values are 25-bit signed: -2^24 .. 2^24-1 */
    double dn = zig_r, tn = dn;
    double q = zig_v / exp(-0.5 * dn * dn);
    zig.k[0] = (uint32_t)(dn / q * m);
    zig.k[1] = 0;
    zig.w[0] = (float)(q / m);
    zig.w[ZIG_LAYERS - 1] = (float)(dn / m);
    zig.f[0] = 1.0f;
    zig.f[ZIG_LAYERS - 1] = (float)exp(-0.5 * dn * dn);
    for (int i = ZIG_LAYERS - 2; i >= 1; i--) {
        dn = sqrt(-2.0 * log(zig_v / dn + exp(-0.5 * dn * dn)));
        zig.k[i + 1] = (uint32_t)(dn / tn * m);
        tn = dn;
        zig.f[i] = (float)exp(-0.5 * dn * dn);
        zig.w[i] = (float)(dn / m);
    }
}

static float zig_normal(nn_rng *rng)
{
    for (;;) {
        uint32_t u = nn_rng_u32(rng);
        uint32_t i = u & (ZIG_LAYERS - 1);
        int32_t value = (int32_t)(u >> 7) - (1 << 24);
        float x = (float)value * zig.w[i];
        if ((uint32_t)(value < 0 ? -value : value) < zig.k[i])
            return x;
        if (i == 0) { /* the base layer's tail beyond r (Marsaglia 1964) */
            float t, y;
            do {
                t = -logf(1.0f - nn_rng_uniform(rng)) / (float)zig_r;
                y = -logf(1.0f - nn_rng_uniform(rng));
            } while (y + y < t * t);
            return value > 0 ? (float)zig_r + t : -(float)zig_r - t;
        }
        if (zig.f[i] + nn_rng_uniform(rng) * (zig.f[i - 1] - zig.f[i]) < expf(-0.5f * x * x))
            return x; /* in the wedge under the curve */
    }
}

/* Noise: dst, src are (features); dst = src + noise_std * N(0, 1). May alias. */
static void add_noise(float *dst, const float *src, size_t features, float noise_std, nn_rng *rng)
{
    pthread_once(&zig_once, zig_build);
    for (size_t i = 0; i < features; i++)
        dst[i] = src[i] + noise_std * zig_normal(rng);
}

/* torchvision's CenterCrop offset int(round(d / 2.0)): Python rounds halves to even. */
static uint32_t centre_offset(uint32_t d)
{
    uint32_t q = d / 2;
    return (d % 2 == 1 && q % 2 == 1) ? q + 1 : q;
}

/* One step on one sample: src is (rows, cols), dst gets the step's output
 * shape (rows, cols updated). dst may equal src only for steps that work in
 * place; `spare` is an image-sized buffer distinct from both. */
static void apply_one(const nn_transform *t, float *dst, const float *src, float *spare,
                      uint32_t *rows, uint32_t *cols, nn_rng *rng, int training)
{
    size_t features = (size_t)*rows * *cols;
    int in_place = dst == src;
    float *target = in_place ? spare : dst; /* for steps that cannot work in place */
    switch (t->kind) {
    case NN_TRANSFORM_NORMALIZE:
        normalize(dst, src, features, t->mean, t->std, t->n_values);
        return;
    case NN_TRANSFORM_NOISE:
        if (training && t->noise_std > 0.0f)
            add_noise(dst, src, features, t->noise_std, rng);
        else if (!in_place)
            memcpy(dst, src, features * sizeof *dst);
        return;
    case NN_TRANSFORM_SHIFT: {
        uint32_t span = 2 * t->pixels + 1;
        int32_t dx = 0, dy = 0;
        if (training && t->pixels > 0) {
            dx = (int32_t)nn_rng_below(rng, span) - (int32_t)t->pixels;
            dy = (int32_t)nn_rng_below(rng, span) - (int32_t)t->pixels;
        }
        if (dx == 0 && dy == 0) {
            if (!in_place)
                memcpy(dst, src, features * sizeof *dst);
            return;
        }
        shift(target, src, *rows, *cols, dx, dy);
        break;
    }
    case NN_TRANSFORM_HFLIP:
        if (!(training && nn_rng_uniform(rng) < t->p)) {
            if (!in_place)
                memcpy(dst, src, features * sizeof *dst);
            return;
        }
        hflip(target, src, *rows, *cols);
        break;
    case NN_TRANSFORM_CROP: {
        uint32_t free_rows = *rows + 2 * t->padding - t->size_rows;
        uint32_t free_cols = *cols + 2 * t->padding - t->size_cols;
        uint32_t top, left;
        if (training) { /* torchvision draws the row first */
            top = nn_rng_below(rng, free_rows + 1);
            left = nn_rng_below(rng, free_cols + 1);
        } else {
            top = centre_offset(free_rows);
            left = centre_offset(free_cols);
        }
        crop(target, src, *rows, *cols, t->size_rows, t->size_cols, t->padding, top, left);
        *rows = t->size_rows, *cols = t->size_cols;
        features = (size_t)*rows * *cols;
        break;
    }
    }
    if (in_place)
        memcpy(dst, spare, features * sizeof *dst);
}

void nn_transform_batch(const nn_transform *chain, uint32_t n, const float *in, float *out,
                        float *scratch, uint32_t batch, uint32_t rows, uint32_t cols,
                        const uint32_t *index, uint64_t seed, uint32_t epoch, int training)
{
    size_t in_features = (size_t)rows * cols;
    if (n == 0) {
        if (out != in)
            memmove(out, in, (size_t)batch * in_features * sizeof *out);
        return;
    }
    uint32_t final_rows = rows, final_cols = cols;
    for (uint32_t k = 0; k < n; k++)
        if (chain[k].kind == NN_TRANSFORM_CROP)
            final_rows = chain[k].size_rows, final_cols = chain[k].size_cols;
    size_t out_features = (size_t)final_rows * final_cols;
    size_t half = (size_t)(nn_transform_scratch(chain, n, rows, cols) / 2);
    float *image[2] = {scratch, scratch + half};

    for (uint32_t b = 0; b < batch; b++) {
        const float *src = in + b * in_features;
        float *last = out + b * out_features;
        uint32_t r = rows, c = cols;
        for (uint32_t k = 0; k < n; k++) {
            /* Steps before the last write to the scratch image src is not in;
             * image[k % 2] is free at the last step, the only one that can
             * find dst == src (n == 1 and out == in). */
            float *dst = k + 1 == n ? last : image[k % 2];
            nn_rng rng = {0, 1};
            if (training && chain[k].kind != NN_TRANSFORM_NORMALIZE)
                seed_sample(&rng, seed, epoch, index[b], k);
            apply_one(&chain[k], dst, src, image[k % 2], &r, &c, &rng, training);
            src = dst;
        }
    }
}
