/* libFuzzer target: the .npz reader (engine/nn_npy.c through libzip) on
 * arbitrary bytes, asking for the keys numpy writes by default ("arr_0") and
 * the one datasets use ("x"), from memory and through a path. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_input.h"
#include "nn_npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"arr_0", "x"};
    nn_array a;
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        if (nn_npz_parse(data, size, "fuzz.npz", keys[k], &a) == NN_OK)
            nn_array_free(&a);
    if (nn_npz_read(fuzz_input_file(data, size), "x", &a) == NN_OK)
        nn_array_free(&a);
    return 0;
}
