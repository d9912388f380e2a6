/* Optimizers: SGD (plain, momentum, dampening, nesterov, weight decay), Adam and
 * AdamW against values worked out by hand from PyTorch's update rules; the
 * blocked hot loops against single-element runs; validation, defaults, set_lr.
 *
 * Every case starts from the same four parameters and takes two steps, so the
 * paths after the first step (momentum buffer, bias correction) run too:
 *   p     = { 1.0, -2.0,  0.5, 3.0 }
 *   grad1 = { 0.5,  0.25, -1.0, 0.0 }
 *   grad2 = { 0.25, -0.5,  2.0, 1.0 }
 * The comments work element 0 in decimal. The expected floats are PyTorch's
 * float32 operation sequence evaluated in Python (float32 rounding after each
 * operation, hyperparameters as Python floats); the exact results rounded to
 * float differ from them by at most one ulp. CLOSE allows 2-4 ulps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nn_optim.h"
#include "test_util.h"

#define CLOSE 2.5e-7 /* relative */

enum { N = 4 };
static const float start[N] = {1.0f, -2.0f, 0.5f, 3.0f};
static const float grad1[N] = {0.5f, 0.25f, -1.0f, 0.0f};
static const float grad2[N] = {0.25f, -0.5f, 2.0f, 1.0f};

/* Steps an optimizer for `config` from `start` with grad1, then grad2, and
 * checks the parameters after each step. */
static void check_two_steps(const nn_optim_config *config, const float after1[N],
                            const float after2[N])
{
    nn_optim *opt = NULL;
    assert_int_equal(nn_optim_create(&opt, config, N), NN_OK);
    float params[N];
    memcpy(params, start, sizeof params);
    nn_optim_step(opt, params, grad1);
    assert_close(params, after1, N, CLOSE, 0);
    nn_optim_step(opt, params, grad2);
    assert_close(params, after2, N, CLOSE, 0);
    assert_int_equal(nn_optim_steps_taken(opt), 2);
    nn_optim_free(opt);
}

static nn_optim_config sgd_config(float lr, float momentum, float dampening,
                                  float weight_decay, bool nesterov)
{
    nn_optim_config c = nn_optim_defaults(NN_OPTIM_SGD);
    c.lr = lr;
    c.momentum = momentum;
    c.dampening = dampening;
    c.weight_decay = weight_decay;
    c.nesterov = nesterov;
    return c;
}

static nn_optim_config adam_config(nn_optim_kind kind, float lr, float beta1,
                                   float weight_decay)
{
    nn_optim_config c = nn_optim_defaults(kind);
    c.lr = lr;
    c.beta1 = beta1;
    c.weight_decay = weight_decay;
    return c;
}

/* lr 0.1: p -= 0.1 g.  1.0 - 0.05 = 0.95;  0.95 - 0.025 = 0.925. */
static void test_sgd_plain(void **state)
{
    (void)state;
    nn_optim_config c = sgd_config(0.1f, 0, 0, 0, false);
    const float after1[N] = {0.949999988f, -2.0250001f, 0.600000024f, 3.0f};
    const float after2[N] = {0.925000012f, -1.97500014f, 0.400000036f, 2.9000001f};
    check_two_steps(&c, after1, after2);
}

/* lr 0.1, momentum 0.9, nesterov, weight_decay 0.01.
 * step 1: g = 0.5 + 0.01*1.0 = 0.51; buf = clone(g) = 0.51;
 *         g = 0.51 + 0.9*0.51 = 0.969; p = 1.0 - 0.1*0.969 = 0.9031
 * step 2: g = 0.25 + 0.01*0.9031 = 0.259031; buf = 0.9*0.51 + 0.259031 = 0.718031;
 *         g = 0.259031 + 0.9*0.718031 = 0.9052589; p = 0.9031 - 0.09052589 = 0.81257411
 * (element 3, grad 0: g = 0.03, p = 3 - 0.1*(0.03 + 0.027) = 2.9943) */
static void test_sgd_nesterov_momentum_weight_decay(void **state)
{
    (void)state;
    nn_optim_config c = sgd_config(0.1f, 0.9f, 0, 0.01f, true);
    const float after1[N] = {0.903100014f, -2.04369998f, 0.689050019f, 2.99429989f};
    const float after2[N] = {0.812574148f, -1.96344697f, 0.388335794f, 2.79618073f};
    check_two_steps(&c, after1, after2);
}

/* lr 0.1, momentum 0.9, dampening 0.5. The first step copies the gradient and
 * ignores dampening: buf = 0.5, p = 1.0 - 0.05 = 0.95 (0.975 if it dampened).
 * step 2: buf = 0.9*0.5 + (1 - 0.5)*0.25 = 0.575; p = 0.95 - 0.0575 = 0.8925 */
static void test_sgd_first_step_ignores_dampening(void **state)
{
    (void)state;
    nn_optim_config c = sgd_config(0.1f, 0.9f, 0.5f, 0, false);
    const float after1[N] = {0.949999988f, -2.0250001f, 0.600000024f, 3.0f};
    const float after2[N] = {0.892499983f, -2.02250004f, 0.590000033f, 2.95000005f};
    check_two_steps(&c, after1, after2);
}

