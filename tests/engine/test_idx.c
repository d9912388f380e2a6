/* IDX reading: generated files, raw and gzip'd (zlib's gz* API), read back
 * exactly; every malformed case fails with its own message and no crash. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdir (the build may define it already) */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nn_data.h"
#include "test_util.h"

enum { N = 3, ROWS = 4, COLS = 5, PIXELS = N * ROWS * COLS };
static const uint32_t IMAGES_MAGIC = 0x00000803, LABELS_MAGIC = 0x00000801;

static uint8_t pixel_at(size_t i) { return (uint8_t)(i * 37u + 11u); }

static size_t put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
    return 4;
}

/* The test's own scratch folder (ctest may run other tests beside it). */
static const char *idx_path(char *path, size_t size, const char *name)
{
    char dir[512];
    mkdir(test_tmp_path(dir, sizeof dir, "idx"), 0777);
    snprintf(path, size, "%s/%s", dir, name);
    return path;
}

/* Writes bytes to idx/name, raw or through gzwrite; returns the path. */
static const char *write_file(char *path, size_t size, const char *name, int gz,
                              const uint8_t *bytes, size_t n)
{
    idx_path(path, size, name);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        if (n)
            assert_int_equal(gzwrite(f, bytes, (unsigned)n), (int)n);
        assert_int_equal(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(bytes, 1, n, f), n);
        assert_int_equal(fclose(f), 0);
    }
    return path;
}

/* An IDX file: magic, the ndims dimensions, then body_len bytes of body. */
static const char *write_idx(char *path, size_t size, const char *name, int gz, uint32_t magic,
                             const uint32_t *dims, int ndims, const uint8_t *body, size_t body_len)
{
    uint8_t *bytes = malloc(16 + body_len);
    size_t n = put_be32(bytes, magic);
    for (int d = 0; d < ndims; d++)
        n += put_be32(bytes + n, dims[d]);
    if (body_len)
        memcpy(bytes + n, body, body_len);
    write_file(path, size, name, gz, bytes, n + body_len);
    free(bytes);
    return path;
}

static const char *write_images(char *path, size_t size, const char *name, int gz, uint32_t count,
                                size_t body_len)
{
    uint8_t body[PIXELS + 64];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = pixel_at(i);
    assert_true(body_len <= sizeof body);
    const uint32_t dims[3] = {count, ROWS, COLS};
    return write_idx(path, size, name, gz, IMAGES_MAGIC, dims, 3, body, body_len);
}

static const char *write_labels(char *path, size_t size, const char *name, int gz,
                                const uint8_t *labels, uint32_t count)
{
    const uint32_t dims[1] = {count};
    return write_idx(path, size, name, gz, LABELS_MAGIC, dims, 1, labels, count);
}

static uint8_t *read_whole(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    uint8_t *bytes = malloc(*n + 16);
    assert_int_equal(fread(bytes, 1, *n, f), *n);
    fclose(f);
    return bytes;
}

/* Reading images must fail with `status` and a message containing `needle`,
 * leaving the outputs empty. */
static void expect_images_error(const char *path, nn_status status, const char *needle)
{
    uint8_t *pixels = (uint8_t *)"not touched";
    uint32_t count = 99, rows = 99, cols = 99;
    nn_error_clear();
    assert_int_equal(nn_idx_read_images(path, &pixels, &count, &rows, &cols), status);
    assert_null(pixels);
    assert_int_equal(count, 0);
    assert_int_equal(rows + cols, 0);
    assert_error_contains(needle);
    assert_error_contains(path); /* every message names the file */
}

static void expect_labels_error(const char *path, nn_status status, const char *needle)
{
    uint8_t *labels = (uint8_t *)"not touched";
    uint32_t count = 99;
    nn_error_clear();
    assert_int_equal(nn_idx_read_labels(path, 10, &labels, &count), status);
    assert_null(labels);
    assert_int_equal(count, 0);
    assert_error_contains(needle);
    assert_error_contains(path);
}

/* ---- correct files ---------------------------------------------------------- */

