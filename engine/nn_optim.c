/* Optimizers with PyTorch's update rules (see nn_optim.h): SGD, Adam and AdamW
 * over one flat float32 parameter buffer.
 *
 * Each element loop follows the operation order of PyTorch's single-tensor path
 * (torch/optim/sgd.py, adam.py) and of its scalar CPU kernels (add with alpha,
 * lerp, addcmul, addcdiv), in float32. Per-step scalars (bias corrections, step
 * size, 1 - beta) are computed in double, as PyTorch computes them in Python, and
 * rounded to float where PyTorch hands them to a kernel. PyTorch's vectorised
 * kernels may fuse multiply-adds (FMA), so its bits can differ by an ulp.
 *
 * Hot path: one step touches every parameter, up to ~200k of them, thousands of
 * times an epoch. Each (rule, option) combination is its own branch-free loop
 * over restrict pointers that gcc -O2 vectorises; the combinations come from one
 * always-inline body per rule called with constant flags. On Intel, Adam's
 * blocks near subnormal floats run a copy whose multiplies, divisions and roots
 * that meet them are in double: the same bits without microcode assists (see
 * adam_block).
 * Nothing is allocated after nn_optim_create. */
#include "nn_optim.h"
#include "kernels_blocking.h"
#include "nn_kernels.h"
#include "nn_mem.h"
#include "nn_threads.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))
/* One copy of a step per instruction set, picked once at load time (an ifunc):
 * the same operations in the same order, so the same bits, 16 lanes at a time
 * on AVX-512F, 8 on AVX2, 4 on SSE. Adam is bound by its square root and two
 * divisions per element, which AVX-512 does at twice AVX2's width on a Zen 5
 * (784-256-10 Adam, one epoch's steps: 38.7 -> 22.0 ms); on AVX-512F one of
 * the divisions runs on the FMA units instead (adam_fast_block). No FMA: a fused
 * multiply-add would round once where PyTorch's reference rounds twice, and
 * only the AVX-512F copy could contract one (AVX-512F has FMAs), so this file
 * is compiled with -ffp-contract=off (engine/CMakeLists.txt). */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__ELF__) && !defined(__clang__)
#define STEP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define STEP_CLONES
#endif

/* Adam's division by its bias correction by a multiply and FMAs
 * (adam_fast_block) on CPUs with AVX-512F (by default on Intel's only, see
 * nn_optim_create), in gcc builds, whose SIMD copies these are
 * (target_clones); clang builds (the fuzzers') divide. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__ELF__) && !defined(__clang__)
#define ADAM_FAST_DIVISIONS 1
#define AVX512_TARGET __attribute__((target("avx512f")))
#include "exact_division_avx512.h"
#else
#define ADAM_FAST_DIVISIONS 0
#endif

/* Floats per 64-byte line: each moment starts on its own aligned line. */
#define FLOATS_PER_LINE (NN_ALIGN / sizeof(float))

struct nn_optim {
    nn_optim_config config;
    /* The hyperparameters as the user wrote them (see nn_hyperparameter_as_written). */
    double lr, weight_decay, dampening, beta1, beta2;
    size_t n_params;
    long steps_taken;
    float *state;           /* one allocation holding every moment; NULL for plain SGD */
    float *momentum_buffer; /* SGD with momentum: (n_params) */
    float *exp_avg;         /* Adam, AdamW: (n_params) */
    float *exp_avg_sq;      /* Adam, AdamW: (n_params) */
    bool widen_subnormals;  /* Adam: blocks near subnormals in double (see adam_block) */
    bool fast_divisions;    /* Adam: a division by FMAs on AVX-512F (see adam_fast_block) */
};

/* ---- configuration ------------------------------------------------------- */

/* Whether this build and CPU can run adam_fast_block: a gcc build, AVX-512F
 * (with AVX2, FMA and the OS's zmm state, as nn_kernels_avx512 checks). */
static bool fast_divisions_available(void)
{
    return ADAM_FAST_DIVISIONS && nn_kernels_avx512() != NULL;
}

nn_optim_config nn_optim_defaults(nn_optim_kind kind)
{
    nn_optim_config config = {
        .kind = kind, .lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
    };
    if (kind == NN_OPTIM_ADAMW)
        config.weight_decay = 1e-2f;
    return config;
}

const char *nn_optim_kind_name(nn_optim_kind kind)
{
    switch (kind) {
    case NN_OPTIM_SGD: return "SGD";
    case NN_OPTIM_ADAM: return "Adam";
    case NN_OPTIM_ADAMW: return "AdamW";
    }
    return "unknown";
}

/* NN_OK if `value` is finite and `in_range`, else an NN_EINVAL naming it. */
static nn_status check_hyperparameter(const char *name, float value, bool in_range,
                                      const char *rule)
{
    if (!isfinite(value))
        return nn_fail(NN_EINVAL, "invalid %s: %g (must be finite)", name, nn_error_number(value));
    if (!in_range)
        return nn_fail(NN_EINVAL, "invalid %s: %g (must be %s)", name, (double)value, rule);
    return NN_OK;
}

#define TRY(expr)                        \
    do {                                 \
        nn_status status_ = (expr);      \
        if (status_ != NN_OK)            \
            return status_;              \
    } while (0)