/* Adam lr 0.1, betas (0.9, 0.999), eps 1e-8.
 * step 1: m = 0.1*0.5 = 0.05; v = 0.001*0.25 = 0.00025; bc1 = 0.1, bc2 = 0.001;
 *         step_size = 0.1/0.1 = 1; denom = sqrt(0.00025)/sqrt(0.001) + 1e-8 = 0.50000001;
 *         p = 1.0 - 0.05/0.50000001 = 0.900000002
 * step 2: m = 0.9*0.05 + 0.1*0.25 = 0.07; v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225;
 *         bc1 = 1 - 0.81 = 0.19; bc2 = 1 - 0.998001 = 0.001999;
 *         step_size = 0.1/0.19 = 0.52631579; denom = sqrt(0.00031225)/sqrt(0.001999) + 1e-8
 *         = 0.39522539; p = 0.900000002 - 0.52631579*0.07/0.39522539 = 0.80678204
 * (element 3, grad 0 then 1: m = v = 0 gives no move, then m = 0.1, v = 0.001,
 *  p = 3 - 0.52631579*0.1/(sqrt(0.001/0.001999) + 1e-8) = 2.9255862) */
static void test_adam(void **state)
{
    (void)state;
    nn_optim_config c = adam_config(NN_OPTIM_ADAM, 0.1f, 0.9f, 0);
    const float after1[N] = {0.900000036f, -2.0999999f, 0.599999964f, 3.0f};
    const float after2[N] = {0.806782067f, -2.06338954f, 0.563389599f, 2.92558622f};
    check_two_steps(&c, after1, after2);
}

/* Adam with L2 weight_decay 0.1 (added to the gradient).
 * step 1: g = 0.5 + 0.1*1.0 = 0.6; m = 0.06, v = 0.00036; p = 1 - 0.06/(0.6 + 1e-8) = 0.9
 *         (element 3: g = 0 + 0.1*3 = 0.3, so it moves: p = 3 - 0.1 = 2.9)
 * step 2: g = 0.25 + 0.1*0.9 = 0.34; m = 0.9*0.06 + 0.1*0.34 = 0.088;
 *         v = 0.999*0.00036 + 0.001*0.1156 = 0.00047524;
 *         p = 0.9 - 0.52631579*0.088/(sqrt(0.00047524/0.001999) + 1e-8) = 0.80500977 */
static void test_adam_l2_weight_decay(void **state)
{
    (void)state;
    nn_optim_config c = adam_config(NN_OPTIM_ADAM, 0.1f, 0.9f, 0.1f);
    const float after1[N] = {0.900000036f, -2.0999999f, 0.599999964f, 2.9000001f};
    const float after2[N] = {0.805009782f, -2.03047466f, 0.560468853f, 2.81234813f};
    check_two_steps(&c, after1, after2);
}

/* AdamW lr 0.1, weight_decay 0.1: p *= 1 - 0.1*0.1 = 0.99 first, then Adam
 * without L2 (the moments are those of test_adam).
 * step 1: p = 0.99 - 0.05/0.50000001 = 0.890000002  (element 3: 3*0.99 = 2.97)
 * step 2: p = 0.890000002*0.99 - 0.52631579*0.07/0.39522539 = 0.78788204 */
static void test_adamw_decoupled_weight_decay(void **state)
{
    (void)state;
    nn_optim_config c = adam_config(NN_OPTIM_ADAMW, 0.1f, 0.9f, 0.1f);
    const float after1[N] = {0.890000045f, -2.07999992f, 0.594999969f, 2.97000003f};
    const float after2[N] = {0.78788209f, -2.02258968f, 0.55243963f, 2.86588621f};
    check_two_steps(&c, after1, after2);
}

/* beta1 0.3: 1 - beta1 = 0.7 >= 0.5, PyTorch's other lerp branch.
 * step 2: m = 0.3*0.35 + 0.7*0.25 = 0.28; bc1 = 1 - 0.09 = 0.91;
 *         p = 0.9 - (0.1/0.91)*0.28/0.39522539 = 0.82214764 */
static void test_adam_small_beta1(void **state)
{
    (void)state;
    nn_optim_config c = adam_config(NN_OPTIM_ADAM, 0.1f, 0.3f, 0);
    const float after1[N] = {0.900000036f, -2.0999999f, 0.599999964f, 3.0f};
    const float after2[N] = {0.822147667f, -2.01730657f, 0.517306685f, 2.89124155f};
    check_two_steps(&c, after1, after2);
}

/* The step loop runs in blocks with a scalar tail: 37 elements (two blocks of 16
 * and a tail of 5) must each end exactly where a one-element optimizer takes
 * that element, for every kind of loop. */
