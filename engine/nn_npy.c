/* NumPy reader (see nn_npy.h): .npy files, and .npz archives through libzip.
 *
 * One code path reads every .npy stream, whatever holds it (a file, bytes in
 * memory, an npz member): preamble (magic, version, header length), then the
 * header dict, then the body. The stream's total size is known before the body
 * is read (the file's size, the buffer's, the member's uncompressed size), so
 * the body is checked to be exactly shape × itemsize bytes before the array is
 * allocated. Bodies are read straight into the array (uint8, float32 in the
 * host's order) or through a small chunk buffer that converts to float32, so a
 * member is never held twice.
 *
 * Zero-size arrays (a 0 in the shape) are refused, like an IDX file with no
 * images: nothing downstream can use them. A scalar (shape ()) is one element. */
#include "nn_npy.h"
#include "nn_file.h"
#include "nn_mem.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

enum {
    NPY_MAGIC_LEN = 6,
    NPY_MAX_HEADER = 1 << 20, /* numpy writes < 200 bytes for a plain dtype */
    NPY_CHUNK = 1 << 14,      /* bytes converted at a time */
    NPY_NAME = 1024,          /* "path.npz[key]" */
};

static const uint8_t NPY_MAGIC[NPY_MAGIC_LEN] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* deflate cannot compress better than about 1032:1 (see nn_idx.c); a member
 * that claims more than that from its compressed bytes is corrupt. */
#define DEFLATE_MAX_RATIO 1032u

/* ---- sources: the bytes of one .npy stream ---- */

typedef struct npy_source {
    const char *name;     /* for messages */
    uint64_t size;        /* total bytes of the .npy stream */
    const uint8_t *bytes; /* in memory, or */
    FILE *file;           /* a file, or */
    zip_file_t *member;   /* an npz member */
    uint64_t pos;         /* next byte (memory only) */
} npy_source;

/* Reads up to n bytes; *got < n only at the end of the stream. */
static nn_status source_read(npy_source *src, void *dst, size_t n, size_t *got)
{
    *got = 0;
    if (src->bytes) {
        uint64_t left = src->size - src->pos;
        size_t take = n < left ? n : (size_t)left;
        if (take)
            memcpy(dst, src->bytes + src->pos, take);
        src->pos += take;
        *got = take;
    } else if (src->file) {
        *got = fread(dst, 1, n, src->file);
        if (*got < n && ferror(src->file))
            return nn_fail(NN_EIO, "%s: read error: %s", src->name, strerror(errno));
    } else {
        while (*got < n) {
            zip_int64_t r = zip_fread(src->member, (uint8_t *)dst + *got, n - *got);
            if (r < 0)
                return nn_fail(NN_EFORMAT, "%s: corrupt archive member: %s", src->name,
                               zip_file_strerror(src->member));
            if (r == 0)
                break;
            *got += (size_t)r;
        }
    }
    return NN_OK;
}

/* ---- the header ---- */

/* What the header says. */
typedef struct npy_header {
    char descr[8];
    char kind;      /* 'u', 'i' or 'f' */
    unsigned itemsize;
    int big_endian;
    uint32_t ndim;
    uint64_t shape[NN_ARRAY_MAX_DIMS];
    uint64_t elements;
    uint64_t body; /* bytes */
} npy_header;

/* A cursor over the header text (a Python dict literal). */
typedef struct header_text {
    const char *name;
    const char *start, *p, *end;
} header_text;

/* Bytes of a file's text quoted in a message (nn_error_quote): a structured
 * dtype, a dtype or key, an archive member's name. */
enum { DESCR_SHOWN = 60, WORD_SHOWN = 40, MEMBER_SHOWN = 80 };

