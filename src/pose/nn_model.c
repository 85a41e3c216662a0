/* nn_model.c — loads a .dnm file (models/FORMAT.md) into struct dn_nn_model.
 *
 * The file is read whole into one 64-aligned block (the pose networks are
 * ~12 MB) and every record is validated before anything indexes with it:
 * the layout checks here, the per-op semantics in nn_check.c. The only
 * change made to the bytes: CONV_2D weights are transposed in place from the
 * file's OHWI to the HWIO our kernels read (include/dancer/nn_kernels.h). */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn_check.h"
#include "nn_model.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the .dnm records are little-endian and read by memcpy");

#define S_MAGIC "DNMODEL\0"
#define S_VERSION 1
#define S_ALIGN 64
/* A pose network is ~12 MB; anything past this is not a model we ship. */
#define S_MAX_FILE_BYTES ((uint64_t)1 << 31)

/* Records exactly as FORMAT.md lays them out (naturally aligned, no padding). */
struct s_header {
    char magic[8];
    uint32_t version, header_size, n_tensors, n_ops, n_inputs, n_outputs;
    uint64_t tensors_off, ops_off, io_off, strings_off, strings_size;
    uint64_t data_off, data_size, file_size;
    uint8_t source_sha256[32];
};
struct s_tensor_rec {
    uint32_t name_off, name_len, kind, dtype, rank;
    int32_t dims[4];
    uint32_t src_index;
    uint64_t data_off, data_size, reserved;
};
struct s_op_rec {
    uint32_t code, n_inputs, n_outputs, src_index;
    int32_t inputs[8], outputs[4], opts[16];
};
_Static_assert(sizeof(struct s_header) == 128, "header is 128 bytes");
_Static_assert(sizeof(struct s_tensor_rec) == 64, "tensor record is 64 bytes");
_Static_assert(sizeof(struct s_op_rec) == 128, "op record is 128 bytes");

#define S_BAD(err, ...) dn_err_set(err, DN_ERR_BAD_INPUT, __VA_ARGS__)

/* off + count·rec ≤ size without overflow. */
static bool s_fits(uint64_t off, uint64_t count, uint64_t rec, uint64_t size)
{
    return off <= size && count <= (size - off) / rec;
}

static int s_read_file(const char *path, struct dn_nn_model *m, struct dn_err *err)
{
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return dn_err_set(err, errno == ENOENT ? DN_ERR_NOT_FOUND : DN_ERR_BAD_INPUT,
                          "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = S_BAD(err, "not a regular file");
        goto cleanup;
    }
    if ((uint64_t)st.st_size > S_MAX_FILE_BYTES) {
        rc = S_BAD(err, "file of %lld bytes is too large for a model", (long long)st.st_size);
        goto cleanup;
    }
    m->size = (size_t)st.st_size;
    /* Rounded up so aligned_alloc's size rule holds; constants start on 64. */
    m->buf = aligned_alloc(S_ALIGN, (m->size + S_ALIGN - 1) / S_ALIGN * S_ALIGN + S_ALIGN);
    if (!m->buf) {
        rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory (%zu bytes)", m->size);
        goto cleanup;
    }
    if (fread(m->buf, 1, m->size, f) != m->size)
        rc = S_BAD(err, "read failed: %s", ferror(f) ? strerror(errno) : "short read");
cleanup:
    fclose(f);
    return rc;
}