static void test_blocked_loops_match_single_elements(void **state)
{
    (void)state;
    enum { COUNT = 37, STEPS = 3 };
    const nn_optim_config configs[] = {
        sgd_config(0.05f, 0, 0, 0, false),
        sgd_config(0.05f, 0, 0, 0.01f, false),
        sgd_config(0.05f, 0.9f, 0.1f, 0, false),
        sgd_config(0.05f, 0.9f, 0.1f, 0.01f, false),
        sgd_config(0.05f, 0.9f, 0, 0, true),
        sgd_config(0.05f, 0.9f, 0, 0.01f, true),
        adam_config(NN_OPTIM_ADAM, 0.01f, 0.9f, 0),
        adam_config(NN_OPTIM_ADAM, 0.01f, 0.9f, 0.1f),
        adam_config(NN_OPTIM_ADAM, 0.01f, 0.3f, 0),
        adam_config(NN_OPTIM_ADAM, 0.01f, 0.3f, 0.1f),
        adam_config(NN_OPTIM_ADAMW, 0.01f, 0.9f, 0.1f),
    };
    float grads[STEPS][COUNT], initial[COUNT];
    for (int i = 0; i < COUNT; i++) {
        initial[i] = (float)((i * 7) % 11 - 5) * 0.25f;
        for (int s = 0; s < STEPS; s++)
            grads[s][i] = (float)((i * 5 + s * 3) % 13 - 6) * 0.125f;
    }
    for (size_t k = 0; k < sizeof configs / sizeof configs[0]; k++) {
        nn_optim *whole = NULL;
        assert_int_equal(nn_optim_create(&whole, &configs[k], COUNT), NN_OK);
        float params[COUNT];
        memcpy(params, initial, sizeof params);
        for (int s = 0; s < STEPS; s++)
            nn_optim_step(whole, params, grads[s]);
        nn_optim_free(whole);

        for (int i = 0; i < COUNT; i++) {
            nn_optim *single = NULL;
            assert_int_equal(nn_optim_create(&single, &configs[k], 1), NN_OK);
            float p = initial[i];
            for (int s = 0; s < STEPS; s++)
                nn_optim_step(single, &p, &grads[s][i]);
            nn_optim_free(single);
            assert_close(&params[i], &p, 1, 0, 0);
        }
        assert_true(memcmp(params, initial, sizeof params) != 0);
    }
}

static void test_defaults_and_names(void **state)
{
    (void)state;
    nn_optim_config sgd = nn_optim_defaults(NN_OPTIM_SGD);
    assert_int_equal(sgd.kind, NN_OPTIM_SGD);
    assert_true(sgd.lr == 1e-3f && sgd.momentum == 0 && sgd.dampening == 0);
    assert_true(sgd.weight_decay == 0 && !sgd.nesterov);
    nn_optim_config adam = nn_optim_defaults(NN_OPTIM_ADAM);
    assert_true(adam.lr == 1e-3f && adam.beta1 == 0.9f && adam.beta2 == 0.999f);
    assert_true(adam.eps == 1e-8f && adam.weight_decay == 0);
    nn_optim_config adamw = nn_optim_defaults(NN_OPTIM_ADAMW);
    assert_true(adamw.lr == 1e-3f && adamw.beta1 == 0.9f && adamw.beta2 == 0.999f);
    assert_true(adamw.eps == 1e-8f && adamw.weight_decay == 1e-2f);
    assert_string_equal(nn_optim_kind_name(NN_OPTIM_SGD), "SGD");
    assert_string_equal(nn_optim_kind_name(NN_OPTIM_ADAM), "Adam");
    assert_string_equal(nn_optim_kind_name(NN_OPTIM_ADAMW), "AdamW");
    for (int kind = NN_OPTIM_SGD; kind <= NN_OPTIM_ADAMW; kind++) {
        nn_optim_config c = nn_optim_defaults((nn_optim_kind)kind);
        assert_int_equal(nn_optim_validate(&c), NN_OK);
    }
}

/* One bad hyperparameter per row: validate and create both refuse it, and the
 * message names the parameter and its value. */
