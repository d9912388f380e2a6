/* NumPy files: .npy arrays and .npz archives of them (zip, stored or deflated,
 * read with libzip). Format: numpy.lib.format versions 1.0, 2.0 and 3.0; dtypes
 * u1, i1, i2, i4, i8, f4, f8 in either byte order (also "|u1", "|i1"); C order
 * only. Fortran order, object arrays, structured dtypes and every other dtype
 * are refused with a message that says so. The header is checked in full
 * (magic, version, header length, dict keys, shape) and the body must be
 * exactly the declared size, before the array is allocated.
 *
 * Every message starts with the file name (for an npz member: "file.npz[key]").
 * On failure *out is left zeroed. */
#ifndef NN_NPY_H
#define NN_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "nn_array.h"
#include "nn_error.h"

/* Reads a .npy file. */
nn_status nn_npy_read(const char *path, nn_array *out);

/* Parses .npy bytes held in memory; `name` is what messages call them. */
nn_status nn_npy_parse(const uint8_t *bytes, size_t size, const char *name, nn_array *out);

/* Reads array `key` (the member "key.npy") of a .npz archive. A missing key is
 * an error that lists the keys the archive has. */
nn_status nn_npz_read(const char *path, const char *key, nn_array *out);

/* The same from an archive held in memory (for fuzzing and tests). */
nn_status nn_npz_parse(const uint8_t *bytes, size_t size, const char *name, const char *key,
                       nn_array *out);

#endif
