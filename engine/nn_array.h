/* A dense array read from a file (NumPy .npy/.npz members): C order, up to
 * NN_ARRAY_MAX_DIMS dimensions, held compactly as uint8 (when the file holds
 * uint8) or as float32 (every other dtype, converted once while reading).
 * `descr` keeps the file's own dtype (e.g. "<i8", "|u1", ">f4") for reports and
 * for checks that care (labels must be integers). The array owns `data`. */
#ifndef NN_ARRAY_H
#define NN_ARRAY_H

#include <stddef.h>
#include <stdint.h>

enum { NN_ARRAY_MAX_DIMS = 4 };

typedef enum nn_dtype {
    NN_DTYPE_U8 = 0,  /* uint8 as stored */
    NN_DTYPE_F32 = 1, /* float32 (converted from i1, i2, i4, i8, f4, f8) */
} nn_dtype;

typedef struct nn_array {
    nn_dtype dtype;
    uint32_t ndim;                        /* 0..NN_ARRAY_MAX_DIMS (0: a scalar) */
    uint64_t shape[NN_ARRAY_MAX_DIMS];    /* unused dims are 1 */
    void *data;                           /* elements in C order, malloc'd, owned */
    char descr[8];                        /* the file's dtype string, NUL-terminated */
    /* f8 data: the first element with a fractional part that float32 rounded
     * to a whole number (0.99999999 -> 1), and its value; `whole_from_fraction`
     * is 0 when there is none, else its index + 1. Labels must not take it. */
    uint64_t whole_from_fraction;
    double fraction_value;
} nn_array;

/* The number of elements: the product of the shape (1 for a scalar). */
uint64_t nn_array_elements(const nn_array *a);

/* Frees data and zeroes the array; safe on a zeroed array. */
void nn_array_free(nn_array *a);

#endif
