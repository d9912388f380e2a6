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
 * A deflated model file (nn_net_save_deflated) holds exactly those bytes,
 * compressed: float32 weights deflate poorly as they are, but their sign and
 * exponent bytes repeat, so the bytes are first split into four planes (byte
 * k of every 4-byte word, k = 0..3; the file's length is always a multiple
 * of 4), then deflated (a zlib stream, with its own Adler-32):
 *
 *   0       8     magic "NNLABMDZ"
 *   8       4     u32 container version (MODEL_DEFLATED_VERSION)
 *   12      8     u64 length N of the model file inside (a multiple of 4)
 *   20      ...   zlib stream of the four planes, to the end of the file
 *
 * Saving writes a temporary file of its own beside path (path.tmp.PID.N,
 * created, never opened if it exists), flushes and fsyncs it, then renames it
 * over path.
 * Loading checks every field against the file's length before it allocates or
 * trusts anything, builds the net with nn_net_create, then copies parameters.
 * A deflated file is inflated into memory (never past N, which is bounded by
 * the largest model file) and its planes joined; the model file inside is
 * then read and validated as any other. */
#define _POSIX_C_SOURCE 200809L

#include "nn_file.h"
#include "nn_net.h"
#include "nn_net_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdatomic.h>
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
#define MODEL_DEFLATED_MAGIC "NNLABMDZ"
#define MODEL_DEFLATED_VERSION 1u
#define MODEL_DEFLATED_HEADER_BYTES 20
#define MODEL_INFLATE_CHUNK 16384 /* compressed bytes read per call */
/* The largest model file: the most layers and parameters nn_net_create allows. */
#define MODEL_MAX_FILE_BYTES                                                                  \
    ((uint64_t)16 + (uint64_t)MODEL_LAYER_RECORD_BYTES * NN_NET_MAX_LAYERS + 8 +             \
     (uint64_t)4 * NN_NET_MAX_PARAMS + 4)

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

/* How many names a save tries for its temporary file before it gives up. */
#define TEMPORARY_NAME_TRIES 64

/* Creates a temporary file of this save's own beside path: path.tmp.PID.N, N
 * from a process-wide counter, created with O_EXCL, so never an existing file
 * and never through a symbolic link. Two saves to one path (threads, forked
 * sweep workers, hosts sharing the folder) each write their own file, and one
 * whole model ends under path. Where that name would pass NAME_MAX (a file
 * name of 240-odd bytes), .nnlab-save.tmp.PID.N in the same folder. tmp (size
 * bytes) receives the name. */
static nn_status create_temporary(const char *path, char *tmp, size_t size, FILE **file)
{
    static atomic_uint counter;
    *file = NULL;
    const char *slash = strrchr(path, '/');
    int folder = slash ? (int)(slash - path) + 1 : 0;
    long pid = (long)getpid();
    for (int attempt = 0; attempt < TEMPORARY_NAME_TRIES; attempt++) {
        unsigned n = atomic_fetch_add(&counter, 1u);
        if (snprintf(tmp, size, "%s.tmp.%ld.%u", path, pid, n) >= (int)size)
            return nn_fail(NN_EINVAL, "%s: path too long", path);
        if (strlen(tmp + folder) > NAME_MAX)
            snprintf(tmp, size, "%.*s.nnlab-save.tmp.%ld.%u", folder, path, pid, n);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd >= 0 && !(*file = fdopen(fd, "wb"))) {
            int saved_errno = errno;
            close(fd);
            remove(tmp);
            errno = saved_errno;
        }
        if (!*file)
            return nn_fail(NN_EIO, "%s: cannot create a temporary file beside it: %s", path,
                           strerror(errno));
        return NN_OK;
    }
    return nn_fail(NN_EIO, "%s: cannot create a temporary file beside it: %d names taken", path,
                   TEMPORARY_NAME_TRIES);
}

/* Writes a file at path through a temporary file of its own
 * (create_temporary): fill(w, arg) writes its bytes; the file is flushed and
 * fsynced, given the permissions of the file it replaces (if any), then
 * renamed over path. Messages name path once (a long one leaves room for the
 * cause). */
