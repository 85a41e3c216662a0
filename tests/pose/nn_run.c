/* nn_run.c — runs a .dnm network with our executor on .npy inputs; the C side
 * of the parity tests and of the per-layer debug tool (nn_layers.py).
 *
 *   nn_run MODEL.dnm --input X.npy [--batch N] [--out DIR] [--layers DIR] [--gpu]
 *   nn_run MODEL.dnm --input X.npy [--batch N] --compare-gpu [--atol A] [--rtol R]
 *
 * X.npy holds k items of the graph input (shape (k, ...) or the batch-1
 * shape); a run of batch N uses items 0..N-1, cycling when N > k (default
 * N = k). --out DIR writes every graph output as DIR/<tensor name>.npy, shape
 * (N, ...). --layers DIR writes every op's output as DIR/NNN_<OP>.npy (the
 * names models/dump_layers.py uses) plus index.tsv. --gpu runs the CUDA
 * kernels instead of the C reference (outputs are copied back).
 * --compare-gpu is the per-layer check of the CUDA kernels against the C
 * reference, for a GPU machine without Python: it runs both, prints one
 * line per op (max |gpu − cpu|, max |cpu|) and names the first op where
 * the difference exceeds atol + rtol·max|cpu| (default 1e-3 + 1e-2: see
 * tests/pose/nn_layers.py, whose CPU-vs-TFLite differences accumulate the
 * same way); exit 1 when one does.
 * Exit: 0 ok, 1 error, 77 a GPU was asked for and none is usable. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dancer/device.h"
#include "dancer/nn.h"
#include "npy.h"

struct s_opts {
    const char *model, *input, *out, *layers;
    int batch;
    bool gpu, compare;
    double atol, rtol;
};

/* --compare-gpu: the CPU run's op outputs, then the GPU run checked against them. */
struct s_compare {
    float **saved;
    float *host;
    bool gpu_phase;
    int first_bad;
    double atol, rtol;
    struct dn_err *err;
};

struct s_trace {
    const char *dir;
    FILE *index;
    bool gpu;
    float *host; /* GPU: staging for one op's output */
    struct dn_err *err;
};

static int s_usage(void)
{
    fprintf(stderr, "usage: nn_run MODEL.dnm --input X.npy [--batch N] [--out DIR] "
                    "[--layers DIR] [--gpu | --compare-gpu [--atol A] [--rtol R]]\n");
    return 1;
}

static int s_parse(int argc, char **argv, struct s_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->atol = 1e-3;
    o->rtol = 1e-2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--gpu"))
            o->gpu = true;
        else if (!strcmp(a, "--compare-gpu"))
            o->gpu = o->compare = true;
        else if (!strcmp(a, "--atol") && v)
            o->atol = atof(argv[++i]);
        else if (!strcmp(a, "--rtol") && v)
            o->rtol = atof(argv[++i]);
        else if (!strcmp(a, "--input") && v)
            o->input = argv[++i];
        else if (!strcmp(a, "--out") && v)
            o->out = argv[++i];
        else if (!strcmp(a, "--layers") && v)
            o->layers = argv[++i];
        else if (!strcmp(a, "--batch") && v)
            o->batch = atoi(argv[++i]);
        else if (a[0] != '-' && !o->model)
            o->model = a;
        else
            return -1;
    }
    return o->model && o->input ? 0 : -1;
}

/* Copies `n` floats of a runner buffer to host memory `dst`. */
static int s_fetch(bool gpu, float *dst, const float *src, size_t n, struct dn_err *err)
{
    if (!gpu) {
        memcpy(dst, src, n * sizeof(float));
        return 0;
    }
    if (dn_dev_download(dst, src, n * sizeof(float), NULL, err))
        return dn_err_code(err);
    return dn_stream_sync(NULL, err);
}

static int s_write_tensor(const char *path, const float *data, const struct dn_nn_tensor_info *t,
                          int batch, struct dn_err *err)
{
    size_t shape[DN_NN_MAX_RANK];
    for (int d = 0; d < t->rank; d++)
        shape[d] = (size_t)t->dims[d];
    shape[0] = (size_t)batch;
    return dn_npy_write(path, data, shape, t->rank, err);
}