static void skip_space(header_text *t)
{
    while (t->p < t->end && (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r'))
        t->p++;
}

static nn_status syntax_error(const header_text *t, const char *expected)
{
    if (t->p >= t->end)
        return nn_fail(NN_EFORMAT, "%s: malformed header: expected %s, found the end of the header",
                       t->name, expected);
    return nn_fail(NN_EFORMAT, "%s: malformed header: expected %s at byte %zu, found '%c'", t->name,
                   expected, (size_t)(t->p - t->start),
                   *t->p >= 0x20 && *t->p < 0x7f ? *t->p : '?');
}

/* Skips spaces, then the character c. */
static nn_status expect(header_text *t, char c, const char *what)
{
    skip_space(t);
    if (t->p >= t->end || *t->p != c)
        return syntax_error(t, what);
    t->p++;
    return NN_OK;
}

/* A quoted string ('...' or "...", no escapes): *s and *len point into the text. */
static nn_status parse_string(header_text *t, const char **s, size_t *len, const char *what)
{
    skip_space(t);
    if (t->p >= t->end || (*t->p != '\'' && *t->p != '"'))
        return syntax_error(t, what);
    char quote = *t->p++;
    const char *begin = t->p;
    while (t->p < t->end && *t->p != quote && *t->p != '\n')
        t->p++;
    if (t->p >= t->end || *t->p != quote)
        return nn_fail(NN_EFORMAT, "%s: malformed header: unterminated string at byte %zu", t->name,
                       (size_t)(begin - 1 - t->start));
    *s = begin;
    *len = (size_t)(t->p - begin);
    t->p++;
    return NN_OK;
}

static int word_is(const header_text *t, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(t->end - t->p) >= n && memcmp(t->p, word, n) == 0;
}

/* descr: one of the supported dtype strings. */
static nn_status parse_descr(header_text *t, npy_header *h)
{
    skip_space(t);
    if (t->p < t->end && *t->p == '[') {
        const char *close = memchr(t->p, ']', (size_t)(t->end - t->p));
        size_t n = close ? (size_t)(close - t->p + 1) : (size_t)(t->end - t->p);
        char shown[DESCR_SHOWN + 4];
        return nn_fail(NN_EFORMAT, "%s: structured dtype %s is not supported: save a plain "
                       "numeric array", t->name, nn_error_quote(shown, DESCR_SHOWN, t->p, n));
    }
    const char *s;
    size_t len;
    nn_status st = parse_string(t, &s, &len, "a dtype string for 'descr'");
    if (st != NN_OK)
        return st;
    if (len >= 2 && s[1] == 'O')
        return nn_fail(NN_EFORMAT, "%s: holds Python objects (dtype object), not numbers", t->name);
    static const struct { char kind; unsigned size; } types[] = {
        {'u', 1}, {'i', 1}, {'i', 2}, {'i', 4}, {'i', 8}, {'f', 4}, {'f', 8},
    };
    if (len == 3 && (s[0] == '<' || s[0] == '>' || s[0] == '=' || s[0] == '|'))
        for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
            if (s[1] != types[i].kind || s[2] != (char)('0' + types[i].size))
                continue;
            if (s[0] == '|' && types[i].size != 1)
                break; /* "|i4": no byte order for a multi-byte type */
            memcpy(h->descr, s, 3);
            h->descr[3] = '\0';
            h->kind = types[i].kind;
            h->itemsize = types[i].size;
            h->big_endian = s[0] == '>';
            return NN_OK;
        }
    char shown[WORD_SHOWN + 4];
    return nn_fail(NN_EFORMAT, "%s: dtype '%s' is not supported: nnlab reads the descr strings NumPy writes "
                   "for uint8, int8, int16, int32, int64, float32 and float64 ('|u1', '<i4', '<f4', '>f8', ...)",
                   t->name, nn_error_quote(shown, WORD_SHOWN, s, len));
}

static nn_status parse_fortran_order(header_text *t)
{
    skip_space(t);
    if (word_is(t, "False")) {
        t->p += 5;
        return NN_OK;
    }
    if (word_is(t, "True"))
        return nn_fail(NN_EFORMAT, "%s: the array is in Fortran order; save it with "
                       "np.ascontiguousarray", t->name);
    return syntax_error(t, "True or False for 'fortran_order'");
}

/* "(3, 4, 5)" for messages (at most the first dims). */
static const char *shape_text(char *buf, size_t size, const uint64_t *shape, uint32_t ndim)
{
    size_t n = (size_t)snprintf(buf, size, "(");
    for (uint32_t d = 0; d < ndim && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, "%s%llu", d ? ", " : "",
                              (unsigned long long)shape[d]);
    if (n < size)
        snprintf(buf + n, size - n, ndim == 1 ? ",)" : ")");
    return buf;
}

/* shape: a tuple of non-negative integers, "()" for a scalar, "(3,)" for one dim. */
static nn_status parse_shape(header_text *t, npy_header *h)
{
    nn_status st = expect(t, '(', "a tuple for 'shape'");
    if (st != NN_OK)
        return st;
    uint32_t ndim = 0;
    int comma = 0; /* a comma followed the last number */
    for (;;) {
        skip_space(t);
        if (t->p < t->end && *t->p == ')') {
            if (ndim == 1 && !comma)
                return nn_fail(NN_EFORMAT, "%s: malformed header: 'shape' (%llu) is not a tuple "
                               "(a 1-D shape is written (%llu,))", t->name,
                               (unsigned long long)h->shape[0], (unsigned long long)h->shape[0]);
            t->p++;
            break;
        }
        if (ndim > 0 && !comma)
            return syntax_error(t, "',' or ')' in 'shape'");
        if (t->p >= t->end || *t->p < '0' || *t->p > '9') {
            if (t->p < t->end && *t->p == '-')
                return nn_fail(NN_EFORMAT, "%s: negative dimension in 'shape'", t->name);
            return syntax_error(t, "a dimension in 'shape'");
        }
        uint64_t v = 0;
        while (t->p < t->end && *t->p >= '0' && *t->p <= '9') {
            unsigned digit = (unsigned)(*t->p++ - '0');
            if (v > (UINT64_MAX - digit) / 10)
                return nn_fail(NN_EFORMAT, "%s: a dimension in 'shape' is too large", t->name);
            v = v * 10 + digit;
        }
        if (t->p < t->end && *t->p == 'L') /* Python 2's long literal */
            t->p++;
        if (ndim < NN_ARRAY_MAX_DIMS)
            h->shape[ndim] = v;
        if (ndim == UINT32_MAX - 1)
            return nn_fail(NN_EFORMAT, "%s: too many dimensions", t->name);
        ndim++;
        skip_space(t);
        comma = t->p < t->end && *t->p == ',';
        if (comma)
            t->p++;
    }
    if (ndim > NN_ARRAY_MAX_DIMS)
        return nn_fail(NN_EFORMAT, "%s: the array has %u dimensions; at most %d are supported",
                       t->name, ndim, NN_ARRAY_MAX_DIMS);
    h->ndim = ndim;
    return NN_OK;
}

/* The dict: exactly the keys descr, fortran_order and shape, in any order. */
static nn_status parse_dict(header_text *t, npy_header *h)
{
    nn_status st = expect(t, '{', "'{' (the header is a Python dict)");
    int seen[3] = {0, 0, 0};
    static const char *const keys[3] = {"descr", "fortran_order", "shape"};
    while (st == NN_OK) {
        skip_space(t);
        if (t->p < t->end && *t->p == '}') {
            t->p++;
            break;
        }
        const char *key;
        size_t len;
        if ((st = parse_string(t, &key, &len, "a quoted key or '}'")) != NN_OK)
            break;
        int k = 0;
        while (k < 3 && !(strlen(keys[k]) == len && memcmp(keys[k], key, len) == 0))
            k++;
        char shown[WORD_SHOWN + 4];
        if (k == 3)
            return nn_fail(NN_EFORMAT, "%s: malformed header: unknown key '%s' (expected "
                           "'descr', 'fortran_order' and 'shape')", t->name,
                           nn_error_quote(shown, WORD_SHOWN, key, len));
        if (seen[k]++)
            return nn_fail(NN_EFORMAT, "%s: malformed header: key '%s' appears twice", t->name,
                           keys[k]);
        if ((st = expect(t, ':', "':' after a key")) != NN_OK)
            break;
        st = k == 0 ? parse_descr(t, h) : k == 1 ? parse_fortran_order(t) : parse_shape(t, h);
        if (st != NN_OK)
            break;
        skip_space(t);
        if (t->p < t->end && *t->p == ',')
            t->p++;
        else if (t->p >= t->end || *t->p != '}')
            return syntax_error(t, "',' or '}' after a value");
    }
    if (st != NN_OK)
        return st;
    for (int k = 0; k < 3; k++)
        if (!seen[k])
            return nn_fail(NN_EFORMAT, "%s: malformed header: no '%s' key", t->name, keys[k]);
    skip_space(t);
    if (t->p < t->end)
        return syntax_error(t, "the end of the header after '}'");
    return NN_OK;
}

/* Magic, version, header length and the header dict; checks that the body
 * that follows is exactly the declared size. */
static nn_status read_header(npy_source *src, npy_header *h)
{
    memset(h, 0, sizeof *h);
    for (int d = 0; d < NN_ARRAY_MAX_DIMS; d++)
        h->shape[d] = 1;
    uint8_t pre[12];
    size_t got;
    nn_status st = source_read(src, pre, 8, &got);
    if (st != NN_OK)
        return st;
    if (memcmp(pre, NPY_MAGIC, got < NPY_MAGIC_LEN ? got : NPY_MAGIC_LEN) != 0)
        return nn_fail(NN_EFORMAT, "%s: not a .npy file (bad magic: it does not start with "
                       "\\x93NUMPY)%s", src->name,
                       got >= 4 && memcmp(pre, "PK\3\4", 4) == 0 ? "; it is a zip archive: an .npz? read it with data.npz"
                                                                   : "");
    if (got < 8)
        return nn_fail(NN_EFORMAT, "%s: truncated header: %zu bytes", src->name, got);
    unsigned major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0)
        return nn_fail(NN_EFORMAT, "%s: unsupported .npy format version %u.%u (1.0, 2.0 and 3.0 "
                       "are read)", src->name, major, minor);
    size_t len_bytes = major == 1 ? 2 : 4;
    if ((st = source_read(src, pre + 8, len_bytes, &got)) != NN_OK)
        return st;
    if (got < len_bytes)
        return nn_fail(NN_EFORMAT, "%s: truncated header: %zu bytes", src->name, 8 + got);
    uint32_t header_len = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
    if (major > 1)
        header_len |= (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
    uint64_t preamble = 8 + len_bytes;
    if (src->size < preamble) /* the file grew after its size was taken */
        return nn_fail(NN_EIO, "%s: the file changed while it was read", src->name);
    if (header_len > src->size - preamble)
        return nn_fail(NN_EFORMAT, "%s: truncated header: it declares %u bytes but only %llu "
                       "follow", src->name, header_len,
                       (unsigned long long)(src->size - preamble));
    if (header_len > NPY_MAX_HEADER)
        return nn_fail(NN_EFORMAT, "%s: header of %u bytes is too long (at most %d)", src->name,
                       header_len, NPY_MAX_HEADER);

    char *text = malloc(header_len ? header_len : 1);
    if (!text)
        return nn_fail(NN_ENOMEM, "%s: out of memory for a %u-byte header", src->name, header_len);
    st = source_read(src, text, header_len, &got);
    if (st == NN_OK && got < header_len)
        st = nn_fail(NN_EFORMAT, "%s: truncated header: %zu of %u bytes", src->name, got,
                     header_len);
    if (st == NN_OK) {
        header_text t = {src->name, text, text, text + header_len};
        st = parse_dict(&t, h);
    }
    free(text);
    if (st != NN_OK)
        return st;

    char shape[160];
    shape_text(shape, sizeof shape, h->shape, h->ndim);
    uint64_t n = 1;
    for (uint32_t d = 0; d < h->ndim; d++) {
        if (h->shape[d] == 0)
            return nn_fail(NN_EFORMAT, "%s: shape %s holds no elements", src->name, shape);
        if (h->shape[d] > UINT64_MAX / n)
            return nn_fail(NN_EFORMAT, "%s: shape %s overflows (too many elements)", src->name,
                           shape);
        n *= h->shape[d];
    }
    size_t out_size = h->kind == 'u' ? 1 : sizeof(float);
    if (n > UINT64_MAX / h->itemsize || n > SIZE_MAX / out_size)
        return nn_fail(NN_EFORMAT, "%s: shape %s overflows (too many elements)", src->name, shape);
    h->elements = n;
    h->body = n * h->itemsize;
    uint64_t have = src->size - preamble - header_len;
    if (have < h->body)
        return nn_fail(NN_EFORMAT, "%s: truncated body: shape %s of %s needs %llu bytes but only "
                       "%llu follow the header", src->name, shape, h->descr,
                       (unsigned long long)h->body, (unsigned long long)have);
    if (have > h->body)
        return nn_fail(NN_EFORMAT, "%s: %llu bytes of trailing data after the %llu bytes of "
                       "shape %s of %s", src->name, (unsigned long long)(have - h->body),
                       (unsigned long long)h->body, shape, h->descr);
    return NN_OK;
}

/* ---- the body ---- */

static int host_is_big_endian(void)
{
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 0;
}

/* An unsigned integer of `size` bytes in the file's byte order. */
static uint64_t load_bits(const uint8_t *p, unsigned size, int big)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)p[big ? size - 1 - i : i] << (8 * i);
    return v;
}

