/* nn_bench.c — frames/s of our network executor (C reference or CUDA).
 *
 *   nn_bench MODEL.dnm [--batch N] [--iters K] [--seconds S] [--gpu] [--input X.npy] [--ops]
 *
 * Fills the input with X.npy's items (cycled; default: seeded uniform in
 * [0,1]), runs `--warmup` untimed batches, then batches until both K runs
 * and S seconds are done, and prints one JSON line:
 *   {"model": ..., "device": "cpu"|"gpu", "batch": N, "threads": T,
 *    "runs": K, "ms_per_batch": ..., "frames_per_s": ..., "cpu_ms_per_frame": ...}
 * (cpu_ms_per_frame: user + system time of all threads, steadier than wall
 * time on a shared machine.)
 * CPU threads: OMP_NUM_THREADS (reported as "threads"). GPU: one stream,
 * input already on the device (as in the pipeline), timed to a stream sync.
 * --ops adds a per-op profile on stderr (time of each op, summed per op
 * type; on the GPU each op is synchronised, so only the shares are useful).
 * Exit 77 when --gpu is asked for and no GPU is usable. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "dancer/device.h"
#include "dancer/nn.h"
#include "npy.h"

struct s_opts {
    const char *model, *input;
    int batch, iters, warmup;
    double seconds;
    bool gpu, ops;
};

/* --ops: seconds spent in each op, accumulated over the timed runs. With
 * one CPU thread, the thread's CPU time (immune to other load on the
 * machine); otherwise wall time. */
struct s_prof {
    double last, *secs;
    const char **names;
    clockid_t clock;
};

static double s_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds (user + system, all threads) of this process: steadier than
 * wall time on a shared machine. */
static double s_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int s_parse(int argc, char **argv, struct s_opts *o)
{
    *o = (struct s_opts){.batch = 1, .iters = 20, .warmup = 3, .seconds = 2.0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--gpu"))
            o->gpu = true;
        else if (!strcmp(a, "--ops"))
            o->ops = true;
        else if (!strcmp(a, "--batch") && has)
            o->batch = atoi(argv[++i]);
        else if (!strcmp(a, "--iters") && has)
            o->iters = atoi(argv[++i]);
        else if (!strcmp(a, "--warmup") && has)
            o->warmup = atoi(argv[++i]);
        else if (!strcmp(a, "--seconds") && has)
            o->seconds = atof(argv[++i]);
        else if (!strcmp(a, "--input") && has)
            o->input = argv[++i];
        else if (a[0] != '-' && !o->model)
            o->model = a;
        else
            return -1;
    }
    return o->model && o->batch > 0 ? 0 : -1;
}

/* batch items of the input on the host: the .npy's items cycled, or noise. */
static float *s_host_input(const struct s_opts *o, size_t count, struct dn_err *err)
{
    float *host = malloc(count * (size_t)o->batch * sizeof(float)), *x = NULL;
    size_t shape[DN_NPY_MAX_RANK];
    int rank;
    if (!host)
        return NULL;
    if (o->input && dn_npy_read(o->input, &x, shape, &rank, err) == 0) {
        size_t items = 1;
        for (int d = 0; d < rank; d++)
            items *= shape[d];
        items /= count;
        for (int b = 0; b < o->batch && items; b++)
            memcpy(host + (size_t)b * count, x + (size_t)b % items * count, count * sizeof(float));
        free(x);
        return host;
    }
    srand(1);
    for (size_t i = 0; i < count * (size_t)o->batch; i++)
        host[i] = (float)rand() / (float)RAND_MAX;
    return host;
}

static int s_on_op(int i, const struct dn_nn_op_info *op, const float *out, int batch, void *user)
{
    struct s_prof *p = user;
    double t = s_clock(p->clock);
    (void)out, (void)batch;
    p->secs[i] += t - p->last;
    p->names[i] = op->op_name;
    p->last = t;
    return 0;
}

/* Per op type: total ms per run and share; then the 12 slowest ops. */
static void s_print_profile(const struct dn_nn_model *m, const struct s_prof *p, int runs)
{
    const char *types[16] = {0};
    double per[16] = {0}, total = 0;
    int n_ops = dn_nn_model_n_ops(m), nt = 0;
    for (int i = 0; i < n_ops; i++) {
        int t = 0;
        while (t < nt && strcmp(types[t], p->names[i]))
            t++;
        if (t == nt && nt < 16)
            types[nt++] = p->names[i];
        per[t < 16 ? t : 15] += p->secs[i];
        total += p->secs[i];
    }
    fprintf(stderr, "per op type (%s ms per run, share):\n",
            p->clock == CLOCK_THREAD_CPUTIME_ID ? "CPU" : "wall");
    for (int t = 0; t < nt; t++)
        fprintf(stderr, "  %-18s %8.3f  %5.1f%%\n", types[t], 1e3 * per[t] / runs, 100 * per[t] / total);
    fprintf(stderr, "slowest ops:\n");
    for (int k = 0; k < 12 && k < n_ops; k++) {
        int best = -1;
        for (int i = 0; i < n_ops; i++)
            if (p->secs[i] >= 0 && (best < 0 || p->secs[i] > p->secs[best]))
                best = i;
        struct dn_nn_op_info op;
        dn_nn_model_op(m, best, &op);
        fprintf(stderr, "  op %3d %-18s [%d,%d,%d,%d] %8.3f ms\n", best, op.op_name, op.output.dims[0],
                op.output.dims[1], op.output.dims[2], op.output.dims[3], 1e3 * p->secs[best] / runs);
        p->secs[best] = -1;
    }
}

