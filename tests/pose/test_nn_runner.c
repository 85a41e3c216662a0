/* test_nn_runner.c — the executor: memory plan invariants, the synthetic
 * graph against its naive evaluation at several batch sizes, the API's
 * contracts (input untouched, batch bounds, tracing), and batch folding on
 * the real networks (every item of a batch bit-identical to its batch-1
 * run: a pixel's sum never depends on which tile or batch it is in). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/device.h"
#include "dancer/nn.h"
#include "naive.h"
#include "nn_model.h"
#include "nn_plan.h"
#include "nn_test_util.h"
#include "synth.h"
#include "test.h"

static struct dn_nn_model *s_synth(struct dn_err *err)
{
    struct dnmw b;
    struct dn_nn_model *m = NULL;
    char path[4096];
    synth_build(&b);
    snprintf(path, sizeof(path), "%s/synth.dnm", dn_test_tmp_dir());
    if (dnmw_write(&b, path) == 0)
        dn_nn_model_load(path, &m, err);
    return m;
}

static struct dn_nn_model *s_real(const char *name, struct dn_err *err)
{
    char path[4096];
    struct dn_nn_model *m = NULL;
    if (nn_test_model(name, path, sizeof(path)))
        dn_nn_model_load(path, &m, err);
    return m;
}

/* Lifetimes recomputed here independently of nn_plan.c: [producer, last
 * reader], graph inputs and outputs over the whole run. A RESHAPE output is
 * its input's memory, so lifetimes are merged per alias group (root). */
static void s_lifetimes(const struct dn_nn_model *m, int *root, int *first, int *last)
{
    for (int t = 0; t < m->n_tensors; t++)
        root[t] = t, first[t] = INT32_MAX, last[t] = -2;
    for (int i = 0; i < m->n_ops; i++)
        if (m->ops[i].code == DN_NN_OP_RESHAPE)
            root[m->ops[i].output] = root[m->ops[i].inputs[0]];
#define S_USE(t, i) (first[root[t]] = first[root[t]] < (i) ? first[root[t]] : (i), \
                     last[root[t]] = last[root[t]] > (i) ? last[root[t]] : (i))
    for (int k = 0; k < m->n_inputs; k++)
        S_USE(m->inputs[k], -1), S_USE(m->inputs[k], m->n_ops);
    for (int i = 0; i < m->n_ops; i++) {
        S_USE(m->ops[i].output, i);
        for (int k = 0; k < m->ops[i].n_inputs; k++)
            if (m->ops[i].inputs[k] >= 0 && m->tensors[m->ops[i].inputs[k]].kind == DN_NN_KIND_ACTIVATION)
                S_USE(m->ops[i].inputs[k], i);
    }
    for (int k = 0; k < m->n_outputs; k++)
        S_USE(m->outputs[k], m->n_ops);
#undef S_USE
}

static void s_check_plan(const struct dn_nn_model *m)
{
    int nt = m->n_tensors;
    size_t *off = malloc((size_t)nt * sizeof(size_t)), total = 0, sum = 0, overlaps = 0;
    int *root = malloc(3 * (size_t)nt * sizeof(int)), *first = root + nt, *last = root + 2 * nt;
    struct dn_err err = {0};
    DN_CHECK_OK(dn_nn_plan_make(m, off, &total, &err), &err);
    s_lifetimes(m, root, first, last);
    for (int a = 0; a < nt; a++) {
        if (m->tensors[a].kind != DN_NN_KIND_ACTIVATION || first[root[a]] == INT32_MAX)
            continue;
        DN_EXPECT(off[a] == off[root[a]]); /* aliases share */
        if (root[a] != a)
            continue;
        DN_EXPECT(off[a] != SIZE_MAX && off[a] % 16 == 0 && off[a] + m->tensors[a].count <= total);
        sum += m->tensors[a].count;
        for (int b = a + 1; b < nt; b++) {
            if (m->tensors[b].kind != DN_NN_KIND_ACTIVATION || root[b] != b ||
                first[b] == INT32_MAX || last[a] < first[b] || last[b] < first[a])
                continue;
            if (off[a] < off[b] + m->tensors[b].count && off[b] < off[a] + m->tensors[a].count)
                overlaps++;
        }
    }
    DN_EXPECT_INT(overlaps, 0);
    DN_EXPECT(total < sum); /* buffers are shared */
    free(off), free(root);
}

