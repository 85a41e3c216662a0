/* test_nn_gpu.c — the GPU runner against the CPU runner (label parity:
 * skipped without a usable GPU): the synthetic graph against its naive
 * evaluation, and both pose networks at batch 1 and 4.
 *
 * Network tolerance, elementwise |gpu − cpu| ≤ 1e-2 + 2e-5·|cpu|,
 * segmentation logits after the sigmoid within 1e-2. GPU and CPU are two
 * float32 evaluations of ~100 layers summed in different orders (the GPU:
 * one FMA chain per output in (ky, kx, k) order). Replaying exactly that
 * order on the CPU (the conv and depthwise twins rewritten as such fmaf
 * chains) on this test's input put the landmark network's z outputs (|z| up
 * to ~125 px) up to 7.2e-3 from the CPU runner, over the 3e-3 first chosen
 * from the CPU side (our reference and the interpreter each sit up to
 * ~1.8e-3 from float64, test_nn_parity.py); its x, y and logits stayed
 * within 1.5e-3, the other tensors within 5.4e-4 (segmentation: 2.7e-3
 * after the sigmoid). An indexing or
 * launch bug moves outputs by far more. Items of a GPU batch must equal
 * their batch-1 GPU run bit for bit (each output is one thread's FMA chain
 * in a fixed order, whatever tile or batch it falls in). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/device.h"
#include "dancer/nn.h"
#include "naive.h"
#include "nn_test_util.h"
#include "synth.h"
#include "test.h"

/* Runs r on `batch` items of host input x; copies output k to host out. */
static int s_run(struct dn_nn_runner *r, const float *x, size_t in_count, int batch,
                 struct dn_stream *stream, struct dn_err *err)
{
    size_t bytes = in_count * (size_t)batch * sizeof(float);
    if (!dn_nn_runner_on_gpu(r)) {
        memcpy(dn_nn_runner_input(r, 0), x, bytes);
        return dn_nn_runner_run(r, batch, NULL, err);
    }
    if (dn_dev_upload(dn_nn_runner_input(r, 0), x, bytes, stream, err))
        return dn_err_code(err);
    if (dn_nn_runner_run(r, batch, stream, err))
        return dn_err_code(err);
    return dn_stream_sync(stream, err);
}

static float *s_output(struct dn_nn_runner *r, int k, size_t count, int batch, struct dn_err *err)
{
    size_t bytes = count * (size_t)batch * sizeof(float);
    float *host = malloc(bytes);
    if (!dn_nn_runner_on_gpu(r))
        memcpy(host, dn_nn_runner_output(r, k), bytes);
    else if (dn_dev_download(host, dn_nn_runner_output(r, k), bytes, NULL, err) || dn_stream_sync(NULL, err))
        dn_test_fail(__FILE__, __LINE__, "download: %s", err->msg);
    return host;
}

DN_TEST(synthetic_graph_on_gpu)
{
    struct dn_err err = {0};
    struct dnmw b;
    struct dn_nn_model *m = NULL;
    struct dn_nn_runner *r = NULL;
    char path[4096];
    float x[3 * SYNTH_IN], y0[3 * SYNTH_OUT0], y1[3 * SYNTH_OUT1];
    NN_TEST_NEED_GPU();
    synth_build(&b);
    snprintf(path, sizeof(path), "%s/synth.dnm", dn_test_tmp_dir());
    DN_CHECK(dnmw_write(&b, path) == 0);
    DN_CHECK_OK(dn_nn_model_load(path, &m, &err), &err);
    DN_CHECK_OK(dn_nn_runner_new(m, 3, true, &r, &err), &err);
    DN_EXPECT(dn_nn_runner_on_gpu(r));
    naive_fill(x, 3 * SYNTH_IN, 7, -2, 2);
    synth_expect(x, 3, y0, y1);
    DN_CHECK_OK(s_run(r, x, SYNTH_IN, 3, NULL, &err), &err);
    float *g0 = s_output(r, 0, SYNTH_OUT0, 3, &err), *g1 = s_output(r, 1, SYNTH_OUT1, 3, &err);
    for (int i = 0; i < 3 * SYNTH_OUT0; i++)
        DN_EXPECT_NEAR(g0[i], y0[i], 1e-5);
    for (int i = 0; i < 3 * SYNTH_OUT1; i++)
        DN_EXPECT_NEAR(g1[i], y1[i], 1e-5);
    free(g0), free(g1);
    dn_nn_runner_destroy(r);
    dn_nn_model_destroy(m);
}