nn_status nn_optim_validate(const nn_optim_config *c)
{
    if (!c)
        return nn_fail(NN_EINVAL, "invalid optimizer config: NULL");
    if (c->kind != NN_OPTIM_SGD && c->kind != NN_OPTIM_ADAM && c->kind != NN_OPTIM_ADAMW)
        return nn_fail(NN_EINVAL, "invalid optimizer kind: %d", (int)c->kind);
    TRY(check_hyperparameter("lr", c->lr, c->lr >= 0, ">= 0"));
    TRY(check_hyperparameter("weight_decay", c->weight_decay, c->weight_decay >= 0, ">= 0"));
    if (c->kind == NN_OPTIM_SGD) {
        TRY(check_hyperparameter("momentum", c->momentum, c->momentum >= 0, ">= 0"));
        TRY(check_hyperparameter("dampening", c->dampening,
                                 c->dampening >= 0 && c->dampening <= 1, "in [0, 1]"));
        if (c->nesterov && (c->momentum <= 0 || c->dampening != 0))
            return nn_fail(NN_EINVAL,
                           "invalid nesterov: Nesterov momentum requires a momentum > 0 and "
                           "zero dampening (got momentum %g, dampening %g)",
                           (double)c->momentum, (double)c->dampening);
    } else {
        TRY(check_hyperparameter("beta1", c->beta1, c->beta1 >= 0 && c->beta1 < 1, "in [0, 1)"));
        TRY(check_hyperparameter("beta2", c->beta2, c->beta2 >= 0 && c->beta2 < 1, "in [0, 1)"));
        TRY(check_hyperparameter("eps", c->eps, c->eps > 0, "> 0"));
    }
    return NN_OK;
}

/* Working from the float's binary value instead (0.95f = 0.949999988...) drifts:
 * 0.95f^100 is 13 ulps below 0.95^100 (ExponentialLR at epoch 100); for Adam's
 * 1 - beta1 and step size it costs an ulp here and there. */
double nn_hyperparameter_as_written(float value)
{
    if (!isfinite(value))
        return value;
    char text[32];
    for (int digits = 1; digits < 9; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, (double)value);
        if (strtof(text, NULL) == value)
            return strtod(text, NULL);
    }
    return value; /* 9 significant digits always round-trip: the float itself */
}

nn_status nn_optim_create(nn_optim **out, const nn_optim_config *config, size_t n_params)
{
    if (!out)
        return nn_fail(NN_EINVAL, "nn_optim_create: out must not be NULL");
    *out = NULL;
    TRY(nn_optim_validate(config));
    if (n_params == 0)
        return nn_fail(NN_EINVAL, "invalid n_params: 0 (must be > 0)");
    if (n_params > SIZE_MAX / (2 * sizeof(float)) - FLOATS_PER_LINE)
        return nn_fail(NN_ENOMEM, "out of memory: optimizer state for %zu parameters", n_params);

    nn_optim *opt = calloc(1, sizeof *opt);
    if (!opt)
        return nn_fail(NN_ENOMEM, "out of memory: optimizer");
    opt->config = *config;
    opt->n_params = n_params;
    opt->widen_subnormals = nn_cpu_is_intel();
    /* Intel only: measured there; on a Zen, whose Adam step is not bound by
     * its divider (0.17-0.20 ns a parameter on a Zen 5), it is not yet
     * (bench_kernels --adam prints both ways). */
    opt->fast_divisions = nn_cpu_is_intel() && fast_divisions_available();
    opt->lr = nn_hyperparameter_as_written(config->lr);
    opt->weight_decay = nn_hyperparameter_as_written(config->weight_decay);
    opt->dampening = nn_hyperparameter_as_written(config->dampening);
    opt->beta1 = nn_hyperparameter_as_written(config->beta1);
    opt->beta2 = nn_hyperparameter_as_written(config->beta2);

    size_t moments = config->kind != NN_OPTIM_SGD ? 2 : config->momentum != 0 ? 1 : 0;
    size_t stride = (n_params + FLOATS_PER_LINE - 1) / FLOATS_PER_LINE * FLOATS_PER_LINE;
    if (moments > 0) {
        opt->state = nn_alloc_floats(moments * stride);
        if (!opt->state) {
            free(opt);
            return NN_ENOMEM; /* nn_alloc_floats left the message */
        }
    }
    if (config->kind == NN_OPTIM_SGD) {
        opt->momentum_buffer = opt->state;
    } else {
        opt->exp_avg = opt->state;
        opt->exp_avg_sq = opt->state + stride;
    }
    *out = opt;
    return NN_OK;
}

void nn_optim_free(nn_optim *opt)
{
    if (!opt)
        return;
    nn_free(opt->state);
    free(opt);
}

float nn_optim_lr(const nn_optim *opt) { return opt->config.lr; }

void nn_optim_set_lr(nn_optim *opt, float lr)
{
    opt->config.lr = lr;
    opt->lr = nn_hyperparameter_as_written(lr);
}

const nn_optim_config *nn_optim_config_of(const nn_optim *opt) { return &opt->config; }

long nn_optim_steps_taken(const nn_optim *opt) { return opt->steps_taken; }

void nn_optim_set_subnormal_widening(nn_optim *opt, bool on) { opt->widen_subnormals = on; }