static void check_read_images(int gz)
{
    char path[512];
    write_images(path, sizeof path, gz ? "ok-images.gz" : "ok-images", gz, N, PIXELS);
    uint8_t *pixels = NULL;
    uint32_t count = 0, rows = 0, cols = 0;
    assert_int_equal(nn_idx_read_images(path, &pixels, &count, &rows, &cols), NN_OK);
    assert_int_equal(count, N);
    assert_int_equal(rows, ROWS);
    assert_int_equal(cols, COLS);
    for (size_t i = 0; i < PIXELS; i++)
        assert_int_equal(pixels[i], pixel_at(i));
    free(pixels);
}

static void test_read_images_raw(void **state) { (void)state; check_read_images(0); }
static void test_read_images_gzip(void **state) { (void)state; check_read_images(1); }

static void test_read_labels_raw_and_gzip(void **state)
{
    (void)state;
    const uint8_t want[5] = {9, 0, 3, 7, 1};
    for (int gz = 0; gz < 2; gz++) {
        char path[512];
        write_labels(path, sizeof path, gz ? "ok-labels.gz" : "ok-labels", gz, want, 5);
        uint8_t *labels = NULL;
        uint32_t count = 0;
        assert_int_equal(nn_idx_read_labels(path, 10, &labels, &count), NN_OK);
        assert_int_equal(count, 5);
        assert_memory_equal(labels, want, 5);
        free(labels);
    }
}

/* gzip detection is by content: a gzip file without .gz, a raw file with .gz. */
static void test_gzip_detected_by_magic_not_name(void **state)
{
    (void)state;
    char gz[512], raw[512];
    write_images(gz, sizeof gz, "gzip-without-suffix", 1, N, PIXELS);
    write_images(raw, sizeof raw, "raw-with-suffix.gz", 0, N, PIXELS);
    const char *paths[2] = {gz, raw};
    for (int k = 0; k < 2; k++) {
        uint8_t *pixels = NULL;
        uint32_t count, rows, cols;
        assert_int_equal(nn_idx_read_images(paths[k], &pixels, &count, &rows, &cols), NN_OK);
        assert_int_equal(count, N);
        assert_int_equal(pixels[PIXELS - 1], pixel_at(PIXELS - 1));
        free(pixels);
    }
}

/* A gzip file may hold several members back to back (gzip -c a b > c). */
static void test_gzip_multi_member(void **state)
{
    (void)state;
    char path[512];
    write_images(path, sizeof path, "two-members.gz", 1, N, 0); /* header only */
    uint8_t body[PIXELS];
    for (size_t i = 0; i < PIXELS; i++)
        body[i] = pixel_at(i);
    gzFile f = gzopen(path, "ab"); /* appending starts a second member */
    assert_int_equal(gzwrite(f, body, PIXELS), PIXELS);
    assert_int_equal(gzclose(f), Z_OK);
    uint8_t *pixels = NULL;
    uint32_t count, rows, cols;
    assert_int_equal(nn_idx_read_images(path, &pixels, &count, &rows, &cols), NN_OK);
    assert_memory_equal(pixels, body, PIXELS);
    free(pixels);
}

/* ---- malformed files: each its own message ------------------------------------ */

static void test_wrong_magic(void **state)
{
    (void)state;
    char path[512];
    const uint32_t dims[3] = {N, ROWS, COLS};
    uint8_t body[PIXELS] = {0};
    for (int gz = 0; gz < 2; gz++) {
        write_idx(path, sizeof path, gz ? "bad-magic.gz" : "bad-magic", gz, 0x12345678, dims, 3,
                  body, PIXELS);
        expect_images_error(path, NN_EFORMAT, "bad magic 0x12345678");
    }
    /* IDX, but 32-bit ints instead of unsigned bytes */
    write_idx(path, sizeof path, "int-idx", 0, 0x00000c03, dims, 3, body, PIXELS);
    expect_images_error(path, NN_EFORMAT, "bad magic 0x00000c03");
}

static void test_wrong_dimension_count(void **state)
{
    (void)state;
    char path[512];
    const uint8_t labels[3] = {1, 2, 3};
    write_labels(path, sizeof path, "labels-as-images", 0, labels, 3);
    expect_images_error(path, NN_EFORMAT, "wrong dimension count 1");
    write_images(path, sizeof path, "images-as-labels.gz", 1, N, PIXELS);
    expect_labels_error(path, NN_EFORMAT, "wrong dimension count 3");
}

