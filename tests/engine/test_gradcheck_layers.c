/* Finite-difference gradient checks for every layer kind, through the whole
 * network's backward pass and a loss-free objective L = Σ c_i y_i (random c).
 *
 * Each evaluation of L builds a fresh net from the same specs and seed, loads
 * the (perturbed) parameters and runs its first training forward: the dropout
 * RNG stream then replays the same mask for L(p+h) and L(p-h), so a Dropout
 * layer is checked against the very mask its analytic gradient used.
 *
 * Every net's input gradient (nn_net_backward_input, which feeds the model
 * whose output was this one's input) is checked the same way, against
 * differences in x; inside, a Linear's input gradient is checked wherever a
 * Linear (or a stack ending in one) feeds another. Kernels: the scalar
 * table, for determinism. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "nn_net.h"
#include "nn_rng.h"
#include "test_util.h"

#define LINEAR(in, out) {.kind = NN_LAYER_LINEAR, .in_features = (in), .out_features = (out)}
#define ACT(k) {.kind = (k)}
#define LEAKY(s) {.kind = NN_LAYER_LEAKY_RELU, .slope = (s)}
#define DROPOUT(prob) {.kind = NN_LAYER_DROPOUT, .p = (prob)}
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

enum { BATCH = 3, MAX_ELEMS = 256, MAX_PARAMS = 512 };

/* Central differences in float32 with step 1e-3: L has rounding noise of about
 * 1e-7 relative per output, so a difference quotient carries absolute noise of
 * roughly 1e-7 * |L| / 2e-3 ≈ 1e-4 for |L| of a few units, while the truncation
 * error is O(h²) ≈ 1e-6. A gradient passes when
 *     |analytic - numeric| <= REL_TOL * max(|analytic|, |numeric|) + ABS_FLOOR.
 * A wrong factor (a missing 1/(1-p), y instead of y(1-y), a dropped slope, a
 * gradient added twice) is off by 25% or more of the gradient itself, far
 * beyond 1%; the floor only forgives noise on gradients near 0. */
#define STEP 1e-3f
#define REL_TOL 1e-2
#define ABS_FLOOR 1e-4

typedef struct gradcheck_net {
    const nn_layer_spec *layers;
    int n_layers;
    uint64_t seed;
    float params[MAX_PARAMS];
    size_t n_params;
    float x[MAX_ELEMS]; /* (BATCH, input_size) in [-1, 1] */
    float c[MAX_ELEMS]; /* (BATCH, output_size) in [-1, 1]: dL/dy */
    int output_size;
} gradcheck_net;

static void fill_random(float *v, size_t n, nn_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        v[i] = nn_rng_range(rng, -1.0f, 1.0f);
}

static nn_net *build(const gradcheck_net *g, const float *params)
{
    nn_net *net = NULL;
    nn_status st = nn_net_create(&net, g->layers, g->n_layers, g->seed);
    if (st != NN_OK)
        print_error("nn_net_create: %s\n", nn_error_message());
    assert_int_equal(st, NN_OK);
    memcpy(nn_net_params(net), params, g->n_params * sizeof(float));
    nn_net_set_kernels(net, nn_kernels_scalar());
    return net;
}

/* L = Σ c_i y_i, accumulated in double, over the first training forward of a
 * fresh net holding `params` on the input x (BATCH, input_size). */
static double objective(const gradcheck_net *g, const float *params, const float *x)
{
    nn_net *net = build(g, params);
    const float *y;
    assert_int_equal(nn_net_forward(net, x, BATCH, &y), NN_OK);
    double loss = 0;
    for (int i = 0; i < BATCH * g->output_size; i++)
        loss += (double)g->c[i] * (double)y[i];
    nn_net_free(net);
    return loss;
}

/* Checks analytic[k] = dL/dv[k] against central differences for each of the
 * n values v (the parameters, or the input x: `v_is_input`), restoring v. */
