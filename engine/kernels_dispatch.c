/* Chooses the dense kernel table at run time (see nn_kernels.h): AVX2+FMA when
 * the CPU and OS support it, unless NNLAB_SIMD=scalar. Compiled without -mavx2,
 * so nothing here executes an AVX instruction before the check. */
#include "nn_kernels.h"
#include "kernels_avx2.h"

#include <stdlib.h>
#include <string.h>
#include <threads.h>

size_t nn_dense_scratch_floats(int B, int I, int O)
{
    return nn_avx2_scratch_floats(B, I, O); /* the scalar kernels need none */
}

const nn_dense_kernels *nn_kernels_avx2(void)
{
    /* gcc's builtin reports avx2/fma only when the OS saves YMM state (XGETBV). */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return nn_kernels_avx2_unchecked();
    return NULL;
}

static once_flag active_once = ONCE_FLAG_INIT;
static const nn_dense_kernels *active_kernels;

static void choose_active_kernels(void)
{
    const char *simd = getenv("NNLAB_SIMD");
    const nn_dense_kernels *best = nn_kernels_avx2();
    if ((simd && strcmp(simd, "scalar") == 0) || !best)
        best = nn_kernels_scalar();
    active_kernels = best;
}

const nn_dense_kernels *nn_kernels_active(void)
{
    call_once(&active_once, choose_active_kernels);
    return active_kernels;
}
