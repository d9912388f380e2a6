/* Sequential networks: parameter layout, spec and shape checks, forward against
 * a naive double-precision reference, dropout, init, gradient accumulation and
 * kernel tables. Gradients themselves are checked in test_gradcheck_layers.c. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "nn_net.h"
#include "nn_rng.h"
#include "test_util.h"

#define LINEAR(in, out) {.kind = NN_LAYER_LINEAR, .in_features = (in), .out_features = (out)}
#define ACT(k) {.kind = (k)}
#define LEAKY(s) {.kind = NN_LAYER_LEAKY_RELU, .slope = (s)}
#define DROPOUT(prob) {.kind = NN_LAYER_DROPOUT, .p = (prob)}
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static nn_net *create_or_fail(const nn_layer_spec *layers, int n, uint64_t seed)
{
    nn_net *net = NULL;
    nn_status st = nn_net_create(&net, layers, n, seed);
    if (st != NN_OK)
        print_error("nn_net_create: %s\n", nn_error_message());
    assert_int_equal(st, NN_OK);
    assert_non_null(net);
    return net;
}

/* x (n) ~ U(lo, hi) */
static void fill_random(float *x, size_t n, float lo, float hi, uint64_t seed)
{
    nn_rng rng;
    nn_rng_seed(&rng, seed, 99);
    for (size_t i = 0; i < n; i++)
        x[i] = nn_rng_range(&rng, lo, hi);
}

static double act_double(nn_layer_kind kind, double x, double slope)
{
    switch (kind) {
    case NN_LAYER_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case NN_LAYER_RELU: return x > 0 ? x : 0;
    case NN_LAYER_LEAKY_RELU: return x > 0 ? x : slope * x;
    case NN_LAYER_TANH: return tanh(x);
    default: return x; /* Dropout in eval mode */
    }
}

/* y (batch, output_size) = the net in eval mode, computed in double, one layer
 * at a time, straight from the flat parameters and the layer specs. */
static void naive_forward(double *y, nn_net *net, const float *x, int batch)
{
    enum { MAX_ELEMS = 4096 };
    double cur[MAX_ELEMS], next[MAX_ELEMS];
    const float *params = nn_net_params(net);
    int width = nn_net_input_size(net);
    assert_true(batch * width <= MAX_ELEMS);
    for (int i = 0; i < batch * width; i++)
        cur[i] = x[i];
    for (int l = 0; l < nn_net_layer_count(net); l++) {
        const nn_layer_spec *s = nn_net_layer(net, l);
        if (s->kind == NN_LAYER_LINEAR) {
            const float *W = params + nn_net_weight_offset(net, l);
            const float *b = params + nn_net_bias_offset(net, l);
            int in = s->in_features, out = s->out_features;
            assert_true(batch * out <= MAX_ELEMS);
            for (int r = 0; r < batch; r++)
                for (int o = 0; o < out; o++) {
                    double acc = b[o];
                    for (int i = 0; i < in; i++)
                        acc += (double)W[o * in + i] * cur[r * in + i];
                    next[r * out + o] = acc;
                }
            width = out;
            memcpy(cur, next, sizeof(double) * (size_t)(batch * width));
        } else {
            for (int i = 0; i < batch * width; i++)
                cur[i] = act_double(s->kind, cur[i], s->slope);
        }
    }
    memcpy(y, cur, sizeof(double) * (size_t)(batch * width));
}

