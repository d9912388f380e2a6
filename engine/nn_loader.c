/* Batch loader: visits an index list of a dataset in batches, shuffled per
 * epoch from (seed, epoch), converting each batch from uint8 (or float32)
 * straight into one reused float buffer (the only copy of the data; split
 * over the run's threads when large enough, see GATHER_GRAIN), then through the
 * transforms (nn_transform.h) and the caller's batch hook. */
#include "nn_data.h"
#include "nn_kernels.h"
#include "nn_mem.h"
#include "nn_rng.h"
#include "nn_threads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct nn_loader {
    const nn_dataset *ds; /* not owned */
    nn_loader_config config; /* its transforms point into `chain` below */
    uint32_t count;       /* indices given at creation */
    uint32_t samples;     /* visited per epoch (count, minus a dropped last batch) */
    uint32_t position;    /* next sample of `order` to hand out */
    uint32_t last_batch;  /* size of the batch last handed out */
    uint32_t epoch;       /* the epoch started last */
    int training;         /* random transforms and the hook apply */
    int failed;           /* the hook stopped the last batch */
    uint32_t out_rows, out_cols; /* sample shape after the transforms */
    uint32_t *base;       /* the index list given at creation */
    uint32_t *order;      /* this epoch's visiting order */
    float *x;             /* (batch_size, out_rows*out_cols), 64-byte aligned */
    float *converted;     /* (batch_size, rows*cols) before the transforms, or NULL */
    float *scratch;       /* nn_transform_scratch() floats, or NULL */
    int32_t *y;           /* (batch_size) */
    float *t;             /* (batch_size, n_targets) for regression, or NULL */
    nn_transform *chain;  /* copies of the transforms, and of their mean/std values */
    float *chain_values;
};

/* One copy of the gather per instruction set, picked once at load time (an
 * ifunc), for float features: the same multiply and add per value (no FMA),
 * so the same floats, 8 at a time on AVX2 instead of 4. uint8 images go
 * through the kernel table's bytes_to_floats (nn_kernels.h), which widens 8
 * or 16 bytes an instruction where gcc's loop took three shuffles. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__ELF__) && !defined(__clang__)
#define GATHER_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GATHER_CLONES
#endif

/* dst[i] = (src[i] - mean) / std over float features, exactly as
 * torchvision's Normalize computes it: a reciprocal and a multiply-add lose
 * the digits that cancel when mean/std is large (mean 45, std 0.001 gave
 * multiples of 1/256). */
static inline __attribute__((always_inline)) void normalize_floats(float *restrict dst,
                                                                   const float *restrict src,
                                                                   size_t n, float mean, float std)
{
    enum { BLOCK = 32 };
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (size_t k = 0; k < BLOCK; k++)
            dst[i + k] = (src[i + k] - mean) / std;
    for (; i < n; i++)
        dst[i] = (src[i] - mean) / std;
}

/* Fetches the `pixels` (> 0) bytes at image into the cache ahead of use (a
 * hint): every 64-byte line they touch, the last one included. */
static inline __attribute__((always_inline)) void prefetch_image(const uint8_t *image,
                                                                 size_t pixels, int locality)
{
#if defined(__GNUC__)
    for (size_t k = 0; k < pixels; k += 64)
        if (locality == 3)
            __builtin_prefetch(image + k, 0, 3);
        else
            __builtin_prefetch(image + k, 0, 2);
    if (locality == 3)
        __builtin_prefetch(image + pixels - 1, 0, 3);
    else
        __builtin_prefetch(image + pixels - 1, 0, 2);
#else
    (void)image, (void)pixels, (void)locality;
#endif
}

/* One gather: the rows [0, n) of x from the samples indices[0, n). */
typedef struct gather_job {
    const nn_dataset *ds;
    const uint32_t *indices;
    uint32_t n;
    int normalize;
    float mean, std;
    float *x;
    /* uint8 features: the kernel table's conversion, looked up once a gather */
    void (*to_floats)(float *, const uint8_t *, size_t, float, float);
} gather_job;

/* Rows [begin, end) of a gather. */
GATHER_CLONES
static void gather_rows(const gather_job *j, uint32_t begin, uint32_t end)
{
    const nn_dataset *ds = j->ds;
    const uint32_t *indices = j->indices;
    size_t pixels = (size_t)ds->rows * ds->cols;
    float *x = j->x;
    if (ds->values) { /* float features: as they are, or (v - mean) / std */
        for (uint32_t b = begin; b < end; b++) {
            const float *v = ds->values + (size_t)indices[b] * pixels;
            if (j->normalize)
                normalize_floats(x + b * pixels, v, pixels, j->mean, j->std);
            else
                memcpy(x + b * pixels, v, pixels * sizeof *x);
        }
        return;
    }
    /* (p/255 - mean)/std = p * (1/(255 std)) - mean/std: one multiply-add per pixel.
     * Differs from PyTorch's p/255 by at most an ulp or two. */
    float scale = j->normalize ? 1.0f / (255.0f * j->std) : 1.0f / 255.0f;
    float shift = j->normalize ? -j->mean / j->std : 0.0f;
    for (uint32_t b = begin; b < end; b++) {
        if (b + 2 < end) /* shuffled rows are scattered: fetch two samples ahead */
            prefetch_image(ds->images + indices[b + 2] * pixels, pixels, 3);
        j->to_floats(x + b * pixels, ds->images + indices[b] * pixels, pixels, scale, shift);
    }
}

