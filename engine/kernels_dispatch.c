/* Chooses the dense kernel table at run time (see nn_kernels.h).
 * TEMPORARY: scalar only until the AVX2 kernels land. */
#include "nn_kernels.h"

#include <stddef.h>

size_t nn_dense_scratch_floats(int B, int I, int O)
{
    (void)B; (void)I; (void)O;
    return 16;
}

const nn_dense_kernels *nn_kernels_avx2(void) { return NULL; }

const nn_dense_kernels *nn_kernels_active(void) { return nn_kernels_scalar(); }
