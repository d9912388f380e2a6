/* Losses, with PyTorch's default 'mean' reduction.
 *
 * Shapes: logits/pred (B, C) row-major; targets (B) class indices in [0, C);
 * dense targets (B, C). Gradients are of the MEAN loss and overwrite their
 * output buffer. Any out-of-range target is NN_EINVAL naming the row and value. */
#ifndef NN_LOSS_H
#define NN_LOSS_H

#include <stdint.h>

#include "nn_error.h"

/* Cross entropy on raw logits via log-sum-exp (like torch.nn.CrossEntropyLoss).
 * *loss = mean_b(logsumexp(z_b) - z_b[t_b]); dlogits (may be NULL) =
 * (softmax(z) - onehot(t)) / B; *correct (may be NULL) counts argmax hits,
 * where a row with a NaN or infinite value is never a hit. */
nn_status nn_cross_entropy(const float *logits, const int32_t *targets, int B, int C,
                           float *loss, float *dlogits, int *correct);

/* MSE against dense targets: mean over all B*C elements (torch.nn.MSELoss).
 * dpred (may be NULL) = 2 (pred - target) / (B*C). */
nn_status nn_mse(const float *pred, const float *target, int B, int C,
                 float *loss, float *dpred);

/* MSE against one-hot encodings of class targets; same reduction and gradient.
 * *correct (may be NULL) counts argmax hits, as nn_cross_entropy does. */
nn_status nn_mse_onehot(const float *pred, const int32_t *targets, int B, int C,
                        float *loss, float *dpred, int *correct);

/* row: (C). The class a row predicts: the first index of its largest value, or
 * -1 when the row holds a NaN or an infinity (such a row is never a hit). */
int nn_row_argmax(const float *row, int C);

#endif