/* A gather is split over the run's threads in pieces of GATHER_GRAIN samples,
 * each sample's row converted whole by one thread (the same floats for any
 * split). A piece of a 784-pixel image batch takes about 5 µs. A batch of 32
 * split in two gained nothing measurable (the seed's model at 2 threads,
 * bench_phases, 5 alternating rounds: epoch 109.2-112.3 ms against
 * 109.5-114.2; its gather fell by 2.6 ms and its GEMMs grew by about as
 * much), so it stays whole; at 128 and 512 the gather phase fell from 20.0
 * to 12.5 ms (784-256-10) and from 16.3 to 10.2 ms (784-64-10) an epoch
 * (Intel Xeon, 2 threads). The work is weighted as 30 FLOPs a pixel: a
 * 784-pixel image takes 150-240 ns to gather in training, what 24-38 kFLOP
 * take in the GEMMs. */
enum { GATHER_GRAIN = 32 };
#define GATHER_FLOPS_PER_PIXEL 30.0

static void gather_part(void *ctx, int part, int parts)
{
    const gather_job *j = ctx;
    gather_rows(j, (uint32_t)nn_threads_split(j->n, GATHER_GRAIN, part, parts),
                (uint32_t)nn_threads_split(j->n, GATHER_GRAIN, part + 1, parts));
}

void nn_dataset_gather(const nn_dataset *ds, const uint32_t *indices, uint32_t n,
                       int normalize, float mean, float std, float *x, int32_t *y)
{
    /* The labels first, in a loop of their own: each is a cache miss of its own
     * (a shuffled index into 120 KB of them), and here they overlap, where one
     * at the end of each image's conversion waited in turn (46 % of this
     * function's perf samples on the seed's model; its batch loads then took
     * 5.9-6.2 ms an epoch against 6.0-6.8, bench_phases, Zen 5, 6 alternating
     * runs). */
    for (uint32_t b = 0; ds->labels && b < n; b++)
        y[b] = ds->labels[indices[b]];
    gather_job j = {ds, indices, n, normalize, mean, std, x,
                    ds->values ? NULL : nn_kernels_active()->bytes_to_floats};
    double pixels = (double)ds->rows * ds->cols;
    int parts = nn_threads_parts(GATHER_FLOPS_PER_PIXEL * pixels * n, n / GATHER_GRAIN);
    nn_threads_run(parts, gather_part, &j);
}

void nn_dataset_gather_targets(const nn_dataset *ds, const uint32_t *indices, uint32_t n, float *t)
{
    size_t k = ds->n_targets;
    for (uint32_t b = 0; b < n; b++)
        memcpy(t + b * k, ds->targets + (size_t)indices[b] * k, k * sizeof *t);
}

/* Brings the images of next[0..n) towards the cache while the caller works on
 * the current batch. Shuffled samples lie on pages all over a dataset of tens
 * of MB: a prefetch that misses the TLB is dropped (on the CPUs measured), so
 * each image is first read for real (one byte: a page walk, then its first
 * line), then its other lines are prefetched. (With the datasets on huge
 * pages, prefetches alone were tried again: bench_data's shuffled epoch took
 * 7.0-7.2 ms against 5.9-6.3 with the read, Zen 5.) */
static void fetch_ahead(const nn_dataset *ds, const uint32_t *next, uint32_t n)
{
    size_t pixels = (size_t)ds->rows * ds->cols * (ds->images ? 1 : sizeof(float));
    const uint8_t *base = ds->images ? ds->images : (const uint8_t *)ds->values;
    for (uint32_t b = 0; b < n; b++) {
        const uint8_t *image = base + (size_t)next[b] * pixels;
        (void)*(volatile const uint8_t *)image;
        if (pixels > 64)
            prefetch_image(image + 64, pixels - 64, 2);
    }
}

void nn_loader_free(nn_loader *loader)
{
    if (!loader)
        return;
    free(loader->base);
    free(loader->order);
    nn_free(loader->x);
    nn_free(loader->converted);
    nn_free(loader->scratch);
    nn_free(loader->y);
    nn_free(loader->t);
    free(loader->chain);
    free(loader->chain_values);
    free(loader);
}