bool nn_optim_set_fast_divisions(nn_optim *opt, bool on)
{
    opt->fast_divisions = on && fast_divisions_available();
    return opt->fast_divisions;
}

/* Every update runs over whole blocks of UPDATE_BLOCK elements, then the tail.
 * A block's fixed trip count is what lets gcc -O2 (whose "very cheap" cost model
 * refuses loops that need a scalar epilogue) vectorise the element loop. */
#define UPDATE_BLOCK 16

/* ---- SGD ------------------------------------------------------------------ */

/* The float scalars of one SGD step. The momentum buffer update is
 * buf = buffer_decay*buf + grad_scale*g: momentum and 1 - dampening, except on
 * the first step, where the zeroed buffer gets 0*0 + 1*g, PyTorch's clone of g. */
typedef struct sgd_scalars {
    float lr, weight_decay, momentum, buffer_decay, grad_scale;
} sgd_scalars;

/* params, grads, momentum_buffer: (count). The flags are constants at each call. */
static ALWAYS_INLINE void sgd_update_block(size_t count, float *restrict params,
                                           const float *restrict grads,
                                           float *restrict momentum_buffer, sgd_scalars s,
                                           const bool weight_decay, const bool momentum,
                                           const bool nesterov)
{
    for (size_t i = 0; i < count; i++) {
        float g = grads[i];
        if (weight_decay)
            g = g + s.weight_decay * params[i];     /* grad.add(param, alpha=wd) */
        if (momentum) {
            float buf = momentum_buffer[i] * s.buffer_decay + s.grad_scale * g;
            momentum_buffer[i] = buf;
            g = nesterov ? g + s.momentum * buf : buf;
        }
        params[i] = params[i] - s.lr * g;           /* param.add_(g, alpha=-lr) */
    }
}

/* params, grads, momentum_buffer (NULL without momentum): (n). */
static ALWAYS_INLINE void sgd_update(size_t n, float *restrict params,
                                     const float *restrict grads,
                                     float *restrict momentum_buffer, sgd_scalars s,
                                     const bool weight_decay, const bool momentum,
                                     const bool nesterov)
{
    size_t whole = n - n % UPDATE_BLOCK;
    for (size_t i = 0; i < whole; i += UPDATE_BLOCK)
        sgd_update_block(UPDATE_BLOCK, params + i, grads + i,
                         momentum ? momentum_buffer + i : NULL, s, weight_decay, momentum,
                         nesterov);
    sgd_update_block(n - whole, params + whole, grads + whole,
                     momentum ? momentum_buffer + whole : NULL, s, weight_decay, momentum,
                     nesterov);
}

/* Picks the momentum variant once `weight_decay` is a constant. params,
 * grads and the moments are offset by `begin`; n elements from there. */
static ALWAYS_INLINE void sgd_update_by_momentum(const nn_optim *opt, size_t begin, size_t n,
                                                 float *restrict params,
                                                 const float *restrict grads, sgd_scalars s,
                                                 const bool weight_decay)
{
    params += begin;
    grads += begin;
    if (opt->config.nesterov)
        sgd_update(n, params, grads, opt->momentum_buffer + begin, s, weight_decay, true, true);
    else if (opt->momentum_buffer)
        sgd_update(n, params, grads, opt->momentum_buffer + begin, s, weight_decay, true, false);
    else
        sgd_update(n, params, grads, NULL, s, weight_decay, false, false);
}

/* Elements [begin, end) of one SGD step. */
STEP_CLONES static void sgd_step_range(const nn_optim *opt, sgd_scalars s, float *restrict params,
                                       const float *restrict grads, size_t begin, size_t end)
{
    if (opt->config.weight_decay != 0)
        sgd_update_by_momentum(opt, begin, end - begin, params, grads, s, true);
    else
        sgd_update_by_momentum(opt, begin, end - begin, params, grads, s, false);
}

static sgd_scalars sgd_step_scalars(const nn_optim *opt)
{
    bool first_step = opt->steps_taken == 0;
    return (sgd_scalars){
        .lr = opt->config.lr,
        .weight_decay = opt->config.weight_decay,
        .momentum = opt->config.momentum,
        .buffer_decay = first_step ? 0.0f : opt->config.momentum,
        .grad_scale = first_step ? 1.0f : (float)(1.0 - opt->dampening),
    };
}

/* ---- Adam, AdamW ---------------------------------------------------------- */

/* The float scalars of one Adam step.
 * exp_avg.lerp_(g, w) with w = 1 - beta1 is, in PyTorch's kernel,
 * m + w*(g - m) when |w| < 0.5, else g - (g - m)*(1 - w); both are
 * base + lerp_coeff*(g - m), with base m or g (the lerp_from_moment flag). */
typedef struct adam_scalars {
    float param_decay;      /* AdamW: p *= 1 - lr*wd; else 1 (exact) */
    float weight_decay;     /* Adam: L2 added to the gradient */
    float lerp_coeff;
    float beta2, one_minus_beta2;
    float bias_correction2_sqrt, eps, neg_step_size;
    float negligible_from;  /* see update_negligible */
    /* adam_fast_block: 1/bias_correction2_sqrt rounded to float, and whether
     * this step takes that path (bias_correction2_sqrt in its range) */
    float inv_bias_correction2_sqrt;
    bool fast_divisions;
    double one; /* 1.0, for opaque_double */
} adam_scalars;

