/* libFuzzer target: the .npy reader (engine/nn_npy.c) on arbitrary bytes, both
 * from memory (nn_npy_parse) and through a path (nn_npy_read, the file side). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_input.h"
#include "nn_npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nn_array a;
    if (nn_npy_parse(data, size, "fuzz.npy", &a) == NN_OK)
        nn_array_free(&a);
    if (nn_npy_read(fuzz_input_file(data, size), &a) == NN_OK)
        nn_array_free(&a);
    return 0;
}
