/* NumPy reading: .npy bytes generated here for every dtype in both byte orders
 * (format 1.0, 2.0 and 3.0 headers), .npz archives built with libzip (stored
 * and deflated), files numpy itself wrote (fixtures/npy/, made once with numpy
 * 1.24), and every malformed case with its message. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdir, mkfifo, symlink (the build may define it already) */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "nn_npy.h"
#include "test_util.h"

/* ---- building .npy bytes ------------------------------------------------------- */

typedef struct bytes {
    uint8_t *p;
    size_t n;
} bytes;

static void bytes_free(bytes *b)
{
    free(b->p);
    b->p = NULL;
    b->n = 0;
}

/* A .npy stream: magic, version major.0, the header length, `dict` padded with
 * spaces and a newline to a multiple of 64 bytes (as numpy does), the body. */
static bytes npy_bytes(unsigned major, const char *dict, const void *body, size_t body_len)
{
    size_t preamble = major == 1 ? 10 : 12, len = strlen(dict);
    size_t header = ((preamble + len + 1 + 63) / 64) * 64 - preamble;
    bytes b = {malloc(preamble + header + body_len + 1), preamble + header + body_len};
    assert_non_null(b.p);
    memcpy(b.p, "\x93NUMPY", 6);
    b.p[6] = (uint8_t)major, b.p[7] = 0;
    for (size_t i = 0; i < preamble - 8; i++)
        b.p[8 + i] = (uint8_t)(header >> (8 * i));
    memcpy(b.p + preamble, dict, len);
    memset(b.p + preamble + len, ' ', header - len - 1);
    b.p[preamble + header - 1] = '\n';
    if (body_len)
        memcpy(b.p + preamble + header, body, body_len);
    return b;
}

/* Writes v as `size` bytes of kind 'u', 'i' or 'f' in the given byte order. */
static void put_value(uint8_t *p, char kind, unsigned size, int big, double v)
{
    uint64_t bits;
    if (kind == 'f' && size == 4) {
        float f = (float)v;
        uint32_t b32;
        memcpy(&b32, &f, 4);
        bits = b32;
    } else if (kind == 'f') {
        memcpy(&bits, &v, 8);
    } else {
        bits = (uint64_t)(int64_t)v;
    }
    for (unsigned i = 0; i < size; i++)
        p[big ? size - 1 - i : i] = (uint8_t)(bits >> (8 * i));
}

/* The test's own scratch folder. */
static const char *npy_path(char *path, size_t size, const char *name)
{
    char dir[400];
    mkdir(test_tmp_path(dir, sizeof dir, "npy"), 0777);
    snprintf(path, size, "%s/%s", dir, name);
    return path;
}