static void test_param_count_and_layout_784_64_10(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {LINEAR(784, 64), ACT(NN_LAYER_SIGMOID), LINEAR(64, 10)};
    nn_net *net = create_or_fail(layers, COUNT(layers), 1);
    assert_int_equal(nn_net_param_count(net), 50890);
    assert_int_equal(nn_net_layer_count(net), 3);
    assert_int_equal(nn_net_input_size(net), 784);
    assert_int_equal(nn_net_output_size(net), 10);
    assert_int_equal(nn_net_weight_offset(net, 0), 0);
    assert_int_equal(nn_net_bias_offset(net, 0), 784 * 64);
    assert_int_equal(nn_net_weight_offset(net, 1), -1);
    assert_int_equal(nn_net_bias_offset(net, 1), -1);
    assert_int_equal(nn_net_weight_offset(net, 2), 784 * 64 + 64);
    assert_int_equal(nn_net_bias_offset(net, 2), 784 * 64 + 64 + 640);
    assert_int_equal(nn_net_weight_offset(net, 3), -1);
    assert_int_equal((uintptr_t)nn_net_params(net) % 64, 0);
    assert_int_equal((uintptr_t)nn_net_grads(net) % 64, 0);
    assert_int_equal(nn_net_layer(net, 1)->kind, NN_LAYER_SIGMOID);
    assert_int_equal(nn_net_layer(net, 2)->in_features, 64);
    assert_null(nn_net_layer(net, 3));
    assert_true(nn_net_training(net));
    for (size_t i = 0; i < nn_net_param_count(net); i++)
        assert_true(nn_net_grads(net)[i] == 0.0f);
    nn_net_free(net);
}

/* Every kind and every init scheme has a name that the lookup turns back into
 * it; the value past the last one has no name, so a kind added to the enum
 * must be added here too. */
static void test_names_round_trip(void **state)
{
    (void)state;
    static const struct {
        nn_layer_kind kind;
        const char *name;
    } kinds[] = {
        {NN_LAYER_LINEAR, "Linear"}, {NN_LAYER_SIGMOID, "Sigmoid"},
        {NN_LAYER_RELU, "ReLU"},     {NN_LAYER_LEAKY_RELU, "LeakyReLU"},
        {NN_LAYER_TANH, "Tanh"},     {NN_LAYER_DROPOUT, "Dropout"},
    };
    for (int i = 0; i < COUNT(kinds); i++) {
        assert_string_equal(nn_layer_kind_name(kinds[i].kind), kinds[i].name);
        nn_layer_kind kind = (nn_layer_kind)-1;
        assert_int_equal(nn_layer_kind_from_name(&kind, kinds[i].name), NN_OK);
        assert_int_equal(kind, kinds[i].kind);
    }
    assert_null(nn_layer_kind_name((nn_layer_kind)COUNT(kinds)));

    static const struct {
        nn_init init;
        const char *name;
    } inits[] = {
        {NN_INIT_TORCH, "torch"},
        {NN_INIT_XAVIER_UNIFORM, "xavier_uniform"},
        {NN_INIT_XAVIER_NORMAL, "xavier_normal"},
        {NN_INIT_KAIMING_UNIFORM, "kaiming_uniform"},
        {NN_INIT_KAIMING_NORMAL, "kaiming_normal"},
    };
    for (int i = 0; i < COUNT(inits); i++) {
        assert_string_equal(nn_init_name(inits[i].init), inits[i].name);
        nn_init init = (nn_init)-1;
        assert_int_equal(nn_init_from_name(&init, inits[i].name), NN_OK);
        assert_int_equal(init, inits[i].init);
    }
    assert_null(nn_init_name((nn_init)COUNT(inits)));
    assert_null(nn_init_name((nn_init)-1));
}

/* An unknown name is NN_EINVAL with the message the bridge shows the user, and
 * leaves the output alone. Names are case-sensitive and whole. */
static void test_unknown_names_are_errors(void **state)
{
    (void)state;
    static const char *const bad_kinds[] = {"Relu", "linear", "", "?", "Linear ", "LinearX"};
    for (int i = 0; i < COUNT(bad_kinds); i++) {
        nn_layer_kind kind = NN_LAYER_TANH;
        nn_error_clear();
        assert_int_equal(nn_layer_kind_from_name(&kind, bad_kinds[i]), NN_EINVAL);
        assert_int_equal(kind, NN_LAYER_TANH);
        char expected[64];
        snprintf(expected, sizeof expected, "unknown layer kind '%s'", bad_kinds[i]);
        assert_string_equal(nn_error_message(), expected);
    }

    static const char *const bad_inits[] = {"Torch", "xavier", "kaiming_uniform_", "", "He"};
    for (int i = 0; i < COUNT(bad_inits); i++) {
        nn_init init = NN_INIT_XAVIER_NORMAL;
        nn_error_clear();
        assert_int_equal(nn_init_from_name(&init, bad_inits[i]), NN_EINVAL);
        assert_int_equal(init, NN_INIT_XAVIER_NORMAL);
        char expected[64];
        snprintf(expected, sizeof expected, "unknown layer init '%s'", bad_inits[i]);
        assert_string_equal(nn_error_message(), expected);
    }
}

