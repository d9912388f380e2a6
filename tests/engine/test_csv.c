/* CSV datasets: nn_csv_parse on strings for every RFC 4180 feature and
 * option (target and feature selection, the three kinds of target), every
 * malformed input with its message and LINE:COLUMN, and one nn_csv_read of a
 * real file. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdir (the build may define it already) */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "nn_csv.h"
#include "test_util.h"

/* Options with a header and the last column as target (what NULL means). */
static nn_csv_options defaults(void)
{
    nn_csv_options o = {0};
    o.header = 1;
    o.target_index = -1;
    return o;
}

static nn_status parse(const char *text, const nn_csv_options *o, nn_csv_data *d)
{
    return nn_csv_parse(text, strlen(text), "t.csv", o, d);
}

/* The parse must fail with code and a message containing `needle`, *d zeroed. */
#define assert_parse_fails(text, o, code, needle)                                             \
    do {                                                                                      \
        nn_csv_data d_;                                                                       \
        assert_int_equal(parse((text), (o), &d_), (code));                                    \
        assert_error_contains(needle);                                                        \
        assert_null(d_.x);                                                                    \
        assert_null(d_.labels);                                                               \
        assert_int_equal(d_.rows, 0);                                                         \
    } while (0)

static void test_classes_first_seen(void **state)
{
    (void)state;
    nn_csv_data d;
    assert_int_equal(parse("a,b,species\n1,2,virginica\n3.5,-4e2,setosa\n5,6,virginica\n", NULL, &d),
                     NN_OK);
    assert_int_equal(d.rows, 3);
    assert_int_equal(d.features, 2);
    const float x[] = {1, 2, 3.5f, -400, 5, 6};
    assert_close(d.x, x, 6, 0, 0);
    assert_int_equal(d.n_classes, 2);
    assert_string_equal(d.class_names[0], "virginica");
    assert_string_equal(d.class_names[1], "setosa");
    assert_int_equal(d.labels[0], 0);
    assert_int_equal(d.labels[1], 1);
    assert_int_equal(d.labels[2], 0);
    assert_null(d.targets);
    assert_string_equal(d.feature_names[0], "a");
    assert_string_equal(d.feature_names[1], "b");
    assert_string_equal(d.target_name, "species");
    nn_csv_free(&d);
    assert_null(d.x);
    nn_csv_free(&d); /* safe twice */
}

static void test_quotes_crlf_bom(void **state)
{
    (void)state;
    nn_csv_data d;
    const char *text = "\xEF\xBB\xBF\"x,1\",\"say \"\"hi\"\"\",label\r\n"
                       "\"1.5\", 2 ,\"two\r\nlines\"\r\n"
                       "3,4,\"a,b\"\r\n"
                       "5,6,plain"; /* no final newline */
    assert_int_equal(parse(text, NULL, &d), NN_OK);
    assert_int_equal(d.rows, 3);
    const float x[] = {1.5f, 2, 3, 4, 5, 6};
    assert_close(d.x, x, 6, 0, 0);
    assert_string_equal(d.feature_names[0], "x,1");
    assert_string_equal(d.feature_names[1], "say \"hi\"");
    assert_string_equal(d.target_name, "label");
    assert_int_equal(d.n_classes, 3);
    assert_string_equal(d.class_names[0], "two\r\nlines");
    assert_string_equal(d.class_names[1], "a,b");
    assert_string_equal(d.class_names[2], "plain");
    nn_csv_free(&d);
}

/* LF, CRLF and a lone CR each end one line, as libcsv's rows: errors name
 * the line the cell is on. */
static void test_line_breaks_counted(void **state)
{
    (void)state;
    assert_parse_fails("a,b,y\r1,2,0\r3,abc,1\r", NULL, NN_EFORMAT, "t.csv:3:2: 'abc' is not a number");
    assert_parse_fails("a,b,y\r\n1,2,0\r\n3,abc,1\r\n", NULL, NN_EFORMAT,
                       "t.csv:3:2: 'abc' is not a number");
    assert_parse_fails("a,b,y\n1,2,0\r3,abc,1\n", NULL, NN_EFORMAT, "t.csv:3:2: 'abc' is not a number");
    assert_parse_fails("a,b,y\r\r1,2,0\r3,abc,1", NULL, NN_EFORMAT, "t.csv:4:2: 'abc' is not a number");
}

