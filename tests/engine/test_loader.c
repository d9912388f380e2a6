/* Loader, subsets and splits over a synthetic dataset whose pixels encode each
 * sample's index: batch contents, conversion, shuffling properties, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "nn_data.h"
#include "nn_threads.h"
#include "test_util.h"

/* 5x5 images: 25 pixels = one 16-pixel block plus a 9-pixel tail. */
enum { COUNT = 103, ROWS = 5, COLS = 5, PIXELS = ROWS * COLS };

/* Pixel k of sample i; pixels 0 and 1 hold i itself. */
static uint8_t pixel_of(uint32_t i, size_t k)
{
    if (k == 0)
        return (uint8_t)(i & 255);
    if (k == 1)
        return (uint8_t)(i >> 8);
    return (uint8_t)(i * 7 + k * 13);
}

static nn_dataset make_dataset(void)
{
    nn_dataset ds = {0};
    ds.count = COUNT, ds.rows = ROWS, ds.cols = COLS, ds.n_classes = 10;
    ds.images = malloc((size_t)COUNT * PIXELS);
    ds.labels = malloc(COUNT * sizeof *ds.labels);
    for (uint32_t i = 0; i < COUNT; i++) {
        for (size_t k = 0; k < PIXELS; k++)
            ds.images[i * PIXELS + k] = pixel_of(i, k);
        ds.labels[i] = (uint16_t)(i % 10);
    }
    ds.checksum = nn_dataset_checksum(&ds);
    return ds;
}

/* The sample a converted row came from (x = pixel/255, no normalization). */
static uint32_t sample_of(const float *row)
{
    return (uint32_t)lroundf(row[0] * 255.0f) + 256u * (uint32_t)lroundf(row[1] * 255.0f);
}

static nn_loader *make_loader(const nn_dataset *ds, const nn_indices *ix, uint32_t batch_size,
                              int shuffle, int drop_last, uint64_t seed)
{
    nn_loader_config c = {.batch_size = batch_size, .shuffle = shuffle, .drop_last = drop_last,
                          .seed = seed};
    nn_loader *l = NULL;
    assert_int_equal(nn_loader_create(&l, ds, ix, &c), NN_OK);
    assert_non_null(l);
    return l;
}

/* Runs one epoch; order[] gets the samples in the order visited (checked
 * against both the pixels and nn_loader_batch_indices); returns how many. */
static uint32_t run_epoch(nn_loader *l, uint32_t epoch, uint32_t *order, uint32_t max_batches)
{
    const float *x;
    const int32_t *y;
    uint32_t batch, seen = 0, batches = 0;
    nn_loader_start_epoch(l, epoch);
    while (batches < max_batches && nn_loader_next(l, &x, &y, &batch)) {
        assert_true((uintptr_t)x % 64 == 0);
        const uint32_t *idx = nn_loader_batch_indices(l);
        for (uint32_t b = 0; b < batch; b++) {
            uint32_t i = sample_of(x + (size_t)b * PIXELS);
            assert_int_equal(i, idx[b]);
            assert_int_equal(y[b], i % 10);
            order[seen++] = i;
        }
        batches++;
    }
    return seen;
}

static void test_in_order_batches_and_conversion(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    nn_loader *l = make_loader(&ds, NULL, 32, 0, 0, 1);
    assert_int_equal(nn_loader_batches(l), 4);
    assert_int_equal(nn_loader_samples(l), COUNT);

    const uint32_t sizes[4] = {32, 32, 32, 7};
    const float *x;
    const int32_t *y;
    uint32_t batch, next = 0;
    for (int b = 0; b < 4; b++) {
        assert_int_equal(nn_loader_next(l, &x, &y, &batch), 1);
        assert_int_equal(batch, sizes[b]);
        for (uint32_t s = 0; s < batch; s++, next++) {
            float want[PIXELS];
            for (size_t k = 0; k < PIXELS; k++)
                want[k] = pixel_of(next, k) / 255.0f;
            assert_close(x + (size_t)s * PIXELS, want, PIXELS, 1e-6, 0);
            assert_int_equal(y[s], next % 10);
        }
    }
    assert_int_equal(nn_loader_next(l, &x, &y, &batch), 0);
    assert_int_equal(batch, 0);
    assert_null(x);
    assert_int_equal(nn_loader_next(l, &x, &y, &batch), 0); /* stays over */

    uint32_t order[COUNT];
    assert_int_equal(run_epoch(l, 1, order, UINT32_MAX), COUNT); /* no shuffle: same order */
    for (uint32_t i = 0; i < COUNT; i++)
        assert_int_equal(order[i], i);
    nn_loader_free(l);
    nn_dataset_free(&ds);
}