static void test_shape_mismatch_names_both_layers(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {LINEAR(784, 64), ACT(NN_LAYER_SIGMOID), LINEAR(128, 10)};
    nn_net *net = (nn_net *)&net; /* must be reset to NULL */
    assert_int_equal(nn_net_create(&net, layers, COUNT(layers), 1), NN_ESHAPE);
    assert_null(net);
    assert_string_equal(nn_error_message(),
                        "layer 3 (Linear) expects 128 inputs but layer 1 (Linear) produces 64");

    const nn_layer_spec deeper[] = {ACT(NN_LAYER_TANH), LINEAR(8, 16), DROPOUT(0.5f), ACT(NN_LAYER_RELU),
                                    LINEAR(16, 4), LINEAR(5, 2)};
    assert_int_equal(nn_net_create(&net, deeper, COUNT(deeper), 1), NN_ESHAPE);
    assert_error_contains("layer 6 (Linear) expects 5 inputs but layer 5 (Linear) produces 4");
}

typedef struct invalid_case {
    nn_layer_spec spec;
    const char *message;
} invalid_case;

/* Each bad spec, placed second after a valid Linear(3, 3), is NN_EINVAL with a
 * message naming layer 2, its kind and the field. */
static void test_invalid_specs_are_rejected(void **state)
{
    (void)state;
    const invalid_case cases[] = {
        {{.kind = NN_LAYER_LINEAR, .in_features = 0, .out_features = 3}, "layer 2 (Linear): in_features 0"},
        {{.kind = NN_LAYER_LINEAR, .in_features = -3, .out_features = 3}, "layer 2 (Linear): in_features -3"},
        {{.kind = NN_LAYER_LINEAR, .in_features = 3, .out_features = 0}, "layer 2 (Linear): out_features 0"},
        {{.kind = NN_LAYER_LINEAR, .in_features = 3, .out_features = (1 << 24) + 1},
         "layer 2 (Linear): out_features 16777217 out of range"},
        {{.kind = NN_LAYER_LINEAR, .in_features = 1 << 24, .out_features = 1 << 24},
         "layer 2 (Linear): 16777216 x 16777216 weights (1125900.0 GB) are too large"},
        {{.kind = NN_LAYER_LINEAR, .in_features = 3, .out_features = 3, .init = (nn_init)17},
         "layer 2 (Linear): unknown init 17"},
        {{.kind = NN_LAYER_LEAKY_RELU, .slope = NAN}, "layer 2 (LeakyReLU): slope nan"},
        {{.kind = NN_LAYER_LEAKY_RELU, .slope = INFINITY}, "layer 2 (LeakyReLU): slope inf"},
        {{.kind = NN_LAYER_LEAKY_RELU, .slope = -0.5f}, "layer 2 (LeakyReLU): slope -0.5"},
        {{.kind = NN_LAYER_DROPOUT, .p = 1.0f}, "layer 2 (Dropout): p 1 must be in [0, 1)"},
        {{.kind = NN_LAYER_DROPOUT, .p = -0.1f}, "layer 2 (Dropout): p -0.1"},
        {{.kind = NN_LAYER_DROPOUT, .p = NAN}, "layer 2 (Dropout): p nan"},
        {{.kind = (nn_layer_kind)42}, "layer 2: unknown kind 42"},
    };
    for (int c = 0; c < COUNT(cases); c++) {
        nn_layer_spec layers[2] = {LINEAR(3, 3), cases[c].spec};
        nn_net *net = NULL;
        nn_error_clear();
        assert_int_equal(nn_net_create(&net, layers, 2, 1), NN_EINVAL);
        assert_null(net);
        assert_error_contains(cases[c].message);
    }

    nn_net *net = NULL;
    const nn_layer_spec no_linear[] = {ACT(NN_LAYER_RELU), DROPOUT(0.1f)};
    assert_int_equal(nn_net_create(&net, no_linear, 2, 1), NN_EINVAL);
    assert_error_contains("at least one Linear");
    assert_int_equal(nn_net_create(&net, no_linear, 0, 1), NN_EINVAL);
    assert_error_contains("1..1024 layers (got 0)");
    /* Two layers of 2^15 x 2^14 are each fine but together pass the 2^30 cap. */
    const nn_layer_spec too_many[] = {LINEAR(1 << 14, 1 << 15), LINEAR(1 << 15, 1 << 14)};
    assert_int_equal(nn_net_create(&net, too_many, 2, 1), NN_EINVAL);
    assert_error_contains("more than 1073741824 parameters (at layer 2)");
    assert_null(net);
}

