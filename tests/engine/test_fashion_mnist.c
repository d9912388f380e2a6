/* The real Fashion-MNIST, as Debian's dataset-fashion-mnist installs it (the
 * set-up script installs the package): sizes, class balance, known first
 * labels and pixel statistics, and one loader epoch over it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "nn_data.h"
#include "test_util.h"

static const char *const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

static nn_dataset train, test;

static int load_both(void **state)
{
    (void)state;
    if (nn_dataset_load_dir(&train, FASHION_MNIST_DIR, 1) != NN_OK ||
        nn_dataset_load_dir(&test, FASHION_MNIST_DIR, 0) != NN_OK) {
        print_error("cannot load Fashion-MNIST: %s\n"
                    "run scripts/setup.sh (it installs Debian's dataset-fashion-mnist into %s)\n",
                    nn_error_message(), FASHION_MNIST_DIR);
        return -1;
    }
    return 0;
}

static int free_both(void **state)
{
    (void)state;
    nn_dataset_free(&train);
    nn_dataset_free(&test);
    return 0;
}

static void check_split(const nn_dataset *ds, uint32_t count, uint32_t per_class)
{
    assert_int_equal(ds->count, count);
    assert_int_equal(ds->rows, 28);
    assert_int_equal(ds->cols, 28);
    assert_int_equal(ds->n_classes, 10);
    uint32_t histogram[10] = {0};
    for (uint32_t i = 0; i < ds->count; i++)
        histogram[ds->labels[i]]++;
    for (int c = 0; c < 10; c++)
        assert_int_equal(histogram[c], per_class);
}

static void test_sizes_and_class_balance(void **state)
{
    (void)state;
    check_split(&train, 60000, 6000);
    check_split(&test, 10000, 1000);
    assert_non_null(strstr(train.images_path, "train-images-idx3-ubyte"));
    assert_non_null(strstr(test.labels_path, "t10k-labels-idx1-ubyte"));
}

/* Facts published with the data: the first training labels are ankle boot,
 * T-shirt, T-shirt, dress; the first test labels ankle boot, pullover,
 * trouser, trouser; the training pixels have mean 0.2860 and std 0.3530
 * (the normalization constants used with Fashion-MNIST). */
static void test_known_content(void **state)
{
    (void)state;
    const uint16_t train_first[4] = {9, 0, 0, 3}, test_first[4] = {9, 2, 1, 1};
    assert_memory_equal(train.labels, train_first, sizeof train_first);
    assert_memory_equal(test.labels, test_first, sizeof test_first);
    double sum = 0, sum2 = 0;
    size_t n = (size_t)train.count * 28 * 28;
    for (size_t i = 0; i < n; i++) {
        double x = train.images[i] / 255.0;
        sum += x;
        sum2 += x * x;
    }
    double mean = sum / n;
    assert_near(mean, 0.2860, 5e-4);
    assert_near(sqrt(sum2 / n - mean * mean), 0.3530, 5e-4);
    assert_int_not_equal(train.checksum, test.checksum);
    assert_int_equal(train.checksum, nn_dataset_checksum(&train));
}

/* One shuffled epoch of batch 32 visits every training sample once and sees
 * the class balance. */
static void test_one_loader_epoch(void **state)
{
    (void)state;
    nn_loader_config c = {.batch_size = 32, .shuffle = 1, .seed = 1};
    nn_loader *l = NULL;
    assert_int_equal(nn_loader_create(&l, &train, NULL, &c), NN_OK);
    assert_int_equal(nn_loader_batches(l), 1875);
    uint8_t *seen = calloc(train.count, 1);
    uint32_t histogram[10] = {0}, batches = 0, batch;
    const float *x;
    const int32_t *y;
    while (nn_loader_next(l, &x, &y, &batch)) {
        const uint32_t *idx = nn_loader_batch_indices(l);
        for (uint32_t b = 0; b < batch; b++) {
            histogram[y[b]]++;
            seen[idx[b]]++;
            assert_int_equal(y[b], train.labels[idx[b]]);
        }
        batches++;
    }
    assert_int_equal(batches, 1875);
    for (int k = 0; k < 10; k++)
        assert_int_equal(histogram[k], 6000);
    for (uint32_t i = 0; i < train.count; i++)
        assert_int_equal(seen[i], 1);
    free(seen);
    nn_loader_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_and_class_balance),
        cmocka_unit_test(test_known_content),
        cmocka_unit_test(test_one_loader_epoch),
    };
    return cmocka_run_group_tests(tests, load_both, free_both);
}
