/* core.proc: the few POSIX calls the notebook's worker pool, progress display
 * and report writer need (fork, wait, pipes, poll, a monotonic clock, isatty,
 * mkdir, opening regular files only, file locks, signals, dup and dup2). Failures return
 * nil, message, errno as io functions do.
 *
 * Why in the bridge: this is the Lua binding of POSIX process primitives that
 * Lua's standard library lacks. The engine must know nothing of processes or of
 * Lua (it only reads a cancel flag, below), and the policy stays in Lua: which
 * job runs where, what a child does, when to stop and how failures are reported
 * is decided by lua/nnlab/notebook/workers.lua and lua/nnlab/cli.lua. So these
 * are thin wrappers only (listing a folder and lstat included, for the cache's
 * housekeeping). proc.cores() is the one reading of process limits
 * (bridge/cpu_limits.c): the CPUs this process may use.
 *
 * Signals: proc.catch_signals() makes SIGINT, SIGTERM and SIGHUP record
 * themselves instead of killing the process. Lua asks proc.caught_signal()
 * where it can stop cleanly; a count hook raises "interrupted" in Lua code that
 * never asks (an endless loop in an experiment), and engine passes read the
 * same record as their cancel flag (lnn_interrupt_flag), so nothing runs on
 * for more than a batch. proc.hold_interrupts(fn) runs fn out of the hook's
 * reach, for steps that must not stop halfway. */
#define _XOPEN_SOURCE 700 /* realpath; before any include */
#include "nnlab_bridge.h"
#include "cpu_limits.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <limits.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "nn_file.h"

#define PROC_READ_MAX 65536
/* Lua instructions between two looks at the signal record from the count hook. */
#define PROC_HOOK_INSTRUCTIONS 10000

/* The signal that arrived since proc.catch_signals(), 0 while none did.
 *
 * The bridge's one C global, and an unavoidable one: a signal handler receives
 * only the signal number, so it cannot reach a lua_State, its registry or an
 * upvalue, and the only object C11 lets it write is a static volatile
 * sig_atomic_t (C11 7.14.1.1p5). It is process state, like the signal
 * disposition it belongs to; all module state proper stays in Lua. */
static volatile sig_atomic_t caught_signal;
/* Steps run by proc.hold_interrupts (nested): a second signal waits for them. */
static volatile sig_atomic_t holding;

static const int caught_signals[] = {SIGINT, SIGTERM, SIGHUP};

/* Signals Lua may name: proc.ignore_signal("XFSZ"), proc.caught_signal() -> "INT". */
static const struct {
    const char *name;
    int number;
} signal_names[] = {
    {"INT", SIGINT}, {"TERM", SIGTERM}, {"HUP", SIGHUP}, {"XFSZ", SIGXFSZ},
    {"PIPE", SIGPIPE}, {"KILL", SIGKILL},
};

/* proc.fork() -> pid in the parent, 0 in the child | nil, message. On Linux
 * the child is SIGKILLed when its parent dies (PR_SET_PDEATHSIG): a kill -9
 * of nnlab must not leave its sweep workers training on, as the parent kills
 * them itself on any signal it can catch. */
static int proc_fork(lua_State *L)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return luaL_fileresult(L, 0, "fork");
    if (pid == 0) /* forked inside a held step (watch's render), it never returns through it */
        holding = 0;
#ifdef __linux__
    if (pid == 0) {
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* best effort: a sandbox may refuse it */
        if (getppid() != parent)
            raise(SIGKILL); /* the parent died before the call: no one to work for */
    }
#else
    (void)parent;
#endif
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

/* proc.realpath(path) -> the absolute path with no symbolic link, "." or ".."
 * in it | nil, message (also when path does not exist) */
static int proc_realpath(lua_State *L)
{
    char *resolved = realpath(luaL_checkstring(L, 1), NULL);
    if (!resolved)
        return luaL_fileresult(L, 0, lua_tostring(L, 1));
    lua_pushstring(L, resolved);
    free(resolved);
    return 1;
}

/* proc.readlink(path) -> what the symbolic link at path names (as written
 * in the link) | nil, message, errno (EINVAL: not a link) */
static int proc_readlink(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof target);
    if (n < 0 || n == (ssize_t)sizeof target)
        return luaL_fileresult(L, 0, path);
    lua_pushlstring(L, target, (size_t)n);
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

/* proc.cores() -> the CPUs this process may use (bridge/cpu_limits.h): those
 * of its affinity mask (taskset, Slurm's --cpus-per-task, a container's
 * cpuset) capped by its cgroup CPU quota, at least 1. Not the online count. */
