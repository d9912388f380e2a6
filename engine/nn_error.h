/* Engine status codes and the per-thread error message.
 *
 * Engine functions never print or exit: they return an nn_status and, on
 * failure, leave a one-line message (no trailing newline) that the caller reads
 * with nn_error_message(). The message is thread-local, so variations trained
 * on different threads do not overwrite each other's errors. */
#ifndef NN_ERROR_H
#define NN_ERROR_H

#include <stddef.h>

/* The longest message, in bytes with its NUL: room for two whole paths
 * (PATH_MAX each, a rename's) and the cause after them; 512 had cut the
 * cause off a message about one long path. */
#define NN_ERROR_MAX (2 * 4096 + 512)

typedef enum nn_status {
    NN_OK = 0,
    NN_EINVAL,   /* a bad argument or hyperparameter */
    NN_ESHAPE,   /* sizes that do not fit together */
    NN_ENOMEM,   /* an allocation failed */
    NN_EIO,      /* a file could not be opened, read or written */
    NN_EFORMAT,  /* a file's bytes are not what they claim to be */
    NN_ECANCELED, /* stopped on request (a cancel flag became non-zero) */
} nn_status;

/* Records a printf-style message for this thread and returns `code`. */
nn_status nn_fail(nn_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The last message recorded on this thread ("" if none). */
const char *nn_error_message(void);

/* Forgets this thread's message. */
void nn_error_clear(void);

/* Bytes from a file as a message quotes them: at most `shown` of them, each
 * control byte (a newline, an escape sequence's ESC) and DEL as '?', then
 * "..." when cut, so that a message stays one line of plain text. buf holds
 * shown + 4 bytes; returns buf. */
const char *nn_error_quote(char *buf, size_t shown, const char *s, size_t len);

/* A number as a message shows it with %g: a NaN without its sign bit, which
 * printf shows as "-nan" (x86's default NaN has it, and so has Lua's 0/0). */
double nn_error_number(double value);

/* A short lowercase name for a status: "invalid argument", "shape mismatch"... */
const char *nn_status_name(nn_status code);

#endif