/* Converts n elements to float32, rounding to nearest as numpy's
 * astype(float32) does. Integers round to the nearest float; a float64 from
 * FLT_MAX plus half its ulp up rounds to ±inf (datasets refuse non-finite
 * values later), below it to at most ±FLT_MAX (3.4028235e38, FLT_MAX as
 * printed, is a little above FLT_MAX as a double). */
#define FLOAT_OVERFLOWS_FROM 0x1.ffffffp+127
/* `first` is the index of src[0] in the array; *whole_at / *value record
 * the first f8 element with a fraction that rounds to a whole float
 * (nn_array.whole_from_fraction); *overflow_at / *overflow the first finite
 * f8 element past float32's range (1-based; 0: none), which read_body
 * refuses: as ±inf it would be reported as infinite, which the file's is not. */
static void convert(float *dst, const uint8_t *src, size_t n, const npy_header *h, uint64_t first,
                    uint64_t *whole_at, double *value, uint64_t *overflow_at, double *overflow)
{
    unsigned size = h->itemsize;
    uint64_t sign = (uint64_t)1 << (8 * size - 1);
    uint64_t mask = size == 8 ? UINT64_MAX : (sign << 1) - 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = load_bits(src + i * size, size, h->big_endian);
        if (h->kind == 'i') {
            int64_t s = v & sign ? -(int64_t)(~v & mask) - 1 : (int64_t)v;
            dst[i] = (float)s;
        } else if (size == 4) {
            uint32_t bits = (uint32_t)v;
            memcpy(&dst[i], &bits, sizeof bits);
        } else {
            double d;
            memcpy(&d, &v, sizeof d);
            dst[i] = d >= FLOAT_OVERFLOWS_FROM    ? INFINITY
                     : d <= -FLOAT_OVERFLOWS_FROM ? -INFINITY
                                                  : (float)d;
            if (!*overflow_at && isfinite(d) && isinf(dst[i])) {
                *overflow_at = first + i + 1;
                *overflow = d;
            }
            if (!*whole_at && d != floor(d) && dst[i] == floorf(dst[i])) {
                *whole_at = first + i + 1;
                *value = d;
            }
        }
    }
}