static const char *write_file(char *path, size_t size, const char *name, const void *data, size_t n)
{
    npy_path(path, size, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return path;
}

static bytes read_whole(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    bytes b = {malloc((size_t)n + 1), (size_t)n};
    assert_int_equal(fread(b.p, 1, b.n, f), b.n);
    fclose(f);
    return b;
}

/* fixtures/npy/name, beside this source file (CMake compiles it by full path). */
static const char *fixture(char *path, size_t size, const char *name)
{
    const char *src = getenv("NNLAB_SOURCE_DIR");
    if (src && *src) {
        snprintf(path, size, "%s/tests/engine/fixtures/npy/%s", src, name);
    } else {
        const char *slash = strrchr(__FILE__, '/');
        int dir = slash ? (int)(slash - __FILE__) : 1;
        snprintf(path, size, "%.*s/fixtures/npy/%s", dir, slash ? __FILE__ : ".", name);
    }
    return path;
}

/* ---- expectations ------------------------------------------------------------- */

static void expect_empty(const nn_array *a)
{
    assert_null(a->data);
    assert_int_equal(a->ndim, 0);
    assert_int_equal(a->descr[0], 0);
}

/* Parsing the bytes must fail with `status` and a message holding `needle`
 * that starts with the name; the array stays zeroed. */
static void expect_parse_error(bytes b, nn_status status, const char *needle)
{
    nn_array a;
    memset(&a, 0x5a, sizeof a);
    nn_error_clear();
    assert_int_equal(nn_npy_parse(b.p, b.n, "bad.npy", &a), status);
    expect_empty(&a);
    assert_error_contains(needle);
    assert_int_equal(strncmp(nn_error_message(), "bad.npy: ", 9), 0);
}

/* The same for a dict and body in a format-1.0 stream. */
static void expect_header_error(const char *dict, size_t body_len, const char *needle)
{
    uint8_t body[256] = {0};
    assert_true(body_len <= sizeof body);
    bytes b = npy_bytes(1, dict, body, body_len);
    expect_parse_error(b, NN_EFORMAT, needle);
    bytes_free(&b);
}

static void expect_read_error(const char *path, nn_status status, const char *needle)
{
    nn_array a;
    memset(&a, 0x5a, sizeof a);
    nn_error_clear();
    assert_int_equal(nn_npy_read(path, &a), status);
    expect_empty(&a);
    assert_error_contains(needle);
    assert_error_contains(path);
}

static void expect_npz_error(const char *path, const char *key, nn_status status,
                             const char *needle)
{
    nn_array a;
    memset(&a, 0x5a, sizeof a);
    nn_error_clear();
    assert_int_equal(nn_npz_read(path, key, &a), status);
    expect_empty(&a);
    assert_error_contains(needle);
    const char *m = nn_error_message(); /* "PATH..." or nn_file's "cannot open PATH: ..." */
    if (strncmp(m, "cannot open ", 12) == 0)
        m += 12;
    assert_int_equal(strncmp(m, path, strlen(path)), 0);
}

/* ---- every dtype, both byte orders, 1-D to 3-D, v1/v2/v3 ----------------------- */

static const char *const DESCRS[] = {"|u1", "<u1", ">u1", "|i1", "<i1", ">i1", "<i2", ">i2",
                                     "<i4", ">i4", "<i8", ">i8", "<f4", ">f4", "<f8", ">f8"};

/* Six values each dtype holds exactly. */
static double value_at(char kind, unsigned size, size_t i)
{
    static const double u[6] = {0, 1, 7, 128, 200, 255};
    static const double s[6] = {0, 1, -1, 127, -128, 42};
    static const double wide[6] = {0, -1, 32767, -32768, 1000, -77};
    static const double f[6] = {0.5, -1.25, 3.0, 1e-3f, 2.5e6, -0.0};
    if (kind == 'u')
        return u[i % 6];
    if (kind == 'i')
        return size == 1 ? s[i % 6] : wide[i % 6];
    return f[i % 6];
}

static void check_dtype(const char *descr, unsigned major, const char *shape, uint32_t ndim,
                        const uint64_t *dims)
{
    char kind = descr[1];
    unsigned size = (unsigned)(descr[2] - '0');
    int big = descr[0] == '>';
    enum { COUNT = 6 };
    uint8_t body[COUNT * 8];
    for (size_t i = 0; i < COUNT; i++)
        put_value(body + i * size, kind, size, big, value_at(kind, size, i));
    char dict[160];
    snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr,
             shape);
    bytes b = npy_bytes(major, dict, body, COUNT * size);

    nn_array a;
    nn_error_clear();
    assert_int_equal(nn_npy_parse(b.p, b.n, "ok.npy", &a), NN_OK);
    assert_string_equal(a.descr, descr);
    assert_int_equal(a.ndim, ndim);
    for (uint32_t d = 0; d < NN_ARRAY_MAX_DIMS; d++)
        assert_int_equal(a.shape[d], d < ndim ? dims[d] : 1);
    assert_int_equal(nn_array_elements(&a), COUNT);
    if (kind == 'u') {
        assert_int_equal(a.dtype, NN_DTYPE_U8);
        for (size_t i = 0; i < COUNT; i++)
            assert_int_equal(((uint8_t *)a.data)[i], (uint8_t)value_at(kind, size, i));
    } else {
        assert_int_equal(a.dtype, NN_DTYPE_F32);
        float want[COUNT];
        for (size_t i = 0; i < COUNT; i++)
            want[i] = (float)value_at(kind, size, i);
        assert_close((float *)a.data, want, COUNT, 0, 0);
    }
    nn_array_free(&a);
    assert_null(a.data);
    bytes_free(&b);
}

static void test_every_dtype_and_byte_order(void **state)
{
    (void)state;
    const uint64_t d1[1] = {6}, d2[2] = {2, 3}, d3[3] = {1, 2, 3}, d4[4] = {1, 3, 2, 1};
    for (size_t i = 0; i < sizeof DESCRS / sizeof *DESCRS; i++)
        for (unsigned major = 1; major <= 3; major++) {
            check_dtype(DESCRS[i], major, "(6,)", 1, d1);
            check_dtype(DESCRS[i], major, "(2, 3)", 2, d2);
            check_dtype(DESCRS[i], major, "(1, 2, 3)", 3, d3);
            check_dtype(DESCRS[i], major, "(1,3,2,1)", 4, d4);
        }
}

/* Keys in any order, double quotes, no spaces, trailing commas; "=" as little-endian. */
static void test_header_spelling(void **state)
{
    (void)state;
    const int16_t v[4] = {-3, 0, 5, 300};
    uint8_t body[8];
    for (int i = 0; i < 4; i++)
        put_value(body + 2 * i, 'i', 2, 0, v[i]);
    const char *dicts[] = {
        "{'shape': (4,), 'fortran_order': False, 'descr': '<i2'}",
        "{\"fortran_order\":False,\"shape\":(4,),\"descr\":\"<i2\",}",
        "{ 'descr' : '=i2' , 'shape' : ( 2 , 2 , ) , 'fortran_order' : False }",
        "{'descr': '<i2', 'fortran_order': False, 'shape': (4L,), }",
    };
    for (size_t i = 0; i < sizeof dicts / sizeof *dicts; i++) {
        bytes b = npy_bytes(1, dicts[i], body, sizeof body);
        nn_array a;
        assert_int_equal(nn_npy_parse(b.p, b.n, "ok.npy", &a), NN_OK);
        assert_int_equal(nn_array_elements(&a), 4);
        const float want[4] = {-3, 0, 5, 300};
        assert_close((float *)a.data, want, 4, 0, 0);
        nn_array_free(&a);
        bytes_free(&b);
    }
}

