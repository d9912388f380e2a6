/* Datasets (an image file + a label file, a folder of the standard MNIST
 * names, NumPy arrays, or buffers filled by the caller), their validation and
 * content checksum, and index views: subsets, random subsets, seeded and
 * stratified splits. */
#include "nn_data.h"
#include "nn_hash.h"
#include "nn_rng.h"

#include <math.h>
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

/* ---- checksum: FNV-1a (64-bit, nn_hash.h) over little-endian 64-bit words - */

enum { FNV_WORD = 8 };

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
        h = nn_hash_word(h, load_le64(p + i));
    uint64_t tail = 0;
    for (int k = 0; i + k < n; k++)
        tail |= (uint64_t)p[i + k] << (8 * k);
    return nn_hash_word(h, tail);
}

/* Two floats' bits a word (the first in the low half), as fnv_bytes takes 8
 * bytes a step: the chain of multiplies is the cost (one float a word read a
 * 627 MB array in 0.33 s, twice numpy's whole load), and the words do not
 * depend on the host's byte order. */
static uint64_t fnv_floats(uint64_t h, const float *v, size_t n)
{
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        uint32_t bits[2];
        memcpy(bits, &v[i], sizeof bits);
        h = nn_hash_word(h, (uint64_t)bits[1] << 32 | bits[0]);
    }
    if (i < n) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        h = nn_hash_word(h, bits);
    }
    return h;
}

uint64_t nn_dataset_checksum(const nn_dataset *ds)
{
    size_t n = (size_t)ds->count * ds->rows * ds->cols;
    uint64_t h = NN_FNV_OFFSET;
    h = nn_hash_word(h, ds->count);
    h = nn_hash_word(h, (uint64_t)ds->rows << 32 | ds->cols);
    h = nn_hash_word(h, ds->n_classes);
    if (ds->images) {
        h = fnv_bytes(h, ds->images, n);
    } else {
        h = nn_hash_word(h, 0xf32); /* the same numbers as floats are other data than as bytes */
        h = fnv_floats(h, ds->values, n);
    }
    if (ds->labels) {
        for (uint32_t i = 0; i < ds->count; i++)
            h = nn_hash_word(h, ds->labels[i]);
        return h;
    }
    h = nn_hash_word(h, ds->n_targets);
    return fnv_floats(h, ds->targets, (size_t)ds->count * ds->n_targets);
}

/* ---- loading ---------------------------------------------------------------- */

void nn_dataset_free(nn_dataset *ds)
{
    if (!ds)
        return;
    free(ds->images);
    free(ds->values);
    free(ds->labels);
    free(ds->targets);
    free(ds->images_path);
    free(ds->labels_path);
    memset(ds, 0, sizeof *ds);
}

static nn_status check_finite(const float *v, size_t n, uint32_t per_sample, const char *source,
                              const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return nn_fail(NN_EINVAL, "%s: %s of sample %zu (0-based) is %s at position %zu: "
                           "data must be finite", source, what, i / per_sample,
                           isnan(v[i]) ? "NaN" : "infinite", i % per_sample);
    return NN_OK;
}

nn_status nn_dataset_adopt(nn_dataset *ds, nn_dataset_buffers b, const char *source)
{
    memset(ds, 0, sizeof *ds);
    nn_status st = NN_OK;
    size_t features = (size_t)b.rows * b.cols;
    if (b.count == 0)
        st = nn_fail(NN_EINVAL, "%s: holds no samples", source);
    else if (features == 0)
        st = nn_fail(NN_EINVAL, "%s: samples have no features (%u x %u)", source, b.rows, b.cols);
    else if (!b.images == !b.values)
        st = nn_fail(NN_EINVAL, "%s: needs either uint8 or float features", source);
    else if (!b.labels == !b.targets)
        st = nn_fail(NN_EINVAL, "%s: needs either class labels or regression targets", source);
    else if (b.targets && b.n_targets == 0)
        st = nn_fail(NN_EINVAL, "%s: regression targets need a width of at least 1", source);
    else if (b.labels && b.n_classes > NN_MAX_CLASSES)
        st = nn_fail(NN_EINVAL, "%s: %u classes: at most %u", source, b.n_classes, NN_MAX_CLASSES);
    if (st == NN_OK && b.values)
        st = check_finite(b.values, features * b.count, (uint32_t)features, source, "a feature");
    if (st == NN_OK && b.targets)
        st = check_finite(b.targets, (size_t)b.n_targets * b.count, b.n_targets, source, "a target");
    if (st == NN_OK && b.labels) {
        uint32_t largest = 0;
        for (uint32_t i = 0; i < b.count; i++)
            largest = b.labels[i] > largest ? b.labels[i] : largest;
        if (b.n_classes == 0)
            b.n_classes = largest + 1;
        for (uint32_t i = 0; i < b.count && st == NN_OK; i++)
            if (b.labels[i] >= b.n_classes)
                st = nn_fail(NN_EINVAL, "%s: label %u of sample %u (0-based) is out of range for %u classes",
                             source, b.labels[i], i, b.n_classes);
    }
    if (st != NN_OK) {
        free(b.images), free(b.values), free(b.labels), free(b.targets);
        return st;
    }
    *ds = (nn_dataset){.images = b.images, .values = b.values, .labels = b.labels,
                       .targets = b.targets, .n_targets = b.targets ? b.n_targets : 0,
                       .count = b.count, .rows = b.rows, .cols = b.cols,
                       .n_classes = b.labels ? b.n_classes : 0};
    ds->checksum = nn_dataset_checksum(ds);
    return NN_OK;
}

