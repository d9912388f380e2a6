/* Model files: explicit little-endian serialisation of a network's layer list
 * and parameters, checked by a CRC-32 (zlib's crc32) over everything before it.
 *
 *   offset  size  field
 *   0       8     magic "NNLABMDL"
 *   8       4     u32 format version (MODEL_FORMAT_VERSION)
 *   12      4     u32 layer count L (1..NN_NET_MAX_LAYERS)
 *   16      24*L  per layer: u32 kind, u32 in, u32 out, u32 init, f32 slope, f32 p
 *                 (fields that do not apply to the kind are 0)
 *   16+24L  8     u64 parameter count P (must match the layers)
 *   24+24L  4*P   f32 parameters, in nn_net_params order
 *   24+24L+4P 4   u32 CRC-32 of all preceding bytes
 *
 * Saving writes path.tmp, flushes and fsyncs it, then renames it over path.
 * Loading checks every field against the file's length before it allocates or
 * trusts anything, builds the net with nn_net_create, then copies parameters. */
#define _POSIX_C_SOURCE 200809L

#include "nn_file.h"
#include "nn_net.h"
#include "nn_net_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MODEL_MAGIC "NNLABMDL"
#define MODEL_MAGIC_LEN 8
#define MODEL_FORMAT_VERSION 1u
#define MODEL_LAYER_RECORD_BYTES 24
#define MODEL_PARAM_CHUNK 1024 /* floats encoded or decoded per I/O call */

/* ---- little-endian encoding ---------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- writer: bytes to a FILE, with a running CRC -------------------------- */

typedef struct model_writer {
    FILE *file;
    uLong crc;
    bool ok;
} model_writer;

static void write_bytes(model_writer *w, const unsigned char *bytes, size_t n)
{
    if (w->ok && fwrite(bytes, 1, n, w->file) != n)
        w->ok = false;
    w->crc = crc32(w->crc, bytes, (uInt)n);
}

static void write_u32(model_writer *w, uint32_t v)
{
    unsigned char b[4];
    put_u32(b, v);
    write_bytes(w, b, sizeof b);
}

static void write_u64(model_writer *w, uint64_t v)
{
    unsigned char b[8];
    put_u64(b, v);
    write_bytes(w, b, sizeof b);
}

/* params (n) as little-endian f32 */
static void write_floats(model_writer *w, const float *params, size_t n)
{
    unsigned char chunk[4 * MODEL_PARAM_CHUNK];
    for (size_t done = 0; done < n;) {
        size_t count = n - done < MODEL_PARAM_CHUNK ? n - done : MODEL_PARAM_CHUNK;
        for (size_t i = 0; i < count; i++)
            put_u32(chunk + 4 * i, float_bits(params[done + i]));
        write_bytes(w, chunk, 4 * count);
        done += count;
    }
}

static void write_model(model_writer *w, const nn_net *net)
{
    int n_layers = nn_net_layer_count(net);
    write_bytes(w, (const unsigned char *)MODEL_MAGIC, MODEL_MAGIC_LEN);
    write_u32(w, MODEL_FORMAT_VERSION);
    write_u32(w, (uint32_t)n_layers);
    for (int i = 0; i < n_layers; i++) {
        const nn_layer_spec *s = nn_net_layer(net, i);
        write_u32(w, (uint32_t)s->kind);
        write_u32(w, (uint32_t)s->in_features);
        write_u32(w, (uint32_t)s->out_features);
        write_u32(w, (uint32_t)s->init);
        write_u32(w, float_bits(s->slope));
        write_u32(w, float_bits(s->p));
    }
    size_t n_params = nn_net_param_count(net);
    write_u64(w, (uint64_t)n_params);
    write_floats(w, nn_net_params((nn_net *)net), n_params); /* read only */
    write_u32(w, (uint32_t)w->crc);
}