static int s_parse_header(struct dn_nn_model *m, struct s_header *h, struct dn_err *err)
{
    if (m->size < sizeof(*h))
        return S_BAD(err, "file of %zu bytes is shorter than the 128-byte header", m->size);
    memcpy(h, m->buf, sizeof(*h));
    if (memcmp(h->magic, S_MAGIC, 8) != 0)
        return S_BAD(err, "bad magic (not a .dnm file)");
    if (h->version != S_VERSION)
        return dn_err_set(err, DN_ERR_UNSUPPORTED, "format version %u, this reader knows %d",
                          h->version, S_VERSION);
    if (h->header_size != sizeof(*h))
        return S_BAD(err, "header_size %u != 128", h->header_size);
    if (h->file_size != m->size)
        return S_BAD(err, "header says %llu bytes, file has %zu (truncated?)",
                     (unsigned long long)h->file_size, m->size);
    if (!s_fits(h->tensors_off, h->n_tensors, sizeof(struct s_tensor_rec), m->size) ||
        !s_fits(h->ops_off, h->n_ops, sizeof(struct s_op_rec), m->size))
        return S_BAD(err, "tensor or op table out of bounds");
    if (!s_fits(h->io_off, (uint64_t)h->n_inputs + h->n_outputs, 4, m->size) ||
        !s_fits(h->strings_off, h->strings_size, 1, m->size))
        return S_BAD(err, "io or string table out of bounds");
    if (h->data_off % S_ALIGN != 0 || !s_fits(h->data_off, h->data_size, 1, m->size))
        return S_BAD(err, "data section misaligned or out of bounds");
    if (h->n_ops == 0 || h->n_inputs == 0 || h->n_outputs == 0)
        return S_BAD(err, "empty graph (%u ops, %u inputs, %u outputs)", h->n_ops,
                     h->n_inputs, h->n_outputs);
    for (int i = 0; i < 32; i++)
        snprintf(m->sha256 + 2 * i, 3, "%02x", h->source_sha256[i]);
    m->data_off = h->data_off;
    m->data_size = h->data_size;
    return 0;
}

static int s_parse_dims(struct dn_nn_tensor *t, const struct s_tensor_rec *r, int i,
                        struct dn_err *err)
{
    if (r->rank < 1 || r->rank > DN_NN_MAX_RANK)
        return S_BAD(err, "tensor %d: rank %u not in 1..4", i, r->rank);
    t->rank = (int)r->rank;
    t->count = 1;
    for (int d = 0; d < DN_NN_MAX_RANK; d++) {
        if (d >= t->rank) {
            if (r->dims[d] != 0)
                return S_BAD(err, "tensor %d: unused dim %d is %d, not 0", i, d, r->dims[d]);
            continue;
        }
        /* Dims ≤ 2^24 keep the shape arithmetic of nn_check.c in int range;
         * 2^31 elements per item bounds every later size computation. */
        if (r->dims[d] < 1 || r->dims[d] > 1 << 24 ||
            t->count * (uint64_t)r->dims[d] > ((uint64_t)1 << 31))
            return S_BAD(err, "tensor %d: dim %d = %d out of range", i, d, r->dims[d]);
        t->dims[d] = r->dims[d];
        t->count *= (size_t)r->dims[d];
    }
    return 0;
}

static int s_parse_data(struct dn_nn_model *m, struct dn_nn_tensor *t,
                        const struct s_tensor_rec *r, int i, struct dn_err *err)
{
    if (r->kind == DN_NN_KIND_ACTIVATION) {
        if (r->data_off != 0 || r->data_size != 0)
            return S_BAD(err, "tensor %d: activation with data", i);
        return 0;
    }
    if (r->kind != DN_NN_KIND_CONSTANT)
        return S_BAD(err, "tensor %d: kind %u", i, r->kind);
    uint64_t end = m->data_off + m->data_size;
    if (r->data_off % S_ALIGN != 0 || r->data_off < m->data_off || r->data_off > end ||
        r->data_size > end - r->data_off)
        return S_BAD(err, "tensor %d: data misaligned or outside the data section", i);
    if (r->data_size != 4 * (uint64_t)t->count)
        return S_BAD(err, "tensor %d: data_size %llu != 4 x %zu elements", i,
                     (unsigned long long)r->data_size, t->count);
    t->data_off = r->data_off;
    t->data = (const float *)(m->buf + r->data_off);
    return 0;
}