/* Reads the body into *data (malloc'd): uint8 as is, everything else as float32. */
static nn_status read_body(npy_source *src, const npy_header *h, void **data, nn_array *array)
{
    *data = NULL;
    int direct = h->kind == 'u' || (h->kind == 'f' && h->itemsize == 4 &&
                                    h->big_endian == host_is_big_endian());
    size_t out_size = h->kind == 'u' ? 1 : sizeof(float);
    size_t bytes = (size_t)h->elements * out_size;
    uint8_t *out = malloc(bytes);
    if (!out)
        return nn_fail(NN_ENOMEM, "%s: out of memory for %zu bytes", src->name, bytes);
    nn_advise_huge_pages(out, bytes); /* a dataset's samples, read at random */
    nn_status st = NN_OK;
    size_t got = 0;
    uint64_t overflow_at = 0;
    double overflow = 0;
    if (direct) {
        st = source_read(src, out, bytes, &got);
    } else {
        uint8_t chunk[NPY_CHUNK];
        size_t per_chunk = NPY_CHUNK / h->itemsize, done = 0;
        while (st == NN_OK && done < h->elements) {
            size_t want = h->elements - done < per_chunk ? (size_t)(h->elements - done) : per_chunk;
            size_t n;
            st = source_read(src, chunk, want * h->itemsize, &n);
            if (st == NN_OK && n < want * h->itemsize)
                break;
            if (st == NN_OK)
                convert((float *)out + done, chunk, want, h, done, &array->whole_from_fraction,
                        &array->fraction_value, &overflow_at, &overflow);
            done += want;
        }
        got = done * h->itemsize;
    }
    if (st == NN_OK && overflow_at) {
        char shown[32]; /* the shortest digits that read back as the file's number */
        for (int digits = 1; digits <= 17; digits++) {
            snprintf(shown, sizeof shown, "%.*g", digits, overflow);
            if (strtod(shown, NULL) == overflow)
                break;
        }
        st = nn_fail(NN_EINVAL, "%s: element %llu (0-based, in C order) is %s, too large for a 32-bit float "
                     "(at most %g): scale the data", src->name, (unsigned long long)(overflow_at - 1), shown,
                     (double)FLT_MAX);
    }
    if (st == NN_OK && got < h->body)
        st = nn_fail(NN_EFORMAT, "%s: truncated body: %zu of %llu bytes", src->name, got,
                     (unsigned long long)h->body);
    if (st == NN_OK) { /* must be the end: for an npz member this also checks the CRC */
        uint8_t extra;
        st = source_read(src, &extra, 1, &got);
        if (st == NN_OK && got > 0)
            st = nn_fail(NN_EFORMAT, "%s: trailing data after the declared %llu bytes", src->name,
                         (unsigned long long)h->body);
    }
    if (st != NN_OK) {
        free(out);
        return st;
    }
    *data = out;
    return NN_OK;
}

