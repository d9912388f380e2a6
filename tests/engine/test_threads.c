/* Threads inside one run (nn_threads.h): the kernels' column ranges give the
 * whole call's bits, and training gives bit-identical weights, losses and
 * accuracies on 1, 2 and 3 threads (odd layer sizes, every activation,
 * dropout, every optimizer, a schedule, several epochs), also when two
 * threads share the pool and in a child forked after the pool started; the
 * caller runs every call's first part.
 * The split threshold is set to 0 so that these small models are split. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sys/wait.h>
#include <threads.h>
#include <unistd.h>

#include "nn_data.h"
#include "nn_kernels.h"
#include "nn_mem.h"
#include "nn_optim.h"
#include "nn_threads.h"
#include "nn_train.h"
#include "test_util.h"

static uint32_t lcg(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

static void fill(float *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(lcg(&seed) >> 8) / 8388608.0f - 1.0f;
}

/* ---- kernels: column ranges -------------------------------------------------- */

typedef struct shape {
    int B, I, O;
} shape;

static const shape odd_shapes[] = {{1, 1, 1},    {3, 37, 29},  {7, 29, 11}, {13, 101, 53},
                                   {33, 53, 29}, {5, 200, 77}, {2, 9, 130}, {40, 131, 5}};

/* n cut into `parts` ranges at made-up points (not on any grain): cuts[0] = 0,
 * cuts[parts] = n. */
static void random_cuts(int *cuts, int parts, int n, uint32_t *seed)
{
    cuts[0] = 0;
    cuts[parts] = n;
    for (int p = 1; p < parts; p++) {
        int c = (int)(lcg(seed) % (uint32_t)(n + 1));
        cuts[p] = c < cuts[p - 1] ? cuts[p - 1] : c;
    }
}

static void check_table_cols(const nn_dense_kernels *k)
{
    uint32_t seed = 99;
    enum { PARTS = 3 };
    for (size_t s = 0; s < sizeof odd_shapes / sizeof odd_shapes[0]; s++) {
        int B = odd_shapes[s].B, I = odd_shapes[s].I, O = odd_shapes[s].O;
        size_t sf = nn_dense_scratch_floats(B, I, O);
        float *X = nn_alloc_floats((size_t)B * I), *W = nn_alloc_floats((size_t)O * I);
        float *b = nn_alloc_floats((size_t)O), *dY = nn_alloc_floats((size_t)B * O);
        float *whole = nn_alloc_floats((size_t)(B > O ? B : O) * I + O);
        float *split = nn_alloc_floats((size_t)(B > O ? B : O) * I + O);
        float *scratch = nn_alloc_floats(sf);
        fill(X, (size_t)B * I, 1 + (uint32_t)s);
        fill(W, (size_t)O * I, 2 + (uint32_t)s);
        fill(b, (size_t)O, 3 + (uint32_t)s);
        fill(dY, (size_t)B * O, 4 + (uint32_t)s);
        int cuts[PARTS + 1];
        for (nn_act act = NN_ACT_NONE; act <= NN_ACT_TANH; act++) {
            k->forward(whole, X, W, b, B, I, O, act, 0.1f, scratch);
            random_cuts(cuts, PARTS, O, &seed);
            for (int p = 0; p < PARTS; p++)
                k->forward_cols(split, X, W, b, B, I, O, act, 0.1f, cuts[p], cuts[p + 1], scratch);
            assert_memory_equal(whole, split, (size_t)B * O * sizeof(float));
        }
        k->backward_input(whole, dY, W, B, I, O, scratch);
        random_cuts(cuts, PARTS, I, &seed);
        for (int p = 0; p < PARTS; p++)
            k->backward_input_cols(split, dY, W, B, I, O, cuts[p], cuts[p + 1], scratch);
        assert_memory_equal(whole, split, (size_t)B * I * sizeof(float));
        for (int fresh = 0; fresh < 2; fresh++) {
            size_t n = (size_t)O * I;
            fill(whole, n + O, 5); /* accumulated into unless fresh */
            fill(split, n + O, 5);
            if (fresh)
                k->backward_weights_fresh(whole, whole + n, dY, X, B, I, O, scratch);
            else
                k->backward_weights(whole, whole + n, dY, X, B, I, O, scratch);
            random_cuts(cuts, PARTS, I, &seed);
            for (int p = 0; p < PARTS; p++)
                k->backward_weights_cols(split, p == 1 ? split + n : NULL, dY, X, B, I, O, cuts[p],
                                         cuts[p + 1], fresh, scratch);
            assert_memory_equal(whole, split, (n + O) * sizeof(float));
        }
        float *bufs[] = {X, W, b, dY, whole, split, scratch};
        for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
            nn_free(bufs[i]);
    }
}

