/* PCG32 (O'Neill, pcg-random.org, XSH-RR 64/32): the engine's only source of
 * randomness. A (seed, stream) pair fixes every number drawn, so the same seed
 * gives bit-identical weights, dropout masks and shuffles on every machine. */
#ifndef NN_RNG_H
#define NN_RNG_H

#include <stdint.h>

typedef struct nn_rng {
    uint64_t state;
    uint64_t inc; /* always odd */
} nn_rng;

/* Streams used by the engine, so that e.g. shuffling never shifts init. */
enum {
    NN_STREAM_INIT = 1,
    NN_STREAM_DROPOUT = 2,
    NN_STREAM_SHUFFLE = 3,
    NN_STREAM_SPLIT = 4,
    NN_STREAM_TRANSFORM = 5, /* per-sample augmentation (nn_transform.h) */
    NN_STREAM_SUBSET = 6,    /* random subsets (nn_indices_random) */
};

void nn_rng_seed(nn_rng *rng, uint64_t seed, uint64_t stream);
uint32_t nn_rng_u32(nn_rng *rng);
/* Uniform in [0, bound), without modulo bias. bound must be > 0. */
uint32_t nn_rng_below(nn_rng *rng, uint32_t bound);
/* Uniform float in [0, 1), 24 random bits. */
float nn_rng_uniform(nn_rng *rng);
/* Uniform float in [lo, hi). */
float nn_rng_range(nn_rng *rng, float lo, float hi);
/* Standard normal (Box-Muller, double internally). */
float nn_rng_normal(nn_rng *rng);
/* perm[0..n) = a uniformly random permutation of 0..n-1 (Fisher-Yates). */
void nn_rng_permutation(nn_rng *rng, uint32_t *perm, uint32_t n);

#endif
