/* Learning-rate schedules: StepLR, ExponentialLR and CosineAnnealingLR values at
 * several epochs against hand-worked values, the cosine closed form against
 * PyTorch's recursive form, and validation messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "nn_optim.h"
#include "test_util.h"

/* About one float ulp, relative. */
#define ULP 1.2e-7

static void assert_lr(const nn_schedule *s, float base_lr, int epoch, double expected)
{
    float lr = nn_schedule_lr(s, base_lr, epoch);
    if (!(fabs(lr - expected) <= ULP * fabs(expected))) {
        print_error("epoch %d: lr %.9g, expected %.9g\n", epoch, (double)lr, expected);
        fail();
    }
}

static void test_constant(void **state)
{
    (void)state;
    nn_schedule s = {.kind = NN_SCHEDULE_CONSTANT};
    assert_int_equal(nn_schedule_validate(&s), NN_OK);
    for (int epoch = 0; epoch < 50; epoch += 7)
        assert_true(nn_schedule_lr(&s, 0.25f, epoch) == 0.25f);
}

/* StepLR step_size 3, gamma 0.1, lr 0.1: 0.1 for epochs 0-2, 0.01 for 3-5,
 * 0.001 for 6-8, 0.0001 at 9. */
static void test_step(void **state)
{
    (void)state;
    nn_schedule s = {.kind = NN_SCHEDULE_STEP, .step_size = 3, .gamma = 0.1f};
    assert_int_equal(nn_schedule_validate(&s), NN_OK);
    const double expected[10] = {0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.0001};
    for (int epoch = 0; epoch < 10; epoch++)
        assert_lr(&s, 0.1f, epoch, expected[epoch]);
}

/* ExponentialLR gamma 0.5, lr 0.1: 0.1, 0.05, 0.025, 0.0125, 0.00625.
 * gamma 0.95 at epoch 100: 0.1 * 0.95^100 = 5.92052922e-4. Taking 0.95f's binary
 * value (0.949999988) instead would give 5.92052188e-4, 13 ulps lower. */
static void test_exponential(void **state)
{
    (void)state;
    nn_schedule s = {.kind = NN_SCHEDULE_EXPONENTIAL, .gamma = 0.5f};
    assert_int_equal(nn_schedule_validate(&s), NN_OK);
    const double expected[5] = {0.1, 0.05, 0.025, 0.0125, 0.00625};
    for (int epoch = 0; epoch < 5; epoch++)
        assert_lr(&s, 0.1f, epoch, expected[epoch]);
    s.gamma = 0.95f;
    assert_lr(&s, 0.1f, 100, 5.92052922e-4);
}

/* CosineAnnealingLR t_max 10, eta_min 0.001, lr 0.1:
 * lr(e) = 0.001 + 0.099 (1 + cos(pi e / 10)) / 2
 * e = 0: 0.1;  e = 2: 0.001 + 0.099 * (1 + 0.80901699) / 2 = 0.09054634;
 * e = 5: 0.001 + 0.099 / 2 = 0.0505;  e = 10: 0.001;
 * past t_max it climbs back: e = 15: 0.0505, e = 20: 0.1. */
static void test_cosine(void **state)
{
    (void)state;
    nn_schedule s = {.kind = NN_SCHEDULE_COSINE, .t_max = 10, .eta_min = 0.001f};
    assert_int_equal(nn_schedule_validate(&s), NN_OK);
    assert_lr(&s, 0.1f, 0, 0.1);
    assert_lr(&s, 0.1f, 2, 0.0905463398);
    assert_lr(&s, 0.1f, 5, 0.0505);
    assert_lr(&s, 0.1f, 10, 0.001);
    assert_lr(&s, 0.1f, 15, 0.0505);
    assert_lr(&s, 0.1f, 20, 0.1);
    s.eta_min = 0;
    assert_lr(&s, 0.1f, 5, 0.05);
    assert_lr(&s, 0.1f, 10, 0.0);
}

/* PyTorch's CosineAnnealingLR.step() (the recursive get_lr) matches the closed
 * form up to rounding, through t_max and beyond. */