static int proc_cores(lua_State *L)
{
    cpu_limits limits;
    cpu_limits_read(&limits);
    lua_pushinteger(L, limits.cpus);
    return 1;
}

/* proc.cpu_limits() -> { cpus = N, online = N, affinity = N | nil,
 * quota = N | nil, quota_file = PATH | nil }: proc.cores() and why. */
static int proc_cpu_limits(lua_State *L)
{
    cpu_limits limits;
    cpu_limits_read(&limits);
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, limits.cpus);
    lua_setfield(L, -2, "cpus");
    lua_pushinteger(L, limits.online);
    lua_setfield(L, -2, "online");
    if (limits.affinity > 0) {
        lua_pushinteger(L, limits.affinity);
        lua_setfield(L, -2, "affinity");
    }
    if (limits.quota > 0) {
        lua_pushinteger(L, limits.quota);
        lua_setfield(L, -2, "quota");
        lua_pushstring(L, limits.quota_file);
        lua_setfield(L, -2, "quota_file");
    }
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

/* proc.pipe() -> read_fd, write_fd | nil, message. Both ends close on exec:
 * a program a worker starts (os.execute("server &")) must not hold the
 * write end, or the parent, waiting for end of file, waits for it too. */
static int proc_pipe(lua_State *L)
{
    int fds[2];
    if (pipe(fds) != 0)
        return luaL_fileresult(L, 0, "pipe");
    if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        errno = saved;
        return luaL_fileresult(L, 0, "pipe");
    }
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

/* proc.dup(fd) -> a new descriptor of the same file (close-on-exec) |
 * nil, message, errno */
static int proc_dup(lua_State *L)
{
    int fd = fcntl((int)luaL_checkinteger(L, 1), F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return luaL_fileresult(L, 0, "dup");
    lua_pushinteger(L, fd);
    return 1;
}

/* proc.dup2(from, to) -> true: descriptor `to` now names from's file (as
 * `command >&2` does for to = 1, from = 2) | nil, message, errno */
static int proc_dup2(lua_State *L)
{
    int from = (int)luaL_checkinteger(L, 1), to = (int)luaL_checkinteger(L, 2);
    int got;
    do {
        got = dup2(from, to);
    } while (got < 0 && errno == EINTR);
    return luaL_fileresult(L, got >= 0, "dup2");
}

/* proc.poll({ fd, ... }, timeout_ms) -> { fd, ... } of those readable or
 * closed by their writer (empty after the timeout, or at once when a caught
 * signal arrives) | nil, message */
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
    } while (ready < 0 && errno == EINTR && !caught_signal);
    if (ready < 0 && errno == EINTR) { /* the caller asks proc.caught_signal() */
        lua_newtable(L);
        return 1;
    }
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

/* proc.mkdir(path) -> true | nil, message, errno (an existing folder is
 * success; an existing file is ENOTDIR, "Not a directory") */
static int proc_mkdir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    int made = mkdir(path, 0777) == 0;
    if (!made && errno == EEXIST) {
        made = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
        errno = ENOTDIR;
    }
    return luaL_fileresult(L, made, path);
}

/* proc.list_dir(path) -> a list of the names in folder path, "." and ".."
 * left out, in the order the system gives them | nil, message */
static int proc_list_dir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    DIR *dir = opendir(path);
    if (!dir)
        return luaL_fileresult(L, 0, path);
    lua_newtable(L);
    lua_Integer n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        lua_pushstring(L, name);
        lua_rawseti(L, -2, ++n);
    }
    closedir(dir);
    return 1;
}

/* proc.stat(path) -> { type = "file" | "folder" | "link" | "other", size
 * (bytes), mtime (seconds since the epoch, with fractions) } of path itself
 * (a symbolic link is not followed) | nil, message */
static int proc_stat(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (lstat(path, &st) != 0)
        return luaL_fileresult(L, 0, path);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "folder"
                      : S_ISLNK(st.st_mode) ? "link" : "other");
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, (lua_Integer)st.st_size);
    lua_setfield(L, -2, "size");
    lua_pushnumber(L, (lua_Number)st.st_mtim.tv_sec + (lua_Number)st.st_mtim.tv_nsec * 1e-9);
    lua_setfield(L, -2, "mtime");
    return 1;
}

/* ---- files ---------------------------------------------------------------- */

/* The closef of files made by proc.open_regular, as liolib's io_fclose. */
static int regular_file_close(lua_State *L)
{
    luaL_Stream *p = luaL_checkudata(L, 1, LUA_FILEHANDLE);
    return luaL_fileresult(L, fclose(p->f) == 0, NULL);
}