static void test_blank_lines_skipped(void **state)
{
    (void)state;
    nn_csv_data d;
    assert_int_equal(parse("a,y\n\n1,0\n\r\n  \n2,1\n\n\n", NULL, &d), NN_OK);
    assert_int_equal(d.rows, 2);
    assert_int_equal(d.n_classes, 2);
    assert_null(d.class_names);
    nn_csv_free(&d);
}

static void test_separators(void **state)
{
    (void)state;
    nn_csv_data d;
    nn_csv_options o = defaults();
    o.sep = ';';
    assert_int_equal(parse("a;b;y\n1,5;2;0\n", &o, &d), NN_EFORMAT); /* 1,5 is no number */
    assert_error_contains("t.csv:2:1: '1,5' is not a number (column 'a')");
    assert_int_equal(parse("a;b;y\n\"1;\"\"\";2;0\n", &o, &d), NN_EFORMAT);
    assert_error_contains("t.csv:2:1: '1;\"' is not a number");
    assert_int_equal(parse("a;b;y\n1;2;0\n3;4;1\n", &o, &d), NN_OK);
    const float x[] = {1, 2, 3, 4};
    assert_close(d.x, x, 4, 0, 0);
    nn_csv_free(&d);
    o.sep = '\t';
    assert_int_equal(parse("a\tb\ty\n1\t\"2\"\t0\n", &o, &d), NN_OK);
    assert_close(d.x, x, 2, 0, 0);
    nn_csv_free(&d);
}

static void test_no_header_numeric_classes(void **state)
{
    (void)state;
    nn_csv_data d;
    nn_csv_options o = defaults();
    o.header = 0;
    assert_int_equal(parse("1,2,3\n4,5,7\n", &o, &d), NN_OK);
    assert_int_equal(d.rows, 2);
    assert_int_equal(d.features, 2);
    assert_int_equal(d.n_classes, 8);
    assert_int_equal(d.labels[0], 3);
    assert_int_equal(d.labels[1], 7);
    assert_null(d.feature_names);
    assert_null(d.target_name);
    assert_null(d.class_names);
    nn_csv_free(&d);
}

static void test_target_and_feature_selection(void **state)
{
    (void)state;
    nn_csv_data d;
    nn_csv_options o = defaults();
    const char *text = "y,a,b,c\n1,10,20,30\n0,11,21,31\n";
    o.target_name = "y";
    assert_int_equal(parse(text, &o, &d), NN_OK);
    assert_int_equal(d.features, 3);
    const float all[] = {10, 20, 30, 11, 21, 31};
    assert_close(d.x, all, 6, 0, 0);
    assert_int_equal(d.labels[0], 1);
    nn_csv_free(&d);

    o.target_name = NULL;
    o.target_index = 0;
    const char *names[] = {"c", "a"};
    o.feature_names = names;
    o.n_features = 2;
    assert_int_equal(parse(text, &o, &d), NN_OK);
    const float picked[] = {30, 10, 31, 11};
    assert_close(d.x, picked, 4, 0, 0);
    assert_string_equal(d.feature_names[0], "c");
    assert_string_equal(d.feature_names[1], "a");
    nn_csv_free(&d);

    o.feature_names = NULL;
    const uint32_t indices[] = {2};
    o.feature_indices = indices;
    o.n_features = 1;
    o.header = 0;
    assert_int_equal(parse("1,10,20,30\n0,11,21,31\n", &o, &d), NN_OK);
    assert_int_equal(d.features, 1);
    const float b[] = {20, 21};
    assert_close(d.x, b, 2, 0, 0);
    nn_csv_free(&d);
}