static nn_status save_atomic(const char *path, void (*fill)(model_writer *, const void *),
                             const void *arg)
{
    char tmp_path[4096];
    model_writer w = {.crc = crc32(0L, Z_NULL, 0), .ok = true};
    struct stat replaced;
    bool keep_mode = stat(path, &replaced) == 0 && S_ISREG(replaced.st_mode);
    nn_status st = create_temporary(path, tmp_path, sizeof tmp_path, &w.file);
    if (st != NN_OK)
        return st;
    fill(&w, arg);
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
        return nn_fail(NN_EIO, "%s: writing the model failed: %s", path, strerror(saved_errno));
    }
    if (keep_mode && chmod(tmp_path, replaced.st_mode & 07777) != 0) {
        saved_errno = errno;
        remove(tmp_path);
        return nn_fail(NN_EIO, "%s: cannot keep the replaced file's permissions: %s", path,
                       strerror(saved_errno));
    }
    if (rename(tmp_path, path) != 0) {
        saved_errno = errno;
        remove(tmp_path);
        return nn_fail(NN_EIO, "%s: cannot rename the temporary file into place: %s", path,
                       strerror(saved_errno));
    }
    return NN_OK;
}

static void fill_model(model_writer *w, const void *net)
{
    write_model(w, net);
}

nn_status nn_net_save(const nn_net *net, const char *path)
{
    return save_atomic(path, fill_model, net);
}

/* ---- deflated model files --------------------------------------------------- */

/* planes (n bytes, n a multiple of 4) = byte k of every 4-byte word of raw, plane by plane */
static void split_planes(unsigned char *planes, const unsigned char *raw, size_t n)
{
    size_t words = n / 4;
    for (size_t i = 0; i < words; i++)
        for (size_t k = 0; k < 4; k++)
            planes[k * words + i] = raw[4 * i + k];
}

/* raw (n bytes) = the words of split_planes' planes, joined again */
static void join_planes(unsigned char *raw, const unsigned char *planes, size_t n)
{
    size_t words = n / 4;
    for (size_t i = 0; i < words; i++)
        for (size_t k = 0; k < 4; k++)
            raw[4 * i + k] = planes[k * words + i];
}

/* stream (capacity *stream_bytes, compressBound's) = the zlib stream of
 * planes (n bytes); *stream_bytes its length. Huffman coding alone: the low
 * mantissa bytes of trained weights are noise, which no match shortens, and
 * the sign and exponent plane is mostly a few byte values; searching for
 * matches takes 4 to 12 times longer for at most 1 % less (measured on a
 * trained 784-256-256-10 MLP). */
static nn_status deflate_planes(unsigned char *stream, uLongf *stream_bytes, const unsigned char *planes,
                                size_t n, const char *path)
{
    z_stream z = {0};
    int zs = deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15, 8, Z_HUFFMAN_ONLY);
    if (zs != Z_OK)
        return nn_fail(NN_ENOMEM, "%s: out of memory", path);
    /* zlib counts in uInt: a model file over 4 GiB goes in and out in 1 GiB pieces */
    const uInt piece = 1u << 30;
    size_t in_left = n, out_left = (size_t)*stream_bytes;
    z.next_in = (unsigned char *)planes; /* zlib's next_in is not const; deflate only reads it */
    z.next_out = stream;
    do {
        if (z.avail_in == 0 && in_left > 0) {
            z.avail_in = in_left < piece ? (uInt)in_left : piece;
            in_left -= z.avail_in;
        }
        if (z.avail_out == 0 && out_left > 0) {
            z.avail_out = out_left < piece ? (uInt)out_left : piece;
            out_left -= z.avail_out;
        }
        zs = deflate(&z, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
    } while (zs == Z_OK);
    *stream_bytes = z.total_out;
    deflateEnd(&z);
    if (zs != Z_STREAM_END)
        return nn_fail(zs == Z_MEM_ERROR ? NN_ENOMEM : NN_EIO, "%s: deflate failed (zlib %d)", path, zs);
    return NN_OK;
}

typedef struct deflated_file {
    uint64_t raw_bytes;          /* the model file's length */
    const unsigned char *stream; /* its planes, deflated */
    size_t stream_bytes;
} deflated_file;

static void fill_deflated(model_writer *w, const void *arg)
{
    const deflated_file *d = arg;
    unsigned char header[MODEL_DEFLATED_HEADER_BYTES];
    memcpy(header, MODEL_DEFLATED_MAGIC, MODEL_MAGIC_LEN);
    put_u32(header + 8, MODEL_DEFLATED_VERSION);
    put_u64(header + 12, d->raw_bytes);
    write_bytes(w, header, sizeof header);
    write_bytes(w, d->stream, d->stream_bytes);
}

