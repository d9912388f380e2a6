/* IDX reader (the MNIST file format), raw or gzip'd. Every header field is
 * checked, and the body size is checked against the file, before anything is
 * allocated; the body must then be exactly the declared size. */
#include "nn_data.h"
#include "nn_file.h"
#include "nn_mem.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { IDX_TYPE_UBYTE = 0x08, IDX_MAX_DIMS = 3, IDX_INPUT_BUFFER = 1 << 16 };

/* deflate cannot compress better than about 1032:1, so a gzip file of n bytes
 * holds at most ~1032·n bytes: a header that claims more is lying (or the file
 * is cut short), and we say so before allocating what it claims. */
#define GZIP_MAX_RATIO 1032u

/* Bytes in, raw or inflated; one gzip stream may be several members. */
typedef struct idx_source {
    const char *path;
    FILE *file;
    unsigned long long file_size;
    int gzip;
    int member_done; /* inflate reached the end of a gzip member */
    z_stream z;
    unsigned char *in; /* gzip input buffer, IDX_INPUT_BUFFER bytes */
} idx_source;

static uint32_t read_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static nn_status read_error(const idx_source *src)
{
    return nn_fail(NN_EIO, "%s: read error: %s", src->path, strerror(errno));
}

static void source_close(idx_source *src)
{
    if (src->gzip)
        inflateEnd(&src->z);
    free(src->in);
    if (src->file)
        fclose(src->file);
    memset(src, 0, sizeof *src);
}

static nn_status source_open(idx_source *src, const char *path)
{
    memset(src, 0, sizeof *src);
    src->path = path;
    uint64_t size;
    nn_status opened = nn_file_open_regular(path, &src->file, &size); /* no FIFO, device or folder */
    if (opened != NN_OK)
        return opened;
    src->file_size = size;

    unsigned char magic[2] = {0, 0};
    size_t n = fread(magic, 1, 2, src->file);
    if (n < 2 && ferror(src->file)) {
        nn_status st = read_error(src);
        source_close(src);
        return st;
    }
    rewind(src->file);
    if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        src->in = malloc(IDX_INPUT_BUFFER);
        if (!src->in) {
            source_close(src);
            return nn_fail(NN_ENOMEM, "%s: out of memory for a gzip buffer", path);
        }
        if (inflateInit2(&src->z, 16 + MAX_WBITS) != Z_OK) {
            source_close(src);
            return nn_fail(NN_ENOMEM, "%s: cannot start zlib", path);
        }
        src->gzip = 1;
    }
    return NN_OK;
}

/* Appends file bytes to the gzip input buffer; *added = 0 at end of file. */
static nn_status source_fill(idx_source *src, size_t *added)
{
    if (src->z.avail_in > 0 && src->z.next_in != src->in)
        memmove(src->in, src->z.next_in, src->z.avail_in);
    src->z.next_in = src->in;
    *added = fread(src->in + src->z.avail_in, 1, IDX_INPUT_BUFFER - src->z.avail_in, src->file);
    if (*added == 0 && ferror(src->file))
        return read_error(src);
    src->z.avail_in += (uInt)*added;
    return NN_OK;
}

/* After a member ends: 0 bytes left → end of data; another gzip member →
 * continue with it; anything else is trailing garbage. */
static nn_status gzip_next_member(idx_source *src, int *end_of_data)
{
    size_t added = 1;
    while (src->z.avail_in < 2 && added > 0) {
        nn_status st = source_fill(src, &added);
        if (st != NN_OK)
            return st;
    }
    *end_of_data = src->z.avail_in == 0;
    if (*end_of_data)
        return NN_OK;
    if (src->z.avail_in < 2 || src->z.next_in[0] != 0x1f || src->z.next_in[1] != 0x8b)
        return nn_fail(NN_EFORMAT, "%s: trailing garbage after the gzip stream", src->path);
    inflateReset(&src->z);
    src->member_done = 0;
    return NN_OK;
}