static void test_scalar(void **state)
{
    (void)state;
    uint8_t body[8];
    put_value(body, 'f', 8, 1, -2.75);
    bytes b = npy_bytes(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (), }", body, 8);
    nn_array a;
    assert_int_equal(nn_npy_parse(b.p, b.n, "ok.npy", &a), NN_OK);
    assert_int_equal(a.ndim, 0);
    assert_int_equal(nn_array_elements(&a), 1);
    assert_near(((float *)a.data)[0], -2.75, 0);
    nn_array_free(&a);
    bytes_free(&b);
}

/* int64 extremes round to the nearest float; float64 rounds to nearest:
 * a finite one beyond float32 (from FLT_MAX plus half its ulp) is refused,
 * named as the file has it (as ±inf a dataset would call it infinite),
 * FLT_MAX as printed (3.4028235e38, a little above it) is FLT_MAX; NaN
 * stays NaN (a dataset refuses it). */
static void test_conversions(void **state)
{
    (void)state;
    uint8_t body[4 * 8];
    const int64_t ints[4] = {INT64_MIN, INT64_MAX, -1, (int64_t)1 << 40};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 8; k++)
            body[8 * i + k] = (uint8_t)((uint64_t)ints[i] >> (8 * k));
    bytes b = npy_bytes(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }", body, 32);
    nn_array a;
    assert_int_equal(nn_npy_parse(b.p, b.n, "ok.npy", &a), NN_OK);
    const float want[4] = {-9223372036854775808.0f, 9223372036854775808.0f, -1, 1099511627776.0f};
    assert_close((float *)a.data, want, 4, 0, 0);
    nn_array_free(&a);
    bytes_free(&b);

    const double huge[4] = {2.0, -1e300, 1e300, 0.5};
    for (int i = 0; i < 4; i++)
        put_value(body + 8 * i, 'f', 8, 0, huge[i]);
    b = npy_bytes(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", body, 32);
    assert_int_equal(nn_npy_parse(b.p, b.n, "huge.npy", &a), NN_EINVAL);
    assert_string_equal(nn_error_message(), "huge.npy: element 1 (0-based, in C order) is -1e+300, too large for a "
                                            "32-bit float (at most 3.40282e+38): scale the data");
    bytes_free(&b);

    const double doubles[4] = {3.4028235e38, -3.4028235e38, NAN, DBL_MIN};
    for (int i = 0; i < 4; i++)
        put_value(body + 8 * i, 'f', 8, 0, doubles[i]);
    b = npy_bytes(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", body, 32);
    assert_int_equal(nn_npy_parse(b.p, b.n, "ok.npy", &a), NN_OK);
    const float *f = a.data;
    assert_true(f[0] == FLT_MAX);
    assert_true(f[1] == -FLT_MAX);
    assert_true(isnan(f[2]));
    assert_true(f[3] == 0.0f);
    assert_int_equal(a.whole_from_fraction, 4); /* DBL_MIN has a fraction, and rounds to 0 */
    assert_true(a.fraction_value == DBL_MIN);
    nn_array_free(&a);
    bytes_free(&b);

    /* the first f8 with a fraction that float32 makes whole is recorded; a
     * whole double or a fraction float32 keeps is not */
    const double near[4] = {2.0, 0.5, 0.29 * 100, 0.99999999};
    for (int i = 0; i < 4; i++)
        put_value(body + 8 * i, 'f', 8, 0, near[i]);
    b = npy_bytes(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", body, 32);
    assert_int_equal(nn_npy_parse(b.p, b.n, "ok.npy", &a), NN_OK);
    assert_int_equal(a.whole_from_fraction, 3);
    assert_true(a.fraction_value == 0.29 * 100);
    nn_array_free(&a);
    bytes_free(&b);

    /* the last double that rounds to FLT_MAX, and the first that would round to inf */
    const double edges[4] = {3.4028235e38, -nextafter(0x1.ffffffp+127, 0), nextafter(0x1.ffffffp+127, 0),
                             0x1.ffffffp+127};
    for (int i = 0; i < 4; i++)
        put_value(body + 8 * i, 'f', 8, 0, edges[i]);
    b = npy_bytes(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", body, 24);
    assert_int_equal(nn_npy_parse(b.p, b.n, "ok.npy", &a), NN_OK);
    f = a.data;
    assert_true(f[0] == FLT_MAX);
    assert_true(f[1] == -FLT_MAX);
    assert_true(f[2] == FLT_MAX);
    nn_array_free(&a);
    bytes_free(&b);
    b = npy_bytes(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", body, 32);
    assert_int_equal(nn_npy_parse(b.p, b.n, "edge.npy", &a), NN_EINVAL);
    assert_non_null(strstr(nn_error_message(), "edge.npy: element 3 (0-based, in C order) is 3.4028235677973366e+38"));
    bytes_free(&b);
}

/* A body larger than the conversion chunk, read from a file. */
static void test_read_file_large(void **state)
{
    (void)state;
    enum { ROWS = 300, COLS = 100 };
    uint8_t *body = malloc(ROWS * COLS * 2);
    for (size_t i = 0; i < ROWS * COLS; i++)
        put_value(body + 2 * i, 'i', 2, 1, (double)((int)(i % 60000) - 30000));
    bytes b = npy_bytes(1, "{'descr': '>i2', 'fortran_order': False, 'shape': (300, 100), }", body,
                        ROWS * COLS * 2);
    char path[512];
    write_file(path, sizeof path, "large.npy", b.p, b.n);
    nn_array a;
    assert_int_equal(nn_npy_read(path, &a), NN_OK);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], ROWS);
    assert_int_equal(a.shape[1], COLS);
    const float *f = a.data;
    for (size_t i = 0; i < ROWS * COLS; i++)
        assert_int_equal((int)f[i], (int)(i % 60000) - 30000);
    nn_array_free(&a);
    nn_array_free(&a); /* safe twice: zeroed */
    bytes_free(&b);
    free(body);
}

/* ---- files numpy wrote ------------------------------------------------------- */

static void test_numpy_fixtures(void **state)
{
    (void)state;
    char path[1024];
    nn_array a;
    /* np.save(np.arange(60, dtype=uint8) * 37 + 11, reshaped (3, 4, 5)) */
    assert_int_equal(nn_npy_read(fixture(path, sizeof path, "u1_3x4x5.npy"), &a), NN_OK);
    assert_int_equal(a.dtype, NN_DTYPE_U8);
    assert_string_equal(a.descr, "|u1");
    assert_int_equal(a.ndim, 3);
    assert_int_equal(a.shape[0] * 100 + a.shape[1] * 10 + a.shape[2], 345);
    for (size_t i = 0; i < 60; i++)
        assert_int_equal(((uint8_t *)a.data)[i], (uint8_t)(i * 37 + 11));
    nn_array_free(&a);

    assert_int_equal(nn_npy_read(fixture(path, sizeof path, "i8_labels.npy"), &a), NN_OK);
    assert_string_equal(a.descr, "<i8");
    assert_int_equal(a.ndim, 1);
    const float labels[7] = {0, 1, 2, 9, 5, -3, 7};
    assert_int_equal(nn_array_elements(&a), 7);
    assert_close((float *)a.data, labels, 7, 0, 0);
    nn_array_free(&a);

    assert_int_equal(nn_npy_read(fixture(path, sizeof path, "f4_be_2x3.npy"), &a), NN_OK);
    assert_string_equal(a.descr, ">f4");
    const float f4[6] = {0.5f, -1.25f, 3.0f, 1e-3f, 2.5e6f, -0.0f};
    assert_close((float *)a.data, f4, 6, 0, 0);
    nn_array_free(&a);

    /* np.savez / np.savez_compressed(x=arange(24, uint8)*5 as (2,3,4), y=[3, 1] int64) */
    const char *archives[2] = {"pair.npz", "pair_compressed.npz"};
    for (int k = 0; k < 2; k++) {
        fixture(path, sizeof path, archives[k]);
        assert_int_equal(nn_npz_read(path, "x", &a), NN_OK);
        assert_int_equal(a.dtype, NN_DTYPE_U8);
        assert_int_equal(a.ndim, 3);
        assert_int_equal(a.shape[2], 4);
        for (size_t i = 0; i < 24; i++)
            assert_int_equal(((uint8_t *)a.data)[i], (uint8_t)(i * 5));
        nn_array_free(&a);
        assert_int_equal(nn_npz_read(path, "y", &a), NN_OK);
        const float y[2] = {3, 1};
        assert_close((float *)a.data, y, 2, 0, 0);
        nn_array_free(&a);
        expect_npz_error(path, "z", NN_EFORMAT, ": no array 'z' (it has: x, y)");
    }
    /* np.savez(arange(6).reshape(2, 3) / 4): one positional array, arr_0 */
    fixture(path, sizeof path, "positional.npz");
    assert_int_equal(nn_npz_read(path, "arr_0", &a), NN_OK);
    const float quarters[6] = {0, 0.25f, 0.5f, 0.75f, 1, 1.25f};
    assert_string_equal(a.descr, "<f8");
    assert_close((float *)a.data, quarters, 6, 0, 0);
    nn_array_free(&a);
    expect_npz_error(path, "x", NN_EFORMAT, "positional.npz: no array 'x' (it has: arr_0)");
}

/* ---- npz archives built here ------------------------------------------------- */

/* Writes an archive of the given members (name, bytes), each stored or
 * deflated; returns the path. */
static const char *write_npz(char *path, size_t size, const char *name, int n,
                             const char *const *members, const bytes *data, zip_int32_t method)
{
    npy_path(path, size, name);
    int error;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &error);
    assert_non_null(za);
    for (int i = 0; i < n; i++) {
        zip_source_t *src = zip_source_buffer(za, data[i].p, data[i].n, 0);
        assert_non_null(src);
        zip_int64_t index = zip_file_add(za, members[i], src, ZIP_FL_OVERWRITE);
        assert_true(index >= 0);
        assert_int_equal(zip_set_file_compression(za, (zip_uint64_t)index, method, 0), 0);
    }
    assert_int_equal(zip_close(za), 0);
    return path;
}

/* Two arrays, u1 (3, 4) and >f4 (2,), in the members "x.npy" and "y.npy". */
static void two_arrays(bytes *data)
{
    uint8_t u[12], f[8];
    for (int i = 0; i < 12; i++)
        u[i] = (uint8_t)(i * 20);
    put_value(f, 'f', 4, 1, 1.5);
    put_value(f + 4, 'f', 4, 1, -8);
    data[0] = npy_bytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 4), }", u, 12);
    data[1] = npy_bytes(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", f, 8);
}