/* Subnormal floats. On Intel (measured on an Emerald Rapids) a multiply,
 * division or square root with a subnormal operand or result takes a microcode
 * assist, about 130 cycles for the vector, where additions and conversions to
 * and from double take none. In training, the moments of weights whose inputs
 * are rarely nonzero decay into that range: 784-64-10's Adam step took 1.46 ns
 * a parameter in its epoch at batch 32 against 0.67 alone, with 13 % of its
 * blocks of 16 holding a value under 1e-30 (docs/performance.md). Such blocks
 * take some or all of their operations in double, which gives the same bits. */

/* 1 where 0 < |x| < 2^e, the limit given as the bits of 2^e. */
static ALWAYS_INLINE uint32_t magnitude_below(float x, uint32_t limit_bits)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return ((u & 0x7fffffffu) - 1u) < limit_bits - 1u;
}

#define POW2_BITS(e) ((uint32_t)(127 + (e)) << 23)

/* Which of a block's operations would likely meet a subnormal (2^-126 and
 * below) in float, with the usual scalars (1 - beta2 about 2^-10, step size
 * 2^-10 or more). A guess for speed only: either way the bits are the same (an
 * assist is slow, not wrong). Parameters and g - m are not checked (tiny ones
 * are rare, and two more checks cost clean blocks 6 %: 0.754 against 0.712 ns
 * a parameter, bench_kernels --adam 203530). */
typedef enum adam_widening {
    WIDEN_NONE = 0,
    /* A first moment under 2^-112 (times the step size): the first moment's
     * multiplies and the update's division. In training this is nearly every
     * flagged block: weights whose gradients turned 0 see their first moment
     * decay at beta1 a step, their second at beta2 (784-64-10 at batch 32,
     * 3 epochs: 4 663 469 such blocks, 169 with a tiny gradient, none with a
     * tiny second moment). */
    WIDEN_FIRST_MOMENT = 1,
    /* A gradient under 2^-56 (its square times 1 - beta2) or a second moment
     * under 2^-122: every multiply, division and square root. */
    WIDEN_ALL = 2,
} adam_widening;

/* The limits adam_block_widening tests, as the bits of their powers of two
 * (adam_fast_block tests the same ones with mask compares). */
#define WIDEN_FIRST_MOMENT_BELOW POW2_BITS(-112)
#define WIDEN_GRADIENT_BELOW POW2_BITS(-56)
#define WIDEN_SECOND_MOMENT_BELOW POW2_BITS(-122)

static ALWAYS_INLINE adam_widening adam_block_widening(size_t count, const float *restrict grads,
                                                       const float *restrict exp_avg,
                                                       const float *restrict exp_avg_sq)
{
    uint32_t first = 0, other = 0;
    for (size_t i = 0; i < count; i++) {
        first |= magnitude_below(exp_avg[i], WIDEN_FIRST_MOMENT_BELOW);
        other |= magnitude_below(grads[i], WIDEN_GRADIENT_BELOW) |
                 magnitude_below(exp_avg_sq[i], WIDEN_SECOND_MOMENT_BELOW);
    }
    return other ? WIDEN_ALL : first ? WIDEN_FIRST_MOMENT : WIDEN_NONE;
}

/* x as a double that the compiler cannot tell from any double: x times a
 * run-time 1.0 (exact). gcc -O2 shortens (float)((double)a * (double)b), and
 * likewise / and sqrt, back to the float operation when both operands are
 * widened floats (exact, and here the operation to avoid); an operand from
 * this keeps the operation in double. Of a loop-invariant x, the multiply is
 * hoisted. */
static ALWAYS_INLINE double opaque_double(float x, double one) { return (double)x * one; }

/* a * b, a / b and the square root of a, as float operations, or with `wide`
 * in double and rounded to float: the same bits (every float, subnormals
 * included, is a normal double; the product of two floats is exact in double,
 * and rounding a quotient or root twice from double's 53 bits is innocuous,
 * 53 >= 2*24 + 2), with no subnormal operand. b (or a) goes through
 * opaque_double so that gcc keeps the operation in double. */
static ALWAYS_INLINE float mul_maybe_wide(bool wide, float a, float b, double one)
{
    return wide ? (float)((double)a * opaque_double(b, one)) : a * b;
}

static ALWAYS_INLINE float div_maybe_wide(bool wide, float a, float b, double one)
{
    return wide ? (float)((double)a / opaque_double(b, one)) : a / b;
}

static ALWAYS_INLINE float sqrt_maybe_wide(bool wide, float a, double one)
{
    return wide ? (float)sqrt(opaque_double(a, one)) : sqrtf(a);
}

/* A first moment this small or smaller makes the update negligible next to a
 * parameter of at least s.negligible_from (see update_negligible). */
#define NEGLIGIBLE_FIRST_MOMENT 0x1p-112f

