/* test_gait_parity.c — the gait kernels (kernels/gait_*.cu) against their C
 * twins on the same batched inputs, and the whole gait stage on the GPU path
 * against the CPU path. Needs a usable GPU; skips (77) otherwise.
 *
 * Pass rule (STYLE.md §4): |gpu - ref| <= atol + rtol |ref|, NaN where the
 * reference is NaN, at most 10 mismatches printed. Tolerances:
 *  - filter: atol 1e-3 px, rtol 1e-6. Both twins run the recursion in double
 *    and store float; the GPU may contract multiply-adds into FMAs, which
 *    changes the last bits of each step. 1e-3 px is far below landmark noise.
 *  - kinematics: atol 1e-3 (degrees, px, px/frame), rtol 1e-6: atan2/sqrt
 *    of the device math library differ from glibc by a few ulps.
 *  - extrema: given identical signals, kind must match exactly (the
 *    comparisons are exact); where/value atol 1e-5 (one division).
 *  - end to end: event times within 1e-3 s and cadence within 1e-3
 *    steps/min; the kernels' last-bit differences must not move an event. */
#include <stdlib.h>

#include "dancer/device.h"
#include "dancer/gait.h"
#include "dancer/gait_kernels.h"
#include "synth.h"
#include "test.h"

enum { V = 3, T = 400, C = DN_GK_CHANNELS, K = DN_GK_POINTS, S = DN_GK_SIGNALS };

static bool s_need_gpu(void)
{
    struct dn_device_info info;
    dn_device_probe(&info);
    if (!info.usable)
        fprintf(stderr, "no usable GPU: %s\n", info.built_with_cuda ? info.reason : "built without CUDA");
    return info.usable;
}

#ifdef DN_HAVE_CUDA
/* Counts |gpu - ref| > atol + rtol |ref| (NaN must match NaN). */
static int s_compare(const char *what, const float *gpu, const float *ref, size_t n, double atol, double rtol)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        bool ok = isnan(ref[i]) ? isnan(gpu[i]) : fabs(gpu[i] - ref[i]) <= atol + rtol * fabs(ref[i]);
        if (!ok && bad++ < 10)
            fprintf(stderr, "%s[%zu]: gpu %.9g ref %.9g\n", what, i, gpu[i], ref[i]);
    }
    return bad;
}

/* Batched inputs: three synthetic videos (side 30 fps, side 60 fps with
 * dropouts, front) of different lengths, packed as gait_kernels.h says. */