/* The sample shape of an x array: (N, D) → 1 × D; (N, H, W), (N, 1, H, W) and
 * (N, H, W, 1) → H × W. */
static nn_status sample_shape(const nn_array *x, const char *name, uint32_t *rows, uint32_t *cols)
{
    const uint64_t *s = x->shape;
    uint64_t r = 0, c = 0;
    if (x->ndim == 2)
        r = 1, c = s[1];
    else if (x->ndim == 3)
        r = s[1], c = s[2];
    else if (x->ndim == 4 && s[1] == 1)
        r = s[2], c = s[3];
    else if (x->ndim == 4 && s[3] == 1)
        r = s[1], c = s[2];
    else if (x->ndim == 4)
        return nn_fail(NN_EINVAL, "%s: shape (%llu, %llu, %llu, %llu) has several channels; "
                       "only one channel (N, 1, H, W) or (N, H, W, 1) is supported", name,
                       (unsigned long long)s[0], (unsigned long long)s[1],
                       (unsigned long long)s[2], (unsigned long long)s[3]);
    else
        return nn_fail(NN_EINVAL, "%s: features must be an array of 2 to 4 dimensions "
                       "(N, D) or (N, H, W), but it has %u", name, x->ndim);
    if (s[0] > UINT32_MAX || r > UINT32_MAX || c > UINT32_MAX || r * c > UINT32_MAX)
        return nn_fail(NN_EINVAL, "%s: too large (%llu samples of %llu x %llu)", name,
                       (unsigned long long)s[0], (unsigned long long)r, (unsigned long long)c);
    *rows = (uint32_t)r, *cols = (uint32_t)c;
    return NN_OK;
}

