/* dn_decode_bench.c — dancer's demux+decode throughput on given videos, and
 * the NVDEC-vs-CPU frame comparison of bench/gpu-check.sh.
 *
 *   dn_decode_bench [--decoder auto|cpu|gpu] [--threads N] [--streams K]
 *                   [--block-bytes B] [--compare-cpu] INPUT...
 *
 * INPUT is a local path or s3://bucket/key (AWS settings from the
 * environment: AWS_ENDPOINT_URL for the local S3 server).
 *
 * Every frame is decoded and delivered (no sub-sampling). --streams K runs K
 * concurrent decodes of each input (one dn_media and thread each, as the
 * worker does) and reports the aggregate. --compare-cpu decodes each input
 * on NVDEC and on the CPU in lockstep and reports the luma PSNR of every
 * NVDEC frame against its CPU twin (exit 1 below 40 dB). Output: one
 * `key=value` line per input, for scripts. Timing belongs here, not in
 * tests; bench/decode/run.sh puts it beside the ffmpeg CLI's. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dancer/config.h"
#include "dancer/creds.h"
#include "dancer/device.h"
#include "dancer/http.h"
#include "dancer/log.h"
#include "dancer/media.h"
#include "dancer/s3.h"
#include "dancer/trace.h"

#define S_MAX_STREAMS 64

struct s_args {
    struct dn_media_options opt;
    struct dn_s3_client *s3; /* NULL unless an input is s3:// */
    int streams;
    bool compare;
};