static void test_validation_errors(void **state)
{
    (void)state;
    struct bad_config {
        nn_optim_kind kind;
        const char *field;
        float value;
        const char *message;
    } cases[] = {
        {NN_OPTIM_SGD, "lr", -0.1f, "invalid lr: -0.1 (must be >= 0)"},
        {NN_OPTIM_SGD, "lr", NAN, "invalid lr: nan (must be finite)"},
        /* a NaN with its sign bit (Lua's 0/0) reads "nan" too, not printf's "-nan" */
        {NN_OPTIM_SGD, "lr", -NAN, "invalid lr: nan (must be finite)"},
        {NN_OPTIM_ADAM, "lr", INFINITY, "invalid lr: inf (must be finite)"},
        {NN_OPTIM_SGD, "weight_decay", -1.0f, "invalid weight_decay: -1 (must be >= 0)"},
        {NN_OPTIM_ADAMW, "weight_decay", NAN, "invalid weight_decay: nan (must be finite)"},
        {NN_OPTIM_SGD, "momentum", -0.5f, "invalid momentum: -0.5 (must be >= 0)"},
        {NN_OPTIM_SGD, "momentum", INFINITY, "invalid momentum: inf (must be finite)"},
        {NN_OPTIM_SGD, "dampening", 1.5f, "invalid dampening: 1.5 (must be in [0, 1])"},
        {NN_OPTIM_SGD, "dampening", -0.25f, "invalid dampening: -0.25 (must be in [0, 1])"},
        {NN_OPTIM_ADAM, "beta1", -0.1f, "invalid beta1: -0.1 (must be in [0, 1))"},
        {NN_OPTIM_ADAM, "beta1", 1.0f, "invalid beta1: 1 (must be in [0, 1))"},
        {NN_OPTIM_ADAMW, "beta2", 1.0f, "invalid beta2: 1 (must be in [0, 1))"},
        {NN_OPTIM_ADAM, "beta2", NAN, "invalid beta2: nan (must be finite)"},
        {NN_OPTIM_ADAM, "eps", 0.0f, "invalid eps: 0 (must be > 0)"},
        {NN_OPTIM_ADAMW, "eps", -1e-8f, "invalid eps: -1e-08 (must be > 0)"},
        {NN_OPTIM_ADAM, "eps", INFINITY, "invalid eps: inf (must be finite)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nn_optim_config c = nn_optim_defaults(cases[i].kind);
        float *field = !strcmp(cases[i].field, "lr")             ? &c.lr
                       : !strcmp(cases[i].field, "weight_decay") ? &c.weight_decay
                       : !strcmp(cases[i].field, "momentum")     ? &c.momentum
                       : !strcmp(cases[i].field, "dampening")    ? &c.dampening
                       : !strcmp(cases[i].field, "beta1")        ? &c.beta1
                       : !strcmp(cases[i].field, "beta2")        ? &c.beta2
                                                                 : &c.eps;
        *field = cases[i].value;
        nn_error_clear();
        assert_int_equal(nn_optim_validate(&c), NN_EINVAL);
        assert_error_contains(cases[i].message);
        nn_optim *opt = NULL;
        nn_error_clear();
        assert_int_equal(nn_optim_create(&opt, &c, 10), NN_EINVAL);
        assert_null(opt);
        assert_error_contains(cases[i].message);
    }
}

/* Nesterov needs momentum > 0 and zero dampening, as in PyTorch. */
static void test_nesterov_requirements(void **state)
{
    (void)state;
    nn_optim_config no_momentum = sgd_config(0.1f, 0, 0, 0, true);
    assert_int_equal(nn_optim_validate(&no_momentum), NN_EINVAL);
    assert_error_contains("Nesterov momentum requires a momentum > 0 and zero dampening");
    assert_error_contains("momentum 0, dampening 0");
    nn_optim_config dampened = sgd_config(0.1f, 0.9f, 0.1f, 0, true);
    assert_int_equal(nn_optim_validate(&dampened), NN_EINVAL);
    assert_error_contains("momentum 0.9, dampening 0.1");
    nn_optim_config fine = sgd_config(0.1f, 0.9f, 0, 0, true);
    assert_int_equal(nn_optim_validate(&fine), NN_OK);
}

/* Fields that a kind does not use are not checked (SGD has no eps), the kind is. */
static void test_validation_scope(void **state)
{
    (void)state;
    nn_optim_config sgd = nn_optim_defaults(NN_OPTIM_SGD);
    sgd.eps = 0;
    sgd.beta2 = 1;
    assert_int_equal(nn_optim_validate(&sgd), NN_OK);
    nn_optim_config adam = nn_optim_defaults(NN_OPTIM_ADAM);
    adam.momentum = -1;
    assert_int_equal(nn_optim_validate(&adam), NN_OK);
    nn_optim_config unknown = nn_optim_defaults(NN_OPTIM_SGD);
    unknown.kind = (nn_optim_kind)7;
    assert_int_equal(nn_optim_validate(&unknown), NN_EINVAL);
    assert_error_contains("invalid optimizer kind: 7");
}

static void test_create_needs_parameters(void **state)
{
    (void)state;
    nn_optim_config c = nn_optim_defaults(NN_OPTIM_ADAM);
    nn_optim *opt = NULL;
    assert_int_equal(nn_optim_create(&opt, &c, 0), NN_EINVAL);
    assert_null(opt);
    assert_error_contains("invalid n_params: 0 (must be > 0)");
}

/* set_lr takes effect at the next step: p = 1.0 - 0.1*0.5 - 0.01*0.25 = 0.9475. */
static void test_set_lr_and_steps_taken(void **state)
{
    (void)state;
    nn_optim_config c = sgd_config(0.1f, 0, 0, 0, false);
    nn_optim *opt = NULL;
    assert_int_equal(nn_optim_create(&opt, &c, N), NN_OK);
    assert_int_equal(nn_optim_steps_taken(opt), 0);
    assert_true(nn_optim_lr(opt) == 0.1f);
    float params[N];
    memcpy(params, start, sizeof params);
    nn_optim_step(opt, params, grad1);
    nn_optim_set_lr(opt, 0.01f);
    assert_true(nn_optim_lr(opt) == 0.01f);
    assert_true(nn_optim_config_of(opt)->lr == 0.01f);
    assert_int_equal(nn_optim_config_of(opt)->kind, NN_OPTIM_SGD);
    nn_optim_step(opt, params, grad2);
    assert_int_equal(nn_optim_steps_taken(opt), 2);
    const float expected[N] = {0.9475f, -2.02f, 0.58f, 2.99f};
    assert_close(params, expected, N, CLOSE, 0);
    nn_optim_free(opt);
    nn_optim_free(NULL);
}

/* Adam's first step after set_lr uses the new lr in lr / (1 - beta1^t). */
static void test_adam_set_lr(void **state)
{
    (void)state;
    nn_optim_config c = adam_config(NN_OPTIM_ADAM, 0.5f, 0.9f, 0);
    nn_optim *opt = NULL;
    assert_int_equal(nn_optim_create(&opt, &c, N), NN_OK);
    nn_optim_set_lr(opt, 0.1f);
    float params[N];
    memcpy(params, start, sizeof params);
    nn_optim_step(opt, params, grad1);
    nn_optim_step(opt, params, grad2);
    const float after2[N] = {0.806782067f, -2.06338954f, 0.563389599f, 2.92558622f};
    assert_close(params, after2, N, CLOSE, 0);
    nn_optim_free(opt);
}

/* A float of random sign whose magnitude spans subnormals to 2^20 (a few in
 * ten zero), from an xorshift state. */
static float spread_float(uint64_t *state)
{
    *state ^= *state << 13, *state ^= *state >> 7, *state ^= *state << 17;
    uint64_t r = *state;
    if (r % 10 == 0)
        return 0.0f;
    int e = (int)((r >> 8) % 170) - 149; /* 2^-149 .. 2^20 */
    float mantissa = 1.0f + (float)((r >> 16) & 0x7fffff) / 8388608.0f;
    float x = ldexpf(mantissa, e);
    return (r >> 40) & 1 ? -x : x;
}

/* Bitwise equal, any NaN equal to any NaN. */
static void assert_same_floats(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(isnan(a[i]) && isnan(b[i])))
            assert_memory_equal(&a[i], &b[i], sizeof a[i]);
}