/* Every activation, fused after a Linear or standing alone (Sigmoid after ReLU,
 * Tanh first), and eval-mode dropout, against the double reference. */
static void test_forward_matches_naive_double(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {
        ACT(NN_LAYER_TANH), LINEAR(5, 7), ACT(NN_LAYER_TANH), LINEAR(7, 6), LEAKY(0.2f), DROPOUT(0.5f),
        LINEAR(6, 4), ACT(NN_LAYER_RELU), ACT(NN_LAYER_SIGMOID), LINEAR(4, 3),
    };
    nn_net *net = create_or_fail(layers, COUNT(layers), 7);
    nn_net_set_kernels(net, nn_kernels_scalar());
    nn_net_set_training(net, false);
    assert_false(nn_net_training(net));
    assert_int_equal(nn_net_input_size(net), 5);
    assert_int_equal(nn_net_output_size(net), 3);
    float x[9 * 5];
    double expected[9 * 3];
    float expected_f[9 * 3];
    const int batches[] = {2, 9, 3}; /* grow, then reuse the larger buffers */
    for (int t = 0; t < COUNT(batches); t++) {
        int batch = batches[t];
        fill_random(x, (size_t)batch * 5, -2.0f, 2.0f, 100 + t);
        const float *y = NULL;
        assert_int_equal(nn_net_forward(net, x, batch, &y), NN_OK);
        assert_non_null(y);
        naive_forward(expected, net, x, batch);
        for (int i = 0; i < batch * 3; i++)
            expected_f[i] = (float)expected[i];
        assert_close(y, expected_f, batch * 3, 1e-5, 1e-6);
    }
    nn_net_free(net);
}

static void test_buffers_are_reused(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {LINEAR(4, 6), ACT(NN_LAYER_RELU), LINEAR(6, 2)};
    nn_net *net = create_or_fail(layers, COUNT(layers), 3);
    float x[16 * 4];
    fill_random(x, 16 * 4, -1, 1, 5);
    const float *y_big, *y_small;
    assert_int_equal(nn_net_forward(net, x, 16, &y_big), NN_OK);
    assert_int_equal(nn_net_forward(net, x, 5, &y_small), NN_OK);
    assert_ptr_equal(y_big, y_small);
    assert_int_equal((uintptr_t)y_big % 64, 0);
    nn_net_free(net);
}

static void test_bad_calls_are_errors(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {LINEAR(2, 2)};
    nn_net *net = create_or_fail(layers, 1, 3);
    float x[4] = {1, 2, 3, 4}, dy[4] = {1, 1, 1, 1};
    const float *y;
    assert_int_equal(nn_net_backward(net, dy), NN_EINVAL);
    assert_error_contains("no forward pass");
    assert_int_equal(nn_net_forward(net, x, 0, &y), NN_EINVAL);
    assert_error_contains("batch 0");
    assert_null(y);
    assert_int_equal(nn_net_forward(net, NULL, 2, &y), NN_EINVAL);
    assert_int_equal(nn_net_forward(net, x, 2, &y), NN_OK);
    assert_int_equal(nn_net_backward(net, NULL), NN_EINVAL);
    nn_net_free(net);
}

