/* CSV reader (see nn_csv.h), on libcsv in strict mode. The input is fed to
 * libcsv one physical line at a time, so every callback knows its line; a
 * field's LINE in messages is the line where the field starts (a quoted field
 * may run over several lines), a row's is where the row starts.
 *
 * Choices the header leaves open:
 * - A UTF-8 byte-order mark at the very start is skipped. Lines that are empty
 *   or hold only spaces and tabs are skipped anywhere (libcsv reports no
 *   record for them), so a final newline or trailing blank lines are fine.
 * - Spaces and tabs around a field are trimmed (libcsv does it for unquoted
 *   fields; numbers are also trimmed inside quotes). A quote inside an
 *   unquoted field, or text after a closing quote, is an error.
 * - Numbers are C-locale decimals (strtod's syntax, whatever the process
 *   locale, less its hexadecimal, which Python's float() and pandas refuse);
 *   short ones take an exact fast path. Each is rounded to double,
 *   then to float; one beyond the float range is an error, a tiny one is 0.
 * - Targets, unless `regression`: with `classes` given, a cell naming a class
 *   is that class, else an integer cell is a class number < n_classes; with
 *   n_classes but no names, cells are class numbers < n_classes; otherwise, if
 *   every distinct value is a number the values are class numbers 0..65534
 *   (n_classes = the largest + 1, at most NN_MAX_CLASSES), else each distinct
 *   string is a class, in order of first appearance (at most 65535 of them).
 * - A NUL byte is refused in a target cell and in the first row (those keep
 *   their cells as strings; a feature cell with one is not a number anyway).
 * - options NULL means a header and the last column as target. A target name
 *   wins over target_index. A column listed twice among the features, or a
 *   header name used for lookup that appears twice, is an error.
 * - nn_csv_read streams the file in 1 MiB pieces: memory is the float arrays
 *   plus one piece, never the cells as strings. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* newlocale, uselocale, strdup (the build may define it) */
#endif
#include "nn_csv.h"
#include "nn_data.h" /* NN_MAX_CLASSES */
#include "nn_file.h"

#include <csv.h>
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    CSV_MAX_STRING_CLASSES = NN_MAX_CLASSES,
    CSV_MAX_CLASS_NUMBER = NN_MAX_CLASSES - 1,
    CSV_READ_PIECE = 1 << 20,
    CELL_SHOWN = 40,  /* bytes of a bad cell quoted in a message */
    LIST_SHOWN = 160, /* bytes of a name list quoted in a message */
};

enum { ROLE_SKIP = -1, ROLE_TARGET = -2 }; /* else the feature slot, >= 0 */
enum { TARGET_REGRESSION, TARGET_GIVEN, TARGET_NUMBERED, TARGET_SEEN };

/* Distinct strings in first-seen order, with an open-addressing index. */
typedef struct string_set {
    char **names;
    unsigned long long *first_line; /* where each was first seen */
    uint32_t count, capacity;
    uint32_t *slots; /* index + 1, 0 for empty; a power of two long */
    uint32_t mask;
} string_set;

typedef struct csv_reader {
    const char *path;
    nn_csv_options opt;
    nn_status status;              /* the first failure; later callbacks do nothing */
    unsigned long long line;       /* the physical line being fed */
    int cr_at_end;                 /* the last piece fed ended in '\r': a line break unless '\n' follows */
    unsigned long long field_line; /* where the current field starts; 0: not yet known */
    unsigned long long row_line;   /* where the current row starts */
    uint32_t field;                /* fields seen so far in this row */
    /* a cell of this row that failed: reported at the row's end, unless the
     * row has the wrong number of fields (then its cells are shifted, and
     * the count is the cause) */
    nn_status cell_status;
    char cell_message[NN_ERROR_MAX]; /* whole: it names the file */
    uint32_t columns;              /* 0 until the first row has ended */
    char **first;                  /* the first row's cells, until the columns are known */
    unsigned long long *first_lines;
    uint32_t first_count, first_capacity;
    int32_t *role;                 /* per column */
    uint32_t target_column;
    int target_kind;
    string_set classes;
    size_t row_capacity;
    nn_csv_data d;
} csv_reader;

/* ---- messages ---- */

/* A cell as quoted in a message: at most CELL_SHOWN bytes, control bytes as '?'. */
static const char *cell_shown(char *buf, const char *s, size_t len)
{
    return nn_error_quote(buf, CELL_SHOWN, s, len);
}

/* "'a', 'b', 'c'", cut short with ", ..." past LIST_SHOWN bytes. */
static const char *names_shown(char *buf, size_t size, const char *const *names, uint32_t count)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < count; i++) {
        char cell[CELL_SHOWN + 4];
        const char *name = names[i] ? names[i] : "";
        int n = snprintf(buf + used, size - used, "%s'%s'", i ? ", " : "",
                         cell_shown(cell, name, strlen(name)));
        if (n < 0 || used + (size_t)n >= LIST_SHOWN || used + (size_t)n + 6 >= size) {
            snprintf(buf + used, size - used, "%s...", i ? ", " : "");
            break;
        }
        used += (size_t)n;
    }
    return buf;
}

