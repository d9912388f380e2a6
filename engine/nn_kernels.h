/* Dense-layer kernels: the three GEMMs of a Linear layer plus elementwise
 * activations. Three implementations share one table: a scalar reference, an
 * AVX2+FMA version (packed panels, register-blocked microkernel) and an
 * AVX-512F one (the same with 16-lane registers and wider tiles), all giving
 * the same bits. The active one is chosen once from CPUID and XGETBV;
 * NNLAB_SIMD=scalar|avx2|avx512 forces one, and a value that names no path, or
 * a path this CPU lacks, is an error (nn_kernels_choose).
 *
 * Numerics: every path gives the same bits for every entry (tests/engine/
 * test_kernels.c holds each table to the scalar one bit for bit), because
 * every path computes each output with this chain (the AVX2 kernels' own):
 * forward, Y[r][o] = act(s + b[o]) (+ 0.0f without bias), s = ((l0 + l1) +
 * (l2 + l3)) + ((l4 + l5) + (l6 + l7)) where lane l = fma(X[r][k], W[o][k], ·)
 * chained over k ≡ l (mod 8), k ascending, from +0; backward_input, dX[r][i] =
 * fma(dY[r][o], W[o][i], ·) chained over o ascending from +0; backward_weights,
 * dW[o][i] = (fma(dY[r][o], X[r][i], ·) chained over r ascending from +0) +
 * old dW[o][i] (the chain alone when fresh), db[o] = old db[o] + (Σ_r dY[r][o]
 * by plain adds from +0) (the sum alone when fresh); the activations are
 * kernels_avx2.c's exp8/sigmoid8/tanh8/act8/act_grad8 operation for operation
 * (Cephes exp with clamps and round-to-nearest-even, true divisions, SSE's
 * max/min and ordered compares for NaN), and act_backward is dy · act'(y) (for ReLU a
 * select of dy, 0 where y <= 0 whatever dy is, as PyTorch's threshold_backward). The
 * _cols entries give each element the same chain, so any split gives the same
 * bits; so do the number of threads and where a size falls in a tile.
 *
 * Shapes (row-major, contiguous):
 *   X  (B, I)   layer input          W  (O, I)   weight, like torch.nn.Linear
 *   Y  (B, O)   layer output         b  (O)      bias (may be NULL)
 *   dY (B, O)   grad of output       dX (B, I)   grad of input
 *   dW (O, I)   grad of weight       db (O)      grad of bias (may be NULL)
 *
 * `scratch` is caller-owned workspace of at least nn_dense_scratch_floats(B, I, O)
 * floats, 64-byte aligned; kernels never allocate. */
#ifndef NN_KERNELS_H
#define NN_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_error.h"

typedef enum nn_act {
    NN_ACT_NONE = 0,
    NN_ACT_SIGMOID,
    NN_ACT_RELU,
    NN_ACT_LEAKY_RELU, /* uses `slope` for x < 0 */
    NN_ACT_TANH,
} nn_act;

typedef struct nn_dense_kernels {
    const char *name; /* "scalar", "avx2" or "avx512" */

    /* Y = act(X·Wᵀ + b). Overwrites Y. */
    void (*forward)(float *Y, const float *X, const float *W, const float *b,
                    int B, int I, int O, nn_act act, float slope, float *scratch);

    /* dX = dY·W. Overwrites dX. */
    void (*backward_input)(float *dX, const float *dY, const float *W,
                           int B, int I, int O, float *scratch);

    /* dW += dYᵀ·X; db += Σ_batch dY (skipped when db is NULL). Accumulates. */
    void (*backward_weights)(float *dW, float *db, const float *dY, const float *X,
                             int B, int I, int O, float *scratch);

    /* dW = dYᵀ·X; db = Σ_batch dY (skipped when db is NULL). Overwrites dW and db
     * without reading them, with what zeroing them and then backward_weights
     * would leave (the training loop's zero_grad + backward), bit for bit but
     * for the sign of a zero: an element whose exact sum underflows to -0
     * stays -0 here, where adding it to a zeroed +0 gives +0. Every path does
     * the same. */
    void (*backward_weights_fresh)(float *dW, float *db, const float *dY, const float *X,
                                   int B, int I, int O, float *scratch);

    /* y[i] = act(x[i]) for i < n (y may alias x). */
    void (*act_forward)(float *y, const float *x, size_t n, nn_act act, float slope);

    /* dx[i] = dy[i] * act'(.) expressed through the activation's OUTPUT y
     * (sigmoid y(1-y), tanh 1-y², relu/leaky by the sign of y). dx may alias dy. */
    void (*act_backward)(float *dx, const float *dy, const float *y, size_t n,
                         nn_act act, float slope);

    /* y[i] = e^x[i] in double for i < n (y may alias x): the bits of glibc's
     * exp on a CPU with FMA (kernels_exp.h), on every path; the cross-entropy
     * takes its exponentials through it. */
    void (*exp_doubles)(double *y, const double *x, size_t n);

    /* y[i] = (float)x[i] * scale + shift for i < n, the multiply and the add
     * each rounded (no FMA), so the same floats on every path: the loader's
     * conversion of a uint8 image (nn_loader.c). */
    void (*bytes_to_floats)(float *y, const uint8_t *x, size_t n, float scale, float shift);

    /* Column ranges of the three GEMMs, for splitting one call over threads
     * (nn_threads.h). Each computes only its columns of the output, every
     * element with exactly the chain of operations the whole call gives it,
     * so parts that cover the columns give the whole call's bits. NULL in a
     * table that cannot be split (a test's spy): its calls run whole.
     * `scratch` is the part's own nn_dense_scratch_floats(B, I, O) floats. */

    /* Columns [o0, o1) of Y (B,O) = act(X·Wᵀ + b). Overwrites them. */
    void (*forward_cols)(float *Y, const float *X, const float *W, const float *b,
                         int B, int I, int O, nn_act act, float slope, int o0, int o1,
                         float *scratch);

    /* Columns [i0, i1) of dX (B,I) = dY·W. Overwrites them. */
    void (*backward_input_cols)(float *dX, const float *dY, const float *W,
                                int B, int I, int O, int i0, int i1, float *scratch);

    /* Columns [i0, i1) of dW (O,I) += dYᵀ·X (accumulates), or, when `fresh`,
     * = dYᵀ·X as backward_weights_fresh; and all of db (O) likewise when db is
     * not NULL (give it to one part only). */
    void (*backward_weights_cols)(float *dW, float *db, const float *dY, const float *X,
                                  int B, int I, int O, int i0, int i1, bool fresh,
                                  float *scratch);
} nn_dense_kernels;