nn_status nn_net_save(const nn_net *net, const char *path)
{
    char tmp_path[4096];
    if (snprintf(tmp_path, sizeof tmp_path, "%s.tmp", path) >= (int)sizeof tmp_path)
        return nn_fail(NN_EINVAL, "%s: path too long", path);
    model_writer w = {.file = fopen(tmp_path, "wb"), .crc = crc32(0L, Z_NULL, 0), .ok = true};
    if (!w.file)
        return nn_fail(NN_EIO, "%s: cannot create %s: %s", path, tmp_path, strerror(errno));
    write_model(&w, net);
    int saved_errno = 0;
    if (!w.ok || fflush(w.file) != 0 || fsync(fileno(w.file)) != 0) {
        saved_errno = errno;
        w.ok = false;
    }
    if (fclose(w.file) != 0 && w.ok) {
        saved_errno = errno;
        w.ok = false;
    }
    if (!w.ok) {
        remove(tmp_path);
        return nn_fail(NN_EIO, "%s: writing %s failed: %s", path, tmp_path, strerror(saved_errno));
    }
    if (rename(tmp_path, path) != 0) {
        saved_errno = errno;
        remove(tmp_path);
        return nn_fail(NN_EIO, "%s: cannot rename %s into place: %s", path, tmp_path,
                       strerror(saved_errno));
    }
    return NN_OK;
}

/* ---- reader: bounded reads from a FILE, with a running CRC ---------------- */

typedef struct model_reader {
    FILE *file;
    const char *path;
    uint64_t remaining; /* bytes left in the file, from its size on disk */
    uLong crc;
} model_reader;

/* Reads exactly n bytes of `what`; never past the end the file had when opened. */
static nn_status read_bytes(model_reader *r, unsigned char *bytes, size_t n, const char *what)
{
    if (n > r->remaining)
        return nn_fail(NN_EFORMAT, "%s: truncated: %s needs %zu bytes, only %llu left", r->path,
                       what, n, (unsigned long long)r->remaining);
    if (fread(bytes, 1, n, r->file) != n)
        return nn_fail(NN_EIO, "%s: read error in %s", r->path, what);
    r->remaining -= n;
    r->crc = crc32(r->crc, bytes, (uInt)n);
    return NN_OK;
}

static nn_status read_u32(model_reader *r, uint32_t *v, const char *what)
{
    unsigned char b[4];
    nn_status st = read_bytes(r, b, sizeof b, what);
    *v = get_u32(b);
    return st;
}

static nn_status read_u64(model_reader *r, uint64_t *v, const char *what)
{
    unsigned char b[8];
    nn_status st = read_bytes(r, b, sizeof b, what);
    *v = get_u64(b);
    return st;
}

/* params (n) from little-endian f32 */
static nn_status read_floats(model_reader *r, float *params, size_t n)
{
    unsigned char chunk[4 * MODEL_PARAM_CHUNK];
    for (size_t done = 0; done < n;) {
        size_t count = n - done < MODEL_PARAM_CHUNK ? n - done : MODEL_PARAM_CHUNK;
        nn_status st = read_bytes(r, chunk, 4 * count, "parameters");
        if (st != NN_OK)
            return st;
        for (size_t i = 0; i < count; i++)
            params[done + i] = bits_float(get_u32(chunk + 4 * i));
        done += count;
    }
    return NN_OK;
}

/* Magic first (a foreign file is named as such even when short), then version. */
static nn_status read_preamble(model_reader *r)
{
    if (r->remaining == 0)
        return nn_fail(NN_EFORMAT, "%s: empty file (not an nnlab model file)", r->path);
    unsigned char magic[MODEL_MAGIC_LEN];
    size_t have = r->remaining < MODEL_MAGIC_LEN ? (size_t)r->remaining : MODEL_MAGIC_LEN;
    nn_status st = read_bytes(r, magic, have, "magic");
    if (st != NN_OK)
        return st;
    if (memcmp(magic, MODEL_MAGIC, have) != 0)
        return nn_fail(NN_EFORMAT, "%s: not an nnlab model file (bad magic)", r->path);
    if (have < MODEL_MAGIC_LEN)
        return nn_fail(NN_EFORMAT, "%s: truncated: %zu of %d magic bytes", r->path, have,
                       MODEL_MAGIC_LEN);
    uint32_t version;
    if ((st = read_u32(r, &version, "format version")) != NN_OK)
        return st;
    if (version > MODEL_FORMAT_VERSION)
        return nn_fail(NN_EFORMAT,
                       "%s: format version %u is newer than this nnlab reads (%u); upgrade nnlab",
                       r->path, (unsigned)version, MODEL_FORMAT_VERSION);
    if (version != MODEL_FORMAT_VERSION)
        return nn_fail(NN_EFORMAT, "%s: unknown format version %u", r->path, (unsigned)version);
    return NN_OK;
}

