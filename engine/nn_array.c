/* Dense arrays read from files (see nn_array.h): element count and freeing. */
#include "nn_array.h"

#include <stdlib.h>
#include <string.h>

uint64_t nn_array_elements(const nn_array *a)
{
    uint64_t n = 1;
    for (uint32_t d = 0; d < a->ndim && d < NN_ARRAY_MAX_DIMS; d++)
        n *= a->shape[d];
    return n;
}

void nn_array_free(nn_array *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}