static void check_two_arrays(const nn_array *x, const nn_array *y)
{
    assert_int_equal(x->dtype, NN_DTYPE_U8);
    assert_int_equal(x->ndim, 2);
    assert_int_equal(x->shape[0], 3);
    assert_int_equal(x->shape[1], 4);
    for (int i = 0; i < 12; i++)
        assert_int_equal(((uint8_t *)x->data)[i], i * 20);
    assert_int_equal(y->dtype, NN_DTYPE_F32);
    const float want[2] = {1.5f, -8};
    assert_close((float *)y->data, want, 2, 0, 0);
}

static void test_npz_stored_and_deflated(void **state)
{
    (void)state;
    bytes data[2];
    two_arrays(data);
    const char *const members[2] = {"x.npy", "y.npy"};
    const zip_int32_t methods[2] = {ZIP_CM_STORE, ZIP_CM_DEFLATE};
    for (int m = 0; m < 2; m++) {
        char path[512];
        write_npz(path, sizeof path, m ? "deflated.npz" : "stored.npz", 2, members, data,
                  methods[m]);
        nn_array x, y;
        assert_int_equal(nn_npz_read(path, "x", &x), NN_OK);
        assert_int_equal(nn_npz_read(path, "y", &y), NN_OK);
        check_two_arrays(&x, &y);
        nn_array_free(&x);
        nn_array_free(&y);

        bytes whole = read_whole(path);
        assert_int_equal(nn_npz_parse(whole.p, whole.n, "mem.npz", "y", &y), NN_OK);
        assert_int_equal(nn_npz_parse(whole.p, whole.n, "mem.npz", "x", &x), NN_OK);
        check_two_arrays(&x, &y);
        nn_array_free(&x);
        nn_array_free(&y);
        /* the member's full name works too */
        assert_int_equal(nn_npz_parse(whole.p, whole.n, "mem.npz", "x.npy", &x), NN_OK);
        nn_array_free(&x);
        bytes_free(&whole);
        expect_npz_error(path, "labels", NN_EFORMAT, ": no array 'labels' (it has: x, y)");
        char long_key[1100];
        memset(long_key, 'k', sizeof long_key - 1);
        long_key[sizeof long_key - 1] = '\0';
        expect_npz_error(path, long_key, NN_EINVAL, ": array name of 1099 bytes is too long");
    }
    bytes_free(&data[0]);
    bytes_free(&data[1]);
}

