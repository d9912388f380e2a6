/* core.codec: the hot loops of the notebook's cache, in C.
 *   codec.encode(v)              canonical text of a value (serialize.encode)
 *   codec.number(x)              shortest exact text of a number (serialize.number)
 *   codec.decode(text [, name])  the strict reader of data text ("return <value>")
 *                                behind nnlab.notebook.serialize.decode
 *   codec.fnv1a64(s [, h])       64-bit FNV-1a behind nnlab.notebook.hash.fnv1a64
 *
 * Why in the bridge: with a sweep's runs all cached, encoding keys, reading
 * entries and hashing were nearly all of the time, in Lua. The text, the values
 * and every message are exactly those of the Lua code this replaces, which the
 * tests keep as the oracle (tests/nnlab/serialize_reference.lua,
 * tests/nnlab/test_codec.lua): cache files are named by the hash of the
 * encoded key, so one byte of difference would orphan every cached run. What
 * is cached and how keys are built stays in lua/nnlab/notebook/.
 *
 * The reader treats its text as outside input: it builds values, never runs
 * anything; time and memory are linear in the text; tables nest at most
 * CODEC_MAX_DEPTH deep, which also bounds the C recursion. A refused text gives
 * nil and "name:line: what"; only a memory error raises. The encoder raises
 * "serialize: ..." as the Lua one did; it alone refuses tables nested more than
 * CODEC_ENCODE_DEPTH deep (the Lua one went on until Lua's stack ran out). */
#include "nnlab_bridge.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CODEC_MAX_DEPTH = 64 };  /* as MAX_DEPTH in serialize.lua */
enum { CODEC_EXCERPT = 10 };    /* bytes of text quoted in a message */
enum { CODEC_NUMBER_BUF = 64 }; /* number tokens up to this long convert without a Lua string */

/* One text being read. Each read_* function leaves what it read on the stack
 * and returns 1, or stores the refusal message in msg_idx and returns 0 (the
 * stack above is then abandoned: decode resets it). */
struct reader {
    lua_State *L;
    const char *text;
    size_t len;
    size_t pos; /* 0-based; serialize.lua's pos - 1 */
    int name_idx;
    int msg_idx;
};

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
/* Lua's %a, %w and %c in the C locale (nnlab never sets another). */
static int is_name_start(unsigned char c) { return is_alpha(c) || c == '_'; }
static int is_name_char(unsigned char c) { return is_name_start(c) || is_digit(c); }
static int is_control(unsigned char c) { return c < 32 || c == 127; }

static int at(const struct reader *r, size_t i) { return i < r->len ? (unsigned char)r->text[i] : -1; }

static void skip_space(struct reader *r)
{
    while (r->pos < r->len && is_space((unsigned char)r->text[r->pos])) r->pos++;
}

/* The length of the name (identifier or keyword) at pos; 0 if none. */
static size_t name_length(const struct reader *r)
{
    size_t i = r->pos;
    if (i >= r->len || !is_name_start((unsigned char)r->text[i])) return 0;
    while (i < r->len && is_name_char((unsigned char)r->text[i])) i++;
    return i - r->pos;
}

static int name_is(const struct reader *r, size_t n, const char *word)
{
    return n == strlen(word) && memcmp(r->text + r->pos, word, n) == 0;
}

static int is_keyword(const char *s, size_t n)
{
    static const char *const keywords[] = {
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
        "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
    };
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strlen(keywords[i]) == n && memcmp(keywords[i], s, n) == 0) return 1;
    return 0;
}

/* Up to CODEC_EXCERPT bytes from pos, control characters as '?' (r.excerpt()). */
static const char *excerpt(const struct reader *r, char buf[CODEC_EXCERPT + 1])
{
    size_t n = 0;
    for (size_t i = r->pos; i < r->len && n < CODEC_EXCERPT; i++, n++) {
        unsigned char c = (unsigned char)r->text[i];
        buf[n] = is_control(c) ? '?' : (char)c;
    }
    buf[n] = '\0';
    return buf;
}