DN_TEST(plan_never_overlaps_live_buffers)
{
    struct dn_err err = {0};
    struct dn_nn_model *m = s_synth(&err);
    DN_CHECK(m);
    s_check_plan(m);
    dn_nn_model_destroy(m);
    const char *names[2] = {"pose_detection", "pose_landmark_full"};
    for (int i = 0; i < 2; i++) {
        if (!(m = s_real(names[i], &err)))
            DN_SKIP("models not fetched (models/fetch.sh)");
        s_check_plan(m);
        dn_nn_model_destroy(m);
    }
}

static bool s_same(const float *a, const float *b, size_t n, float tol)
{
    for (size_t i = 0; i < n; i++)
        if (!(a[i] - b[i] <= tol && b[i] - a[i] <= tol)) {
            dn_test_fail(__FILE__, __LINE__, "index %zu: %.9g vs %.9g", i, a[i], b[i]);
            return false;
        }
    return true;
}

DN_TEST(synthetic_graph_matches_naive_at_any_batch)
{
    struct dn_err err = {0};
    struct dn_nn_model *m = s_synth(&err);
    struct dn_nn_runner *r = NULL;
    float x[5 * SYNTH_IN], y0[5 * SYNTH_OUT0], y1[5 * SYNTH_OUT1], keep[5 * SYNTH_IN];
    DN_CHECK(m);
    DN_CHECK_OK(dn_nn_runner_new(m, 5, false, &r, &err), &err);
    DN_EXPECT(!dn_nn_runner_on_gpu(r) && dn_nn_runner_max_batch(r) == 5);
    naive_fill(x, 5 * SYNTH_IN, 7, -2, 2);
    synth_expect(x, 5, y0, y1);
    const int batches[3] = {1, 3, 5};
    for (int k = 0; k < 3; k++) {
        memcpy(dn_nn_runner_input(r, 0), x, sizeof(x));
        DN_CHECK_OK(dn_nn_runner_run(r, batches[k], NULL, &err), &err);
        /* Tolerance: float vs the naive double sums, 4..36 terms. */
        s_same(dn_nn_runner_output(r, 0), y0, (size_t)batches[k] * SYNTH_OUT0, 1e-5f);
        s_same(dn_nn_runner_output(r, 1), y1, (size_t)batches[k] * SYNTH_OUT1, 1e-5f);
    }
    /* A run leaves its input alone, so a second run needs no refill. */
    memcpy(keep, dn_nn_runner_input(r, 0), sizeof(keep));
    DN_CHECK_OK(dn_nn_runner_run(r, 5, NULL, &err), &err);
    DN_EXPECT(memcmp(keep, dn_nn_runner_input(r, 0), sizeof(keep)) == 0);
    DN_EXPECT(dn_nn_runner_run(r, 6, NULL, &err) == DN_E(DN_ERR_INTERNAL));
    DN_EXPECT(dn_nn_runner_run(r, 0, NULL, &err) == DN_E(DN_ERR_INTERNAL));
    dn_nn_runner_destroy(r);
    dn_nn_runner_destroy(NULL);
    struct dn_nn_runner *bad = (struct dn_nn_runner *)1;
    DN_EXPECT(dn_nn_runner_new(m, 0, false, &bad, &err) == DN_E(DN_ERR_INTERNAL) && bad == NULL);
    dn_nn_model_destroy(m);
}

struct s_trace {
    int calls, stop_at;
    bool ordered;
};

