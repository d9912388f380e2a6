/* Every kernel path trains the same bits: small nets with odd layer sizes,
 * every activation (and none), dropout, every optimizer (SGD plain, with
 * momentum and dampening, Nesterov, weight decay; Adam; AdamW), every LR
 * schedule and both classification losses, several epochs on random data,
 * trained once per kernel table (scalar, AVX2, AVX-512: those this CPU and
 * build run; the others skipped with the reason printed) on 1 and 3 threads.
 * The final weights, each epoch's loss and hits are compared bit for bit with
 * the scalar path on 1 thread. test_kernels.c holds each entry to the same
 * promise; this checks that nothing between the kernels (the layers, the
 * optimizers, the thread split) depends on the path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "nn_data.h"
#include "nn_kernels.h"
#include "nn_optim.h"
#include "nn_threads.h"
#include "nn_train.h"
#include "test_util.h"

static uint32_t lcg(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

enum { SAMPLES = 289, EPOCHS = 4, MAX_FEATURES = 37 }; /* 18 batches of 16, then 1 */

/* `samples` random images of `features` bytes with labels in [0, classes). */
static nn_dataset make_dataset(int features, int classes, uint32_t seed)
{
    static uint8_t images[2][SAMPLES * MAX_FEATURES];
    static uint16_t labels[2][SAMPLES];
    int slot = features == MAX_FEATURES;
    for (int i = 0; i < SAMPLES * features; i++)
        images[slot][i] = (uint8_t)(lcg(&seed) >> 24);
    for (int i = 0; i < SAMPLES; i++)
        labels[slot][i] = (uint16_t)((lcg(&seed) >> 16) % (uint32_t)classes);
    nn_dataset ds = {.images = images[slot], .labels = labels[slot], .count = SAMPLES,
                     .rows = 1, .cols = features, .n_classes = classes};
    ds.checksum = nn_dataset_checksum(&ds);
    return ds;
}

#define LINEAR(i, o) {.kind = NN_LAYER_LINEAR, .in_features = (i), .out_features = (o)}
#define LAYER(k) {.kind = (k)}
#define LEAKY(s) {.kind = NN_LAYER_LEAKY_RELU, .slope = (s)}
#define DROPOUT(q) {.kind = NN_LAYER_DROPOUT, .p = (q)}

/* One net, loss, optimizer and schedule; every activation, dropout, optimizer
 * variant, schedule and loss appears in some config. */
typedef struct config {
    const char *what;
    nn_layer_spec layers[8];
    int n_layers, features, classes;
    nn_loss_kind loss;
    nn_optim_config optim;
    nn_schedule schedule;
} config;

static config make_config(int which)
{
    config c = {0};
    switch (which) {
    case 0: {
        nn_layer_spec l[] = {LINEAR(37, 19), LAYER(NN_LAYER_SIGMOID), LINEAR(19, 13),
                             LAYER(NN_LAYER_RELU), DROPOUT(0.2f), LINEAR(13, 7)};
        c = (config){.what = "37-19-13-7 sigmoid relu dropout, SGD, constant", .n_layers = 6,
                     .features = 37, .classes = 7, .loss = NN_LOSS_CROSS_ENTROPY};
        memcpy(c.layers, l, sizeof l);
        c.optim = nn_optim_defaults(NN_OPTIM_SGD);
        c.optim.lr = 0.1f;
        c.schedule = (nn_schedule){.kind = NN_SCHEDULE_CONSTANT};
        break;
    }
    case 1: {
        nn_layer_spec l[] = {LINEAR(37, 19), LAYER(NN_LAYER_TANH), LINEAR(19, 13), LEAKY(0.05f),
                             LINEAR(13, 7)};
        c = (config){.what = "37-19-13-7 tanh leaky, SGD momentum dampening decay, step",
                     .n_layers = 5, .features = 37, .classes = 7,
                     .loss = NN_LOSS_CROSS_ENTROPY};
        memcpy(c.layers, l, sizeof l);
        c.optim = nn_optim_defaults(NN_OPTIM_SGD);
        c.optim.lr = 0.05f, c.optim.momentum = 0.9f, c.optim.dampening = 0.1f;
        c.optim.weight_decay = 1e-3f;
        c.schedule = (nn_schedule){.kind = NN_SCHEDULE_STEP, .step_size = 2, .gamma = 0.5f};
        break;
    }
    case 2: {
        nn_layer_spec l[] = {LINEAR(29, 5), LEAKY(0.2f), DROPOUT(0.3f), LINEAR(5, 11)};
        c = (config){.what = "29-5-11 leaky dropout, SGD Nesterov decay, exponential",
                     .n_layers = 4, .features = 29, .classes = 11,
                     .loss = NN_LOSS_CROSS_ENTROPY};
        memcpy(c.layers, l, sizeof l);
        c.optim = nn_optim_defaults(NN_OPTIM_SGD);
        c.optim.lr = 0.05f, c.optim.momentum = 0.9f, c.optim.nesterov = true;
        c.optim.weight_decay = 5e-4f;
        c.schedule = (nn_schedule){.kind = NN_SCHEDULE_EXPONENTIAL, .gamma = 0.9f};
        break;
    }
    case 3: {
        nn_layer_spec l[] = {LINEAR(29, 5), LAYER(NN_LAYER_TANH), LINEAR(5, 11),
                             LAYER(NN_LAYER_SIGMOID)};
        c = (config){.what = "29-5-11 tanh sigmoid, Adam decay, cosine, MSE one-hot",
                     .n_layers = 4, .features = 29, .classes = 11, .loss = NN_LOSS_MSE_ONEHOT};
        memcpy(c.layers, l, sizeof l);
        c.optim = nn_optim_defaults(NN_OPTIM_ADAM);
        c.optim.lr = 3e-3f, c.optim.weight_decay = 1e-4f;
        c.schedule = (nn_schedule){.kind = NN_SCHEDULE_COSINE, .t_max = EPOCHS, .eta_min = 1e-4f};
        break;
    }
    default: { /* two Linears back to back: a Linear with no activation inside */
        nn_layer_spec l[] = {LINEAR(37, 19), LINEAR(19, 13), LAYER(NN_LAYER_RELU), DROPOUT(0.1f),
                             LINEAR(13, 7), LAYER(NN_LAYER_TANH)};
        c = (config){.what = "37-19-13-7 none relu dropout tanh, AdamW, cosine", .n_layers = 6,
                     .features = 37, .classes = 7, .loss = NN_LOSS_CROSS_ENTROPY};
        memcpy(c.layers, l, sizeof l);
        c.optim = nn_optim_defaults(NN_OPTIM_ADAMW);
        c.optim.lr = 2e-3f;
        c.schedule = (nn_schedule){.kind = NN_SCHEDULE_COSINE, .t_max = 2, .eta_min = 0.0f};
        break;
    }
    }
    return c;
}
enum { CONFIGS = 5 };