static void test_truncated_header(void **state)
{
    (void)state;
    char path[512];
    uint8_t bytes[10];
    put_be32(bytes, IMAGES_MAGIC);
    put_be32(bytes + 4, N);
    bytes[8] = bytes[9] = 0;
    for (int gz = 0; gz < 2; gz++) {
        write_file(path, sizeof path, gz ? "short-header.gz" : "short-header", gz, bytes, 10);
        expect_images_error(path, NN_EFORMAT, "truncated header: 10 of 16 bytes");
        write_file(path, sizeof path, gz ? "tiny.gz" : "tiny", gz, bytes, 3);
        expect_images_error(path, NN_EFORMAT, "truncated header: 3 of 16 bytes");
        write_file(path, sizeof path, gz ? "empty.gz" : "empty", gz, bytes, 0);
        expect_labels_error(path, NN_EFORMAT, "truncated header: 0 of 8 bytes");
    }
}

static void test_truncated_body(void **state)
{
    (void)state;
    char path[512];
    write_images(path, sizeof path, "short-body", 0, N, PIXELS - 7);
    expect_images_error(path, NN_EFORMAT, "truncated body: header declares 3 images of 4x5 (60 bytes) but only 53 follow");
    write_images(path, sizeof path, "short-body.gz", 1, N, PIXELS - 7);
    expect_images_error(path, NN_EFORMAT, "truncated body: 53 of the 60 bytes of 3 images of 4x5");
}

/* A gzip file cut short: the compressed stream itself ends early. */
static void test_truncated_gzip_stream(void **state)
{
    (void)state;
    char path[512];
    write_images(path, sizeof path, "cut.gz", 1, N, PIXELS);
    size_t n;
    uint8_t *bytes = read_whole(path, &n);
    write_file(path, sizeof path, "cut.gz", 0, bytes, n - 6); /* keeps the data, loses the trailer */
    expect_images_error(path, NN_EFORMAT, "truncated gzip stream");
    write_file(path, sizeof path, "cut.gz", 0, bytes, n / 2);
    expect_images_error(path, NN_EFORMAT, "truncated gzip stream");
    free(bytes);
}

static void test_corrupt_gzip_stream(void **state)
{
    (void)state;
    char path[512];
    write_images(path, sizeof path, "corrupt.gz", 1, N, PIXELS);
    size_t n;
    uint8_t *bytes = read_whole(path, &n);
    bytes[10] = 0xff; /* first deflate block: BTYPE 11 is reserved */
    write_file(path, sizeof path, "corrupt.gz", 0, bytes, n);
    expect_images_error(path, NN_EFORMAT, "corrupt gzip stream (invalid block type)");
    free(bytes);

    write_images(path, sizeof path, "bad-crc.gz", 1, N, PIXELS);
    bytes = read_whole(path, &n);
    bytes[n - 8] ^= 0x5a; /* the CRC-32 of the trailer */
    write_file(path, sizeof path, "bad-crc.gz", 0, bytes, n);
    expect_images_error(path, NN_EFORMAT, "corrupt gzip stream (incorrect data check)");
    free(bytes);
}

static void test_trailing_data(void **state)
{
    (void)state;
    char path[512];
    write_images(path, sizeof path, "long-body", 0, N, PIXELS + 5);
    expect_images_error(path, NN_EFORMAT, "5 bytes of trailing data after the declared 3 images");
    write_images(path, sizeof path, "long-body.gz", 1, N, PIXELS + 5);
    expect_images_error(path, NN_EFORMAT, "trailing data: more bytes than the declared 3 images");

    write_images(path, sizeof path, "garbage-after.gz", 1, N, PIXELS);
    FILE *f = fopen(path, "ab");
    fputs("garbage!", f);
    fclose(f);
    expect_images_error(path, NN_EFORMAT, "trailing garbage after the gzip stream");
}

static void test_dimensions_overflow(void **state)
{
    (void)state;
    char path[512];
    const uint32_t dims[3] = {0xffffffffu, 0xffffffffu, 0xffffffffu};
    uint8_t body[16] = {0};
    for (int gz = 0; gz < 2; gz++) {
        write_idx(path, sizeof path, gz ? "overflow.gz" : "overflow", gz, IMAGES_MAGIC, dims, 3,
                  body, sizeof body);
        expect_images_error(path, NN_EFORMAT, "dimensions overflow");
    }
    /* No overflow, but far more than the file: refused before allocating. */
    const uint32_t big[3] = {60000, 65535, 65535};
    write_idx(path, sizeof path, "huge.gz", 1, IMAGES_MAGIC, big, 3, body, sizeof body);
    expect_images_error(path, NN_EFORMAT, "gzip file can hold");
    write_idx(path, sizeof path, "huge", 0, IMAGES_MAGIC, big, 3, body, sizeof body);
    expect_images_error(path, NN_EFORMAT, "truncated body");
    /* An image of more than 2^32 pixels: a sample's feature count is 32-bit. */
    const uint32_t wide[3] = {1, 65536, 65536};
    write_idx(path, sizeof path, "wide", 0, IMAGES_MAGIC, wide, 3, body, sizeof body);
    expect_images_error(path, NN_EFORMAT, "65536x65536 images: more than 4294967295 pixels each");
}

