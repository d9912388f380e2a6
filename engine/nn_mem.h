/* 64-byte aligned float buffers: every tensor, parameter, gradient and
 * optimizer-state buffer in the engine comes from here. */
#ifndef NN_MEM_H
#define NN_MEM_H

#include <stddef.h>

#define NN_ALIGN 64

/* Returns a zeroed, 64-byte aligned buffer of `count` floats, or NULL (with an
 * NN_ENOMEM message) when count is 0 or the allocation fails. Free with nn_free
 * (never free()): a buffer of 4 KiB or more is mapped, and nn_free returns its
 * memory to the system at once. */
float *nn_alloc_floats(size_t count);

/* Aligned, zeroed bytes; same contract as nn_alloc_floats. */
void *nn_alloc_bytes(size_t bytes);

void nn_free(void *p);

/* Advises the kernel to back the whole 2 MiB pages inside [p, p + bytes) with
 * transparent huge pages, before they are first written, when the buffer is
 * large enough to hold some (a hint: it changes no contents). For large
 * buffers from malloc (a dataset's pixels), which are read at random. */
void nn_advise_huge_pages(void *p, size_t bytes);

#endif