/* A bad .npy inside an archive is reported as "path[key]: ...". */
static void test_npz_bad_member(void **state)
{
    (void)state;
    bytes data[2];
    data[0] = npy_bytes(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "\0\0\0\0"
                        "\0\0\0\0", 8);
    uint8_t body[6] = {0};
    data[1] = npy_bytes(3, "{'descr': '<i2', 'fortran_order': False, 'shape': (4,), }", body, 6);
    const char *const members[2] = {"obj.npy", "short.npy"};
    char path[512], want[600];
    write_npz(path, sizeof path, "bad-members.npz", 2, members, data, ZIP_CM_DEFLATE);
    snprintf(want, sizeof want, "%s[obj]: holds Python objects (dtype object), not numbers", path);
    expect_npz_error(path, "obj", NN_EFORMAT, want);
    snprintf(want, sizeof want, "%s[short]: truncated body: shape (4,) of <i2 needs 8 bytes but "
             "only 6 follow the header", path);
    expect_npz_error(path, "short", NN_EFORMAT, want);

    /* members' names are quoted with their control bytes as '?' */
    const char *const odd_names[2] = {"a\nb.npy", "y.npy"};
    write_npz(path, sizeof path, "odd-names.npz", 2, odd_names, data, ZIP_CM_DEFLATE);
    expect_npz_error(path, "x", NN_EFORMAT, ": no array 'x' (it has: a?b, y)");
    bytes_free(&data[0]);
    bytes_free(&data[1]);

    const char *const none[1] = {"readme.txt"};
    bytes text = {(uint8_t *)"hello", 5};
    write_npz(path, sizeof path, "no-npy.npz", 1, none, &text, ZIP_CM_STORE);
    expect_npz_error(path, "x", NN_EFORMAT, "no-npy.npz: no array 'x' (it has: readme.txt)");
    snprintf(want, sizeof want, "%s[readme.txt]: not a .npy file (bad magic", path);
    expect_npz_error(path, "readme.txt", NN_EFORMAT, want);

    write_npz(path, sizeof path, "empty.npz", 0, NULL, NULL, ZIP_CM_STORE);
    /* libzip writes no file for an empty archive */
    expect_npz_error(path, "x", NN_EIO, "cannot open");
}

