/* Whole passes (nn_train.h) over a model whose outputs overflow on some
 * samples: an evaluation counts every batch, a non-finite output as a miss,
 * and says the pass diverged; a training epoch stops at the first non-finite
 * loss (its step would spoil the weights); a prediction pass records every
 * sample, a non-finite row as class -1.
 *
 * The model: Linear(4 -> 3), every weight 3e38, biases 0. An all-black image
 * gives logits (0, 0, 0), argmax 0: a hit for label 0. An all-white one gives
 * 4 x 3e38 = +inf in every logit: loss NaN, and argmax 0 too, so only the
 * non-finite rule keeps it from counting as a hit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "nn_data.h"
#include "nn_optim.h"
#include "nn_train.h"
#include "test_util.h"

enum { COUNT = 10, ROWS = 2, COLS = 2, PIXELS = ROWS * COLS, CLASSES = 3, BATCH = 2 };

/* Samples in batches of two: black, white, black, white, white (every label 0). */
static const int is_white[COUNT] = {0, 0, 1, 1, 0, 0, 1, 1, 1, 1};

static nn_dataset make_dataset(void)
{
    nn_dataset ds = {0};
    ds.count = COUNT, ds.rows = ROWS, ds.cols = COLS, ds.n_classes = CLASSES;
    ds.images = malloc((size_t)COUNT * PIXELS);
    ds.labels = calloc(COUNT, sizeof *ds.labels);
    assert_non_null(ds.images);
    assert_non_null(ds.labels);
    for (int i = 0; i < COUNT; i++)
        memset(ds.images + (size_t)i * PIXELS, is_white[i] ? 255 : 0, PIXELS);
    ds.checksum = nn_dataset_checksum(&ds);
    return ds;
}

static nn_net *make_overflowing_net(void)
{
    const nn_layer_spec linear = {.kind = NN_LAYER_LINEAR, .in_features = PIXELS, .out_features = CLASSES};
    nn_net *net = NULL;
    assert_int_equal(nn_net_create(&net, &linear, 1, 1), NN_OK);
    float *params = nn_net_params(net); /* W (3, 4), then b (3) */
    for (int i = 0; i < CLASSES * PIXELS; i++)
        params[i] = 3e38f;
    for (int i = 0; i < CLASSES; i++)
        params[CLASSES * PIXELS + i] = 0.0f;
    return net;
}

static nn_loader *make_loader(const nn_dataset *ds)
{
    nn_loader_config c = {.batch_size = BATCH};
    nn_loader *loader = NULL;
    assert_int_equal(nn_loader_create(&loader, ds, NULL, &c), NN_OK);
    return loader;
}

/* Before: the pass stopped at the first white batch and reported 2 of 2
 * samples right (100 %). Now: 4 of 10 (the black ones), diverged, loss NaN. */
static void test_evaluate_counts_every_batch(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    nn_net *net = make_overflowing_net();
    nn_loader *loader = make_loader(&ds);
    for (int k = 0; k < 2; k++) {
        nn_loss_kind kind = k == 0 ? NN_LOSS_CROSS_ENTROPY : NN_LOSS_MSE_ONEHOT;
        nn_pass_stats stats;
        assert_int_equal(nn_evaluate(net, kind, loader, NULL, &stats), NN_OK);
        assert_int_equal(stats.count, COUNT);
        assert_int_equal(stats.correct, 4);
        assert_int_equal(stats.diverged, 1);
        assert_true(isnan(stats.loss) || isinf(stats.loss));
    }
    nn_loader_free(loader);
    nn_net_free(net);
    nn_dataset_free(&ds);
}

/* A training epoch stops at the first non-finite loss, before its step:
 * the weights stay as they were, and the stats cover the batches before it. */
static void test_train_epoch_stops_at_the_first_non_finite_loss(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    nn_net *net = make_overflowing_net();
    nn_loader *loader = make_loader(&ds);
    nn_optim_config config = nn_optim_defaults(NN_OPTIM_SGD);
    config.lr = 0.0f;
    nn_optim *opt = NULL;
    assert_int_equal(nn_optim_create(&opt, &config, nn_net_param_count(net)), NN_OK);
    nn_pass_stats stats;
    assert_int_equal(nn_train_epoch(net, NN_LOSS_CROSS_ENTROPY, opt, loader, 0, NULL, &stats), NN_OK);
    assert_int_equal(stats.diverged, 1);
    assert_int_equal(stats.count, BATCH);
    assert_int_equal(stats.correct, BATCH);
    assert_true(nn_net_params(net)[0] == 3e38f);
    nn_optim_free(opt);
    nn_loader_free(loader);
    nn_net_free(net);
    nn_dataset_free(&ds);
}

/* nn_predict: evaluate's stats, and per sample in loader order the label,
 * the argmax (-1 for a non-finite row) and its softmax probability (three
 * equal logits: 1/3). Too little room is an error, not an overflow. */
static void test_predict_records_every_sample(void **state)
{
    (void)state;
    nn_dataset ds = make_dataset();
    nn_net *net = make_overflowing_net();
    nn_loader *loader = make_loader(&ds);
    int32_t label[COUNT], pred[COUNT];
    float confidence[COUNT];
    nn_predictions out = {.capacity = COUNT, .label = label, .pred = pred, .confidence = confidence};
    nn_pass_stats stats;
    assert_int_equal(nn_predict(net, NN_LOSS_CROSS_ENTROPY, loader, NULL, &out, &stats), NN_OK);
    assert_int_equal(stats.count, COUNT);
    assert_int_equal(stats.correct, 4);
    for (int i = 0; i < COUNT; i++) {
        assert_int_equal(label[i], 0);
        assert_int_equal(pred[i], is_white[i] ? -1 : 0);
        assert_true(is_white[i] ? confidence[i] == 0.0f : fabsf(confidence[i] - 1.0f / 3.0f) < 1e-6f);
    }
    out.capacity = COUNT - 1;
    assert_int_equal(nn_predict(net, NN_LOSS_CROSS_ENTROPY, loader, NULL, &out, &stats), NN_ESHAPE);
    assert_non_null(strstr(nn_error_message(), "more than the 9 samples"));
    nn_loader_free(loader);
    nn_net_free(net);
    nn_dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evaluate_counts_every_batch),
        cmocka_unit_test(test_train_epoch_stops_at_the_first_non_finite_loss),
        cmocka_unit_test(test_predict_records_every_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