/* Reads one whole .npy stream into *out. */
static nn_status read_npy(npy_source *src, nn_array *out)
{
    memset(out, 0, sizeof *out);
    npy_header h;
    nn_status st = read_header(src, &h);
    void *data = NULL;
    if (st == NN_OK)
        st = read_body(src, &h, &data, out);
    if (st != NN_OK)
        return st;
    out->dtype = h.kind == 'u' ? NN_DTYPE_U8 : NN_DTYPE_F32;
    out->ndim = h.ndim;
    memcpy(out->shape, h.shape, sizeof out->shape);
    out->data = data;
    memcpy(out->descr, h.descr, sizeof out->descr);
    return NN_OK;
}

nn_status nn_npy_parse(const uint8_t *bytes, size_t size, const char *name, nn_array *out)
{
    static const uint8_t none[1] = {0};
    npy_source src = {.name = name, .size = size, .bytes = bytes ? bytes : none};
    return read_npy(&src, out);
}

nn_status nn_npy_read(const char *path, nn_array *out)
{
    memset(out, 0, sizeof *out);
    npy_source src = {.name = path};
    nn_status st = nn_file_open_regular(path, &src.file, &src.size); /* no FIFO, device or folder */
    if (st != NN_OK)
        return st;
    st = read_npy(&src, out);
    fclose(src.file);
    return st;
}