static int s_on_op(int i, const struct dn_nn_op_info *op, const float *out, int batch, void *user)
{
    struct s_trace *t = user;
    char path[4096], name[64];
    size_t n = op->output.count * (size_t)batch;
    snprintf(name, sizeof(name), "%03d_%s.npy", i, op->op_name);
    snprintf(path, sizeof(path), "%s/%s", t->dir, name);
    if (s_fetch(t->gpu, t->host, out, n, t->err) ||
        s_write_tensor(path, t->host, &op->output, batch, t->err))
        return dn_err_code(t->err);
    fprintf(t->index, "%d\t%d\t%s\t%s\t%s\n", i, op->src_index, op->op_name, name, op->output.name);
    return 0;
}

/* Fills the runner's input 0 with `batch` items of the .npy, cycling. */
static int s_fill(struct dn_nn_runner *r, const struct dn_nn_model *m, const struct s_opts *o,
                  int *batch, struct dn_err *err)
{
    float *x = NULL;
    size_t shape[DN_NPY_MAX_RANK], count = 1;
    int rank, rc = dn_npy_read(o->input, &x, shape, &rank, err);
    struct dn_nn_tensor_info in;
    dn_nn_model_input(m, 0, &in);
    for (int d = 1; d < rank; d++)
        count *= shape[d];
    if (rc == 0 && (rank != in.rank || count * in.dims[0] != in.count || shape[0] < 1)) {
        rc = dn_err_set(err, DN_ERR_BAD_INPUT, "%s: shape does not match input %s", o->input, in.name);
    }
    if (rc == 0) {
        *batch = o->batch > 0 ? o->batch : (int)shape[0];
        float *host = malloc(in.count * (size_t)*batch * sizeof(float));
        for (int b = 0; host && b < *batch; b++)
            memcpy(host + (size_t)b * in.count, x + (size_t)(b % (int)shape[0]) * in.count,
                   in.count * sizeof(float));
        if (!host)
            rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
        else if (*batch > dn_nn_runner_max_batch(r))
            rc = dn_err_set(err, DN_ERR_USAGE, "batch %d > max", *batch);
        else if (o->gpu)
            rc = dn_dev_upload(dn_nn_runner_input(r, 0), host, in.count * (size_t)*batch *
                               sizeof(float), NULL, err);
        else
            memcpy(dn_nn_runner_input(r, 0), host, in.count * (size_t)*batch * sizeof(float));
        free(host);
    }
    free(x);
    return rc;
}

static int s_write_outputs(struct dn_nn_runner *r, const struct dn_nn_model *m, const char *dir,
                           int batch, bool gpu, struct dn_err *err)
{
    for (int k = 0; k < dn_nn_model_n_outputs(m); k++) {
        struct dn_nn_tensor_info t;
        char path[4096];
        dn_nn_model_output(m, k, &t);
        size_t n = t.count * (size_t)batch;
        float *host = malloc(n * sizeof(float));
        snprintf(path, sizeof(path), "%s/%s.npy", dir, t.name);
        int rc = host ? s_fetch(gpu, host, dn_nn_runner_output(r, k), n, err)
                      : dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
        if (rc == 0)
            rc = s_write_tensor(path, host, &t, batch, err);
        free(host);
        if (rc)
            return rc;
    }
    return 0;
}

static size_t s_max_op_floats(const struct dn_nn_model *m)
{
    size_t most = 0;
    for (int i = 0; i < dn_nn_model_n_ops(m); i++) {
        struct dn_nn_op_info op;
        dn_nn_model_op(m, i, &op);
        most = op.output.count > most ? op.output.count : most;
    }
    return most;
}

static int s_run(const struct s_opts *o, const struct dn_nn_model *m, struct dn_nn_runner *r,
                 struct dn_err *err)
{
    int batch = 0, rc = s_fill(r, m, o, &batch, err);
    struct s_trace t = {.dir = o->layers, .gpu = o->gpu, .err = err};
    char path[4096];
    if (rc == 0 && o->layers) {
        mkdir(o->layers, 0755);
        snprintf(path, sizeof(path), "%s/index.tsv", o->layers);
        t.index = fopen(path, "w");
        t.host = malloc(s_max_op_floats(m) * (size_t)batch * sizeof(float));
        if (!t.index || !t.host)
            rc = dn_err_set(err, DN_ERR_BAD_INPUT, "cannot write %s", path);
        else
            fprintf(t.index, "dnm_op\ttflite_op\top\tfile\ttensor\n");
    }
    if (rc == 0)
        rc = dn_nn_runner_run_traced(r, batch, NULL, o->layers ? s_on_op : NULL, &t, err);
    if (rc == 0 && o->gpu)
        rc = dn_stream_sync(NULL, err);
    if (rc == 0 && o->out) {
        mkdir(o->out, 0755);
        rc = s_write_outputs(r, m, o->out, batch, o->gpu, err);
    }
    if (t.index)
        fclose(t.index);
    free(t.host);
    return rc;
}

