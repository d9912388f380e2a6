/* Threads inside one run: a process-wide pool of persistent worker threads
 * that runs the parts of one call side by side (PyTorch's intra-op threads).
 *
 * The engine splits only work whose parts write disjoint outputs, each output
 * computed by exactly one part with the same chain of operations it would get
 * on one thread (a dense GEMM by output columns, never along its reduction
 * dimension; an optimizer step by ranges of parameters). So results are the
 * same bits for any thread count, and whether a call is split at all (the
 * NN_THREADS_MIN_FLOPS threshold) changes only its speed.
 *
 * The pool is created lazily by the first call that splits, with up to
 * nn_threads_get() - 1 workers; it never shrinks (workers started under a
 * larger count stay, and take parts too). The caller runs part 0 (its data stays with
 * the caller's thread from call to call); the caller and the workers claim the
 * other parts one at a time, so a worker whose core another process holds
 * does not hold up the call: the others take its parts. Between calls a worker spins for about
 * NN_THREADS_SPIN_US microseconds, then sleeps on a condition variable, so an
 * idle pool costs no CPU. One caller at a time: a call made while another
 * thread's call holds the pool runs its parts itself, one after the other
 * (same results).
 *
 * Fork: a child process has none of the parent's worker threads; an atfork
 * handler forgets them in the child, which starts its own on its first split.
 * At exit the workers are stopped and joined (no leak for valgrind). */
#ifndef NN_THREADS_H
#define NN_THREADS_H

#include "nn_error.h"

/* The most threads nn_threads_set accepts. */
#define NN_THREADS_MAX 256

/* Work (in floating-point operations, 2·B·I·O for a GEMM) below which a call
 * is not split: waking a worker and waiting for it costs a few microseconds,
 * about what 2·10⁵ FLOPs take on one core. Each part gets at least this much. */
#define NN_THREADS_MIN_FLOPS 250000.0

/* How long an idle worker (or a caller waiting for its workers) spins before
 * it sleeps. */
#define NN_THREADS_SPIN_US 100

/* Sets how many threads a call may use (the caller included), 1..NN_THREADS_MAX:
 * the engine splits its calls into at most that many parts, and the pool
 * starts workers up to it. NN_EINVAL with a message otherwise. Process-wide;
 * 1 until set. */
nn_status nn_threads_set(int threads);

/* The count nn_threads_set last set (1 until then). */
int nn_threads_get(void);

/* How many parts work of `flops` operations, made of `units` indivisible
 * pieces (columns, groups of parameters), should be cut into: at most
 * nn_threads_get() and `units`, at least 1, and no part smaller than the
 * split threshold (NN_THREADS_MIN_FLOPS). */
int nn_threads_parts(double flops, long units);

/* Sets the split threshold (NN_THREADS_MIN_FLOPS until set; < 0 restores
 * it). Tests set 0 to split every call of more than one unit on small
 * models; no result depends on it. */
void nn_threads_set_min_flops(double flops);

/* run(ctx, part, parts) for every part in [0, parts), side by side, each
 * exactly once, on the calling thread or a worker; returns when all have
 * returned. The parts must write disjoint memory. Workers are started up to
 * min(parts, nn_threads_get()) - 1, and those of the pool claim the parts in
 * turn, so no more threads than parts run at once; parts <= 1, a thread count
 * of 1, more than 65 535 parts or a pool that cannot start a thread runs
 * everything on the caller. */
typedef void (*nn_threads_task)(void *ctx, int part, int parts);
void nn_threads_run(int parts, nn_threads_task run, void *ctx);

/* The start of part `part` of `parts` over [0, n) in pieces of `grain`
 * (the last piece may be shorter): part p covers [begin(p), begin(p+1)). */
long nn_threads_split(long n, long grain, int part, int parts);

#endif