static void s_inputs(float *x, float *vis, struct dn_gait_filter_params *p)
{
    static const int map[K] = {0, 7, 8, 11, 12, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    for (int v = 0; v < V; v++) {
        struct synth_params sp;
        struct dn_track *t;
        synth_defaults(&sp);
        sp.fps = v == 1 ? 60 : 30;
        sp.duration_s = (200 + 100 * v) / sp.fps;
        sp.view = v == 2 ? SYNTH_FRONT : SYNTH_SIDE;
        sp.noise_px = 0.8;
        sp.dropout_every_s = v == 1 ? 1.0 : 0;
        sp.dropout_s = 0.1;
        synth_track(&sp, &t, NULL);
        for (int i = 0; i < T; i++)
            for (int k = 0; k < K; k++) {
                const struct dn_track_frame *f = i < (int)t->n_frames ? &t->frames[i] : NULL;
                bool ok = f && f->valid;
                for (int d = 0; d < DN_GK_DIMS; d++)
                    x[((size_t)v * T + i) * C + DN_GK_DIMS * k + d] =
                        ok ? (d == 0 ? f->image[map[k]].x : d == 1 ? f->image[map[k]].y : f->image[map[k]].z) : NAN;
                vis[((size_t)v * T + i) * K + k] = ok ? 0.9f : 0.0f;
            }
        p[v] = (struct dn_gait_filter_params){.len = (int)t->n_frames, .max_gap = 6, .min_seg = 15,
                                              .min_vis = 0.3f, .hampel_k = 4.0f, .hampel_w = 8,
                                              .hampel_floor = 0.5f};
        dn_gait_butter2(6, sp.fps, p[v].b, p[v].a);
        dn_track_destroy(t);
    }
}

struct s_dev {
    float *x, *vis, *dir, *limb, *sig, *where, *value;
    signed char *kind;
    struct dn_gait_filter_params *p;
    int *len;
};

static void s_dev_free(struct s_dev *d)
{
    void **all[] = {(void **)&d->x, (void **)&d->vis, (void **)&d->dir, (void **)&d->limb, (void **)&d->sig,
                    (void **)&d->where,
                    (void **)&d->value, (void **)&d->kind, (void **)&d->p, (void **)&d->len};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        dn_dev_free(all[i]);
}

static int s_dev_alloc(struct s_dev *d, struct dn_err *err)
{
    size_t n = (size_t)V * T;
    return dn_dev_alloc((void **)&d->x, n * C * 4, err) || dn_dev_alloc((void **)&d->vis, n * K * 4, err) ||
           dn_dev_alloc((void **)&d->dir, n * 4, err) || dn_dev_alloc((void **)&d->limb, n * DN_GK_LIMBS * 4, err) ||
           dn_dev_alloc((void **)&d->sig, n * S * 4, err) ||
           dn_dev_alloc((void **)&d->where, n * S * 4, err) || dn_dev_alloc((void **)&d->value, n * S * 4, err) ||
           dn_dev_alloc((void **)&d->kind, n * S, err) ||
           dn_dev_alloc((void **)&d->p, V * sizeof(struct dn_gait_filter_params), err) ||
           dn_dev_alloc((void **)&d->len, V * sizeof(int), err);
}

static void s_kernels_match(void)
{
    struct dn_err err = {0};
    struct s_dev d = {0};
    size_t n = (size_t)V * T;
    float *x = malloc(n * C * 4), *xg = malloc(n * C * 4), *vis = malloc(n * K * 4), *dir = calloc(n, 4);
    float *limb = malloc(n * DN_GK_LIMBS * 4);
    float *sig = malloc(n * S * 4), *sigg = malloc(n * S * 4), *wh = malloc(n * S * 4), *whg = malloc(n * S * 4);
    float *val = malloc(n * S * 4), *valg = malloc(n * S * 4);
    signed char *kind = malloc(n * S), *kindg = malloc(n * S);
    struct dn_gait_filter_params p[V];
    int len[V];
    DN_CHECK(x && xg && vis && dir && limb && sig && sigg && wh && whg && val && valg && kind && kindg);
    s_inputs(x, vis, p);
    for (int v = 0; v < V; v++) {
        len[v] = p[v].len;
        for (int i = 0; i < T; i++) { /* side view for the first two videos */
            dir[(size_t)v * T + i] = v == 0 ? 1.0f : v == 1 ? -1.0f : 0.0f;
            /* limb lengths (px) near the synthetic leg's (54 + 54), so the rigid-chain
             * angle spans its whole range, including the clamp at straight;
             * none for the front view (NaN path) */
            for (int k = 0; k < DN_GK_LIMBS; k++)
                limb[((size_t)v * T + i) * DN_GK_LIMBS + k] = v < 2 ? 53.0f + 0.5f * k : NAN;
        }
    }
    DN_CHECK_OK(s_dev_alloc(&d, &err), &err);
    DN_CHECK_OK(dn_dev_upload(d.x, x, n * C * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_upload(d.vis, vis, n * K * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_upload(d.p, p, sizeof(p), NULL, &err), &err);
    DN_CHECK_OK(dn_dev_upload(d.len, len, sizeof(len), NULL, &err), &err);
    DN_CHECK_OK(dn_gait_filter_gpu(d.x, d.vis, d.p, V, T, C, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_download(xg, d.x, n * C * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_stream_sync(NULL, &err), &err);
    dn_gait_filter_ref(x, vis, p, V, T, C);
    DN_EXPECT_INT(s_compare("filter", xg, x, n * C, 1e-3, 1e-6), 0);

    /* kinematics and extrema from the same (reference) inputs */
    DN_CHECK_OK(dn_dev_upload(d.x, x, n * C * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_upload(d.dir, dir, n * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_upload(d.limb, limb, n * DN_GK_LIMBS * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_gait_kinematics_gpu(d.sig, d.x, d.dir, d.limb, V, T, C, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_download(sigg, d.sig, n * S * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_stream_sync(NULL, &err), &err);
    dn_gait_kinematics_ref(sig, x, dir, limb, V, T, C);
    DN_EXPECT_INT(s_compare("kinematics", sigg, sig, n * S, 1e-3, 1e-6), 0);

    DN_CHECK_OK(dn_dev_upload(d.sig, sig, n * S * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_gait_extrema_gpu(d.kind, d.where, d.value, d.sig, d.len, V, S, T, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_download(kindg, d.kind, n * S, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_download(whg, d.where, n * S * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_download(valg, d.value, n * S * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_stream_sync(NULL, &err), &err);
    dn_gait_extrema_ref(kind, wh, val, sig, len, V, S, T);
    DN_EXPECT(memcmp(kind, kindg, n * S) == 0);
    DN_EXPECT_INT(s_compare("extrema.where", whg, wh, n * S, 1e-5, 0), 0);
    DN_EXPECT_INT(s_compare("extrema.value", valg, val, n * S, 1e-5, 1e-6), 0);
    s_dev_free(&d);
    free(x), free(xg), free(vis), free(dir), free(limb), free(sig), free(sigg), free(wh), free(whg), free(val), free(valg);
    free(kind), free(kindg);
}
#endif

DN_TEST(kernels_match_reference)
{
#ifdef DN_HAVE_CUDA
    if (!s_need_gpu())
        DN_SKIP("no usable GPU");
    s_kernels_match();
#else
    DN_SKIP("built without CUDA: no kernels to compare");
#endif
}

DN_TEST(gpu_path_matches_cpu_path)
{
    if (!s_need_gpu())
        DN_SKIP("no usable GPU");
    struct dn_err err = {0};
    struct dn_gait_options o;
    struct synth_params sp[2];
    struct dn_track *t[2];
    struct dn_gait_input in[2];
    struct dn_gait_result *cpu[2], *gpu[2];
    for (int i = 0; i < 2; i++) {
        synth_defaults(&sp[i]);
        sp[i].view = i ? SYNTH_FRONT : SYNTH_SIDE;
        sp[i].noise_px = 0.8;
        DN_CHECK(synth_track(&sp[i], &t[i], NULL) == 0);
        in[i] = (struct dn_gait_input){t[i], 170};
    }
    dn_gait_options_init(&o);
    DN_CHECK_OK(dn_gait_analyze(in, 2, &o, cpu, &err), &err);
    o.use_gpu = true;
    DN_CHECK_OK(dn_gait_analyze(in, 2, &o, gpu, &err), &err);
    for (int i = 0; i < 2; i++) {
        DN_EXPECT_INT(gpu[i]->n_events, cpu[i]->n_events);
        for (size_t e = 0; e < cpu[i]->n_events && e < gpu[i]->n_events; e++)
            DN_EXPECT_NEAR(gpu[i]->events[e].time_s, cpu[i]->events[e].time_s, 1e-3);
        DN_EXPECT_NEAR(gpu[i]->params[DN_GP_CADENCE].all.mean, cpu[i]->params[DN_GP_CADENCE].all.mean, 1e-3);
        dn_gait_result_destroy(cpu[i]);
        dn_gait_result_destroy(gpu[i]);
        dn_track_destroy(t[i]);
    }
}

/* An empty batch is no work on either path (a zero-block launch would be a
 * CUDA error). */
DN_TEST(empty_batch_on_gpu)
{
    if (!s_need_gpu())
        DN_SKIP("no usable GPU");
    struct dn_err err = {0};
    struct dn_gait_options o;
    struct dn_gait_input in[1];
    struct dn_gait_result *res[1] = {NULL};
    dn_gait_options_init(&o);
    o.use_gpu = true;
    DN_CHECK_OK(dn_gait_analyze(in, 0, &o, res, &err), &err);
    DN_EXPECT(res[0] == NULL);
}