static int s_on_compare(int i, const struct dn_nn_op_info *op, const float *out, int batch,
                        void *user)
{
    struct s_compare *c = user;
    size_t n = op->output.count * (size_t)batch;
    if (!c->gpu_phase) {
        c->saved[i] = malloc(n * sizeof(float));
        if (!c->saved[i])
            return dn_err_set(c->err, DN_ERR_RESOURCE, "out of memory");
        memcpy(c->saved[i], out, n * sizeof(float));
        return 0;
    }
    if (s_fetch(true, c->host, out, n, c->err))
        return dn_err_code(c->err);
    double worst = 0, scale = 0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs((double)c->host[k] - c->saved[i][k]);
        worst = d > worst || d != d ? d : worst;
        scale = fabs(c->saved[i][k]) > scale ? fabs(c->saved[i][k]) : scale;
    }
    bool bad = !(worst <= c->atol + c->rtol * scale);
    printf("op %3d %-18s [%d,%d,%d,%d] max|cpu| %10.4g  max|gpu-cpu| %10.3g%s\n", i, op->op_name,
           batch, op->output.dims[1], op->output.dims[2], op->output.dims[3], scale, worst,
           bad && c->first_bad < 0 ? "  <-- first divergence" : "");
    if (bad && c->first_bad < 0)
        c->first_bad = i;
    return 0;
}

/* Runs the CPU reference, then the GPU, both traced; 1 when an op diverges. */
static int s_compare_gpu(const struct s_opts *o, const struct dn_nn_model *m,
                         struct dn_nn_runner *gpu, struct dn_err *err)
{
    struct dn_nn_runner *cpu = NULL;
    int batch = 0, n_ops = dn_nn_model_n_ops(m);
    struct s_compare c = {.first_bad = -1, .atol = o->atol, .rtol = o->rtol, .err = err};
    struct s_opts co = *o;
    co.gpu = false;
    c.saved = calloc((size_t)n_ops, sizeof(float *));
    int rc = c.saved ? dn_nn_runner_new(m, dn_nn_runner_max_batch(gpu), false, &cpu, err)
                     : dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    if (rc == 0)
        rc = s_fill(cpu, m, &co, &batch, err);
    if (rc == 0)
        rc = dn_nn_runner_run_traced(cpu, batch, NULL, s_on_compare, &c, err);
    if (rc == 0)
        rc = s_fill(gpu, m, o, &batch, err);
    if (rc == 0 && !(c.host = malloc(s_max_op_floats(m) * (size_t)batch * sizeof(float))))
        rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    c.gpu_phase = true;
    if (rc == 0)
        rc = dn_nn_runner_run_traced(gpu, batch, NULL, s_on_compare, &c, err);
    for (int i = 0; c.saved && i < n_ops; i++)
        free(c.saved[i]);
    free(c.saved);
    free(c.host);
    dn_nn_runner_destroy(cpu);
    if (rc)
        return rc;
    printf(c.first_bad < 0 ? "no op diverges\n" : "first diverging op: %d\n", c.first_bad);
    return c.first_bad < 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct s_opts o;
    struct dn_err err = {0};
    struct dn_nn_model *m = NULL;
    struct dn_nn_runner *r = NULL;
    if (s_parse(argc, argv, &o))
        return s_usage();
    if (o.gpu) {
        struct dn_device_info info;
        dn_device_probe(&info);
        if (!info.usable) {
            fprintf(stderr, "nn_run: no GPU: %s\n", info.built_with_cuda ? info.reason : "CPU-only build");
            return 77;
        }
    }
    int rc = dn_nn_model_load(o.model, &m, &err);
    if (rc == 0)
        rc = dn_nn_runner_new(m, o.batch > 0 ? o.batch : 8, o.gpu, &r, &err);
    if (rc == 0 && o.compare) {
        rc = s_compare_gpu(&o, m, r, &err);
        if (rc == 1) { /* a divergence, already reported */
            dn_nn_runner_destroy(r);
            dn_nn_model_destroy(m);
            return 1;
        }
    } else if (rc == 0) {
        rc = s_run(&o, m, r, &err);
    }
    if (rc)
        fprintf(stderr, "nn_run: %s\n", err.msg);
    dn_nn_runner_destroy(r);
    dn_nn_model_destroy(m);
    return rc ? 1 : 0;
}
