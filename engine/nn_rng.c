/* PCG32 generator and the few distributions the engine draws from. */
#include "nn_rng.h"

#include <math.h>

void nn_rng_seed(nn_rng *rng, uint64_t seed, uint64_t stream)
{
    rng->state = 0;
    rng->inc = (stream << 1u) | 1u;
    nn_rng_u32(rng);
    rng->state += seed;
    nn_rng_u32(rng);
}

uint32_t nn_rng_u32(nn_rng *rng)
{
    uint64_t old = rng->state;
    rng->state = old * 6364136223846793005ULL + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

uint32_t nn_rng_below(nn_rng *rng, uint32_t bound)
{
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t r = nn_rng_u32(rng);
        if (r >= threshold)
            return r % bound;
    }
}

float nn_rng_uniform(nn_rng *rng) { return (float)(nn_rng_u32(rng) >> 8) * 0x1.0p-24f; }

float nn_rng_range(nn_rng *rng, float lo, float hi) { return lo + (hi - lo) * nn_rng_uniform(rng); }

float nn_rng_normal(nn_rng *rng)
{
    double u1 = ((double)nn_rng_u32(rng) + 1.0) * 0x1.0p-32; /* (0, 1] */
    double u2 = (double)nn_rng_u32(rng) * 0x1.0p-32;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void nn_rng_permutation(nn_rng *rng, uint32_t *perm, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = nn_rng_below(rng, i);
        uint32_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}
