/* Training epoch and evaluation pass (see nn_train.h). */
#include "nn_train.h"

#include <math.h>
#include <time.h>

#include "nn_loss.h"
#include "nn_mem.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* loss and d(loss)/d(out) (may be NULL) for out (B, C) against labels y (B)
 * or targets t (B, C). */
static nn_status batch_loss(nn_loss_kind kind, const float *out, const int32_t *y, const float *t,
                            int B, int C, float *loss, float *dout, int *correct)
{
    if (kind == NN_LOSS_MSE) {
        *correct = 0;
        return nn_mse(out, t, B, C, loss, dout);
    }
    if (kind == NN_LOSS_MSE_ONEHOT)
        return nn_mse_onehot(out, y, B, C, loss, dout, correct);
    return nn_cross_entropy(out, y, B, C, loss, dout, correct);
}

/* Writes rows [first, first + B) of `out` from a batch's outputs (B, C). */
static void record_predictions(nn_predictions *out, uint32_t first, const float *outputs, const int32_t *y,
                               uint32_t B, int C)
{
    for (uint32_t b = 0; b < B; b++) {
        const float *row = outputs + (size_t)b * C;
        int pred = nn_row_argmax(row, C);
        double sum = 0.0;
        if (pred >= 0)
            for (int j = 0; j < C; j++)
                sum += exp((double)row[j] - row[pred]);
        out->label[first + b] = y[b];
        out->pred[first + b] = pred;
        out->confidence[first + b] = pred >= 0 ? (float)(1.0 / sum) : 0.0f;
    }
}

/* One pass over the loader's current epoch; trains when opt is non-NULL;
 * records each sample's prediction in `predictions` when non-NULL.
 * A non-finite batch loss marks the pass diverged: training stops there,
 * evaluation goes on and counts every batch (a non-finite output is a miss,
 * see nn_loss.h, and the mean loss becomes non-finite too). */
static nn_status run_pass(nn_net *net, nn_loss_kind kind, nn_optim *opt, nn_loader *loader,
                          const volatile sig_atomic_t *cancel, nn_predictions *predictions,
                          nn_pass_stats *stats)
{
    *stats = (nn_pass_stats){.first_loss = NAN};
    if (nn_loader_features(loader) != (uint32_t)nn_net_input_size(net))
        return nn_fail(NN_ESHAPE, "the model expects %d input features but the data has %u per sample",
                       nn_net_input_size(net), nn_loader_features(loader));
    int C = nn_net_output_size(net);
    uint32_t targets = nn_loader_target_width(loader);
    if (kind == NN_LOSS_MSE && targets != (uint32_t)C)
        return targets ? nn_fail(NN_ESHAPE, "the model gives %d outputs but the data has %u targets per sample",
                                 C, targets)
                       : nn_fail(NN_EINVAL, "MSE against targets needs regression data, but the data has class labels");
    if (kind != NN_LOSS_MSE && targets)
        return nn_fail(NN_EINVAL, "the data has regression targets: train it with MSELoss, not a classification loss");
    double start = now_seconds(), loss_sum = 0.0;
    float *dout = NULL;
    uint32_t dout_rows = 0;
    const float *x, *out;
    const int32_t *y;
    uint32_t B;
    nn_status st = NN_OK;

    while (!(cancel && *cancel) && nn_loader_next(loader, &x, &y, &B)) {
        if (opt && B > dout_rows) { /* first batch: the largest of the epoch */
            nn_free(dout);
            dout = nn_alloc_floats((size_t)B * (size_t)C);
            if (!dout) {
                st = NN_ENOMEM;
                break;
            }
            dout_rows = B;
        }
        float loss;
        int correct;
        if ((st = nn_net_forward(net, x, (int)B, &out)) != NN_OK ||
            (st = batch_loss(kind, out, y, nn_loader_targets(loader), (int)B, C, &loss, dout, &correct)) != NN_OK)
            break;
        if (predictions) {
            if (stats->count + B > predictions->capacity) {
                st = nn_fail(NN_ESHAPE, "the loader holds more than the %u samples predictions have room for",
                             predictions->capacity);
                break;
            }
            record_predictions(predictions, (uint32_t)stats->count, out, y, B, C);
        }
        if (!isfinite(loss)) {
            stats->diverged = 1;
            if (opt) /* its step would spoil the weights: the epoch ends here */
                break;
        }
        if (stats->count == 0)
            stats->first_loss = (double)loss;
        loss_sum += (double)loss * B;
        stats->correct += (uint64_t)correct;
        stats->count += B;
        if (opt) {
            /* zero_grad + backward in one pass: the gradients are overwritten */
            if ((st = nn_net_backward_fresh(net, dout)) != NN_OK)
                break;
            nn_optim_step(opt, nn_net_params(net), nn_net_grads(net));
        }
    }
    nn_free(dout);
    if (st == NN_OK && nn_loader_failed(loader))
        st = NN_EINVAL; /* the hook recorded its message */
    if (st == NN_OK && cancel && *cancel)
        st = nn_fail(NN_ECANCELED, "interrupted");
    stats->loss = stats->count ? loss_sum / (double)stats->count : NAN;
    stats->seconds = now_seconds() - start;
    return st;
}

nn_status nn_train_epoch(nn_net *net, nn_loss_kind loss, nn_optim *opt, nn_loader *loader,
                         uint32_t epoch, const volatile sig_atomic_t *cancel, nn_pass_stats *stats)
{
    if (!opt)
        return nn_fail(NN_EINVAL, "training needs an optimizer");
    nn_net_set_training(net, true);
    nn_loader_start_epoch(loader, epoch);
    return run_pass(net, loss, opt, loader, cancel, NULL, stats);
}

static nn_status evaluate_pass(nn_net *net, nn_loss_kind loss, nn_loader *loader,
                               const volatile sig_atomic_t *cancel, nn_predictions *predictions,
                               nn_pass_stats *stats)
{
    bool was_training = nn_net_training(net);
    int loader_was_training = nn_loader_training(loader);
    nn_net_set_training(net, false);
    nn_loader_set_training(loader, 0);
    nn_loader_start_epoch(loader, 0);
    nn_status st = run_pass(net, loss, NULL, loader, cancel, predictions, stats);
    nn_net_set_training(net, was_training);
    nn_loader_set_training(loader, loader_was_training);
    return st;
}

nn_status nn_evaluate(nn_net *net, nn_loss_kind loss, nn_loader *loader,
                      const volatile sig_atomic_t *cancel, nn_pass_stats *stats)
{
    return evaluate_pass(net, loss, loader, cancel, NULL, stats);
}

nn_status nn_predict(nn_net *net, nn_loss_kind loss, nn_loader *loader, const volatile sig_atomic_t *cancel,
                     nn_predictions *out, nn_pass_stats *stats)
{
    *stats = (nn_pass_stats){.first_loss = NAN};
    if (loss == NN_LOSS_MSE || nn_loader_target_width(loader) > 0)
        return nn_fail(NN_EINVAL, "predictions need class labels, but the data has regression targets");
    return evaluate_pass(net, loss, loader, cancel, out, stats);
}