struct s_run {
    const struct s_args *args;
    const char *input;
    int id;
    long frames;
    bool gpu;
    struct dn_err err;
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int s_open(const struct s_args *a, const char *input, const struct dn_media_options *opt,
                  struct dn_media **m, struct dn_err *err)
{
    struct dn_byte_source *src;
    int rc = dn_byte_source_open(input, a->s3, &src, err);
    return rc ? rc : dn_media_open(src, opt, m, err);
}

static void *s_decode_main(void *arg)
{
    struct s_run *r = arg;
    struct dn_media *m = NULL;
    const struct dn_frame *f;
    char name[32];
    snprintf(name, sizeof(name), "decode-%d", r->id);
    dn_trace_name_thread(name);
    if (!s_open(r->args, r->input, &r->args->opt, &m, &r->err)) {
        r->gpu = dn_media_on_gpu(m);
        while (!dn_media_next_frame(m, &f, &r->err) && f)
            r->frames++;
    }
    dn_media_close(m);
    return NULL;
}

/* K concurrent decodes of one input; prints frames, seconds and fps. */
static int s_throughput(const struct s_args *a, const char *input)
{
    static struct s_run runs[S_MAX_STREAMS];
    pthread_t threads[S_MAX_STREAMS];
    long frames = 0;
    int rc = 0;
    double t0 = s_now();
    for (int i = 0; i < a->streams; i++) {
        runs[i] = (struct s_run){.args = a, .input = input, .id = i};
        pthread_create(&threads[i], NULL, s_decode_main, &runs[i]);
    }
    for (int i = 0; i < a->streams; i++) {
        pthread_join(threads[i], NULL);
        frames += runs[i].frames;
        if (runs[i].err.cls != DN_ERR_NONE) {
            fprintf(stderr, "dn_decode_bench: %s: %s\n", dn_err_class_name(runs[i].err.cls),
                    runs[i].err.msg);
            rc = 1;
        }
    }
    double secs = s_now() - t0;
    printf("input=%s decoder=%s streams=%d frames=%ld seconds=%.3f fps=%.1f\n", input,
           runs[0].gpu ? "nvdec" : "cpu", a->streams, frames, secs, frames / secs);
    return rc;
}

/* Luma of one frame into a packed host buffer of 16-bit samples at the
 * frame's bit depth (P010 keeps its value in the high bits: shifted down). */
static int s_luma(const struct dn_frame *f, uint16_t *out, struct dn_err *err)
{
    size_t bps = (size_t)dn_pixel_format_bytes(f->format), row = (size_t)f->width * bps;
    static uint8_t *host;
    static size_t host_len;
    size_t need = row * (size_t)f->height;
    if (need > host_len && !(host = realloc(host, host_len = need)))
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    if (!f->on_device)
        for (int y = 0; y < f->height; y++)
            memcpy(host + (size_t)y * row, f->planes[0] + (size_t)y * f->pitch[0], row);
    else if (dn_dev_copy_2d(host, row, f->planes[0], f->pitch[0], row, (size_t)f->height, NULL,
                            err))
        return dn_err_code(err);
    for (size_t i = 0; i < (size_t)f->width * (size_t)f->height; i++) {
        uint16_t v = bps == 1 ? host[i] : (uint16_t)(host[2 * i] | host[2 * i + 1] << 8);
        out[i] = f->format == DN_PIX_P010 ? (uint16_t)(v >> 6) : v;
    }
    return 0;
}

static double s_psnr(const uint16_t *a, const uint16_t *b, size_t n, int depth)
{
    double se = 0, peak = (double)((1 << depth) - 1);
    for (size_t i = 0; i < n; i++)
        se += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return se == 0 ? INFINITY : 10.0 * log10(peak * peak * (double)n / se);
}

/* Decodes `input` on NVDEC and on the CPU side by side. */
static int s_compare(const struct s_args *a, const char *input)
{
    struct dn_media_options gpu_opt = a->opt, cpu_opt = a->opt;
    struct dn_media *g = NULL, *c = NULL;
    const struct dn_frame *gf, *cf;
    struct dn_err err = {0};
    uint16_t *gl = NULL, *cl = NULL;
    double min_psnr = INFINITY;
    long n = 0;
    int rc = 1;
    gpu_opt.decoder = DN_DEVICE_GPU;
    cpu_opt.decoder = DN_DEVICE_CPU;
    if (s_open(a, input, &gpu_opt, &g, &err) || s_open(a, input, &cpu_opt, &c, &err))
        goto cleanup;
    const struct dn_video_info *vi = dn_media_info(c);
    size_t px = (size_t)vi->width * (size_t)vi->height;
    if (!(gl = malloc(px * 2)) || !(cl = malloc(px * 2)))
        goto cleanup;
    for (;;) {
        if (dn_media_next_frame(g, &gf, &err) || dn_media_next_frame(c, &cf, &err))
            goto cleanup;
        if (!gf || !cf)
            break;
        if (!gf->on_device || gf->width != cf->width || gf->height != cf->height ||
            fabs(gf->pts_s - cf->pts_s) > 1e-6) {
            dn_err_set(&err, DN_ERR_INTERNAL, "frame %ld: NVDEC and CPU frames disagree", n);
            goto cleanup;
        }
        if (s_luma(gf, gl, &err) || s_luma(cf, cl, &err))
            goto cleanup;
        double p = s_psnr(gl, cl, px, vi->bit_depth);
        min_psnr = p < min_psnr ? p : min_psnr;
        n++;
    }
    rc = (gf || cf || n == 0 || min_psnr < 40.0) ? 1 : 0;
    printf("input=%s compare frames=%ld nvdec_eos=%d cpu_eos=%d min_luma_psnr_db=%.2f verdict=%s\n",
           input, n, !gf, !cf, min_psnr, rc ? "FAIL" : "PASS");
cleanup:
    if (err.cls != DN_ERR_NONE)
        fprintf(stderr, "dn_decode_bench: compare %s: %s: %s\n", input,
                dn_err_class_name(err.cls), err.msg);
    free(gl);
    free(cl);
    dn_media_close(g);
    dn_media_close(c);
    return rc;
}

/* The S3 client for s3:// inputs, configured like dancer itself. */
struct s_aws {
    struct dn_http_pool *pool;
    struct dn_creds_provider *creds;
    struct dn_s3_client *s3;
};

static int s_aws_open(const struct dn_config *cfg, struct s_aws *aws, struct dn_s3_client **s3)
{
    struct dn_http_options http;
    struct dn_err err = {0};
    dn_http_options_from_config(cfg, &http);
    if (dn_http_pool_new(&http, &aws->pool, &err) || dn_creds_provider_new(cfg, &aws->creds, &err) ||
        dn_s3_client_new(cfg, aws->creds, aws->pool, &aws->s3, &err)) {
        fprintf(stderr, "dn_decode_bench: S3: %s\n", err.msg);
        return 1;
    }
    *s3 = aws->s3;
    return 0;
}

static void s_aws_close(struct s_aws *aws)
{
    dn_s3_client_destroy(aws->s3);
    dn_creds_provider_destroy(aws->creds);
    dn_http_pool_destroy(aws->pool);
}

static int s_usage(void)
{
    fprintf(stderr, "usage: dn_decode_bench [--decoder auto|cpu|gpu] [--threads N] "
                    "[--streams K] [--block-bytes B] [--compare-cpu] INPUT...\n"
                    "INPUT: a local path or s3://bucket/key\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct dn_config cfg;
    struct dn_err err = {0};
    struct s_args a = {.streams = 1};
    int i, rc = 0;
    if (dn_config_load(&cfg, NULL, &err)) {
        fprintf(stderr, "dn_decode_bench: %s\n", err.msg);
        return 2;
    }
    /* DANCER_LOG_LEVEL=debug shows how NVDEC was set up (gpu-check.sh). */
    dn_log_configure(DN_LOG_TEXT, (enum dn_log_level)cfg.log_level, NULL);
    dn_media_options_init(&a.opt, &cfg);
    a.opt.analysis_fps = 0;
    for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--compare-cpu"))
            a.compare = true;
        else if (!v)
            return s_usage();
        else if (!strcmp(argv[i], "--decoder") && !dn_config_set(&cfg, "DANCER_DECODER", v, DN_CFG_FLAG, &err))
            a.opt.decoder = cfg.decoder, i++;
        else if (!strcmp(argv[i], "--threads"))
            a.opt.threads = atoi(v), i++;
        else if (!strcmp(argv[i], "--streams"))
            a.streams = atoi(v), i++;
        else if (!strcmp(argv[i], "--block-bytes"))
            a.opt.block_bytes = (size_t)atol(v), i++;
        else
            return s_usage();
    }
    if (i == argc || a.streams < 1 || a.streams > S_MAX_STREAMS)
        return s_usage();
    struct s_aws aws = {0};
    for (int j = i; j < argc; j++)
        if (!strncmp(argv[j], "s3://", 5) && !a.s3 && s_aws_open(&cfg, &aws, &a.s3)) {
            s_aws_close(&aws);
            return 2;
        }
    for (; i < argc; i++)
        rc |= a.compare ? s_compare(&a, argv[i]) : s_throughput(&a, argv[i]);
    s_aws_close(&aws);
    return rc;
}