/* Steps two optimizers that differ only in how `setup` set them (one with
 * Adam's subnormal widening and one without, say), from the same parameters
 * (param_at) and the same inputs each step (inputs_at fills the gradients and
 * may set parameters, alike in both copies), and compares every parameter bit
 * for bit after every step. A moment that differed shows in the parameters
 * only where the update is not lost in rounding: inputs_at can zero a
 * parameter so that its update is all of it. */
enum { WIDENING_LEN = 16 * 40 + 5 }; /* whole blocks and a partial last one */

typedef void (*inputs_fn)(float *grads, float *p_float, float *p_wide, size_t n, int t,
                          uint64_t *rng);

static void assert_two_optimizers_same_bits(const nn_optim_config *config,
                                            void (*setup)(nn_optim *first, nn_optim *second),
                                            int steps, float (*param_at)(uint64_t *),
                                            inputs_fn inputs_at, uint64_t *rng)
{
    static float p_float[WIDENING_LEN], p_wide[WIDENING_LEN], grads[WIDENING_LEN];
    nn_optim *plain = NULL, *wide = NULL;
    assert_int_equal(nn_optim_create(&plain, config, WIDENING_LEN), NN_OK);
    assert_int_equal(nn_optim_create(&wide, config, WIDENING_LEN), NN_OK);
    setup(plain, wide);
    for (size_t i = 0; i < WIDENING_LEN; i++)
        p_float[i] = p_wide[i] = param_at(rng);
    for (int t = 0; t < steps; t++) {
        inputs_at(grads, p_float, p_wide, WIDENING_LEN, t, rng);
        nn_optim_step(plain, p_float, grads);
        nn_optim_step(wide, p_wide, grads);
        assert_same_floats(p_float, p_wide, WIDENING_LEN);
    }
    nn_optim_free(plain);
    nn_optim_free(wide);
}

static void without_and_with_widening(nn_optim *first, nn_optim *second)
{
    nn_optim_set_subnormal_widening(first, false);
    nn_optim_set_subnormal_widening(second, true);
}

static void assert_widening_keeps_bits(const nn_optim_config *config, int steps,
                                       float (*param_at)(uint64_t *), inputs_fn inputs_at,
                                       uint64_t *rng)
{
    assert_two_optimizers_same_bits(config, without_and_with_widening, steps, param_at,
                                    inputs_at, rng);
}

/* Gradients from subnormal to 2^20, with phases where two lanes in three are 0
 * (their moments decay towards subnormals). */
static void spread_gradients(float *grads, float *p_float, float *p_wide, size_t n, int t,
                             uint64_t *rng)
{
    (void)p_float, (void)p_wide;
    bool zero_phase = t % 20 >= 12;
    for (size_t i = 0; i < n; i++)
        grads[i] = zero_phase && i % 3 ? 0.0f : spread_float(rng);
}

/* Blocks near subnormals taken in double (Intel's default) give the float
 * step's bits: Adam, L2 weight decay, AdamW, beta1 under 0.5 (lerp's other
 * form, from g) and a tiny eps, on parameters and gradients from subnormal to
 * 2^20 and phases of zero gradients (so the moments decay). */
static void test_adam_widened_blocks_same_bits(void **state)
{
    (void)state;
    nn_optim_config configs[] = {
        adam_config(NN_OPTIM_ADAM, 1e-3f, 0.9f, 0),
        adam_config(NN_OPTIM_ADAM, 1e-2f, 0.9f, 0.1f),
        adam_config(NN_OPTIM_ADAMW, 1e-3f, 0.9f, 1e-2f),
        adam_config(NN_OPTIM_ADAM, 1e-3f, 0.3f, 0),
        adam_config(NN_OPTIM_ADAM, 1e-3f, 0.9f, 0),
    };
    configs[4].eps = 1e-30f; /* the smallest denominators */
    uint64_t rng = 0x9e3779b97f4a7c15u;
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++)
        assert_widening_keeps_bits(&configs[c], 60, spread_float, spread_gradients, &rng);
}