static int s_bench(const struct s_opts *o, struct dn_nn_runner *r, struct dn_stream *stream,
                   struct s_prof *prof, double *ms, double *cpu_ms, int *runs, struct dn_err *err)
{
    int rc = 0;
    for (int i = 0; i < o->warmup && rc == 0; i++)
        rc = dn_nn_runner_run(r, o->batch, stream, err);
    if (rc == 0 && o->gpu)
        rc = dn_stream_sync(stream, err);
    double t0 = s_now(), t = t0, c0 = s_cpu();
    *runs = 0;
    while (rc == 0 && (*runs < o->iters || t - t0 < o->seconds)) {
        if (prof) {
            prof->last = s_clock(prof->clock);
            rc = dn_nn_runner_run_traced(r, o->batch, stream, s_on_op, prof, err);
        } else {
            rc = dn_nn_runner_run(r, o->batch, stream, err);
        }
        if (rc == 0 && o->gpu)
            rc = dn_stream_sync(stream, err);
        ++*runs;
        t = s_now();
    }
    *ms = 1e3 * (t - t0) / *runs;
    *cpu_ms = 1e3 * (s_cpu() - c0) / *runs;
    return rc;
}

int main(int argc, char **argv)
{
    struct s_opts o;
    struct dn_err err = {0};
    struct dn_nn_model *m = NULL;
    struct dn_nn_runner *r = NULL;
    struct dn_stream *stream = NULL;
    struct dn_nn_tensor_info in;
    float *host = NULL;
    double ms = 0, cpu_ms = 0;
    int runs = 0, threads = 1;
    if (s_parse(argc, argv, &o)) {
        fprintf(stderr, "usage: nn_bench MODEL.dnm [--batch N] [--iters K] [--seconds S] "
                        "[--warmup W] [--gpu] [--input X.npy]\n");
        return 2;
    }
    if (o.gpu) {
        struct dn_device_info info;
        dn_device_probe(&info);
        if (!info.usable) {
            fprintf(stderr, "nn_bench: no GPU: %s\n", info.built_with_cuda ? info.reason : "CPU-only build");
            return 77;
        }
    }
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    int rc = dn_nn_model_load(o.model, &m, &err);
    if (rc == 0)
        rc = dn_nn_runner_new(m, o.batch, o.gpu, &r, &err);
    if (rc == 0 && o.gpu)
        rc = dn_stream_new(&stream, &err);
    if (rc == 0) {
        dn_nn_model_input(m, 0, &in);
        host = s_host_input(&o, in.count, &err);
        size_t bytes = in.count * (size_t)o.batch * sizeof(float);
        if (!host)
            rc = dn_err_set(&err, DN_ERR_RESOURCE, "out of memory");
        else if (o.gpu)
            rc = dn_dev_upload(dn_nn_runner_input(r, 0), host, bytes, stream, &err);
        else
            memcpy(dn_nn_runner_input(r, 0), host, bytes);
    }
    struct s_prof prof = {.clock = !o.gpu && threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC};
    if (rc == 0 && o.ops) {
        prof.secs = calloc((size_t)dn_nn_model_n_ops(m), sizeof(double));
        prof.names = calloc((size_t)dn_nn_model_n_ops(m), sizeof(char *));
        if (!prof.secs || !prof.names)
            rc = dn_err_set(&err, DN_ERR_RESOURCE, "out of memory");
    }
    if (rc == 0)
        rc = s_bench(&o, r, stream, o.ops ? &prof : NULL, &ms, &cpu_ms, &runs, &err);
    if (rc == 0 && o.ops)
        s_print_profile(m, &prof, runs);
    free(prof.secs);
    free(prof.names);
    if (rc == 0)
        printf("{\"model\": \"%s\", \"device\": \"%s\", \"batch\": %d, \"threads\": %d, "
               "\"runs\": %d, \"ms_per_batch\": %.3f, \"frames_per_s\": %.2f, "
               "\"cpu_ms_per_frame\": %.3f}\n",
               o.model, o.gpu ? "gpu" : "cpu", o.batch, o.gpu ? 0 : threads, runs, ms,
               1e3 * o.batch / ms, cpu_ms / o.batch);
    else
        fprintf(stderr, "nn_bench: %s\n", err.msg);
    free(host);
    dn_stream_destroy(stream);
    dn_nn_runner_destroy(r);
    dn_nn_model_destroy(m);
    return rc ? 1 : 0;
}
