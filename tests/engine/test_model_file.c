/* Model files: the byte layout (built here independently of the engine's
 * writer), save/load round trips, and one distinct error per kind of damage:
 * missing, empty, foreign, newer, truncated at every length, corrupted,
 * trailing bytes, absurd header fields (with a correct checksum, so the field
 * check itself is what fires), and an unwritable destination. Deflated model
 * files (nn_net_save_deflated): their layout checked by inflating them here,
 * round trips, and one error per kind of damage to the container, while
 * damage inside the inflated model file is caught as in a plain one. */
#define _POSIX_C_SOURCE 200809L /* mkdir, truncate */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "nn_net.h"
#include "nn_rng.h"
#include "test_util.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Offsets from the layout in nn_model_file.c. */
enum { OFF_VERSION = 8, OFF_LAYER_COUNT = 12, OFF_LAYERS = 16, LAYER_BYTES = 24, MAX_FILE = 4096 };

/* A small net with every layer kind and a non-default init. */
/* path holds exactly text (written, or checked). */
static void write_text_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void assert_text_file(const char *path, const char *text)
{
    char got[256] = {0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    assert_int_equal(n, strlen(text));
    assert_string_equal(got, text);
}

/* How many files beside path are its temporary files (PATH.tmp.*) or the old
 * fixed name PATH.tmp: a save that returned must leave none. */
static int temporaries_beside(const char *path)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    assert_non_null(slash);
    *slash = '\0';
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s.tmp", slash + 1);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int count = 0;
    for (struct dirent *e; (e = readdir(d));)
        count += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return count;
}

static const nn_layer_spec every_kind[] = {
    {.kind = NN_LAYER_LINEAR, .in_features = 6, .out_features = 5},
    {.kind = NN_LAYER_RELU},
    {.kind = NN_LAYER_DROPOUT, .p = 0.2f},
    {.kind = NN_LAYER_LINEAR, .in_features = 5, .out_features = 4, .init = NN_INIT_XAVIER_NORMAL},
    {.kind = NN_LAYER_LEAKY_RELU, .slope = 0.07f},
    {.kind = NN_LAYER_LINEAR, .in_features = 4, .out_features = 4, .init = NN_INIT_KAIMING_UNIFORM},
    {.kind = NN_LAYER_TANH},
    {.kind = NN_LAYER_SIGMOID},
    {.kind = NN_LAYER_LINEAR, .in_features = 4, .out_features = 3},
};

typedef struct byte_buffer {
    unsigned char data[MAX_FILE];
    size_t len;
} byte_buffer;