/* A float of random sign with magnitude from 2^-45 to under 2^5: its square
 * times 1 - beta2 stays normal, so a block of them is never widened for it. */
static float moderate_float(uint64_t *state)
{
    *state ^= *state << 13, *state ^= *state >> 7, *state ^= *state << 17;
    uint64_t r = *state;
    float mantissa = 1.0f + (float)((r >> 16) & 0x7fffff) / 8388608.0f;
    float x = ldexpf(mantissa, (int)((r >> 8) % 50) - 45);
    return (r >> 40) & 1 ? -x : x;
}

/* Moderate gradients for 10 steps, then 0 on six lanes in seven, whose
 * parameters are set to 0 before every step from then on: their update,
 * driven by the decaying first moment (about 2^-95 and smaller), is then the
 * whole parameter, where next to a moderate one it would vanish in rounding.
 * With L2 weight decay a zero parameter also keeps the gradient at 0. */
static void decaying_gradients(float *grads, float *p_float, float *p_wide, size_t n, int t,
                               uint64_t *rng)
{
    for (size_t i = 0; i < n; i++) {
        bool live = t < 10 || i % 7 == 0;
        grads[i] = live ? moderate_float(rng) : 0.0f;
        if (!live)
            p_float[i] = p_wide[i] = 0.0f;
    }
}

/* The configurations both first-moment tests run: Adam, AdamW, L2 weight
 * decay, both forms of lerp (beta1 0.9 and 0.3, the latter with and without
 * L2) and a tiny eps. */
enum { FIRST_MOMENT_CONFIGS = 6 };

static void first_moment_configs(nn_optim_config configs[FIRST_MOMENT_CONFIGS])
{
    configs[0] = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.9f, 0);
    configs[1] = adam_config(NN_OPTIM_ADAMW, 1e-3f, 0.9f, 1e-2f);
    configs[2] = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.9f, 1e-2f);
    configs[3] = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.3f, 0);
    configs[4] = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.3f, 1e-2f);
    configs[5] = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.9f, 0);
    configs[5].eps = 1e-30f;
}

/* The blocks where only the first moment is near subnormals (the case training
 * meets: gradients that turned 0) run their second moment's operations in
 * float and the rest in double: the float step's bits, here too. For 900
 * steps after the gradients turn 0 the first moments decay at beta1 a step
 * through 2^-112, the subnormals and 0, while the second moments (beta2) stay
 * normal. Adam, AdamW, L2 weight decay, both forms of lerp (beta1 0.9 and
 * 0.3) and a tiny eps. */
static void test_adam_first_moment_widening_same_bits(void **state)
{
    (void)state;
    nn_optim_config configs[FIRST_MOMENT_CONFIGS];
    first_moment_configs(configs);
    uint64_t rng = 0x2545f4914f6cdd1du;
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++)
        assert_widening_keeps_bits(&configs[c], 910, moderate_float, decaying_gradients, &rng);
}

/* What dying_blocks does with a block of 16, by its index. */
typedef enum dying_kind { LIVE, LADDER, SIGNED_ZERO, INFINITE, KEPT } dying_kind;

/* Gradients for 10 steps, then 0 in four blocks of 16 in five until step
 * 900, then moderate everywhere again (the moments that skipped blocks stored
 * then shape the updates). Until step 900 the dead blocks' parameters are set
 * before every step, by the kind of block:
 * - LADDER: one magnitude per block and step, from 1.97 * 2^-88 down to
 *   2^-101 (each block takes them all in turn; three lanes exact powers of
 *   two whose update points to 0, the worst case), after gradients of about
 *   2^-20 and 2^-30: a
 *   large eps is then all of the denominators, and the block's first moments
 *   cross 2^-112 ten binades apart. Updates of about 2^-122 and less meet
 *   parameters on both sides of the bound under which one may change them (a
 *   bound 32 times too loose fails here). One lane's gradient of 2e19 at step
 *   5 overflows its square: with beta2 0, v turns NaN (inf * 0) while m stays
 *   finite;
 * - SIGNED_ZERO: +0 and -0 (the update is the whole parameter, or its sign);
 * - INFINITE: +inf and -inf, after gradients of about 2^-80 (v underflows to 0,
 *   so with a huge step size the update is infinite: inf + -inf is NaN);
 * - KEPT: as they are, after moderate gradients (training's case: the update
 *   vanishes in rounding). */
static void dying_blocks(float *grads, float *p_float, float *p_wide, size_t n, int t,
                         uint64_t *rng)
{
    bool dead = t >= 10 && t < 900;
    for (size_t i = 0; i < n; i++) {
        size_t block = i / 16, lane = i % 16;
        dying_kind kind = (dying_kind)(block % 5);
        float sign = lane % 2 ? -1.0f : 1.0f;
        grads[i] = kind == LIVE || !dead ? moderate_float(rng) : 0.0f;
        if (kind == LADDER && t < 10)
            grads[i] = ldexpf(lane % 3 ? 1.0f : -1.5f, lane % 2 ? -20 : -30);
        if (kind == INFINITE && t < 10)
            grads[i] = ldexpf(lane % 3 ? 1.0f : -1.5f, -80);
        if (kind == LADDER && block < 5 && lane == 0 && t == 5) /* the first LADDER block */
            grads[i] = 2e19f;
        if (!dead)
            continue;
        if (kind == LADDER)
            p_float[i] = p_wide[i] =
                ldexpf(sign * (lane % 6 == 3 ? 1.0f : 1.5f + (float)lane / 32.0f),
                       -88 - (int)((block * 5 + (size_t)t) % 14));
        if (kind == SIGNED_ZERO)
            p_float[i] = p_wide[i] = sign * 0.0f;
        if (kind == INFINITE)
            p_float[i] = p_wide[i] = sign * INFINITY;
    }
}

