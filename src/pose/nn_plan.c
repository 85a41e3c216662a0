/* nn_plan.c — activation memory plan: one arena per runner, each activation
 * at a fixed offset, offsets shared by tensors whose lifetimes do not overlap.
 *
 * Lifetime of a tensor = [op that writes it, last op that reads it]; graph
 * inputs and outputs live for the whole run (inputs so a run never clobbers
 * what the caller filled, outputs so they can be read afterwards). A RESHAPE
 * output is the same memory as its input (FORMAT.md: the bytes are
 * unchanged), so both share one buffer whose lifetime is the union. Two
 * tensors live at the same op (an op's inputs and its output) never share,
 * which is what makes `out` never alias an input in the kernels.
 *
 * Placement is TFLite's "greedy by size" (ArenaPlanner): largest buffer
 * first, each at the lowest offset that clears every already placed buffer
 * live at the same time. For the pose networks this lands within a few per
 * cent of the peak of live bytes. Offsets are in floats per batch item; the
 * runner multiplies them by max_batch, which keeps disjoint ranges disjoint. */
#include <stdint.h>
#include <stdlib.h>

#include "nn_plan.h"

/* 64-byte alignment of every buffer (and of every batch item's slice when
 * the offsets are scaled by the batch). */
#define S_ALIGN_FLOATS 16

struct s_buf {
    int root;           /* tensor index owning this buffer */
    size_t size;        /* floats per item, aligned */
    int first, last;    /* op indices; -1 = before the first op, n_ops = after the last */
    size_t offset;
};

static int s_by_size(const void *pa, const void *pb)
{
    const struct s_buf *a = pa, *b = pb;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return a->first - b->first;
}

static void s_lifetimes(const struct dn_nn_model *m, const int *root, struct s_buf *bufs,
                        int *slot)
{
    for (int t = 0; t < m->n_tensors; t++)
        slot[t] = -1;
    int n = 0;
    for (int t = 0; t < m->n_tensors; t++) {
        if (m->tensors[t].kind != DN_NN_KIND_ACTIVATION || root[t] != t)
            continue;
        bufs[n] = (struct s_buf){.root = t, .first = INT32_MAX, .last = INT32_MIN,
                                 .size = (m->tensors[t].count + S_ALIGN_FLOATS - 1) /
                                         S_ALIGN_FLOATS * S_ALIGN_FLOATS};
        slot[t] = n++;
    }
    for (int t = 0; t < m->n_tensors; t++)
        if (root[t] >= 0)
            slot[t] = slot[root[t]];
    for (int k = 0; k < m->n_inputs; k++) {
        bufs[slot[m->inputs[k]]].first = -1;
        bufs[slot[m->inputs[k]]].last = m->n_ops;
    }
    for (int i = 0; i < m->n_ops; i++) {
        const struct dn_nn_op *op = &m->ops[i];
        struct s_buf *b = &bufs[slot[op->output]];
        b->first = b->first < i ? b->first : i;
        b->last = b->last > i ? b->last : i; /* written even if never read */
        for (int k = 0; k < op->n_inputs; k++) {
            int t = op->inputs[k];
            if (t >= 0 && m->tensors[t].kind == DN_NN_KIND_ACTIVATION && bufs[slot[t]].last < i)
                bufs[slot[t]].last = i;
        }
    }
    for (int k = 0; k < m->n_outputs; k++)
        bufs[slot[m->outputs[k]]].last = m->n_ops;
}

/* Lowest offset for b clearing every placed buffer whose lifetime overlaps.
 * `placed` is sorted by offset. */
static size_t s_fit(const struct s_buf *b, struct s_buf *const *placed, int n_placed)
{
    size_t at = 0;
    for (int k = 0; k < n_placed; k++) {
        const struct s_buf *p = placed[k];
        if (p->last < b->first || b->last < p->first)
            continue;
        if (at + b->size <= p->offset)
            break;
        if (p->offset + p->size > at)
            at = p->offset + p->size;
    }
    return at;
}

static void s_place(struct s_buf *bufs, int n, struct s_buf **placed, size_t *total)
{
    qsort(bufs, (size_t)n, sizeof(*bufs), s_by_size);
    *total = 0;
    for (int i = 0; i < n; i++) {
        struct s_buf *b = &bufs[i];
        if (b->first == INT32_MAX) { /* never written nor an input: no memory */
            b->offset = SIZE_MAX;
            continue;
        }
        b->offset = s_fit(b, placed, i);
        int k = i; /* insertion keeps `placed` sorted by offset */
        while (k > 0 && (placed[k - 1]->offset > b->offset)) {
            placed[k] = placed[k - 1];
            k--;
        }
        placed[k] = b;
        if (b->offset + b->size > *total)
            *total = b->offset + b->size;
    }
}

int dn_nn_plan_make(const struct dn_nn_model *m, size_t *offsets, size_t *total,
                    struct dn_err *err)
{
    int rc = 0, nt = m->n_tensors;
    int *root = malloc((size_t)nt * 2 * sizeof(int));
    struct s_buf *bufs = calloc((size_t)nt, sizeof(*bufs));
    struct s_buf **placed = calloc((size_t)nt, sizeof(*placed));
    if (!root || !bufs || !placed) {
        rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
        goto cleanup;
    }
    int *slot = root + nt;
    for (int t = 0; t < nt; t++)
        root[t] = m->tensors[t].kind == DN_NN_KIND_ACTIVATION ? t : -1;
    /* Ops are in execution order, so a RESHAPE input's root is final. */
    for (int i = 0; i < m->n_ops; i++)
        if (m->ops[i].code == DN_NN_OP_RESHAPE)
            root[m->ops[i].output] = root[m->ops[i].inputs[0]];
    s_lifetimes(m, root, bufs, slot);
    int n = 0;
    for (int t = 0; t < nt; t++)
        if (root[t] == t)
            n++;
    /* s_place sorts bufs: remember each buffer's root to map back. */
    s_place(bufs, n, placed, total);
    for (int t = 0; t < nt; t++)
        offsets[t] = SIZE_MAX;
    for (int i = 0; i < n; i++)
        offsets[bufs[i].root] = bufs[i].offset;
    for (int t = 0; t < nt; t++)
        if (root[t] >= 0 && root[t] != t)
            offsets[t] = offsets[root[t]];
cleanup:
    free(root);
    free(bufs);
    free(placed);
    return rc;
}