/* 1 when the lane's update is certain to vanish in rounding: p + q == p for
 * the q = fl(fl(neg_step_size * m) / denom) the step would add, p the
 * parameter after AdamW's decay. Why:
 * - denom = fl(fl(sqrt(v) / c) + eps) >= eps when v is not NaN, since then
 *   v >= 0 (a sum of b2 * v and a square; an infinite v gives q = 0) and
 *   eps > 0;
 * - so for |m| <= 2^-112, |q| <= q_max = 4 |neg_step_size| 2^-112 / eps:
 *   rounding to nearest at most doubles a magnitude, subnormals included,
 *   once for the product and once for the quotient;
 * - negligible_from is at least q_max 2^26 and at least 2^-126, and finite
 *   (NaN, which no lane passes, when the bound is not: see
 *   adam_step_scalars), so p is a normal float or infinite, q is finite, and
 *   |q| <= |p| 2^-26 < ulp(p) / 4, half the smallest gap next to p: p + q
 *   rounds to p (inf + q = inf).
 * A NaN m or v fails the test (v turns NaN without m when beta2 is 0 and an
 * overflowed square meets inf * 0). */
static ALWAYS_INLINE int update_negligible(float p, float m, float v, float negligible_from)
{
    return (fabsf(m) <= NEGLIGIBLE_FIRST_MOMENT) & (fabsf(p) >= negligible_from) & (v == v);
}

/* One element mid-step: its parameter after AdamW's decay and its new moments. */
typedef struct adam_lane {
    float p, m, v;
} adam_lane;

static ALWAYS_INLINE adam_lane adam_moments(float param, float g, float m, float v,
                                            adam_scalars s, const bool l2_weight_decay,
                                            const bool lerp_from_moment, const bool widen_first,
                                            const bool widen_rest)
{
    adam_lane x;
    x.p = mul_maybe_wide(widen_rest, param, s.param_decay, s.one);
    if (l2_weight_decay)
        g = g + mul_maybe_wide(widen_rest, s.weight_decay, x.p, s.one);
    x.m = (lerp_from_moment ? m : g) + mul_maybe_wide(widen_first, s.lerp_coeff, g - m, s.one);
    x.v = mul_maybe_wide(widen_rest, v, s.beta2, s.one) + /* mul_, addcmul_ */
          mul_maybe_wide(widen_rest, mul_maybe_wide(widen_rest, s.one_minus_beta2, g, s.one), g,
                         s.one);
    return x;
}

/* The lane's parameter plus its update (addcdiv_). */
static ALWAYS_INLINE float adam_updated(adam_lane x, adam_scalars s, const bool widen_first,
                                        const bool widen_rest)
{
    float denom = div_maybe_wide(widen_rest, sqrt_maybe_wide(widen_rest, x.v, s.one),
                                 s.bias_correction2_sqrt, s.one) + s.eps;
    float step = mul_maybe_wide(widen_first, s.neg_step_size, x.m, s.one);
    return x.p + div_maybe_wide(widen_first, step, denom, s.one);
}

/* A block's decayed parameters and new moments (adam_moments) into p, m, v
 * (count each: three arrays, since gcc does not vectorise an array of
 * adam_lane), the moments also stored in exp_avg and exp_avg_sq. */
static ALWAYS_INLINE void adam_block_moments(size_t count, const float *restrict params,
                                             const float *restrict grads,
                                             float *restrict exp_avg,
                                             float *restrict exp_avg_sq, adam_scalars s,
                                             const bool l2_weight_decay,
                                             const bool lerp_from_moment,
                                             const bool widen_first, const bool widen_rest,
                                             float *restrict p, float *restrict m,
                                             float *restrict v)
{
    for (size_t i = 0; i < count; i++) {
        adam_lane x = adam_moments(params[i], grads[i], exp_avg[i], exp_avg_sq[i], s,
                                   l2_weight_decay, lerp_from_moment, widen_first, widen_rest);
        p[i] = x.p;
        m[i] = x.m;
        v[i] = x.v;
    }
    for (size_t i = 0; i < count; i++) {
        exp_avg[i] = m[i];
        exp_avg_sq[i] = v[i];
    }
}

/* params, grads, exp_avg, exp_avg_sq: (count). The flags are constants at each
 * call. Vectorising sqrtf needs -fno-math-errno (else gcc keeps an errno call
 * per element). With neither widening flag, every operation is in float: the
 * step. widen_first takes the operations the first moment reaches (lerp's
 * multiply, the multiply by the step size and the update's division) in
 * double, widen_rest every other multiply, division and square root: the same
 * bits (see mul_maybe_wide) without microcode assists where those meet
 * subnormals (see adam_block). Additions stay in float: they take no assist.
 * Only the first moment tiny, the others stay in float, where the square root
 * and the division by the bias correction are 2-3 times faster than in double
 * (all-subnormal first moments: 3.1 -> 1.4 ns a parameter). With
 * skip_negligible, a block whose every update vanishes in rounding
 * (update_negligible) stores its parameters and moments without the square
 * root and the two divisions: the bits the update would give. */
