/* core.html: Markdown to HTML with cmark-gfm (CommonMark + GitHub's table
 * extension, Debian's libcmark-gfm), and base64 for data: URIs. The page
 * around the HTML, the CSS and which images to embed are decided in Lua
 * (lua/nnlab/notebook/html.lua).
 *
 * Raw HTML in the Markdown is never passed through: CMARK_OPT_UNSAFE stays
 * off, so cmark replaces it with a comment and drops javascript:/data: link
 * targets other than images (data:image/png etc. are kept).
 *
 * Everything cmark allocates lives in a box userdata made (empty) before the
 * first allocation, so an error raised while rendering (by the image
 * callback, or out of memory) leaks nothing: __gc frees what is there. */
#include "nnlab_bridge.h"

#include <stdlib.h>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#define LNN_CMARK_BOX "nnlab.CmarkBox"

typedef struct cmark_box {
    cmark_parser *parser;
    cmark_node *document;
    cmark_iter *iter;
    char *html; /* cmark_render_html's result, malloc'd */
} cmark_box;

static void cmark_box_free(cmark_box *box)
{
    if (box->iter)
        cmark_iter_free(box->iter);
    if (box->document)
        cmark_node_free(box->document);
    if (box->parser)
        cmark_parser_free(box->parser);
    free(box->html);
    *box = (cmark_box){0};
}

static int cmark_box_gc(lua_State *L)
{
    cmark_box_free(luaL_checkudata(L, 1, LNN_CMARK_BOX));
    return 0;
}

/* Lets image(url) replace each image's URL: a string return value is the new
 * URL, nil keeps it. The callback runs with the document half-walked; an
 * error it raises propagates (the box frees everything). */
static void rewrite_images(lua_State *L, cmark_box *box, int callback)
{
    box->iter = cmark_iter_new(box->document);
    if (!box->iter)
        luaL_error(L, "out of memory");
    cmark_event_type event;
    while ((event = cmark_iter_next(box->iter)) != CMARK_EVENT_DONE) {
        cmark_node *node = cmark_iter_get_node(box->iter);
        if (event != CMARK_EVENT_ENTER || cmark_node_get_type(node) != CMARK_NODE_IMAGE)
            continue;
        lua_pushvalue(L, callback);
        lua_pushstring(L, cmark_node_get_url(node));
        lua_call(L, 1, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            if (!cmark_node_set_url(node, lua_tostring(L, -1)))
                luaL_error(L, "cannot set an image's URL");
        } else if (!lua_isnil(L, -1)) {
            luaL_error(L, "html: the image callback must return a string or nil, got %s", luaL_typename(L, -1));
        }
        lua_pop(L, 1);
    }
}

/* core.html.from_markdown(text [, image]) -> html: CommonMark with GitHub
 * tables (aligned cells as align="right" etc.), raw HTML escaped, invalid
 * UTF-8 replaced. image(url) -> url | nil, optional, rewrites image URLs
 * (data: URIs for charts). */
static int html_from_markdown(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    int has_callback = !lua_isnoneornil(L, 2);
    if (has_callback)
        luaL_checktype(L, 2, LUA_TFUNCTION);
    cmark_box *box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = (cmark_box){0}; /* inert until something is allocated */
    luaL_setmetatable(L, LNN_CMARK_BOX);

    const int options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;
    cmark_gfm_core_extensions_ensure_registered();
    cmark_syntax_extension *table = cmark_find_syntax_extension("table");
    if (!table)
        return luaL_error(L, "html: cmark-gfm has no table extension");
    box->parser = cmark_parser_new(options);
    if (!box->parser || !cmark_parser_attach_syntax_extension(box->parser, table))
        return luaL_error(L, "html: cannot set up the cmark-gfm parser");
    cmark_parser_feed(box->parser, text, len);
    box->document = cmark_parser_finish(box->parser);
    if (!box->document)
        return luaL_error(L, "html: cmark-gfm could not parse the Markdown");
    if (has_callback)
        rewrite_images(L, box, 2);
    box->html = cmark_render_html(box->document, options, cmark_parser_get_syntax_extensions(box->parser));
    if (!box->html)
        return luaL_error(L, "out of memory");
    lua_pushstring(L, box->html);
    cmark_box_free(box); /* now; __gc later finds the box empty */
    return 1;
}

/* core.html.base64(bytes) -> the RFC 4648 base64 text of bytes (with = padding). */
static int html_base64(lua_State *L)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t len;
    const unsigned char *in = (const unsigned char *)luaL_checklstring(L, 1, &len);
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, (len + 2) / 3 * 4);
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = digits[v >> 18];
        out[o++] = digits[(v >> 12) & 63];
        out[o++] = digits[(v >> 6) & 63];
        out[o++] = digits[v & 63];
    }
    if (i < len) { /* 1 or 2 bytes left */
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = digits[v >> 18];
        out[o++] = digits[(v >> 12) & 63];
        out[o++] = i + 1 < len ? digits[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    luaL_pushresultsize(&b, o);
    return 1;
}

static const luaL_Reg html_functions[] = {
    {"from_markdown", html_from_markdown},
    {"base64", html_base64},
    {NULL, NULL},
};

static const luaL_Reg cmark_box_metamethods[] = {
    {"__gc", cmark_box_gc},
    {NULL, NULL},
};

void lnn_open_html(lua_State *L)
{
    lnn_create_meta(L, LNN_CMARK_BOX, NULL, cmark_box_metamethods);
    luaL_newlib(L, html_functions);
    lua_setfield(L, -2, "html");
}
