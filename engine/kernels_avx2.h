/* Internal to the engine: what kernels_dispatch.c needs to know about the AVX2
 * kernels. Include nothing from here outside engine/kernels_*.c. */
#ifndef NN_KERNELS_AVX2_H
#define NN_KERNELS_AVX2_H

#include "nn_kernels.h"

/* Width (in floats) of the packed panels the AVX2 backward kernels copy into
 * scratch: backward_input packs W in (O, PANEL) slices, backward_weights packs
 * X in (B, PANEL) slices. */
#define NN_AVX2_PANEL_COLS 24

/* The AVX2+FMA table with no CPU check: executing any entry on a CPU without
 * AVX2 and FMA is an illegal instruction. Only nn_kernels_avx2() calls this. */
const nn_dense_kernels *nn_kernels_avx2_unchecked(void);

#endif
