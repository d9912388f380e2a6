/* Whole passes over a loader: one training epoch, one evaluation. The hot loop
 * of nnlab lives here so that a bridge call costs once per epoch, not per batch.
 *
 * Loss is reported as the sample-weighted mean of batch-mean losses (the mean
 * loss per sample over the epoch); accuracy as correct / count.
 *
 * Cancellation: a pass takes `cancel`, a flag it reads before every batch (NULL:
 * none). When another context (a signal handler, another thread) makes it
 * non-zero, the pass stops within one batch and returns NN_ECANCELED; the
 * network then holds the weights of the last finished step. The engine only
 * reads the flag: who sets it, and why, is the caller's business. */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include <signal.h>
#include <stdint.h>

#include "nn_data.h"
#include "nn_error.h"
#include "nn_net.h"
#include "nn_optim.h"

typedef enum nn_loss_kind {
    NN_LOSS_CROSS_ENTROPY = 0, /* logits vs class labels */
    NN_LOSS_MSE_ONEHOT,        /* outputs vs one-hot class labels */
    NN_LOSS_MSE,               /* outputs vs the loader's regression targets */
} nn_loss_kind;

typedef struct nn_pass_stats {
    double loss;      /* mean loss per sample over the samples seen */
    uint64_t correct; /* argmax hits (0 for regression) */
    uint64_t count;   /* samples seen */
    double seconds;   /* wall time of the pass */
    int diverged;     /* 1 when a batch's loss was NaN or infinite (training stops there) */
    double first_loss; /* the first batch's mean loss (in training, before its step); NAN without batches */
} nn_pass_stats;

/* Trains `net` for one epoch: loader epoch `epoch` (its shuffle order), and per
 * batch forward, loss, zero_grad, backward, optimizer step. The network is put
 * in training mode. Stops early, with stats->diverged = 1 and NN_OK, at the first
 * non-finite loss. NN_ESHAPE when the loader's samples are not as wide as the
 * network's input (or its targets as its output, for NN_LOSS_MSE); NN_EINVAL
 * when the loss does not fit the data (class labels vs targets) or when the
 * loader's batch hook stopped the pass (its message is the hook's). */
nn_status nn_train_epoch(nn_net *net, nn_loss_kind loss, nn_optim *opt, nn_loader *loader,
                         uint32_t epoch, const volatile sig_atomic_t *cancel, nn_pass_stats *stats);

/* Evaluates `net` over loader epoch 0 in eval mode (dropout off; the loader's
 * transforms deterministic, see nn_transform.h) and restores the modes it found. Every batch counts, even after a non-finite loss: then
 * stats->diverged = 1, the mean loss is not finite, and every sample with a
 * NaN or infinite output counts as wrong. */
nn_status nn_evaluate(nn_net *net, nn_loss_kind loss, nn_loader *loader,
                      const volatile sig_atomic_t *cancel, nn_pass_stats *stats);

/* Per-sample outcome of an evaluation pass, in the loader's order (the
 * dataset's order for a loader that does not shuffle); each array holds
 * `capacity` entries (nn_loader_samples). label: the true class; pred: the
 * predicted class (argmax, as accuracy counts it; -1 for an output holding a
 * NaN or an infinity); confidence: softmax(output)[pred] (0 when pred is -1). */
typedef struct nn_predictions {
    uint32_t capacity;
    int32_t *label;
    int32_t *pred;
    float *confidence;
} nn_predictions;

/* nn_evaluate that also fills `out` (classification losses only: NN_EINVAL for
 * regression data; NN_ESHAPE when the loader holds more than out->capacity
 * samples). stats is what nn_evaluate gives for the same pass. */
nn_status nn_predict(nn_net *net, nn_loss_kind loss, nn_loader *loader, const volatile sig_atomic_t *cancel,
                     nn_predictions *out, nn_pass_stats *stats);

#endif
