/* The AVX-512 forward's blocking from this CPU's data caches and vendor (see
 * kernels_blocking.h for the rule and where its numbers come from). Compiled
 * without -mavx2: it runs before any check of what the CPU has. */
#include "kernels_blocking.h"

#include <stdbool.h>
#include <stddef.h>
#include <threads.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

int nn_cpu_caches_add_leaf(nn_cpu_caches *caches, uint32_t eax, uint32_t ebx, uint32_t ecx)
{
    uint32_t type = eax & 0x1fu, level = (eax >> 5) & 0x7u;
    if (type == 0)
        return 0;
    uint64_t ways = ((ebx >> 22) & 0x3ffu) + 1, partitions = ((ebx >> 12) & 0x3ffu) + 1;
    uint64_t line = (ebx & 0xfffu) + 1, sets = (uint64_t)ecx + 1;
    uint64_t bytes = ways * partitions * line * sets;
    uint32_t size = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
    bool data = type == 1, unified = type == 3;
    if (level == 1 && data)
        caches->l1d = size;
    else if (level == 2 && (data || unified))
        caches->l2 = size;
    else if (level == 3 && (data || unified))
        caches->l3 = size;
    return 1;
}

static once_flag vendor_once = ONCE_FLAG_INIT;
static bool intel;

static void read_vendor(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    /* "GenuineIntel" in EBX, EDX, ECX */
    intel = __get_cpuid(0, &a, &b, &c, &d) && b == 0x756e6547u && d == 0x49656e69u && c == 0x6c65746eu;
#endif
}

/* Read once a process: CPUID traps in a virtual machine (11-32 us), and
 * every optimizer asks. */
bool nn_cpu_is_intel(void)
{
    call_once(&vendor_once, read_vendor);
    return intel;
}

nn_cpu_caches nn_cpu_caches_detect(void)
{
    nn_cpu_caches caches = {0, 0, 0};
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    unsigned max_extended = (unsigned)__get_cpuid_max(0x80000000u, NULL);
    bool topology = max_extended >= 0x8000001du && __get_cpuid(0x80000001u, &a, &b, &c, &d) &&
                    (c & (1u << 22)); /* AMD's TopologyExtensions */
    uint32_t leaf = topology ? 0x8000001du : 4;
    if (topology || (unsigned)__get_cpuid_max(0, NULL) >= 4)
        for (unsigned sub = 0; sub < 16; sub++) {
            __cpuid_count(leaf, sub, a, b, c, d);
            if (!nn_cpu_caches_add_leaf(&caches, a, b, c))
                break;
        }
    /* AMD's older leaves, where a hypervisor hides TopologyExtensions (leaf 4
     * is reserved on AMD and reads zeros): L1d KiB in 0x80000005 ECX[31:24],
     * L2 KiB in 0x80000006 ECX[31:16]. */
    if (!caches.l1d && max_extended >= 0x80000005u && __get_cpuid(0x80000005u, &a, &b, &c, &d))
        caches.l1d = (c >> 24) * 1024u;
    if (!caches.l2 && max_extended >= 0x80000006u && __get_cpuid(0x80000006u, &a, &b, &c, &d))
        caches.l2 = (c >> 16) * 1024u;
#endif
    return caches;
}

/* v limited to [lo, hi] (0 <= lo <= hi). */
static int clamp(uint64_t v, int lo, int hi)
{
    return v < (uint64_t)lo ? lo : v > (uint64_t)hi ? hi : (int)v;
}

nn_blocking nn_blocking_for(nn_cpu_caches caches, bool intel)
{
    enum { STRIP_AND_TILE_ROWS = 12 }; /* 8 rows of W, 4 of X */
    int blocked_from = 1024, row_block = 128;
    if (caches.l1d) /* limits are multiples of 64 and of 4: the roundings stay */
        blocked_from = clamp(caches.l1d / (STRIP_AND_TILE_ROWS * sizeof(float)) / 64 * 64,
                             NN_BLOCKED_FROM_MIN, NN_BLOCKED_FROM_MAX);
    if (caches.l2)
        row_block = clamp((uint64_t)caches.l2 * 128 / (1024 * 1024) / 4 * 4, NN_ROW_BLOCK_MIN,
                          NN_ROW_BLOCK_MAX);
    return (nn_blocking){blocked_from, blocked_from / 2 / 16 * 16, row_block, intel ? 1 : 0};
}

/* `chosen` and `is_set` change only between runs (nn_blocking_set's
 * contract): the thread pool's hand-off of the next job orders them before
 * any worker reads them. */
static once_flag detected_once = ONCE_FLAG_INIT;
static nn_blocking detected, chosen;
static bool is_set;

static void detect(void) { detected = nn_blocking_for(nn_cpu_caches_detect(), nn_cpu_is_intel()); }

nn_blocking nn_blocking_active(void)
{
    call_once(&detected_once, detect);
    return is_set ? chosen : detected;
}

int nn_blocking_set(const nn_blocking *blocking)
{
    if (!blocking) {
        is_set = false;
        return 0;
    }
    nn_blocking b = *blocking;
    if (b.blocked_from < NN_BLOCKED_FROM_MIN || b.blocked_from > NN_BLOCKED_FROM_MAX ||
        b.k_block < 16 || b.k_block > NN_K_BLOCK_MAX || b.k_block % 16 != 0 ||
        b.row_block < NN_ROW_BLOCK_MIN || b.row_block > NN_ROW_BLOCK_MAX || b.row_block % 4 != 0 ||
        (b.x_pairs != 0 && b.x_pairs != 1))
        return -1;
    chosen = b;
    is_set = true;
    return 0;
}
