/* The version of the numbers nnlab computes, which cache keys hold (through
 * core.numerics()) in place of the kernel path or a fingerprint of the code:
 * a run cached on one machine, path or thread count is reused on any other,
 * because every path gives the same bits.
 *
 * Bump it with any change that moves a result: a kernel's chain of
 * operations (kernels_avx2.c writes them; kernels_scalar.c spells them out;
 * kernels_avx512.c runs more side by side), an optimizer step, the loader's
 * conversion or normalization, a transform, a schedule or the training loop
 * in lua/nnlab/. tests/nnlab/test_numerics_version.lua holds the digest of
 * small runs through each of those paths with the version, and fails until a
 * change that moves them records a new version.
 *
 * results-2 (2026-12-05): dense-1 had stayed while float features' loader
 * normalization became exactly (v - mean)/std and schedulers took PyTorch's
 * chainable step, both of which moved results.
 *
 * results-3 (2026-12-06): fit's divergence bar against regression targets
 * counts the loss the model started from, so runs on targets on a small
 * scale that stopped as diverged after epoch 1 now train on. */
#ifndef NN_NUMERICS_H
#define NN_NUMERICS_H

#define NN_NUMERICS "results-3"

#endif
