/* core.proc: the few POSIX calls the notebook's worker pool, progress display
 * and report writer need (fork, wait, pipes, poll, a monotonic clock, isatty,
 * mkdir). Thin wrappers only: which job runs where, what a child does and how
 * failures are reported is lua/nnlab/workers.lua's policy. Failures return
 * nil, message, errno as io functions do. */
#include "nnlab_bridge.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROC_READ_MAX 65536

/* proc.fork() -> pid in the parent, 0 in the child | nil, message */
static int proc_fork(lua_State *L)
{
    pid_t pid = fork();
    if (pid < 0)
        return luaL_fileresult(L, 0, "fork");
    lua_pushinteger(L, pid);
    return 1;
}

/* proc.wait(pid [, nohang]) -> pid, "exited" | "signaled", code or signal
 * pid -1 waits for any child; with nohang, returns nothing while none has ended. */
static int proc_wait(lua_State *L)
{
    pid_t pid = (pid_t)luaL_checkinteger(L, 1);
    int options = lua_toboolean(L, 2) ? WNOHANG : 0;
    int status;
    pid_t got;
    do {
        got = waitpid(pid, &status, options);
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return luaL_fileresult(L, 0, "waitpid");
    if (got == 0)
        return 0;
    lua_pushinteger(L, got);
    if (WIFSIGNALED(status)) {
        lua_pushliteral(L, "signaled");
        lua_pushinteger(L, WTERMSIG(status));
    } else {
        lua_pushliteral(L, "exited");
        lua_pushinteger(L, WIFEXITED(status) ? WEXITSTATUS(status) : 255);
    }
    return 3;
}

/* proc._exit(status): ends the process now, running no atexit handler, Lua
 * finaliser or stdio flush (for forked children). */
static int proc_exit_now(lua_State *L)
{
    _exit((int)luaL_optinteger(L, 1, 0));
    return 0;
}

static int proc_getpid(lua_State *L)
{
    lua_pushinteger(L, getpid());
    return 1;
}

/* proc.kill(pid, signal) -> true | nil, message */
static int proc_kill(lua_State *L)
{
    pid_t pid = (pid_t)luaL_checkinteger(L, 1);
    int sig = (int)luaL_checkinteger(L, 2);
    return luaL_fileresult(L, kill(pid, sig) == 0, "kill");
}

/* proc.signal_name(signal) -> e.g. "Killed" */
static int proc_signal_name(lua_State *L)
{
    lua_pushstring(L, strsignal((int)luaL_checkinteger(L, 1)));
    return 1;
}

static int proc_isatty(lua_State *L)
{
    lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
    return 1;
}

/* proc.cores() -> number of online processors (at least 1) */
static int proc_cores(lua_State *L)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    lua_pushinteger(L, n > 0 ? n : 1);
    return 1;
}

/* proc.clock() -> seconds on a monotonic clock */
static int proc_clock(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9);
    return 1;
}

/* proc.pipe() -> read_fd, write_fd | nil, message */
static int proc_pipe(lua_State *L)
{
    int fds[2];
    if (pipe(fds) != 0)
        return luaL_fileresult(L, 0, "pipe");
    lua_pushinteger(L, fds[0]);
    lua_pushinteger(L, fds[1]);
    return 2;
}

/* proc.read(fd) -> up to 64 KiB that are ready ("" at end of file) | nil, message */
static int proc_read(lua_State *L)
{
    int fd = (int)luaL_checkinteger(L, 1);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, PROC_READ_MAX);
    ssize_t n;
    do {
        n = read(fd, p, PROC_READ_MAX);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return luaL_fileresult(L, 0, "read");
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
}

/* proc.write(fd, s) -> true | nil, message (writes all of s) */
static int proc_write(lua_State *L)
{
    int fd = (int)luaL_checkinteger(L, 1);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return luaL_fileresult(L, 0, "write");
        s += n;
        len -= (size_t)n;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int proc_close(lua_State *L)
{
    return luaL_fileresult(L, close((int)luaL_checkinteger(L, 1)) == 0, "close");
}

/* proc.poll({ fd, ... }, timeout_ms) -> { fd, ... } of those readable or
 * closed by their writer (empty after the timeout) | nil, message */
static int proc_poll(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int timeout = (int)luaL_checkinteger(L, 2);
    lua_Integer n = luaL_len(L, 1);
    luaL_argcheck(L, n >= 0 && n <= 4096, 1, "too many descriptors");
    struct pollfd *fds = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *fds, 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_geti(L, 1, i + 1);
        int isnum;
        fds[i].fd = (int)lua_tointegerx(L, -1, &isnum);
        luaL_argcheck(L, isnum, 1, "descriptors must be integers");
        fds[i].events = POLLIN;
        fds[i].revents = 0;
        lua_pop(L, 1);
    }
    int ready;
    do {
        ready = poll(fds, (nfds_t)n, timeout);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0)
        return luaL_fileresult(L, 0, "poll");
    lua_createtable(L, ready, 0);
    int k = 0;
    for (lua_Integer i = 0; i < n; i++) {
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
            lua_pushinteger(L, fds[i].fd);
            lua_rawseti(L, -2, ++k);
        }
    }
    return 1;
}

/* proc.mkdir(path) -> true | nil, message, errno (an existing folder is success) */
static int proc_mkdir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (mkdir(path, 0777) == 0 || (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
        lua_pushboolean(L, 1);
        return 1;
    }
    return luaL_fileresult(L, 0, path);
}

static const luaL_Reg proc_functions[] = {
    {"fork", proc_fork},
    {"wait", proc_wait},
    {"_exit", proc_exit_now},
    {"getpid", proc_getpid},
    {"kill", proc_kill},
    {"signal_name", proc_signal_name},
    {"isatty", proc_isatty},
    {"cores", proc_cores},
    {"clock", proc_clock},
    {"pipe", proc_pipe},
    {"read", proc_read},
    {"write", proc_write},
    {"close", proc_close},
    {"poll", proc_poll},
    {"mkdir", proc_mkdir},
    {NULL, NULL},
};

void lnn_open_proc(lua_State *L)
{
    luaL_newlib(L, proc_functions);
    lua_setfield(L, -2, "proc");
}