static int s_parse_tensors(struct dn_nn_model *m, const struct s_header *h, struct dn_err *err)
{
    m->n_tensors = (int)h->n_tensors;
    m->tensors = calloc(h->n_tensors ? h->n_tensors : 1, sizeof(*m->tensors));
    if (!m->tensors)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    for (int i = 0; i < m->n_tensors; i++) {
        struct s_tensor_rec r;
        struct dn_nn_tensor *t = &m->tensors[i];
        memcpy(&r, m->buf + h->tensors_off + (uint64_t)i * sizeof(r), sizeof(r));
        if ((uint64_t)r.name_off + r.name_len >= h->strings_size ||
            m->buf[h->strings_off + r.name_off + r.name_len] != 0)
            return S_BAD(err, "tensor %d: name outside the string table or not NUL-terminated", i);
        t->name = (const char *)m->buf + h->strings_off + r.name_off;
        if (r.dtype != 0)
            return S_BAD(err, "tensor %d (%s): dtype %u, only float32 (0) exists", i, t->name,
                         r.dtype);
        t->kind = (int)r.kind;
        t->src_index = (int)r.src_index;
        int rc = s_parse_dims(t, &r, i, err);
        if (rc == 0)
            rc = s_parse_data(m, t, &r, i, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int s_parse_ops(struct dn_nn_model *m, const struct s_header *h, struct dn_err *err)
{
    m->n_ops = (int)h->n_ops;
    m->ops = calloc(h->n_ops, sizeof(*m->ops));
    if (!m->ops)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    for (int i = 0; i < m->n_ops; i++) {
        struct s_op_rec r;
        struct dn_nn_op *op = &m->ops[i];
        memcpy(&r, m->buf + h->ops_off + (uint64_t)i * sizeof(r), sizeof(r));
        if (r.n_inputs > DN_NN_MAX_OP_INPUTS || r.n_outputs != 1)
            return S_BAD(err, "op %d: %u inputs / %u outputs (at most 8 / exactly 1)", i,
                         r.n_inputs, r.n_outputs);
        for (int k = 0; k < 8; k++) {
            int v = r.inputs[k];
            if ((k >= (int)r.n_inputs && v != -1) || (k < (int)r.n_inputs && (v < -1 || v >= m->n_tensors)))
                return S_BAD(err, "op %d: input slot %d = %d out of range", i, k, v);
        }
        for (int k = 1; k < 4; k++)
            if (r.outputs[k] != -1)
                return S_BAD(err, "op %d: unused output slot %d is %d, not -1", i, k, r.outputs[k]);
        if (r.outputs[0] < 0 || r.outputs[0] >= m->n_tensors)
            return S_BAD(err, "op %d: output %d out of range", i, r.outputs[0]);
        op->code = (int)r.code;
        op->n_inputs = (int)r.n_inputs;
        memcpy(op->inputs, r.inputs, sizeof(op->inputs));
        op->output = r.outputs[0];
        op->src_index = (int)r.src_index;
        memcpy(op->opts, r.opts, sizeof(op->opts));
    }
    return 0;
}

static int s_parse_io(struct dn_nn_model *m, const struct s_header *h, struct dn_err *err)
{
    m->n_inputs = (int)h->n_inputs;
    m->n_outputs = (int)h->n_outputs;
    m->inputs = calloc((size_t)m->n_inputs + m->n_outputs, sizeof(int));
    if (!m->inputs)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    m->outputs = m->inputs + m->n_inputs;
    for (int i = 0; i < m->n_inputs + m->n_outputs; i++) {
        uint32_t v;
        memcpy(&v, m->buf + h->io_off + 4 * (uint64_t)i, 4);
        if (v >= (uint32_t)m->n_tensors)
            return S_BAD(err, "io table entry %d: tensor %u out of range", i, v);
        m->inputs[i] = (int)v;
    }
    return 0;
}

/* OHWI → HWIO for every CONV_2D weight, once (nn_check.c made sure a conv
 * weight is used by convs only, so no op still wants the file's layout). */
static int s_transpose_conv_weights(struct dn_nn_model *m, struct dn_err *err)
{
    int rc = 0;
    bool *done = calloc((size_t)m->n_tensors, 1);
    float *tmp = NULL;
    if (!done)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    for (int i = 0; i < m->n_ops && rc == 0; i++) {
        const struct dn_nn_op *op = &m->ops[i];
        if (op->code != DN_NN_OP_CONV_2D || done[op->inputs[1]])
            continue;
        struct dn_nn_tensor *t = &m->tensors[op->inputs[1]];
        size_t oc = (size_t)t->dims[0], rest = t->count / oc;
        float *w = (float *)t->data;
        float *grown = realloc(tmp, t->count * sizeof(float));
        if (!grown) {
            rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
            break;
        }
        tmp = grown;
        memcpy(tmp, w, t->count * sizeof(float));
        for (size_t o = 0; o < oc; o++)
            for (size_t k = 0; k < rest; k++) /* k runs over (ky, kx, c) */
                w[k * oc + o] = tmp[o * rest + k];
        done[op->inputs[1]] = true;
    }
    free(tmp);
    free(done);
    return rc;
}

int dn_nn_model_load(const char *path, struct dn_nn_model **out, struct dn_err *err)
{
    struct s_header h;
    struct dn_nn_model *m = calloc(1, sizeof(*m));
    *out = NULL;
    if (!m)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    int rc = s_read_file(path, m, err);
    if (rc == 0)
        rc = s_parse_header(m, &h, err);
    if (rc == 0)
        rc = s_parse_tensors(m, &h, err);
    if (rc == 0)
        rc = s_parse_ops(m, &h, err);
    if (rc == 0)
        rc = s_parse_io(m, &h, err);
    if (rc == 0)
        rc = dn_nn_check_graph(m, err);
    if (rc == 0)
        rc = s_transpose_conv_weights(m, err);
    if (rc) {
        dn_err_prefix(err, "model %s: ", path);
        dn_nn_model_destroy(m);
        return rc;
    }
    *out = m;
    return 0;
}

void dn_nn_model_destroy(struct dn_nn_model *m)
{
    if (!m)
        return;
    free(m->buf);
    free(m->tensors);
    free(m->ops);
    free(m->inputs); /* outputs share this block */
    free(m);
}

const char *dn_nn_model_sha256(const struct dn_nn_model *m) { return m->sha256; }
int dn_nn_model_n_inputs(const struct dn_nn_model *m) { return m->n_inputs; }
int dn_nn_model_n_outputs(const struct dn_nn_model *m) { return m->n_outputs; }
int dn_nn_model_n_ops(const struct dn_nn_model *m) { return m->n_ops; }

static void s_tensor_info(const struct dn_nn_model *m, int t, struct dn_nn_tensor_info *info)
{
    const struct dn_nn_tensor *x = &m->tensors[t];
    info->name = x->name;
    info->rank = x->rank;
    memcpy(info->dims, x->dims, sizeof(info->dims));
    info->count = x->count;
}

void dn_nn_model_input(const struct dn_nn_model *m, int index, struct dn_nn_tensor_info *info)
{
    assert(index >= 0 && index < m->n_inputs);
    s_tensor_info(m, m->inputs[index], info);
}

void dn_nn_model_output(const struct dn_nn_model *m, int index, struct dn_nn_tensor_info *info)
{
    assert(index >= 0 && index < m->n_outputs);
    s_tensor_info(m, m->outputs[index], info);
}

static int s_find(const struct dn_nn_model *m, const int *list, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(m->tensors[list[i]].name, name) == 0)
            return i;
    return -1;
}

int dn_nn_model_input_index(const struct dn_nn_model *m, const char *name)
{
    return s_find(m, m->inputs, m->n_inputs, name);
}

int dn_nn_model_output_index(const struct dn_nn_model *m, const char *name)
{
    return s_find(m, m->outputs, m->n_outputs, name);
}

void dn_nn_model_op(const struct dn_nn_model *m, int index, struct dn_nn_op_info *info)
{
    assert(index >= 0 && index < m->n_ops);
    const struct dn_nn_op *op = &m->ops[index];
    info->code = op->code;
    info->op_name = dn_nn_op_name(op->code);
    info->src_index = op->src_index;
    s_tensor_info(m, op->output, &info->output);
}