/* Blocks whose first moments are all tiny skip the square root and the
 * divisions when no update could change a parameter (update_negligible in
 * nn_optim.c): the float step's bits. Parameters near the bound, at ±0, at
 * ±inf and moderate, for 890 steps after the gradients turn 0 and 110 after
 * they come back; first_moment_configs and: a large learning rate; a large
 * eps (the quotients come nearest the bound, so that a bound too loose or a
 * first moment's limit too high changes bits); beta2 0 (a NaN v beside a
 * finite m); a learning rate of 0 (a bound of 0, but for its floor); and a
 * huge learning rate over a subnormal eps (a bound beyond the floats). */
static void test_adam_negligible_updates_same_bits(void **state)
{
    (void)state;
    enum { MORE = 7 };
    nn_optim_config configs[FIRST_MOMENT_CONFIGS + MORE], *more = configs + FIRST_MOMENT_CONFIGS;
    first_moment_configs(configs);
    more[0] = adam_config(NN_OPTIM_ADAM, 10.0f, 0.9f, 0);
    more[1] = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.9f, 0);
    more[2] = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.3f, 0);
    more[3] = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.3f, 0);
    more[1].eps = more[2].eps = more[3].eps = 1.0f;
    more[3].beta2 = 0.0f;
    more[4] = adam_config(NN_OPTIM_ADAM, 0.0f, 0.9f, 0);
    more[5] = adam_config(NN_OPTIM_ADAM, 1e30f, 0.9f, 0);
    more[5].eps = 1e-45f;
    more[6] = adam_config(NN_OPTIM_ADAM, 1.0f, 0.5f, 0); /* m halves exactly: the worst case */
    more[6].eps = 1.0f;
    uint64_t rng = 0x94d049bb133111ebu;
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++)
        assert_widening_keeps_bits(&configs[c], 1010, moderate_float, dying_blocks, &rng);
}

/* Fast divisions (AVX-512F: the bias correction's division by FMAs, see
 * nn_optim.c) on in the first optimizer, off in the second; widening as named. */
static void fast_and_divider(nn_optim *first, nn_optim *second, bool widen)
{
    assert_true(nn_optim_set_fast_divisions(first, true));
    assert_false(nn_optim_set_fast_divisions(second, false));
    nn_optim_set_subnormal_widening(first, widen);
    nn_optim_set_subnormal_widening(second, widen);
}

static void fast_and_divider_plain(nn_optim *first, nn_optim *second)
{
    fast_and_divider(first, second, false);
}

static void fast_and_divider_widened(nn_optim *first, nn_optim *second)
{
    fast_and_divider(first, second, true);
}

/* Moderate gradients with every third parameter set to 0 before each step
 * (its update is then all of it, every bit of the quotient shows); from step
 * 20 one lane's gradient is huge (its square overflows: v infinite), from
 * step 30 another's NaN, and in steps 40-49 a block's gradients are
 * subnormal (widened on Intel). */
static void visible_updates(float *grads, float *p_float, float *p_wide, size_t n, int t,
                            uint64_t *rng)
{
    for (size_t i = 0; i < n; i++) {
        grads[i] = moderate_float(rng);
        if (i % 3 == 0)
            p_float[i] = p_wide[i] = 0.0f;
    }
    if (t >= 20)
        grads[16 * 3 + 5] = 3e38f;
    if (t >= 30)
        grads[16 * 7 + 2] = NAN;
    if (t >= 40 && t < 50)
        for (size_t i = 16 * 9; i < 16 * 10; i++)
            grads[i] = ldexpf(grads[i], -100);
}

/* A NaN learning rate (nn_optim_set_lr does not check it) with NaN gradients
 * in some lanes: both optimizers give the same NaNs, payloads included (which
 * NaN a multiply of two returns depends on its operands' order, so a NaN step
 * size keeps the divisions). */
static void assert_nan_lr_same_payloads(void)
{
    enum { N = 64 };
    const uint32_t lr_nan = 0x7fc12345u, grad_nan = 0x7fc00abcu;
    float lr, g_nan, first[N], second[N], grads[N];
    memcpy(&lr, &lr_nan, sizeof lr);
    memcpy(&g_nan, &grad_nan, sizeof g_nan);
    for (int i = 0; i < N; i++) {
        first[i] = second[i] = (float)(i % 9 - 4) * 0.125f;
        grads[i] = i % 5 == 0 ? g_nan : (float)(i % 7 - 3) * 0.01f;
    }
    nn_optim_config config = adam_config(NN_OPTIM_ADAMW, 1e-3f, 0.9f, 1e-2f);
    nn_optim *a = NULL, *b = NULL;
    assert_int_equal(nn_optim_create(&a, &config, N), NN_OK);
    assert_int_equal(nn_optim_create(&b, &config, N), NN_OK);
    fast_and_divider_plain(a, b);
    for (int t = 0; t < 3; t++) {
        nn_optim_set_lr(a, t == 0 ? 1e-3f : lr);
        nn_optim_set_lr(b, t == 0 ? 1e-3f : lr);
        nn_optim_step(a, first, grads);
        nn_optim_step(b, second, grads);
        assert_memory_equal(first, second, sizeof first);
    }
    nn_optim_free(a);
    nn_optim_free(b);
}