static nn_status labels_from_array(const nn_array *y, const char *name, uint16_t **out)
{
    uint64_t n = y->shape[0];
    if (y->whole_from_fraction) /* float32 made it whole: 0.99999999 is no class 1 */
        return nn_fail(NN_EINVAL, "%s: label %.17g at index %llu is not a class number (an integer "
                       "from 0 to %u); for real-valued targets ask for regression", name, y->fraction_value,
                       (unsigned long long)(y->whole_from_fraction - 1), NN_MAX_CLASSES - 1);
    uint16_t *labels = malloc((size_t)n * sizeof *labels + 1);
    if (!labels)
        return nn_fail(NN_ENOMEM, "%s: out of memory for %llu labels", name, (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) {
        double v = y->dtype == NN_DTYPE_U8 ? ((const uint8_t *)y->data)[i] : ((const float *)y->data)[i];
        if (!(v >= 0 && v <= NN_MAX_CLASSES - 1 && v == floor(v))) {
            free(labels);
            return nn_fail(NN_EINVAL, "%s: label %g at index %llu is not a class number (an integer "
                           "from 0 to %u)%s", name, v, (unsigned long long)i, NN_MAX_CLASSES - 1,
                           y->descr[1] == 'f' ? "; for real-valued targets ask for regression" : "");
        }
        labels[i] = (uint16_t)v;
    }
    *out = labels;
    return NN_OK;
}

nn_status nn_dataset_from_arrays(nn_dataset *ds, nn_array *x, nn_array *y, int regression,
                                 uint32_t n_classes, const char *x_name, const char *y_name)
{
    memset(ds, 0, sizeof *ds);
    nn_dataset_buffers b = {.n_classes = n_classes};
    nn_status st = sample_shape(x, x_name, &b.rows, &b.cols);
    if (st == NN_OK && x->shape[0] == 0)
        st = nn_fail(NN_EINVAL, "%s: holds no samples", x_name);
    if (st == NN_OK && y->ndim == 0)
        st = nn_fail(NN_ESHAPE, "%s: a scalar (a 0-d array), not one %s per sample of %s", y_name,
                     regression ? "target" : "label", x_name);
    if (st == NN_OK && y->shape[0] != x->shape[0])
        st = nn_fail(NN_ESHAPE, "%s has %llu samples but %s has %llu %s", x_name,
                     (unsigned long long)x->shape[0], y_name,
                     (unsigned long long)y->shape[0], regression ? "targets" : "labels");
    /* (N, 1) is N labels, as scikit-learn saves a column and TensorDataset takes it */
    int one_column = y->ndim == 2 && y->shape[1] == 1;
    if (st == NN_OK && !regression && y->ndim != 1 && !one_column)
        st = y->ndim == 2 ? nn_fail(NN_ESHAPE, "%s: class labels must be one number per sample, (N) or (N, 1), but "
                                    "it is (%llu, %llu): one-hot rows need their argmax first (y.argmax(1) in "
                                    "NumPy); (N, K) targets ask for regression", y_name,
                                    (unsigned long long)y->shape[0], (unsigned long long)y->shape[1])
                          : nn_fail(NN_ESHAPE, "%s: class labels must be one number per sample, (N) or (N, 1), but "
                                    "it has %u dimensions", y_name, y->ndim);
    if (st == NN_OK && regression && y->ndim > 2)
        st = nn_fail(NN_ESHAPE, "%s: regression targets must be (N) or (N, K), but it has %u dimensions",
                     y_name, y->ndim);
    if (st == NN_OK && !regression)
        st = labels_from_array(y, y_name, &b.labels);
    for (uint64_t i = 0; st == NN_OK && !regression && n_classes && i < y->shape[0]; i++)
        if (b.labels[i] >= n_classes)
            st = nn_fail(NN_EINVAL, "%s: label %u at index %llu is out of range for %u classes", y_name,
                         b.labels[i], (unsigned long long)i, n_classes);
    if (st == NN_OK && regression) {
        b.n_targets = y->ndim == 2 ? (uint32_t)y->shape[1] : 1;
        if (y->dtype == NN_DTYPE_F32) {
            b.targets = y->data;
            y->data = NULL;
        } else if (!(b.targets = malloc((size_t)nn_array_elements(y) * sizeof(float) + 1))) {
            st = nn_fail(NN_ENOMEM, "%s: out of memory for targets", y_name);
        } else {
            for (uint64_t i = 0; i < nn_array_elements(y); i++)
                b.targets[i] = ((const uint8_t *)y->data)[i];
        }
    }
    if (st != NN_OK) {
        free(b.labels);
        free(b.targets);
        nn_array_free(x);
        nn_array_free(y);
        return st;
    }
    b.count = (uint32_t)x->shape[0];
    if (x->dtype == NN_DTYPE_U8)
        b.images = x->data;
    else
        b.values = x->data;
    x->data = NULL;
    nn_array_free(x);
    nn_array_free(y);
    char source[300];
    snprintf(source, sizeof source, "%s", x_name);
    return nn_dataset_adopt(ds, b, source);
}

nn_status nn_dataset_transpose_images(nn_dataset *ds)
{
    size_t pixels = (size_t)ds->rows * ds->cols;
    size_t unit = ds->images ? 1 : sizeof(float);
    uint8_t *tmp = malloc(pixels * unit);
    if (!tmp)
        return nn_fail(NN_ENOMEM, "out of memory for a %u x %u image", ds->rows, ds->cols);
    uint8_t *base = ds->images ? ds->images : (uint8_t *)ds->values;
    for (uint32_t i = 0; i < ds->count; i++) {
        uint8_t *image = base + (size_t)i * pixels * unit;
        memcpy(tmp, image, pixels * unit);
        for (uint32_t r = 0; r < ds->rows; r++) /* out (c, r) = in (r, c): out is cols x rows */
            for (uint32_t c = 0; c < ds->cols; c++)
                memcpy(image + ((size_t)c * ds->rows + r) * unit, tmp + ((size_t)r * ds->cols + c) * unit, unit);
    }
    free(tmp);
    uint32_t rows = ds->rows;
    ds->rows = ds->cols;
    ds->cols = rows;
    ds->checksum = nn_dataset_checksum(ds);
    return NN_OK;
}

nn_status nn_dataset_load_files(nn_dataset *ds, const char *images_path,
                                const char *labels_path, uint32_t n_classes)
{
    memset(ds, 0, sizeof *ds);
    nn_dataset_buffers b = {.n_classes = n_classes};
    uint8_t *labels8 = NULL;
    uint32_t label_count = 0;
    nn_status st = nn_idx_read_images(images_path, &b.images, &b.count, &b.rows, &b.cols);
    if (st == NN_OK)
        st = nn_idx_read_labels(labels_path, n_classes ? n_classes : 256, &labels8, &label_count);
    if (st == NN_OK && label_count != b.count)
        st = nn_fail(NN_ESHAPE, "count mismatch: %s has %u images but %s has %u labels",
                     images_path, b.count, labels_path, label_count);
    if (st == NN_OK && !(b.labels = malloc((size_t)label_count * sizeof *b.labels)))
        st = nn_fail(NN_ENOMEM, "out of memory for %u labels", label_count);
    for (uint32_t i = 0; st == NN_OK && i < label_count; i++)
        b.labels[i] = labels8[i];
    free(labels8);
    if (st == NN_OK)
        st = nn_dataset_adopt(ds, b, images_path); /* takes the buffers over */
    else
        free(b.images), free(b.labels);
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

nn_status nn_indices_random(const nn_indices *from, uint32_t n, uint64_t seed, nn_indices *out)
{
    out->at = NULL;
    out->count = 0;
    if (n == 0 || n > from->count)
        return nn_fail(NN_EINVAL, "a random subset of %u samples: the dataset has %u (ask for 1 to %u)",
                       n, from->count, from->count);
    nn_indices perm = {0};
    nn_status st = indices_alloc(&perm, from->count);
    if (st == NN_OK)
        st = indices_alloc(out, n);
    if (st != NN_OK) {
        nn_indices_free(&perm);
        nn_indices_free(out);
        return st;
    }
    nn_rng rng;
    nn_rng_seed(&rng, seed, NN_STREAM_SUBSET);
    nn_rng_permutation(&rng, perm.at, from->count);
    for (uint32_t i = 0; i < n; i++)
        out->at[i] = from->at[perm.at[i]];
    nn_indices_free(&perm);
    qsort(out->at, out->count, sizeof *out->at, compare_u32);
    return NN_OK;
}

nn_status nn_indices_split_stratified(const nn_indices *from, const nn_dataset *ds,
                                      uint32_t n_valid, uint64_t seed, nn_indices *train,
                                      nn_indices *valid)
{
    train->at = valid->at = NULL;
    train->count = valid->count = 0;
    if (!ds->labels)
        return nn_fail(NN_EINVAL, "a stratified split needs class labels, but the dataset has "
                       "regression targets");
    if (n_valid == 0 || n_valid >= from->count)
        return nn_fail(NN_EINVAL, "a validation split of %u from %u samples (ask for 1 to %u)",
                       n_valid, from->count, from->count > 0 ? from->count - 1 : 0);
    uint32_t classes = ds->n_classes;
    /* per class: samples, validation quota, remainder (in units of 1/count) */
    uint64_t *count = calloc(classes, sizeof *count), *quota = calloc(classes, sizeof *quota),
             *rest = calloc(classes, sizeof *rest);
    nn_indices perm = {0};
    nn_status st = count && quota && rest ? NN_OK : nn_fail(NN_ENOMEM, "out of memory for %u classes", classes);
    if (st == NN_OK)
        st = indices_alloc(&perm, from->count);
    if (st == NN_OK)
        st = indices_alloc(valid, n_valid);
    if (st == NN_OK)
        st = indices_alloc(train, from->count - n_valid);
    if (st == NN_OK) {
        for (uint32_t i = 0; i < from->count; i++)
            count[ds->labels[from->at[i]]]++;
        uint64_t given = 0;
        for (uint32_t c = 0; c < classes; c++) {
            quota[c] = count[c] * n_valid / from->count;
            rest[c] = count[c] * n_valid % from->count;
            given += quota[c];
        }
        while (given < n_valid) { /* largest remainder first; ties: lower class */
            uint32_t best = 0;
            for (uint32_t c = 1; c < classes; c++)
                if (rest[c] > rest[best])
                    best = c;
            quota[best]++;
            rest[best] = 0;
            given++;
        }
        /* one permutation of all samples; each class's first quota[c] go to valid */
        nn_rng rng;
        nn_rng_seed(&rng, seed, NN_STREAM_SPLIT);
        nn_rng_permutation(&rng, perm.at, from->count);
        uint32_t nv = 0, nt = 0;
        for (uint32_t i = 0; i < from->count; i++) {
            uint32_t sample = from->at[perm.at[i]], c = ds->labels[sample];
            if (quota[c] > 0) {
                quota[c]--;
                valid->at[nv++] = sample;
            } else {
                train->at[nt++] = sample;
            }
        }
        qsort(valid->at, valid->count, sizeof *valid->at, compare_u32);
        qsort(train->at, train->count, sizeof *train->at, compare_u32);
    }
    nn_indices_free(&perm);
    free(count), free(quota), free(rest);
    if (st != NN_OK) {
        nn_indices_free(valid);
        nn_indices_free(train);
    }
    return st;
}

uint64_t nn_indices_checksum(const nn_indices *ix)
{
    uint64_t h = nn_hash_word(NN_FNV_OFFSET, ix->count);
    for (uint32_t i = 0; i < ix->count; i++)
        h = nn_hash_word(h, ix->at[i]);
    return h;
}