static int s_on_op(int i, const struct dn_nn_op_info *op, const float *out, int batch, void *user)
{
    struct s_trace *t = user;
    t->ordered = t->ordered && i == t->calls && out && batch == 2 && op->op_name;
    t->calls++;
    return i == t->stop_at ? 42 : 0;
}

DN_TEST(traced_run_sees_every_op)
{
    struct dn_err err = {0};
    struct dn_nn_model *m = s_synth(&err);
    struct dn_nn_runner *r = NULL;
    DN_CHECK(m);
    DN_CHECK_OK(dn_nn_runner_new(m, 2, false, &r, &err), &err);
    struct s_trace t = {.stop_at = -1, .ordered = true};
    DN_CHECK_OK(dn_nn_runner_run_traced(r, 2, NULL, s_on_op, &t, &err), &err);
    DN_EXPECT(t.ordered && t.calls == dn_nn_model_n_ops(m));
    t = (struct s_trace){.stop_at = 4, .ordered = true};
    DN_EXPECT_INT(dn_nn_runner_run_traced(r, 2, NULL, s_on_op, &t, &err), 42);
    DN_EXPECT_INT(t.calls, 5);
    dn_nn_runner_destroy(r);
    dn_nn_model_destroy(m);
}

DN_TEST(gpu_runner_needs_a_gpu)
{
    struct dn_device_info info;
    struct dn_err err = {0};
    struct dn_nn_model *m = s_synth(&err);
    struct dn_nn_runner *r = NULL;
    DN_CHECK(m);
    dn_device_probe(&info);
    if (info.usable) {
        dn_nn_model_destroy(m);
        DN_SKIP("a GPU is present (test_nn_gpu covers it)");
    }
    DN_EXPECT(dn_nn_runner_new(m, 1, true, &r, &err) == DN_E(DN_ERR_UNSUPPORTED));
    DN_EXPECT(r == NULL && strstr(err.msg, "GPU"));
    dn_nn_model_destroy(m);
}

/* Item i of a batch-3 run equals the batch-1 run on item i, bit for bit. */
static void s_batch_folding(const char *name)
{
    struct dn_err err = {0};
    struct dn_nn_model *m = s_real(name, &err);
    struct dn_nn_runner *r1 = NULL, *r3 = NULL;
    struct dn_nn_tensor_info in, out;
    if (!m)
        return;
    dn_nn_model_input(m, 0, &in);
    DN_CHECK_OK(dn_nn_runner_new(m, 1, false, &r1, &err), &err);
    DN_CHECK_OK(dn_nn_runner_new(m, 3, false, &r3, &err), &err);
    naive_fill(dn_nn_runner_input(r3, 0), 3 * in.count, 3, 0, 1);
    DN_CHECK_OK(dn_nn_runner_run(r3, 3, NULL, &err), &err);
    for (int i = 0; i < 3; i++) {
        memcpy(dn_nn_runner_input(r1, 0), dn_nn_runner_input(r3, 0) + i * in.count,
               in.count * sizeof(float));
        DN_CHECK_OK(dn_nn_runner_run(r1, 1, NULL, &err), &err);
        for (int k = 0; k < dn_nn_model_n_outputs(m); k++) {
            dn_nn_model_output(m, k, &out);
            DN_EXPECT(memcmp(dn_nn_runner_output(r1, k), dn_nn_runner_output(r3, k) + i * out.count,
                             out.count * sizeof(float)) == 0);
        }
    }
    dn_nn_runner_destroy(r1);
    dn_nn_runner_destroy(r3);
    dn_nn_model_destroy(m);
}

DN_TEST(real_batch_items_equal_batch_one)
{
    char path[4096];
    if (!nn_test_model("pose_detection", path, sizeof(path)))
        DN_SKIP("models not fetched (models/fetch.sh)");
    s_batch_folding("pose_detection");
    s_batch_folding("pose_landmark_full");
}
