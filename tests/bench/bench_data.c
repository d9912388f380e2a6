/* Data benchmark: time to load Fashion-MNIST from Debian's .gz files (inflate,
 * validate, checksum) and to iterate one epoch of batch-32 batches without
 * training (uint8 → float conversion of every sample).
 * Usage: bench_data [dir] [repeats]   (dir defaults to Debian's copy) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nn_data.h"

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* "median (best)" of the repeats, in milliseconds: the best shows what the
 * code can do, the median what a busy machine gave. */
static const char *summary_ms(char *buf, size_t size, double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, compare_double);
    double median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    snprintf(buf, size, "%7.1f ms (best %6.1f)", 1e3 * median, 1e3 * t[0]);
    return buf;
}

/* One epoch; returns seconds, and a sum of the batches so nothing is optimised away. */
static double time_epoch(nn_loader *l, uint32_t epoch, double *sink)
{
    const float *x;
    const int32_t *y;
    uint32_t batch;
    double t0 = now_seconds();
    nn_loader_start_epoch(l, epoch);
    while (nn_loader_next(l, &x, &y, &batch))
        *sink += x[batch * 784 - 1] + y[0];
    return now_seconds() - t0;
}

static int fail(const char *what)
{
    fprintf(stderr, "bench_data: %s: %s\n", what, nn_error_message());
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    if (repeats < 1 || repeats > 100)
        repeats = 5;

    double load[100], checksum[100], plain[100], shuffled[100], sink = 0;
    nn_dataset train = {0}, test = {0};
    for (int r = 0; r < repeats; r++) {
        nn_dataset_free(&train);
        nn_dataset_free(&test);
        double t0 = now_seconds();
        if (nn_dataset_load_dir(&train, dir, 1) != NN_OK)
            return fail("loading the training set");
        if (nn_dataset_load_dir(&test, dir, 0) != NN_OK)
            return fail("loading the test set");
        load[r] = now_seconds() - t0;
        t0 = now_seconds();
        sink += (double)(nn_dataset_checksum(&train) & 1);
        checksum[r] = now_seconds() - t0;
    }

    nn_loader_config in_order = {.batch_size = 32}, shuffle = {.batch_size = 32, .shuffle = 1, .seed = 1};
    nn_loader *a = NULL, *b = NULL;
    if (nn_loader_create(&a, &train, NULL, &in_order) != NN_OK ||
        nn_loader_create(&b, &train, NULL, &shuffle) != NN_OK)
        return fail("creating a loader");
    for (int r = 0; r < repeats; r++) {
        plain[r] = time_epoch(a, (uint32_t)r, &sink);
        shuffled[r] = time_epoch(b, (uint32_t)r, &sink);
    }

    double bytes = (double)train.count * train.rows * train.cols;
    char buf[64];
    printf("Fashion-MNIST from %s, %d repeats: median (best)\n", dir, repeats);
    printf("  %-48s %s\n", "load train + test (read, inflate, validate):",
           summary_ms(buf, sizeof buf, load, repeats));
    printf("  %-48s %s\n", "training-set checksum (part of the load):",
           summary_ms(buf, sizeof buf, checksum, repeats));
    printf("  %-48s %s\n", "one epoch, batch 32, in order:", summary_ms(buf, sizeof buf, plain, repeats));
    printf("  %-48s %s\n", "one epoch, batch 32, shuffled:", summary_ms(buf, sizeof buf, shuffled, repeats));
    printf("  %u + %u samples of %ux%u; %u batches per epoch\n", train.count, test.count, train.rows,
           train.cols, nn_loader_batches(a));
    printf("  best epoch rate: %.2f GB/s of pixels in, %.2f GB/s of floats out\n",
           bytes / (plain[0] * 1e9), 4 * bytes / (plain[0] * 1e9));
    printf("  (checksum %016llx, sink %g)\n", (unsigned long long)train.checksum, sink);
    nn_loader_free(a);
    nn_loader_free(b);
    nn_dataset_free(&train);
    nn_dataset_free(&test);
    return 0;
}