static void test_no_images_and_empty_images(void **state)
{
    (void)state;
    char path[512];
    write_images(path, sizeof path, "zero-images", 0, 0, 0);
    expect_images_error(path, NN_EFORMAT, "contains no images");
    write_labels(path, sizeof path, "zero-labels.gz", 1, NULL, 0);
    expect_labels_error(path, NN_EFORMAT, "contains no labels");
    const uint32_t dims[3] = {N, 0, COLS};
    write_idx(path, sizeof path, "zero-rows", 0, IMAGES_MAGIC, dims, 3, NULL, 0);
    expect_images_error(path, NN_EFORMAT, "has empty 0x5 images");
}

static void test_label_out_of_range(void **state)
{
    (void)state;
    char path[512];
    const uint8_t labels[4] = {0, 9, 10, 3};
    write_labels(path, sizeof path, "label-10.gz", 1, labels, 4);
    expect_labels_error(path, NN_EFORMAT, "label 10 at index 2 is out of range for 10 classes");
}

static void test_missing_file(void **state)
{
    (void)state;
    char path[512];
    idx_path(path, sizeof path, "no-such-file-idx3-ubyte.gz");
    remove(path);
    expect_images_error(path, NN_EIO, "cannot open");
    expect_labels_error(path, NN_EIO, "No such file or directory");
}

/* Names that are not regular files are refused at once, each saying what it
 * is: a FIFO (its open would wait forever for a writer), a directory, and a
 * link to /dev/zero (endless zeros). alarm() turns a hang into a failure. */