static void test_normalization(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    nn_loader_config c = {.batch_size = 10, .normalize = 1, .mean = 0.1307f, .std = 0.3081f};
    nn_loader *l = NULL;
    assert_int_equal(nn_loader_create(&l, &ds, NULL, &c), NN_OK);
    const float *x;
    const int32_t *y;
    uint32_t batch;
    assert_int_equal(nn_loader_next(l, &x, &y, &batch), 1);
    float want[10 * PIXELS];
    for (uint32_t i = 0; i < 10; i++)
        for (size_t k = 0; k < PIXELS; k++)
            want[i * PIXELS + k] = (pixel_of(i, k) / 255.0f - 0.1307f) / 0.3081f;
    assert_close(x, want, 10 * PIXELS, 1e-5, 1e-6);
    nn_loader_free(l);
    nn_dataset_free(&ds);
}

static void test_drop_last(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    nn_loader *l = make_loader(&ds, NULL, 32, 1, 1, 5);
    assert_int_equal(nn_loader_batches(l), 3);
    assert_int_equal(nn_loader_samples(l), 96);
    uint32_t order[COUNT], hits[COUNT] = {0};
    assert_int_equal(run_epoch(l, 0, order, UINT32_MAX), 96);
    for (uint32_t i = 0; i < 96; i++)
        assert_int_equal(++hits[order[i]], 1); /* each at most once */
    nn_loader_free(l);

    l = make_loader(&ds, NULL, 103, 0, 1, 5); /* exact fit: nothing dropped */
    assert_int_equal(nn_loader_batches(l), 1);
    assert_int_equal(nn_loader_samples(l), COUNT);
    nn_loader_free(l);
    nn_dataset_free(&ds);
}

