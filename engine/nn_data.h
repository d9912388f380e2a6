/* Data: IDX files (MNIST family), datasets, index views and batch loaders.
 *
 * Ownership in one paragraph: an nn_dataset owns its uint8 images and labels
 * and its two path strings (free with nn_dataset_free). An nn_indices owns its
 * array (free with nn_indices_free). A loader copies the index list it is given
 * but does NOT own the dataset: the dataset must outlive the loader. The x/y
 * pointers a loader hands out belong to the loader and stay valid until the
 * next nn_loader_next, nn_loader_start_epoch or nn_loader_free.
 *
 * Every function returns NN_OK or a status with a message naming the file and
 * what is wrong (see nn_error.h); on failure the output is left empty/zeroed. */
#ifndef NN_DATA_H
#define NN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "nn_error.h"

/* ---- IDX files ------------------------------------------------------------
 * Raw or gzip'd (detected from the bytes 1f 8b, not the file name). Headers are
 * validated before anything is allocated: magic 0x00000803 (images, 3 dims) or
 * 0x00000801 (labels, 1 dim), no zero sizes, no overflow, a body that is
 * exactly the declared size (no truncation, no trailing bytes). */

/* *pixels = (count, rows, cols) uint8, malloc'd; the caller frees it with free(). */
nn_status nn_idx_read_images(const char *path, uint8_t **pixels, uint32_t *count,
                             uint32_t *rows, uint32_t *cols);

/* *labels = (count) uint8, each checked < n_classes (n_classes in 1..256);
 * malloc'd, the caller frees it with free(). */
nn_status nn_idx_read_labels(const char *path, uint32_t n_classes, uint8_t **labels,
                             uint32_t *count);

/* ---- Datasets -------------------------------------------------------------- */

typedef struct nn_dataset {
    uint8_t *images;       /* (count, rows, cols) row-major, owned */
    uint8_t *labels;       /* (count), each < n_classes, owned */
    uint32_t count;        /* number of samples, > 0 */
    uint32_t rows, cols;   /* image size, e.g. 28 × 28 */
    uint32_t n_classes;    /* e.g. 10 */
    uint64_t checksum;     /* of sizes, images and labels: the same bytes give the same
                              value on every machine (for cache keys) */
    char *images_path;     /* the files it was read from, owned */
    char *labels_path;
} nn_dataset;

/* Reads an image file and a label file and checks that their counts agree. */
nn_status nn_dataset_load_files(nn_dataset *ds, const char *images_path,
                                const char *labels_path, uint32_t n_classes);

/* Reads a folder holding the standard MNIST file names, each raw or .gz (raw is
 * preferred when both exist): train != 0 → train-images-idx3-ubyte +
 * train-labels-idx1-ubyte; train == 0 → t10k-images-idx3-ubyte +
 * t10k-labels-idx1-ubyte. Ten classes. */
nn_status nn_dataset_load_dir(nn_dataset *ds, const char *dir, int train);

/* Frees what ds owns and zeroes it; safe on a zeroed or already-freed dataset. */
void nn_dataset_free(nn_dataset *ds);

/* The checksum stored in ds->checksum, recomputed (64-bit FNV-1a over 64-bit words). */
uint64_t nn_dataset_checksum(const nn_dataset *ds);

/* Converts samples indices[0..n) of ds into x (n, rows*cols) and y (n):
 * x = pixel * (1/255), then (x - mean) / std when normalize is non-zero (std > 0).
 * The loader's one copy; public for evaluation code and tests. Indices are not
 * checked here (the loader checks them once, at creation). */
void nn_dataset_gather(const nn_dataset *ds, const uint32_t *indices, uint32_t n,
                       int normalize, float mean, float std, float *x, int32_t *y);

/* ---- Index views: which samples of a dataset a loader visits -------------- */

typedef struct nn_indices {
    uint32_t *at;    /* sample indices into a dataset, owned */
    uint32_t count;
} nn_indices;

/* out = 0, 1, ..., n-1: the first n samples (a subset for quick runs); n must be
 * in 1..ds->count. Pass n = ds->count for the whole dataset. */
nn_status nn_indices_first(nn_indices *out, const nn_dataset *ds, uint32_t n);

/* Splits `from` by a permutation seeded with (seed, NN_STREAM_SPLIT): n_valid
 * samples go to *valid, the rest to *train, each sorted ascending. The same
 * (from, n_valid, seed) always gives the same split. 0 < n_valid < from->count. */
nn_status nn_indices_split(const nn_indices *from, uint32_t n_valid, uint64_t seed,
                           nn_indices *train, nn_indices *valid);

void nn_indices_free(nn_indices *ix);

/* ---- Loader ------------------------------------------------------------------ */

/* The largest batch_size a loader takes (2^20 samples): batch rows travel as
 * int through the network, and a batch of 2^20 28x28 images is 3.3 GB of
 * floats already. */
#define NN_LOADER_MAX_BATCH (1u << 20)

typedef struct nn_loader_config {
    uint32_t batch_size;  /* 1 to NN_LOADER_MAX_BATCH */
    int shuffle;          /* non-zero: a new permutation every epoch, from (seed, epoch) */
    int drop_last;        /* non-zero: skip a last batch smaller than batch_size */
    uint64_t seed;
    int normalize;        /* non-zero: (x/255 - mean) / std; zero: x/255 only */
    float mean, std;      /* used when normalize; std > 0 */
} nn_loader_config;

typedef struct nn_loader nn_loader;

/* A loader over the samples `indices` of ds (NULL: all of ds), ready at the
 * start of epoch 0. Copies the index list; keeps a pointer to ds (which must
 * outlive it). Allocates its batch buffers once, here. */
nn_status nn_loader_create(nn_loader **out, const nn_dataset *ds, const nn_indices *indices,
                           const nn_loader_config *config);

void nn_loader_free(nn_loader *loader);

/* Batches per epoch (the last partial batch counts unless drop_last). */
uint32_t nn_loader_batches(const nn_loader *loader);

/* Samples visited per epoch (batches × batch_size, or fewer for a partial batch). */
uint32_t nn_loader_samples(const nn_loader *loader);

/* Features per sample: the width of x (rows × cols of the dataset's images). */
uint32_t nn_loader_features(const nn_loader *loader);

/* Starts epoch `epoch` (0, 1, ...). With shuffle, its order depends only on
 * (seed, epoch), never on how far earlier epochs were iterated. */
void nn_loader_start_epoch(nn_loader *loader, uint32_t epoch);

/* The next batch of the current epoch: *x is (batch, rows*cols) floats (64-byte
 * aligned), *y is (batch) int32 labels. Returns 1 with a batch, 0 when the epoch
 * is over (then *batch = 0 and *x = *y = NULL). The buffers are reused by the
 * next call. */
int nn_loader_next(nn_loader *loader, const float **x, const int32_t **y, uint32_t *batch);

/* The dataset indices of the batch last returned by nn_loader_next (batch of
 * them), e.g. to show which samples were misclassified. Same lifetime as x/y. */
const uint32_t *nn_loader_batch_indices(const nn_loader *loader);

#endif