/* Stores "name:line: " .. the string on top of the stack (popped) as the
 * refusal; line counts the newlines before pos. Returns 0. */
static int fail_with_top(struct reader *r)
{
    lua_State *L = r->L;
    lua_Integer line = 1;
    const char *p = r->text, *end = r->text + (r->pos < r->len ? r->pos : r->len);
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) { line++; p++; }
    lua_pushvalue(L, r->name_idx);
    lua_pushfstring(L, ":%I: ", line);
    lua_rotate(L, -3, 2); /* name, ":line: ", what */
    lua_concat(L, 3);
    lua_replace(L, r->msg_idx);
    return 0;
}

static int fail(struct reader *r, const char *fmt, ...)
{
    va_list args;
    luaL_checkstack(r->L, 4, "data text");
    va_start(args, fmt);
    lua_pushvfstring(r->L, fmt, args);
    va_end(args);
    return fail_with_top(r);
}

static int fail_excerpt(struct reader *r, const char *fmt)
{
    char buf[CODEC_EXCERPT + 1];
    return fail(r, fmt, excerpt(r, buf));
}

/* Skips space, then consumes ch or refuses ("'ch' expected near '...'"). */
static int expect(struct reader *r, char ch)
{
    char buf[CODEC_EXCERPT + 1];
    skip_space(r);
    if (at(r, r->pos) != (unsigned char)ch) return fail(r, "'%c' expected near '%s'", ch, excerpt(r, buf));
    r->pos++;
    return 1;
}

/* A double-quoted string at pos, with the escapes %q writes and Lua reads:
 * \\ \" \' \<newline> \n \r \t \a \b \f \v and \ddd up to 255. */