/* Broken archives: a flipped body byte (CRC), cut short, not a zip at all. */
static void test_npz_corrupt(void **state)
{
    (void)state;
    bytes data[2];
    two_arrays(data);
    const char *const members[2] = {"x.npy", "y.npy"};
    char path[512], broken[512];
    write_npz(path, sizeof path, "crc.npz", 2, members, data, ZIP_CM_STORE);
    bytes whole = read_whole(path);
    /* the first member's body ends 12 bytes after its 128-byte preamble+header */
    uint8_t *x = NULL;
    for (size_t i = 0; !x && i + 6 <= whole.n; i++)
        if (memcmp(whole.p + i, "\x93NUMPY", 6) == 0)
            x = whole.p + i;
    assert_non_null(x);
    x[128 + 5] ^= 0x40;
    write_file(broken, sizeof broken, "crc-flipped.npz", whole.p, whole.n);
    expect_npz_error(broken, "x", NN_EFORMAT, "[x]: corrupt archive member: CRC error");
    nn_array a;
    assert_int_equal(nn_npz_read(broken, "y", &a), NN_OK); /* the other member is intact */
    nn_array_free(&a);
    nn_error_clear();
    assert_int_equal(nn_npz_parse(whole.p, whole.n, "mem.npz", "x", &a), NN_EFORMAT);
    assert_error_contains("mem.npz[x]: corrupt archive member: CRC error");

    write_file(broken, sizeof broken, "cut.npz", whole.p, whole.n / 2);
    expect_npz_error(broken, "x", NN_EFORMAT, "cut.npz: not a readable zip archive (");
    bytes_free(&whole);

    write_npz(path, sizeof path, "crc-deflated.npz", 2, members, data, ZIP_CM_DEFLATE);
    whole = read_whole(path);
    write_file(broken, sizeof broken, "cut-deflated.npz", whole.p, whole.n - 30);
    expect_npz_error(broken, "y", NN_EFORMAT, "cut-deflated.npz: not a readable zip archive (");
    bytes_free(&whole);

    /* x's uncompressed size, 140 bytes, given as 5 or 1000 in both the local
     * header and the central directory: the archive is blamed, not the array */
    static const struct { uint32_t size; zip_int32_t method; const char *name, *needle; } lies[] = {
        {5, ZIP_CM_STORE, "lie-5.npz", "[x]: corrupt archive: the member holds more than 5 bytes, "
                                       "but the archive says 5"},
        {5, ZIP_CM_DEFLATE, "lie-5-deflated.npz", "[x]: corrupt archive: the member holds more "
                                                  "than 5 bytes, but the archive says 5"},
        {1000, ZIP_CM_STORE, "lie-1000.npz", "[x]: corrupt archive member: "},
        {1000, ZIP_CM_DEFLATE, "lie-1000-deflated.npz", "[x]: corrupt archive: the member holds "
                                                        "140 bytes, but the archive says 1000"},
    };
    for (size_t l = 0; l < sizeof lies / sizeof *lies; l++) {
        write_npz(path, sizeof path, "lie.npz", 2, members, data, lies[l].method);
        whole = read_whole(path);
        int patched = 0;
        for (size_t i = 0; i + 46 <= whole.n; i++) {
            /* the uncompressed size: at 22 in a local header, 24 in the central directory */
            size_t at = memcmp(whole.p + i, "PK\x03\x04", 4) == 0   ? i + 22
                        : memcmp(whole.p + i, "PK\x01\x02", 4) == 0 ? i + 24 : 0;
            uint32_t old = 0;
            for (int k = 0; at && k < 4; k++)
                old |= (uint32_t)whole.p[at + k] << (8 * k);
            if (!at || old != data[0].n) /* y's are 136 bytes */
                continue;
            for (int k = 0; k < 4; k++)
                whole.p[at + k] = (uint8_t)(lies[l].size >> (8 * k));
            patched++;
        }
        assert_int_equal(patched, 2);
        write_file(broken, sizeof broken, lies[l].name, whole.p, whole.n);
        expect_npz_error(broken, "x", NN_EFORMAT, lies[l].needle);
        bytes_free(&whole);
    }

    /* a method numpy never writes (bzip2) is named, not called corrupt */
    if (zip_compression_method_supported(ZIP_CM_BZIP2, 1)) {
        write_npz(path, sizeof path, "bzip2.npz", 2, members, data, ZIP_CM_BZIP2);
        expect_npz_error(path, "x", NN_EFORMAT, "[x]: compressed with zip method 12; only stored "
                         "and deflated members are read");
    } else {
        print_message("this libzip writes no bzip2: the bzip2 member is not tested\n");
    }

    write_file(broken, sizeof broken, "text.npz", "not a zip", 9);
    expect_npz_error(broken, "x", NN_EFORMAT, "text.npz: not a readable zip archive (Not a zip "
                     "archive)");
    write_file(broken, sizeof broken, "empty-file.npz", "", 0);
    expect_npz_error(broken, "x", NN_EFORMAT, "empty-file.npz: not a readable zip archive (the "
                     "file is empty)");
    nn_error_clear();
    assert_int_equal(nn_npz_parse(NULL, 0, "nothing.npz", "x", &a), NN_EFORMAT);
    assert_error_contains("nothing.npz: not a readable zip archive (the file is empty)");
    bytes_free(&data[0]);
    bytes_free(&data[1]);
}

/* ---- malformed .npy ---------------------------------------------------------- */

