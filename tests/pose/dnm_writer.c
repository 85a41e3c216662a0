/* dnm_writer.c — see dnm_writer.h; the layout is FORMAT.md's, written with
 * the same little-endian fixed records models/dnm.py packs. */
#include "dnm_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t s_up64(size_t x)
{
    return (x + 63) / 64 * 64;
}

int dnmw_tensor(struct dnmw *b, const char *name, int rank, const int *dims, const float *data)
{
    if (b->n_tensors == DNMW_MAX_TENSORS)
        abort();
    struct dnmw_tensor *t = &b->tensors[b->n_tensors];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->kind = data != NULL;
    t->rank = rank;
    memcpy(t->dims, dims, (size_t)rank * sizeof(int));
    t->data = data;
    return b->n_tensors++;
}

int dnmw_op(struct dnmw *b, int code, int n_inputs, const int *inputs, int output, const int *opts)
{
    if (b->n_ops == DNMW_MAX_OPS || n_inputs > 8)
        abort();
    struct dnmw_op *op = &b->ops[b->n_ops];
    memset(op, 0, sizeof(*op));
    op->code = code;
    op->n_inputs = n_inputs;
    for (int k = 0; k < 8; k++)
        op->inputs[k] = k < n_inputs ? inputs[k] : -1;
    op->output = output;
    if (opts)
        memcpy(op->opts, opts, sizeof(op->opts));
    return b->n_ops++;
}

size_t dnmw_tensor_offset(int index)
{
    return 128 + (size_t)index * 64;
}

size_t dnmw_op_offset(const struct dnmw *b, int index)
{
    return 128 + (size_t)b->n_tensors * 64 + (size_t)index * 128;
}

static size_t s_count(const struct dnmw_tensor *t)
{
    size_t n = 1;
    for (int d = 0; d < t->rank; d++)
        n *= (size_t)t->dims[d];
    return n;
}

static void s_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void s_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

int dnmw_write(const struct dnmw *b, const char *path)
{
    size_t ops_off = dnmw_op_offset(b, 0), io_off = ops_off + (size_t)b->n_ops * 128;
    size_t str_off = io_off + 4 * (size_t)(b->n_inputs + b->n_outputs), str_size = 0;
    for (int i = 0; i < b->n_tensors; i++)
        str_size += strlen(b->tensors[i].name) + 1;
    size_t data_off = s_up64(str_off + str_size), data_size = 0;
    for (int i = 0; i < b->n_tensors; i++)
        if (b->tensors[i].kind)
            data_size += s_up64(4 * s_count(&b->tensors[i]));
    size_t size = data_off + data_size;
    unsigned char *buf = calloc(1, size);
    if (!buf)
        return -1;
    memcpy(buf, "DNMODEL\0", 8);
    uint32_t h32[6] = {1, 128, (uint32_t)b->n_tensors, (uint32_t)b->n_ops,
                       (uint32_t)b->n_inputs, (uint32_t)b->n_outputs};
    for (int i = 0; i < 6; i++)
        s_u32(buf + 8 + 4 * i, h32[i]);
    uint64_t h64[8] = {128, ops_off, io_off, str_off, str_size, data_off, data_size, size};
    for (int i = 0; i < 8; i++)
        s_u64(buf + 32 + 8 * i, h64[i]);
    for (int i = 0; i < 32; i++)
        buf[96 + i] = (unsigned char)i;
    size_t name_at = 0, data_at = data_off;
    for (int i = 0; i < b->n_tensors; i++) {
        const struct dnmw_tensor *t = &b->tensors[i];
        unsigned char *r = buf + dnmw_tensor_offset(i);
        size_t len = strlen(t->name);
        memcpy(buf + str_off + name_at, t->name, len + 1);
        s_u32(r, (uint32_t)name_at), s_u32(r + 4, (uint32_t)len);
        s_u32(r + 8, (uint32_t)t->kind), s_u32(r + 16, (uint32_t)t->rank);
        for (int d = 0; d < t->rank; d++)
            s_u32(r + 20 + 4 * d, (uint32_t)t->dims[d]);
        s_u32(r + 36, (uint32_t)i);
        name_at += len + 1;
        if (t->kind) {
            s_u64(r + 40, data_at), s_u64(r + 48, 4 * s_count(t));
            memcpy(buf + data_at, t->data, 4 * s_count(t));
            data_at += s_up64(4 * s_count(t));
        }
    }
    for (int i = 0; i < b->n_ops; i++) {
        const struct dnmw_op *op = &b->ops[i];
        unsigned char *r = buf + dnmw_op_offset(b, i);
        uint32_t head[4] = {(uint32_t)op->code, (uint32_t)op->n_inputs, 1, (uint32_t)i};
        int32_t outs[4] = {op->output, -1, -1, -1};
        memcpy(r, head, 16), memcpy(r + 16, op->inputs, 32);
        memcpy(r + 48, outs, 16), memcpy(r + 64, op->opts, 64);
    }
    for (int i = 0; i < b->n_inputs + b->n_outputs; i++)
        s_u32(buf + io_off + 4 * i, (uint32_t)(i < b->n_inputs ? b->inputs[i]
                                                                  : b->outputs[i - b->n_inputs]));
    FILE *f = fopen(path, "wb");
    int rc = f && fwrite(buf, 1, size, f) == size ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    free(buf);
    return rc;
}
