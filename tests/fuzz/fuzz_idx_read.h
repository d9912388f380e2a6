/* Shared by the IDX fuzz targets: reads one file as an IDX image file and as
 * an IDX label file, and checks what a successful read promises. */
#ifndef FUZZ_IDX_READ_H
#define FUZZ_IDX_READ_H

/* Aborts (a finding) when a read succeeds with inconsistent outputs, or fails
 * without leaving them empty; memory errors are ASan's to catch. */
void fuzz_idx_read_both(const char *path);

#endif
