/* npy.h — minimal NumPy .npy reader/writer for float32 C-order arrays, so the
 * parity tools exchange tensors with Python (numpy.load/save) without a
 * conversion step. Test support only. */
#ifndef DANCER_TESTS_NPY_H
#define DANCER_TESTS_NPY_H

#include <stddef.h>

#include "dancer/err.h"

#define DN_NPY_MAX_RANK 8

/* Reads a '<f4' C-order array: *data (malloc'd, caller frees), shape, rank. */
int dn_npy_read(const char *path, float **data, size_t shape[DN_NPY_MAX_RANK], int *rank,
                struct dn_err *err);

/* Writes count = prod(shape) floats. */
int dn_npy_write(const char *path, const float *data, const size_t *shape, int rank,
                 struct dn_err *err);

#endif