/* A field that does not apply to the layer's kind must be 0, as written. */
static nn_status expect_unused_zero(const model_reader *r, uint32_t n, nn_layer_kind kind,
                                    const char *field, uint32_t value)
{
    if (value != 0)
        return nn_fail(NN_EFORMAT, "%s: layer %u (%s): unexpected %s 0x%08x (must be 0)", r->path,
                       (unsigned)n, nn_layer_kind_name(kind), field, (unsigned)value);
    return NN_OK;
}

/* One 24-byte layer record: raw range checks on the u32 fields, then the same
 * spec checks nn_net_create makes. index is 0-based. */
static nn_status read_layer(model_reader *r, nn_layer_spec *spec, int index)
{
    uint32_t f[6]; /* kind, in, out, init, slope bits, p bits */
    unsigned char bytes[MODEL_LAYER_RECORD_BYTES];
    nn_status st = read_bytes(r, bytes, sizeof bytes, "layer record");
    if (st != NN_OK)
        return st;
    for (int i = 0; i < 6; i++)
        f[i] = get_u32(bytes + 4 * i);
    uint32_t n = (uint32_t)index + 1;
    if (!nn_layer_kind_name((nn_layer_kind)f[0]))
        return nn_fail(NN_EFORMAT, "%s: layer %u: unknown kind %u", r->path, (unsigned)n,
                       (unsigned)f[0]);
    nn_layer_kind kind = (nn_layer_kind)f[0];
    if (kind == NN_LAYER_LINEAR) {
        if (f[1] > NN_NET_MAX_FEATURES || f[2] > NN_NET_MAX_FEATURES)
            return nn_fail(NN_EFORMAT, "%s: layer %u (Linear): size %u x %u out of range (1..%d)",
                           r->path, (unsigned)n, (unsigned)f[2], (unsigned)f[1], NN_NET_MAX_FEATURES);
        if (!nn_init_name((nn_init)f[3]))
            return nn_fail(NN_EFORMAT, "%s: layer %u (Linear): unknown init %u", r->path,
                           (unsigned)n, (unsigned)f[3]);
    } else {
        static const char *const names[3] = {"in_features", "out_features", "init"};
        for (int i = 0; i < 3 && st == NN_OK; i++)
            st = expect_unused_zero(r, n, kind, names[i], f[1 + i]);
        if (st == NN_OK && kind != NN_LAYER_LEAKY_RELU)
            st = expect_unused_zero(r, n, kind, "slope", f[4]);
        if (st == NN_OK && kind != NN_LAYER_DROPOUT)
            st = expect_unused_zero(r, n, kind, "p", f[5]);
        if (st != NN_OK)
            return st;
    }
    *spec = (nn_layer_spec){
        .kind = kind,
        .in_features = (int)f[1],
        .out_features = (int)f[2],
        .init = (nn_init)f[3],
        .slope = bits_float(f[4]),
        .p = bits_float(f[5]),
    };
    if (nn_layer_spec_check(spec, index) != NN_OK) {
        char cause[512];
        snprintf(cause, sizeof cause, "%s", nn_error_message());
        return nn_fail(NN_EFORMAT, "%s: %s", r->path, cause);
    }
    return NN_OK;
}

/* Reads and checks everything up to the parameters: fills specs (1..MAX) and
 * *n_params, and leaves exactly 4*n_params + 4 bytes unread. */
