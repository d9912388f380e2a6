/* Per-sample transforms of a batch (torchvision's, on float images): applied
 * by a loader after it converts a batch, in the order given. Each sample is an
 * image of (rows, cols) floats (tabular data: rows = 1, cols = features).
 *
 * Random transforms draw from a generator seeded by (seed, epoch, sample
 * index, position of the transform in the chain) only: a sample gets the same
 * shift/crop/flip/noise in a given epoch whatever its batch, batch size or
 * thread, and another one in the next epoch. When `training` is zero (an
 * evaluation pass) they are deterministic: shift, flip and noise do nothing,
 * a crop takes the centre. Normalize always applies.
 *
 * Geometry (torchvision's conventions): RandomShift moves the image by whole
 * pixels, dx and dy each uniform in -pixels..pixels, filling with zeros;
 * RandomCrop pads every side with `padding` zeros, then takes a size_rows ×
 * size_cols window at a uniform position; RandomHorizontalFlip mirrors the
 * columns with probability p. */
#ifndef NN_TRANSFORM_H
#define NN_TRANSFORM_H

#include <stdint.h>

#include "nn_error.h"

typedef enum nn_transform_kind {
    NN_TRANSFORM_NORMALIZE = 0, /* x = (x - mean[f]) / std[f]; n_values 1 (every feature) or rows*cols */
    NN_TRANSFORM_SHIFT,         /* uses pixels */
    NN_TRANSFORM_CROP,          /* uses size_rows, size_cols, padding */
    NN_TRANSFORM_HFLIP,         /* uses p */
    NN_TRANSFORM_NOISE,         /* x += noise_std * N(0, 1), per element */
} nn_transform_kind;

typedef struct nn_transform {
    nn_transform_kind kind;
    uint32_t pixels;             /* SHIFT: the largest shift, in pixels */
    uint32_t size_rows, size_cols; /* CROP: the window */
    uint32_t padding;            /* CROP: zeros added on every side */
    float p;                     /* HFLIP: probability of a flip, 0..1 */
    float noise_std;             /* NOISE: >= 0 */
    const float *mean, *std;     /* NORMALIZE: n_values each (not owned); std > 0 */
    uint32_t n_values;
} nn_transform;

/* Checks a chain against the image shape it receives and gives the shape it
 * produces (only a crop changes it). Errors name the transform and its
 * position: a spatial transform on rows == 1 data, a crop larger than the
 * padded image, a Normalize whose value count is neither 1 nor the features,
 * std <= 0, p outside 0..1, negative noise. */
nn_status nn_transform_check(const nn_transform *chain, uint32_t n, uint32_t rows, uint32_t cols,
                             uint32_t *out_rows, uint32_t *out_cols);

/* Floats of scratch space nn_transform_batch needs for a (checked) chain. */
uint64_t nn_transform_scratch(const nn_transform *chain, uint32_t n, uint32_t rows, uint32_t cols);

/* Applies a checked chain to `batch` samples: in is (batch, rows*cols), out is
 * (batch, out_rows*out_cols) (out may equal in when the chain keeps the shape),
 * scratch holds nn_transform_scratch() floats. index[b] is sample b's index in
 * its dataset. */
void nn_transform_batch(const nn_transform *chain, uint32_t n, const float *in, float *out,
                        float *scratch, uint32_t batch, uint32_t rows, uint32_t cols,
                        const uint32_t *index, uint64_t seed, uint32_t epoch, int training);

#endif
