/* libFuzzer target: the CSV reader (engine/nn_csv.c) on arbitrary bytes, in
 * memory, under a few option sets: header or none, seen or given classes,
 * regression, ';' as separator, features by name and by index. */
#include <stddef.h>
#include <stdint.h>

#include "nn_csv.h"

static void parse_with(const uint8_t *data, size_t size, const nn_csv_options *o)
{
    nn_csv_data d;
    if (nn_csv_parse((const char *)data, size, "fuzz.csv", o, &d) == NN_OK) {
        /* every label below n_classes, every feature finite */
        for (uint32_t i = 0; d.labels && i < d.rows; i++)
            if (d.labels[i] >= d.n_classes)
                __builtin_trap();
        for (size_t i = 0; i < (size_t)d.rows * d.features; i++)
            if (d.x[i] != d.x[i] || d.x[i] - d.x[i] != 0)
                __builtin_trap();
    }
    nn_csv_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const classes[] = {"a", "b", "1"};
    static const char *const names[] = {"x", "y"};
    static const uint32_t indices[] = {0, 2};
    nn_csv_options o = {0};
    o.header = 1;
    o.target_index = -1;
    parse_with(data, size, &o); /* header, classes as seen */
    o.regression = 1;
    parse_with(data, size, &o);
    o.regression = 0;
    o.header = 0;
    o.target_index = 1;
    parse_with(data, size, &o);
    o.classes = classes;
    o.n_classes = 3;
    o.sep = ';';
    parse_with(data, size, &o);
    o.sep = 0;
    o.header = 1;
    o.target_name = "label";
    o.feature_names = names;
    o.n_features = 2;
    parse_with(data, size, &o);
    o.target_name = NULL;
    o.target_index = 1;
    o.feature_names = NULL;
    o.feature_indices = indices;
    o.classes = NULL;
    parse_with(data, size, &o);
    return 0;
}