static void compare_with_differences(const gradcheck_net *g, const float *analytic, float *v, size_t n,
                                     bool v_is_input)
{
    double worst = 0;
    size_t worst_index = 0, nonzero = 0;
    for (size_t k = 0; k < n; k++) {
        float original = v[k], plus = original + STEP, minus = original - STEP;
        v[k] = plus;
        double loss_plus = v_is_input ? objective(g, g->params, v) : objective(g, v, g->x);
        v[k] = minus;
        double loss_minus = v_is_input ? objective(g, g->params, v) : objective(g, v, g->x);
        v[k] = original;
        double numeric = (loss_plus - loss_minus) / ((double)plus - (double)minus);
        double a = analytic[k];
        double excess = fabs(a - numeric) - (REL_TOL * fmax(fabs(a), fabs(numeric)) + ABS_FLOOR);
        if (excess > 0)
            print_error("%s %zu: analytic %.7g numeric %.7g\n", v_is_input ? "input" : "param", k, a,
                        numeric);
        if (excess > worst || k == 0) {
            worst = excess;
            worst_index = k;
        }
        nonzero += fabs(a) > 10 * ABS_FLOOR;
    }
    if (worst > 0)
        print_error("worst gradient: %s %zu of %zu\n", v_is_input ? "input" : "param", worst_index, n);
    assert_true(worst <= 0);
    /* a net whose gradients all vanish would pass vacuously */
    assert_true(nonzero > n / 3);
}

/* Moves the pre-activations of Linear layer `index` at least 0.2 away from 0
 * (the ReLU kink): b = ±0.5 and each weight row's L1 norm scaled to 0.3, so
 * |z - b| <= 0.3 for inputs in [-1, 1], which every net below feeds it. */
static void keep_away_from_kink(gradcheck_net *g, const nn_net *net, int index)
{
    const nn_layer_spec *s = &g->layers[index];
    float *W = g->params + nn_net_weight_offset(net, index);
    float *b = g->params + nn_net_bias_offset(net, index);
    for (int o = 0; o < s->out_features; o++) {
        float *row = W + (size_t)o * s->in_features;
        double l1 = 0;
        for (int i = 0; i < s->in_features; i++)
            l1 += fabsf(row[i]);
        for (int i = 0; i < s->in_features; i++)
            row[i] = (float)(row[i] * 0.3 / l1);
        b[o] = o % 3 == 1 ? -0.5f : 0.5f;
    }
}

/* Checks dL/dθ from nn_net_backward against central differences for every
 * parameter of the net. kink_layers: Linear indices feeding a ReLU/LeakyReLU
 * (-1 terminated). */
static void gradcheck(const nn_layer_spec *layers, int n_layers, const int *kink_layers, uint64_t seed)
{
    static gradcheck_net g;
    memset(&g, 0, sizeof g);
    g.layers = layers;
    g.n_layers = n_layers;
    g.seed = seed;
    nn_net *net = NULL;
    assert_int_equal(nn_net_create(&net, layers, n_layers, seed), NN_OK);
    g.n_params = nn_net_param_count(net);
    g.output_size = nn_net_output_size(net);
    int input_size = nn_net_input_size(net);
    assert_true(g.n_params <= MAX_PARAMS);
    assert_true(BATCH * input_size <= MAX_ELEMS && BATCH * g.output_size <= MAX_ELEMS);
    memcpy(g.params, nn_net_params(net), g.n_params * sizeof(float));
    for (const int *k = kink_layers; k && *k >= 0; k++)
        keep_away_from_kink(&g, net, *k);
    nn_net_free(net);
    nn_rng rng;
    nn_rng_seed(&rng, seed, 1000);
    fill_random(g.x, (size_t)BATCH * input_size, &rng);
    fill_random(g.c, (size_t)BATCH * g.output_size, &rng);

    /* analytic: the first training forward of a fresh net, then backward with dy = c */
    net = build(&g, g.params);
    const float *y;
    assert_int_equal(nn_net_forward(net, g.x, BATCH, &y), NN_OK);
    assert_int_equal(nn_net_backward(net, g.c), NN_OK);
    static float perturbed[MAX_PARAMS];
    memcpy(perturbed, g.params, g.n_params * sizeof(float));
    compare_with_differences(&g, nn_net_grads(net), perturbed, g.n_params, false);

    /* the input gradient through every layer, the first Linear's and those
     * before it included; the parameter gradients on the way are the same bits */
    nn_net *to_input = build(&g, g.params);
    const float *dx;
    assert_int_equal(nn_net_forward(to_input, g.x, BATCH, &y), NN_OK);
    assert_int_equal(nn_net_backward_input(to_input, g.c, &dx), NN_OK);
    assert_memory_equal(nn_net_grads(to_input), nn_net_grads(net), g.n_params * sizeof(float));
    static float input[MAX_ELEMS];
    memcpy(input, g.x, (size_t)BATCH * input_size * sizeof(float));
    compare_with_differences(&g, dx, input, (size_t)BATCH * input_size, true);
    nn_net_free(to_input);
    nn_net_free(net);
}

static const int no_kinks[] = {-1};
static const int first_linear[] = {0, -1};
static const int second_linear[] = {2, -1};