/* ---- .npz archives ---- */

/* "path: no array 'x' (it has: a, b)": the members, ".npy" dropped. */
static nn_status missing_key(zip_t *za, const char *path, const char *key)
{
    char list[320] = "";
    size_t n = 0;
    zip_int64_t count = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < count && n < sizeof list; i++) {
        const char *member = zip_get_name(za, (zip_uint64_t)i, 0);
        if (!member)
            continue;
        size_t len = strlen(member);
        if (len > 4 && strcmp(member + len - 4, ".npy") == 0)
            len -= 4;
        char shown[MEMBER_SHOWN + 4];
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "",
                              nn_error_quote(shown, MEMBER_SHOWN, member, len));
    }
    if (n >= sizeof list)
        memcpy(list + sizeof list - 4, "...", 4);
    if (count <= 0)
        return nn_fail(NN_EFORMAT, "%s: no array '%s' (the archive is empty)", path, key);
    return nn_fail(NN_EFORMAT, "%s: no array '%s' (it has: %s)", path, key, list);
}

/* After a member failed to read: when the archive lied about it (its bytes
 * are not the length its directory gives, or libzip finds them corrupt), says
 * so instead of the message its header checks gave, which took that length
 * at its word ("the file changed while it was read", "trailing data"). Reads
 * the member again, at most claimed + 1 bytes. */
static nn_status blame_the_archive(zip_t *za, zip_uint64_t index, uint64_t claimed,
                                   const char *name, nn_status st)
{
    zip_file_t *file = zip_fopen_index(za, index, 0);
    if (!file)
        return st;
    uint8_t chunk[16384];
    uint64_t length = 0;
    zip_int64_t r;
    while (length <= claimed && (r = zip_fread(file, chunk, sizeof chunk)) > 0)
        length += (uint64_t)r;
    if (length <= claimed && r < 0)
        st = nn_fail(NN_EFORMAT, "%s: corrupt archive member: %s", name, zip_file_strerror(file));
    else if (length != claimed)
        st = nn_fail(NN_EFORMAT, "%s: corrupt archive: the member holds %s%llu bytes, but the "
                     "archive says %llu", name, length > claimed ? "more than " : "",
                     (unsigned long long)(length > claimed ? claimed : length),
                     (unsigned long long)claimed);
    zip_fclose(file);
    return st;
}