static nn_status check_config(const nn_dataset *ds, const nn_indices *indices,
                              const nn_loader_config *c)
{
    uint32_t count = indices ? indices->count : ds->count;
    if ((!ds->images && !ds->values) || ds->count == 0)
        return nn_fail(NN_EINVAL, "loader: the dataset is empty (not loaded, or freed)");
    if (c->batch_size == 0 || c->batch_size > NN_LOADER_MAX_BATCH)
        return nn_fail(NN_EINVAL, "loader: batch_size %u is out of range: it must be from 1 to %u",
                       c->batch_size, NN_LOADER_MAX_BATCH);
    if (c->normalize && !(c->std > 0.0f && isfinite(c->std) && isfinite(c->mean)))
        return nn_fail(NN_EINVAL,
                       "loader: normalization needs a finite mean and a finite std > 0 (got mean %g, "
                       "std %g as float32)", (double)c->mean, (double)c->std);
    if (count == 0)
        return nn_fail(NN_EINVAL, "loader: no samples to visit");
    if (c->n_transforms && !c->transforms)
        return nn_fail(NN_EINVAL, "loader: %u transforms but no list", c->n_transforms);
    if (c->drop_last && count < c->batch_size)
        return nn_fail(NN_EINVAL, "loader: batch_size %u with drop_last leaves no batch of %u samples",
                       c->batch_size, count);
    for (uint32_t i = 0; indices && i < count; i++)
        if (indices->at[i] >= ds->count)
            return nn_fail(NN_EINVAL, "loader: index %u at position %u is past the dataset's %u samples",
                           indices->at[i], i, ds->count);
    return NN_OK;
}

/* Copies the transforms and the mean/std arrays they point to. */
static nn_status copy_chain(nn_loader *l, const nn_loader_config *c)
{
    uint32_t n = c->n_transforms;
    size_t values = 0;
    for (uint32_t k = 0; k < n; k++)
        if (c->transforms[k].kind == NN_TRANSFORM_NORMALIZE)
            values += 2 * (size_t)c->transforms[k].n_values;
    l->chain = malloc((n ? n : 1) * sizeof *l->chain);
    l->chain_values = malloc((values ? values : 1) * sizeof *l->chain_values);
    if (!l->chain || !l->chain_values)
        return nn_fail(NN_ENOMEM, "loader: out of memory for %u transforms", n);
    float *v = l->chain_values;
    for (uint32_t k = 0; k < n; k++) {
        l->chain[k] = c->transforms[k];
        if (l->chain[k].kind == NN_TRANSFORM_NORMALIZE && c->transforms[k].mean && c->transforms[k].std) {
            size_t m = c->transforms[k].n_values;
            memcpy(v, c->transforms[k].mean, m * sizeof *v);
            memcpy(v + m, c->transforms[k].std, m * sizeof *v);
            l->chain[k].mean = v, l->chain[k].std = v + m;
            v += 2 * m;
        }
    }
    l->config.transforms = l->chain;
    return NN_OK;
}

nn_status nn_loader_create(nn_loader **out, const nn_dataset *ds, const nn_indices *indices,
                           const nn_loader_config *config)
{
    *out = NULL;
    nn_status st = check_config(ds, indices, config);
    uint32_t out_rows = ds->rows, out_cols = ds->cols;
    if (st == NN_OK && config->n_transforms)
        st = nn_transform_check(config->transforms, config->n_transforms, ds->rows, ds->cols,
                                &out_rows, &out_cols);
    if (st != NN_OK)
        return st;
    nn_loader *l = calloc(1, sizeof *l);
    if (!l)
        return nn_fail(NN_ENOMEM, "loader: out of memory");
    l->ds = ds;
    l->config = *config;
    l->training = 1;
    l->out_rows = out_rows, l->out_cols = out_cols;
    if ((st = copy_chain(l, config)) != NN_OK) {
        nn_loader_free(l);
        return st;
    }
    l->count = indices ? indices->count : ds->count;
    l->samples = config->drop_last ? l->count / config->batch_size * config->batch_size : l->count;
    size_t batch = config->batch_size < l->count ? config->batch_size : l->count;
    size_t pixels = (size_t)ds->rows * ds->cols, out_pixels = (size_t)out_rows * out_cols;
    size_t widest = pixels > out_pixels ? pixels : out_pixels;
    int ok = 1;
    l->base = malloc((size_t)l->count * sizeof *l->base);
    l->order = malloc((size_t)l->count * sizeof *l->order);
    if (l->base && l->order && widest <= SIZE_MAX / sizeof(float) / batch) {
        l->x = nn_alloc_floats(batch * out_pixels);
        l->y = nn_alloc_bytes(batch * sizeof *l->y);
        if (ds->targets)
            ok = (l->t = nn_alloc_floats(batch * ds->n_targets)) != NULL;
        if (config->n_transforms) {
            uint64_t scratch = nn_transform_scratch(config->transforms, config->n_transforms,
                                                    ds->rows, ds->cols);
            l->converted = nn_alloc_floats(batch * pixels);
            l->scratch = nn_alloc_floats(scratch ? (size_t)scratch : 1);
            ok = ok && l->converted && l->scratch;
        }
    }
    if (!l->base || !l->order || !l->x || !l->y || !ok) {
        nn_loader_free(l);
        return nn_fail(NN_ENOMEM, "loader: out of memory for batches of %zu x %zu", batch, widest);
    }
    for (uint32_t i = 0; i < l->count; i++)
        l->base[i] = indices ? indices->at[i] : i;
    nn_loader_start_epoch(l, 0);
    *out = l;
    return NN_OK;
}