static int read_string(struct reader *r)
{
    lua_State *L = r->L;
    const char *t = r->text;
    size_t i = r->pos + 1, s = i;
    while (s < r->len && t[s] != '"' && t[s] != '\\' && t[s] != '\n' && t[s] != '\r') s++;
    if (s < r->len && t[s] == '"') { /* no escapes: the common case */
        lua_pushlstring(L, t + i, s - i);
        r->pos = s + 1;
        return 1;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (;;) {
        if (s >= r->len) return fail(r, "unfinished string");
        luaL_addlstring(&b, t + i, s - i);
        char c = t[s];
        if (c == '"') break;
        if (c != '\\') { r->pos = s; return fail(r, "unfinished string"); }
        int e = at(r, s + 1);
        if (is_digit((unsigned char)e)) {
            int code = 0;
            size_t d = s + 1;
            for (; d < s + 4 && d < r->len && is_digit((unsigned char)t[d]); d++) code = code * 10 + (t[d] - '0');
            if (code > 255) { r->pos = s; return fail(r, "decimal escape too large"); }
            luaL_addchar(&b, (char)code);
            i = d;
        } else {
            char out;
            switch (e) {
            case '\\': out = '\\'; break;
            case '"': out = '"'; break;
            case '\'': out = '\''; break;
            case '\n': out = '\n'; break;
            case 'n': out = '\n'; break;
            case 'r': out = '\r'; break;
            case 't': out = '\t'; break;
            case 'a': out = '\a'; break;
            case 'b': out = '\b'; break;
            case 'f': out = '\f'; break;
            case 'v': out = '\v'; break;
            default: r->pos = s; return fail(r, "invalid escape sequence");
            }
            luaL_addchar(&b, out);
            i = s + 2;
        }
        s = i;
        while (s < r->len && t[s] != '"' && t[s] != '\\' && t[s] != '\n' && t[s] != '\r') s++;
    }
    luaL_pushresult(&b);
    r->pos = s + 1;
    return 1;
}

/* A number token (%-?%d[%d%.eE%+%-]*) read as Lua's tonumber reads it:
 * integers stay integers unless they overflow, hexadecimal cannot occur. */
static int read_number(struct reader *r)
{
    lua_State *L = r->L;
    const char *t = r->text;
    size_t p = r->pos;
    if (at(r, p) == '-') p++;
    if (!is_digit((unsigned char)at(r, p))) return fail_excerpt(r, "malformed number near '%s'");
    size_t digits_from = p;
    while (p < r->len && is_digit((unsigned char)t[p])) p++;
    size_t digits_to = p;
    while (p < r->len && (is_digit((unsigned char)t[p]) || t[p] == '.' || t[p] == 'e' || t[p] == 'E' ||
                          t[p] == '+' || t[p] == '-'))
        p++;
    size_t n = p - r->pos;
    if (p == digits_to && digits_to - digits_from <= 18) { /* a plain integer that cannot overflow */
        lua_Integer v = 0;
        for (size_t i = digits_from; i < digits_to; i++) v = v * 10 + (t[i] - '0');
        lua_pushinteger(L, t[r->pos] == '-' ? -v : v);
        r->pos = p;
        return 1;
    }
    size_t converted;
    if (n < CODEC_NUMBER_BUF) {
        char buf[CODEC_NUMBER_BUF];
        memcpy(buf, t + r->pos, n);
        buf[n] = '\0';
        converted = lua_stringtonumber(L, buf);
    } else { /* a long token: as a Lua string, so that it has its terminating zero */
        lua_pushlstring(L, t + r->pos, n);
        converted = lua_stringtonumber(L, lua_tostring(L, -1));
        if (converted) lua_remove(L, -2);
    }
    if (converted != n + 1) return fail_excerpt(r, "malformed number near '%s'");
    r->pos = p;
    return 1;
}

/* (0/0), (1/0) or (-1/0). */
static int read_special(struct reader *r)
{
    static const char *const literals[] = { "(0/0)", "(1/0)", "(-1/0)" };
    volatile lua_Number zero = 0; /* NaN computed at run time, as Lua's 0/0 is */
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(literals[i]);
        if (r->len - r->pos >= n && memcmp(r->text + r->pos, literals[i], n) == 0) {
            r->pos += n;
            lua_pushnumber(r->L, i == 0 ? zero / zero : i == 1 ? 1 / zero : -1 / zero);
            return 1;
        }
    }
    return fail_excerpt(r, "unexpected '%s'");
}

static int read_value(struct reader *r, int depth);

/* One field of the table at t_idx: [key] = value, name = value or a value.
 * Keys already given (also those whose value was nil, kept in the set at
 * nil_idx, created on first need) are refused. */
static int read_field(struct reader *r, int t_idx, int nil_idx, lua_Integer *items, int depth)
{
    lua_State *L = r->L;
    size_t word = name_length(r);
    if (at(r, r->pos) == '[') {
        r->pos++;
        skip_space(r);
        if (!read_value(r, depth)) return 0;
        if (!lua_isinteger(L, -1) && lua_type(L, -1) != LUA_TSTRING)
            return fail(r, "table keys must be integers or strings");
        if (!expect(r, ']') || !expect(r, '=')) return 0;
        if (!read_value(r, depth)) return 0;
    } else if (word > 0 && !name_is(r, word, "true") && !name_is(r, word, "false") && !name_is(r, word, "nil")) {
        if (is_keyword(r->text + r->pos, word)) {
            lua_pushlstring(L, r->text + r->pos, word);
            lua_pushfstring(L, "unexpected '%s'", lua_tostring(L, -1));
            lua_remove(L, -2);
            return fail_with_top(r);
        }
        lua_pushlstring(L, r->text + r->pos, word);
        r->pos += word;
        if (!expect(r, '=')) return 0;
        if (!read_value(r, depth)) return 0;
    } else {
        lua_pushinteger(L, ++*items);
        if (!read_value(r, depth)) return 0;
    }
    /* key, value on top */
    lua_pushvalue(L, -2);
    int duplicate = lua_rawget(L, t_idx) != LUA_TNIL;
    lua_pop(L, 1);
    if (!duplicate && lua_istable(L, nil_idx)) {
        lua_pushvalue(L, -2);
        duplicate = lua_rawget(L, nil_idx) != LUA_TNIL;
        lua_pop(L, 1);
    }
    if (duplicate) {
        lua_pushliteral(L, "duplicate key ");
        luaL_tolstring(L, -3, NULL);
        lua_concat(L, 2);
        return fail_with_top(r);
    }
    if (lua_isnil(L, -1)) { /* t[key] = nil stores nothing: remember the key */
        if (!lua_istable(L, nil_idx)) {
            lua_newtable(L);
            lua_replace(L, nil_idx);
        }
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
        lua_rawset(L, nil_idx);
    } else {
        lua_rawset(L, t_idx);
    }
    return 1;
}

