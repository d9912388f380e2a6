/* libFuzzer target: the IDX reader (engine/nn_idx.c) on arbitrary bytes, read
 * as an image file and as a label file. Inputs that start with the gzip magic
 * take the inflate path as they are; fuzz_idx_gzip.c aims at that side. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_idx_read.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_idx_read_both(fuzz_input_file(data, size));
    return 0;
}
