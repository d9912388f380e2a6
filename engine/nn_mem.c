/* Aligned, zeroed allocation with overflow checks (see nn_mem.h). */
#include "nn_mem.h"
#include "nn_error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *nn_alloc_bytes(size_t bytes)
{
    if (bytes == 0) {
        nn_fail(NN_ENOMEM, "refusing a zero-byte allocation");
        return NULL;
    }
    if (bytes > SIZE_MAX - NN_ALIGN) {
        nn_fail(NN_ENOMEM, "out of memory: %zu bytes requested", bytes);
        return NULL;
    }
    size_t rounded = (bytes + NN_ALIGN - 1) / NN_ALIGN * NN_ALIGN;
    void *p = aligned_alloc(NN_ALIGN, rounded);
    if (!p) {
        nn_fail(NN_ENOMEM, "out of memory: %zu bytes requested", bytes);
        return NULL;
    }
    memset(p, 0, rounded);
    return p;
}

float *nn_alloc_floats(size_t count)
{
    if (count > SIZE_MAX / sizeof(float)) {
        nn_fail(NN_ENOMEM, "out of memory: %zu floats requested", count);
        return NULL;
    }
    return nn_alloc_bytes(count * sizeof(float));
}

void nn_free(void *p) { free(p); }
