/* Optimizers with PyTorch's exact update rules, and learning-rate schedules.
 *
 * An optimizer updates one flat parameter buffer from the matching flat gradient
 * buffer (see nn_net.h); its state (momentum buffer, Adam moments) is one flat
 * 64-byte aligned buffer of the same length per moment.
 *
 * SGD (torch.optim.SGD): g = grad + wd*p; if momentum: buf = g on the first step,
 *   else buf = momentum*buf + (1-dampening)*g; g = nesterov ? g + momentum*buf : buf;
 *   p -= lr*g.
 * Adam (torch.optim.Adam): t += 1; g = grad + wd*p; m = b1 m + (1-b1) g;
 *   v = b2 v + (1-b2) g²; p -= lr/(1-b1^t) * m / (√v/√(1-b2^t) + eps).
 * AdamW: p *= 1 - lr*wd, then Adam without wd. */
#ifndef NN_OPTIM_H
#define NN_OPTIM_H

#include <stdbool.h>
#include <stddef.h>

#include "nn_error.h"

typedef enum nn_optim_kind { NN_OPTIM_SGD = 0, NN_OPTIM_ADAM, NN_OPTIM_ADAMW } nn_optim_kind;

typedef struct nn_optim_config {
    nn_optim_kind kind;
    float lr;
    float weight_decay;
    /* SGD */
    float momentum, dampening;
    bool nesterov;
    /* Adam, AdamW */
    float beta1, beta2, eps;
} nn_optim_config;

/* PyTorch's defaults for this kind (SGD lr 1e-3; Adam lr 1e-3, betas
 * (0.9, 0.999), eps 1e-8, wd 0; AdamW the same with wd 1e-2). */
nn_optim_config nn_optim_defaults(nn_optim_kind kind);
const char *nn_optim_kind_name(nn_optim_kind kind); /* "SGD", "Adam", "AdamW" */

/* Checks every hyperparameter (finite, lr >= 0, wd >= 0, momentum >= 0,
 * 0 <= dampening <= 1, nesterov needs momentum > 0 and dampening 0,
 * 0 <= beta < 1, eps > 0). The message names the parameter and its value,
 * e.g. "invalid lr: -0.1 (must be >= 0)". */
nn_status nn_optim_validate(const nn_optim_config *config);

/* The double a float hyperparameter stands for: the shortest decimal that rounds
 * to it (0.999f -> 0.999), the Python float PyTorch would compute with. The
 * optimizers and schedules derive 1 - beta^t, lr / (1 - beta1^t), gamma^epoch...
 * from it, not from the float's own binary value. */
double nn_hyperparameter_as_written(float value);

typedef struct nn_optim nn_optim;

nn_status nn_optim_create(nn_optim **out, const nn_optim_config *config, size_t n_params);
void nn_optim_free(nn_optim *opt);

/* One step over params[0..n) with grads[0..n); n as given at creation. */
void nn_optim_step(nn_optim *opt, float *params, const float *grads);

float nn_optim_lr(const nn_optim *opt);
void nn_optim_set_lr(nn_optim *opt, float lr);
const nn_optim_config *nn_optim_config_of(const nn_optim *opt);
long nn_optim_steps_taken(const nn_optim *opt);

/* Adam on Intel CPUs takes the blocks of 16 parameters whose values are near
 * subnormal floats in double, the same bits without microcode assists (see
 * nn_optim.c); for tests: on or off, whatever the CPU. */
void nn_optim_set_subnormal_widening(nn_optim *opt, bool on);

/* Adam on Intel CPUs with AVX-512F divides by its bias correction with a
 * multiply and four FMAs, the division's bits (see nn_optim.c); for tests and
 * benchmarks: on (wherever the CPU has AVX-512F, in a gcc build) or off.
 * Returns whether it is on. */
bool nn_optim_set_fast_divisions(nn_optim *opt, bool on);

typedef enum nn_schedule_kind {
    NN_SCHEDULE_CONSTANT = 0,
    NN_SCHEDULE_STEP,        /* torch StepLR: lr * gamma^floor(epoch/step_size) */
    NN_SCHEDULE_EXPONENTIAL, /* torch ExponentialLR: lr * gamma^epoch */
    NN_SCHEDULE_COSINE,      /* torch CosineAnnealingLR (closed form):
                                eta_min + (lr-eta_min)(1+cos(pi*epoch/t_max))/2 */
} nn_schedule_kind;

typedef struct nn_schedule {
    nn_schedule_kind kind;
    int step_size;  /* STEP, > 0 */
    float gamma;    /* STEP, EXPONENTIAL, > 0 */
    int t_max;      /* COSINE, > 0 */
    float eta_min;  /* COSINE, >= 0 */
} nn_schedule;

nn_status nn_schedule_validate(const nn_schedule *schedule);
/* The learning rate for 0-based `epoch` given the optimizer's base lr. */
float nn_schedule_lr(const nn_schedule *schedule, float base_lr, int epoch);

#endif
