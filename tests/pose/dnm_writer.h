/* dnm_writer.h — builds small .dnm files (models/FORMAT.md) in tests, so
 * the loader, planner and runner are exercised on graphs whose every value
 * the test knows, without the fetched models. Test support only: fixed
 * capacities, aborts on misuse. */
#ifndef DANCER_TESTS_DNM_WRITER_H
#define DANCER_TESTS_DNM_WRITER_H

#include <stddef.h>
#include <stdint.h>

#define DNMW_MAX_TENSORS 64
#define DNMW_MAX_OPS 32

struct dnmw_tensor {
    char name[32];
    int kind; /* 0 activation, 1 constant */
    int rank, dims[4];
    const float *data; /* constants: borrowed until dnmw_write */
};

struct dnmw_op {
    int code, n_inputs, inputs[8], output, opts[16];
};

struct dnmw {
    struct dnmw_tensor tensors[DNMW_MAX_TENSORS];
    struct dnmw_op ops[DNMW_MAX_OPS];
    int n_tensors, n_ops, n_inputs, n_outputs, inputs[4], outputs[4];
};

/* Adds a tensor (data NULL: activation); returns its index. */
int dnmw_tensor(struct dnmw *b, const char *name, int rank, const int *dims, const float *data);

/* Adds an op with inputs (n, -1 for an absent bias) and output; opts may be
 * NULL (all 0). Returns its index. */
int dnmw_op(struct dnmw *b, int code, int n_inputs, const int *inputs, int output,
            const int *opts);

/* Writes the file (source_sha256 = bytes 0x00..0x1f); 0 or -1. */
int dnmw_write(const struct dnmw *b, const char *path);

/* Byte offsets of records inside a written file (for corruption tests). */
size_t dnmw_tensor_offset(int index);
size_t dnmw_op_offset(const struct dnmw *b, int index);

#endif
