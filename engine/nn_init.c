/* Linear-layer initialisation: torch.nn.Linear's default, Xavier and Kaiming
 * (see nn_net.h). Every number comes from the caller's PCG32 stream, so the
 * same seed gives bit-identical weights. */
#include "nn_net_internal.h"

#include <math.h>
#include <string.h>

/* x (n) ~ U(-bound, +bound) */
static void fill_uniform(float *x, size_t n, double bound, nn_rng *rng)
{
    float lo = (float)-bound, hi = (float)bound;
    for (size_t i = 0; i < n; i++)
        x[i] = nn_rng_range(rng, lo, hi);
}

/* x (n) ~ N(0, std²) */
static void fill_normal(float *x, size_t n, double std, nn_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(std * nn_rng_normal(rng));
}

/* W (out, in), b (out) */
void nn_init_linear(float *W, float *b, int in, int out, nn_init init, nn_rng *rng)
{
    size_t n_weights = (size_t)out * (size_t)in;
    double fan_in = in, fan_sum = (double)in + (double)out;
    switch (init) {
    case NN_INIT_TORCH:
        /* kaiming_uniform_(a=√5) on W and U(±1/√fan_in) on b: both bound 1/√fan_in */
        fill_uniform(W, n_weights, 1.0 / sqrt(fan_in), rng);
        fill_uniform(b, (size_t)out, 1.0 / sqrt(fan_in), rng);
        return;
    case NN_INIT_XAVIER_UNIFORM: fill_uniform(W, n_weights, sqrt(6.0 / fan_sum), rng); break;
    case NN_INIT_XAVIER_NORMAL: fill_normal(W, n_weights, sqrt(2.0 / fan_sum), rng); break;
    case NN_INIT_KAIMING_UNIFORM: fill_uniform(W, n_weights, sqrt(6.0 / fan_in), rng); break;
    case NN_INIT_KAIMING_NORMAL: fill_normal(W, n_weights, sqrt(2.0 / fan_in), rng); break;
    }
    memset(b, 0, (size_t)out * sizeof *b);
}