/* Split points for the _cols kernels, in columns: multiples of 16 floats keep
 * each part's share of a row on its own 64-byte lines (when the row length is
 * a multiple of 16), and 48 = 2 backward panels of 24. Any split gives the
 * same bits; these keep the speed. */
#define NN_DENSE_FORWARD_GRAIN 16
#define NN_DENSE_BACKWARD_GRAIN 48

/* Workspace (in floats) any kernel of any table needs for these sizes (the
 * AVX-512 forward packs rows of W into it: pass it to the forward too). */
size_t nn_dense_scratch_floats(int B, int I, int O);

const nn_dense_kernels *nn_kernels_scalar(void);
/* NULL when this CPU (or its OS) lacks AVX2 or FMA. */
const nn_dense_kernels *nn_kernels_avx2(void);
/* NULL when this CPU (or its OS) lacks AVX-512F (or AVX2 and FMA), or this
 * build has no AVX-512 kernels. */
const nn_dense_kernels *nn_kernels_avx512(void);

/* What the CPU and OS offer, from CPUID and XGETBV. */
typedef struct nn_cpu_features {
    bool avx, fma, avx2;   /* CPUID.1:ECX bits 28, 12; CPUID.7.0:EBX bit 5 */
    bool avx512f;          /* CPUID.7.0:EBX bit 16 */
    bool os_ymm;           /* OSXSAVE, and XCR0 has SSE and AVX state (bits 1, 2) */
    bool os_zmm;           /* os_ymm, and XCR0 has opmask, ZMM_Hi256, Hi16_ZMM (bits 5-7) */
    bool zmm_half_rate;    /* runs 512-bit FMAs as two 256-bit halves: AMD family 19h (Zen 4);
                            * set by nn_cpu_features_detect from the vendor and family */
} nn_cpu_features;

/* Decodes the registers: CPUID leaf 1 ECX, leaf 7 subleaf 0 EBX, and XCR0
 * (only meaningful when leaf 1 ECX has OSXSAVE, bit 27; pass 0 otherwise). */
nn_cpu_features nn_cpu_features_decode(uint32_t leaf1_ecx, uint32_t leaf7_ebx, uint64_t xcr0);

/* This machine's features (CPUID, then XGETBV only when OSXSAVE is set), read
 * once a process. */
nn_cpu_features nn_cpu_features_detect(void);

/* The table NNLAB_SIMD asks for on a CPU with `cpu`: `simd` NULL or "" is the
 * fastest the CPU runs (AVX-512 when it has AVX-512F, AVX2, FMA and OS ZMM
 * state, unless its 512-bit FMAs run at half rate (Zen 4), where AVX2 trains
 * the seed's model faster; else AVX2 when it has AVX2, FMA and OS YMM state;
 * else scalar); "scalar", "avx2" or "avx512" that path. Every path gives the
 * same bits, so the choice is speed alone. NN_EINVAL, with a message that names the variable, the value
 * and the cause, for a value that names no path or a path this CPU (or its OS)
 * lacks. Pure: tests pass made-up features. */
nn_status nn_kernels_for(const char *simd, const nn_cpu_features *cpu,
                         const nn_dense_kernels **out);

/* The table for this process: nn_kernels_for(getenv("NNLAB_SIMD"), this
 * CPU), decided once and cached (thread-safe). On NN_EINVAL, *out is NULL and
 * the message is set on the calling thread, every call. */
nn_status nn_kernels_choose(const nn_dense_kernels **out);

/* The table in use: nn_kernels_choose's, or, when NNLAB_SIMD is refused, the
 * best the CPU runs (so that code which cannot report the error still works:
 * the engine's entry points, nn_net_create first, call nn_kernels_choose and
 * refuse). Cached after the first call; thread-safe. */
const nn_dense_kernels *nn_kernels_active(void);

#endif
