/* Aligned, zeroed allocation with overflow checks (see nn_mem.h).
 *
 * Buffers of NN_MAP_BYTES (4 KiB, a page) and up (weights, gradients,
 * optimizer moments, batches of all but the smallest models) are mapped with
 * mmap, so that nn_free gives their memory back to the system at once, and
 * they never sit in malloc's heap among the Lua interpreter's small objects.
 * From malloc they were kept: a process that builds and frees models one
 * after another (planning a sweep builds each job's model for its cache key)
 * left each model's blocks as a hole in the heap that Lua's objects then
 * partly filled, so the next, larger model (a sweep over the hidden size)
 * went on top: the heap grew faster than the number of jobs (20 000 cached
 * runs of a grid h x lr: 424 MB with 57 MB of Lua objects; 142 MB with a
 * 16 KiB threshold, and 11 MB less again at the sweep's end with 4 KiB; the
 * threshold was 1 MiB). glibc's own mmap threshold does not help: it rises
 * to the size of each large block freed. Mapped pages also come zeroed, and
 * take no memory until they are written (a gradient buffer planning never
 * touches costs two system calls). Smaller blocks leave holes that small
 * objects fill. Blocks of NN_HUGE_BYTES and up are advised to the kernel as
 * transparent huge pages (MADV_HUGEPAGE; the machines run THP in "madvise"
 * mode): a 784-4096-10 model's weights, gradients, moments and activations
 * then fault in 2 MiB at a time (three passes of that scaling-table row at
 * batch 512: 48 700 page faults became 20 200, and the process's CPU time
 * went from 1.05 s to 0.78 s, on a Zen 5).
 *
 * Every buffer starts NN_ALIGN bytes into its block; the header before it
 * holds the length of its mapping (whole pages), or 0 for a block from
 * aligned_alloc. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS (POSIX only since 2024) */

#include "nn_mem.h"
#include "nn_error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NN_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(NN_UNDER_ASAN)
/* Under AddressSanitizer every buffer comes from its allocator, red zones and all. */
#define NN_MAP_BYTES SIZE_MAX
#else
#define NN_MAP_BYTES ((size_t)4 << 10)
#endif

/* Two huge pages: a smaller block rarely holds one aligned 2 MiB page. */
#define NN_HUGE_BYTES ((size_t)4 << 20)
/* A mapping's length is rounded up to whole pages, as mmap maps them. */
#define NN_PAGE_BYTES ((size_t)4 << 10)

void *nn_alloc_bytes(size_t bytes)
{
    if (bytes == 0) {
        nn_fail(NN_ENOMEM, "refusing a zero-byte allocation");
        return NULL;
    }
    if (bytes > SIZE_MAX - 2 * NN_ALIGN - NN_PAGE_BYTES) {
        nn_fail(NN_ENOMEM, "out of memory: %zu bytes requested", bytes);
        return NULL;
    }
    size_t block = NN_ALIGN + (bytes + NN_ALIGN - 1) / NN_ALIGN * NN_ALIGN;
    size_t mapped = 0;
    if (block >= NN_MAP_BYTES)
        mapped = (block + NN_PAGE_BYTES - 1) / NN_PAGE_BYTES * NN_PAGE_BYTES;
    unsigned char *base;
    if (mapped) {
        void *map = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        base = map == MAP_FAILED ? NULL : map; /* page-aligned, zeroed */
        nn_advise_huge_pages(base, mapped);
    } else if ((base = aligned_alloc(NN_ALIGN, block)) != NULL) {
        memset(base, 0, block);
    }
    if (!base) {
        nn_fail(NN_ENOMEM, "out of memory: %zu bytes requested", bytes);
        return NULL;
    }
    memcpy(base, &mapped, sizeof mapped);
    return base + NN_ALIGN;
}

float *nn_alloc_floats(size_t count)
{
    if (count > SIZE_MAX / sizeof(float)) {
        nn_fail(NN_ENOMEM, "out of memory: %zu floats requested", count);
        return NULL;
    }
    return nn_alloc_bytes(count * sizeof(float));
}

void nn_free(void *p)
{
    if (!p)
        return;
    unsigned char *base = (unsigned char *)p - NN_ALIGN;
    size_t mapped;
    memcpy(&mapped, base, sizeof mapped);
    if (mapped)
        munmap(base, mapped);
    else
        free(base);
}

void nn_advise_huge_pages(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t page = NN_PAGE_BYTES;
    uintptr_t begin = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + bytes) & ~(page - 1);
    if (p && bytes >= NN_HUGE_BYTES && end > begin)
        (void)madvise((void *)begin, end - begin, MADV_HUGEPAGE);
#else
    (void)p, (void)bytes;
#endif
}
