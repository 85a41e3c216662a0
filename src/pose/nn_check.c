/* nn_check.c — the semantic half of .dnm validation (FORMAT.md "Ops" and
 * "Reading it from C"): what models/dnm.py verify() checks, plus the
 * operand kinds and arities the executor relies on. After this passes, the
 * planner and the kernels index every tensor without further checks. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nn_check.h"

#define S_BAD(err, ...) dn_err_set(err, DN_ERR_BAD_INPUT, __VA_ARGS__)

const char *dn_nn_op_name(int code)
{
    switch (code) {
    case DN_NN_OP_ADD: return "ADD";
    case DN_NN_OP_CONCATENATION: return "CONCATENATION";
    case DN_NN_OP_CONV_2D: return "CONV_2D";
    case DN_NN_OP_DEPTHWISE_CONV_2D: return "DEPTHWISE_CONV_2D";
    case DN_NN_OP_DEPTH_TO_SPACE: return "DEPTH_TO_SPACE";
    case DN_NN_OP_LOGISTIC: return "LOGISTIC";
    case DN_NN_OP_MAX_POOL_2D: return "MAX_POOL_2D";
    case DN_NN_OP_RESHAPE: return "RESHAPE";
    case DN_NN_OP_RESIZE_BILINEAR: return "RESIZE_BILINEAR";
    case DN_NN_OP_PAD: return "PAD";
    default: return NULL;
    }
}

/* TFLite names of ops a future converter might let through, so the error
 * for an unsupported op says which one it is. */