static int read_table(struct reader *r, int depth)
{
    lua_State *L = r->L;
    if (depth > CODEC_MAX_DEPTH) return fail(r, "tables nested more than %d deep", CODEC_MAX_DEPTH);
    luaL_checkstack(L, 16, "data text");
    r->pos++; /* "{" */
    lua_newtable(L);
    int t_idx = lua_gettop(L);
    lua_pushnil(L); /* the keys given a nil value, once there is one */
    int nil_idx = t_idx + 1;
    lua_Integer items = 0;
    for (;;) {
        skip_space(r);
        if (at(r, r->pos) == '}') break;
        if (!read_field(r, t_idx, nil_idx, &items, depth)) return 0;
        skip_space(r);
        int sep = at(r, r->pos);
        if (sep == ',' || sep == ';') r->pos++;
        else if (sep != '}') return fail(r, "',' or '}' expected");
    }
    r->pos++; /* "}" */
    lua_settop(L, t_idx);
    return 1;
}

static int read_value(struct reader *r, int depth)
{
    lua_State *L = r->L;
    skip_space(r);
    int c = at(r, r->pos);
    if (c == '{') return read_table(r, depth + 1);
    if (c == '"') return read_string(r);
    if (c == '(') return read_special(r);
    if (c == '-' || is_digit((unsigned char)c)) return read_number(r);
    size_t word = name_length(r);
    if (name_is(r, word, "nil")) { r->pos += 3; lua_pushnil(L); return 1; }
    if (name_is(r, word, "true")) { r->pos += 4; lua_pushboolean(L, 1); return 1; }
    if (name_is(r, word, "false")) { r->pos += 5; lua_pushboolean(L, 0); return 1; }
    if (r->pos >= r->len) return fail(r, "unexpected end of text");
    if (word == 0) return fail_excerpt(r, "unexpected '%s'");
    char buf[CODEC_EXCERPT + 1];
    size_t n = word < CODEC_EXCERPT ? word : CODEC_EXCERPT;
    memcpy(buf, r->text + r->pos, n);
    buf[n] = '\0';
    return fail(r, "unexpected '%s'", buf);
}

/* codec.decode(text [, name]) -> table | nil, "name:line: what" (serialize.decode). */
static int codec_decode(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING) {
        lua_pushnil(L);
        lua_pushliteral(L, "not text");
        return 2;
    }
    struct reader r = { .L = L };
    r.text = lua_tolstring(L, 1, &r.len);
    lua_settop(L, 2);
    if (!lua_toboolean(L, 2)) lua_pushliteral(L, "data");
    else luaL_tolstring(L, 2, NULL);
    r.name_idx = 3;
    lua_pushnil(L);
    r.msg_idx = 4;
    int ok = 0;
    skip_space(&r);
    if (!name_is(&r, name_length(&r), "return")) fail(&r, "'return' expected at the start");
    else {
        r.pos += 6;
        ok = read_value(&r, 0);
        if (ok) {
            skip_space(&r);
            if (r.pos < r.len) ok = fail(&r, "unexpected text after the value");
        }
    }
    if (!ok) {
        lua_pushnil(L);
        lua_pushvalue(L, r.msg_idx);
        return 2;
    }
    if (!lua_istable(L, -1)) {
        lua_pushnil(L);
        lua_pushvalue(L, r.name_idx);
        lua_pushliteral(L, ": does not hold a table");
        lua_concat(L, 2);
        return 2;
    }
    return 1;
}

