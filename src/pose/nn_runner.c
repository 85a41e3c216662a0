/* nn_runner.c — runs a loaded graph: one activation arena planned at
 * creation (nn_plan.c), then per run one kernel call per op in file order.
 *
 * The CPU and GPU paths share everything but the memory and the kernel
 * twin called: S_CALL picks dn_<op>_gpu (device pointers, the run's stream)
 * or dn_<op>_ref (host pointers). On the GPU the weights are uploaded once,
 * activations never leave the device, and a run is a sequence of launches on
 * one stream with no synchronisation. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/nn_kernels.h"
#include "nn_model.h"
#include "nn_plan.h"

/* Bounds the arena arithmetic; 4096 crops of 256×256 would need ~40 GB anyway. */
#define S_MAX_BATCH 4096

struct dn_nn_runner {
    const struct dn_nn_model *m;
    int max_batch;
    bool gpu;
    size_t arena_bytes;
    float *arena;    /* host (CPU) or device (GPU) */
    float *weights;  /* GPU: device copy of the data section; CPU: NULL (file buffer) */
    float **ptr;     /* per tensor: its memory (arena slot, or weights), NULL if unused */
};

#ifdef DN_HAVE_CUDA
#define S_CALL(r, op, ...) \
    ((r)->gpu ? dn_##op##_gpu(__VA_ARGS__, stream, err) : (dn_##op##_ref(__VA_ARGS__), 0))
#else
#define S_CALL(r, op, ...) ((void)stream, (void)err, dn_##op##_ref(__VA_ARGS__), 0)
#endif

static int s_alloc_cpu(struct dn_nn_runner *r, struct dn_err *err)
{
    r->arena = aligned_alloc(64, r->arena_bytes);
    if (!r->arena)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory for %zu bytes of activations",
                          r->arena_bytes);
    /* Never read before written, but zeros make a planner bug show as
     * wrong numbers rather than as uninitialised-memory noise. */
    memset(r->arena, 0, r->arena_bytes);
    return 0;
}

static int s_alloc_gpu(struct dn_nn_runner *r, struct dn_err *err)
{
    struct dn_device_info info;
    dn_device_probe(&info);
#ifndef DN_HAVE_CUDA
    (void)r;
    return dn_err_set(err, DN_ERR_UNSUPPORTED, "GPU runner requested, but this build has no "
                      "CUDA kernels");
#else
    const struct dn_nn_model *m = r->m;
    if (!info.usable)
        return dn_err_set(err, DN_ERR_UNSUPPORTED, "GPU runner requested, but %s", info.reason);
    if (dn_dev_alloc((void **)&r->arena, r->arena_bytes, err) ||
        dn_dev_alloc((void **)&r->weights, m->data_size, err) ||
        dn_dev_memset(r->arena, 0, r->arena_bytes, NULL, err) ||
        dn_dev_upload(r->weights, m->buf + m->data_off, m->data_size, NULL, err))
        return dn_err_code(err);
    /* The upload reads the model's (pageable) buffer: finish before returning. */
    return dn_stream_sync(NULL, err);
#endif
}

static void s_point(struct dn_nn_runner *r, const size_t *offsets)
{
    const struct dn_nn_model *m = r->m;
    for (int t = 0; t < m->n_tensors; t++) {
        const struct dn_nn_tensor *x = &m->tensors[t];
        if (x->kind == DN_NN_KIND_CONSTANT)
            r->ptr[t] = r->gpu ? r->weights + (x->data_off - m->data_off) / sizeof(float)
                               : (float *)x->data;
        else if (offsets[t] != SIZE_MAX)
            r->ptr[t] = r->arena + offsets[t] * (size_t)r->max_batch;
    }
}