static void test_given_classes(void **state)
{
    (void)state;
    nn_csv_data d;
    nn_csv_options o = defaults();
    const char *classes[] = {"setosa", "versicolor", "virginica"};
    o.classes = classes;
    o.n_classes = 3;
    assert_int_equal(parse("x,y\n1,virginica\n2,setosa\n3,1\n4, versicolor \n", &o, &d), NN_OK);
    assert_int_equal(d.n_classes, 3);
    assert_int_equal(d.labels[0], 2);
    assert_int_equal(d.labels[1], 0);
    assert_int_equal(d.labels[2], 1);
    assert_int_equal(d.labels[3], 1);
    assert_string_equal(d.class_names[1], "versicolor");
    nn_csv_free(&d);

    o.classes = NULL; /* only a count: class numbers */
    assert_int_equal(parse("x,y\n1,2\n", &o, &d), NN_OK);
    assert_int_equal(d.n_classes, 3);
    assert_int_equal(d.labels[0], 2);
    nn_csv_free(&d);
    assert_parse_fails("x,y\n1,2\n1,3\n", &o, NN_EFORMAT,
                       "t.csv:3:2: class number '3' is out of range: 3 classes (target column 'y')");
}

static void test_regression(void **state)
{
    (void)state;
    nn_csv_data d;
    nn_csv_options o = defaults();
    o.regression = 1;
    assert_int_equal(parse("x,y\n1,0.25\n2,-1e3\n", &o, &d), NN_OK);
    const float t[] = {0.25f, -1000};
    assert_close(d.targets, t, 2, 0, 0);
    assert_null(d.labels);
    assert_int_equal(d.n_classes, 0);
    nn_csv_free(&d);
    assert_parse_fails("x,y\n1,abc\n", &o, NN_EFORMAT,
                       "t.csv:2:2: 'abc' is not a number (target column 'y')");
    assert_parse_fails("x,y\n1,inf\n", &o, NN_EFORMAT,
                       "t.csv:2:2: 'inf' is not finite (NaN or Inf) (target column 'y')");
    assert_parse_fails("x,y\n1,\n", &o, NN_EFORMAT, "t.csv:2:2: empty target cell (target column 'y')");
}

static void test_number_rounding(void **state)
{
    (void)state;
    nn_csv_data d;
    nn_csv_options o = defaults();
    o.regression = 1;
    const char *text = "a,b,c,d,e,f,y\n"
                       "0.1,123456789012345678901,1e-50,1E1,-0,\" 7 \",3.4028234e38\n";
    assert_int_equal(parse(text, &o, &d), NN_OK);
    assert_true(d.x[0] == (float)0.1);
    assert_true(d.x[1] == (float)123456789012345678901.0);
    assert_true(d.x[2] == 0.0f);
    assert_true(d.x[3] == 10.0f);
    assert_true(d.x[4] == 0.0f);
    assert_true(d.x[5] == 7.0f);
    assert_true(d.targets[0] == (float)3.4028234e38);
    nn_csv_free(&d);
}

static void test_bad_cells(void **state)
{
    (void)state;
    assert_parse_fails("a,b,c,y\n1,2,3,0\n1,abc,3,0\n", NULL, NN_EFORMAT,
                       "t.csv:3:2: 'abc' is not a number (column 'b')");
    assert_parse_fails("a,b,y\n1,,0\n", NULL, NN_EFORMAT, "t.csv:2:2: empty cell (column 'b')");
    assert_parse_fails("a,b,y\n1,\"\",0\n", NULL, NN_EFORMAT, "t.csv:2:2: empty cell (column 'b')");
    assert_parse_fails("a,b,y\n1,NaN,0\n", NULL, NN_EFORMAT, "t.csv:2:2: 'NaN' is not finite");
    /* C-locale decimals only: strtod's hexadecimal is refused, as Python's float() does */
    assert_parse_fails("a,b,y\n0x10,1,0\n", NULL, NN_EFORMAT, "t.csv:2:1: '0x10' is not a number");
    assert_parse_fails("a,b,y\n1, 0X1p3 ,0\n", NULL, NN_EFORMAT, "t.csv:2:2: '0X1p3' is not a number");
    assert_parse_fails("a,b,y\n1,nan,0\n", NULL, NN_EFORMAT, "t.csv:2:2: 'nan' is not finite");
    assert_parse_fails("a,b,y\nInf,1,0\n", NULL, NN_EFORMAT, "t.csv:2:1: 'Inf' is not finite");
    assert_parse_fails("a,b,y\n-inf,1,0\n", NULL, NN_EFORMAT, "t.csv:2:1: '-inf' is not finite");
    assert_parse_fails("a,b,y\n1e999,1,0\n", NULL, NN_EFORMAT,
                       "t.csv:2:1: '1e999' is too large for a float (column 'a')");
    assert_parse_fails("a,b,y\n1e39,1,0\n", NULL, NN_EFORMAT, "t.csv:2:1: '1e39' is too large for a float");
    assert_parse_fails("a,b,y\n1,2,\n", NULL, NN_EFORMAT, "t.csv:2:3: empty target cell (target column 'y')");
    /* a field's line is where it starts */
    assert_parse_fails("a,b,y\n1,2,0\n\"1\n\",\"x\ny\",0\n", NULL, NN_EFORMAT,
                       "t.csv:4:2: 'x?y' is not a number (column 'b')");
    nn_csv_options o = defaults();
    o.header = 0;
    assert_parse_fails("1,2,0\n1,x,0\n", &o, NN_EFORMAT, "t.csv:2:2: 'x' is not a number\0");
    assert_parse_fails("1,x,0\n", &o, NN_EFORMAT, "t.csv:1:2: 'x' is not a number");
}

