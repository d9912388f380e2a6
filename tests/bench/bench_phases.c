/* Where an epoch's time goes: one training epoch of the seed model (784-64-10
 * Sigmoid, SGD lr 0.01, batch 32), of the larger one (784-256-10 ReLU, Adam
 * lr 1e-3, batch 128) and of a wide one (784-4096-10, Adam, batch 512: the
 * scaling table's row where the weights outgrow the caches) on Fashion-MNIST,
 * driven phase by phase through the engine's public calls, each phase timed
 * with CLOCK_MONOTONIC, then nn_train_epoch and nn_evaluate as a whole for
 * comparison.
 *
 *   bench_phases [data-dir] [epochs] [wall|cpu] [seed|large|wide|all]
 *                [threads] [batch] [hidden]
 *                (default /usr/share/datasets/fashion-mnist, 3, wall, all, 1;
 *                batch and hidden, when given, replace the chosen models' own)
 *
 * Under callgrind, for instruction counts by function (a folder of raw IDX
 * files keeps zlib out of the counts):
 *   valgrind --tool=callgrind bench_phases DIR 1 wall seed
 *
 * A profile by phase, to read beside `valgrind --tool=callgrind` instruction
 * counts (perf's hardware counters are not readable on every machine).
 *
 * The per-phase figures carry the clock's own cost (~25 ns per reading, 6
 * readings per batch); the whole-epoch line does not. Best epoch of `epochs`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn_data.h"
#include "nn_loss.h"
#include "nn_net.h"
#include "nn_optim.h"
#include "nn_threads.h"
#include "nn_train.h"

/* CLOCK_MONOTONIC, or this thread's CPU time with the argument `cpu` (steadier
 * on a machine shared with other work: time spent descheduled is not counted,
 * though caches disturbed by the others still are). */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(bench_clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

enum { PH_GATHER, PH_FORWARD, PH_LOSS, PH_ZERO, PH_BACKWARD, PH_STEP, N_PHASES };
static const char *const phase_names[N_PHASES] = {"gather (loader)", "forward",
                                                  "loss + dloss",    "zero_grad",
                                                  "backward",        "optimizer step"};

/* The training loop's zero_grad + backward: nn_net_backward_fresh overwrites the
 * gradients in one pass (zero_grad then shows ~0). Built against an engine
 * without it (-DBENCH_ZERO_THEN_ADD), the two calls. */
static nn_status backward_step(nn_net *net, const float *dout, double *t_zero)
{
    double t0 = now_seconds();
#ifdef BENCH_ZERO_THEN_ADD
    nn_net_zero_grad(net);
    *t_zero = now_seconds() - t0;
    return nn_net_backward(net, dout);
#else
    *t_zero = now_seconds() - t0;
    return nn_net_backward_fresh(net, dout);
#endif
}

typedef struct model_case {
    const char *name;
    int hidden;
    nn_layer_kind act;
    nn_optim_kind optim;
    float lr;
    uint32_t batch;
} model_case;

static void die(nn_status st)
{
    fprintf(stderr, "bench_phases: %s\n", nn_error_message());
    exit(st == NN_OK ? 1 : (int)st);
}

static void run_case(const model_case *mc, const nn_dataset *train, const nn_dataset *test,
                     int epochs)
{
    nn_layer_spec layers[3] = {
        {.kind = NN_LAYER_LINEAR, .in_features = 784, .out_features = mc->hidden},
        {.kind = mc->act},
        {.kind = NN_LAYER_LINEAR, .in_features = mc->hidden, .out_features = 10},
    };
    nn_net *net;
    nn_optim *opt;
    nn_loader *loader, *test_loader;
    nn_status st;
    if ((st = nn_net_create(&net, layers, 3, 1)) != NN_OK)
        die(st);
    nn_optim_config oc = nn_optim_defaults(mc->optim);
    oc.lr = mc->lr;
    if ((st = nn_optim_create(&opt, &oc, nn_net_param_count(net))) != NN_OK)
        die(st);
    nn_loader_config lc = {.batch_size = mc->batch, .shuffle = 1, .seed = 1};
    if ((st = nn_loader_create(&loader, train, NULL, &lc)) != NN_OK)
        die(st);
    nn_loader_config tc = {.batch_size = mc->batch}, tc_large = {.batch_size = 1000};
    nn_loader *test_loader_large;
    if ((st = nn_loader_create(&test_loader, test, NULL, &tc)) != NN_OK ||
        (st = nn_loader_create(&test_loader_large, test, NULL, &tc_large)) != NN_OK)
        die(st);

    size_t n_out = (size_t)mc->batch * 10;
    float *dout = malloc(n_out * sizeof *dout);
    double best[N_PHASES], best_total = 1e30;
    for (int p = 0; p < N_PHASES; p++)
        best[p] = 1e30;
    for (int e = 0; e < epochs; e++) {
        double t[N_PHASES] = {0}, start = now_seconds();
        nn_loader_start_epoch(loader, (uint32_t)e);
        const float *x, *out;
        const int32_t *y;
        uint32_t B;
        for (;;) {
            double t0 = now_seconds();
            if (!nn_loader_next(loader, &x, &y, &B))
                break;
            double t1 = now_seconds();
            float loss;
            int correct;
            if ((st = nn_net_forward(net, x, (int)B, &out)) != NN_OK)
                die(st);
            double t2 = now_seconds();
            if ((st = nn_cross_entropy(out, y, (int)B, 10, &loss, dout, &correct)) != NN_OK)
                die(st);
            double t3 = now_seconds(), t_zero;
            if ((st = backward_step(net, dout, &t_zero)) != NN_OK)
                die(st);
            double t5 = now_seconds(), t4 = t3 + t_zero;
            nn_optim_step(opt, nn_net_params(net), nn_net_grads(net));
            double t6 = now_seconds();
            t[PH_GATHER] += t1 - t0, t[PH_FORWARD] += t2 - t1, t[PH_LOSS] += t3 - t2;
            t[PH_ZERO] += t4 - t3, t[PH_BACKWARD] += t5 - t4, t[PH_STEP] += t6 - t5;
        }
        double total = now_seconds() - start;
        if (total < best_total) {
            best_total = total;
            for (int p = 0; p < N_PHASES; p++)
                best[p] = t[p];
        }
    }

    double whole = 1e30, eval = 1e30, eval_large = 1e30;
    nn_pass_stats s;
    for (int e = 0; e < epochs; e++) { /* s.seconds is wall time: timed here instead */
        double t0 = now_seconds();
        if ((st = nn_train_epoch(net, NN_LOSS_CROSS_ENTROPY, opt, loader, (uint32_t)e, NULL, &s)) != NN_OK)
            die(st);
        double t1 = now_seconds();
        if ((st = nn_evaluate(net, NN_LOSS_CROSS_ENTROPY, test_loader, NULL, &s)) != NN_OK)
            die(st);
        double t2 = now_seconds();
        if ((st = nn_evaluate(net, NN_LOSS_CROSS_ENTROPY, test_loader_large, NULL, &s)) != NN_OK)
            die(st);
        double t3 = now_seconds();
        whole = t1 - t0 < whole ? t1 - t0 : whole;
        eval = t2 - t1 < eval ? t2 - t1 : eval;
        eval_large = t3 - t2 < eval_large ? t3 - t2 : eval_large;
    }

    uint32_t batches = nn_loader_batches(loader);
    printf("\n%s, as run: hidden %d, %u batches of %u, simd %s, %d thread(s) (best of %d epochs, %s)\n\n",
           mc->name, mc->hidden, batches, mc->batch, nn_kernels_active()->name, nn_threads_get(), epochs,
           bench_clock == CLOCK_MONOTONIC ? "wall clock" : "thread CPU time");
    printf("| phase | ms per epoch | us per batch | share |\n|---|---|---|---|\n");
    double sum = 0;
    for (int p = 0; p < N_PHASES; p++)
        sum += best[p];
    for (int p = 0; p < N_PHASES; p++)
        printf("| %s | %.1f | %.2f | %.1f %% |\n", phase_names[p], 1e3 * best[p],
               1e6 * best[p] / batches, 100 * best[p] / sum);
    printf("| sum of phases | %.1f | %.2f | 100 %% |\n", 1e3 * sum, 1e6 * sum / batches);
    printf("| nn_train_epoch (whole) | %.1f | %.2f | |\n", 1e3 * whole, 1e6 * whole / batches);
    printf("| nn_evaluate, test set, batch %u | %.1f | | |\n", mc->batch, 1e3 * eval);
    printf("| nn_evaluate, test set, batch 1000 | %.1f | | |\n", 1e3 * eval_large);

    free(dout);
    nn_loader_free(test_loader_large);
    nn_loader_free(test_loader);
    nn_loader_free(loader);
    nn_optim_free(opt);
    nn_net_free(net);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int epochs = argc > 2 ? atoi(argv[2]) : 3;
    if (epochs < 1)
        epochs = 1;
    if (argc > 3 && strcmp(argv[3], "cpu") == 0)
        bench_clock = CLOCK_THREAD_CPUTIME_ID;
    nn_dataset train, test;
    nn_status st;
    if (argc > 5 && (st = nn_threads_set(atoi(argv[5]))) != NN_OK)
        die(st);
    if ((st = nn_dataset_load_dir(&train, dir, 1)) != NN_OK ||
        (st = nn_dataset_load_dir(&test, dir, 0)) != NN_OK)
        die(st);
    static model_case cases[] = {
        {"seed 784-64-10 Sigmoid SGD lr 0.01", 64, NN_LAYER_SIGMOID, NN_OPTIM_SGD, 0.01f, 32},
        {"large 784-256-10 ReLU Adam lr 1e-3", 256, NN_LAYER_RELU, NN_OPTIM_ADAM, 1e-3f, 128},
        {"wide 784-4096-10 ReLU Adam lr 1e-3", 4096, NN_LAYER_RELU, NN_OPTIM_ADAM, 1e-3f, 512},
    };
    const char *only = argc > 4 ? argv[4] : "all";
    int batch = argc > 6 ? atoi(argv[6]) : 0, hidden = argc > 7 ? atoi(argv[7]) : 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (batch > 0)
            cases[i].batch = (uint32_t)batch;
        if (hidden > 0)
            cases[i].hidden = hidden;
        if (strcmp(only, "all") == 0 || strncmp(cases[i].name, only, strlen(only)) == 0)
            run_case(&cases[i], &train, &test, epochs);
    }
    nn_dataset_free(&train);
    nn_dataset_free(&test);
    return 0;
}