/* proc.open_regular(path) -> file, size | nil, message, errno: io.open(path,
 * "rb") for regular files only (engine/nn_file.h). The open does not block,
 * so a FIFO cannot hang it; a FIFO, a device (/dev/zero never ends, whatever
 * its size said) or a folder is refused with "PATH: a FIFO, not a regular
 * file" and errno EINVAL (EISDIR for a folder); other failures read "cannot
 * open PATH: cause" with open's errno. The file is an ordinary Lua file. */
static int proc_open_regular(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_Stream *p = lua_newuserdatauv(L, sizeof *p, 0);
    p->closef = NULL; /* a closed file until the open succeeds */
    luaL_setmetatable(L, LUA_FILEHANDLE);
    uint64_t size;
    if (nn_file_open_regular(path, &p->f, &size) != NN_OK) {
        int error = errno;
        luaL_pushfail(L);
        lua_pushstring(L, nn_error_message());
        lua_pushinteger(L, error);
        return 3;
    }
    p->closef = regular_file_close;
    lua_pushinteger(L, (lua_Integer)size);
    return 2;
}

/* ---- signals ------------------------------------------------------------ */

/* The first signal is recorded, for a clean stop. A second one means that
 * stop did not come (user code caught the "interrupted" error and went on,
 * or is stuck): it ends the process at once, by that signal, as a second
 * Ctrl-C does elsewhere; outside a held step, so a report's commit is never
 * cut short. The same signal again within REPEAT_NS of the first is one
 * signal sent twice, not a second request: timeout(1) sends its signal to
 * the process and then to its group, microseconds apart, which had ended
 * nnlab before it could say what it kept. signal(), raise() and
 * clock_gettime() are async-signal-safe. */
#define REPEAT_NS 100000000LL /* 100 ms: faster than a hand presses Ctrl-C twice */
static struct timespec first_signal_at;

static long long ns_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)(now.tv_sec - t->tv_sec) * 1000000000LL + (now.tv_nsec - t->tv_nsec);
}

static void record_signal(int sig)
{
    if (!caught_signal) {
        clock_gettime(CLOCK_MONOTONIC, &first_signal_at);
        caught_signal = sig;
    } else if (sig == caught_signal && ns_since(&first_signal_at) < REPEAT_NS) {
        return;
    } else if (!holding) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

const volatile sig_atomic_t *lnn_interrupt_flag(void) { return &caught_signal; }

static const char *signal_short_name(int sig)
{
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
        if (signal_names[i].number == sig)
            return signal_names[i].name;
    return "?";
}

static int check_signal_name(lua_State *L, int arg)
{
    const char *name = luaL_checkstring(L, arg);
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
        if (strcmp(signal_names[i].name, name) == 0)
            return signal_names[i].number;
    return luaL_argerror(L, arg, lua_pushfstring(L, "unknown signal '%s'", name));
}

int lnn_raise_interrupted(lua_State *L)
{
    lua_sethook(L, NULL, 0, 0); /* once: the error unwinds through code that cleans up */
    return luaL_error(L, "interrupted by SIG%s", signal_short_name(caught_signal));
}

/* Count hook: raises the interruption in Lua code that never asks for it. */
static void interrupt_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (caught_signal)
        lnn_raise_interrupted(L);
}

static int set_disposition(int sig, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocking poll/read returns EINTR at once */
    return sigaction(sig, &sa, NULL);
}

/* proc.catch_signals() -> true | nil, message: from now on SIGINT, SIGTERM and
 * SIGHUP are recorded (the first one wins) instead of ending the process, and
 * Lua code running on this thread is interrupted by an error within a few
 * thousand instructions of one. */
static int proc_catch_signals(lua_State *L)
{
    for (size_t i = 0; i < sizeof caught_signals / sizeof caught_signals[0]; i++)
        if (set_disposition(caught_signals[i], record_signal) != 0)
            return luaL_fileresult(L, 0, "sigaction");
    lua_sethook(L, interrupt_hook, LUA_MASKCOUNT, PROC_HOOK_INSTRUCTIONS);
    lua_pushboolean(L, 1);
    return 1;
}

/* proc.default_signals(): SIGINT, SIGTERM and SIGHUP end the process again, and
 * the record is cleared (for forked workers: a signal simply kills them). */