static const char *header_name(const csv_reader *r, uint32_t column)
{
    return r->opt.header && column < r->first_count ? r->first[column] : NULL;
}

/* Fails with "PATH:LINE:COLUMN: what (column 'name')". */
static nn_status __attribute__((format(printf, 4, 5)))
cell_fail(csv_reader *r, unsigned long long line, uint32_t column, const char *fmt, ...)
{
    char what[256], suffix[CELL_SHOWN + 32] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *name = r->columns ? header_name(r, column) : NULL;
    const char *role = r->role && r->role[column] == ROLE_TARGET ? "target column" : "column";
    char shown[CELL_SHOWN + 4];
    if (name)
        snprintf(suffix, sizeof suffix, " (%s '%s')", role, cell_shown(shown, name, strlen(name)));
    else if (r->role && r->role[column] == ROLE_TARGET)
        snprintf(suffix, sizeof suffix, " (target column)");
    r->status = nn_fail(NN_EFORMAT, "%s:%llu:%u: %s%s", r->path, line, column + 1, what, suffix);
    return r->status;
}

static nn_status out_of_memory(csv_reader *r)
{
    r->status = nn_fail(NN_ENOMEM, "%s: out of memory reading the CSV", r->path);
    return r->status;
}

/* ---- numbers ---- */

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Exact for up to 19 significant digits when the value is an integer below
 * 2^53 scaled by 10^-22..10^22 (both exact doubles, one correctly rounded
 * operation: Clinger's fast path). Returns 0 to leave the text to strtod. */
static int parse_fast(const char *p, const char *end, double *out)
{
    static const double pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int negative = 0, digits = 0, any = 0, scale = 0;
    uint64_t m = 0;
    if (p < end && (*p == '-' || *p == '+'))
        negative = *p++ == '-';
    for (; p < end && *p >= '0' && *p <= '9'; p++, any = 1) {
        if (m == 0 && *p == '0')
            continue;
        if (++digits > 19)
            return 0;
        m = m * 10 + (uint64_t)(*p - '0');
    }
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, any = 1, scale--) {
            if (m == 0 && *p == '0')
                continue;
            if (++digits > 19)
                return 0;
            m = m * 10 + (uint64_t)(*p - '0');
        }
    if (!any)
        return 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        int exponent_negative = 0, e = 0;
        if (++p < end && (*p == '-' || *p == '+'))
            exponent_negative = *p++ == '-';
        if (p == end || *p < '0' || *p > '9')
            return 0;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if ((e = e * 10 + (*p - '0')) > 9999)
                return 0;
        scale += exponent_negative ? -e : e;
    }
    if (p != end || m > (uint64_t)1 << 53 || (m != 0 && (scale < -22 || scale > 22)))
        return 0;
    double v = (double)m;
    if (m != 0)
        v = scale < 0 ? v / pow10[-scale] : v * pow10[scale];
    *out = negative ? -v : v;
    return 1;
}

enum { NUMBER_OK, NUMBER_EMPTY, NUMBER_BAD, NUMBER_OVERFLOW };

/* The cell s (len bytes, s[len] == '\0') as a double; spaces around it allowed. */
static int parse_number(const char *s, size_t len, double *out)
{
    const char *end = s + len;
    while (s < end && is_blank(*s))
        s++;
    while (end > s && is_blank(end[-1]))
        end--;
    if (s == end)
        return NUMBER_EMPTY;
    if (parse_fast(s, end, out))
        return NUMBER_OK;
    /* C-locale decimals only: strtod also reads hexadecimal ("0x10", "0x1p3"),
     * which Python's float(), numpy and pandas refuse */
    for (const char *c = s; c < end; c++)
        if (*c == 'x' || *c == 'X')
            return NUMBER_BAD;
    char *stop;
    errno = 0;
    *out = strtod(s, &stop);
    if (stop != end)
        return NUMBER_BAD;
    if (errno == ERANGE && isinf(*out))
        return NUMBER_OVERFLOW;
    return NUMBER_OK;
}