/* Linear(50, 400) then Dropout(p) against the same Linear alone (same seed,
 * so same weights): eval is the identity; training zeroes a fraction ≈ p and
 * scales the rest by 1/(1-p); the mask changes from one forward to the next. */
static void test_dropout_eval_identity_and_train_scaling(void **state)
{
    (void)state;
    enum { B = 20, IN = 50, OUT = 400 };
    const float p = 0.3f;
    const nn_layer_spec with[] = {LINEAR(IN, OUT), DROPOUT(p)};
    const nn_layer_spec without[] = {LINEAR(IN, OUT)};
    nn_net *net = create_or_fail(with, 2, 11), *plain = create_or_fail(without, 1, 11);
    static float x[B * IN], reference[B * OUT], first_train[B * OUT];
    fill_random(x, B * IN, -1, 1, 12);
    const float *y, *y_plain;
    assert_int_equal(nn_net_forward(plain, x, B, &y_plain), NN_OK);
    memcpy(reference, y_plain, sizeof reference);

    nn_net_set_training(net, false);
    assert_int_equal(nn_net_forward(net, x, B, &y), NN_OK);
    assert_memory_equal(y, reference, sizeof reference);

    nn_net_set_training(net, true);
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(nn_net_forward(net, x, B, &y), NN_OK);
        int zeros = 0;
        for (int i = 0; i < B * OUT; i++) {
            if (y[i] == 0.0f) {
                zeros++;
            } else {
                float scaled = reference[i] * (1.0f / (1.0f - p));
                assert_close(&y[i], &scaled, 1, 1e-6, 0);
            }
        }
        /* binomial(8000, 0.3): std 0.005, so ±0.03 is six of them */
        assert_near((double)zeros / (B * OUT), p, 0.03);
        if (pass == 0)
            memcpy(first_train, y, sizeof first_train);
    }
    assert_true(memcmp(first_train, y, sizeof first_train) != 0);

    /* In eval mode backward passes dy straight through the dropout layer. */
    nn_net_set_training(net, false);
    static float dy[B * OUT];
    fill_random(dy, B * OUT, -1, 1, 13);
    assert_int_equal(nn_net_forward(net, x, B, &y), NN_OK);
    assert_int_equal(nn_net_backward(net, dy), NN_OK);
    assert_int_equal(nn_net_backward(plain, dy), NN_OK);
    assert_memory_equal(nn_net_grads(net), nn_net_grads(plain), nn_net_param_count(net) * sizeof(float));
    nn_net_free(net);
    nn_net_free(plain);
}

static void test_same_seed_same_net_different_seed_differs(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {LINEAR(30, 20), ACT(NN_LAYER_RELU), DROPOUT(0.5f), LINEAR(20, 5)};
    nn_net *a = create_or_fail(layers, COUNT(layers), 42), *b = create_or_fail(layers, COUNT(layers), 42);
    nn_net *c = create_or_fail(layers, COUNT(layers), 43);
    size_t n = nn_net_param_count(a);
    assert_memory_equal(nn_net_params(a), nn_net_params(b), n * sizeof(float));
    size_t differ = 0;
    for (size_t i = 0; i < n; i++)
        differ += nn_net_params(a)[i] != nn_net_params(c)[i];
    assert_true(differ > n * 99 / 100);

    float x[8 * 30];
    fill_random(x, 8 * 30, -1, 1, 1);
    const float *ya, *yb, *yc;
    for (int pass = 0; pass < 2; pass++) { /* training mode: the dropout masks too */
        assert_int_equal(nn_net_forward(a, x, 8, &ya), NN_OK);
        assert_int_equal(nn_net_forward(b, x, 8, &yb), NN_OK);
        assert_int_equal(nn_net_forward(c, x, 8, &yc), NN_OK);
        assert_memory_equal(ya, yb, 8 * 5 * sizeof(float));
        assert_true(memcmp(ya, yc, 8 * 5 * sizeof(float)) != 0);
    }
    nn_net_free(a);
    nn_net_free(b);
    nn_net_free(c);
}

/* The default init draws, from PCG32 (seed, NN_STREAM_INIT), W then b of each
 * Linear in layer order, each ~ U(±1/√in): replay that sequence here. */
