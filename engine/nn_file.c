/* Opening regular files only, without blocking (see nn_file.h). */
#define _POSIX_C_SOURCE 200809L

#include "nn_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a file of this mode is, for "PATH: a FIFO, not a regular file". */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "a special file";
}

/* Fails for path with errno's cause, closing fd (when >= 0); errno is kept. */
static nn_status cannot_open(int fd, const char *path)
{
    int error = errno;
    if (fd >= 0)
        close(fd);
    nn_status st = nn_fail(NN_EIO, "cannot open %s: %s", path, strerror(error));
    errno = error;
    return st;
}

nn_status nn_file_open_regular(const char *path, FILE **file, uint64_t *size)
{
    *file = NULL;
    *size = 0;
    /* O_NONBLOCK: a FIFO's open returns at once instead of waiting for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat info;
    if (fd < 0 || fstat(fd, &info) != 0)
        return cannot_open(fd, path);
    if (!S_ISREG(info.st_mode)) {
        close(fd);
        nn_status st = nn_fail(NN_EIO, "%s: %s, not a regular file", path, file_kind(info.st_mode));
        errno = S_ISDIR(info.st_mode) ? EISDIR : EINVAL;
        return st;
    }
    /* a regular file never blocks; the stream is made blocking all the same */
    int flags = fcntl(fd, F_GETFL);
    FILE *stream = NULL;
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 || !(stream = fdopen(fd, "rb")))
        return cannot_open(fd, path);
    *file = stream;
    *size = (uint64_t)info.st_size;
    return NN_OK;
}