/* A float feature or regression target; what = "" or "target ". */
static nn_status cell_float(csv_reader *r, unsigned long long line, uint32_t column,
                            const char *s, size_t len, const char *what, float *out)
{
    if (len > 0 && len < 10) { /* the common case, a plain integer: exact in a double */
        uint32_t n = 0;
        size_t i = 0;
        for (; i < len && (unsigned char)(s[i] - '0') < 10; i++)
            n = n * 10 + (uint32_t)(s[i] - '0');
        if (i == len) {
            *out = (float)(double)n;
            return NN_OK;
        }
    }
    char shown[CELL_SHOWN + 4];
    double v = 0;
    switch (parse_number(s, len, &v)) {
    case NUMBER_EMPTY:
        return cell_fail(r, line, column, "empty %scell", what);
    case NUMBER_BAD:
        return cell_fail(r, line, column, "'%s' is not a number", cell_shown(shown, s, len));
    case NUMBER_OVERFLOW:
        return cell_fail(r, line, column, "'%s' is too large for a float",
                         cell_shown(shown, s, len));
    }
    if (!isfinite(v))
        return cell_fail(r, line, column, "'%s' is not finite (NaN or Inf)",
                         cell_shown(shown, s, len));
    float f = (float)v;
    if (isinf(f))
        return cell_fail(r, line, column, "'%s' is too large for a float",
                         cell_shown(shown, s, len));
    *out = f;
    return NN_OK;
}

/* ---- the set of class strings ---- */

