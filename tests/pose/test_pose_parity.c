/*
 * test_pose_parity.c — GPU twins of the pose kernels against their C
 * references (label parity; skipped without a GPU).
 *
 * Tolerance: |gpu − ref| ≤ 1e-5 + 1e-5·|ref|. Both twins run the same float
 * code (kernels/pose_crop_px.h, pose_lm_px.h); what differs is nvcc's fused
 * multiply-adds and expf: a few ulp on values of order 1.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/device.h"
#include "dancer/pose_kernels.h"
#include "pose_internal.h"
#include "pose_pic.h"
#include "test.h"

#ifdef DN_HAVE_CUDA
static bool s_gpu(void)
{
    struct dn_device_info info;
    dn_device_probe(&info);
    return info.usable;
}

static bool s_close(const float *gpu, const float *ref, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (!(fabs((double)gpu[i] - ref[i]) <= 1e-5 + 1e-5 * fabs((double)ref[i]))) {
            dn_test_fail(__FILE__, __LINE__, "%s[%zu]: gpu %.9g ref %.9g", what, i, gpu[i], ref[i]);
            return false;
        }
    }
    return true;
}
#endif

/* Jobs over every format, rotation and both borders in one launch. */
DN_TEST(crop_gpu_matches_ref)
{
#ifndef DN_HAVE_CUDA
    DN_SKIP("built without CUDA");
#else
    if (!s_gpu())
        DN_SKIP("no usable GPU");
    enum { N = 16, S = 48 };
    const int fmts[4][3] = {{1, 0, 0}, {1, 1, 0}, {2, 0, 0}, {2, 1, 1}};
    struct dn_tpic pics[N];
    struct dn_pose_crop_job jobs[N], dev_jobs[N];
    struct dn_err err = {0};
    uint8_t *dplanes[N] = {0};
    float *dout = NULL, *ref = malloc(N * S * S * 3 * 4), *got = malloc(N * S * S * 3 * 4), pad[4];
    struct dn_pose_crop_job *djobs = NULL;
    DN_CHECK_OK(dn_dev_alloc((void **)&dout, N * S * S * 3 * 4, &err), &err);
    DN_CHECK_OK(dn_dev_alloc((void **)&djobs, sizeof(jobs), &err), &err);
    for (int i = 0; i < N; i++) {
        const int *f = fmts[i % 4];
        dn_tpic_init(&pics[i], 40 + i, 30 + 2 * i, f[0], f[1], f[2], (i / 4) * 90);
        dn_tpic_fill(&pics[i], (unsigned)i, false);
        struct dn_pose_rect roi = {0.3f + 0.02f * i, 0.6f, 0.8f, 1.1f, -1.5f + 0.2f * i};
        dn_pose_make_job(&pics[i].f, i % 3 ? &roi : NULL, S, ref + (size_t)i * S * S * 3, &jobs[i], pad);
        DN_CHECK_OK(dn_dev_alloc((void **)&dplanes[i], pics[i].bytes, &err), &err);
        DN_CHECK_OK(dn_dev_upload(dplanes[i], pics[i].buf, pics[i].bytes, NULL, &err), &err);
        dev_jobs[i] = jobs[i];
        for (int k = 0; k < 3; k++)
            dev_jobs[i].planes[k] = dplanes[i] + (jobs[i].planes[k] - pics[i].buf);
        dev_jobs[i].out = dout + (size_t)i * S * S * 3;
    }
    dn_pose_crop_ref(jobs, N, S, S);
    DN_CHECK_OK(dn_dev_upload(djobs, dev_jobs, sizeof(dev_jobs), NULL, &err), &err);
    DN_CHECK_OK(dn_pose_crop_gpu(djobs, N, S, S, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_download(got, dout, N * S * S * 3 * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_stream_sync(NULL, &err), &err);
    s_close(got, ref, (size_t)N * S * S * 3, "crop");
    for (int i = 0; i < N; i++) {
        dn_dev_free((void **)&dplanes[i]);
        free(pics[i].buf);
    }
    dn_dev_free((void **)&dout);
    dn_dev_free((void **)&djobs);
    free(ref);
    free(got);
#endif
}

DN_TEST(lm_decode_gpu_matches_ref)
{
#ifndef DN_HAVE_CUDA
    DN_SKIP("built without CUDA");
#else
    if (!s_gpu())
        DN_SKIP("no usable GPU");
    enum { N = 5 };
    const size_t nraw = N * 39 * 5, nhm = (size_t)N * 64 * 64 * 39;
    struct dn_pose_lm_decode p = {N, 39, 256, 64, 7, 0.5f};
    struct dn_err err = {0};
    float *raw = malloc(nraw * 4), *hm = malloc(nhm * 4), *ref = malloc(nraw * 4), *got = malloc(nraw * 4);
    float *draw = NULL, *dhm = NULL, *dout = NULL;
    unsigned s = 12345;
    for (size_t i = 0; i < nraw; i++) {
        s = s * 1103515245u + 12345u;
        raw[i] = (float)((s >> 8) % 3000) / 10.0f - 20.0f; /* some outside the crop */
    }
    for (size_t i = 0; i < nhm; i++) {
        s = s * 1103515245u + 12345u;
        hm[i] = (float)((s >> 8) % 2000) / 100.0f - 10.0f;
    }
    dn_pose_lm_decode_ref(ref, raw, hm, &p);
    DN_CHECK_OK(dn_dev_alloc((void **)&draw, nraw * 4, &err), &err);
    DN_CHECK_OK(dn_dev_alloc((void **)&dhm, nhm * 4, &err), &err);
    DN_CHECK_OK(dn_dev_alloc((void **)&dout, nraw * 4, &err), &err);
    DN_CHECK_OK(dn_dev_upload(draw, raw, nraw * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_upload(dhm, hm, nhm * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_pose_lm_decode_gpu(dout, draw, dhm, &p, NULL, &err), &err);
    DN_CHECK_OK(dn_dev_download(got, dout, nraw * 4, NULL, &err), &err);
    DN_CHECK_OK(dn_stream_sync(NULL, &err), &err);
    s_close(got, ref, nraw, "lm");
    dn_dev_free((void **)&draw);
    dn_dev_free((void **)&dhm);
    dn_dev_free((void **)&dout);
    free(raw);
    free(hm);
    free(ref);
    free(got);
#endif
}