nn_status nn_net_save_deflated(const nn_net *net, const char *path)
{
    char *raw = NULL;
    size_t n = 0;
    FILE *memory = open_memstream(&raw, &n);
    if (!memory)
        return nn_fail(NN_ENOMEM, "%s: out of memory", path);
    model_writer w = {.file = memory, .crc = crc32(0L, Z_NULL, 0), .ok = true};
    write_model(&w, net);
    if (fclose(memory) != 0 || !w.ok) {
        free(raw);
        return nn_fail(NN_ENOMEM, "%s: out of memory", path);
    }
    uLongf stream_bytes = compressBound((uLong)n);
    unsigned char *planes = malloc(n ? n : 1), *stream = malloc(stream_bytes);
    nn_status st = NN_OK;
    if (!planes || !stream) {
        st = nn_fail(NN_ENOMEM, "%s: out of memory", path);
    } else {
        split_planes(planes, (const unsigned char *)raw, n);
        st = deflate_planes(stream, &stream_bytes, planes, n, path);
    }
    if (st == NN_OK) {
        deflated_file d = {.raw_bytes = n, .stream = stream, .stream_bytes = stream_bytes};
        st = save_atomic(path, fill_deflated, &d);
    }
    free(stream);
    free(planes);
    free(raw);
    return st;
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
        if ((st = expect_unused_zero(r, n, kind, "slope", f[4])) != NN_OK ||
            (st = expect_unused_zero(r, n, kind, "p", f[5])) != NN_OK)
            return st;
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

/* Inflates the zlib stream that follows a deflated file's header (the file
 * positioned there, `remaining` bytes left) into exactly raw_bytes bytes:
 * *out (malloc'd, the caller frees). The buffer grows with what the stream
 * gives, to one byte past raw_bytes at most (a stream that fills that byte
 * is too long), so a header that lies about the length allocates no more
 * than the stream inflates to. */
static nn_status inflate_file(FILE *file, uint64_t remaining, const char *path, uint64_t raw_bytes,
                              unsigned char **out)
{
    *out = NULL;
    z_stream z = {0};
    if (inflateInit(&z) != Z_OK)
        return nn_fail(NN_ENOMEM, "%s: out of memory", path);
    size_t limit = (size_t)raw_bytes + 1;
    size_t capacity = limit < (1u << 16) ? limit : (1u << 16), have = 0;
    unsigned char *buffer = malloc(capacity), in[MODEL_INFLATE_CHUNK];
    nn_status st = buffer ? NN_OK : nn_fail(NN_ENOMEM, "%s: out of memory", path);
    int zs = Z_OK;
    while (st == NN_OK && zs != Z_STREAM_END) {
        if (z.avail_in == 0) {
            if (remaining == 0) {
                st = nn_fail(NN_EFORMAT, "%s: truncated: the deflated model ends early", path);
                break;
            }
            size_t want = remaining < sizeof in ? (size_t)remaining : sizeof in;
            if (fread(in, 1, want, file) != want) {
                st = nn_fail(NN_EIO, "%s: read error in the deflated model", path);
                break;
            }
            remaining -= want;
            z.next_in = in;
            z.avail_in = (uInt)want;
        }
        if (have == capacity) {
            if (capacity == limit) {
                st = nn_fail(NN_EFORMAT, "%s: the deflated model inflates to more than the %llu bytes "
                             "its header says", path, (unsigned long long)raw_bytes);
                break;
            }
            size_t grown = limit - capacity < capacity ? limit : 2 * capacity;
            unsigned char *bigger = realloc(buffer, grown);
            if (!bigger) {
                st = nn_fail(NN_ENOMEM, "%s: out of memory", path);
                break;
            }
            buffer = bigger;
            capacity = grown;
        }
        z.next_out = buffer + have;
        z.avail_out = (uInt)(capacity - have < (1u << 30) ? capacity - have : (1u << 30));
        uInt before = z.avail_out;
        zs = inflate(&z, Z_NO_FLUSH); /* Z_BUF_ERROR: no progress yet, more input comes next */
        have += before - z.avail_out;
        if (zs == Z_NEED_DICT || zs == Z_DATA_ERROR || zs == Z_STREAM_ERROR)
            st = nn_fail(NN_EFORMAT, "%s: corrupted deflated model (zlib: %s)", path,
                         z.msg ? z.msg : "bad data");
        else if (zs == Z_MEM_ERROR)
            st = nn_fail(NN_ENOMEM, "%s: out of memory", path);
    }
    if (st == NN_OK && have != raw_bytes)
        st = nn_fail(NN_EFORMAT, "%s: the deflated model inflates to %zu bytes, not the %llu its header says",
                     path, have, (unsigned long long)raw_bytes);
    if (st == NN_OK && (z.avail_in > 0 || remaining > 0))
        st = nn_fail(NN_EFORMAT, "%s: %llu unexpected trailing bytes after the deflated model", path,
                     (unsigned long long)(z.avail_in + remaining));
    inflateEnd(&z);
    if (st != NN_OK) {
        free(buffer);
        return st;
    }
    *out = buffer;
    return NN_OK;
}

/* A deflated model file (the file positioned after its 8-byte magic, `size`
 * its length): header checks, inflate, join the planes, then the model file
 * inside is read as any other. */
static nn_status read_deflated(FILE *file, uint64_t size, const char *path, nn_net **out,
                               nn_layer_spec *specs)
{
    unsigned char header[MODEL_DEFLATED_HEADER_BYTES - MODEL_MAGIC_LEN];
    if (size < MODEL_DEFLATED_HEADER_BYTES)
        return nn_fail(NN_EFORMAT, "%s: truncated: the deflated model's header needs %d bytes, only %llu",
                       path, MODEL_DEFLATED_HEADER_BYTES, (unsigned long long)size);
    if (fread(header, 1, sizeof header, file) != sizeof header)
        return nn_fail(NN_EIO, "%s: read error in the deflated model's header", path);
    uint32_t version = get_u32(header);
    if (version > MODEL_DEFLATED_VERSION)
        return nn_fail(NN_EFORMAT, "%s: deflated format version %u is newer than this nnlab reads (%u); "
                       "upgrade nnlab", path, (unsigned)version, MODEL_DEFLATED_VERSION);
    if (version != MODEL_DEFLATED_VERSION)
        return nn_fail(NN_EFORMAT, "%s: unknown deflated format version %u", path, (unsigned)version);
    uint64_t raw_bytes = get_u64(header + 4);
    if (raw_bytes == 0 || raw_bytes % 4 != 0 || raw_bytes > MODEL_MAX_FILE_BYTES)
        return nn_fail(NN_EFORMAT, "%s: the deflated model's length %llu is not that of a model file",
                       path, (unsigned long long)raw_bytes);
    unsigned char *planes;
    nn_status st = inflate_file(file, size - MODEL_DEFLATED_HEADER_BYTES, path, raw_bytes, &planes);
    if (st != NN_OK)
        return st;
    unsigned char *raw = malloc((size_t)raw_bytes);
    FILE *memory = raw ? fmemopen(raw, (size_t)raw_bytes, "rb") : NULL;
    if (!memory) {
        free(raw);
        free(planes);
        return nn_fail(NN_ENOMEM, "%s: out of memory", path);
    }
    join_planes(raw, planes, (size_t)raw_bytes);
    free(planes);
    model_reader r = {.file = memory, .path = path, .remaining = raw_bytes,
                      .crc = crc32(0L, Z_NULL, 0)};
    st = read_model(&r, out, specs);
    fclose(memory);
    free(raw);
    return st;
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
    unsigned char magic[MODEL_MAGIC_LEN];
    nn_status st;
    if (size >= MODEL_MAGIC_LEN && fread(magic, 1, sizeof magic, file) == sizeof magic &&
        memcmp(magic, MODEL_DEFLATED_MAGIC, MODEL_MAGIC_LEN) == 0) {
        st = read_deflated(file, size, path, out, specs);
    } else if (fseek(file, 0, SEEK_SET) != 0) {
        st = nn_fail(NN_EIO, "%s: cannot read: %s", path, strerror(errno));
    } else {
        model_reader r = {.file = file, .path = path, .remaining = size, .crc = crc32(0L, Z_NULL, 0)};
        st = read_model(&r, out, specs);
    }
    free(specs);
    fclose(file);
    return st;
}