static void test_cosine_recursive_form_agrees(void **state)
{
    (void)state;
    const double pi = 3.14159265358979323846, base = 0.1, eta_min = 0.001;
    const int t_max = 7;
    nn_schedule s = {.kind = NN_SCHEDULE_COSINE, .t_max = t_max, .eta_min = (float)eta_min};
    double lr = base;
    for (int epoch = 1; epoch <= 30; epoch++) {
        if ((epoch - 1 - t_max) % (2 * t_max) == 0)
            lr = lr + (base - eta_min) * (1 - cos(pi / t_max)) / 2;
        else
            lr = (1 + cos(pi * epoch / t_max)) / (1 + cos(pi * (epoch - 1) / t_max)) *
                     (lr - eta_min) + eta_min;
        assert_near(nn_schedule_lr(&s, (float)base, epoch), lr, 1e-8);
    }
}

/* Epochs before 0 are taken as epoch 0. */
static void test_negative_epoch(void **state)
{
    (void)state;
    nn_schedule s = {.kind = NN_SCHEDULE_STEP, .step_size = 2, .gamma = 0.5f};
    assert_true(nn_schedule_lr(&s, 0.1f, -3) == 0.1f);
}

static void test_validation_errors(void **state)
{
    (void)state;
    struct bad_schedule {
        nn_schedule schedule;
        const char *message;
    } cases[] = {
        {{.kind = NN_SCHEDULE_STEP, .step_size = 0, .gamma = 0.1f},
         "invalid step_size: 0 (must be > 0)"},
        {{.kind = NN_SCHEDULE_STEP, .step_size = -2, .gamma = 0.1f},
         "invalid step_size: -2 (must be > 0)"},
        {{.kind = NN_SCHEDULE_STEP, .step_size = 3, .gamma = 0},
         "invalid gamma: 0 (must be > 0)"},
        {{.kind = NN_SCHEDULE_STEP, .step_size = 3, .gamma = NAN},
         "invalid gamma: nan (must be finite)"},
        {{.kind = NN_SCHEDULE_EXPONENTIAL, .gamma = -0.5f}, "invalid gamma: -0.5 (must be > 0)"},
        /* a NaN with its sign bit (Lua's 0/0) reads "nan" too, not printf's "-nan" */
        {{.kind = NN_SCHEDULE_EXPONENTIAL, .gamma = -NAN}, "invalid gamma: nan (must be finite)"},
        {{.kind = NN_SCHEDULE_COSINE, .t_max = 10, .eta_min = -NAN},
         "invalid eta_min: nan (must be finite)"},
        {{.kind = NN_SCHEDULE_EXPONENTIAL, .gamma = INFINITY},
         "invalid gamma: inf (must be finite)"},
        {{.kind = NN_SCHEDULE_COSINE, .t_max = 0}, "invalid T_max: 0 (must be > 0)"},
        {{.kind = NN_SCHEDULE_COSINE, .t_max = 10, .eta_min = -0.1f},
         "invalid eta_min: -0.1 (must be >= 0)"},
        {{.kind = NN_SCHEDULE_COSINE, .t_max = 10, .eta_min = INFINITY},
         "invalid eta_min: inf (must be finite)"},
        {{.kind = (nn_schedule_kind)9}, "invalid schedule kind: 9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nn_error_clear();
        assert_int_equal(nn_schedule_validate(&cases[i].schedule), NN_EINVAL);
        assert_error_contains(cases[i].message);
    }
    /* fields a kind does not use are not checked */
    nn_schedule cosine = {.kind = NN_SCHEDULE_COSINE, .t_max = 5, .gamma = -1, .step_size = 0};
    assert_int_equal(nn_schedule_validate(&cosine), NN_OK);
    nn_schedule exponential = {.kind = NN_SCHEDULE_EXPONENTIAL, .gamma = 2, .t_max = -1};
    assert_int_equal(nn_schedule_validate(&exponential), NN_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_exponential),
        cmocka_unit_test(test_cosine),
        cmocka_unit_test(test_cosine_recursive_form_agrees),
        cmocka_unit_test(test_negative_epoch),
        cmocka_unit_test(test_validation_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