int dn_nn_runner_new(const struct dn_nn_model *m, int max_batch, bool use_gpu,
                     struct dn_nn_runner **out, struct dn_err *err)
{
    int rc = 0;
    size_t total = 0;
    size_t *offsets = NULL;
    struct dn_nn_runner *r = calloc(1, sizeof(*r));
    *out = NULL;
    if (!r)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    r->m = m;
    r->max_batch = max_batch;
    r->gpu = use_gpu;
    if (max_batch < 1 || max_batch > S_MAX_BATCH) {
        rc = dn_err_set(err, DN_ERR_INTERNAL, "max_batch %d not in 1..%d", max_batch, S_MAX_BATCH);
        goto on_error;
    }
    offsets = malloc((size_t)m->n_tensors * sizeof(*offsets));
    r->ptr = calloc((size_t)m->n_tensors, sizeof(*r->ptr));
    if (!offsets || !r->ptr) {
        rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
        goto on_error;
    }
    if ((rc = dn_nn_plan_make(m, offsets, &total, err)))
        goto on_error;
    if (total > SIZE_MAX / sizeof(float) / (size_t)max_batch) {
        rc = dn_err_set(err, DN_ERR_RESOURCE, "activations for batch %d overflow", max_batch);
        goto on_error;
    }
    r->arena_bytes = total * sizeof(float) * (size_t)max_batch;
    if ((rc = use_gpu ? s_alloc_gpu(r, err) : s_alloc_cpu(r, err)))
        goto on_error;
    s_point(r, offsets);
    free(offsets);
    *out = r;
    return 0;
on_error:
    free(offsets);
    dn_nn_runner_destroy(r);
    return rc;
}

void dn_nn_runner_destroy(struct dn_nn_runner *r)
{
    if (!r)
        return;
    if (r->gpu) {
        dn_dev_free((void **)&r->arena);
        dn_dev_free((void **)&r->weights);
    } else {
        free(r->arena);
    }
    free(r->ptr);
    free(r);
}

bool dn_nn_runner_on_gpu(const struct dn_nn_runner *r) { return r->gpu; }
int dn_nn_runner_max_batch(const struct dn_nn_runner *r) { return r->max_batch; }
size_t dn_nn_runner_arena_bytes(const struct dn_nn_runner *r) { return r->arena_bytes; }

float *dn_nn_runner_input(struct dn_nn_runner *r, int index)
{
    assert(index >= 0 && index < r->m->n_inputs);
    return r->ptr[r->m->inputs[index]];
}

const float *dn_nn_runner_output(const struct dn_nn_runner *r, int index)
{
    assert(index >= 0 && index < r->m->n_outputs);
    return r->ptr[r->m->outputs[index]];
}

static void s_window(const struct dn_nn_model *m, const struct dn_nn_op *op, int batch,
                     struct dn_nn_window *g)
{
    const int *o = op->opts, *x = m->tensors[op->inputs[0]].dims, *y = m->tensors[op->output].dims;
    *g = (struct dn_nn_window){
        .n = batch, .h = x[1], .w = x[2], .c = x[3], .oh = y[1], .ow = y[2], .oc = y[3],
        .kh = o[DN_NN_O_KH], .kw = o[DN_NN_O_KW],
        .stride_h = o[DN_NN_O_STRIDE_H], .stride_w = o[DN_NN_O_STRIDE_W],
        .dil_h = o[DN_NN_O_DIL_H], .dil_w = o[DN_NN_O_DIL_W],
        .pad_top = o[DN_NN_O_PAD_T], .pad_left = o[DN_NN_O_PAD_L],
        .depth_mult = op->code == DN_NN_OP_DEPTHWISE_CONV_2D ? o[DN_NN_O_DEPTH_MULT] : 1,
        .act = o[DN_NN_O_ACT]};
}

static int s_concat(struct dn_nn_runner *r, const struct dn_nn_op *op, int batch,
                    struct dn_stream *stream, struct dn_err *err)
{
    const struct dn_nn_model *m = r->m;
    const float *in[DN_NN_MAX_OP_INPUTS];
    size_t inner[DN_NN_MAX_OP_INPUTS], outer = (size_t)batch;
    int axis = op->opts[DN_NN_O_AXIS];
    for (int d = 1; d < axis; d++)
        outer *= (size_t)m->tensors[op->output].dims[d];
    for (int k = 0; k < op->n_inputs; k++) {
        const struct dn_nn_tensor *t = &m->tensors[op->inputs[k]];
        in[k] = r->ptr[op->inputs[k]];
        inner[k] = 1;
        for (int d = axis; d < t->rank; d++)
            inner[k] *= (size_t)t->dims[d];
    }
    return S_CALL(r, concat, r->ptr[op->output], in, inner, op->n_inputs, outer,
                  op->opts[DN_NN_O_ACT]);
}

