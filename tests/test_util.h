/* Domain assertions for nnlab's cmocka tests. Each failure names the caller's
 * file and line and the first element that is off. Include after <cmocka.h>. */
#ifndef NNLAB_TEST_UTIL_H
#define NNLAB_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* |a - b| <= atol + rtol * |b| for every element, else the test fails at the
 * caller's line with the index and both values. */
#define assert_close(a, b, n, rtol, atol)                                                \
    do {                                                                                   \
        const float *a_ = (a), *b_ = (b);                                                  \
        for (size_t i_ = 0; i_ < (size_t)(n); i_++) {                                     \
            double x_ = a_[i_], y_ = b_[i_];                                               \
            if (!(fabs(x_ - y_) <= (atol) + (rtol) * fabs(y_))) {                          \
                print_error("%s:%d: element %zu: %.9g vs %.9g (rtol %g, atol %g)\n",       \
                            __FILE__, __LINE__, i_, x_, y_, (double)(rtol), (double)(atol)); \
                _fail(__FILE__, __LINE__);                                                 \
            }                                                                              \
        }                                                                                  \
    } while (0)

/* A scalar version: |a - b| <= tol. */
#define assert_near(a, b, tol)                                                              \
    do {                                                                                    \
        double a_ = (a), b_ = (b);                                                          \
        if (!(fabs(a_ - b_) <= (tol))) {                                                    \
            print_error("%s:%d: %.9g vs %.9g (tol %g)\n", __FILE__, __LINE__, a_, b_,      \
                        (double)(tol));                                                     \
            _fail(__FILE__, __LINE__);                                                      \
        }                                                                                   \
    } while (0)

/* The message of the last engine error must contain `needle`. */
#define assert_error_contains(needle)                                                       \
    do {                                                                                    \
        const char *m_ = nn_error_message();                                                \
        if (!strstr(m_, (needle))) {                                                        \
            print_error("%s:%d: error message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, m_, \
                        (needle));                                                          \
            _fail(__FILE__, __LINE__);                                                      \
        }                                                                                   \
    } while (0)

/* A path under the test build's scratch folder ($NNLAB_TEST_TMP, else /tmp). */
static inline const char *test_tmp_path(char *buf, size_t size, const char *name)
{
    const char *dir = getenv("NNLAB_TEST_TMP");
    snprintf(buf, size, "%s/%s", dir && *dir ? dir : "/tmp", name);
    return buf;
}

#endif