static void test_bad_magic_version_length(void **state)
{
    (void)state;
    bytes b = npy_bytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", "ab", 2);
    b.p[1] = 'n';
    expect_parse_error(b, NN_EFORMAT, "bad.npy: not a .npy file (bad magic: it does not start "
                       "with \\x93NUMPY)");
    b.p[1] = 'N';
    expect_parse_error((bytes){(uint8_t *)"PK\3\4", 4}, NN_EFORMAT,
                       "not a .npy file (bad magic: it does not start with \\x93NUMPY); it is a zip archive: an "
                       ".npz? read it with data.npz");
    expect_parse_error((bytes){b.p, 0}, NN_EFORMAT, "bad.npy: truncated header: 0 bytes");
    expect_parse_error((bytes){b.p, 4}, NN_EFORMAT, "bad.npy: truncated header: 4 bytes");
    expect_parse_error((bytes){b.p, 9}, NN_EFORMAT, "bad.npy: truncated header: 9 bytes");
    expect_parse_error((bytes){b.p, 60}, NN_EFORMAT,
                       "bad.npy: truncated header: it declares 118 bytes but only 50 follow");
    b.p[6] = 4;
    expect_parse_error(b, NN_EFORMAT, "bad.npy: unsupported .npy format version 4.0 (1.0, 2.0 and "
                       "3.0 are read)");
    b.p[6] = 1, b.p[7] = 1;
    expect_parse_error(b, NN_EFORMAT, "unsupported .npy format version 1.1");
    b.p[6] = 0, b.p[7] = 0;
    expect_parse_error(b, NN_EFORMAT, "unsupported .npy format version 0.0");
    bytes_free(&b);

    /* format 2.0 with a 4-byte length far beyond the file, and one cut short */
    b = npy_bytes(2, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", "ab", 2);
    b.p[10] = 0x10;
    expect_parse_error(b, NN_EFORMAT, "truncated header: it declares 1048692 bytes but only");
    expect_parse_error((bytes){b.p, 11}, NN_EFORMAT, "bad.npy: truncated header: 11 bytes");
    bytes_free(&b);

    /* a 2 MiB header that is really there */
    size_t big = (size_t)2 << 20;
    uint8_t *p = calloc(12 + big, 1);
    memcpy(p, "\x93NUMPY\3\0", 8);
    p[8] = (uint8_t)big, p[9] = (uint8_t)(big >> 8), p[10] = (uint8_t)(big >> 16);
    expect_parse_error((bytes){p, 12 + big}, NN_EFORMAT, "bad.npy: header of 2097152 bytes is too "
                       "long (at most 1048576)");
    free(p);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    expect_header_error("", 0, "bad.npy: malformed header: expected '{' (the header is a Python "
                        "dict), found the end of the header");
    expect_header_error("[1, 2]", 0, "expected '{' (the header is a Python dict) at byte 0, "
                        "found '['");
    expect_header_error("{}", 0, "bad.npy: malformed header: no 'descr' key");
    expect_header_error("{'descr': '|u1', 'shape': (2,)}", 2, "bad.npy: malformed header: no "
                        "'fortran_order' key");
    expect_header_error("{'descr': '|u1', 'fortran_order': False}", 2, "no 'shape' key");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), 'x': 1}", 2,
                        "bad.npy: malformed header: unknown key 'x' (expected 'descr', "
                        "'fortran_order' and 'shape')");
    expect_header_error("{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (2,)}",
                        2, "bad.npy: malformed header: key 'descr' appears twice");
    expect_header_error("{descr: '|u1'}", 2, "expected a quoted key or '}' at byte 1, found 'd'");
    expect_header_error("{'descr' '|u1'}", 2, "expected ':' after a key at byte 9, found '''");
    expect_header_error("{'descr': '|u1' 'shape': (2,)}", 2, "expected ',' or '}' after a value");
    expect_header_error("{'descr': '|u1, 'fortran_order': False, 'shape': (2,)}", 2,
                        "dtype '|u1, ' is not supported");
    expect_header_error("{'descr: 1}", 2, "bad.npy: malformed header: unterminated string at "
                        "byte 1");
    expect_header_error("{'descr': 8, 'fortran_order': False, 'shape': (2,)}", 2,
                        "expected a dtype string for 'descr' at byte 10, found '8'");
    expect_header_error("{'descr': '|u1', 'fortran_order': 0, 'shape': (2,)}", 2,
                        "expected True or False for 'fortran_order' at byte 34, found '0'");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (2,)} x", 2,
                        "expected the end of the header after '}' at byte 56, found 'x'");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (2,)", 2,
                        "expected ',' or '}' after a value, found the end of the header");
    /* a header cut inside a string, with NUL bytes instead of padding */
    bytes b = npy_bytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", "ab", 2);
    memset(b.p + 10 + 12, 0, 106); /* from inside the descr string on */
    expect_parse_error(b, NN_EFORMAT, "bad.npy: malformed header: unterminated string at byte 10");
    bytes_free(&b);
}