static int same_order(const uint32_t *a, const uint32_t *b, uint32_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

static void test_shuffle_properties(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    nn_loader *a = make_loader(&ds, NULL, 16, 1, 0, 42);
    nn_loader *b = make_loader(&ds, NULL, 16, 1, 0, 42);
    nn_loader *other = make_loader(&ds, NULL, 16, 1, 0, 43);
    uint32_t ea0[COUNT], ea1[COUNT], eb0[COUNT], eb1[COUNT], eo0[COUNT], identity[COUNT];
    for (uint32_t i = 0; i < COUNT; i++)
        identity[i] = i;

    /* every sample exactly once per epoch, in every epoch */
    for (uint32_t epoch = 0; epoch < 5; epoch++) {
        uint32_t order[COUNT], hits[COUNT] = {0};
        assert_int_equal(run_epoch(a, epoch, order, UINT32_MAX), COUNT);
        for (uint32_t i = 0; i < COUNT; i++)
            hits[order[i]]++;
        for (uint32_t i = 0; i < COUNT; i++)
            assert_int_equal(hits[i], 1);
    }

    /* same seed → same batches (pixels and labels, not just indices) */
    run_epoch(a, 0, ea0, UINT32_MAX);
    run_epoch(b, 0, eb0, UINT32_MAX);
    assert_true(same_order(ea0, eb0, COUNT));
    assert_false(same_order(ea0, identity, COUNT)); /* it does shuffle */

    /* different epochs → different orders; a different seed → a different order */
    run_epoch(a, 1, ea1, UINT32_MAX);
    assert_false(same_order(ea0, ea1, COUNT));
    run_epoch(other, 0, eo0, UINT32_MAX);
    assert_false(same_order(ea0, eo0, COUNT));

    /* epoch 1's order does not depend on how much of epoch 0 was consumed, nor
     * on whether epoch 0 ran at all */
    run_epoch(b, 0, eb0, 1);
    run_epoch(b, 1, eb1, UINT32_MAX);
    assert_true(same_order(ea1, eb1, COUNT));
    nn_loader *fresh = make_loader(&ds, NULL, 16, 1, 0, 42);
    run_epoch(fresh, 1, eb1, UINT32_MAX);
    assert_true(same_order(ea1, eb1, COUNT));
    nn_loader_free(fresh);

    /* a batch size does not change the order, only how it is cut */
    nn_loader *wide = make_loader(&ds, NULL, 50, 1, 0, 42);
    run_epoch(wide, 1, eb1, UINT32_MAX);
    assert_true(same_order(ea1, eb1, COUNT));
    nn_loader_free(wide);

    nn_loader_free(a);
    nn_loader_free(b);
    nn_loader_free(other);
    nn_dataset_free(&ds);
}

static void test_subset_and_split(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    nn_indices first = {0}, all = {0}, train = {0}, valid = {0}, train2 = {0}, valid2 = {0};
    assert_int_equal(nn_indices_first(&first, &ds, 50), NN_OK);
    assert_int_equal(first.count, 50);
    nn_loader *l = make_loader(&ds, &first, 8, 1, 0, 3);
    uint32_t order[COUNT], hits[COUNT] = {0};
    assert_int_equal(run_epoch(l, 0, order, UINT32_MAX), 50);
    for (uint32_t i = 0; i < 50; i++)
        hits[order[i]]++;
    for (uint32_t i = 0; i < COUNT; i++)
        assert_int_equal(hits[i], i < 50);
    nn_loader_free(l);

    assert_int_equal(nn_indices_first(&all, &ds, COUNT), NN_OK);
    assert_int_equal(nn_indices_split(&all, 20, 7, &train, &valid), NN_OK);
    assert_int_equal(train.count, 83);
    assert_int_equal(valid.count, 20);
    memset(hits, 0, sizeof hits);
    for (uint32_t i = 0; i < valid.count; i++) {
        hits[valid.at[i]] += 1;
        if (i)
            assert_true(valid.at[i - 1] < valid.at[i]);
    }
    for (uint32_t i = 0; i < train.count; i++) {
        hits[train.at[i]] += 1;
        if (i)
            assert_true(train.at[i - 1] < train.at[i]);
    }
    for (uint32_t i = 0; i < COUNT; i++)
        assert_int_equal(hits[i], 1); /* disjoint, and together all samples */
    uint32_t first20[20];
    for (uint32_t i = 0; i < 20; i++)
        first20[i] = i;
    assert_false(same_order(valid.at, first20, 20)); /* not simply the first ones */

    assert_int_equal(nn_indices_split(&all, 20, 7, &train2, &valid2), NN_OK);
    assert_true(same_order(valid.at, valid2.at, 20)); /* same seed, same split */
    nn_indices_free(&train2);
    nn_indices_free(&valid2);
    assert_int_equal(nn_indices_split(&all, 20, 8, &train2, &valid2), NN_OK);
    assert_false(same_order(valid.at, valid2.at, 20));

    /* a loader over the validation split visits exactly it, in order */
    l = make_loader(&ds, &valid, 6, 0, 0, 0);
    assert_int_equal(nn_loader_batches(l), 4);
    assert_int_equal(run_epoch(l, 0, order, UINT32_MAX), 20);
    assert_true(same_order(order, valid.at, 20));
    nn_loader_free(l);

    /* shuffled over the training split: each of its samples once, no other */
    l = make_loader(&ds, &train, 10, 1, 0, 9);
    assert_int_equal(run_epoch(l, 3, order, UINT32_MAX), 83);
    memset(hits, 0, sizeof hits);
    for (uint32_t i = 0; i < 83; i++)
        hits[order[i]]++;
    for (uint32_t i = 0; i < 83; i++)
        assert_int_equal(hits[train.at[i]], 1);
    for (uint32_t i = 0; i < 20; i++)
        assert_int_equal(hits[valid.at[i]], 0);
    nn_loader_free(l);

    nn_indices_free(&first);
    nn_indices_free(&all);
    nn_indices_free(&train);
    nn_indices_free(&valid);
    nn_indices_free(&train2);
    nn_indices_free(&valid2);
    nn_indices_free(&valid2);
    nn_dataset_free(&ds);
}

static void expect_loader_error(const nn_dataset *ds, const nn_indices *ix,
                                nn_loader_config c, const char *needle)
{
    nn_loader *l = (nn_loader *)1;
    nn_error_clear();
    assert_int_equal(nn_loader_create(&l, ds, ix, &c), NN_EINVAL);
    assert_null(l);
    assert_error_contains(needle);
}

/* Gathers samples idx[0, COUNT) of ds into x and y with `threads` threads,
 * every gather of 2 pieces or more split (the split threshold at 0). */
static void gather_with_threads(const nn_dataset *ds, const uint32_t *idx, int normalize,
                                int threads, float *x, int32_t *y)
{
    assert_int_equal(nn_threads_set(threads), NN_OK);
    nn_threads_set_min_flops(0);
    nn_dataset_gather(ds, idx, COUNT, normalize, 0.25f, 0.5f, x, y);
    nn_threads_set_min_flops(-1);
    assert_int_equal(nn_threads_set(1), NN_OK);
}

/* A gather split over 2 or 3 threads (pieces of 32 samples: 103 samples make
 * 3 parts at most, the last one 39) gives the 1-thread batch bit for bit,
 * for uint8 and float features, plain and normalized, shuffled indices. */
static void test_gather_split_over_threads(void **state)
{
    (void)state;
    nn_dataset bytes = make_dataset(), floats = make_dataset();
    floats.values = malloc((size_t)COUNT * PIXELS * sizeof *floats.values);
    assert_non_null(floats.values);
    for (size_t k = 0; k < (size_t)COUNT * PIXELS; k++)
        floats.values[k] = (float)floats.images[k] * 0.37f - 11.0f;
    free(floats.images);
    floats.images = NULL;
    uint32_t idx[COUNT];
    for (uint32_t i = 0; i < COUNT; i++)
        idx[i] = (i * 37 + 11) % COUNT; /* a permutation: 37 and 103 are coprime */
    static float want[COUNT * PIXELS], got[COUNT * PIXELS];
    int32_t want_y[COUNT], got_y[COUNT];
    const nn_dataset *sets[] = {&bytes, &floats};
    for (int d = 0; d < 2; d++)
        for (int normalize = 0; normalize <= 1; normalize++) {
            gather_with_threads(sets[d], idx, normalize, 1, want, want_y);
            for (uint32_t b = 0; b < COUNT; b++) {
                assert_int_equal(want_y[b], idx[b] % 10);
                if (sets[d] == &bytes && !normalize) /* the rows are the samples asked for */
                    assert_int_equal(sample_of(want + (size_t)b * PIXELS), idx[b]);
            }
            for (int threads = 2; threads <= 3; threads++) {
                memset(got, 0xff, sizeof got);
                gather_with_threads(sets[d], idx, normalize, threads, got, got_y);
                assert_memory_equal(got, want, sizeof want);
                assert_memory_equal(got_y, want_y, sizeof want_y);
            }
        }
    nn_dataset_free(&bytes);
    nn_dataset_free(&floats);
}

/* Float features normalized are exactly (v - mean) / std, torchvision's
 * Normalize: with mean/std large, a reciprocal and a multiply-add rounded
 * 45.0005 with mean 45, std 0.001 to 0.5 (a multiple of 1/256). */
static void test_float_features_normalized_exactly(void **state)
{
    (void)state;
    nn_dataset floats = make_dataset();
    floats.values = malloc((size_t)COUNT * PIXELS * sizeof *floats.values);
    assert_non_null(floats.values);
    for (size_t k = 0; k < (size_t)COUNT * PIXELS; k++)
        floats.values[k] = 45.0f + ((float)(k % 97) - 48.0f) * 1.7e-5f;
    free(floats.images);
    floats.images = NULL;
    uint32_t idx[COUNT];
    for (uint32_t i = 0; i < COUNT; i++)
        idx[i] = i;
    static float x[COUNT * PIXELS];
    int32_t y[COUNT];
    const float mean = 45.0f, std = 0.001f;
    nn_dataset_gather(&floats, idx, COUNT, 1, mean, std, x, y);
    for (size_t k = 0; k < (size_t)COUNT * PIXELS; k++) {
        float want = (floats.values[k] - mean) / std;
        if (memcmp(&x[k], &want, sizeof want) != 0)
            print_error("value %zu: %.9g, not %.9g\n", k, (double)x[k], (double)want);
        assert_memory_equal(&x[k], &want, sizeof want);
    }
    nn_dataset_free(&floats);
}

static void test_errors(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    expect_loader_error(&ds, NULL, (nn_loader_config){.batch_size = 0},
                        "batch_size 0 is out of range: it must be from 1 to 1048576");
    expect_loader_error(&ds, NULL, (nn_loader_config){.batch_size = NN_LOADER_MAX_BATCH + 1},
                        "batch_size 1048577 is out of range: it must be from 1 to 1048576");
    expect_loader_error(&ds, NULL, (nn_loader_config){.batch_size = 4, .normalize = 1, .std = 0},
                        "std > 0");
    expect_loader_error(&ds, NULL, (nn_loader_config){.batch_size = 200, .drop_last = 1},
                        "leaves no batch");
    uint32_t bad[3] = {0, 5, COUNT};
    nn_indices ix = {bad, 3};
    expect_loader_error(&ds, &ix, (nn_loader_config){.batch_size = 2},
                        "index 103 at position 2 is past the dataset's 103 samples");
    nn_dataset empty = {0};
    expect_loader_error(&empty, NULL, (nn_loader_config){.batch_size = 2}, "dataset is empty");

    nn_indices out = {0}, train = {0}, valid = {0};
    nn_error_clear();
    assert_int_equal(nn_indices_first(&out, &ds, 0), NN_EINVAL);
    assert_error_contains("the dataset has 103");
    assert_int_equal(nn_indices_first(&out, &ds, COUNT + 1), NN_EINVAL);
    assert_null(out.at);
    assert_int_equal(nn_indices_first(&out, &ds, COUNT), NN_OK);
    assert_int_equal(nn_indices_split(&out, COUNT, 1, &train, &valid), NN_EINVAL);
    assert_error_contains("validation split of 103 from 103");
    assert_int_equal(nn_indices_split(&out, 0, 1, &train, &valid), NN_EINVAL);
    assert_null(train.at);
    assert_null(valid.at);
    nn_indices_free(&out);

    /* batch larger than the data, no drop_last: one short batch (also at the limit) */
    nn_loader *l = make_loader(&ds, NULL, 1000, 0, 0, 0);
    assert_int_equal(nn_loader_batches(l), 1);
    nn_loader_free(l);
    l = make_loader(&ds, NULL, NN_LOADER_MAX_BATCH, 0, 0, 0);
    assert_int_equal(nn_loader_batches(l), 1);
    nn_loader_free(l);
    nn_loader_free(NULL);
    nn_dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_batches_and_conversion),
        cmocka_unit_test(test_normalization),
        cmocka_unit_test(test_drop_last),
        cmocka_unit_test(test_shuffle_properties),
        cmocka_unit_test(test_subset_and_split),
        cmocka_unit_test(test_gather_split_over_threads),
        cmocka_unit_test(test_float_features_normalized_exactly),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