static int s_run_op(struct dn_nn_runner *r, const struct dn_nn_op *op, int batch,
                    struct dn_stream *stream, struct dn_err *err)
{
    const struct dn_nn_model *m = r->m;
    const int *o = op->opts, *x = m->tensors[op->inputs[0]].dims;
    float *out = r->ptr[op->output];
    const float *in = r->ptr[op->inputs[0]];
    const float *bias = op->n_inputs > 2 && op->inputs[2] >= 0 ? r->ptr[op->inputs[2]] : NULL;
    struct dn_nn_window g;
    switch (op->code) {
    case DN_NN_OP_CONV_2D:
        s_window(m, op, batch, &g);
        return S_CALL(r, conv2d, out, in, r->ptr[op->inputs[1]], bias, &g);
    case DN_NN_OP_DEPTHWISE_CONV_2D:
        s_window(m, op, batch, &g);
        return S_CALL(r, depthwise_conv2d, out, in, r->ptr[op->inputs[1]], bias, &g);
    case DN_NN_OP_MAX_POOL_2D:
        s_window(m, op, batch, &g);
        return S_CALL(r, max_pool2d, out, in, &g);
    case DN_NN_OP_ADD:
        return S_CALL(r, add, out, in, r->ptr[op->inputs[1]],
                      m->tensors[op->output].count * (size_t)batch, o[DN_NN_O_ACT]);
    case DN_NN_OP_CONCATENATION:
        return s_concat(r, op, batch, stream, err);
    case DN_NN_OP_DEPTH_TO_SPACE:
        return S_CALL(r, depth_to_space, out, in, batch, x[1], x[2], x[3], o[DN_NN_O_BLOCK]);
    case DN_NN_OP_LOGISTIC:
        return S_CALL(r, logistic, out, in, m->tensors[op->output].count * (size_t)batch);
    case DN_NN_OP_PAD:
        return S_CALL(r, pad, out, in, batch, x[1], x[2], x[3], &o[DN_NN_O_PADS + 2]);
    case DN_NN_OP_RESIZE_BILINEAR:
        return S_CALL(r, resize_bilinear, out, in, batch, x[1], x[2], x[3], o[DN_NN_O_OUT_H],
                      o[DN_NN_O_OUT_W], o[DN_NN_O_ALIGN], o[DN_NN_O_HALF]);
    case DN_NN_OP_RESHAPE:
        return 0; /* the output aliases the input (nn_plan.c) */
    default:
        return dn_err_set(err, DN_ERR_INTERNAL, "op code %d passed the loader", op->code);
    }
}

/* Op by op over the whole batch: every kernel sees n = batch, which keeps
 * GPU launches large. (On the CPU, running item by item instead would keep
 * one item's activations in cache, but measured 0-11 % per frame at batch 8
 * single-threaded: not worth a second memory layout.) */
int dn_nn_runner_run_traced(struct dn_nn_runner *r, int batch, struct dn_stream *stream,
                            dn_nn_trace_fn *fn, void *user_data, struct dn_err *err)
{
    const struct dn_nn_model *m = r->m;
    if (batch < 1 || batch > r->max_batch)
        return dn_err_set(err, DN_ERR_INTERNAL, "batch %d not in 1..%d", batch, r->max_batch);
    for (int i = 0; i < m->n_ops; i++) {
        int rc = s_run_op(r, &m->ops[i], batch, stream, err);
        if (rc)
            return dn_err_prefix(err, "op %d (%s): ", i, dn_nn_op_name(m->ops[i].code));
        if (!fn)
            continue;
        struct dn_nn_op_info info;
        if (r->gpu && dn_stream_sync(stream, err))
            return dn_err_code(err);
        dn_nn_model_op(m, i, &info);
        if ((rc = fn(i, &info, r->ptr[m->ops[i].output], batch, user_data)))
            return rc;
    }
    return 0;
}

int dn_nn_runner_run(struct dn_nn_runner *r, int batch, struct dn_stream *stream,
                     struct dn_err *err)
{
    return dn_nn_runner_run_traced(r, batch, stream, NULL, NULL, err);
}