/* Reads member key.npy (or key itself) of an open archive of archive_size bytes. */
static nn_status read_member(zip_t *za, uint64_t archive_size, const char *path, const char *key,
                             nn_array *out)
{
    char name[NPY_NAME], member[NPY_NAME];
    snprintf(name, sizeof name, "%s[%s]", path, key);
    if (snprintf(member, sizeof member, "%s.npy", key) >= (int)sizeof member)
        return nn_fail(NN_EINVAL, "%s: array name of %zu bytes is too long", path, strlen(key));
    zip_int64_t index = zip_name_locate(za, member, 0);
    if (index < 0)
        index = zip_name_locate(za, key, 0);
    if (index < 0)
        return missing_key(za, path, key);

    zip_stat_t info;
    if (zip_stat_index(za, (zip_uint64_t)index, 0, &info) != 0 || !(info.valid & ZIP_STAT_SIZE) ||
        !(info.valid & ZIP_STAT_COMP_SIZE) || !(info.valid & ZIP_STAT_COMP_METHOD))
        return nn_fail(NN_EFORMAT, "%s: corrupt archive: %s", name, zip_strerror(za));
    if (info.comp_method != ZIP_CM_STORE && info.comp_method != ZIP_CM_DEFLATE)
        return nn_fail(NN_EFORMAT, "%s: compressed with zip method %u; only stored and deflated "
                       "members are read (np.savez, np.savez_compressed)", name,
                       (unsigned)info.comp_method);
    uint64_t packed = info.comp_size < archive_size ? info.comp_size : archive_size;
    if (info.size / DEFLATE_MAX_RATIO > packed + 64)
        return nn_fail(NN_EFORMAT, "%s: corrupt archive: the member claims %llu bytes, more than "
                       "its %llu compressed bytes can hold", name, (unsigned long long)info.size,
                       (unsigned long long)info.comp_size);

    zip_file_t *file = zip_fopen_index(za, (zip_uint64_t)index, 0);
    if (!file)
        return nn_fail(NN_EFORMAT, "%s: cannot read the member: %s", name, zip_strerror(za));
    npy_source src = {.name = name, .size = info.size, .member = file};
    nn_status st = read_npy(&src, out);
    zip_fclose(file);
    if (st == NN_EFORMAT || st == NN_EIO)
        st = blame_the_archive(za, (zip_uint64_t)index, info.size, name, st);
    return st;
}

/* Opens an archive of `size` bytes from a libzip source (taken over, also on
 * failure). libzip would take zero bytes for an empty archive; that is no npz. */
static nn_status open_archive(zip_source_t *source, uint64_t size, const char *path, zip_t **za)
{
    *za = NULL;
    if (size == 0) {
        zip_source_free(source);
        return nn_fail(NN_EFORMAT, "%s: not a readable zip archive (the file is empty)", path);
    }
    zip_error_t error;
    zip_error_init(&error);
    *za = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (*za)
        return NN_OK;
    zip_source_free(source);
    nn_status st = nn_fail(NN_EFORMAT, "%s: not a readable zip archive (%s)", path,
                           zip_error_strerror(&error));
    zip_error_fini(&error);
    return st;
}

nn_status nn_npz_parse(const uint8_t *bytes, size_t size, const char *name, const char *key,
                       nn_array *out)
{
    memset(out, 0, sizeof *out);
    static const uint8_t none[1] = {0};
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t *source = zip_source_buffer_create(bytes ? bytes : none, size, 0, &error);
    if (!source) {
        zip_error_fini(&error);
        return nn_fail(NN_ENOMEM, "%s: cannot start libzip", name);
    }
    zip_error_fini(&error);
    zip_t *za;
    nn_status st = open_archive(source, size, name, &za);
    if (st != NN_OK)
        return st;
    st = read_member(za, size, name, key, out);
    zip_discard(za);
    return st;
}

nn_status nn_npz_read(const char *path, const char *key, nn_array *out)
{
    memset(out, 0, sizeof *out);
    FILE *file;
    uint64_t size;
    nn_status st = nn_file_open_regular(path, &file, &size); /* no FIFO, device or folder */
    if (st != NN_OK)
        return st;
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t *source = zip_source_filep_create(file, 0, -1, &error); /* owns file from here */
    zip_error_fini(&error);
    if (!source) {
        fclose(file);
        return nn_fail(NN_ENOMEM, "%s: cannot start libzip", path);
    }
    zip_t *za;
    if ((st = open_archive(source, size, path, &za)) != NN_OK)
        return st;
    st = read_member(za, size, path, key, out);
    zip_discard(za); /* closes file */
    return st;
}