static void test_torch_init_sequence(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {LINEAR(9, 4), ACT(NN_LAYER_SIGMOID), LINEAR(4, 3)};
    nn_net *net = create_or_fail(layers, COUNT(layers), 2024);
    nn_rng rng;
    nn_rng_seed(&rng, 2024, NN_STREAM_INIT);
    const float *params = nn_net_params(net);
    size_t k = 0;
    for (int l = 0; l < 3; l += 2) {
        float bound = (float)(1.0 / sqrt((double)layers[l].in_features));
        size_t n = (size_t)(layers[l].in_features + 1) * layers[l].out_features;
        for (size_t i = 0; i < n; i++, k++) {
            float expected = nn_rng_range(&rng, -bound, bound);
            assert_true(params[k] == expected);
            assert_true(fabsf(params[k]) <= bound);
        }
    }
    assert_int_equal(k, nn_net_param_count(net));
    nn_net_free(net);
}

/* Xavier and Kaiming: W within (uniform) or with the std of (normal) the
 * header's formula, b all zero; a wrong fan or factor moves the std by > 10%. */
static void test_xavier_and_kaiming_init(void **state)
{
    (void)state;
    enum { IN = 400, OUT = 300 };
    const struct {
        nn_init init;
        double bound, std;
    } cases[] = {
        {NN_INIT_XAVIER_UNIFORM, sqrt(6.0 / (IN + OUT)), sqrt(6.0 / (IN + OUT)) / sqrt(3.0)},
        {NN_INIT_XAVIER_NORMAL, 0, sqrt(2.0 / (IN + OUT))},
        {NN_INIT_KAIMING_UNIFORM, sqrt(6.0 / IN), sqrt(6.0 / IN) / sqrt(3.0)},
        {NN_INIT_KAIMING_NORMAL, 0, sqrt(2.0 / IN)},
        {NN_INIT_TORCH, 1.0 / sqrt(IN), 1.0 / sqrt(IN) / sqrt(3.0)},
    };
    for (int c = 0; c < COUNT(cases); c++) {
        nn_layer_spec layer = {.kind = NN_LAYER_LINEAR, .in_features = IN, .out_features = OUT,
                               .init = cases[c].init};
        nn_net *net = create_or_fail(&layer, 1, 5);
        const float *W = nn_net_params(net), *b = W + nn_net_bias_offset(net, 0);
        double sum = 0, sum2 = 0;
        for (int i = 0; i < IN * OUT; i++) {
            if (cases[c].bound > 0)
                assert_true(fabs(W[i]) <= cases[c].bound);
            sum += W[i];
            sum2 += (double)W[i] * W[i];
        }
        double mean = sum / (IN * OUT), std = sqrt(sum2 / (IN * OUT) - mean * mean);
        assert_near(mean, 0.0, 0.02 * cases[c].std);
        assert_near(std / cases[c].std, 1.0, 0.02);
        int zero_bias = 0;
        for (int o = 0; o < OUT; o++)
            zero_bias += b[o] == 0.0f;
        assert_int_equal(zero_bias, cases[c].init == NN_INIT_TORCH ? 0 : OUT);
        nn_net_free(net);
    }
}

static void test_zero_grad_and_backward_accumulates(void **state)
{
    (void)state;
    enum { B = 6 };
    const nn_layer_spec layers[] = {LINEAR(5, 8), ACT(NN_LAYER_TANH), DROPOUT(0.25f), LINEAR(8, 3),
                                    ACT(NN_LAYER_SIGMOID)};
    nn_net *net = create_or_fail(layers, COUNT(layers), 9);
    size_t n = nn_net_param_count(net);
    float x[B * 5], dy[B * 3], *once = malloc(n * sizeof(float));
    fill_random(x, B * 5, -1, 1, 20);
    fill_random(dy, B * 3, -1, 1, 21);
    const float *y;
    assert_int_equal(nn_net_forward(net, x, B, &y), NN_OK);
    assert_int_equal(nn_net_backward(net, dy), NN_OK);
    memcpy(once, nn_net_grads(net), n * sizeof(float));
    size_t nonzero = 0;
    for (size_t i = 0; i < n; i++)
        nonzero += once[i] != 0.0f;
    assert_true(nonzero > n / 2);

    nn_net_zero_grad(net);
    for (size_t i = 0; i < n; i++)
        assert_true(nn_net_grads(net)[i] == 0.0f);

    /* Two backwards through the same forward (same dropout mask) add up. */
    assert_int_equal(nn_net_backward(net, dy), NN_OK);
    assert_memory_equal(nn_net_grads(net), once, n * sizeof(float));
    assert_int_equal(nn_net_backward(net, dy), NN_OK);
    for (size_t i = 0; i < n; i++)
        once[i] *= 2.0f;
    assert_close(nn_net_grads(net), once, n, 1e-5, 1e-7);
    free(once);
    nn_net_free(net);
}