static double s_sigmoid(double v)
{
    return 1.0 / (1.0 + exp(-v));
}

static void s_compare(const char *net, const struct dn_nn_tensor_info *t, const float *gpu,
                      const float *cpu, size_t n)
{
    bool seg = !strcmp(t->name, "Identity_2") && strstr(net, "landmark");
    double atol = 1e-2, worst = 0;
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++) {
        double d = seg ? fabs(s_sigmoid(gpu[i]) - s_sigmoid(cpu[i])) : fabs((double)gpu[i] - cpu[i]);
        double lim = seg ? 1e-2 : atol + 2e-5 * fabs(cpu[i]);
        worst = d > worst ? d : worst;
        if (!(d <= lim) && bad++ == 0)
            first = i;
    }
    printf("%s %s: max |gpu - cpu| %.3g%s\n", net, t->name, worst, seg ? " (after sigmoid)" : "");
    if (bad)
        dn_test_fail(__FILE__, __LINE__, "%s %s: %zu of %zu differ, first at %zu: %.9g vs %.9g",
                     net, t->name, bad, n, first, gpu[first], cpu[first]);
}

static void s_network(const char *name)
{
    struct dn_err err = {0};
    struct dn_nn_model *m = NULL;
    struct dn_nn_runner *cpu = NULL, *gpu = NULL, *gpu1 = NULL;
    struct dn_stream *stream = NULL;
    struct dn_nn_tensor_info in, out;
    char path[4096];
    if (!nn_test_model(name, path, sizeof(path)))
        return;
    DN_CHECK_OK(dn_nn_model_load(path, &m, &err), &err);
    DN_CHECK_OK(dn_nn_runner_new(m, 4, false, &cpu, &err), &err);
    DN_CHECK_OK(dn_nn_runner_new(m, 4, true, &gpu, &err), &err);
    DN_CHECK_OK(dn_nn_runner_new(m, 1, true, &gpu1, &err), &err);
    DN_CHECK_OK(dn_stream_new(&stream, &err), &err);
    dn_nn_model_input(m, 0, &in);
    float *x = malloc(4 * in.count * sizeof(float));
    naive_fill(x, 4 * in.count, 5, 0, 1);
    DN_CHECK_OK(s_run(cpu, x, in.count, 4, NULL, &err), &err);
    DN_CHECK_OK(s_run(gpu, x, in.count, 4, stream, &err), &err);
    DN_CHECK_OK(s_run(gpu1, x + 2 * in.count, in.count, 1, stream, &err), &err); /* item 2 alone */
    for (int k = 0; k < dn_nn_model_n_outputs(m); k++) {
        dn_nn_model_output(m, k, &out);
        float *c = s_output(cpu, k, out.count, 4, &err), *g = s_output(gpu, k, out.count, 4, &err);
        float *g1 = s_output(gpu1, k, out.count, 1, &err);
        s_compare(name, &out, g, c, 4 * out.count);
        DN_EXPECT(memcmp(g1, g + 2 * out.count, out.count * sizeof(float)) == 0);
        free(c), free(g), free(g1);
    }
    free(x);
    dn_stream_destroy(stream);
    dn_nn_runner_destroy(cpu);
    dn_nn_runner_destroy(gpu);
    dn_nn_runner_destroy(gpu1);
    dn_nn_model_destroy(m);
}

DN_TEST(networks_gpu_match_cpu)
{
    char path[4096];
    NN_TEST_NEED_GPU();
    if (!nn_test_model("pose_detection", path, sizeof(path)))
        DN_SKIP("models not fetched (models/fetch.sh)");
    s_network("pose_detection");
    s_network("pose_landmark_full");
}