static nn_status gzip_read(idx_source *src, unsigned char *dst, size_t n, size_t *got)
{
    size_t done = 0;
    while (done < n) {
        if (src->member_done) {
            int end_of_data;
            nn_status st = gzip_next_member(src, &end_of_data);
            if (st != NN_OK)
                return st;
            if (end_of_data)
                break;
        }
        if (src->z.avail_in == 0) {
            size_t added;
            nn_status st = source_fill(src, &added);
            if (st != NN_OK)
                return st;
            if (added == 0)
                return nn_fail(NN_EFORMAT,
                               "%s: truncated gzip stream (the file ends inside the compressed data)",
                               src->path);
        }
        size_t want = n - done < UINT_MAX ? n - done : UINT_MAX;
        src->z.next_out = dst + done;
        src->z.avail_out = (uInt)want;
        int ret = inflate(&src->z, Z_NO_FLUSH);
        done += want - src->z.avail_out;
        if (ret == Z_STREAM_END)
            src->member_done = 1;
        else if (ret == Z_MEM_ERROR)
            return nn_fail(NN_ENOMEM, "%s: out of memory while inflating", src->path);
        else if (ret != Z_OK && !(ret == Z_BUF_ERROR && src->z.avail_in == 0))
            return nn_fail(NN_EFORMAT, "%s: corrupt gzip stream (%s)", src->path,
                           src->z.msg ? src->z.msg : "zlib error");
    }
    *got = done;
    return NN_OK;
}

/* Reads up to n bytes of data; *got < n only at the true end of the data. */
static nn_status source_read(idx_source *src, void *dst, size_t n, size_t *got)
{
    if (src->gzip)
        return gzip_read(src, dst, n, got);
    *got = fread(dst, 1, n, src->file);
    if (*got < n && ferror(src->file))
        return read_error(src);
    return NN_OK;
}

/* "7 images of 28x28" or "7 labels", for messages. */
static const char *describe(char *buf, size_t size, const uint32_t *dims, uint32_t ndims)
{
    if (ndims == 3)
        snprintf(buf, size, "%u images of %ux%u", dims[0], dims[1], dims[2]);
    else
        snprintf(buf, size, "%u labels", dims[0]);
    return buf;
}

/* Header: magic, then the dimensions; checks them and returns the body size. */
static nn_status idx_read_header(idx_source *src, uint32_t ndims, uint32_t *dims, size_t *body)
{
    const char *kind = ndims == 3 ? "image" : "label";
    unsigned char bytes[4 * (1 + IDX_MAX_DIMS)];
    size_t header_size = 4 * (1 + (size_t)ndims), got;

    nn_status st = source_read(src, bytes, 4, &got);
    if (st != NN_OK)
        return st;
    if (got < 4)
        return nn_fail(NN_EFORMAT, "%s: truncated header: %zu of %zu bytes", src->path, got,
                       header_size);
    uint32_t magic = read_be32(bytes), want_magic = IDX_TYPE_UBYTE << 8 | ndims;
    if ((magic & 0xffffff00u) != IDX_TYPE_UBYTE << 8)
        return nn_fail(NN_EFORMAT, "%s: bad magic 0x%08x, expected 0x%08x (IDX %s file, unsigned bytes)",
                       src->path, magic, want_magic, kind);
    if (magic != want_magic)
        return nn_fail(NN_EFORMAT, "%s: wrong dimension count %u (magic 0x%08x); an IDX %s file has %u",
                       src->path, magic & 0xffu, magic, kind, ndims);

    st = source_read(src, bytes + 4, header_size - 4, &got);
    if (st != NN_OK)
        return st;
    if (got < header_size - 4)
        return nn_fail(NN_EFORMAT, "%s: truncated header: %zu of %zu bytes", src->path, 4 + got,
                       header_size);

    for (uint32_t d = 0; d < ndims; d++)
        dims[d] = read_be32(bytes + 4 + 4 * d);
    if (dims[0] == 0)
        return nn_fail(NN_EFORMAT, "%s: contains no %ss", src->path, kind);
    if (ndims == 3 && (dims[1] == 0 || dims[2] == 0))
        return nn_fail(NN_EFORMAT, "%s: has empty %ux%u images", src->path, dims[1], dims[2]);
    size_t total = 1;
    for (uint32_t d = 0; d < ndims; d++) {
        if (dims[d] > SIZE_MAX / total) {
            char what[96];
            return nn_fail(NN_EFORMAT, "%s: dimensions overflow (%s do not fit in memory)",
                           src->path, describe(what, sizeof what, dims, ndims));
        }
        total *= dims[d];
    }
    if (ndims == 3 && (uint64_t)dims[1] * dims[2] > UINT32_MAX) /* a sample's features are counted in 32 bits */
        return nn_fail(NN_EFORMAT, "%s: %ux%u images: more than %u pixels each", src->path, dims[1],
                       dims[2], UINT32_MAX);

    char what[96];
    describe(what, sizeof what, dims, ndims);
    unsigned long long have = src->file_size - header_size;
    if (!src->gzip && have < total)
        return nn_fail(NN_EFORMAT, "%s: truncated body: header declares %s (%zu bytes) but only %llu follow",
                       src->path, what, total, have);
    if (!src->gzip && have > total)
        return nn_fail(NN_EFORMAT, "%s: %llu bytes of trailing data after the declared %s",
                       src->path, have - total, what);
    if (src->gzip && total / GZIP_MAX_RATIO > src->file_size)
        return nn_fail(NN_EFORMAT, "%s: header declares %s (%zu bytes), more than a %llu-byte gzip "
                       "file can hold: wrong header or truncated file", src->path, what, total,
                       src->file_size);
    *body = total;
    return NN_OK;
}