static uint32_t hash_bytes(const char *s, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void set_free(string_set *set)
{
    for (uint32_t i = 0; i < set->count; i++)
        free(set->names[i]);
    free(set->names);
    free(set->first_line);
    free(set->slots);
    memset(set, 0, sizeof *set);
}

/* The slot of s in the index: its entry, or the empty one where it belongs. */
static uint32_t *set_slot(const string_set *set, const char *s, size_t len)
{
    for (uint32_t i = hash_bytes(s, len) & set->mask;; i = (i + 1) & set->mask) {
        uint32_t *slot = &set->slots[i];
        if (*slot == 0)
            return slot;
        const char *name = set->names[*slot - 1];
        if (strlen(name) == len && memcmp(name, s, len) == 0)
            return slot;
    }
}

/* The index of s, or -1. */
static int64_t set_find(const string_set *set, const char *s, size_t len)
{
    if (!set->slots)
        return -1;
    uint32_t slot = *set_slot(set, s, len);
    return slot ? (int64_t)slot - 1 : -1;
}

/* Adds s (not yet present) as the next index; 0 when out of memory. */
static int set_add(string_set *set, const char *s, size_t len, unsigned long long line)
{
    if (set->count == set->capacity) {
        uint32_t capacity = set->capacity ? set->capacity * 2 : 16;
        char **names = realloc(set->names, capacity * sizeof *names);
        if (names)
            set->names = names;
        unsigned long long *lines = realloc(set->first_line, capacity * sizeof *lines);
        if (lines)
            set->first_line = lines;
        if (!names || !lines)
            return 0;
        set->capacity = capacity;
    }
    if (!set->slots || (set->count + 1) * 2 > set->mask + 1) { /* keep half empty */
        uint32_t size = set->slots ? (set->mask + 1) * 2 : 64;
        uint32_t *slots = calloc(size, sizeof *slots);
        if (!slots)
            return 0;
        free(set->slots);
        set->slots = slots;
        set->mask = size - 1;
        for (uint32_t i = 0; i < set->count; i++)
            *set_slot(set, set->names[i], strlen(set->names[i])) = i + 1;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return 0;
    memcpy(copy, s, len);
    copy[len] = '\0';
    set->names[set->count] = copy;
    set->first_line[set->count] = line;
    set->count++;
    *set_slot(set, s, len) = set->count;
    return 1;
}

/* ---- columns ---- */

/* The column named `name` in the header: its index, or -1 with a message. */
static int64_t column_named(csv_reader *r, const char *name, const char *what)
{
    int64_t found = -1;
    for (uint32_t c = 0; c < r->columns; c++) {
        if (strcmp(r->first[c], name) != 0)
            continue;
        if (found >= 0) {
            r->status = nn_fail(NN_EINVAL,
                                "%s: %s column '%s' is ambiguous: columns %lld and %u of the header both have that name",
                                r->path, what, name, (long long)found + 1, c + 1);
            return -1;
        }
        found = c;
    }
    if (found < 0) {
        char list[LIST_SHOWN + 16];
        r->status = nn_fail(NN_EINVAL, "%s: no %s column '%s' in the header (%s)", r->path, what,
                            name, names_shown(list, sizeof list, (const char *const *)r->first,
                                              r->columns));
    }
    return found;
}

/* "'name' (column 3)" or "column 3": 1-based, as a message's LINE:COLUMN. */
static const char *column_label(const csv_reader *r, uint32_t c, char *buf, size_t size)
{
    char shown[CELL_SHOWN + 4];
    if (r->opt.header)
        snprintf(buf, size, "'%s' (column %u)", cell_shown(shown, r->first[c], strlen(r->first[c])),
                 c + 1);
    else
        snprintf(buf, size, "column %u", c + 1);
    return buf;
}

/* Sets `role` for every column once the first row gave their count. */
static nn_status resolve_columns(csv_reader *r)
{
    const nn_csv_options *o = &r->opt;
    uint32_t n = r->columns;
    r->role = malloc(n * sizeof *r->role);
    if (!r->role)
        return out_of_memory(r);
    for (uint32_t c = 0; c < n; c++)
        r->role[c] = ROLE_SKIP;

    int64_t target;
    if (o->target_name) {
        if ((target = column_named(r, o->target_name, "target")) < 0)
            return r->status;
    } else if (o->target_index == -1) {
        target = n - 1;
    } else if (o->target_index < 0 || o->target_index >= n) {
        return r->status = nn_fail(NN_EINVAL,
                                   "%s: target column %lld is out of range: the file has %u columns",
                                   r->path, (long long)o->target_index + 1, n);
    } else {
        target = o->target_index;
    }
    r->target_column = (uint32_t)target;
    r->role[target] = ROLE_TARGET;

    uint32_t features = o->n_features ? o->n_features : n - 1;
    if (features == 0) {
        /* one column whose first cell holds another common separator: `sep` was left out */
        const char *cell = n == 1 && r->first ? r->first[0] : NULL, *other = NULL;
        for (const char *s = ";\t|,"; cell && *s && !other; s++)
            if (*s != o->sep && strchr(cell, *s))
                other = s;
        if (other)
            return r->status = nn_fail(NN_EINVAL, "%s: no feature columns: the only column is the target, and its "
                                       "first cell holds '%s': is that the separator? give sep = \"%s\"",
                                       r->path, *other == '\t' ? "\\t" : (char[2]){*other, 0},
                                       *other == '\t' ? "\\t" : (char[2]){*other, 0});
        return r->status = nn_fail(NN_EINVAL, "%s: no feature columns: the only column is the target",
                                   r->path);
    }
    for (uint32_t k = 0; k < features; k++) {
        int64_t c;
        if (!o->n_features) {
            c = k < target ? k : k + 1;
        } else if (o->feature_names) {
            if ((c = column_named(r, o->feature_names[k] ? o->feature_names[k] : "", "feature")) < 0)
                return r->status;
        } else if ((c = o->feature_indices[k]) >= n) {
            return r->status = nn_fail(NN_EINVAL,
                                       "%s: feature column %lld is out of range: the file has %u columns",
                                       r->path, (long long)c + 1, n);
        }
        char label[CELL_SHOWN + 32];
        if (r->role[c] == ROLE_TARGET)
            return r->status = nn_fail(NN_EINVAL, "%s: column %s is the target and cannot also be a feature",
                                       r->path, column_label(r, (uint32_t)c, label, sizeof label));
        if (r->role[c] >= 0)
            return r->status = nn_fail(NN_EINVAL, "%s: column %s is listed twice among the features",
                                       r->path, column_label(r, (uint32_t)c, label, sizeof label));
        r->role[c] = (int32_t)k;
    }
    r->d.features = features;
    return NN_OK;
}

/* ---- rows ---- */

static nn_status ensure_row(csv_reader *r)
{
    if (r->d.rows < r->row_capacity)
        return NN_OK;
    if (r->d.rows == UINT32_MAX)
        return r->status = nn_fail(NN_EFORMAT, "%s:%llu: more than %u data rows", r->path,
                                   r->row_line, UINT32_MAX);
    size_t capacity = r->row_capacity ? r->row_capacity + r->row_capacity / 2 : 256;
    if (capacity > UINT32_MAX)
        capacity = UINT32_MAX;
    if (capacity > SIZE_MAX / sizeof(float) / r->d.features)
        return out_of_memory(r);
    float *x = realloc(r->d.x, capacity * r->d.features * sizeof *x);
    if (!x)
        return out_of_memory(r);
    r->d.x = x;
    if (r->target_kind == TARGET_REGRESSION) {
        float *t = realloc(r->d.targets, capacity * sizeof *t);
        if (!t)
            return out_of_memory(r);
        r->d.targets = t;
    } else {
        uint16_t *l = realloc(r->d.labels, capacity * sizeof *l);
        if (!l)
            return out_of_memory(r);
        r->d.labels = l;
    }
    r->row_capacity = capacity;
    return NN_OK;
}

/* "'a', 'b'" for the given classes. */
static const char *given_classes(const csv_reader *r, char *buf, size_t size)
{
    return names_shown(buf, size, r->opt.classes, r->opt.n_classes);
}

static nn_status cell_target(csv_reader *r, unsigned long long line, const char *s, size_t len)
{
    uint32_t column = r->target_column, row = r->d.rows;
    char shown[CELL_SHOWN + 4], list[LIST_SHOWN + 16];
    if (r->target_kind == TARGET_REGRESSION)
        return cell_float(r, line, column, s, len, "target ", &r->d.targets[row]);
    while (len > 0 && is_blank(*s)) /* quoted spaces too: " a " is class 'a' */
        s++, len--;
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    if (len == 0)
        return cell_fail(r, line, column, "empty target cell");
    if (memchr(s, '\0', len))
        return cell_fail(r, line, column, "a NUL byte in the target cell");
    if (r->target_kind == TARGET_SEEN) {
        int64_t k = set_find(&r->classes, s, len);
        if (k < 0) {
            if (r->classes.count == CSV_MAX_STRING_CLASSES)
                return cell_fail(r, line, column,
                                 "more than %u distinct classes (for a float target set regression)",
                                 CSV_MAX_STRING_CLASSES);
            if (!set_add(&r->classes, s, len, line))
                return out_of_memory(r);
            k = r->classes.count - 1;
        }
        r->d.labels[row] = (uint16_t)k;
        return NN_OK;
    }
    if (r->target_kind == TARGET_GIVEN) {
        int64_t k = set_find(&r->classes, s, len);
        if (k >= 0) {
            r->d.labels[row] = (uint16_t)k;
            return NN_OK;
        }
    }
    double v;
    int parsed = parse_number(s, len, &v);
    int integer = parsed == NUMBER_OK && v == floor(v) && v >= 0;
    if (r->target_kind == TARGET_GIVEN && !integer)
        return cell_fail(r, line, column, "'%s' is not one of the classes (%s)",
                         cell_shown(shown, s, len), given_classes(r, list, sizeof list));
    if (!integer)
        return cell_fail(r, line, column, "'%s' is not a class number (0..%u)",
                         cell_shown(shown, s, len), r->d.n_classes - 1);
    if (v >= r->d.n_classes) {
        if (r->target_kind == TARGET_GIVEN)
            return cell_fail(r, line, column, "class number '%s' is out of range: %u classes (%s)",
                             cell_shown(shown, s, len), r->d.n_classes,
                             given_classes(r, list, sizeof list));
        return cell_fail(r, line, column, "class number '%s' is out of range: %u classes",
                         cell_shown(shown, s, len), r->d.n_classes);
    }
    r->d.labels[row] = (uint16_t)v;
    return NN_OK;
}

static nn_status cell_store(csv_reader *r, uint32_t column, const char *s, size_t len,
                            unsigned long long line)
{
    int32_t role = r->role[column];
    if (role == ROLE_SKIP)
        return NN_OK;
    if (role == ROLE_TARGET)
        return cell_target(r, line, s, len);
    return cell_float(r, line, column, s, len, "",
                      &r->d.x[(size_t)r->d.rows * r->d.features + (size_t)role]);
}

/* ---- libcsv callbacks ---- */

static void first_row_add(csv_reader *r, const char *s, size_t len, unsigned long long line)
{
    if (memchr(s, '\0', len)) { /* its cells are kept as strings */
        cell_fail(r, line, r->first_count, "a NUL byte in a cell of the first row");
        return;
    }
    if (r->first_count == r->first_capacity) {
        uint32_t capacity = r->first_capacity ? r->first_capacity * 2 : 16;
        char **cells = capacity > r->first_capacity ? realloc(r->first, capacity * sizeof *cells) : NULL;
        if (cells)
            r->first = cells;
        unsigned long long *lines = cells ? realloc(r->first_lines, capacity * sizeof *lines) : NULL;
        if (lines)
            r->first_lines = lines;
        if (!cells || !lines) {
            out_of_memory(r);
            return;
        }
        r->first_capacity = capacity;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        out_of_memory(r);
        return;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    r->first_lines[r->first_count] = line;
    r->first[r->first_count++] = copy;
}

static void on_field(void *field, size_t len, void *data)
{
    csv_reader *r = data;
    if (r->status != NN_OK)
        return;
    const char *s = field ? field : "";
    unsigned long long line = r->field_line ? r->field_line : r->line;
    uint32_t column = r->field;
    if (r->field < UINT32_MAX)
        r->field++;
    if (column == 0)
        r->row_line = line;
    r->field_line = r->line; /* the next field starts after this separator */
    if (!r->columns) {
        first_row_add(r, s, len, line);
        return;
    }
    if (column >= r->columns) /* a ragged row, reported at its end */
        return;
    if (r->cell_status != NN_OK) /* the row already failed: its end decides what to say */
        return;
    if (column == 0 && ensure_row(r) != NN_OK)
        return;
    cell_store(r, column, s, len, line);
    if (r->status != NN_OK && r->status != NN_ENOMEM) {
        r->cell_status = r->status;
        snprintf(r->cell_message, sizeof r->cell_message, "%s", nn_error_message());
        r->status = NN_OK;
    }
}

/* The first row ended: it gives the column count and is the header or data. */
static void first_row_done(csv_reader *r)
{
    r->columns = r->first_count;
    if (resolve_columns(r) != NN_OK)
        return;
    if (r->opt.header) {
        r->d.feature_names = calloc(r->d.features, sizeof *r->d.feature_names);
        r->d.target_name = strdup(r->first[r->target_column]);
        if (!r->d.feature_names || !r->d.target_name) {
            out_of_memory(r);
            return;
        }
        for (uint32_t c = 0; c < r->columns; c++)
            if (r->role[c] >= 0 && !(r->d.feature_names[r->role[c]] = strdup(r->first[c]))) {
                out_of_memory(r);
                return;
            }
        return;
    }
    if (ensure_row(r) != NN_OK)
        return;
    for (uint32_t c = 0; c < r->columns && r->status == NN_OK; c++)
        cell_store(r, c, r->first[c], strlen(r->first[c]), r->first_lines[c]);
    if (r->status == NN_OK)
        r->d.rows++;
}

static void on_row(int terminator, void *data)
{
    (void)terminator;
    csv_reader *r = data;
    if (r->status != NN_OK)
        return;
    if (!r->columns) {
        first_row_done(r);
    } else if (r->field != r->columns) {
        uint32_t column = r->field < r->columns ? r->field : r->columns;
        r->status = nn_fail(NN_EFORMAT, "%s:%llu:%u: has %u%s fields, expected %u (like %s)",
                            r->path, r->row_line, column + 1, r->field,
                            r->field == UINT32_MAX ? " or more" : "", r->columns,
                            r->opt.header ? "the header" : "the first row");
    } else if (r->cell_status != NN_OK) {
        r->status = nn_fail(r->cell_status, "%s", r->cell_message);
    } else {
        r->d.rows++;
    }
    r->field = 0;
    r->field_line = 0;
}

/* ---- feeding libcsv ---- */

typedef struct csv_feed {
    csv_reader r;
    struct csv_parser parser;
    int started;
} csv_feed;

static nn_status check_options(const char *path, const nn_csv_options *o)
{
    if (o->sep == '"' || o->sep == '\r' || o->sep == '\n' || o->sep == ' ')
        return nn_fail(NN_EINVAL, "%s: the separator cannot be a quote, a space or a line break", path);
    if (!o->header && (o->target_name || (o->n_features && o->feature_names)))
        return nn_fail(NN_EINVAL, "%s: columns by name need a header (the file is read with header = false)", path);
    if (o->n_features && !o->feature_names == !o->feature_indices)
        return nn_fail(NN_EINVAL, "%s: give the %u features by name or by index (one list)", path,
                       o->n_features);
    if (o->regression && o->n_classes)
        return nn_fail(NN_EINVAL, "%s: classes are given but the target is a regression one", path);
    if (o->n_classes > NN_MAX_CLASSES)
        return nn_fail(NN_EINVAL, "%s: %u classes, at most %u", path, o->n_classes,
                       NN_MAX_CLASSES);
    return NN_OK;
}

static nn_status feed_start(csv_feed *f, const char *path, const nn_csv_options *options)
{
    memset(f, 0, sizeof *f);
    csv_reader *r = &f->r;
    r->path = path;
    if (options) {
        r->opt = *options;
    } else {
        r->opt.header = 1;
        r->opt.target_index = -1;
    }
    if (!r->opt.sep)
        r->opt.sep = ',';
    if (!r->opt.n_classes)
        r->opt.classes = NULL;
    if (check_options(path, &r->opt) != NN_OK)
        return r->status = NN_EINVAL;
    r->line = 1;
    if (r->opt.regression) {
        r->target_kind = TARGET_REGRESSION;
    } else if (r->opt.n_classes) {
        r->target_kind = r->opt.classes ? TARGET_GIVEN : TARGET_NUMBERED;
        r->d.n_classes = r->opt.n_classes;
        for (uint32_t k = 0; r->opt.classes && k < r->opt.n_classes; k++) {
            const char *name = r->opt.classes[k] ? r->opt.classes[k] : "";
            if (set_find(&r->classes, name, strlen(name)) >= 0)
                return r->status = nn_fail(NN_EINVAL, "%s: class '%s' is given twice in classes",
                                           path, name);
            if (!set_add(&r->classes, name, strlen(name), 0))
                return out_of_memory(r);
        }
    } else {
        r->target_kind = TARGET_SEEN;
    }
    if (csv_init(&f->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return out_of_memory(r);
    csv_set_delim(&f->parser, (unsigned char)r->opt.sep);
    f->started = 1;
    return NN_OK;
}

static void parse_failed(csv_reader *r, struct csv_parser *p)
{
    int error = csv_error(p);
    if (error == CSV_ENOMEM || error == CSV_ETOOBIG)
        r->status = nn_fail(NN_ENOMEM, "%s:%llu: %s", r->path, r->line, csv_strerror(error));
    else
        r->status = nn_fail(NN_EFORMAT,
                            "%s:%llu:%u: malformed CSV, a quote inside an unquoted field or text after a closing quote (%s)",
                            r->path, r->line, r->field + 1, csv_strerror(error));
}

/* The next LF and CR at or after a place in a piece being fed, each searched
 * for again only once the feed has passed it: a piece is scanned once for
 * each (searching for one up to the other would rescan a file that has only
 * the other, once a line). NULL: none left in the piece. */
typedef struct line_breaks {
    const char *lf, *cr, *end;
} line_breaks;

static const char *next_after(const char *found, char c, const char *at, const char *end)
{
    if (found && found >= at)
        return found;
    return found ? memchr(at, c, (size_t)(end - at)) : NULL;
}

/* The length of the line that starts at `at`, its line break included: LF,
 * CRLF or a lone CR (libcsv ends a row at each); *breaks says whether it
 * ended in one. A CR at the piece's very end might be a CRLF's first half:
 * taken as no break, with r->cr_at_end set. */
static size_t line_length(csv_reader *r, line_breaks *b, const char *at, int *breaks)
{
    b->lf = next_after(b->lf, '\n', at, b->end);
    b->cr = next_after(b->cr, '\r', at, b->end);
    *breaks = 1;
    if (b->cr && (!b->lf || b->cr < b->lf)) {
        if (b->cr + 1 < b->end) /* a CRLF (up to the LF) or a lone CR */
            return (size_t)(b->cr - at) + 1 + (b->cr[1] == '\n');
        r->cr_at_end = 1; /* the last byte */
        *breaks = 0;
        return (size_t)(b->end - at);
    }
    if (b->lf)
        return (size_t)(b->lf - at) + 1;
    *breaks = 0;
    return (size_t)(b->end - at);
}

/* Feeds bytes to libcsv one line at a time, counting lines (LF, CRLF or a
 * lone CR ends one, as libcsv's rows). */
static nn_status feed_bytes(csv_feed *f, const char *bytes, size_t n)
{
    csv_reader *r = &f->r;
    if (n > 0 && r->cr_at_end) { /* the last piece ended in CR: a CRLF's LF, or a new line */
        r->cr_at_end = 0;
        if (bytes[0] == '\n') {
            if (csv_parse(&f->parser, bytes, 1, on_field, on_row, r) != 1 && r->status == NN_OK)
                parse_failed(r, &f->parser);
            bytes++, n--;
        }
        r->line++;
    }
    line_breaks b = {.end = bytes + n};
    if (n > 0) {
        b.lf = memchr(bytes, '\n', n);
        b.cr = memchr(bytes, '\r', n);
    }
    while (n > 0 && r->status == NN_OK) {
        int newline;
        size_t len = line_length(r, &b, bytes, &newline);
        if (!r->field_line) /* a row starts on the first line that is not blank */
            for (size_t i = 0; i < len && !r->field_line; i++)
                if (!is_blank(bytes[i]))
                    r->field_line = r->line;
        if (csv_parse(&f->parser, bytes, len, on_field, on_row, r) != len && r->status == NN_OK)
            parse_failed(r, &f->parser);
        bytes += len;
        n -= len;
        if (newline)
            r->line++;
    }
    return r->status;
}

/* Class numbers from the distinct values seen, when all of them are numbers. */
static nn_status number_the_classes(csv_reader *r)
{
    string_set *set = &r->classes;
    uint32_t largest = 0;
    for (uint32_t k = 0; k < set->count; k++) {
        double v;
        if (parse_number(set->names[k], strlen(set->names[k]), &v) != NUMBER_OK)
            return NN_OK; /* a string among them: every value names a class */
    }
    uint16_t *number = malloc(set->count * sizeof *number);
    if (!number)
        return out_of_memory(r);
    for (uint32_t k = 0; k < set->count; k++) {
        const char *s = set->names[k];
        char shown[CELL_SHOWN + 4];
        double v;
        parse_number(s, strlen(s), &v);
        cell_shown(shown, s, strlen(s));
        const char *before = NULL, *after = "";
        char above[64];
        if (!(v == floor(v))) {
            before = "", after = " is not an integer class number (for a float target set regression)";
        } else if (v < 0) {
            before = "class number ", after = " is negative";
        } else if (v > CSV_MAX_CLASS_NUMBER) {
            snprintf(above, sizeof above, " is above %u (at most %u classes)",
                     (unsigned)CSV_MAX_CLASS_NUMBER, NN_MAX_CLASSES);
            before = "class number ", after = above;
        }
        if (before) {
            free(number);
            return cell_fail(r, set->first_line[k], r->target_column, "%s'%s'%s", before, shown, after);
        }
        number[k] = (uint16_t)v;
        if (number[k] > largest)
            largest = number[k];
    }
    for (uint32_t i = 0; i < r->d.rows; i++)
        r->d.labels[i] = number[r->d.labels[i]];
    r->d.n_classes = largest + 1;
    free(number);
    set_free(set);
    return NN_OK;
}

/* After the last byte: the last row, then the classes and the final sizes. */
static nn_status feed_finish(csv_feed *f)
{
    csv_reader *r = &f->r;
    if (r->status == NN_OK && csv_fini(&f->parser, on_field, on_row, r) != 0 && r->status == NN_OK) {
        if (csv_error(&f->parser) == CSV_EPARSE)
            return r->status = nn_fail(NN_EFORMAT,
                                       "%s:%llu:%u: unterminated quoted field (the file ends inside it)",
                                       r->path, r->field_line ? r->field_line : r->line, r->field + 1);
        parse_failed(r, &f->parser);
    }
    if (r->status != NN_OK)
        return r->status;
    if (!r->columns)
        return r->status = nn_fail(NN_EFORMAT, "%s: empty file (no rows)", r->path);
    if (r->d.rows == 0)
        return r->status = nn_fail(NN_EFORMAT, "%s: no data rows (only the header)", r->path);
    if (r->target_kind == TARGET_SEEN && number_the_classes(r) != NN_OK)
        return r->status;
    string_set *set = &r->classes;
    if (set->count) { /* class names: given or seen */
        r->d.class_names = set->names;
        r->d.n_classes = set->count;
        set->names = NULL;
        set->count = 0;
        set_free(set);
    }
    float *x = realloc(r->d.x, (size_t)r->d.rows * r->d.features * sizeof *x);
    if (x)
        r->d.x = x;
    return NN_OK;
}

/* Frees the reader; on success moves its data to *out. */
static nn_status feed_end(csv_feed *f, nn_csv_data *out)
{
    csv_reader *r = &f->r;
    if (f->started)
        csv_free(&f->parser);
    for (uint32_t i = 0; i < r->first_count; i++)
        free(r->first[i]);
    free(r->first);
    free(r->first_lines);
    free(r->role);
    set_free(&r->classes);
    if (r->status == NN_OK)
        *out = r->d;
    else
        nn_csv_free(&r->d);
    return r->status;
}

static const char UTF8_BOM[3] = {'\xEF', '\xBB', '\xBF'};

nn_status nn_csv_parse(const char *bytes, size_t size, const char *name,
                       const nn_csv_options *options, nn_csv_data *out)
{
    memset(out, 0, sizeof *out);
    csv_feed *f = malloc(sizeof *f);
    if (!f)
        return nn_fail(NN_ENOMEM, "%s: out of memory reading the CSV", name);
    locale_t c_numbers = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t previous = c_numbers ? uselocale(c_numbers) : (locale_t)0;
    if (feed_start(f, name, options) == NN_OK) {
        if (size >= 3 && memcmp(bytes, UTF8_BOM, 3) == 0)
            bytes += 3, size -= 3;
        if (feed_bytes(f, bytes, size) == NN_OK)
            feed_finish(f);
    }
    nn_status st = feed_end(f, out);
    free(f);
    if (c_numbers) {
        uselocale(previous);
        freelocale(c_numbers);
    }
    return st;
}

nn_status nn_csv_read(const char *path, const nn_csv_options *options, nn_csv_data *out)
{
    memset(out, 0, sizeof *out);
    FILE *file;
    uint64_t size;
    nn_status st = nn_file_open_regular(path, &file, &size); /* no FIFO, device or folder */
    if (st != NN_OK)
        return st;
    csv_feed *f = malloc(sizeof *f);
    char *piece = malloc(CSV_READ_PIECE);
    if (!f || !piece) {
        free(f);
        free(piece);
        fclose(file);
        return nn_fail(NN_ENOMEM, "%s: out of memory reading the CSV", path);
    }
    locale_t c_numbers = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t previous = c_numbers ? uselocale(c_numbers) : (locale_t)0;
    if (feed_start(f, path, options) == NN_OK) {
        int first = 1;
        size_t n;
        while ((n = fread(piece, 1, CSV_READ_PIECE, file)) > 0) {
            const char *bytes = piece;
            if (first && n >= 3 && memcmp(bytes, UTF8_BOM, 3) == 0)
                bytes += 3, n -= 3;
            first = 0;
            if (feed_bytes(f, bytes, n) != NN_OK)
                break;
        }
        if (f->r.status == NN_OK && ferror(file))
            f->r.status = nn_fail(NN_EIO, "%s: read error: %s", path, strerror(errno));
        if (f->r.status == NN_OK)
            feed_finish(f);
    }
    st = feed_end(f, out);
    free(f);
    free(piece);
    fclose(file);
    if (c_numbers) {
        uselocale(previous);
        freelocale(c_numbers);
    }
    return st;
}

void nn_csv_free(nn_csv_data *d)
{
    free(d->x);
    free(d->labels);
    free(d->targets);
    for (uint32_t k = 0; d->class_names && k < d->n_classes; k++)
        free(d->class_names[k]);
    free(d->class_names);
    for (uint32_t k = 0; d->feature_names && k < d->features; k++)
        free(d->feature_names[k]);
    free(d->feature_names);
    free(d->target_name);
    memset(d, 0, sizeof *d);
}
