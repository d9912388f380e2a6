/* Kernel selection: NNLAB_SIMD and the once-only, thread-safe choice of
 * nn_kernels_active(). The choice is cached per process, so each case runs in
 * a forked child that sets the variable before its first call. A value that
 * names no path, or a path the CPU lacks, is refused with a message naming
 * the variable, the value and the cause (nn_kernels_choose, nn_net_create);
 * nn_kernels_for and nn_cpu_features_decode are checked on made-up CPUs. */
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
#include "nn_net.h"
#include "test_util.h"

enum { CHOSE_SCALAR = 10, CHOSE_AVX2 = 11, CHOSE_OTHER = 12, REFUSED = 13, CHOSE_AVX512 = 14 };

static int chosen_code(const nn_dense_kernels *k)
{
    if (k == nn_kernels_scalar())
        return CHOSE_SCALAR;
    if (k && k == nn_kernels_avx2())
        return CHOSE_AVX2;
    if (k && k == nn_kernels_avx512())
        return CHOSE_AVX512;
    return CHOSE_OTHER;
}

/* What a refusal's message must contain in the next child ("" for anything). */
static const char *refusal_needle = "";

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
        const nn_dense_kernels *chosen;
        if (nn_kernels_choose(&chosen) != NN_OK) {
            /* refused: the same message from the engine's entry point, and a
             * working fallback for code that cannot report it */
            char message[256];
            snprintf(message, sizeof message, "%s", nn_error_message());
            nn_layer_spec linear = {.kind = NN_LAYER_LINEAR, .in_features = 2, .out_features = 2};
            nn_net *net = NULL;
            if (nn_net_create(&net, &linear, 1, 1) != NN_EINVAL || net || strcmp(message, nn_error_message()))
                _exit(5);
            if (!seen[0] || chosen)
                _exit(6);
            if (!strstr(message, refusal_needle))
                _exit(7);
            printf("%s\n", message);
            fflush(stdout);
            _exit(REFUSED);
        }
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

static int best_code(void)
{
    bool half_rate = nn_cpu_features_detect().zmm_half_rate;
    return nn_kernels_avx512() && !half_rate ? CHOSE_AVX512
           : nn_kernels_avx2()               ? CHOSE_AVX2
                                             : CHOSE_SCALAR;
}

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

static void test_avx2_and_empty(void **state)
{
    (void)state;
    assert_int_equal(active_table_in_child("avx2"), nn_kernels_avx2() ? CHOSE_AVX2 : REFUSED);
    assert_int_equal(active_table_in_child(""), best_code()); /* empty is unset */
}

/* Unknown names (misspelt, other architectures, another case) are refused:
 * the child prints the message, which names the variable and the value. */
static void test_unknown_values_are_refused(void **state)
{
    (void)state;
    refusal_needle = "NNLAB_SIMD=neon: unknown SIMD path (expected scalar, avx2 or avx512";
    assert_int_equal(active_table_in_child("neon"), REFUSED);
    refusal_needle = "NNLAB_SIMD=avx: unknown SIMD path";
    assert_int_equal(active_table_in_child("avx"), REFUSED);
    refusal_needle = "NNLAB_SIMD=AVX2: unknown SIMD path";
    assert_int_equal(active_table_in_child("AVX2"), REFUSED);
    refusal_needle = "NNLAB_SIMD=scalar : unknown SIMD path";
    assert_int_equal(active_table_in_child("scalar "), REFUSED);
    refusal_needle = "";
}

/* avx512 gives the AVX-512 table where the CPU and OS have it, and is
 * refused elsewhere with the reason. */
static void test_avx512_where_available(void **state)
{
    (void)state;
    nn_cpu_features here = nn_cpu_features_detect();
    if (nn_kernels_avx512()) {
        assert_int_equal(active_table_in_child("avx512"), CHOSE_AVX512);
        return;
    }
    refusal_needle = !here.avx512f ? "NNLAB_SIMD=avx512: this CPU lacks AVX-512F"
                     : !here.os_zmm ? "NNLAB_SIMD=avx512: the operating system does not enable AVX-512"
                                    : "NNLAB_SIMD=avx512: this CPU has AVX-512F but lacks AVX2 or FMA";
    assert_int_equal(active_table_in_child("avx512"), REFUSED);
    refusal_needle = "";
}

/* The messages, on made-up CPUs. */
static void expect_refusal(const char *value, nn_cpu_features cpu, const char *needle)
{
    const nn_dense_kernels *k = (const nn_dense_kernels *)&k;
    assert_int_equal(nn_kernels_for(value, &cpu, &k), NN_EINVAL);
    assert_null(k);
    assert_error_contains(needle);
}