static nn_status read_header(model_reader *r, nn_layer_spec *specs, int *n_layers, size_t *n_params)
{
    nn_status st = read_preamble(r);
    uint32_t count;
    if (st != NN_OK || (st = read_u32(r, &count, "layer count")) != NN_OK)
        return st;
    if (count < 1 || count > NN_NET_MAX_LAYERS)
        return nn_fail(NN_EFORMAT, "%s: layer count %u out of range (1..%d)", r->path,
                       (unsigned)count, NN_NET_MAX_LAYERS);
    uint64_t header_rest = (uint64_t)count * MODEL_LAYER_RECORD_BYTES + 8 + 4;
    if (header_rest > r->remaining)
        return nn_fail(NN_EFORMAT, "%s: truncated: %u layers need %llu more bytes, only %llu left",
                       r->path, (unsigned)count, (unsigned long long)header_rest,
                       (unsigned long long)r->remaining);
    size_t expected = 0;
    for (uint32_t i = 0; i < count; i++) {
        if ((st = read_layer(r, &specs[i], (int)i)) != NN_OK)
            return st;
        expected += nn_layer_spec_param_count(&specs[i]);
        if (expected > NN_NET_MAX_PARAMS)
            return nn_fail(NN_EFORMAT, "%s: layers hold more than %zu parameters", r->path,
                           NN_NET_MAX_PARAMS);
    }
    uint64_t stored;
    if ((st = read_u64(r, &stored, "parameter count")) != NN_OK)
        return st;
    if (stored != expected)
        return nn_fail(NN_EFORMAT, "%s: parameter count %llu does not match the layers (%zu)",
                       r->path, (unsigned long long)stored, expected);
    uint64_t body = (uint64_t)expected * 4 + 4;
    if (r->remaining < body)
        return nn_fail(NN_EFORMAT, "%s: truncated: %zu parameters and checksum need %llu bytes, only %llu left",
                       r->path, expected, (unsigned long long)body, (unsigned long long)r->remaining);
    if (r->remaining > body)
        return nn_fail(NN_EFORMAT, "%s: %llu unexpected trailing bytes after the checksum", r->path,
                       (unsigned long long)(r->remaining - body));
    *n_layers = (int)count;
    *n_params = expected;
    return NN_OK;
}

/* Builds the net from the checked header, then reads parameters and checksum. */
static nn_status read_model(model_reader *r, nn_net **out, nn_layer_spec *specs)
{
    int n_layers = 0;
    size_t n_params = 0;
    nn_status st = read_header(r, specs, &n_layers, &n_params);
    if (st != NN_OK)
        return st;
    nn_net *net;
    if ((st = nn_net_create(&net, specs, n_layers, 0)) != NN_OK) {
        char cause[512];
        snprintf(cause, sizeof cause, "%s", nn_error_message());
        return nn_fail(st == NN_ENOMEM ? NN_ENOMEM : NN_EFORMAT, "%s: %s", r->path, cause);
    }
    uLong computed = 0;
    uint32_t stored = 0;
    if ((st = read_floats(r, nn_net_params(net), n_params)) == NN_OK) {
        computed = r->crc;
        st = read_u32(r, &stored, "checksum");
    }
    if (st == NN_OK && stored != (uint32_t)computed)
        st = nn_fail(NN_EFORMAT, "%s: checksum mismatch (file corrupted)", r->path);
    if (st != NN_OK) {
        nn_net_free(net);
        return st;
    }
    *out = net;
    return NN_OK;
}

nn_status nn_net_load(nn_net **out, const char *path)
{
    *out = NULL;
    FILE *file;
    uint64_t size;
    nn_status opened = nn_file_open_regular(path, &file, &size); /* no FIFO, device or folder */
    if (opened != NN_OK)
        return opened;
    nn_layer_spec *specs = calloc(NN_NET_MAX_LAYERS, sizeof *specs);
    if (!specs) {
        fclose(file);
        return nn_fail(NN_ENOMEM, "%s: out of memory", path);
    }
    model_reader r = {.file = file, .path = path, .remaining = size,
                      .crc = crc32(0L, Z_NULL, 0)};
    nn_status st = read_model(&r, out, specs);
    free(specs);
    fclose(file);
    return st;
}