/* nn_net_grad_norm over the whole gradient buffer for p = 1, 2, 3 and
 * infinity (hand-computed from grads 3, -4, 0...), NaN for p <= 0; and
 * nn_net_scale_grads multiplies every gradient. */
static void test_grad_norm_and_scale(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {LINEAR(2, 2)};
    nn_net *net = create_or_fail(layers, COUNT(layers), 1);
    assert_int_equal(nn_net_param_count(net), 6);
    assert_true(nn_net_grad_norm(net, 2.0) == 0.0);
    float *g = nn_net_grads(net);
    g[0] = 3.0f;
    g[5] = -4.0f;
    assert_true(nn_net_grad_norm(net, 2.0) == 5.0);
    assert_true(nn_net_grad_norm(net, 1.0) == 7.0);
    assert_true(nn_net_grad_norm(net, INFINITY) == 4.0);
    assert_true(fabs(nn_net_grad_norm(net, 3.0) - cbrt(91.0)) < 1e-12);
    assert_true(isnan(nn_net_grad_norm(net, 0.0)));
    assert_true(isnan(nn_net_grad_norm(net, -1.0)));
    nn_net_scale_grads(net, 0.5f);
    assert_true(g[0] == 1.5f && g[5] == -2.0f && g[1] == 0.0f);
    assert_true(nn_net_grad_norm(net, 2.0) == 2.5);
    nn_net_free(net);
}

/* The whole net (forward and backward) through the scalar table and through
 * the active one (AVX2 where the CPU has it): the same bits (nn_kernels.h). */
static void test_scalar_and_active_kernels_agree(void **state)
{
    (void)state;
    enum { B = 37, IN = 97, H = 65, OUT = 10 };
    const nn_layer_spec layers[] = {LINEAR(IN, H), ACT(NN_LAYER_SIGMOID), LINEAR(H, 33), ACT(NN_LAYER_RELU),
                                    LINEAR(33, OUT)};
    nn_net *net = create_or_fail(layers, COUNT(layers), 77);
    nn_net_set_training(net, false);
    size_t n = nn_net_param_count(net);
    static float x[B * IN], dy[B * OUT], y_scalar[B * OUT];
    float *g_scalar = malloc(n * sizeof(float));
    fill_random(x, B * IN, -1, 1, 30);
    fill_random(dy, B * OUT, -1, 1, 31);
    const float *y;

    nn_net_set_kernels(net, nn_kernels_scalar());
    assert_int_equal(nn_net_forward(net, x, B, &y), NN_OK);
    memcpy(y_scalar, y, sizeof y_scalar);
    assert_int_equal(nn_net_backward(net, dy), NN_OK);
    memcpy(g_scalar, nn_net_grads(net), n * sizeof(float));

    nn_net_zero_grad(net);
    nn_net_set_kernels(net, nn_kernels_active());
    assert_int_equal(nn_net_forward(net, x, B, &y), NN_OK);
    assert_int_equal(nn_net_backward(net, dy), NN_OK);
    assert_memory_equal(y, y_scalar, sizeof y_scalar);
    assert_memory_equal(nn_net_grads(net), g_scalar, n * sizeof(float));
    free(g_scalar);
    nn_net_free(net);
}

/* A kernel table that records its calls and delegates to the scalar one. */
static struct {
    int forward, act_forward, act_backward, backward_input, backward_weights;
    nn_act forward_acts[8];
    int misaligned_scratch;
} spy;