static const char *s_tflite_name(int code)
{
    static const struct { int code; const char *name; } known[] = {
        {1, "AVERAGE_POOL_2D"}, {6, "DEQUANTIZE"}, {9, "FULLY_CONNECTED"},
        {11, "L2_NORMALIZATION"}, {18, "MUL"}, {19, "RELU"}, {21, "RELU6"},
        {25, "SOFTMAX"}, {28, "TANH"}, {36, "GATHER"}, {39, "TRANSPOSE"}, {40, "MEAN"},
        {41, "SUB"}, {42, "DIV"}, {43, "SQUEEZE"}, {45, "STRIDED_SLICE"}, {47, "EXP"},
        {49, "SPLIT"}, {54, "PRELU"}, {67, "TRANSPOSE_CONV"}, {97, "RESIZE_NEAREST_NEIGHBOR"},
        {98, "LEAKY_RELU"}, {106, "ADD_N"}, {114, "QUANTIZE"}, {117, "HARD_SWISH"},
        {124, "DENSIFY"}, {126, "BATCH_MATMUL"},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (known[i].code == code)
            return known[i].name;
    return "not a TFLite builtin this reader knows";
}

static bool s_same_shape(const struct dn_nn_tensor *a, const struct dn_nn_tensor *b)
{
    return a->rank == b->rank && memcmp(a->dims, b->dims, sizeof(a->dims)) == 0;
}

static int s_shape_error(const struct dn_nn_model *m, int i, const int *want, int rank,
                         struct dn_err *err)
{
    const struct dn_nn_tensor *y = &m->tensors[m->ops[i].output];
    return S_BAD(err, "op %d (%s): options imply shape [%d,%d,%d,%d] (rank %d), output tensor %s is "
                 "[%d,%d,%d,%d] (rank %d)", i, dn_nn_op_name(m->ops[i].code), want[0], want[1],
                 want[2], want[3], rank, y->name, y->dims[0], y->dims[1], y->dims[2], y->dims[3],
                 y->rank);
}

static int s_expect_shape(const struct dn_nn_model *m, int i, const int want[4], int rank,
                          struct dn_err *err)
{
    const struct dn_nn_tensor *y = &m->tensors[m->ops[i].output];
    if (y->rank != rank)
        return s_shape_error(m, i, want, rank, err);
    for (int d = 0; d < rank; d++)
        if (y->dims[d] != want[d])
            return s_shape_error(m, i, want, rank, err);
    return 0;
}

/* Output extent of a window op along one axis; < 1 when the window does not fit. */
static long s_window_out(long size, long k, long stride, long dil, long before, long after)
{
    long span = size + before + after - ((k - 1) * dil + 1);
    return span < 0 ? 0 : span / stride + 1;
}

static int s_check_weights(const struct dn_nn_model *m, int i, int c, int *oc, struct dn_err *err)
{
    const struct dn_nn_op *op = &m->ops[i];
    const int *o = op->opts;
    const struct dn_nn_tensor *w = &m->tensors[op->inputs[1]];
    bool dw = op->code == DN_NN_OP_DEPTHWISE_CONV_2D;
    if (w->rank != 4 || w->dims[1] != o[DN_NN_O_KH] || w->dims[2] != o[DN_NN_O_KW] ||
        (dw ? w->dims[0] != 1 || w->dims[3] != c * o[DN_NN_O_DEPTH_MULT] : w->dims[3] != c))
        return S_BAD(err, "op %d (%s): weight %s [%d,%d,%d,%d] does not match kernel %dx%d, %d "
                     "input channels", i, dn_nn_op_name(op->code), w->name, w->dims[0], w->dims[1],
                     w->dims[2], w->dims[3], o[DN_NN_O_KH], o[DN_NN_O_KW], c);
    *oc = dw ? w->dims[3] : w->dims[0];
    if (op->n_inputs == 3 && op->inputs[2] >= 0) {
        const struct dn_nn_tensor *b = &m->tensors[op->inputs[2]];
        if (b->rank != 1 || b->dims[0] != *oc)
            return S_BAD(err, "op %d: bias %s has %d entries, want %d", i, b->name, b->dims[0], *oc);
    }
    return 0;
}

static int s_check_window(const struct dn_nn_model *m, int i, struct dn_err *err)
{
    const struct dn_nn_op *op = &m->ops[i];
    const int *o = op->opts;
    const struct dn_nn_tensor *x = &m->tensors[op->inputs[0]];
    if (x->rank != 4)
        return S_BAD(err, "op %d (%s): input rank %d, want 4", i, dn_nn_op_name(op->code), x->rank);
    for (int s = DN_NN_O_STRIDE_H; s <= DN_NN_O_KW; s++)
        if (o[s] < 1)
            return S_BAD(err, "op %d: option slot %d = %d, want >= 1", i, s, o[s]);
    for (int s = DN_NN_O_PAD_T; s <= DN_NN_O_PAD_R; s++)
        if (o[s] < 0 || o[s] > 1 << 16)
            return S_BAD(err, "op %d: padding slot %d = %d out of range", i, s, o[s]);
    int oc = x->dims[3];
    if (op->code == DN_NN_OP_DEPTHWISE_CONV_2D && o[DN_NN_O_DEPTH_MULT] < 1)
        return S_BAD(err, "op %d: depth_multiplier %d", i, o[DN_NN_O_DEPTH_MULT]);
    if (op->code != DN_NN_OP_MAX_POOL_2D && s_check_weights(m, i, x->dims[3], &oc, err))
        return dn_err_code(err);
    long oh = s_window_out(x->dims[1], o[DN_NN_O_KH], o[DN_NN_O_STRIDE_H], o[DN_NN_O_DIL_H],
                           o[DN_NN_O_PAD_T], o[DN_NN_O_PAD_B]);
    long ow = s_window_out(x->dims[2], o[DN_NN_O_KW], o[DN_NN_O_STRIDE_W], o[DN_NN_O_DIL_W],
                           o[DN_NN_O_PAD_L], o[DN_NN_O_PAD_R]);
    int want[4] = {x->dims[0], (int)oh, (int)ow, oc};
    return s_expect_shape(m, i, want, 4, err);
}

static int s_check_concat(const struct dn_nn_model *m, int i, struct dn_err *err)
{
    const struct dn_nn_op *op = &m->ops[i];
    const struct dn_nn_tensor *x = &m->tensors[op->inputs[0]];
    int axis = op->opts[DN_NN_O_AXIS], want[4];
    if (axis < 1 || axis >= x->rank)
        return S_BAD(err, "op %d: concatenation axis %d (must be 1..rank-1)", i, axis);
    memcpy(want, x->dims, sizeof(want));
    for (int k = 1; k < op->n_inputs; k++) {
        const struct dn_nn_tensor *t = &m->tensors[op->inputs[k]];
        bool ok = t->rank == x->rank;
        for (int d = 0; ok && d < x->rank; d++)
            ok = d == axis || t->dims[d] == x->dims[d];
        if (!ok)
            return S_BAD(err, "op %d: concatenation input %s does not match %s off axis %d", i,
                         t->name, x->name, axis);
        want[axis] += t->dims[axis];
    }
    return s_expect_shape(m, i, want, x->rank, err);
}

static int s_check_shape_ops(const struct dn_nn_model *m, int i, struct dn_err *err)
{
    const struct dn_nn_op *op = &m->ops[i];
    const int *o = op->opts;
    const struct dn_nn_tensor *x = &m->tensors[op->inputs[0]];
    const struct dn_nn_tensor *y = &m->tensors[op->output];
    int want[4] = {0, 0, 0, 0};
    if (op->code == DN_NN_OP_RESHAPE)
        return x->count == y->count ? 0 : S_BAD(err, "op %d: reshape of %zu elements to %zu", i,
                                                 x->count, y->count);
    if (op->code == DN_NN_OP_LOGISTIC || op->code == DN_NN_OP_ADD)
        return s_expect_shape(m, i, x->dims, x->rank, err);
    if (x->rank != 4)
        return S_BAD(err, "op %d (%s): input rank %d, want 4", i, dn_nn_op_name(op->code), x->rank);
    memcpy(want, x->dims, sizeof(want));
    if (op->code == DN_NN_OP_PAD) {
        for (int s = DN_NN_O_PADS; s < DN_NN_O_PADS + 8; s++)
            if (o[s] < 0 || o[s] > 1 << 16)
                return S_BAD(err, "op %d: pad slot %d = %d out of range", i, s, o[s]);
        if (o[DN_NN_O_PADS] || o[DN_NN_O_PADS + 1])
            return S_BAD(err, "op %d: PAD pads the batch dim", i);
        for (int d = 1; d < 4; d++)
            want[d] += o[DN_NN_O_PADS + 2 * d] + o[DN_NN_O_PADS + 2 * d + 1];
    } else if (op->code == DN_NN_OP_RESIZE_BILINEAR) {
        if ((unsigned)o[DN_NN_O_ALIGN] > 1 || (unsigned)o[DN_NN_O_HALF] > 1)
            return S_BAD(err, "op %d: align_corners/half_pixel_centers not 0/1", i);
        want[1] = o[DN_NN_O_OUT_H];
        want[2] = o[DN_NN_O_OUT_W];
    } else { /* DEPTH_TO_SPACE */
        int b = o[DN_NN_O_BLOCK];
        if (b < 1 || b > 64 || x->dims[3] % (b * b) != 0)
            return S_BAD(err, "op %d: depth_to_space block %d with %d channels", i, b, x->dims[3]);
        want[1] *= b;
        want[2] *= b;
        want[3] /= b * b;
    }
    return s_expect_shape(m, i, want, 4, err);
}

/* Arity, and which operands are activations (data) or constants (weights). */
static int s_check_operands(const struct dn_nn_model *m, int i, struct dn_err *err)
{
    const struct dn_nn_op *op = &m->ops[i];
    const char *name = dn_nn_op_name(op->code);
    bool window = op->code == DN_NN_OP_CONV_2D || op->code == DN_NN_OP_DEPTHWISE_CONV_2D;
    int lo = 1, hi = 1;
    if (op->code == DN_NN_OP_ADD)
        lo = hi = 2;
    else if (window)
        lo = 2, hi = 3;
    else if (op->code == DN_NN_OP_CONCATENATION)
        hi = DN_NN_MAX_OP_INPUTS;
    if (op->n_inputs < lo || op->n_inputs > hi)
        return S_BAD(err, "op %d (%s): %d inputs, want %d..%d", i, name, op->n_inputs, lo, hi);
    for (int k = 0; k < op->n_inputs; k++) {
        int t = op->inputs[k];
        bool weight = window && k >= 1;
        if (t < 0) {
            if (!(window && k == 2))
                return S_BAD(err, "op %d (%s): input %d absent (only a conv bias may be)", i, name, k);
            continue;
        }
        int want = weight ? DN_NN_KIND_CONSTANT : DN_NN_KIND_ACTIVATION;
        if (m->tensors[t].kind != want)
            return dn_err_set(err, DN_ERR_UNSUPPORTED, "op %d (%s): input %d (%s) is %s, this "
                              "engine needs %s", i, name, k, m->tensors[t].name,
                              want ? "an activation" : "a constant",
                              want ? "a constant" : "an activation");
    }
    return 0;
}

static int s_check_act(const struct dn_nn_op *op, int i, struct dn_err *err)
{
    int act = op->opts[DN_NN_O_ACT];
    bool fused = op->code == DN_NN_OP_ADD || op->code == DN_NN_OP_CONCATENATION ||
                 op->code == DN_NN_OP_CONV_2D || op->code == DN_NN_OP_DEPTHWISE_CONV_2D ||
                 op->code == DN_NN_OP_MAX_POOL_2D;
    if (act != DN_NN_ACT_NONE && act != DN_NN_ACT_RELU && act != DN_NN_ACT_RELU6)
        return dn_err_set(err, DN_ERR_UNSUPPORTED, "op %d (%s): fused activation %d (only NONE, "
                          "RELU, RELU6)", i, dn_nn_op_name(op->code), act);
    /* TFLite has no fused activation on these, so no kernel takes one. */
    if (act != DN_NN_ACT_NONE && !fused)
        return dn_err_set(err, DN_ERR_UNSUPPORTED, "op %d (%s): fused activation %d on an op "
                          "without one", i, dn_nn_op_name(op->code), act);
    return 0;
}

static int s_check_op(const struct dn_nn_model *m, int i, struct dn_err *err)
{
    const struct dn_nn_op *op = &m->ops[i];
    if (!dn_nn_op_name(op->code))
        return dn_err_set(err, DN_ERR_UNSUPPORTED, "op %d: unsupported op code %d (%s)", i,
                          op->code, s_tflite_name(op->code));
    int rc = s_check_act(op, i, err);
    if (rc == 0)
        rc = s_check_operands(m, i, err);
    if (rc)
        return rc;
    switch (op->code) {
    case DN_NN_OP_CONV_2D:
    case DN_NN_OP_DEPTHWISE_CONV_2D:
    case DN_NN_OP_MAX_POOL_2D:
        return s_check_window(m, i, err);
    case DN_NN_OP_CONCATENATION:
        return s_check_concat(m, i, err);
    case DN_NN_OP_ADD:
        if (!s_same_shape(&m->tensors[op->inputs[0]], &m->tensors[op->inputs[1]]))
            return dn_err_set(err, DN_ERR_UNSUPPORTED, "op %d (ADD): operand shapes differ "
                              "(broadcasting is not supported)", i);
        return s_check_shape_ops(m, i, err);
    default:
        return s_check_shape_ops(m, i, err);
    }
}

/* A conv weight is transposed in place at load, so it must serve convs only. */
static int s_check_weight_use(const struct dn_nn_model *m, struct dn_err *err)
{
    int rc = 0;
    char *use = calloc((size_t)m->n_tensors, 1); /* 0 none, 1 conv weight, 2 other */
    if (!use)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    for (int i = 0; i < m->n_ops && rc == 0; i++)
        for (int k = 0; k < m->ops[i].n_inputs && rc == 0; k++) {
            int t = m->ops[i].inputs[k];
            if (t < 0 || m->tensors[t].kind != DN_NN_KIND_CONSTANT)
                continue;
            char u = m->ops[i].code == DN_NN_OP_CONV_2D && k == 1 ? 1 : 2;
            if (use[t] && use[t] != u)
                rc = dn_err_set(err, DN_ERR_UNSUPPORTED, "constant %s is a CONV_2D weight and "
                                "another op's operand", m->tensors[t].name);
            use[t] = u;
        }
    free(use);
    return rc;
}

/* Execution order: inputs produced before use, outputs fresh. */
static int s_check_flow(const struct dn_nn_model *m, bool *produced, struct dn_err *err)
{
    for (int k = 0; k < m->n_inputs; k++) {
        int t = m->inputs[k];
        if (m->tensors[t].kind != DN_NN_KIND_ACTIVATION || produced[t])
            return S_BAD(err, "graph input %d (tensor %d) is a constant or listed twice", k, t);
        produced[t] = true;
    }
    for (int i = 0; i < m->n_ops; i++) {
        const struct dn_nn_op *op = &m->ops[i];
        for (int k = 0; k < op->n_inputs; k++) {
            int t = op->inputs[k];
            if (t >= 0 && m->tensors[t].kind == DN_NN_KIND_ACTIVATION && !produced[t])
                return S_BAD(err, "op %d: input tensor %d (%s) used before it is produced", i, t,
                             m->tensors[t].name);
        }
        if (m->tensors[op->output].kind != DN_NN_KIND_ACTIVATION || produced[op->output])
            return S_BAD(err, "op %d: output tensor %d is not a fresh activation", i, op->output);
        produced[op->output] = true;
    }
    for (int k = 0; k < m->n_outputs; k++)
        if (!produced[m->outputs[k]] || m->tensors[m->outputs[k]].kind != DN_NN_KIND_ACTIVATION)
            return S_BAD(err, "graph output %d (tensor %d) is never produced", k, m->outputs[k]);
    return 0;
}

int dn_nn_check_graph(const struct dn_nn_model *m, struct dn_err *err)
{
    /* Batch folding (the runner scales dim 0) is sound only if every
     * activation has dim 0 = 1 (and, checked per op, no op mixes items). */
    for (int i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].kind == DN_NN_KIND_ACTIVATION && m->tensors[i].dims[0] != 1)
            return S_BAD(err, "tensor %d (%s): batch dim %d, want 1", i, m->tensors[i].name,
                         m->tensors[i].dims[0]);
    for (int i = 0; i < m->n_ops; i++) {
        int rc = s_check_op(m, i, err);
        if (rc)
            return rc;
    }
    int rc = s_check_weight_use(m, err);
    if (rc)
        return rc;
    bool *produced = calloc((size_t)m->n_tensors, sizeof(bool));
    if (!produced)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    rc = s_check_flow(m, produced, err);
    free(produced);
    return rc;
}