static void test_refused_dtypes_and_order(void **state)
{
    (void)state;
    expect_header_error("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 1), }", 2,
                        "bad.npy: the array is in Fortran order; save it with "
                        "np.ascontiguousarray");
    expect_header_error("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", 8,
                        "bad.npy: holds Python objects (dtype object), not numbers");
    expect_header_error("{'descr': [('a', '<i4'), ('b', '<f4')], 'fortran_order': False, "
                        "'shape': (1,), }", 8, "bad.npy: structured dtype [('a', '<i4'), ('b', "
                        "'<f4')] is not supported: save a plain numeric array");
    /* the file's control bytes and newlines are quoted as '?': one line of plain text */
    expect_header_error("{'descr': '<f4\r\x1b[2Jpwned', 'fortran_order': False, 'shape': (1,), }",
                        8, "bad.npy: dtype '<f4??[2Jpwned' is not supported");
    expect_header_error("{'descr': [('a', '<i4'),\n ('b', '<f4')], 'fortran_order': False, "
                        "'shape': (1,), }", 8, "bad.npy: structured dtype [('a', '<i4'),? ('b', "
                        "'<f4')] is not supported");
    assert_null(strchr(nn_error_message(), '\n'));
    expect_header_error("{'descr': [('a', '<i4'), 'fortran_order': False, 'shape': (1,), }", 8,
                        "bad.npy: structured dtype [('a', '<i4'), 'fortran_order': False, "
                        "'shape': (1,), }     ... is not supported");
    assert_null(strchr(nn_error_message(), '\n'));
    expect_header_error("{'de\x1bscr': '<f4', 'fortran_order': False, 'shape': (1,), }", 8,
                        "bad.npy: malformed header: unknown key 'de?scr'");
    const char *refused[] = {"<c8", "<f2", "<u2", "|b1", "<U3", "|S4", "|i4", "<M8[ns]", "f4",
                             "", "<i3", "|V8"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char dict[128], want[256];
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (1,), }",
                 refused[i]);
        snprintf(want, sizeof want, "bad.npy: dtype '%s' is not supported: nnlab reads the descr strings "
                 "NumPy writes for uint8, int8, int16, int32, int64, float32 and float64 ('|u1', '<i4', '<f4', "
                 "'>f8', ...)", refused[i]);
        expect_header_error(dict, 8, want);
    }
}

static void test_bad_shapes(void **state)
{
    (void)state;
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (3), }", 3,
                        "bad.npy: malformed header: 'shape' (3) is not a tuple (a 1-D shape is "
                        "written (3,))");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': 3, }", 3,
                        "expected a tuple for 'shape' at byte 50, found '3'");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (-3,), }", 3,
                        "bad.npy: negative dimension in 'shape'");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (3 4), }", 12,
                        "expected ',' or ')' in 'shape' at byte 53, found '4'");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (3,,), }", 3,
                        "expected a dimension in 'shape' at byte 53, found ','");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (2.5,), }", 3,
                        "expected ',' or ')' in 'shape' at byte 52, found '.'");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999,"
                        "), }", 3, "bad.npy: a dimension in 'shape' is too large");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 1, 1, 2), }",
                        2, "bad.npy: the array has 5 dimensions; at most 4 are supported");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (0, 28, 28), }", 0,
                        "bad.npy: shape (0, 28, 28) holds no elements");
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, "
                        "4294967296), }", 0, "bad.npy: shape (4294967296, 4294967296) overflows "
                        "(too many elements)");
    expect_header_error("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,"
                        "), }", 0, "bad.npy: shape (2305843009213693952,) overflows");
}

static void test_body_size(void **state)
{
    (void)state;
    expect_header_error("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", 23,
                        "bad.npy: truncated body: shape (2, 3) of <i4 needs 24 bytes but only 23 "
                        "follow the header");
    expect_header_error("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", 25,
                        "bad.npy: 1 bytes of trailing data after the 24 bytes of shape (2, 3) of "
                        "<i4");
    /* a header that promises a huge body is refused before any allocation */
    expect_header_error("{'descr': '|u1', 'fortran_order': False, 'shape': (100000, 100000, "
                        "100000), }", 10, "truncated body: shape (100000, 100000, 100000) of |u1 "
                        "needs 1000000000000000 bytes but only 10 follow");
}

static void test_files_that_are_not_regular(void **state)
{
    (void)state;
    char path[512];
    expect_read_error(npy_path(path, sizeof path, "missing.npy"), NN_EIO,
                      "No such file or directory");
    expect_npz_error(npy_path(path, sizeof path, "missing.npz"), "x", NN_EIO,
                     "No such file or directory");
    alarm(20);
    npy_path(path, sizeof path, "fifo.npy");
    remove(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    expect_read_error(path, NN_EIO, "a FIFO, not a regular file");
    expect_npz_error(path, "x", NN_EIO, "a FIFO, not a regular file");
    remove(path);
    npy_path(path, sizeof path, "folder.npz");
    mkdir(path, 0777);
    expect_read_error(path, NN_EIO, "a directory, not a regular file");
    expect_npz_error(path, "x", NN_EIO, "a directory, not a regular file");
    npy_path(path, sizeof path, "zero.npz");
    remove(path);
    assert_int_equal(symlink("/dev/zero", path), 0);
    expect_read_error(path, NN_EIO, "a character device, not a regular file");
    expect_npz_error(path, "x", NN_EIO, "a character device, not a regular file");
    remove(path);
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_dtype_and_byte_order),
        cmocka_unit_test(test_header_spelling),
        cmocka_unit_test(test_scalar),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_read_file_large),
        cmocka_unit_test(test_numpy_fixtures),
        cmocka_unit_test(test_npz_stored_and_deflated),
        cmocka_unit_test(test_npz_bad_member),
        cmocka_unit_test(test_npz_corrupt),
        cmocka_unit_test(test_bad_magic_version_length),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_refused_dtypes_and_order),
        cmocka_unit_test(test_bad_shapes),
        cmocka_unit_test(test_body_size),
        cmocka_unit_test(test_files_that_are_not_regular),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