static ALWAYS_INLINE void adam_update_block(size_t count, float *restrict params,
                                            const float *restrict grads,
                                            float *restrict exp_avg,
                                            float *restrict exp_avg_sq, adam_scalars s,
                                            const bool l2_weight_decay,
                                            const bool lerp_from_moment,
                                            const bool widen_first, const bool widen_rest,
                                            const bool skip_negligible)
{
    if (!skip_negligible) { /* one pass: the separate passes below, every block through
                               them, cost clean blocks 1-4 % (bench_kernels --adam
                               203530, Intel Xeon) */
        for (size_t i = 0; i < count; i++) {
            adam_lane x = adam_moments(params[i], grads[i], exp_avg[i], exp_avg_sq[i], s,
                                       l2_weight_decay, lerp_from_moment, widen_first, widen_rest);
            exp_avg[i] = x.m;
            exp_avg_sq[i] = x.v;
            params[i] = adam_updated(x, s, widen_first, widen_rest);
        }
        return;
    }
    float p[UPDATE_BLOCK], m[UPDATE_BLOCK], v[UPDATE_BLOCK];
    adam_block_moments(count, params, grads, exp_avg, exp_avg_sq, s, l2_weight_decay,
                       lerp_from_moment, widen_first, widen_rest, p, m, v);
    int negligible = 1; /* an int: gcc vectorises &= on it, not on a bool */
    for (size_t i = 0; i < count; i++)
        negligible &= update_negligible(p[i], m[i], v[i], s.negligible_from);
    if (negligible)
        for (size_t i = 0; i < count; i++)
            params[i] = p[i];
    else
        for (size_t i = 0; i < count; i++)
            params[i] = adam_updated((adam_lane){p[i], m[i], v[i]}, s, widen_first,
                                     widen_rest);
}

#if ADAM_FAST_DIVISIONS
/* ---- Adam on AVX-512F: the bias correction's division by FMAs ---------------
 *
 * A clean block's square root and two divisions all wait for the divider
 * (12 + 10 + 10 cycles for 16 lanes on an Emerald Rapids). The division by
 * the bias correction c is shared by every lane, so it is done by a multiply
 * by RN(1/c) and four FMAs instead, with the division's bits
 * (exact_division_avx512.h), when c is in [2^-16, 1] (any beta2 <= 1 - 2^-24
 * from its first step) and every lane's v is finite: sqrt(v) is then 0 or in
 * [2^-75, 2^64]. The update's division stays on the divider: by FMAs
 * (VRCP14PS, then Markstein's reciprocal and quotient steps) it took more
 * than the port time it freed (0.59-0.64 against 0.44 ns a parameter,
 * bench_kernels --adam 50890, widening off).
 *
 * On by default on Intel only (nn_optim_create). On Intel the same function
 * tests the block for widening (adam_block_widening)
 * with mask compares, where gcc's loop reduced each flag across the vector:
 * about 13 cycles a block. A flagged block returns 0 with nothing written,
 * and adam_block takes it as before. */

/* The proof's lower end for c. No float beta2 < 1 reaches it: the smallest
 * c, 0.99999994's at the first step, is about 2^-12. A guard. */
#define FAST_BIAS_CORRECTION_FROM 0x1p-16f

/* Lanes with 0 < |x| < 2^e (magnitude_below), the limit as the bits of 2^e. */
AVX512_TARGET static inline __mmask16 lanes_below(const float *x, uint32_t limit_bits)
{
    __m512i magnitude = _mm512_and_si512(_mm512_loadu_si512(x), _mm512_set1_epi32(0x7fffffff));
    return _mm512_cmplt_epu32_mask(_mm512_sub_epi32(magnitude, _mm512_set1_epi32(1)),
                                   _mm512_set1_epi32((int)(limit_bits - 1u)));
}

/* A whole block (UPDATE_BLOCK == 16 lanes) of a step on AVX-512F:
 * returns 0, with nothing written, when `widen` and adam_block_widening
 * would flag it; else steps it (the moments as adam_moments gives them, the
 * update as adam_updated, its first division by FMAs unless a v is not
 * finite) and returns 1. */
AVX512_TARGET static inline int adam_fast_block(float *restrict params,
                                                const float *restrict grads,
                                                float *restrict exp_avg,
                                                float *restrict exp_avg_sq, adam_scalars s,
                                                const bool l2_weight_decay,
                                                const bool lerp_from_moment, bool widen)
{
    if (widen && (lanes_below(exp_avg, WIDEN_FIRST_MOMENT_BELOW) |
                  lanes_below(grads, WIDEN_GRADIENT_BELOW) |
                  lanes_below(exp_avg_sq, WIDEN_SECOND_MOMENT_BELOW)))
        return 0;
    float p[UPDATE_BLOCK], m[UPDATE_BLOCK], v[UPDATE_BLOCK];
    adam_block_moments(UPDATE_BLOCK, params, grads, exp_avg, exp_avg_sq, s, l2_weight_decay,
                       lerp_from_moment, false, false, p, m, v);
    __m512 vv = _mm512_loadu_ps(v);
    if (_mm512_cmp_ps_mask(vv, _mm512_set1_ps(FLT_MAX), _CMP_LE_OQ) != 0xffff) {
        for (size_t i = 0; i < UPDATE_BLOCK; i++)
            params[i] = adam_updated((adam_lane){p[i], m[i], v[i]}, s, false, false);
        return 1;
    }
    __m512 root_over_c = nn_exact_divide_avx512(_mm512_sqrt_ps(vv),
                                                _mm512_set1_ps(s.bias_correction2_sqrt),
                                                _mm512_set1_ps(s.inv_bias_correction2_sqrt));
    __m512 denom = _mm512_add_ps(root_over_c, _mm512_set1_ps(s.eps));
    __m512 step = _mm512_mul_ps(_mm512_set1_ps(s.neg_step_size), _mm512_loadu_ps(m));
    _mm512_storeu_ps(params, _mm512_add_ps(_mm512_loadu_ps(p), _mm512_div_ps(step, denom)));
    return 1;
}
#endif

