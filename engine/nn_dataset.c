/* Datasets (an image file + a label file, or a folder of the standard MNIST
 * names), their content checksum, and index views: subsets and seeded splits. */
#include "nn_data.h"
#include "nn_rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

/* ---- checksum: FNV-1a (64-bit) over little-endian 64-bit words ------------ */

enum { FNV_WORD = 8 };
static const uint64_t FNV_OFFSET = 0xcbf29ce484222325ull, FNV_PRIME = 0x100000001b3ull;

static uint64_t fnv_word(uint64_t h, uint64_t word) { return (h ^ word) * FNV_PRIME; }

/* Written out so that compilers see one 64-bit load on little-endian machines. */
static uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

static uint64_t fnv_bytes(uint64_t h, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + FNV_WORD <= n; i += FNV_WORD)
        h = fnv_word(h, load_le64(p + i));
    uint64_t tail = 0;
    for (int k = 0; i + k < n; k++)
        tail |= (uint64_t)p[i + k] << (8 * k);
    return fnv_word(h, tail);
}

uint64_t nn_dataset_checksum(const nn_dataset *ds)
{
    uint64_t h = FNV_OFFSET;
    h = fnv_word(h, ds->count);
    h = fnv_word(h, (uint64_t)ds->rows << 32 | ds->cols);
    h = fnv_word(h, ds->n_classes);
    h = fnv_bytes(h, ds->images, (size_t)ds->count * ds->rows * ds->cols);
    return fnv_bytes(h, ds->labels, ds->count);
}

/* ---- loading ---------------------------------------------------------------- */

void nn_dataset_free(nn_dataset *ds)
{
    if (!ds)
        return;
    free(ds->images);
    free(ds->labels);
    free(ds->images_path);
    free(ds->labels_path);
    memset(ds, 0, sizeof *ds);
}

nn_status nn_dataset_load_files(nn_dataset *ds, const char *images_path,
                                const char *labels_path, uint32_t n_classes)
{
    memset(ds, 0, sizeof *ds);
    uint32_t label_count = 0;
    nn_status st = nn_idx_read_images(images_path, &ds->images, &ds->count, &ds->rows, &ds->cols);
    if (st == NN_OK)
        st = nn_idx_read_labels(labels_path, n_classes, &ds->labels, &label_count);
    if (st == NN_OK && label_count != ds->count)
        st = nn_fail(NN_ESHAPE, "count mismatch: %s has %u images but %s has %u labels",
                     images_path, ds->count, labels_path, label_count);
    if (st == NN_OK) {
        ds->images_path = copy_string(images_path);
        ds->labels_path = copy_string(labels_path);
        if (!ds->images_path || !ds->labels_path)
            st = nn_fail(NN_ENOMEM, "out of memory for file names");
    }
    if (st != NN_OK) {
        nn_dataset_free(ds);
        return st;
    }
    ds->n_classes = n_classes;
    ds->checksum = nn_dataset_checksum(ds);
    return NN_OK;
}

/* Whether path names something readable. Nothing is opened: an open would
 * wait on a FIFO forever; the reader (nn_file.h) refuses what is no file. */
static int file_exists(const char *path)
{
    return access(path, R_OK) == 0;
}

/* path = dir/name, or dir/name.gz when only that exists. */
static nn_status find_idx_file(char *path, size_t size, const char *dir, const char *name)
{
    int n = snprintf(path, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n + 3 >= size)
        return nn_fail(NN_EINVAL, "folder name too long: %s", dir);
    if (file_exists(path))
        return NN_OK;
    strcat(path, ".gz");
    if (file_exists(path))
        return NN_OK;
    return nn_fail(NN_EIO, "%s: has neither %s nor %s.gz", dir, name, name);
}

nn_status nn_dataset_load_dir(nn_dataset *ds, const char *dir, int train)
{
    memset(ds, 0, sizeof *ds);
    const char *prefix = train ? "train" : "t10k";
    char images_name[64], labels_name[64], images_path[4096], labels_path[4096];
    snprintf(images_name, sizeof images_name, "%s-images-idx3-ubyte", prefix);
    snprintf(labels_name, sizeof labels_name, "%s-labels-idx1-ubyte", prefix);
    nn_status st = find_idx_file(images_path, sizeof images_path, dir, images_name);
    if (st == NN_OK)
        st = find_idx_file(labels_path, sizeof labels_path, dir, labels_name);
    if (st != NN_OK)
        return st;
    return nn_dataset_load_files(ds, images_path, labels_path, 10);
}

/* ---- index views ------------------------------------------------------------ */

void nn_indices_free(nn_indices *ix)
{
    if (!ix)
        return;
    free(ix->at);
    ix->at = NULL;
    ix->count = 0;
}

static nn_status indices_alloc(nn_indices *ix, uint32_t count)
{
    ix->count = 0;
    ix->at = malloc((size_t)count * sizeof *ix->at);
    if (!ix->at)
        return nn_fail(NN_ENOMEM, "out of memory for %u indices", count);
    ix->count = count;
    return NN_OK;
}

nn_status nn_indices_first(nn_indices *out, const nn_dataset *ds, uint32_t n)
{
    out->at = NULL;
    out->count = 0;
    if (n == 0 || n > ds->count)
        return nn_fail(NN_EINVAL, "a subset of %u samples: the dataset has %u (ask for 1 to %u)",
                       n, ds->count, ds->count);
    nn_status st = indices_alloc(out, n);
    if (st != NN_OK)
        return st;
    for (uint32_t i = 0; i < n; i++)
        out->at[i] = i;
    return NN_OK;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

nn_status nn_indices_split(const nn_indices *from, uint32_t n_valid, uint64_t seed,
                           nn_indices *train, nn_indices *valid)
{
    train->at = valid->at = NULL;
    train->count = valid->count = 0;
    if (n_valid == 0 || n_valid >= from->count)
        return nn_fail(NN_EINVAL, "a validation split of %u from %u samples (ask for 1 to %u)",
                       n_valid, from->count, from->count > 0 ? from->count - 1 : 0);
    nn_indices perm = {0};
    nn_status st = indices_alloc(&perm, from->count);
    if (st == NN_OK)
        st = indices_alloc(valid, n_valid);
    if (st == NN_OK)
        st = indices_alloc(train, from->count - n_valid);
    if (st != NN_OK) {
        nn_indices_free(&perm);
        nn_indices_free(valid);
        nn_indices_free(train);
        return st;
    }
    nn_rng rng;
    nn_rng_seed(&rng, seed, NN_STREAM_SPLIT);
    nn_rng_permutation(&rng, perm.at, from->count);
    for (uint32_t i = 0; i < n_valid; i++)
        valid->at[i] = from->at[perm.at[i]];
    for (uint32_t i = n_valid; i < from->count; i++)
        train->at[i - n_valid] = from->at[perm.at[i]];
    nn_indices_free(&perm);
    qsort(valid->at, valid->count, sizeof *valid->at, compare_u32);
    qsort(train->at, train->count, sizeof *train->at, compare_u32);
    return NN_OK;
}