static void test_linear_weights_and_bias(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {LINEAR(5, 4)};
    gradcheck(layers, COUNT(layers), no_kinks, 1);
}

static void test_linear_input(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {LINEAR(5, 6), LINEAR(6, 3)};
    gradcheck(layers, COUNT(layers), no_kinks, 2);
}

/* The activation fused into the preceding Linear's kernel: between two
 * Linears, and last (its backward then reads the caller's dy, not ours). */
static void check_activation_fused(nn_layer_spec act, const int *kinks, uint64_t seed)
{
    const nn_layer_spec middle[] = {LINEAR(4, 6), act, LINEAR(6, 3)};
    gradcheck(middle, COUNT(middle), kinks, seed);
    const int *second_kinks = kinks == no_kinks ? no_kinks : second_linear;
    const nn_layer_spec last[] = {LINEAR(4, 6), ACT(NN_LAYER_TANH), LINEAR(6, 3), act};
    gradcheck(last, COUNT(last), second_kinks, seed + 100);
}

/* The activation on its own step: after a Dropout, and last after a fused
 * Tanh (which keeps the sign and |z| >= tanh(0.2) of kink-free inputs). */
static void check_activation_standalone(nn_layer_spec act, const int *kinks, uint64_t seed)
{
    const nn_layer_spec after_dropout[] = {LINEAR(4, 6), DROPOUT(0.25f), act, LINEAR(6, 3)};
    gradcheck(after_dropout, COUNT(after_dropout), kinks, seed);
    const nn_layer_spec last[] = {LINEAR(4, 5), ACT(NN_LAYER_TANH), act};
    gradcheck(last, COUNT(last), kinks, seed + 1);
}

static void test_sigmoid(void **state)
{
    (void)state;
    nn_layer_spec act = ACT(NN_LAYER_SIGMOID);
    check_activation_fused(act, no_kinks, 3);
    check_activation_standalone(act, no_kinks, 4);
}

static void test_tanh(void **state)
{
    (void)state;
    nn_layer_spec act = ACT(NN_LAYER_TANH);
    check_activation_fused(act, no_kinks, 5);
    check_activation_standalone(act, no_kinks, 6);
}

static void test_relu(void **state)
{
    (void)state;
    nn_layer_spec act = ACT(NN_LAYER_RELU);
    check_activation_fused(act, first_linear, 7);
    check_activation_standalone(act, first_linear, 8);
}

static void test_leaky_relu(void **state)
{
    (void)state;
    nn_layer_spec act = LEAKY(0.1f);
    check_activation_fused(act, first_linear, 9);
    check_activation_standalone(act, first_linear, 10);
}

/* Dropout between Linears, and after a fused Tanh (the tanh backward must read
 * the Linear's output, not the dropped one). */
static void test_dropout_with_replayed_mask(void **state)
{
    (void)state;
    const nn_layer_spec plain[] = {LINEAR(4, 8), DROPOUT(0.5f), LINEAR(8, 3)};
    gradcheck(plain, COUNT(plain), no_kinks, 11);
    const nn_layer_spec after_tanh[] = {LINEAR(4, 8), ACT(NN_LAYER_TANH), DROPOUT(0.3f), LINEAR(8, 3)};
    gradcheck(after_tanh, COUNT(after_tanh), no_kinks, 12);
}

static void test_deep_stack(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {LINEAR(5, 7), ACT(NN_LAYER_SIGMOID), LINEAR(7, 6), ACT(NN_LAYER_TANH),
                                    LINEAR(6, 5), LEAKY(0.05f), LINEAR(5, 3)};
    const int kinks[] = {4, -1};
    gradcheck(layers, COUNT(layers), kinks, 13);
}

/* Layers before the first Linear have no parameters; only the input gradient
 * goes through them. */
static void test_layers_before_the_first_linear(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {DROPOUT(0.3f), ACT(NN_LAYER_SIGMOID), LINEAR(5, 4), ACT(NN_LAYER_TANH)};
    gradcheck(layers, COUNT(layers), no_kinks, 14);
    const nn_layer_spec leaky_first[] = {LEAKY(0.2f), LINEAR(4, 3)};
    gradcheck(leaky_first, COUNT(leaky_first), no_kinks, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_weights_and_bias),
        cmocka_unit_test(test_linear_input),
        cmocka_unit_test(test_sigmoid),
        cmocka_unit_test(test_tanh),
        cmocka_unit_test(test_relu),
        cmocka_unit_test(test_leaky_relu),
        cmocka_unit_test(test_dropout_with_replayed_mask),
        cmocka_unit_test(test_deep_stack),
        cmocka_unit_test(test_layers_before_the_first_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
