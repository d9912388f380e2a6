/* CSV files as datasets: RFC 4180 (quoted fields, separators, quotes and line
 * breaks inside quotes, CRLF or LF, a UTF-8 byte-order mark), parsed with
 * libcsv. One column is the target, the chosen others are float32 features.
 *
 * Targets: a column of strings becomes classes named by those strings, in the
 * order of `classes` when given, else in order of first appearance; a column
 * of integers 0..65534 gives class numbers (n_classes = the largest + 1, or the
 * count of `classes` when given, which then names them); with `regression`
 * the target is a float.
 *
 * Every bad cell is an error "PATH:LINE:COLUMN: what was wrong" (LINE is the
 * physical line, 1-based, counting the header; COLUMN is the field, 1-based):
 * a ragged row, an empty or non-numeric feature, NaN or Inf, a target that is
 * no class; and "PATH: ..." for an empty file, a missing target or feature
 * column, a header-less file asked for columns by name. On failure *out is
 * left zeroed. */
#ifndef NN_CSV_H
#define NN_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "nn_error.h"

typedef struct nn_csv_options {
    char sep;                   /* field separator; 0 means ',' */
    int header;                 /* non-zero: the first record names the columns */
    const char *target_name;    /* the target column by name (needs header), or NULL */
    int64_t target_index;       /* or by 0-based index; -1 with no name: the last column */
    const char *const *feature_names; /* features by name (needs header), or NULL */
    const uint32_t *feature_indices;  /* or by 0-based index, or NULL */
    uint32_t n_features;        /* entries in the list given; 0: every column but the target */
    int regression;             /* non-zero: the target is a float, not a class */
    const char *const *classes; /* optional class names, in class-number order */
    uint32_t n_classes;
} nn_csv_options;

typedef struct nn_csv_data {
    float *x;                   /* (rows, features) row-major, malloc'd */
    uint32_t rows, features;
    uint16_t *labels;           /* (rows) class numbers < n_classes; NULL with regression */
    float *targets;             /* (rows) with regression, else NULL */
    uint32_t n_classes;         /* 0 with regression */
    char **class_names;         /* n_classes names (string targets or `classes`), else NULL */
    char **feature_names;       /* `features` names from the header, else NULL */
    char *target_name;          /* from the header, else NULL */
} nn_csv_data;

nn_status nn_csv_read(const char *path, const nn_csv_options *options, nn_csv_data *out);

/* The same over bytes in memory; `name` stands for the path in messages. */
nn_status nn_csv_parse(const char *bytes, size_t size, const char *name,
                       const nn_csv_options *options, nn_csv_data *out);

/* Frees everything *d owns and zeroes it; safe on a zeroed struct. */
void nn_csv_free(nn_csv_data *d);

#endif