static int proc_default_signals(lua_State *L)
{
    for (size_t i = 0; i < sizeof caught_signals / sizeof caught_signals[0]; i++)
        set_disposition(caught_signals[i], SIG_DFL);
    caught_signal = 0;
    lua_sethook(L, NULL, 0, 0);
    return 0;
}

/* proc.hold_interrupts(fn, ...) -> fn(...)'s results: runs fn with the count
 * hook off, so that a signal caught meanwhile is not raised inside it (a
 * report's commit: its renames all happen, or are undone, before anything
 * stops). The hook as it was comes back afterwards, also when fn raises; a
 * signal caught meanwhile then interrupts the caller as usual. */
static int proc_hold_interrupts(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_Hook hook = lua_gethook(L);
    int mask = lua_gethookmask(L);
    int count = lua_gethookcount(L);
    lua_sethook(L, NULL, 0, 0);
    holding++;
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    holding--;
    lua_sethook(L, hook, mask, count);
    if (status != LUA_OK)
        return lua_error(L);
    return lua_gettop(L);
}

/* proc.caught_signal() -> number, "INT" | "TERM" | "HUP" of the signal recorded
 * since proc.catch_signals(); nothing while none arrived. A caller that sees a
 * signal takes charge of stopping: the count hook of its thread is removed, so
 * that the clean-up it runs is not interrupted in turn. */
static int proc_caught_signal(lua_State *L)
{
    int sig = caught_signal;
    if (!sig)
        return 0;
    lua_sethook(L, NULL, 0, 0);
    lua_pushinteger(L, sig);
    lua_pushstring(L, signal_short_name(sig));
    return 2;
}

/* The handler of ignored signals: it does nothing. Unlike SIG_IGN, a handler
 * is reset to the default in the programs this process executes (a shell,
 * gnuplot), which do not expect to start with, say, SIGPIPE ignored. */
static void ignore_signal(int sig) { (void)sig; }

/* proc.ignore_signal(name) -> true | nil, message: the signal no longer ends
 * this process or the workers it forks; programs it executes start with the
 * default. E.g. "XFSZ": a write past the file size limit then fails with EFBIG
 * (reported) instead of killing; "PIPE": a write to a pipe nobody reads any
 * more (stdout into `| head`) fails with EPIPE. */
static int proc_ignore_signal(lua_State *L)
{
    int sig = check_signal_name(L, 1);
    return luaL_fileresult(L, set_disposition(sig, ignore_signal) == 0, "sigaction");
}

/* ---- file locks ----------------------------------------------------------- */

/* proc.lock(path) -> fd | nil, message: opens (creating) path and waits for an
 * exclusive POSIX record lock on it; proc.close(fd) releases it, and so does
 * the end of the process. Not inherited by forked or executed children. A
 * caught signal stops the wait (nil, "interrupted"). */
static int proc_lock(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return luaL_fileresult(L, 0, path);
    struct flock whole = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    while (fcntl(fd, F_SETLKW, &whole) != 0) {
        if (errno != EINTR || caught_signal) {
            int saved = errno;
            close(fd);
            errno = saved;
            if (saved == EINTR) {
                luaL_pushfail(L);
                lua_pushliteral(L, "interrupted");
                return 2;
            }
            return luaL_fileresult(L, 0, path);
        }
    }
    lua_pushinteger(L, fd);
    return 1;
}

static const luaL_Reg proc_functions[] = {
    {"fork", proc_fork},
    {"wait", proc_wait},
    {"_exit", proc_exit_now},
    {"getpid", proc_getpid},
    {"realpath", proc_realpath},
    {"readlink", proc_readlink},
    {"kill", proc_kill},
    {"signal_name", proc_signal_name},
    {"isatty", proc_isatty},
    {"cores", proc_cores},
    {"cpu_limits", proc_cpu_limits},
    {"clock", proc_clock},
    {"pipe", proc_pipe},
    {"read", proc_read},
    {"write", proc_write},
    {"close", proc_close},
    {"dup", proc_dup},
    {"dup2", proc_dup2},
    {"poll", proc_poll},
    {"mkdir", proc_mkdir},
    {"list_dir", proc_list_dir},
    {"stat", proc_stat},
    {"open_regular", proc_open_regular},
    {"lock", proc_lock},
    {"catch_signals", proc_catch_signals},
    {"default_signals", proc_default_signals},
    {"caught_signal", proc_caught_signal},
    {"hold_interrupts", proc_hold_interrupts},
    {"ignore_signal", proc_ignore_signal},
    {NULL, NULL},
};

void lnn_open_proc(lua_State *L)
{
    luaL_newlib(L, proc_functions);
    lua_setfield(L, -2, "proc");
}
