/* Opening the files the engine reads (IDX data, model files; the bridge reads
 * cache entries through it too) so that no name can hang or flood a reader.
 *
 * A name can stand for something that is not a file of bytes with an end: a
 * FIFO (opening it waits for a writer, forever if none comes), a device such
 * as /dev/zero (reading never ends, whatever a size check said), a directory.
 * nn_file_open_regular opens without blocking and asks fstat, on the opened
 * file itself (so nothing can be swapped in between), what it is. */
#ifndef NN_FILE_H
#define NN_FILE_H

#include <stdint.h>
#include <stdio.h>

#include "nn_error.h"

/* Opens path for reading (binary) when it is a regular file, following
 * symbolic links: *file is then an ordinary blocking stream (the caller
 * fcloses it) and *size its length in bytes. Otherwise NN_EIO, *file NULL,
 * *size 0, a message naming the path ("cannot open PATH: No such file or
 * directory", "PATH: a FIFO, not a regular file"; likewise a directory, a
 * character device, a block device, a socket), and errno set to the cause:
 * open's or fstat's own, EISDIR for a directory, EINVAL for anything else
 * that is not a regular file. */
nn_status nn_file_open_regular(const char *path, FILE **file, uint64_t *size);

#endif