uint32_t nn_loader_batches(const nn_loader *loader)
{
    uint32_t bs = loader->config.batch_size;
    return loader->samples / bs + (loader->samples % bs != 0);
}

uint32_t nn_loader_samples(const nn_loader *loader) { return loader->samples; }

/* SplitMix64's finaliser: spreads (seed, epoch) over the whole 64-bit seed space. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t nn_loader_features(const nn_loader *loader)
{
    return loader->out_rows * loader->out_cols;
}

uint32_t nn_loader_target_width(const nn_loader *loader) { return loader->ds->n_targets; }

const float *nn_loader_targets(const nn_loader *loader)
{
    return loader->ds->targets && loader->last_batch ? loader->t : NULL;
}

void nn_loader_set_training(nn_loader *loader, int training) { loader->training = training != 0; }

int nn_loader_training(const nn_loader *loader) { return loader->training; }

int nn_loader_failed(const nn_loader *loader) { return loader->failed; }

void nn_loader_start_epoch(nn_loader *loader, uint32_t epoch)
{
    loader->position = 0;
    loader->last_batch = 0;
    loader->epoch = epoch;
    loader->failed = 0;
    if (!loader->config.shuffle) {
        memcpy(loader->order, loader->base, (size_t)loader->count * sizeof *loader->order);
        return;
    }
    nn_rng rng;
    nn_rng_seed(&rng, mix64(mix64(loader->config.seed) + epoch), NN_STREAM_SHUFFLE);
    nn_rng_permutation(&rng, loader->order, loader->count);
    for (uint32_t i = 0; i < loader->count; i++) /* order[i] = base[perm[i]], in place */
        loader->order[i] = loader->base[loader->order[i]];
}

int nn_loader_next(nn_loader *loader, const float **x, const int32_t **y, uint32_t *batch)
{
    uint32_t left = loader->samples - loader->position;
    uint32_t n = left < loader->config.batch_size ? left : loader->config.batch_size;
    loader->last_batch = n;
    *batch = n;
    *x = n ? loader->x : NULL;
    *y = n ? loader->y : NULL;
    if (n == 0)
        return 0;
    const nn_loader_config *c = &loader->config;
    const uint32_t *batch_indices = loader->order + loader->position;
    const nn_dataset *ds = loader->ds;
    float *converted = c->n_transforms ? loader->converted : loader->x;
    nn_dataset_gather(ds, batch_indices, n, c->normalize, c->mean, c->std, converted, loader->y);
    if (ds->targets)
        nn_dataset_gather_targets(ds, batch_indices, n, loader->t);
    if (c->n_transforms)
        nn_transform_batch(c->transforms, c->n_transforms, converted, loader->x, loader->scratch, n,
                           ds->rows, ds->cols, batch_indices, c->seed, loader->epoch, loader->training);
    if (c->batch_hook && loader->training &&
        c->batch_hook(c->hook_context, loader->x, n, nn_loader_features(loader)) != 0) {
        loader->failed = 1;
        loader->last_batch = 0;
        *batch = 0;
        *x = NULL;
        *y = NULL;
        return 0;
    }
    /* the next batch's images, up to PREFETCH_BYTES so that a large batch does
     * not flush the caller's working set */
    enum { PREFETCH_BYTES = 128 * 1024 };
    uint32_t after = left - n, max_next = PREFETCH_BYTES / (nn_loader_features(loader) | 1);
    uint32_t n_next = after < c->batch_size ? after : c->batch_size;
    fetch_ahead(loader->ds, loader->order + loader->position + n, n_next < max_next ? n_next : max_next);
    loader->position += n;
    return 1;
}

const uint32_t *nn_loader_batch_indices(const nn_loader *loader)
{
    return loader->order + loader->position - loader->last_batch;
}
