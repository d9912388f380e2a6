/* Chooses the dense kernel table at run time (see nn_kernels.h): from CPUID
 * and XGETBV, and NNLAB_SIMD=scalar|avx2|avx512, which forces a path and is
 * refused (an NN_EINVAL the caller reports) when it names none or one this CPU
 * lacks. Compiled without -mavx2, so nothing here executes an AVX instruction
 * before the check. */
#include "nn_kernels.h"
#include "kernels_avx2.h"
#include "kernels_avx512.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

size_t nn_dense_scratch_floats(int B, int I, int O)
{
    size_t avx2 = nn_avx2_scratch_floats(B, I, O), avx512 = nn_avx512_scratch_floats(B, I, O);
    return avx2 > avx512 ? avx2 : avx512; /* the scalar kernels need none */
}

nn_cpu_features nn_cpu_features_decode(uint32_t leaf1_ecx, uint32_t leaf7_ebx, uint64_t xcr0)
{
    const uint64_t sse_avx_state = (1u << 1) | (1u << 2);
    const uint64_t zmm_state = (1u << 5) | (1u << 6) | (1u << 7); /* opmask, ZMM_Hi256, Hi16_ZMM */
    bool osxsave = leaf1_ecx & (1u << 27);
    nn_cpu_features f = {
        .avx = leaf1_ecx & (1u << 28),
        .fma = leaf1_ecx & (1u << 12),
        .avx2 = leaf7_ebx & (1u << 5),
        .avx512f = leaf7_ebx & (1u << 16),
        .os_ymm = osxsave && (xcr0 & sse_avx_state) == sse_avx_state,
    };
    f.os_zmm = f.os_ymm && (xcr0 & zmm_state) == zmm_state;
    return f;
}

/* AMD family 19h (Zen 3, Zen 4; only Zen 4 has AVX-512) executes each 512-bit
 * FMA as two 256-bit halves: its zmm FMA peak is its ymm one (measured: 110.8
 * against 111.2 GFLOP/s), and the AVX2 kernels train the seed's model about
 * 4 % faster there (median epoch 0.155-0.165 s against 0.162-0.194 s, runs
 * interleaved; the 784-256-10 model is 3 % faster on AVX-512). Zen 5 (family
 * 1Ah) and Intel's AVX-512 cores run them at full width. */
static bool zmm_half_rate(uint32_t vendor_ebx, uint32_t vendor_ecx, uint32_t vendor_edx,
                          uint32_t leaf1_eax)
{
    bool amd = vendor_ebx == 0x68747541u && vendor_edx == 0x69746e65u && vendor_ecx == 0x444d4163u;
    uint32_t family = (leaf1_eax >> 8) & 0xfu;
    if (family == 0xfu)
        family += (leaf1_eax >> 20) & 0xffu;
    return amd && family == 0x19u;
}

static nn_cpu_features features_from_cpuid(void)
{
    uint32_t leaf1_ecx = 0, leaf7_ebx = 0;
    uint64_t xcr0 = 0;
    bool half_rate = false;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    uint32_t vendor_ebx = 0, vendor_ecx = 0, vendor_edx = 0;
    if (__get_cpuid(0, &a, &b, &c, &d))
        vendor_ebx = b, vendor_ecx = c, vendor_edx = d;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        leaf1_ecx = c;
        half_rate = zmm_half_rate(vendor_ebx, vendor_ecx, vendor_edx, a);
    }
    if (__get_cpuid_max(0, NULL) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        leaf7_ebx = b;
    }
    if (leaf1_ecx & (1u << 27)) { /* OSXSAVE: XGETBV may run */
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = ((uint64_t)hi << 32) | lo;
    }
#endif
    nn_cpu_features f = nn_cpu_features_decode(leaf1_ecx, leaf7_ebx, xcr0);
    f.zmm_half_rate = half_rate;
    return f;
}

/* CPUID traps to the hypervisor in a virtual machine (11-32 us a leaf on a
 * KVM guest), and optimizers, forwards and workers ask often: the CPU is
 * read once a process. */
static once_flag features_once = ONCE_FLAG_INIT;
static nn_cpu_features features;

static void read_features(void) { features = features_from_cpuid(); }

nn_cpu_features nn_cpu_features_detect(void)
{
    call_once(&features_once, read_features);
    return features;
}

static bool runs_avx2(const nn_cpu_features *cpu)
{
    return cpu->avx && cpu->avx2 && cpu->fma && cpu->os_ymm;
}