/* What a training run leaves: weights, and each epoch's loss and hits. */
typedef struct outcome {
    float *params;
    size_t n_params;
    double loss[EPOCHS];
    uint64_t correct[EPOCHS];
} outcome;

static outcome train(const config *c, const nn_dense_kernels *k)
{
    nn_dataset ds = make_dataset(c->features, c->classes, 11);
    nn_net *net = NULL;
    nn_optim *opt = NULL;
    nn_loader *loader = NULL;
    assert_int_equal(nn_net_create(&net, c->layers, c->n_layers, 42), NN_OK);
    nn_net_set_kernels(net, k);
    assert_int_equal(nn_optim_create(&opt, &c->optim, nn_net_param_count(net)), NN_OK);
    nn_loader_config lc = {.batch_size = 16, .shuffle = 1, .seed = 7}; 
    assert_int_equal(nn_loader_create(&loader, &ds, NULL, &lc), NN_OK);
    outcome out = {.n_params = nn_net_param_count(net)};
    for (int e = 0; e < EPOCHS; e++) {
        nn_optim_set_lr(opt, nn_schedule_lr(&c->schedule, c->optim.lr, e));
        nn_pass_stats stats;
        assert_int_equal(nn_train_epoch(net, c->loss, opt, loader, (uint32_t)e, NULL, &stats),
                         NN_OK);
        assert_int_equal(stats.diverged, 0);
        out.loss[e] = stats.loss;
        out.correct[e] = stats.correct;
    }
    out.params = malloc(out.n_params * sizeof(float));
    assert_non_null(out.params);
    memcpy(out.params, nn_net_params(net), out.n_params * sizeof(float));
    nn_loader_free(loader);
    nn_optim_free(opt);
    nn_net_free(net);
    return out;
}

static void assert_same_outcome(const outcome *got, const outcome *ref, const config *c,
                                const char *path, int threads)
{
    assert_int_equal(got->n_params, ref->n_params);
    for (size_t i = 0; i < ref->n_params; i++)
        if (memcmp(got->params + i, ref->params + i, sizeof(float)) != 0) {
            print_error("%s, %s on %d thread(s): parameter %zu of %zu: %.9g vs scalar %.9g\n",
                        c->what, path, threads, i, ref->n_params, (double)got->params[i],
                        (double)ref->params[i]);
            fail();
        }
    assert_memory_equal(got->loss, ref->loss, sizeof ref->loss);
    assert_memory_equal(got->correct, ref->correct, sizeof ref->correct);
}

static void test_every_path_trains_the_same_bits(void **state)
{
    (void)state;
    const nn_dense_kernels *paths[3] = {nn_kernels_scalar()};
    int n_paths = 1;
    if (nn_kernels_avx2())
        paths[n_paths++] = nn_kernels_avx2();
    else
        printf("avx2: skipped: this CPU (or its OS) lacks AVX2, FMA or YMM state\n");
    nn_cpu_features cpu = nn_cpu_features_detect();
    if (nn_kernels_avx512())
        paths[n_paths++] = nn_kernels_avx512();
    else if (cpu.avx512f && cpu.os_zmm && cpu.avx2 && cpu.fma)
        printf("avx512: skipped: this build has no AVX-512 kernels (nn_kernels_avx512() is NULL)\n");
    else
        printf("avx512: skipped: this CPU (or its OS) lacks AVX-512F, AVX2, FMA or ZMM state\n");
    printf("compared with scalar on 1 thread: scalar on 3 threads");
    for (int p = 1; p < n_paths; p++)
        printf(", %s on 1 and 3 threads", paths[p]->name);
    printf("\n");
    fflush(stdout);

    for (int which = 0; which < CONFIGS; which++) {
        config c = make_config(which);
        assert_int_equal(nn_threads_set(1), NN_OK);
        outcome ref = train(&c, paths[0]);
        assert_true(ref.loss[EPOCHS - 1] < ref.loss[0]); /* it learns */
        for (int p = 0; p < n_paths; p++)
            for (int threads = 1; threads <= 3; threads += 2) {
                if (p == 0 && threads == 1)
                    continue;
                assert_int_equal(nn_threads_set(threads), NN_OK);
                outcome got = train(&c, paths[p]);
                assert_same_outcome(&got, &ref, &c, paths[p]->name, threads);
                free(got.params);
            }
        free(ref.params);
    }
}

static int setup(void **state)
{
    (void)state;
    nn_threads_set_min_flops(0); /* split these small models' every call */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nn_threads_set_min_flops(-1);
    assert_int_equal(nn_threads_set(1), NN_OK);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_path_trains_the_same_bits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