/* A bad cell is reported at the row's end from a copy of its message, which
 * names the file: 512 bytes once cut the cause off a long path's. */
static void test_bad_cell_of_a_long_path(void **state)
{
    (void)state;
    char name[701];
    memset(name, 'p', sizeof name - 1);
    memcpy(name + sizeof name - 5, ".csv", 5);
    const char *text = "a,b,y\n1,abc,0\n";
    nn_csv_data d;
    assert_int_equal(nn_csv_parse(text, strlen(text), name, NULL, &d), NN_EFORMAT);
    assert_error_contains(name);
    assert_error_contains(":2:2: 'abc' is not a number (column 'b')");
}

static void test_ragged_and_malformed(void **state)
{
    (void)state;
    assert_parse_fails("a,b,c,d,y\n1,2,3,4,0\n1,2,3,0\n", NULL, NN_EFORMAT,
                       "t.csv:3:5: has 4 fields, expected 5 (like the header)");
    assert_parse_fails("a,y\n1,0,7\n", NULL, NN_EFORMAT, "t.csv:2:3: has 3 fields, expected 2 (like the header)");
    /* a field missing in the middle shifts the others: the count is the cause, not
     * the shifted cell ('dog' is not a number in column b) */
    assert_parse_fails("a,b,y\n1,2,cat\n3,dog\n", NULL, NN_EFORMAT,
                       "t.csv:3:3: has 2 fields, expected 3 (like the header)");
    assert_parse_fails("a,b,y\n1,2,cat\n3,dog", NULL, NN_EFORMAT,
                       "t.csv:3:3: has 2 fields, expected 3 (like the header)");
    nn_csv_options o = defaults();
    o.header = 0;
    assert_parse_fails("1,0\n\n1\n", &o, NN_EFORMAT, "t.csv:3:2: has 1 fields, expected 2 (like the first row)");
    assert_parse_fails("a,y\n1,\"0\n2,1\n", NULL, NN_EFORMAT,
                       "t.csv:2:2: unterminated quoted field (the file ends inside it)");
    assert_parse_fails("a,y\n1,x\"y\"\n", NULL, NN_EFORMAT,
                       "t.csv:2:2: malformed CSV, a quote inside an unquoted field or text after a closing quote (error parsing data while strict checking enabled)");
    assert_parse_fails("a,y\n1,0\n\"2\"x,0\n", NULL, NN_EFORMAT, "t.csv:3:1: malformed CSV");
}

static void test_empty_inputs(void **state)
{
    (void)state;
    assert_parse_fails("", NULL, NN_EFORMAT, "t.csv: empty file (no rows)");
    assert_parse_fails("\xEF\xBB\xBF\n\n  \r\n", NULL, NN_EFORMAT, "t.csv: empty file (no rows)");
    assert_parse_fails("a,b,y\n", NULL, NN_EFORMAT, "t.csv: no data rows (only the header)");
    assert_parse_fails("a,b,y", NULL, NN_EFORMAT, "t.csv: no data rows (only the header)");
    assert_parse_fails("y\n1\n", NULL, NN_EINVAL, "t.csv: no feature columns: the only column is the target");
    /* a ';' or tab file read with the default ',': one column, the separator named */
    assert_parse_fails("a;b;y\n1;2;0\n", NULL, NN_EINVAL,
                       "t.csv: no feature columns: the only column is the target, and its first cell holds ';': is "
                       "that the separator? give sep = \";\"");
    assert_parse_fails("a\tb\ty\n1\t2\t0\n", NULL, NN_EINVAL, "first cell holds '\\t': is that the separator? give "
                       "sep = \"\\t\"");
}

