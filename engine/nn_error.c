/* Thread-local error messages for the engine (see nn_error.h). */
#include "nn_error.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char error_message[NN_ERROR_MAX];

nn_status nn_fail(nn_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_message, sizeof error_message, fmt, ap);
    va_end(ap);
    return code;
}

const char *nn_error_message(void) { return error_message; }

const char *nn_error_quote(char *buf, size_t shown, const char *s, size_t len)
{
    size_t n = len < shown ? len : shown;
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    strcpy(buf + n, len > n ? "..." : "");
    return buf;
}

double nn_error_number(double value) { return isnan(value) ? fabs(value) : value; }

void nn_error_clear(void) { error_message[0] = '\0'; }

const char *nn_status_name(nn_status code)
{
    switch (code) {
    case NN_OK: return "ok";
    case NN_EINVAL: return "invalid argument";
    case NN_ESHAPE: return "shape mismatch";
    case NN_ENOMEM: return "out of memory";
    case NN_EIO: return "i/o error";
    case NN_EFORMAT: return "bad file format";
    case NN_ECANCELED: return "interrupted";
    }
    return "unknown error";
}
