/* Engine-internal pieces shared by nn_net.c, nn_init.c and nn_model_file.c:
 * the limits a network (or a model file claiming to be one) may reach, spec
 * checks, and parameter initialisation. Not part of the public API. */
#ifndef NN_NET_INTERNAL_H
#define NN_NET_INTERNAL_H

#include <stddef.h>

#include "nn_error.h"
#include "nn_net.h"
#include "nn_rng.h"

#define NN_NET_MAX_LAYERS 1024
#define NN_NET_MAX_PARAMS ((size_t)1 << 30)    /* whole network, in floats (4 GiB) */

/* Checks one spec on its own (kind, sizes, init, slope, p); `index` is 0-based
 * and printed 1-based. NN_EINVAL with a message naming the layer and field. */
nn_status nn_layer_spec_check(const nn_layer_spec *spec, int index);

/* Parameters a checked spec owns: in*out + out for Linear, 0 otherwise. */
size_t nn_layer_spec_param_count(const nn_layer_spec *spec);

/* W is (out, in), b is (out). Fills both as `init` says, drawing W then b from
 * rng (b = 0 for the Xavier and Kaiming schemes, with no draws). */
void nn_init_linear(float *W, float *b, int in, int out, nn_init init, nn_rng *rng);

#endif
