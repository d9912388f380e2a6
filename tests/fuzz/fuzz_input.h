/* The fuzz input as a file: the engine's parsers read paths (fopen), so each
 * input is written to an in-memory file (memfd) and handed over as
 * /proc/self/fd/N. No disk I/O, no temporary files left behind. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* Replaces the in-memory file's content with data (size bytes) and returns
 * its path, valid for the life of the process. Aborts if the file cannot be
 * written (a harness failure, not a finding). */
const char *fuzz_input_file(const uint8_t *data, size_t size);

#endif