/* One block of count (<= UPDATE_BLOCK) elements: with `widen` (Intel), with
 * the first moment's operations or all of them in double when the block is
 * near subnormals, as adam_block_widening says. A block flagged for its first
 * moments (weights whose gradients turned 0) skips its square roots and
 * divisions when none of its updates would change a parameter. */
static ALWAYS_INLINE void adam_block(size_t count, float *restrict params,
                                     const float *restrict grads, float *restrict exp_avg,
                                     float *restrict exp_avg_sq, adam_scalars s,
                                     const bool l2_weight_decay, const bool lerp_from_moment,
                                     bool widen, const bool fast)
{
#if ADAM_FAST_DIVISIONS
    if (fast && count == UPDATE_BLOCK &&
        adam_fast_block(params, grads, exp_avg, exp_avg_sq, s, l2_weight_decay, lerp_from_moment,
                        widen))
        return;
#else
    (void)fast;
#endif
    adam_widening widening =
        widen ? adam_block_widening(count, grads, exp_avg, exp_avg_sq) : WIDEN_NONE;
    if (widening == WIDEN_ALL)
        adam_update_block(count, params, grads, exp_avg, exp_avg_sq, s, l2_weight_decay,
                          lerp_from_moment, true, true, false);
    else if (widening == WIDEN_FIRST_MOMENT)
        adam_update_block(count, params, grads, exp_avg, exp_avg_sq, s, l2_weight_decay,
                          lerp_from_moment, true, false, true);
    else
        adam_update_block(count, params, grads, exp_avg, exp_avg_sq, s, l2_weight_decay,
                          lerp_from_moment, false, false, false);
}

/* params, grads, exp_avg, exp_avg_sq: (n). */
static ALWAYS_INLINE void adam_update(size_t n, float *restrict params,
                                      const float *restrict grads, float *restrict exp_avg,
                                      float *restrict exp_avg_sq, adam_scalars s,
                                      const bool l2_weight_decay, const bool lerp_from_moment,
                                      bool widen, const bool fast)
{
    size_t whole = n - n % UPDATE_BLOCK;
    for (size_t i = 0; i < whole; i += UPDATE_BLOCK)
        adam_block(UPDATE_BLOCK, params + i, grads + i, exp_avg + i, exp_avg_sq + i, s,
                   l2_weight_decay, lerp_from_moment, widen, fast);
    adam_block(n - whole, params + whole, grads + whole, exp_avg + whole, exp_avg_sq + whole, s,
               l2_weight_decay, lerp_from_moment, widen, fast);
}

/* Picks the lerp variant once `l2_weight_decay` is a constant. params, grads
 * and the moments are offset by `begin`; n elements from there. */
static ALWAYS_INLINE void adam_update_by_lerp(const nn_optim *opt, size_t begin, size_t n,
                                              float *restrict params,
                                              const float *restrict grads, adam_scalars s,
                                              bool lerp_from_moment, const bool l2_weight_decay,
                                              const bool fast)
{
    params += begin;
    grads += begin;
    float *m = opt->exp_avg + begin, *v = opt->exp_avg_sq + begin;
    if (lerp_from_moment)
        adam_update(n, params, grads, m, v, s, l2_weight_decay, true, opt->widen_subnormals,
                    fast);
    else
        adam_update(n, params, grads, m, v, s, l2_weight_decay, false, opt->widen_subnormals,
                    fast);
}

/* Elements [begin, end) of one Adam or AdamW step, its divisions all by the
 * divider (`fast` false) or, on AVX-512F, the bias correction's by FMAs
 * (adam_fast_block). */
static ALWAYS_INLINE void adam_range(const nn_optim *opt, adam_scalars s, bool lerp_from_moment,
                                     float *restrict params, const float *restrict grads,
                                     size_t begin, size_t end, const bool fast)
{
    if (opt->config.weight_decay != 0 && opt->config.kind != NN_OPTIM_ADAMW)
        adam_update_by_lerp(opt, begin, end - begin, params, grads, s, lerp_from_moment, true,
                            fast);
    else
        adam_update_by_lerp(opt, begin, end - begin, params, grads, s, lerp_from_moment, false,
                            fast);
}

STEP_CLONES static void adam_step_range(const nn_optim *opt, adam_scalars s, bool lerp_from_moment,
                                        float *restrict params, const float *restrict grads,
                                        size_t begin, size_t end)
{
    adam_range(opt, s, lerp_from_moment, params, grads, begin, end, false);
}

#if ADAM_FAST_DIVISIONS
/* flatten: adam_fast_block inlined into every block's loop */
AVX512_TARGET __attribute__((flatten)) static void
adam_step_range_fast(const nn_optim *opt, adam_scalars s, bool lerp_from_moment,
                     float *restrict params, const float *restrict grads, size_t begin, size_t end)
{
    adam_range(opt, s, lerp_from_moment, params, grads, begin, end, true);
}
#endif

/* Adam's scalars for this step; *lerp_from_moment says which form of lerp
 * they are for (see adam_scalars). */