static void put_u32_at(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void append_u32(byte_buffer *b, uint32_t v)
{
    assert_true(b->len + 4 <= MAX_FILE);
    put_u32_at(b->data + b->len, v);
    b->len += 4;
}

static void append_f32(byte_buffer *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    append_u32(b, u);
}

/* Rewrites the last 4 bytes as the CRC-32 of everything before them. */
static void fix_checksum(byte_buffer *b)
{
    uLong crc = crc32(0L, b->data, (uInt)(b->len - 4));
    put_u32_at(b->data + b->len - 4, (uint32_t)crc);
}

/* The documented layout for these specs and params, checksum included. */
static void build_model_bytes(byte_buffer *b, const nn_layer_spec *layers, int n_layers,
                              const float *params, size_t n_params)
{
    b->len = 0;
    memcpy(b->data, "NNLABMDL", 8);
    b->len = 8;
    append_u32(b, 1);
    append_u32(b, (uint32_t)n_layers);
    for (int i = 0; i < n_layers; i++) {
        const nn_layer_spec *s = &layers[i];
        bool linear = s->kind == NN_LAYER_LINEAR;
        append_u32(b, (uint32_t)s->kind);
        append_u32(b, linear ? (uint32_t)s->in_features : 0);
        append_u32(b, linear ? (uint32_t)s->out_features : 0);
        append_u32(b, linear ? (uint32_t)s->init : 0);
        append_f32(b, s->kind == NN_LAYER_LEAKY_RELU ? s->slope : 0.0f);
        append_f32(b, s->kind == NN_LAYER_DROPOUT ? s->p : 0.0f);
    }
    append_u32(b, (uint32_t)n_params);
    append_u32(b, (uint32_t)((uint64_t)n_params >> 32));
    for (size_t i = 0; i < n_params; i++)
        append_f32(b, params[i]);
    append_u32(b, 0);
    fix_checksum(b);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static size_t read_file(const char *path, byte_buffer *b)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    b->len = fread(b->data, 1, MAX_FILE, f);
    assert_true(feof(f));
    fclose(f);
    return b->len;
}

static nn_net *create_or_fail(const nn_layer_spec *layers, int n, uint64_t seed)
{
    nn_net *net = NULL;
    assert_int_equal(nn_net_create(&net, layers, n, seed), NN_OK);
    return net;
}

/* Loading `bytes` must fail with `status` and a message holding the path and `needle`. */
static void expect_load_error(const byte_buffer *bytes, const char *name, nn_status status,
                              const char *needle)
{
    char path[512];
    test_tmp_path(path, sizeof path, name);
    write_file(path, bytes->data, bytes->len);
    nn_net *net = (nn_net *)&net; /* must come back NULL */
    nn_error_clear();
    nn_status st = nn_net_load(&net, path);
    if (st != status)
        print_error("load of %s: status %d, message \"%s\"\n", name, (int)st, nn_error_message());
    assert_int_equal(st, status);
    assert_null(net);
    assert_error_contains(path);
    assert_error_contains(needle);
}

/* Every proper prefix of bytes fails to load with a message holding the path
 * and "truncated" ("empty file" for none): the file is written once, then cut
 * shorter a byte at a time (one truncate a length, not a new file). Prefixes
 * shorter than `from` are left to other tests. */
static void expect_every_truncation_fails(const byte_buffer *bytes, const char *name, size_t from)
{
    char path[512];
    test_tmp_path(path, sizeof path, name);
    write_file(path, bytes->data, bytes->len);
    for (size_t len = bytes->len; len-- > from;) {
        assert_int_equal(truncate(path, (off_t)len), 0);
        nn_net *net = (nn_net *)&net; /* must come back NULL */
        nn_error_clear();
        nn_status st = nn_net_load(&net, path);
        if (st != NN_EFORMAT)
            print_error("load of %s cut to %zu bytes: status %d, message \"%s\"\n", name, len, (int)st,
                        nn_error_message());
        assert_int_equal(st, NN_EFORMAT);
        assert_null(net);
        assert_error_contains(path);
        assert_error_contains(len == 0 ? "empty file" : "truncated");
    }
}

/* A saved every_kind net, as bytes: saved by `save` (nn_net_save or nn_net_save_deflated). */
static void saved_model_by(byte_buffer *b, nn_status (*save)(const nn_net *, const char *))
{
    char path[512];
    test_tmp_path(path, sizeof path, "model_reference.nnm");
    nn_net *net = create_or_fail(every_kind, COUNT(every_kind), 3);
    assert_int_equal(save(net, path), NN_OK);
    read_file(path, b);
    nn_net_free(net);
}

static void saved_model(byte_buffer *b)
{
    saved_model_by(b, nn_net_save);
}

static void test_saved_bytes_follow_the_layout(void **state)
{
    (void)state;
    nn_net *net = create_or_fail(every_kind, COUNT(every_kind), 3);
    static byte_buffer saved, expected;
    saved_model(&saved);
    build_model_bytes(&expected, every_kind, COUNT(every_kind), nn_net_params(net), nn_net_param_count(net));
    assert_int_equal(saved.len, 16 + 24 * COUNT(every_kind) + 8 + 4 * nn_net_param_count(net) + 4);
    assert_int_equal(saved.len, expected.len);
    assert_memory_equal(saved.data, expected.data, expected.len);
    nn_net_free(net);
}

static void test_round_trip_is_bit_identical(void **state)
{
    (void)state;
    char path[512];
    test_tmp_path(path, sizeof path, "round_trip.nnm");
    nn_net *net = create_or_fail(every_kind, COUNT(every_kind), 99);
    /* parameters that differ from any fresh init: one training step's worth of change */
    for (size_t i = 0; i < nn_net_param_count(net); i++)
        nn_net_params(net)[i] += 0.001f * (float)(i % 7);
    assert_int_equal(nn_net_save(net, path), NN_OK);
    assert_int_equal(temporaries_beside(path), 0); /* renamed away */

    nn_net *loaded = NULL;
    assert_int_equal(nn_net_load(&loaded, path), NN_OK);
    assert_non_null(loaded);
    assert_int_equal(nn_net_layer_count(loaded), COUNT(every_kind));
    for (int i = 0; i < COUNT(every_kind); i++)
        assert_memory_equal(nn_net_layer(loaded, i), nn_net_layer(net, i), sizeof(nn_layer_spec));
    assert_int_equal(nn_net_param_count(loaded), nn_net_param_count(net));
    assert_memory_equal(nn_net_params(loaded), nn_net_params(net), nn_net_param_count(net) * sizeof(float));

    enum { B = 5 };
    float x[B * 6];
    nn_rng rng;
    nn_rng_seed(&rng, 1, 1);
    for (int i = 0; i < B * 6; i++)
        x[i] = nn_rng_range(&rng, -2, 2);
    float y_before[B * 3];
    const float *y;
    nn_net_set_training(net, false);
    nn_net_set_training(loaded, false);
    assert_int_equal(nn_net_forward(net, x, B, &y), NN_OK);
    memcpy(y_before, y, sizeof y_before);
    assert_int_equal(nn_net_forward(loaded, x, B, &y), NN_OK);
    assert_memory_equal(y, y_before, sizeof y_before);

    /* Saving again over the same path replaces the file. */
    nn_net *other = create_or_fail(every_kind, COUNT(every_kind), 100);
    assert_int_equal(nn_net_save(other, path), NN_OK);
    nn_net_free(loaded);
    assert_int_equal(nn_net_load(&loaded, path), NN_OK);
    assert_memory_equal(nn_net_params(loaded), nn_net_params(other), nn_net_param_count(other) * sizeof(float));
    nn_net_free(other);
    nn_net_free(loaded);
    nn_net_free(net);
}

static void test_missing_empty_and_foreign_files(void **state)
{
    (void)state;
    char path[512];
    nn_net *net = NULL;
    test_tmp_path(path, sizeof path, "no_such_model.nnm");
    remove(path);
    assert_int_equal(nn_net_load(&net, path), NN_EIO);
    assert_null(net);
    assert_error_contains(path);
    assert_error_contains("cannot open");

    test_tmp_path(path, sizeof path, "");
    assert_int_equal(nn_net_load(&net, path), NN_EIO); /* the scratch folder itself */
    assert_error_contains("a directory, not a regular file");

    /* a FIFO is refused at once: opening it would wait for a writer forever
     * (alarm() turns a hang into a failure) */
    test_tmp_path(path, sizeof path, "fifo.nnm");
    remove(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(20);
    assert_int_equal(nn_net_load(&net, path), NN_EIO);
    alarm(0);
    assert_null(net);
    assert_error_contains("a FIFO, not a regular file");
    remove(path);

    static byte_buffer b;
    b.len = 0;
    expect_load_error(&b, "empty.nnm", NN_EFORMAT, "empty file");

    const char zip[] = "PK\x03\x04\x14\x00\x00\x00\x08\x00 this is some zip archive, not a model";
    memcpy(b.data, zip, sizeof zip);
    b.len = sizeof zip;
    expect_load_error(&b, "foreign.nnm", NN_EFORMAT, "not an nnlab model file (bad magic)");
    b.len = 3; /* shorter than the magic, and not a prefix of it */
    expect_load_error(&b, "foreign_short.nnm", NN_EFORMAT, "not an nnlab model file (bad magic)");
}

static void test_versions_other_than_1(void **state)
{
    (void)state;
    static byte_buffer b;
    saved_model(&b);
    put_u32_at(b.data + OFF_VERSION, 2);
    fix_checksum(&b);
    expect_load_error(&b, "newer.nnm", NN_EFORMAT, "format version 2 is newer than this nnlab reads (1)");
    put_u32_at(b.data + OFF_VERSION, 0);
    fix_checksum(&b);
    expect_load_error(&b, "version0.nnm", NN_EFORMAT, "unknown format version 0");
}

/* Every proper prefix of a valid file fails cleanly (no crash, no leak under
 * the sanitizer build) and says why. */
static void test_every_truncation_fails(void **state)
{
    (void)state;
    static byte_buffer full;
    saved_model(&full);
    expect_every_truncation_fails(&full, "truncated.nnm", 0);
}

static void test_corruption_and_trailing_bytes(void **state)
{
    (void)state;
    static byte_buffer b, good;
    saved_model(&good);
    size_t first_param = OFF_LAYERS + LAYER_BYTES * COUNT(every_kind) + 8;

    b = good;
    b.data[first_param + 13] ^= 0x10;
    expect_load_error(&b, "flipped_param.nnm", NN_EFORMAT, "checksum mismatch (file corrupted)");
    b = good;
    b.data[b.len - 1] ^= 0x01;
    expect_load_error(&b, "flipped_crc.nnm", NN_EFORMAT, "checksum mismatch (file corrupted)");
    b = good;
    b.data[OFF_LAYERS + LAYER_BYTES * 2 + 20] ^= 0x01; /* the Dropout's p, still in [0, 1) */
    expect_load_error(&b, "flipped_p.nnm", NN_EFORMAT, "checksum mismatch (file corrupted)");

    b = good;
    memcpy(b.data + b.len, "garbage", 7);
    b.len += 7;
    expect_load_error(&b, "trailing.nnm", NN_EFORMAT, "7 unexpected trailing bytes");
}

/* Header fields that make no sense, each behind a correct checksum. */
static void test_absurd_header_fields(void **state)
{
    (void)state;
    static byte_buffer b, good;
    saved_model(&good);
    const struct {
        size_t offset;
        uint32_t value;
        const char *needle;
    } cases[] = {
        {OFF_LAYER_COUNT, 0xFFFFFFFFu, "layer count 4294967295 out of range (1..1024)"},
        {OFF_LAYER_COUNT, 0, "layer count 0 out of range"},
        {OFF_LAYER_COUNT, 1000, "truncated: 1000 layers"},
        {OFF_LAYERS + 0, 9, "layer 1: unknown kind 9"},
        {OFF_LAYERS + 4, 0x7FFFFFFFu, "layer 1 (Linear): size 5 x 2147483647 out of range"},
        {OFF_LAYERS + 8, 0xFFFFFFFFu, "layer 1 (Linear): size 4294967295 x 6 out of range"},
        {OFF_LAYERS + 4, 0, "layer 1 (Linear): in_features 0 out of range"},
        {OFF_LAYERS + 12, 77, "layer 1 (Linear): unknown init 77"},
        {OFF_LAYERS + 16, 0x3f800000u, "layer 1 (Linear): unexpected slope 0x3f800000"},
        {OFF_LAYERS + 20, 0x7fc00000u, "layer 1 (Linear): unexpected p 0x7fc00000"},
        {OFF_LAYERS + LAYER_BYTES * 1 + 4, 5, "layer 2 (ReLU): unexpected in_features"},
        {OFF_LAYERS + LAYER_BYTES * 1 + 16, 0x3f800000u, "layer 2 (ReLU): unexpected slope"},
        {OFF_LAYERS + LAYER_BYTES * 2 + 20, 0x3f800000u, "layer 3 (Dropout): p 1 must be in [0, 1)"},
        {OFF_LAYERS + LAYER_BYTES * 4 + 16, 0x7fc00000u, "layer 5 (LeakyReLU): slope nan"},
        {OFF_LAYERS + LAYER_BYTES * 4 + 20, 0x3f000000u, "layer 5 (LeakyReLU): unexpected p"},
        {OFF_LAYERS + LAYER_BYTES * COUNT(every_kind), 12345, "parameter count 12345 does not match the layers (94)"},
        {OFF_LAYERS + LAYER_BYTES * COUNT(every_kind) + 4, 1, "parameter count 4294967390 does not match"},
    };
    for (int c = 0; c < COUNT(cases); c++) {
        b = good;
        put_u32_at(b.data + cases[c].offset, cases[c].value);
        fix_checksum(&b);
        expect_load_error(&b, "absurd.nnm", NN_EFORMAT, cases[c].needle);
    }
}

/* A well-formed file whose layers do not fit together: the loader's error
 * carries nn_net_create's shape message. */
static void test_inconsistent_layers_in_file(void **state)
{
    (void)state;
    const nn_layer_spec layers[] = {
        {.kind = NN_LAYER_LINEAR, .in_features = 2, .out_features = 3},
        {.kind = NN_LAYER_TANH},
        {.kind = NN_LAYER_LINEAR, .in_features = 4, .out_features = 1},
    };
    float params[9 + 5] = {0};
    static byte_buffer b;
    build_model_bytes(&b, layers, 3, params, 14);
    expect_load_error(&b, "shape.nnm", NN_EFORMAT, "layer 3 (Linear) expects 4 inputs but layer 1 (Linear) produces 3");

    const nn_layer_spec no_linear[] = {{.kind = NN_LAYER_SIGMOID}};
    build_model_bytes(&b, no_linear, 1, params, 0);
    expect_load_error(&b, "no_linear.nnm", NN_EFORMAT, "at least one Linear");
}

static void test_unwritable_path_on_save(void **state)
{
    (void)state;
    nn_net *net = create_or_fail(every_kind, COUNT(every_kind), 1);
    char path[512];
    test_tmp_path(path, sizeof path, "no_such_dir/model.nnm");
    assert_int_equal(nn_net_save(net, path), NN_EIO);
    assert_error_contains(path);
    assert_error_contains("cannot create");

    /* The destination is a folder: the temporary file is written, the rename fails
     * and the temporary file is removed. A file of the user's named PATH.tmp
     * (the name saves once used) is left alone. */
    char dir[512], users[600];
    test_tmp_path(dir, sizeof dir, "model_is_a_folder.nnm");
    mkdir(dir, 0700);
    snprintf(users, sizeof users, "%s.tmp", dir);
    write_text_file(users, "the user's own file");
    assert_int_equal(nn_net_save(net, dir), NN_EIO);
    assert_error_contains("cannot rename");
    assert_error_contains("Is a directory");
    assert_int_equal(temporaries_beside(dir), 1); /* the user's file only */
    assert_text_file(users, "the user's own file");
    remove(users);

    /* A long path (three folders of 250 bytes, past the 512 bytes the
     * message once had, wherever the clone is): it still ends with the cause. */
    char deep[2000], long_dir[3][1800];
    char name[251];
    memset(name, 'd', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    for (int level = 0; level < 3; level++) {
        snprintf(long_dir[level], sizeof long_dir[level], "%s/%s", level ? long_dir[level - 1] : dir, name);
        mkdir(long_dir[level], 0700);
    }
    snprintf(deep, sizeof deep, "%s/model.nnm", long_dir[2]);
    mkdir(deep, 0700);
    assert_true(strlen(deep) > 760);
    assert_int_equal(nn_net_save(net, deep), NN_EIO);
    assert_error_contains(deep);
    assert_error_contains("Is a directory");
    rmdir(deep);
    for (int level = 2; level >= 0; level--)
        rmdir(long_dir[level]);
    nn_net_free(net);
}

/* A file name near NAME_MAX saves every time: the temporary's longer name
 * (PATH.tmp.PID.N) would pass it, and once its counter grew a save failed. */
static void test_long_file_name_saves(void **state)
{
    (void)state;
    nn_net *net = create_or_fail(every_kind, COUNT(every_kind), 5);
    char name[251], path[1024];
    memset(name, 'm', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    char dir[512];
    test_tmp_path(dir, sizeof dir, "");
    snprintf(path, sizeof path, "%s%s", dir, name);
    for (int i = 0; i < 12; i++)
        assert_int_equal(nn_net_save(net, path), NN_OK);
    nn_net *loaded = NULL;
    assert_int_equal(nn_net_load(&loaded, path), NN_OK);
    nn_net_free(loaded);
    remove(path);
    nn_net_free(net);
}

/* PATH.tmp, as a symbolic link to a file of the user's: a save neither writes
 * through it nor removes it. */
static void test_save_never_writes_through_an_existing_file(void **state)
{
    (void)state;
    nn_net *net = create_or_fail(every_kind, COUNT(every_kind), 3);
    char path[512], link[600], victim[600];
    test_tmp_path(path, sizeof path, "link_model.nnm");
    snprintf(link, sizeof link, "%s.tmp", path);
    snprintf(victim, sizeof victim, "%s.victim", path);
    remove(link);
    write_text_file(victim, "precious user data");
    assert_int_equal(symlink(victim, link), 0);
    assert_int_equal(nn_net_save(net, path), NN_OK);
    assert_text_file(victim, "precious user data");
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode)); /* the model, not the link */
    nn_net *loaded = NULL;
    assert_int_equal(nn_net_load(&loaded, path), NN_OK);
    nn_net_free(loaded);
    remove(link);
    remove(victim);
    remove(path);
    nn_net_free(net);
}

/* Two processes saving different models to one path, over and over (two
 * sweep workers saving "best.nnm"): every save succeeds, and the file is
 * always one of the two models, whole. With one fixed temporary name, one
 * save truncated the other's file: renames failed, and the file left failed
 * its checksum. */
enum { SAVES_EACH = 25 };

static void test_two_processes_save_one_path(void **state)
{
    (void)state;
    char path[512];
    test_tmp_path(path, sizeof path, "shared.nnm");
    nn_net *nets[2] = {create_or_fail(every_kind, COUNT(every_kind), 11),
                       create_or_fail(every_kind, COUNT(every_kind), 12)};
    pid_t pid = fork();
    assert_true(pid >= 0);
    int who = pid == 0 ? 1 : 0, failures = 0;
    for (int i = 0; i < SAVES_EACH; i++) {
        failures += nn_net_save(nets[who], path) != NN_OK;
        failures += nn_net_save_deflated(nets[who], path) != NN_OK;
    }
    if (pid == 0)
        _exit(failures == 0 ? 0 : 1);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(failures, 0);
    nn_net *loaded = NULL;
    assert_int_equal(nn_net_load(&loaded, path), NN_OK);
    size_t bytes = nn_net_param_count(loaded) * sizeof(float);
    assert_true(memcmp(nn_net_params(loaded), nn_net_params(nets[0]), bytes) == 0 ||
                memcmp(nn_net_params(loaded), nn_net_params(nets[1]), bytes) == 0);
    assert_int_equal(temporaries_beside(path), 0);
    nn_net_free(loaded);
    nn_net_free(nets[0]);
    nn_net_free(nets[1]);
    remove(path);
}


/* ---- deflated model files ------------------------------------------------ */

enum { DEFLATED_HEADER = 20 };

static uint64_t get_u64_at(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* b = the deflated file of `model` (plain bytes), built as the layout says:
 * header, then the zlib stream of its four byte planes. */
static void build_deflated_bytes(byte_buffer *b, const byte_buffer *model)
{
    static unsigned char planes[MAX_FILE];
    size_t words = model->len / 4;
    for (size_t i = 0; i < words; i++)
        for (size_t k = 0; k < 4; k++)
            planes[k * words + i] = model->data[4 * i + k];
    memcpy(b->data, "NNLABMDZ", 8);
    put_u32_at(b->data + 8, 1);
    put_u32_at(b->data + 12, (uint32_t)model->len);
    put_u32_at(b->data + 16, 0);
    uLongf stream = MAX_FILE - DEFLATED_HEADER;
    assert_int_equal(compress2(b->data + DEFLATED_HEADER, &stream, planes, (uLong)model->len, 9), Z_OK);
    b->len = DEFLATED_HEADER + stream;
}

static void saved_deflated_model(byte_buffer *b)
{
    saved_model_by(b, nn_net_save_deflated);
}

static void test_deflated_layout_and_round_trip(void **state)
{
    (void)state;
    static byte_buffer plain, deflated, planes, inflated;
    saved_model(&plain);
    saved_deflated_model(&deflated);
    assert_memory_equal(deflated.data, "NNLABMDZ", 8);
    assert_int_equal(deflated.data[8], 1);
    assert_int_equal(get_u64_at(deflated.data + 12), plain.len);
    uLongf n = MAX_FILE;
    assert_int_equal(uncompress(planes.data, &n, deflated.data + DEFLATED_HEADER, deflated.len - DEFLATED_HEADER),
                     Z_OK);
    assert_int_equal(n, plain.len);
    size_t words = n / 4;
    for (size_t i = 0; i < words; i++)
        for (size_t k = 0; k < 4; k++)
            inflated.data[4 * i + k] = planes.data[k * words + i];
    assert_memory_equal(inflated.data, plain.data, plain.len); /* the plain file, byte for byte */

    char path[512];
    test_tmp_path(path, sizeof path, "round_trip.nnz");
    nn_net *net = create_or_fail(every_kind, COUNT(every_kind), 7), *loaded = NULL;
    assert_int_equal(nn_net_save_deflated(net, path), NN_OK);
    assert_int_equal(nn_net_load(&loaded, path), NN_OK);
    assert_int_equal(nn_net_layer_count(loaded), COUNT(every_kind));
    for (int i = 0; i < COUNT(every_kind); i++)
        assert_memory_equal(nn_net_layer(loaded, i), nn_net_layer(net, i), sizeof(nn_layer_spec));
    assert_int_equal(nn_net_param_count(loaded), nn_net_param_count(net));
    assert_memory_equal(nn_net_params(loaded), nn_net_params(net), nn_net_param_count(net) * sizeof(float));
    nn_net_free(loaded);
    nn_net_free(net);
}

static void test_deflated_damage(void **state)
{
    (void)state;
    static byte_buffer good, b, plain;
    saved_deflated_model(&good);
    /* shorter than the magic: a plain file's errors (test_every_truncation_fails) */
    expect_every_truncation_fails(&good, "truncated.nnz", 8);
    b = good;
    b.data[8] = 2;
    expect_load_error(&b, "newer.nnz", NN_EFORMAT, "deflated format version 2 is newer than this nnlab reads (1)");
    b.data[8] = 0;
    expect_load_error(&b, "version0.nnz", NN_EFORMAT, "unknown deflated format version 0");
    uint64_t n = get_u64_at(good.data + 12);
    const struct {
        uint64_t length;
        const char *needle;
    } lengths[] = {
        {n + 4, "inflates to"},
        {n - 4, "inflates to more than"},
        {n + 1, "is not that of a model file"},
        {0, "is not that of a model file"},
        {(uint64_t)1 << 60, "is not that of a model file"},
    };
    for (int c = 0; c < COUNT(lengths); c++) {
        b = good;
        put_u32_at(b.data + 12, (uint32_t)lengths[c].length);
        put_u32_at(b.data + 16, (uint32_t)(lengths[c].length >> 32));
        expect_load_error(&b, "length.nnz", NN_EFORMAT, lengths[c].needle);
    }
    b = good;
    b.data[b.len - 1] ^= 0x01; /* the stream's Adler-32 */
    expect_load_error(&b, "flipped_adler.nnz", NN_EFORMAT, "corrupted deflated model");
    b = good;
    memcpy(b.data + b.len, "garbage", 7);
    b.len += 7;
    expect_load_error(&b, "trailing.nnz", NN_EFORMAT, "7 unexpected trailing bytes after the deflated model");

    /* a sound container around a damaged model file: the model file's own checks fire */
    saved_model(&plain);
    plain.data[OFF_LAYERS + LAYER_BYTES * COUNT(every_kind) + 8 + 13] ^= 0x10;
    build_deflated_bytes(&b, &plain);
    expect_load_error(&b, "inner_param.nnz", NN_EFORMAT, "checksum mismatch (file corrupted)");
    saved_model(&plain);
    put_u32_at(plain.data + OFF_LAYER_COUNT, 0);
    fix_checksum(&plain);
    build_deflated_bytes(&b, &plain);
    expect_load_error(&b, "inner_count.nnz", NN_EFORMAT, "layer count 0 out of range");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_saved_bytes_follow_the_layout),
        cmocka_unit_test(test_round_trip_is_bit_identical),
        cmocka_unit_test(test_missing_empty_and_foreign_files),
        cmocka_unit_test(test_versions_other_than_1),
        cmocka_unit_test(test_every_truncation_fails),
        cmocka_unit_test(test_corruption_and_trailing_bytes),
        cmocka_unit_test(test_absurd_header_fields),
        cmocka_unit_test(test_inconsistent_layers_in_file),
        cmocka_unit_test(test_unwritable_path_on_save),
        cmocka_unit_test(test_save_never_writes_through_an_existing_file),
        cmocka_unit_test(test_long_file_name_saves),
        cmocka_unit_test(test_two_processes_save_one_path),
        cmocka_unit_test(test_deflated_layout_and_round_trip),
        cmocka_unit_test(test_deflated_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