/* codec.fnv1a64(s [, h]) -> 64-bit FNV-1a of the bytes of s from h (default
 * the offset basis), as a (wrapping, signed) Lua integer. */
static int codec_fnv1a64(lua_State *L)
{
    size_t n;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
    uint64_t h = lua_toboolean(L, 2) ? (uint64_t)luaL_checkinteger(L, 2) : 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
    lua_pushinteger(L, (lua_Integer)h);
    return 1;
}

/* ---- encode: canonical text, byte for byte what serialize.lua's Lua encoder
 * wrote (cache files are named by its hash) ---------------------------------- */

enum { CODEC_ENCODE_DEPTH = 200 }; /* tables nested deeper are refused: bounds the C recursion (as LUAI_MAXCCALLS) */
enum { CODEC_SMALL_KEYS = 16 };     /* keys of a table sorted without allocating */

/* The text being written: first in `first` (on codec_encode's C stack), then
 * in a growing full userdata at buf_idx (collected if an error unwinds); the
 * table at anchor_idx (made at the first string key, nil until then); the
 * tables on the path from the root (for cycles). The writer itself lives on
 * the C stack: planning encodes three key fields per run, and each call
 * allocated 2 KB, which in the big heap of 10^5 cached runs went through
 * malloc's slow path (consolidating the freed small blocks). */
struct writer {
    lua_State *L;
    int buf_idx, anchor_idx;
    char *p;
    size_t len, cap;
    lua_Integer anchored;
    const void *path[CODEC_ENCODE_DEPTH];
    int depth;
    char first[256];
};

static void put(struct writer *w, const char *s, size_t n)
{
    if (n > w->cap - w->len) {
        size_t cap = w->cap * 2 > w->len + n ? w->cap * 2 : w->len + n;
        char *p = lua_newuserdatauv(w->L, cap, 0);
        memcpy(p, w->p, w->len);
        lua_replace(w->L, w->buf_idx);
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void put_char(struct writer *w, char c) { put(w, &c, 1); }

/* serialize.number: integers as %d; floats in the shortest of %.15g, %.16g,
 * %.17g that reads back as exactly x, with ".0" if it looks like an integer;
 * NaN and infinities as (0/0), (1/0), (-1/0). (strtod(text) == x is Lua's
 * tonumber(text) == x here: an integer-looking %g text has at most 16 digits
 * and so is exact as a double.) Returns the length written into buf. */
static size_t format_number(lua_State *L, int idx, char buf[64])
{
    if (lua_isinteger(L, idx)) return (size_t)snprintf(buf, 64, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
    double x = (double)lua_tonumber(L, idx);
    if (x != x) return (size_t)snprintf(buf, 64, "(0/0)");
    if (x == HUGE_VAL) return (size_t)snprintf(buf, 64, "(1/0)");
    if (x == -HUGE_VAL) return (size_t)snprintf(buf, 64, "(-1/0)");
    int n = snprintf(buf, 64, "%.15g", x);
    if (strtod(buf, NULL) != x) {
        n = snprintf(buf, 64, "%.16g", x);
        if (strtod(buf, NULL) != x) n = snprintf(buf, 64, "%.17g", x);
    }
    if (!strpbrk(buf, ".eEn")) { memcpy(buf + n, ".0", 3); n += 2; }
    return (size_t)n;
}

/* %q of a string, as lstrlib.c's addquoted writes it. */
static void put_quoted(struct writer *w, const char *s, size_t n)
{
    put_char(w, '"');
    size_t run = 0; /* bytes copied as they are, flushed in one put */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '"' && c != '\\' && c != '\n' && !is_control(c)) { run++; continue; }
        put(w, s + i - run, run);
        run = 0;
        if (c == '"' || c == '\\' || c == '\n') {
            char esc[2] = { '\\', (char)c };
            put(w, esc, 2);
        } else { /* s[n] is the Lua string's terminating zero */
            char esc[8];
            int k = snprintf(esc, sizeof esc, is_digit((unsigned char)s[i + 1]) ? "\\%03d" : "\\%d", c);
            put(w, esc, (size_t)k);
        }
    }
    put(w, s + n - run, run);
    put_char(w, '"');
}

static int is_identifier(const char *s, size_t n)
{
    if (n == 0 || !is_name_start((unsigned char)s[0])) return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_name_char((unsigned char)s[i])) return 0;
    return !is_keyword(s, n);
}