static void test_column_ranges_give_the_whole_calls_bits(void **state)
{
    (void)state;
    check_table_cols(nn_kernels_scalar());
    if (nn_kernels_avx2())
        check_table_cols(nn_kernels_avx2());
    else
        print_message("avx2 column ranges skipped: this CPU lacks AVX2\n");
    if (nn_kernels_avx512())
        check_table_cols(nn_kernels_avx512());
    else
        print_message("avx512 column ranges skipped: this CPU or build lacks AVX-512F\n");
}

/* ---- training on 1, 2 and 3 threads ------------------------------------------ */

enum { SAMPLES = 150, FEATURES = 101, CLASSES = 11, EPOCHS = 3 };

static nn_dataset make_dataset(void)
{
    static uint8_t images[SAMPLES * FEATURES];
    static uint16_t labels[SAMPLES];
    uint32_t seed = 5;
    for (size_t i = 0; i < sizeof images; i++)
        images[i] = (uint8_t)(lcg(&seed) >> 24);
    for (int i = 0; i < SAMPLES; i++)
        labels[i] = (uint16_t)((lcg(&seed) >> 16) % CLASSES);
    nn_dataset ds = {.images = images, .labels = labels, .count = SAMPLES, .rows = 1,
                     .cols = FEATURES, .n_classes = CLASSES};
    ds.checksum = nn_dataset_checksum(&ds);
    return ds;
}

#define LINEAR(i, o) {.kind = NN_LAYER_LINEAR, .in_features = (i), .out_features = (o)}
#define LAYER(k) {.kind = (k)}

/* One model, optimizer and schedule; every activation, dropout, optimizer
 * and schedule appears in some config. */
typedef struct config {
    nn_layer_spec layers[8];
    int n_layers;
    nn_optim_config optim;
    nn_schedule schedule;
} config;

static config make_config(int which)
{
    config c = {0};
    nn_layer_spec dropout = {.kind = NN_LAYER_DROPOUT, .p = 0.25f};
    nn_layer_spec leaky = {.kind = NN_LAYER_LEAKY_RELU, .slope = 0.05f};
    switch (which) {
    case 0: {
        nn_layer_spec l[] = {LINEAR(FEATURES, 53), LAYER(NN_LAYER_SIGMOID), LINEAR(53, 29),
                             LAYER(NN_LAYER_RELU), dropout, LINEAR(29, CLASSES)};
        memcpy(c.layers, l, sizeof l);
        c.n_layers = 6;
        c.optim = nn_optim_defaults(NN_OPTIM_SGD);
        c.optim.lr = 0.05f, c.optim.momentum = 0.9f, c.optim.nesterov = true;
        c.optim.weight_decay = 1e-3f;
        c.schedule = (nn_schedule){.kind = NN_SCHEDULE_STEP, .step_size = 1, .gamma = 0.5f};
        break;
    }
    case 1: {
        nn_layer_spec l[] = {LINEAR(FEATURES, 53), LAYER(NN_LAYER_TANH), dropout, LINEAR(53, 29),
                             leaky, LINEAR(29, CLASSES)};
        memcpy(c.layers, l, sizeof l);
        c.n_layers = 6;
        c.optim = nn_optim_defaults(NN_OPTIM_ADAM);
        c.optim.weight_decay = 1e-4f;
        c.schedule = (nn_schedule){.kind = NN_SCHEDULE_COSINE, .t_max = EPOCHS, .eta_min = 1e-5f};
        break;
    }
    case 2: {
        nn_layer_spec l[] = {LINEAR(FEATURES, 37), LAYER(NN_LAYER_RELU), LINEAR(37, 29),
                             LAYER(NN_LAYER_SIGMOID), LINEAR(29, CLASSES), LAYER(NN_LAYER_TANH)};
        memcpy(c.layers, l, sizeof l);
        c.n_layers = 6;
        c.optim = nn_optim_defaults(NN_OPTIM_ADAMW);
        c.schedule = (nn_schedule){.kind = NN_SCHEDULE_EXPONENTIAL, .gamma = 0.9f};
        break;
    }
    default: {
        nn_layer_spec l[] = {LINEAR(FEATURES, 77), leaky, dropout, LINEAR(77, CLASSES)};
        memcpy(c.layers, l, sizeof l);
        c.n_layers = 4;
        c.optim = nn_optim_defaults(NN_OPTIM_SGD);
        c.optim.lr = 0.1f, c.optim.momentum = 0.5f, c.optim.dampening = 0.1f;
        break;
    }
    }
    return c;
}
enum { CONFIGS = 4 };