static adam_scalars adam_step_scalars(const nn_optim *opt, bool *lerp_from_moment_out)
{
    double t = (double)(opt->steps_taken + 1);
    double bias_correction1 = 1.0 - pow(opt->beta1, t);
    double bias_correction2 = 1.0 - pow(opt->beta2, t);
    double step_size = opt->lr / bias_correction1;
    bool decoupled = opt->config.kind == NN_OPTIM_ADAMW;
    bool has_weight_decay = opt->config.weight_decay != 0;

    float lerp_weight = (float)(1.0 - opt->beta1);
    bool lerp_from_moment = fabsf(lerp_weight) < 0.5f;
    *lerp_from_moment_out = lerp_from_moment;
    adam_scalars s = {
        .param_decay = decoupled && has_weight_decay
                           ? (float)(1.0 - opt->lr * opt->weight_decay) : 1.0f,
        .weight_decay = opt->config.weight_decay,
        .lerp_coeff = lerp_from_moment ? lerp_weight : -(1.0f - lerp_weight),
        .beta2 = opt->config.beta2,
        .one_minus_beta2 = (float)(1.0 - opt->beta2),
        .bias_correction2_sqrt = (float)sqrt(bias_correction2),
        .eps = opt->config.eps,
        .neg_step_size = (float)-step_size,
        .one = 1.0,
    };
    /* update_negligible's bound, q_max 2^26, in double; the 2x covers the
     * rounding of the division by eps and of the conversion to float. A bound
     * beyond the floats (a huge step size or a tiny eps) or NaN (a NaN lr set
     * through the C API) becomes NaN: no lane passes. */
    double q_max = 4.0 * fabs((double)s.neg_step_size) * 0x1p-112 / (double)s.eps;
    double bound = 2.0 * q_max * 0x1p26;
    s.negligible_from = bound <= FLT_MAX ? fmaxf((float)bound, 0x1p-126f) : NAN;
#if ADAM_FAST_DIVISIONS
    /* A NaN step size (a NaN lr set through the C API) keeps the divisions:
     * which NaN a multiply returns depends on its operands' order, which gcc
     * may swap in one copy and not the other. */
    s.inv_bias_correction2_sqrt = nn_exact_divide_reciprocal(s.bias_correction2_sqrt);
    s.fast_divisions = opt->fast_divisions && s.bias_correction2_sqrt >= FAST_BIAS_CORRECTION_FROM &&
                       s.bias_correction2_sqrt <= 1.0f && !isnan(s.neg_step_size);
#endif
    return s;
}

/* ---- steps, split over threads ----------------------------------------------- */

/* Elements per piece when a step is split: whole 64-byte lines (so no two
 * threads write one line) and whole UPDATE_BLOCKs. Every element's update is
 * the same operations wherever it falls (no FMA, see STEP_CLONES), so the
 * split changes no bit. */
#define STEP_GRAIN 256
/* A step's weight per element for nn_threads_parts' split threshold, SGD's
 * and Adam's alike. Adam's is about its arithmetic. SGD does 2-4 operations
 * per element, but it streams the weights and gradients that the split GEMMs
 * before and after it read and write on both cores: done by one thread, half
 * of them cross between the cores every batch. Weighted at its arithmetic (4),
 * the seed's model (51 000 parameters) was not split, and 2 threads trained it
 * 15-20 % slower than 1 (Zen 5: 0.115-0.121 against 0.098-0.102 s per epoch);
 * weighted as Adam, it is split, and 2 threads train it 1.40x faster than 1
 * (0.073 against 0.102 s, tests/bench/bench_all.sh on a quiet Zen 5). */
#define STEP_FLOPS_PER_PARAM 16.0

typedef struct step_job {
    const nn_optim *opt;
    float *params;
    const float *grads;
    sgd_scalars sgd;
    adam_scalars adam;
    bool lerp_from_moment;
} step_job;

static void step_part(void *ctx, int part, int parts)
{
    const step_job *j = ctx;
    size_t n = j->opt->n_params;
    size_t begin = (size_t)nn_threads_split((long)n, STEP_GRAIN, part, parts);
    size_t end = (size_t)nn_threads_split((long)n, STEP_GRAIN, part + 1, parts);
    if (j->opt->config.kind == NN_OPTIM_SGD)
        sgd_step_range(j->opt, j->sgd, j->params, j->grads, begin, end);
#if ADAM_FAST_DIVISIONS
    else if (j->adam.fast_divisions)
        adam_step_range_fast(j->opt, j->adam, j->lerp_from_moment, j->params, j->grads, begin,
                             end);
#endif
    else
        adam_step_range(j->opt, j->adam, j->lerp_from_moment, j->params, j->grads, begin, end);
}

void nn_optim_step(nn_optim *opt, float *params, const float *grads)
{
    bool sgd = opt->config.kind == NN_OPTIM_SGD;
    step_job j = {.opt = opt, .params = params, .grads = grads};
    if (sgd)
        j.sgd = sgd_step_scalars(opt);
    else
        j.adam = adam_step_scalars(opt, &j.lerp_from_moment);
    double flops = (double)opt->n_params * STEP_FLOPS_PER_PARAM;
    int parts = nn_threads_parts(flops, (long)((opt->n_params + STEP_GRAIN - 1) / STEP_GRAIN));
    nn_threads_run(parts, step_part, &j);
    opt->steps_taken++;
}
