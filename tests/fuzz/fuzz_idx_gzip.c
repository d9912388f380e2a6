/* libFuzzer target: the IDX reader behind gzip. An input that starts with the
 * gzip magic (1f 8b) is read as it is: corrupt, truncated or concatenated
 * streams. Any other input is an IDX body that the harness compresses first,
 * as two gzip members (its two halves), so that mutations reach the header
 * and size checks behind inflate and the multi-member path every time. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "fuzz_idx_read.h"
#include "fuzz_input.h"

enum { GZIP_WINDOW_BITS = 16 + MAX_WBITS };

/* Appends one gzip member holding data (size bytes) to out at *used. */
static void gzip_member(const uint8_t *data, size_t size, uint8_t *out, size_t capacity, size_t *used)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WINDOW_BITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)size;
    z.next_out = out + *used;
    z.avail_out = (uInt)(capacity - *used);
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort(); /* capacity is compressBound plus room for gzip headers */
    *used = capacity - z.avail_out;
    deflateEnd(&z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        fuzz_idx_read_both(fuzz_input_file(data, size));
        return 0;
    }
    size_t half = size / 2;
    size_t capacity = 2 * (compressBound((uLong)size) + 64);
    uint8_t *gz = malloc(capacity);
    if (!gz)
        abort();
    size_t used = 0;
    gzip_member(data, half, gz, capacity, &used);
    gzip_member(data + half, size - half, gz, capacity, &used);
    fuzz_idx_read_both(fuzz_input_file(gz, used));
    free(gz);
    return 0;
}