static void test_choice_on_made_up_cpus(void **state)
{
    (void)state;
    const nn_cpu_features none = {0};
    const nn_cpu_features avx2 = {.avx = true, .fma = true, .avx2 = true, .os_ymm = true};
    nn_cpu_features no_fma = avx2, no_os = avx2, avx512 = avx2, avx512_no_os = avx2;
    nn_cpu_features avx512_only = {.avx512f = true, .os_ymm = true, .os_zmm = true};
    no_fma.fma = false;
    no_os.os_ymm = false;
    avx512.avx512f = avx512.os_zmm = true;
    nn_cpu_features zen4 = avx512;
    zen4.zmm_half_rate = true;
    avx512_no_os.avx512f = true;
    const nn_dense_kernels *k;

    assert_int_equal(nn_kernels_for(NULL, &none, &k), NN_OK);
    assert_ptr_equal(k, nn_kernels_scalar());
    assert_int_equal(nn_kernels_for(NULL, &no_os, &k), NN_OK); /* no YMM state: scalar */
    assert_ptr_equal(k, nn_kernels_scalar());
    assert_int_equal(nn_kernels_for("", &avx512, &k), NN_OK);
    assert_string_equal(k->name, "avx512");
    assert_int_equal(nn_kernels_for(NULL, &avx512_no_os, &k), NN_OK); /* no ZMM state: avx2 */
    assert_string_equal(k->name, "avx2");
    assert_int_equal(nn_kernels_for("avx2", &avx512, &k), NN_OK);
    assert_string_equal(k->name, "avx2");
    assert_int_equal(nn_kernels_for("avx512", &avx512, &k), NN_OK);
    assert_string_equal(k->name, "avx512");
    assert_int_equal(nn_kernels_for(NULL, &zen4, &k), NN_OK); /* half-rate zmm: AVX2 is faster */
    assert_string_equal(k->name, "avx2");
    assert_int_equal(nn_kernels_for("avx512", &zen4, &k), NN_OK); /* but it may be asked for */
    assert_string_equal(k->name, "avx512");
    assert_int_equal(nn_kernels_for("scalar", &avx512, &k), NN_OK);
    assert_ptr_equal(k, nn_kernels_scalar());
    assert_int_equal(nn_kernels_for("avx2", &avx2, &k), NN_OK);
    assert_string_equal(k->name, "avx2");

    expect_refusal("avx2", none, "NNLAB_SIMD=avx2: this CPU lacks AVX2");
    expect_refusal("avx2", no_fma, "NNLAB_SIMD=avx2: this CPU lacks FMA");
    expect_refusal("avx2", no_os, "NNLAB_SIMD=avx2: the operating system does not enable AVX (YMM) state");
    expect_refusal("avx512", none, "NNLAB_SIMD=avx512: this CPU lacks AVX-512F (use scalar");
    expect_refusal("avx512", avx2, "NNLAB_SIMD=avx512: this CPU lacks AVX-512F (use avx2 or scalar");
    expect_refusal("avx512", avx512_no_os, "NNLAB_SIMD=avx512: the operating system does not enable AVX-512");
    expect_refusal("avx512", avx512_only, "NNLAB_SIMD=avx512: this CPU has AVX-512F but lacks AVX2 or FMA");
    expect_refusal("bogus", avx2, "NNLAB_SIMD=bogus: unknown SIMD path (expected scalar, avx2 or avx512");
    /* control bytes shown as \ddd, so the message stays one line and sends no terminal escape */
    expect_refusal("avx2\n\033[2K\rOK", avx2, "NNLAB_SIMD=avx2\\010\\027[2K\\013OK: unknown SIMD path");
    expect_refusal("0123456789012345678901234567890123456789xyz", avx2,
                   "NNLAB_SIMD=0123456789012345678901234567890123456789...: unknown SIMD path");
}

/* CPUID and XGETBV bits: AVX state needs OSXSAVE and XCR0 bits 1-2; AVX-512
 * state XCR0 bits 5-7 as well. */
static void test_feature_bits(void **state)
{
    (void)state;
    const uint32_t osxsave = 1u << 27, avx = 1u << 28, fma = 1u << 12;
    const uint32_t avx2 = 1u << 5, avx512f = 1u << 16;
    nn_cpu_features f = nn_cpu_features_decode(osxsave | avx | fma, avx2 | avx512f, 0xe7);
    assert_true(f.avx && f.fma && f.avx2 && f.avx512f && f.os_ymm && f.os_zmm);
    f = nn_cpu_features_decode(avx | fma, avx2, 0xe7); /* no OSXSAVE: XCR0 means nothing */
    assert_true(f.avx2 && !f.os_ymm && !f.os_zmm);
    f = nn_cpu_features_decode(osxsave | avx | fma, avx2, 0x3); /* SSE state only */
    assert_false(f.os_ymm);
    f = nn_cpu_features_decode(osxsave | avx | fma, avx2 | avx512f, 0x67); /* no Hi16_ZMM */
    assert_true(f.os_ymm && !f.os_zmm);
    f = nn_cpu_features_decode(0, 0, 0);
    assert_false(f.avx || f.fma || f.avx2 || f.avx512f);

    nn_cpu_features here = nn_cpu_features_detect();
    assert_int_equal(here.avx2 && here.fma && here.avx && here.os_ymm, nn_kernels_avx2() != NULL);
    assert_int_equal(nn_kernels_avx2() && here.avx512f && here.os_zmm, nn_kernels_avx512() != NULL);
    print_message("this CPU: avx2 %d fma %d os_ymm %d avx512f %d os_zmm %d zmm_half_rate %d\n",
                  here.avx2, here.fma, here.os_ymm, here.avx512f, here.os_zmm, here.zmm_half_rate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_forces_reference),
        cmocka_unit_test(test_unset_chooses_best),
        cmocka_unit_test(test_avx2_and_empty),
        cmocka_unit_test(test_unknown_values_are_refused),
        cmocka_unit_test(test_avx512_where_available),
        cmocka_unit_test(test_choice_on_made_up_cpus),
        cmocka_unit_test(test_feature_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
