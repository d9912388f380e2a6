/* Learning-rate schedules (see nn_optim.h): constant, StepLR, ExponentialLR and
 * CosineAnnealingLR, each as the closed form of its epoch, computed in double
 * from the hyperparameters as written (nn_hyperparameter_as_written), as PyTorch
 * computes them from Python floats.
 *
 * PyTorch's step() methods update the lr recursively from the previous epoch's
 * value (lr * gamma; for CosineAnnealingLR a recursive cosine form). Those
 * recursions equal the closed forms used here (PyTorch's own
 * _get_closed_form_lr) up to float rounding. Past t_max the cosine keeps going,
 * back up to lr at 2*t_max, in both forms. */
#include "nn_optim.h"

#include <math.h>

static nn_status check_gamma(float gamma)
{
    if (!isfinite(gamma))
        return nn_fail(NN_EINVAL, "invalid gamma: %g (must be finite)", nn_error_number(gamma));
    if (!(gamma > 0))
        return nn_fail(NN_EINVAL, "invalid gamma: %g (must be > 0)", (double)gamma);
    return NN_OK;
}

nn_status nn_schedule_validate(const nn_schedule *s)
{
    if (!s)
        return nn_fail(NN_EINVAL, "invalid schedule: NULL");
    switch (s->kind) {
    case NN_SCHEDULE_CONSTANT:
        return NN_OK;
    case NN_SCHEDULE_STEP:
        if (s->step_size <= 0)
            return nn_fail(NN_EINVAL, "invalid step_size: %d (must be > 0)", s->step_size);
        return check_gamma(s->gamma);
    case NN_SCHEDULE_EXPONENTIAL:
        return check_gamma(s->gamma);
    case NN_SCHEDULE_COSINE:
        if (s->t_max <= 0)
            return nn_fail(NN_EINVAL, "invalid T_max: %d (must be > 0)", s->t_max);
        if (!isfinite(s->eta_min))
            return nn_fail(NN_EINVAL, "invalid eta_min: %g (must be finite)",
                           nn_error_number(s->eta_min));
        if (!(s->eta_min >= 0))
            return nn_fail(NN_EINVAL, "invalid eta_min: %g (must be >= 0)", (double)s->eta_min);
        return NN_OK;
    }
    return nn_fail(NN_EINVAL, "invalid schedule kind: %d", (int)s->kind);
}

/* A negative epoch is taken as epoch 0. */
float nn_schedule_lr(const nn_schedule *s, float base_lr, int epoch)
{
    const double pi = 3.14159265358979323846;
    double lr = nn_hyperparameter_as_written(base_lr);
    if (epoch < 0)
        epoch = 0;
    switch (s->kind) {
    case NN_SCHEDULE_CONSTANT:
        break;
    case NN_SCHEDULE_STEP:
        lr *= pow(nn_hyperparameter_as_written(s->gamma), epoch / s->step_size);
        break;
    case NN_SCHEDULE_EXPONENTIAL:
        lr *= pow(nn_hyperparameter_as_written(s->gamma), epoch);
        break;
    case NN_SCHEDULE_COSINE: {
        double eta_min = nn_hyperparameter_as_written(s->eta_min);
        lr = eta_min + (lr - eta_min) * (1.0 + cos(pi * epoch / s->t_max)) / 2.0;
        break;
    }
    }
    return (float)lr;
}
