/* Data: IDX files (MNIST family), datasets, index views and batch loaders.
 *
 * A dataset is `count` samples of rows × cols features (images; tabular data
 * has rows = 1) with a class label each (up to 65 535 classes) or a row of
 * n_targets float regression targets. Features stay as compact as their
 * source: uint8 (pixels, read as x/255 like torchvision's ToTensor) or float32.
 * Datasets come from IDX files, NumPy arrays (nn_npy.h), CSV (nn_csv.h) or
 * buffers the caller filled (Lua tables, generators).
 *
 * Ownership in one paragraph: an nn_dataset owns its features, labels or
 * targets and its two path strings (free with nn_dataset_free). An nn_indices owns its
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

#include "nn_array.h"
#include "nn_error.h"
#include "nn_transform.h"

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
    uint8_t *images;       /* (count, rows, cols) uint8 features, or NULL ... */
    float *values;         /* ... (count, rows, cols) float32 features: exactly one is set */
    uint16_t *labels;      /* (count) class numbers, each < n_classes; NULL with targets */
    float *targets;        /* (count, n_targets) regression targets; NULL with labels */
    uint32_t n_targets;    /* 0 with labels */
    uint32_t count;        /* number of samples, > 0 */
    uint32_t rows, cols;   /* sample shape, e.g. 28 × 28; 1 × D for tabular data */
    uint32_t n_classes;    /* e.g. 10; 0 with targets */
    uint64_t checksum;     /* of shape, features and labels/targets: the same bytes give
                              the same value on every machine (for cache keys) */
    char *images_path;     /* the files it was read from, owned (NULL when built) */
    char *labels_path;
} nn_dataset;

/* The largest class count a dataset takes (labels are uint16). */
#define NN_MAX_CLASSES 65535u

/* Reads an image file and a label file and checks that their counts agree.
 * n_classes 1..256, or 0: the largest label + 1. */
nn_status nn_dataset_load_files(nn_dataset *ds, const char *images_path,
                                const char *labels_path, uint32_t n_classes);

/* Transposes every image (rows <-> cols): EMNIST stores its images transposed. */
nn_status nn_dataset_transpose_images(nn_dataset *ds);

/* A dataset over buffers the caller allocated with malloc, which it takes
 * over in every case (freed on failure): features `images` (uint8) or `values`
 * (float32, every one finite), (count, rows, cols); then either `labels` (each
 * < n_classes, n_classes 1..NN_MAX_CLASSES, or 0: the largest label + 1) or
 * `targets` (count, n_targets), every one finite. Errors name `source` and the
 * first bad sample. */
typedef struct nn_dataset_buffers {
    uint8_t *images;
    float *values;
    uint16_t *labels;
    float *targets;
    uint32_t count, rows, cols, n_targets, n_classes;
} nn_dataset_buffers;
nn_status nn_dataset_adopt(nn_dataset *ds, nn_dataset_buffers b, const char *source);

/* A dataset from NumPy arrays, taking over both arrays' data in every case:
 * x is (N, D), (N, H, W), or (N, 1, H, W) / (N, H, W, 1); y is (N) labels
 * (integer values 0..65534; any dtype) or, with regression, (N) or (N, K)
 * targets. n_classes as for nn_dataset_adopt. Errors name x_name / y_name. */
nn_status nn_dataset_from_arrays(nn_dataset *ds, nn_array *x, nn_array *y, int regression,
                                 uint32_t n_classes, const char *x_name, const char *y_name);

/* Reads a folder holding the standard MNIST file names, each raw or .gz (raw is
 * preferred when both exist): train != 0 → train-images-idx3-ubyte +
 * train-labels-idx1-ubyte; train == 0 → t10k-images-idx3-ubyte +
 * t10k-labels-idx1-ubyte. Ten classes. */
nn_status nn_dataset_load_dir(nn_dataset *ds, const char *dir, int train);

/* Frees what ds owns and zeroes it; safe on a zeroed or already-freed dataset. */
void nn_dataset_free(nn_dataset *ds);

/* The checksum stored in ds->checksum, recomputed (64-bit FNV-1a over 64-bit
 * words, the high half folded down after each multiply). */
uint64_t nn_dataset_checksum(const nn_dataset *ds);

/* Converts samples indices[0..n) of ds into x (n, rows*cols) and y (n):
 * x = pixel * (1/255) for uint8 features (float features as they are), then
 * (x - mean) / std when normalize is non-zero (std > 0). y gets the labels
 * (left alone for a dataset of targets; then t (n, n_targets) gets those, when
 * t is not NULL). The loader's one copy; public for evaluation code and tests.
 * Indices are not checked here (the loader checks them once, at creation).
 * Split over the run's threads (nn_threads.h) in pieces of 32 samples: the
 * same floats for any thread count. */
void nn_dataset_gather(const nn_dataset *ds, const uint32_t *indices, uint32_t n,
                       int normalize, float mean, float std, float *x, int32_t *y);
void nn_dataset_gather_targets(const nn_dataset *ds, const uint32_t *indices, uint32_t n,
                               float *t);

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

/* n samples of `from` drawn at random without replacement by a permutation
 * seeded with (seed, NN_STREAM_SUBSET), sorted ascending. 1 <= n <= from->count. */
nn_status nn_indices_random(const nn_indices *from, uint32_t n, uint64_t seed, nn_indices *out);

/* As nn_indices_split, but each class of ds keeps its share: class c gets
 * round(n_valid * count_c / count) validation samples (largest remainders
 * fill up to exactly n_valid). ds must have labels. */
nn_status nn_indices_split_stratified(const nn_indices *from, const nn_dataset *ds,
                                      uint32_t n_valid, uint64_t seed, nn_indices *train,
                                      nn_indices *valid);

/* A content hash of an index list (FNV-1a over the indices in order): which
 * samples a view holds, for cache keys. */
uint64_t nn_indices_checksum(const nn_indices *ix);

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
    const nn_transform *transforms; /* applied per batch after the conversion (copied, */
    uint32_t n_transforms;          /* with their mean/std arrays); see nn_transform.h */
    /* A caller's last step over each batch of a training pass (e.g. a Lua function):
     * x is (batch, features) and may be changed in place; non-zero stops the pass
     * (nn_loader_failed() then says so). NULL: none. */
    int (*batch_hook)(void *context, float *x, uint32_t batch, uint32_t features);
    void *hook_context;
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

/* Features per sample: the width of x (rows × cols of the dataset's samples,
 * or of what the transforms make of them). */
uint32_t nn_loader_features(const nn_loader *loader);

/* Regression targets per sample (0 for a dataset of class labels). */
uint32_t nn_loader_target_width(const nn_loader *loader);

/* The targets of the batch last returned, (batch, target_width); NULL for labels. */
const float *nn_loader_targets(const nn_loader *loader);

/* Training mode (the default) applies the random transforms and the batch
 * hook; evaluation mode makes them deterministic (see nn_transform.h) and
 * skips the hook. nn_evaluate switches a loader to evaluation for its pass. */
void nn_loader_set_training(nn_loader *loader, int training);
int nn_loader_training(const nn_loader *loader);

/* Non-zero when the batch hook stopped the last nn_loader_next (which then
 * returned 0); cleared by nn_loader_start_epoch. */
int nn_loader_failed(const nn_loader *loader);

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