static void test_column_errors(void **state)
{
    (void)state;
    const char *text = "a,b,c,y\n1,2,3,0\n";
    nn_csv_options o = defaults();
    o.target_name = "z";
    assert_parse_fails(text, &o, NN_EINVAL, "t.csv: no target column 'z' in the header ('a', 'b', 'c', 'y')");
    o.target_name = NULL;
    o.target_index = 4;
    assert_parse_fails(text, &o, NN_EINVAL,
                       "t.csv: target column 5 is out of range: the file has 4 columns");
    o.target_index = -2;
    assert_parse_fails(text, &o, NN_EINVAL, "t.csv: target column -1 is out of range");
    o.target_index = -1;
    const char *names[] = {"a", "q"};
    o.feature_names = names;
    o.n_features = 2;
    assert_parse_fails(text, &o, NN_EINVAL, "t.csv: no feature column 'q' in the header ('a', 'b', 'c', 'y')");
    names[1] = "y";
    assert_parse_fails(text, &o, NN_EINVAL,
                       "t.csv: column 'y' (column 4) is the target and cannot also be a feature");
    names[1] = "a";
    assert_parse_fails(text, &o, NN_EINVAL, "t.csv: column 'a' (column 1) is listed twice among the features");
    o.feature_names = NULL;
    const uint32_t indices[] = {0, 9};
    o.feature_indices = indices;
    assert_parse_fails(text, &o, NN_EINVAL,
                       "t.csv: feature column 10 is out of range: the file has 4 columns");
    const uint32_t target_too[] = {3, 0};
    o.feature_indices = target_too;
    assert_parse_fails(text, &o, NN_EINVAL, "t.csv: column 'y' (column 4) is the target");
    /* a header name is quoted with its control bytes as '?': one line */
    const uint32_t twice[] = {0, 0};
    o.feature_indices = twice;
    assert_parse_fails("\"first\nname\",b,y\n1,2,0\n", &o, NN_EINVAL,
                       "t.csv: column 'first?name' (column 1) is listed twice among the features");
    o.feature_indices = target_too;
    o.feature_names = names;
    assert_parse_fails(text, &o, NN_EINVAL, "t.csv: give the 2 features by name or by index (one list)");

    nn_csv_options h = defaults();
    h.header = 0;
    h.target_name = "y";
    assert_parse_fails(text, &h, NN_EINVAL, "t.csv: columns by name need a header (the file is read with header = false)");
    h.target_name = NULL;
    h.feature_names = names;
    h.n_features = 2;
    assert_parse_fails(text, &h, NN_EINVAL, "t.csv: columns by name need a header (the file is read with header = false)");

    nn_csv_options dup = defaults();
    dup.target_name = "a";
    assert_parse_fails("a,b,a\n1,2,3\n", &dup, NN_EINVAL,
                       "t.csv: target column 'a' is ambiguous: columns 1 and 3 of the header both have that name");
    nn_csv_data d; /* duplicates not looked up are fine */
    assert_int_equal(parse("a,a,y\n1,2,3\n", NULL, &d), NN_OK);
    nn_csv_free(&d);
}