struct key {
    const char *s; /* NULL for an integer key */
    size_t len;
    lua_Integer i;
};

static int compare_keys(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;
    if (!a->s) return (a->i > b->i) - (a->i < b->i);
    /* table.sort's < on strings: strcoll, which is byte order in the C locale nnlab runs in */
    int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void encode_value(struct writer *w, int idx);

/* Pushes pairs(t)'s iteration state for the table at idx: __pairs's three
 * results (f, s, the first control), or nothing when plain next will do
 * (returns 0). */
static int pairs_start(lua_State *L, int idx)
{
    if (luaL_getmetafield(L, idx, "__pairs") == LUA_TNIL) return 0;
    lua_pushvalue(L, idx);
    lua_call(L, 1, 3);
    return 1;
}

/* Replaces the control on top by the next key, value of the iteration, or
 * pops it and returns 0 at the end (lua_next's contract, for pairs too). */
static int pairs_next(lua_State *L, int idx, int meta, int state)
{
    if (!meta) return lua_next(L, idx);
    lua_pushvalue(L, state);     /* f */
    lua_pushvalue(L, state + 1); /* s */
    lua_pushvalue(L, -3);        /* the control: the previous key */
    lua_call(L, 2, 2);
    lua_remove(L, -3);
    if (lua_isnil(L, -2)) { lua_pop(L, 2); return 0; }
    return 1;
}

static void encode_table(struct writer *w, int idx)
{
    lua_State *L = w->L;
    const void *self = lua_topointer(L, idx);
    for (int d = 0; d < w->depth; d++)
        if (w->path[d] == self) luaL_error(L, "serialize: cannot serialise a table that contains itself");
    if (w->depth == CODEC_ENCODE_DEPTH) luaL_error(L, "serialize: tables nested more than %d deep", CODEC_ENCODE_DEPTH);
    luaL_checkstack(L, 12, "serialize");
    w->path[w->depth++] = self;
    int base = lua_gettop(L);

    /* the keys, as sorted_keys collects them: integers and strings, else an error */
    struct key small[CODEC_SMALL_KEYS], *keys = small;
    size_t n = 0, cap = CODEC_SMALL_KEYS, ints = 0;
    int meta = pairs_start(L, idx), state = base + 1; /* f, s, and the control on top */
    if (!meta) lua_pushnil(L);                          /* next's control */
    while (pairs_next(L, idx, meta, state)) {
        lua_pop(L, 1);
        if (n == cap) { /* more keys: a userdata array, kept below the iteration state */
            struct key *more = lua_newuserdatauv(L, 2 * cap * sizeof *more, 0);
            memcpy(more, keys, n * sizeof *more);
            keys = more;
            cap *= 2;
            lua_insert(L, base + 1);
            state++;
        }
        if (lua_isinteger(L, -1)) {
            keys[n++] = (struct key){ .s = NULL, .i = lua_tointeger(L, -1) };
            ints++;
        } else if (lua_type(L, -1) == LUA_TSTRING) {
            size_t len;
            const char *s = lua_tolstring(L, -1, &len);
            if (w->anchored == 0) {
                lua_newtable(L);
                lua_replace(L, w->anchor_idx);
            }
            lua_pushvalue(L, -1); /* kept alive until the text is done */
            lua_rawseti(L, w->anchor_idx, ++w->anchored);
            keys[n++] = (struct key){ .s = s, .len = len };
        } else {
            luaL_error(L, "serialize: cannot serialise a %s key", luaL_typename(L, -1));
        }
    }
    /* integers first, then strings, each sorted */
    size_t lo = 0;
    for (size_t k = 0; k < n; k++)
        if (!keys[k].s) { struct key t = keys[lo]; keys[lo++] = keys[k]; keys[k] = t; }
    qsort(keys, ints, sizeof *keys, compare_keys);
    qsort(keys + ints, n - ints, sizeof *keys, compare_keys);

    put_char(w, '{');
    size_t array = 0; /* the items 1..array are written without keys */
    while (array < ints && keys[array].i == (lua_Integer)array + 1) array++;
    for (size_t k = 0; k < n; k++) {
        if (k < array) {
            lua_geti(L, idx, keys[k].i);
        } else if (!keys[k].s) {
            char buf[40];
            int len = snprintf(buf, sizeof buf, "[" LUA_INTEGER_FMT "]=", (LUAI_UACINT)keys[k].i);
            put(w, buf, (size_t)len);
            lua_geti(L, idx, keys[k].i);
        } else {
            if (is_identifier(keys[k].s, keys[k].len)) {
                put(w, keys[k].s, keys[k].len);
                put_char(w, '=');
            } else {
                put_char(w, '[');
                put_quoted(w, keys[k].s, keys[k].len);
                put(w, "]=", 2);
            }
            lua_pushlstring(L, keys[k].s, keys[k].len);
            lua_gettable(L, idx);
        }
        encode_value(w, lua_gettop(L));
        lua_pop(L, 1);
        put_char(w, ',');
    }
    put_char(w, '}');
    lua_settop(L, base);
    w->depth--;
}

static void encode_value(struct writer *w, int idx)
{
    lua_State *L = w->L;
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER: {
        char buf[64];
        put(w, buf, format_number(L, idx, buf));
        break;
    }
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        put_quoted(w, s, n);
        break;
    }
    case LUA_TBOOLEAN:
        if (lua_toboolean(L, idx)) put(w, "true", 4);
        else put(w, "false", 5);
        break;
    case LUA_TNIL: put(w, "nil", 3); break;
    case LUA_TTABLE: encode_table(w, idx); break;
    default: luaL_error(L, "serialize: cannot serialise a %s", luaL_typename(L, idx));
    }
}

/* codec.encode(v) -> the canonical text of v (serialize.encode); errors as it. */
static int codec_encode(lua_State *L)
{
    lua_settop(L, 3); /* encode() is encode(nil), as in Lua; 2: the buffer, 3: the anchors */
    struct writer writer, *w = &writer;
    w->L = L;
    w->p = w->first;
    w->cap = sizeof w->first;
    w->len = 0;
    w->depth = 0;
    w->anchored = 0;
    w->buf_idx = 2;
    w->anchor_idx = 3;
    encode_value(w, 1);
    lua_pushlstring(L, w->p, w->len);
    return 1;
}

/* codec.number(x) -> serialize.number(x). */
static int codec_number(lua_State *L)
{
    char buf[64];
    luaL_checktype(L, 1, LUA_TNUMBER);
    size_t n = format_number(L, 1, buf);
    lua_pushlstring(L, buf, n);
    return 1;
}

static const luaL_Reg codec_functions[] = {
    {"decode", codec_decode},
    {"fnv1a64", codec_fnv1a64},
    {"encode", codec_encode},
    {"number", codec_number},
    {NULL, NULL},
};

void lnn_open_codec(lua_State *L)
{
    luaL_newlib(L, codec_functions);
    lua_setfield(L, -2, "codec");
}