/* What a training run leaves: weights, and each epoch's loss and hits. */
typedef struct outcome {
    float *params;
    size_t n_params;
    double loss[EPOCHS];
    uint64_t correct[EPOCHS];
} outcome;

static outcome train(const config *c, const nn_dataset *ds)
{
    nn_net *net = NULL;
    nn_optim *opt = NULL;
    nn_loader *loader = NULL;
    assert_int_equal(nn_net_create(&net, c->layers, c->n_layers, 42), NN_OK);
    assert_int_equal(nn_optim_create(&opt, &c->optim, nn_net_param_count(net)), NN_OK);
    nn_loader_config lc = {.batch_size = 32, .shuffle = 1, .seed = 7};
    assert_int_equal(nn_loader_create(&loader, ds, NULL, &lc), NN_OK);
    outcome out = {.n_params = nn_net_param_count(net)};
    for (int e = 0; e < EPOCHS; e++) {
        nn_optim_set_lr(opt, nn_schedule_lr(&c->schedule, c->optim.lr, e));
        nn_pass_stats stats;
        assert_int_equal(nn_train_epoch(net, NN_LOSS_CROSS_ENTROPY, opt, loader, (uint32_t)e, NULL, &stats),
                         NN_OK);
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

static bool same_outcome(const outcome *a, const outcome *b)
{
    return a->n_params == b->n_params &&
           memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0 &&
           memcmp(a->loss, b->loss, sizeof a->loss) == 0 &&
           memcmp(a->correct, b->correct, sizeof a->correct) == 0;
}

static void assert_same_outcome(const outcome *a, const outcome *b)
{
    assert_int_equal(a->n_params, b->n_params);
    assert_memory_equal(a->params, b->params, a->n_params * sizeof(float));
    assert_memory_equal(a->loss, b->loss, sizeof a->loss);
    assert_memory_equal(a->correct, b->correct, sizeof a->correct);
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

static void test_one_two_three_threads_train_the_same_bits(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    for (int which = 0; which < CONFIGS; which++) {
        config c = make_config(which);
        assert_int_equal(nn_threads_set(1), NN_OK);
        outcome ref = train(&c, &ds);
        assert_true(ref.loss[EPOCHS - 1] < ref.loss[0] || which == 3); /* it learns */
        for (int threads = 2; threads <= 3; threads++) {
            assert_int_equal(nn_threads_set(threads), NN_OK);
            assert_int_equal(nn_threads_get(), threads);
            outcome got = train(&c, &ds);
            assert_same_outcome(&got, &ref);
            free(got.params);
        }
        free(ref.params);
    }
}

/* Two threads train at once with 2 threads each: one holds the pool, the
 * other runs its parts itself; both get the 1-thread bits. */
typedef struct concurrent_run {
    const config *c;
    const nn_dataset *ds;
    outcome out;
} concurrent_run;

static int concurrent_main(void *arg)
{
    concurrent_run *r = arg;
    r->out = train(r->c, r->ds);
    return 0;
}

static void test_two_callers_share_the_pool(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    config c = make_config(1);
    assert_int_equal(nn_threads_set(1), NN_OK);
    outcome ref = train(&c, &ds);
    assert_int_equal(nn_threads_set(2), NN_OK);
    concurrent_run runs[2] = {{&c, &ds, {0}}, {&c, &ds, {0}}};
    thrd_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(thrd_create(&t[i], concurrent_main, &runs[i]), thrd_success);
    for (int i = 0; i < 2; i++)
        thrd_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        assert_same_outcome(&runs[i].out, &ref);
        free(runs[i].out.params);
    }
    free(ref.params);
}

/* A child forked after the parent's pool started has none of its threads: it
 * starts its own and trains the same bits (exit 0), rather than hanging. */
static void test_a_forked_child_starts_its_own_pool(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    config c = make_config(0);
    assert_int_equal(nn_threads_set(2), NN_OK);
    outcome ref = train(&c, &ds); /* starts the pool */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(20); /* a hang would end as SIGALRM, not as a stuck test */
        nn_threads_set(3);
        outcome got = train(&c, &ds);
        _exit(same_outcome(&got, &ref) ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    outcome again = train(&c, &ds); /* the parent's pool still works */
    assert_same_outcome(&again, &ref);
    free(again.params);
    free(ref.params);
}

/* ---- which thread runs a part ---------------------------------------------------- */

enum { PART_CALLS = 2000, MOST_PARTS = 3 };

typedef struct part_threads {
    pthread_t caller;
    int first_part_elsewhere;
    int runs[MOST_PARTS]; /* how often each part ran */
} part_threads;

static void note_part_thread(void *ctx, int part, int parts)
{
    part_threads *t = ctx;
    (void)parts;
    if (part == 0 && !pthread_equal(pthread_self(), t->caller))
        t->first_part_elsewhere++;
    __atomic_fetch_add(&t->runs[part], 1, __ATOMIC_RELAXED);
}

/* The caller runs part 0 of every call, so that the data a call's first part
 * touches stays with the caller's thread from one call to the next; every
 * part runs once a call. (The 3-thread calls are the ones where, on two or
 * more CPUs, a pool that let the first thread claim part 0 gave it to a worker
 * in hundreds of the calls.) */
static void test_the_caller_runs_the_first_part(void **state)
{
    (void)state;
    for (int threads = 2; threads <= MOST_PARTS; threads++) {
        assert_int_equal(nn_threads_set(threads), NN_OK);
        part_threads t = {.caller = pthread_self()};
        for (int call = 0; call < PART_CALLS; call++)
            nn_threads_run(threads, note_part_thread, &t);
        assert_int_equal(t.first_part_elsewhere, 0);
        for (int part = 0; part < threads; part++)
            assert_int_equal(t.runs[part], PART_CALLS);
    }
}

/* More parts than threads: each part once, on no more threads than the pool
 * has (no test in this process sets more than 3 before this one, and the pool
 * never shrinks); more parts than a job word holds: each once, all on the
 * caller. Before the bound, the first call started 299 workers (past the
 * pool's array of 255 ids: glibc aborted), and the second could never finish
 * (70 000 parts in 16 bits). */
enum { MANY_PARTS = 300, TOO_MANY_PARTS = 70000, MAX_RECORDED_THREADS = 8 };

typedef struct many_parts {
    pthread_t caller;
    pthread_mutex_t lock;
    pthread_t seen[MAX_RECORDED_THREADS];
    int threads_seen, off_caller;
    unsigned char runs[TOO_MANY_PARTS];
} many_parts;

static void note_many_parts(void *ctx, int part, int parts)
{
    many_parts *t = ctx;
    (void)parts;
    __atomic_fetch_add(&t->runs[part], 1, __ATOMIC_RELAXED);
    pthread_mutex_lock(&t->lock);
    if (!pthread_equal(pthread_self(), t->caller))
        t->off_caller++;
    int known = 0;
    for (int i = 0; i < t->threads_seen && i < MAX_RECORDED_THREADS; i++)
        known |= pthread_equal(t->seen[i], pthread_self());
    if (!known && t->threads_seen < MAX_RECORDED_THREADS)
        t->seen[t->threads_seen] = pthread_self();
    if (!known)
        t->threads_seen++;
    pthread_mutex_unlock(&t->lock);
}

static void test_more_parts_than_threads(void **state)
{
    (void)state;
    assert_int_equal(nn_threads_set(3), NN_OK);
    many_parts *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->caller = pthread_self();
    pthread_mutex_init(&t->lock, NULL);
    nn_threads_run(MANY_PARTS, note_many_parts, t);
    for (int part = 0; part < MANY_PARTS; part++)
        assert_int_equal(t->runs[part], 1);
    assert_true(t->threads_seen <= 3);

    memset(t->runs, 0, sizeof t->runs);
    t->off_caller = 0;
    nn_threads_run(TOO_MANY_PARTS, note_many_parts, t);
    for (int part = 0; part < TOO_MANY_PARTS; part++)
        assert_int_equal(t->runs[part], 1);
    assert_int_equal(t->off_caller, 0);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* ---- counts and splits --------------------------------------------------------- */

static void test_bad_thread_counts_are_refused(void **state)
{
    (void)state;
    assert_int_equal(nn_threads_set(3), NN_OK);
    int bad[] = {0, -1, NN_THREADS_MAX + 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(nn_threads_set(bad[i]), NN_EINVAL);
        assert_error_contains("out of range (1..256)");
        assert_int_equal(nn_threads_get(), 3); /* unchanged */
    }
    assert_int_equal(nn_threads_set(NN_THREADS_MAX), NN_OK);
    assert_int_equal(nn_threads_get(), NN_THREADS_MAX);
}

static void test_splits_cover_every_column_once(void **state)
{
    (void)state;
    for (long n = 0; n < 300; n += 7)
        for (long grain = 1; grain <= 48; grain += 47)
            for (int parts = 1; parts <= 5; parts++) {
                assert_int_equal(nn_threads_split(n, grain, 0, parts), 0);
                assert_int_equal(nn_threads_split(n, grain, parts, parts), n);
                for (int p = 0; p < parts; p++) {
                    long a = nn_threads_split(n, grain, p, parts), b = nn_threads_split(n, grain, p + 1, parts);
                    assert_true(a <= b);
                    assert_true(a % grain == 0 || a == n);
                }
            }
    nn_threads_set_min_flops(-1);
    assert_int_equal(nn_threads_set(4), NN_OK);
    assert_int_equal(nn_threads_parts(NN_THREADS_MIN_FLOPS * 1.5, 100), 1); /* too small to pay */
    assert_int_equal(nn_threads_parts(NN_THREADS_MIN_FLOPS * 3, 100), 3);
    assert_int_equal(nn_threads_parts(NN_THREADS_MIN_FLOPS * 100, 100), 4);
    assert_int_equal(nn_threads_parts(NN_THREADS_MIN_FLOPS * 100, 2), 2); /* two units */
    nn_threads_set_min_flops(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_column_ranges_give_the_whole_calls_bits),
        cmocka_unit_test(test_one_two_three_threads_train_the_same_bits),
        cmocka_unit_test(test_two_callers_share_the_pool),
        cmocka_unit_test(test_a_forked_child_starts_its_own_pool),
        cmocka_unit_test(test_the_caller_runs_the_first_part),
        cmocka_unit_test(test_more_parts_than_threads),
        cmocka_unit_test(test_bad_thread_counts_are_refused),
        cmocka_unit_test(test_splits_cover_every_column_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
