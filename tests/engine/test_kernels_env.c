/* Kernel selection: NNLAB_SIMD and the once-only, thread-safe choice of
 * nn_kernels_active(). The choice is cached per process, so each case runs in
 * a forked child that sets the variable before its first call. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>
#include <threads.h>
#include <unistd.h>

#include "nn_kernels.h"
#include "test_util.h"

enum { CHOSE_SCALAR = 10, CHOSE_AVX2 = 11, CHOSE_OTHER = 12 };

static int chosen_code(const nn_dense_kernels *k)
{
    if (k == nn_kernels_scalar())
        return CHOSE_SCALAR;
    if (k && k == nn_kernels_avx2())
        return CHOSE_AVX2;
    return CHOSE_OTHER;
}

static int first_call_from_thread(void *arg)
{
    *(const nn_dense_kernels **)arg = nn_kernels_active();
    return 0;
}

/* In a child: set NNLAB_SIMD to `value` (unset when NULL), make the first
 * calls from several threads at once; exit with the table they agreed on. */
static int active_table_in_child(const char *value)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (value)
            setenv("NNLAB_SIMD", value, 1);
        else
            unsetenv("NNLAB_SIMD");
        enum { THREADS = 4 };
        thrd_t threads[THREADS];
        const nn_dense_kernels *seen[THREADS];
        for (int i = 0; i < THREADS; i++)
            if (thrd_create(&threads[i], first_call_from_thread, &seen[i]) != thrd_success)
                _exit(2);
        for (int i = 0; i < THREADS; i++)
            thrd_join(threads[i], NULL);
        for (int i = 1; i < THREADS; i++)
            if (seen[i] != seen[0])
                _exit(3);
        /* Changing the variable later changes nothing: the choice is cached. */
        setenv("NNLAB_SIMD", value && strcmp(value, "scalar") == 0 ? "avx2" : "scalar", 1);
        if (nn_kernels_active() != seen[0])
            _exit(4);
        _exit(chosen_code(seen[0]));
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int best_code(void) { return nn_kernels_avx2() ? CHOSE_AVX2 : CHOSE_SCALAR; }

static void test_scalar_forces_reference(void **state)
{
    (void)state;
    assert_int_equal(active_table_in_child("scalar"), CHOSE_SCALAR);
}

static void test_unset_chooses_best(void **state)
{
    (void)state;
    assert_int_equal(active_table_in_child(NULL), best_code());
}

static void test_unknown_values_are_ignored(void **state)
{
    (void)state;
    assert_int_equal(active_table_in_child("avx2"), best_code());
    assert_int_equal(active_table_in_child(""), best_code());
    assert_int_equal(active_table_in_child("neon"), best_code());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_forces_reference),
        cmocka_unit_test(test_unset_chooses_best),
        cmocka_unit_test(test_unknown_values_are_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