static void test_class_errors(void **state)
{
    (void)state;
    assert_parse_fails("x,y\n1,0\n1,-1\n", NULL, NN_EFORMAT,
                       "t.csv:3:2: class number '-1' is negative (target column 'y')");
    assert_parse_fails("x,y\n1,0\n1,1.5\n", NULL, NN_EFORMAT,
                       "t.csv:3:2: '1.5' is not an integer class number (for a float target set regression)");
    assert_parse_fails("x,y\n1,0\n1,65536\n", NULL, NN_EFORMAT,
                       "t.csv:3:2: class number '65536' is above 65534 (at most 65535 classes)");
    /* 65535 would make 65536 classes, more than a dataset holds (NN_MAX_CLASSES) */
    assert_parse_fails("x,y\n1,65535\n", NULL, NN_EFORMAT,
                       "t.csv:2:2: class number '65535' is above 65534");
    assert_parse_fails("x,y\n1,nan\n", NULL, NN_EFORMAT, "t.csv:2:2: 'nan' is not an integer class number");
    /* a NUL byte in a target cell or in the first row is refused, not cut there:
     * 'cat\0x' and 'cat\0y' were two classes both named 'cat' */
    static const char nul_target[] = "a,y\n1,cat\0x\n2,cat\0y\n";
    static const char nul_header[] = "a\0b,y\n1,0\n";
    static const char nul_first_row[] = "1\0junk,0\n2,1\n";
    nn_csv_options no_header = defaults();
    no_header.header = 0;
    nn_csv_data n;
    nn_error_clear();
    assert_int_equal(nn_csv_parse(nul_target, sizeof nul_target - 1, "t.csv", NULL, &n), NN_EFORMAT);
    assert_error_contains("t.csv:2:2: a NUL byte in the target cell");
    nn_error_clear();
    assert_int_equal(nn_csv_parse(nul_header, sizeof nul_header - 1, "t.csv", NULL, &n), NN_EFORMAT);
    assert_error_contains("t.csv:1:1: a NUL byte in a cell of the first row");
    nn_error_clear();
    assert_int_equal(nn_csv_parse(nul_first_row, sizeof nul_first_row - 1, "t.csv", &no_header, &n),
                     NN_EFORMAT);
    assert_error_contains("t.csv:1:1: a NUL byte in a cell of the first row");
    nn_csv_options many = defaults();
    many.n_classes = 65536;
    assert_parse_fails("x,y\n1,0\n", &many, NN_EINVAL, "t.csv: 65536 classes, at most 65535");

    nn_csv_data d; /* 65534 is the largest class number */
    assert_int_equal(parse("x,y\n1,65534\n", NULL, &d), NN_OK);
    assert_int_equal(d.n_classes, 65535);
    nn_csv_free(&d);
    assert_int_equal(parse("x,y\n1,1\n1,cat\n", NULL, &d), NN_OK); /* a string among them: names */
    assert_string_equal(d.class_names[0], "1");
    assert_string_equal(d.class_names[1], "cat");
    nn_csv_free(&d);

    nn_csv_options o = defaults();
    const char *classes[] = {"cat", "dog"};
    o.classes = classes;
    o.n_classes = 2;
    assert_parse_fails("x,y\n1,cat\n1,cow\n", &o, NN_EFORMAT,
                       "t.csv:3:2: 'cow' is not one of the classes ('cat', 'dog') (target column 'y')");
    assert_parse_fails("x,y\n1,2\n", &o, NN_EFORMAT,
                       "t.csv:2:2: class number '2' is out of range: 2 classes ('cat', 'dog')");
    assert_parse_fails("x,y\n1,-1\n", &o, NN_EFORMAT, "t.csv:2:2: '-1' is not one of the classes");
    const char *twice[] = {"cat", "cat"};
    o.classes = twice;
    assert_parse_fails("x,y\n1,cat\n", &o, NN_EINVAL, "t.csv: class 'cat' is given twice in classes");
    o.classes = classes;
    o.regression = 1;
    assert_parse_fails("x,y\n1,cat\n", &o, NN_EINVAL, "t.csv: classes are given but the target is a regression one");
}

static void test_too_many_classes(void **state)
{
    (void)state;
    size_t rows = 65536, size = 8 + rows * 12;
    char *text = malloc(size), *p = text;
    p += sprintf(p, "x,y\n");
    for (size_t i = 0; i < rows; i++)
        p += sprintf(p, "1,c%zu\n", i);
    nn_csv_data d;
    assert_int_equal(nn_csv_parse(text, (size_t)(p - text), "t.csv", NULL, &d), NN_EFORMAT);
    assert_error_contains("t.csv:65537:2: more than 65535 distinct classes (for a float target set regression)");
    /* one fewer fits */
    assert_int_equal(nn_csv_parse(text, (size_t)(p - text) - strlen("1,c65535\n"), "t.csv", NULL, &d), NN_OK);
    assert_int_equal(d.n_classes, 65535);
    assert_string_equal(d.class_names[65534], "c65534");
    assert_int_equal(d.labels[65534], 65534);
    nn_csv_free(&d);
    free(text);
}

