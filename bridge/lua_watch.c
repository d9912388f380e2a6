/* core.watch: Linux inotify for `nnlab watch` (lua/nnlab/watch.lua). A
 * watcher watches folders, not files: editors save by writing a new file
 * and renaming it over the old one, which ends a watch on the old file's
 * inode but not one on its folder. The policy (which names matter, the
 * debounce, what a change starts) stays in Lua; these are thin wrappers
 * with io's nil, message, errno failures.
 *
 *   local w = core.watch.open()          -- a watcher (inotify_init1)
 *   local wd = w:add("experiments")      -- watch a folder; wd identifies it
 *   w:remove(wd)                         -- stop watching it (a "gone" event follows)
 *   proc.poll({ w:fd() }, 500)           -- wait for events with the other fds
 *   for _, e in ipairs(w:read()) do      -- { wd = 1, name = "x.lua", kind = "written" }
 *   w:close()                            -- also __gc and __close
 */
#include "nnlab_bridge.h"

#include <errno.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define LNN_WATCHER "nnlab.Watcher"

/* What a folder watch reports: a file written and closed, renamed into or
 * out of the folder, created or deleted, and the folder itself moved (its
 * watch follows the folder, no longer the path). */
#define WATCH_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MOVE_SELF)
/* Bytes read at once: many events (each at most sizeof(struct inotify_event)
 * + NAME_MAX + 1 bytes). */
#define WATCH_READ_BYTES 65536

typedef struct lnn_watcher {
    int fd; /* -1 once closed (or before it is opened) */
} lnn_watcher;

static lnn_watcher *check_watcher(lua_State *L)
{
    lnn_watcher *w = luaL_checkudata(L, 1, LNN_WATCHER);
    luaL_argcheck(L, w->fd >= 0, 1, "watcher is closed");
    return w;
}

/* core.watch.open() -> watcher | nil, message, errno */
static int watch_open(lua_State *L)
{
    lnn_watcher *w = lua_newuserdatauv(L, sizeof *w, 0);
    w->fd = -1; /* inert until inotify_init1 succeeds */
    luaL_setmetatable(L, LNN_WATCHER);
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0)
        return luaL_fileresult(L, 0, "inotify_init1");
    return 1;
}

/* watcher:add(folder) -> wd | nil, message, errno. The same folder (by
 * inode) added twice gives the same wd. */
static int watcher_add(lua_State *L)
{
    lnn_watcher *w = check_watcher(L);
    const char *folder = luaL_checkstring(L, 2);
    int wd = inotify_add_watch(w->fd, folder, WATCH_EVENTS | IN_ONLYDIR);
    if (wd < 0)
        return luaL_fileresult(L, 0, folder);
    lua_pushinteger(L, wd);
    return 1;
}

/* watcher:remove(wd) -> true | nil, message, errno: ends a folder's watch
 * (its "gone" event follows). A watch that has already ended is not an
 * error. */
static int watcher_remove(lua_State *L)
{
    lnn_watcher *w = check_watcher(L);
    int wd = (int)luaL_checkinteger(L, 2);
    if (inotify_rm_watch(w->fd, wd) < 0 && errno != EINVAL)
        return luaL_fileresult(L, 0, "inotify_rm_watch");
    lua_pushboolean(L, 1);
    return 1;
}

/* watcher:fd() -> the descriptor to give proc.poll */
static int watcher_fd(lua_State *L)
{
    lua_pushinteger(L, check_watcher(L)->fd);
    return 1;
}

static const char *event_kind(uint32_t mask)
{
    if (mask & IN_CLOSE_WRITE)
        return "written";
    if (mask & IN_MOVED_TO)
        return "moved_in";
    if (mask & IN_MOVED_FROM)
        return "moved_out";
    if (mask & IN_CREATE)
        return "created";
    if (mask & IN_DELETE)
        return "deleted";
    if (mask & IN_MOVE_SELF)
        return "moved"; /* the folder itself was renamed */
    if (mask & IN_Q_OVERFLOW)
        return "overflow"; /* events were lost: the caller assumes anything changed */
    if (mask & IN_IGNORED)
        return "gone"; /* the folder was deleted or unmounted */
    return "other";
}

/* watcher:read() -> { { wd, name, kind }, ... } of the events waiting
 * (empty when none): kind "written", "moved_in", "moved_out", "created",
 * "deleted", "moved" (the folder itself was renamed), "overflow" (wd -1:
 * events were lost) or "gone" (the folder's watch ended). | nil, message,
 * errno */
static int watcher_read(lua_State *L)
{
    lnn_watcher *w = check_watcher(L);
    /* aligned as inotify_event, as inotify(7) asks */
    char *buffer = lua_newuserdatauv(L, WATCH_READ_BYTES, 0);
    lua_newtable(L);
    lua_Integer n = 0;
    for (;;) {
        ssize_t got;
        do {
            got = read(w->fd, buffer, WATCH_READ_BYTES);
        } while (got < 0 && errno == EINTR);
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (got <= 0)
            return luaL_fileresult(L, 0, "inotify read");
        for (char *p = buffer; p < buffer + got;) {
            struct inotify_event ev;
            memcpy(&ev, p, sizeof ev);
            lua_createtable(L, 0, 3);
            lua_pushinteger(L, ev.wd);
            lua_setfield(L, -2, "wd");
            lua_pushstring(L, ev.len > 0 ? p + sizeof ev : "");
            lua_setfield(L, -2, "name");
            lua_pushstring(L, event_kind(ev.mask));
            lua_setfield(L, -2, "kind");
            lua_rawseti(L, -2, ++n);
            p += sizeof ev + ev.len;
        }
    }
    return 1;
}

/* __gc, __close and watcher:close(): closes the descriptor once. */
static int watcher_close(lua_State *L)
{
    lnn_watcher *w = luaL_checkudata(L, 1, LNN_WATCHER);
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    return 0;
}

static const luaL_Reg watcher_methods[] = {
    {"add", watcher_add},
    {"remove", watcher_remove},
    {"fd", watcher_fd},
    {"read", watcher_read},
    {"close", watcher_close},
    {NULL, NULL},
};

static const luaL_Reg watcher_metamethods[] = {
    {"__gc", watcher_close},
    {"__close", watcher_close},
    {NULL, NULL},
};

static const luaL_Reg watch_functions[] = {
    {"open", watch_open},
    {NULL, NULL},
};

void lnn_open_watch(lua_State *L)
{
    lnn_create_meta(L, LNN_WATCHER, watcher_methods, watcher_metamethods);
    luaL_newlib(L, watch_functions);
    lua_setfield(L, -2, "watch");
}