static void spy_forward(float *Y, const float *X, const float *W, const float *b, int B, int I, int O,
                        nn_act act, float slope, float *scratch)
{
    spy.forward_acts[spy.forward++ % 8] = act;
    spy.misaligned_scratch += scratch == NULL || (uintptr_t)scratch % 64 != 0;
    nn_kernels_scalar()->forward(Y, X, W, b, B, I, O, act, slope, scratch);
}

static void spy_backward_input(float *dX, const float *dY, const float *W, int B, int I, int O, float *scratch)
{
    spy.backward_input++;
    nn_kernels_scalar()->backward_input(dX, dY, W, B, I, O, scratch);
}

static void spy_backward_weights(float *dW, float *db, const float *dY, const float *X, int B, int I, int O,
                                 float *scratch)
{
    spy.backward_weights++;
    nn_kernels_scalar()->backward_weights(dW, db, dY, X, B, I, O, scratch);
}

static void spy_act_forward(float *y, const float *x, size_t n, nn_act act, float slope)
{
    spy.act_forward++;
    nn_kernels_scalar()->act_forward(y, x, n, act, slope);
}

static void spy_act_backward(float *dx, const float *dy, const float *y, size_t n, nn_act act, float slope)
{
    spy.act_backward++;
    nn_kernels_scalar()->act_backward(dx, dy, y, n, act, slope);
}

static const nn_dense_kernels spy_kernels = {
    .name = "spy",
    .forward = spy_forward,
    .backward_input = spy_backward_input,
    .backward_weights = spy_backward_weights,
    .act_forward = spy_act_forward,
    .act_backward = spy_act_backward,
};

/* A Linear's following activation runs inside its forward kernel; an
 * activation after a Dropout runs on its own; backward computes no input
 * gradient for the first Linear. */
static void test_fusion_and_first_layer_skip(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {LINEAR(4, 5), ACT(NN_LAYER_SIGMOID), DROPOUT(0.5f), ACT(NN_LAYER_RELU),
                                    LINEAR(5, 3), ACT(NN_LAYER_TANH)};
    nn_net *net = create_or_fail(layers, COUNT(layers), 4);
    nn_net_set_kernels(net, &spy_kernels);
    memset(&spy, 0, sizeof spy);
    float x[2 * 4] = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f}, dy[2 * 3] = {1, -1, 1, -1, 1, -1};
    const float *y;
    assert_int_equal(nn_net_forward(net, x, 2, &y), NN_OK);
    assert_int_equal(spy.forward, 2);
    assert_int_equal(spy.forward_acts[0], NN_ACT_SIGMOID);
    assert_int_equal(spy.forward_acts[1], NN_ACT_TANH);
    assert_int_equal(spy.act_forward, 1);
    assert_int_equal(spy.misaligned_scratch, 0);
    assert_int_equal(nn_net_backward(net, dy), NN_OK);
    assert_int_equal(spy.act_backward, 3);
    assert_int_equal(spy.backward_weights, 2);
    assert_int_equal(spy.backward_input, 1);
    nn_net_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_param_count_and_layout_784_64_10),
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_unknown_names_are_errors),
        cmocka_unit_test(test_shape_mismatch_names_both_layers),
        cmocka_unit_test(test_invalid_specs_are_rejected),
        cmocka_unit_test(test_forward_matches_naive_double),
        cmocka_unit_test(test_buffers_are_reused),
        cmocka_unit_test(test_bad_calls_are_errors),
        cmocka_unit_test(test_dropout_eval_identity_and_train_scaling),
        cmocka_unit_test(test_same_seed_same_net_different_seed_differs),
        cmocka_unit_test(test_torch_init_sequence),
        cmocka_unit_test(test_xavier_and_kaiming_init),
        cmocka_unit_test(test_zero_grad_and_backward_accumulates),
        cmocka_unit_test(test_grad_norm_and_scale),
        cmocka_unit_test(test_scalar_and_active_kernels_agree),
        cmocka_unit_test(test_fusion_and_first_layer_skip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
