/* See fuzz_idx_read.h. */
#include "fuzz_idx_read.h"

#include <stdint.h>
#include <stdlib.h>

#include "nn_data.h"

/* Where the checks' reads go, so that the compiler keeps them. */
static volatile uint8_t read_sink;

static void read_as_images(const char *path)
{
    uint8_t *pixels = NULL;
    uint32_t count = 0, rows = 0, cols = 0;
    if (nn_idx_read_images(path, &pixels, &count, &rows, &cols) != NN_OK) {
        if (pixels || count || rows || cols)
            abort();
        return;
    }
    if (!pixels || count == 0 || rows == 0 || cols == 0)
        abort();
    /* every byte the header declares is there: ASan checks these reads */
    size_t total = (size_t)count * rows * cols;
    for (size_t i = 0; i < total; i++)
        read_sink ^= pixels[i];
    free(pixels);
}

static void read_as_labels(const char *path)
{
    enum { CLASSES = 10 };
    uint8_t *labels = NULL;
    uint32_t count = 0;
    if (nn_idx_read_labels(path, CLASSES, &labels, &count) != NN_OK) {
        if (labels || count)
            abort();
        return;
    }
    if (!labels || count == 0)
        abort();
    for (uint32_t i = 0; i < count; i++)
        if (labels[i] >= CLASSES)
            abort();
    free(labels);
}

void fuzz_idx_read_both(const char *path)
{
    read_as_images(path);
    read_as_labels(path);
}