const nn_dense_kernels *nn_kernels_avx2(void)
{
    nn_cpu_features cpu = nn_cpu_features_detect();
    return runs_avx2(&cpu) ? nn_kernels_avx2_unchecked() : NULL;
}

static bool runs_avx512(const nn_cpu_features *cpu)
{
    return runs_avx2(cpu) && cpu->avx512f && cpu->os_zmm;
}

const nn_dense_kernels *nn_kernels_avx512(void)
{
    nn_cpu_features cpu = nn_cpu_features_detect();
    return runs_avx512(&cpu) ? nn_kernels_avx512_unchecked() : NULL;
}

nn_status nn_kernels_for(const char *simd, const nn_cpu_features *cpu,
                         const nn_dense_kernels **out)
{
    *out = NULL;
    if (!simd || !*simd) {
        *out = runs_avx512(cpu) && !cpu->zmm_half_rate ? nn_kernels_avx512_unchecked()
               : runs_avx2(cpu) ? nn_kernels_avx2_unchecked()
                                : nn_kernels_scalar();
        return NN_OK;
    }
    if (strcmp(simd, "scalar") == 0) {
        *out = nn_kernels_scalar();
        return NN_OK;
    }
    if (strcmp(simd, "avx2") == 0) {
        if (!cpu->avx2 || !cpu->avx)
            return nn_fail(NN_EINVAL, "NNLAB_SIMD=avx2: this CPU lacks AVX2 (use scalar, or unset it)");
        if (!cpu->fma)
            return nn_fail(NN_EINVAL, "NNLAB_SIMD=avx2: this CPU lacks FMA (use scalar, or unset it)");
        if (!cpu->os_ymm)
            return nn_fail(NN_EINVAL, "NNLAB_SIMD=avx2: the operating system does not enable AVX (YMM) "
                           "state (XCR0) (use scalar, or unset it)");
        *out = nn_kernels_avx2_unchecked();
        return NN_OK;
    }
    if (strcmp(simd, "avx512") == 0) {
        if (!cpu->avx512f)
            return nn_fail(NN_EINVAL, "NNLAB_SIMD=avx512: this CPU lacks AVX-512F (use %s, or unset it)",
                           runs_avx2(cpu) ? "avx2 or scalar" : "scalar");
        if (!cpu->os_zmm)
            return nn_fail(NN_EINVAL, "NNLAB_SIMD=avx512: the operating system does not enable AVX-512 "
                           "(opmask and ZMM) state (XCR0) (use %s, or unset it)",
                           runs_avx2(cpu) ? "avx2 or scalar" : "scalar");
        if (!runs_avx2(cpu))
            return nn_fail(NN_EINVAL, "NNLAB_SIMD=avx512: this CPU has AVX-512F but lacks AVX2 or FMA, "
                           "which the AVX-512 kernels also use (use scalar, or unset it)");
        *out = nn_kernels_avx512_unchecked();
        return NN_OK;
    }
    /* the value as messages show outside text: control bytes as \ddd, cut at 40 bytes */
    char shown[4 * 40 + 1] = "";
    size_t n = 0;
    for (size_t i = 0; simd[i] && i < 40; i++) {
        unsigned char c = (unsigned char)simd[i];
        n += (size_t)snprintf(shown + n, sizeof shown - n, (c < 32 || c == 127) ? "\\%03u" : "%c", c);
    }
    return nn_fail(NN_EINVAL, "NNLAB_SIMD=%s%s: unknown SIMD path (expected scalar, avx2 or avx512, "
                   "or unset for the best this CPU runs)", shown, strlen(simd) > 40 ? "..." : "");
}

static once_flag chosen_once = ONCE_FLAG_INIT;
static const nn_dense_kernels *chosen_kernels, *fallback_kernels;
static char chosen_error[256];

static void choose_kernels(void)
{
    nn_cpu_features cpu = nn_cpu_features_detect();
    nn_kernels_for(NULL, &cpu, &fallback_kernels);
    if (nn_kernels_for(getenv("NNLAB_SIMD"), &cpu, &chosen_kernels) != NN_OK)
        strncpy(chosen_error, nn_error_message(), sizeof chosen_error - 1);
}

nn_status nn_kernels_choose(const nn_dense_kernels **out)
{
    call_once(&chosen_once, choose_kernels);
    *out = chosen_kernels;
    if (!chosen_kernels)
        return nn_fail(NN_EINVAL, "%s", chosen_error);
    return NN_OK;
}

const nn_dense_kernels *nn_kernels_active(void)
{
    call_once(&chosen_once, choose_kernels);
    return chosen_kernels ? chosen_kernels : fallback_kernels;
}