static void test_not_regular_files(void **state)
{
    (void)state;
    char path[512];
    alarm(20);
    idx_path(path, sizeof path, "fifo-idx3-ubyte");
    remove(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    expect_images_error(path, NN_EIO, "a FIFO, not a regular file");
    expect_labels_error(path, NN_EIO, "a FIFO, not a regular file");
    remove(path);

    idx_path(path, sizeof path, "folder-idx3-ubyte");
    mkdir(path, 0777);
    expect_images_error(path, NN_EIO, "a directory, not a regular file");

    idx_path(path, sizeof path, "zero-idx1-ubyte");
    remove(path);
    assert_int_equal(symlink("/dev/zero", path), 0);
    expect_labels_error(path, NN_EIO, "a character device, not a regular file");
    remove(path);
    alarm(0);
}

/* ---- datasets from files and folders -------------------------------------------- */

static void test_count_mismatch(void **state)
{
    (void)state;
    char images[512], labels[512];
    const uint8_t l[2] = {1, 2};
    write_images(images, sizeof images, "mismatch-images", 0, N, PIXELS);
    write_labels(labels, sizeof labels, "mismatch-labels.gz", 1, l, 2);
    nn_dataset ds;
    nn_error_clear();
    assert_int_equal(nn_dataset_load_files(&ds, images, labels, 10), NN_ESHAPE);
    assert_error_contains("count mismatch");
    assert_error_contains("has 3 images but");
    assert_error_contains("has 2 labels");
    assert_null(ds.images);
    assert_null(ds.labels);
    assert_int_equal(ds.count, 0);
}

/* A folder with the four standard names, mixing raw and .gz; checksums depend
 * on content only (raw and gzip of the same bytes agree) and see one pixel,
 * and two pixels' top bits. */
static void test_load_dir(void **state)
{
    (void)state;
    char dir[512], path[1024];
    idx_path(dir, sizeof dir, "");
    const uint8_t train_labels[N] = {4, 0, 9}, test_labels[N] = {1, 1, 2};
    write_images(path, sizeof path, "train-images-idx3-ubyte.gz", 1, N, PIXELS);
    write_labels(path, sizeof path, "train-labels-idx1-ubyte", 0, train_labels, N);
    write_images(path, sizeof path, "t10k-images-idx3-ubyte", 0, N, PIXELS);
    write_labels(path, sizeof path, "t10k-labels-idx1-ubyte.gz", 1, test_labels, N);
    remove(idx_path(path, sizeof path, "t10k-labels-idx1-ubyte"));
    idx_path(path, sizeof path, "train-images-idx3-ubyte");
    remove(path);

    nn_dataset train, test;
    assert_int_equal(nn_dataset_load_dir(&train, dir, 1), NN_OK);
    assert_int_equal(nn_dataset_load_dir(&test, dir, 0), NN_OK);
    assert_int_equal(train.count, N);
    assert_int_equal(train.rows * 100 + train.cols, ROWS * 100 + COLS);
    assert_int_equal(train.n_classes, 10);
    for (int i = 0; i < N; i++) {
        assert_int_equal(train.labels[i], train_labels[i]);
        assert_int_equal(test.labels[i], test_labels[i]);
    }
    assert_non_null(strstr(train.images_path, "train-images-idx3-ubyte.gz"));
    assert_non_null(strstr(test.labels_path, "t10k-labels-idx1-ubyte.gz"));
    assert_memory_equal(train.images, test.images, PIXELS);
    assert_int_equal(train.checksum, nn_dataset_checksum(&train));
    assert_int_not_equal(train.checksum, test.checksum); /* labels differ */

    memcpy(test.labels, train.labels, N * sizeof *test.labels);
    assert_int_equal(nn_dataset_checksum(&test), train.checksum);
    test.images[PIXELS - 1] ^= 1;
    assert_int_not_equal(nn_dataset_checksum(&test), train.checksum);
    test.images[PIXELS - 1] ^= 1;
    /* the top bits of two 8-byte words: they cancelled in plain word-wise FNV-1a */
    test.images[7] ^= 0x80;
    test.images[15] ^= 0x80;
    assert_int_not_equal(nn_dataset_checksum(&test), train.checksum);
    nn_dataset_free(&train);
    nn_dataset_free(&test);
    nn_dataset_free(&test); /* twice is harmless */

    nn_error_clear();
    assert_int_equal(nn_dataset_load_dir(&train, "/nonexistent-nnlab-dir", 1), NN_EIO);
    assert_error_contains("/nonexistent-nnlab-dir: has neither train-images-idx3-ubyte nor "
                          "train-images-idx3-ubyte.gz");
    assert_null(train.images);
}

/* A FIFO under a standard name is found, then refused, never waited on. */
static void test_load_dir_with_a_fifo(void **state)
{
    (void)state;
    char dir[512], path[1024];
    const uint8_t labels[N] = {4, 0, 9};
    mkdir(idx_path(dir, sizeof dir, "fifo-folder"), 0777);
    write_labels(path, sizeof path, "fifo-folder/train-labels-idx1-ubyte", 0, labels, N);
    idx_path(path, sizeof path, "fifo-folder/train-images-idx3-ubyte");
    remove(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    nn_dataset ds;
    alarm(20);
    assert_int_equal(nn_dataset_load_dir(&ds, dir, 1), NN_EIO);
    alarm(0);
    assert_error_contains("fifo-folder/train-images-idx3-ubyte: a FIFO, not a regular file");
    assert_null(ds.images);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_images_raw),
        cmocka_unit_test(test_read_images_gzip),
        cmocka_unit_test(test_read_labels_raw_and_gzip),
        cmocka_unit_test(test_gzip_detected_by_magic_not_name),
        cmocka_unit_test(test_gzip_multi_member),
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_wrong_dimension_count),
        cmocka_unit_test(test_truncated_header),
        cmocka_unit_test(test_truncated_body),
        cmocka_unit_test(test_truncated_gzip_stream),
        cmocka_unit_test(test_corrupt_gzip_stream),
        cmocka_unit_test(test_trailing_data),
        cmocka_unit_test(test_dimensions_overflow),
        cmocka_unit_test(test_no_images_and_empty_images),
        cmocka_unit_test(test_label_out_of_range),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_not_regular_files),
        cmocka_unit_test(test_count_mismatch),
        cmocka_unit_test(test_load_dir),
        cmocka_unit_test(test_load_dir_with_a_fifo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