/* Reads a whole IDX file of `ndims` dimensions; *data is malloc'd. */
static nn_status idx_read(const char *path, uint32_t ndims, uint32_t *dims, uint8_t **data)
{
    *data = NULL;
    idx_source src;
    nn_status st = source_open(&src, path);
    if (st != NN_OK)
        return st;

    size_t body = 0, got = 0;
    uint8_t *bytes = NULL;
    st = idx_read_header(&src, ndims, dims, &body);
    if (st == NN_OK && !(bytes = malloc(body)))
        st = nn_fail(NN_ENOMEM, "%s: out of memory for %zu bytes", path, body);
    if (st == NN_OK) /* a training set's 47 MB of pixels, read a sample at a time, shuffled */
        nn_advise_huge_pages(bytes, body);
    if (st == NN_OK)
        st = source_read(&src, bytes, body, &got);
    if (st == NN_OK && got < body) {
        char what[96];
        st = nn_fail(NN_EFORMAT, "%s: truncated body: %zu of the %zu bytes of %s", path, got, body,
                     describe(what, sizeof what, dims, ndims));
    }
    if (st == NN_OK) { /* must be the end: for gzip this also checks the CRC trailer */
        unsigned char extra;
        st = source_read(&src, &extra, 1, &got);
        if (st == NN_OK && got > 0) {
            char what[96];
            st = nn_fail(NN_EFORMAT, "%s: trailing data: more bytes than the declared %s", path,
                         describe(what, sizeof what, dims, ndims));
        }
    }
    source_close(&src);
    if (st != NN_OK) {
        free(bytes);
        return st;
    }
    *data = bytes;
    return NN_OK;
}

nn_status nn_idx_read_images(const char *path, uint8_t **pixels, uint32_t *count,
                             uint32_t *rows, uint32_t *cols)
{
    uint32_t dims[3] = {0, 0, 0};
    nn_status st = idx_read(path, 3, dims, pixels);
    *count = st == NN_OK ? dims[0] : 0;
    *rows = st == NN_OK ? dims[1] : 0;
    *cols = st == NN_OK ? dims[2] : 0;
    return st;
}

nn_status nn_idx_read_labels(const char *path, uint32_t n_classes, uint8_t **labels,
                             uint32_t *count)
{
    *labels = NULL;
    *count = 0;
    if (n_classes < 1 || n_classes > 256)
        return nn_fail(NN_EINVAL, "%s: %u classes: a label file holds 1 to 256", path, n_classes);
    uint32_t dims[1] = {0};
    uint8_t *data;
    nn_status st = idx_read(path, 1, dims, &data);
    if (st != NN_OK)
        return st;
    for (uint32_t i = 0; i < dims[0]; i++)
        if (data[i] >= n_classes) {
            st = nn_fail(NN_EFORMAT, "%s: label %u at index %u is out of range for %u classes",
                         path, data[i], i, n_classes);
            free(data);
            return st;
        }
    *labels = data;
    *count = dims[0];
    return NN_OK;
}