static void test_long_cells_and_names_are_cut(void **state)
{
    (void)state;
    char text[600];
    snprintf(text, sizeof text, "a,y\n%0300d1x,0\n", 0);
    nn_csv_data d;
    assert_int_equal(parse(text, NULL, &d), NN_EFORMAT);
    assert_error_contains("t.csv:2:1: '0000000000000000000000000000000000000000...' is not a number");
    assert_true(strlen(nn_error_message()) < 200);
}

static void test_read_file(void **state)
{
    (void)state;
    char dir[512], path[600];
    mkdir(test_tmp_path(dir, sizeof dir, "csv"), 0777);
    snprintf(path, sizeof path, "%s/iris.csv", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("sepal_length,sepal_width,petal_length,petal_width,species\n", f);
    for (int i = 0; i < 60000; i++) /* 1.5 MB: rows across read pieces */
        fprintf(f, "%d.1,3.5,1.4,0.2,%s\n", i % 10, i % 3 ? "setosa" : "virginica");
    fclose(f);
    nn_csv_data d;
    assert_int_equal(nn_csv_read(path, NULL, &d), NN_OK);
    assert_int_equal(d.rows, 60000);
    assert_int_equal(d.features, 4);
    assert_int_equal(d.n_classes, 2);
    assert_string_equal(d.class_names[0], "virginica");
    assert_true(d.x[4 * 59999] == 9.1f);
    assert_int_equal(d.labels[59999], 1);
    assert_int_equal(d.labels[59997], 0);
    nn_csv_free(&d);

    /* a CRLF, then a lone CR, split across the first two 1 MiB read pieces:
     * each one line break */
    for (int lone = 0; lone <= 1; lone++) {
        f = fopen(path, "wb");
        fputs("a,b,y\r\n", f);
        long lines = 1, piece = 1L << 20;
        while (ftell(f) + 7 + 5 <= piece - 1) { /* room left for a row of at least "1,2,0" */
            fputs("1,2,0\r\n", f);
            lines++;
        }
        for (long pad = piece - 1 - ftell(f) - 4; pad > 0; pad--) /* "1...1,2,0" ends at piece - 2 */
            fputc('1', f);
        fputs(",2,0", f);
        lines++;
        assert_int_equal(ftell(f), piece - 1);
        fputs(lone ? "\r" : "\r\n", f); /* the CR is the first piece's last byte */
        fputs("3,abc,1\r\n", f);
        fclose(f);
        assert_int_equal(nn_csv_read(path, NULL, &d), NN_EFORMAT);
        char want[64];
        snprintf(want, sizeof want, "iris.csv:%ld:2: 'abc' is not a number", lines + 1);
        assert_error_contains(want);
    }

    f = fopen(path, "wb");
    fputs("a,b,y\n1,2,0\n3,abc,1\n", f);
    fclose(f);
    assert_int_equal(nn_csv_read(path, NULL, &d), NN_EFORMAT);
    assert_error_contains("iris.csv:3:2: 'abc' is not a number (column 'b')");
    assert_int_equal(nn_csv_read(dir, NULL, &d), NN_EIO);
    assert_error_contains("a directory, not a regular file");
    snprintf(path, sizeof path, "%s/missing.csv", dir);
    assert_int_equal(nn_csv_read(path, NULL, &d), NN_EIO);
    assert_error_contains("cannot open");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes_first_seen),
        cmocka_unit_test(test_quotes_crlf_bom),
        cmocka_unit_test(test_line_breaks_counted),
        cmocka_unit_test(test_blank_lines_skipped),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_no_header_numeric_classes),
        cmocka_unit_test(test_target_and_feature_selection),
        cmocka_unit_test(test_given_classes),
        cmocka_unit_test(test_regression),
        cmocka_unit_test(test_number_rounding),
        cmocka_unit_test(test_bad_cells),
        cmocka_unit_test(test_bad_cell_of_a_long_path),
        cmocka_unit_test(test_ragged_and_malformed),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_column_errors),
        cmocka_unit_test(test_class_errors),
        cmocka_unit_test(test_too_many_classes),
        cmocka_unit_test(test_long_cells_and_names_are_cut),
        cmocka_unit_test(test_read_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