/* The bias correction's division by FMAs gives the divider's bits in every
 * parameter after every step, with and without Intel's widening:
 * first_moment_configs, beta2 0 (a bias correction of 1) and 0.99999994 (the
 * smallest one any float beta2 gives, about 2^-12 at the first step), a large
 * eps and a large learning rate; on visible_updates (zero parameters, infinite and NaN v),
 * spread_gradients (subnormal to 2^20) and dying_blocks (decaying moments,
 * ±0 and ±inf parameters); and a NaN learning rate's payloads
 * (assert_nan_lr_same_payloads). test_exact_division checks the division
 * alone. */
static void test_adam_fast_divisions_same_bits(void **state)
{
    (void)state;
    nn_optim *probe = NULL;
    nn_optim_config probe_config = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.9f, 0);
    assert_int_equal(nn_optim_create(&probe, &probe_config, 1), NN_OK);
    bool available = nn_optim_set_fast_divisions(probe, true);
    nn_optim_free(probe);
    if (!available) {
        printf("skipped: this CPU (or its operating system) has no AVX-512F, so Adam divides "
               "by the divider only\n");
        skip();
    }
    enum { MORE = 4 };
    nn_optim_config configs[FIRST_MOMENT_CONFIGS + MORE], *more = configs + FIRST_MOMENT_CONFIGS;
    first_moment_configs(configs);
    more[0] = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.9f, 0);
    more[0].beta2 = 0.0f;
    more[1] = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.9f, 0);
    more[1].beta2 = 0.99999994f; /* the largest float under 1 */
    more[2] = adam_config(NN_OPTIM_ADAM, 1e-3f, 0.3f, 0);
    more[2].eps = 1.0f;
    more[3] = adam_config(NN_OPTIM_ADAMW, 10.0f, 0.9f, 1e-3f);
    assert_nan_lr_same_payloads();
    void (*setups[])(nn_optim *, nn_optim *) = {fast_and_divider_plain, fast_and_divider_widened};
    uint64_t rng = 0xd1b54a32d192ed03u;
    for (size_t w = 0; w < 2; w++)
        for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
            assert_two_optimizers_same_bits(&configs[c], setups[w], 60, moderate_float,
                                            visible_updates, &rng);
            assert_two_optimizers_same_bits(&configs[c], setups[w], 60, spread_float,
                                            spread_gradients, &rng);
            assert_two_optimizers_same_bits(&configs[c], setups[w], 1010, moderate_float,
                                            dying_blocks, &rng);
        }
}

/* The shortest decimal that rounds to the float, i.e. the Python float PyTorch
 * would use: exact for values written with few digits. */
static void test_hyperparameter_as_written(void **state)
{
    (void)state;
    assert_true(nn_hyperparameter_as_written(0.9f) == 0.9);
    assert_true(nn_hyperparameter_as_written(0.999f) == 0.999);
    assert_true(nn_hyperparameter_as_written(1e-8f) == 1e-8);
    assert_true(nn_hyperparameter_as_written(3e-4f) == 3e-4);
    assert_true(nn_hyperparameter_as_written(0.1f) == 0.1);
    assert_true(nn_hyperparameter_as_written(0.0f) == 0.0);
    assert_true(nn_hyperparameter_as_written(-2.5f) == -2.5);
    assert_true(isinf(nn_hyperparameter_as_written(INFINITY)));
    float odd = nextafterf(0.1f, 1.0f); /* 0.100000009 */
    double as_written = nn_hyperparameter_as_written(odd);
    assert_true((float)as_written == odd);
    assert_true(as_written != 0.1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_plain),
        cmocka_unit_test(test_sgd_nesterov_momentum_weight_decay),
        cmocka_unit_test(test_sgd_first_step_ignores_dampening),
        cmocka_unit_test(test_adam),
        cmocka_unit_test(test_adam_l2_weight_decay),
        cmocka_unit_test(test_adamw_decoupled_weight_decay),
        cmocka_unit_test(test_adam_small_beta1),
        cmocka_unit_test(test_blocked_loops_match_single_elements),
        cmocka_unit_test(test_defaults_and_names),
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_nesterov_requirements),
        cmocka_unit_test(test_validation_scope),
        cmocka_unit_test(test_create_needs_parameters),
        cmocka_unit_test(test_set_lr_and_steps_taken),
        cmocka_unit_test(test_adam_set_lr),
        cmocka_unit_test(test_adam_widened_blocks_same_bits),
        cmocka_unit_test(test_adam_first_moment_widening_same_bits),
        cmocka_unit_test(test_adam_negligible_updates_same_bits),
        cmocka_unit_test(test_adam_fast_divisions_same_bits),
        cmocka_unit_test(test_hyperparameter_as_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
