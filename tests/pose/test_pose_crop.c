/*
 * test_pose_crop.c — properties of the crop kernel's C reference: colours,
 * pixel formats, the detector's letterbox, the rotation flag. (Its pixels
 * against an independent numpy/OpenCV implementation: test_crop.py; GPU
 * against it: test_pose_parity.c.)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/device.h"
#include "dancer/pose_kernels.h"
#include "pose_internal.h"
#include "pose_pic.h"
#include "test.h"

DN_TEST(colour_known_values)
{
    /* BT.709 limited: RGB → Y'CbCr by the standard, then back by the kernel. */
    const float rgb[4][3] = {{1, 0, 0}, {0, 1, 0}, {0.2f, 0.4f, 0.9f}, {1, 1, 1}};
    for (int k = 0; k < 4; k++) {
        struct dn_tpic p;
        dn_tpic_init(&p, 4, 4, 1, 0, 0, 0);
        double kr = 0.2126, kb = 0.0722, kg = 1 - kr - kb;
        double y = kr * rgb[k][0] + kg * rgb[k][1] + kb * rgb[k][2];
        double cb = (rgb[k][2] - y) / (2 * (1 - kb)), cr = (rgb[k][0] - y) / (2 * (1 - kr));
        for (int j = 0; j < 4; j++)
            for (int i = 0; i < 4; i++)
                dn_tpic_put(&p, 0, i, j, 0, (unsigned)lround(16 + 219 * y));
        for (int j = 0; j < 2; j++)
            for (int i = 0; i < 2; i++) {
                dn_tpic_put(&p, 1, i, j, 0, (unsigned)lround(128 + 224 * cb));
                dn_tpic_put(&p, 2, i, j, 0, (unsigned)lround(128 + 224 * cr));
            }
        struct dn_pose_rect all = {0.5f, 0.5f, 1, 1, 0};
        float *o = dn_tpic_crop(&p, &all, 8);
        for (int c = 0; c < 3; c++)
            DN_EXPECT_NEAR(o[(3 * 8 + 3) * 3 + c], rgb[k][c], 1.5 / 219);
        free(o);
        free(p.buf);
    }
}

DN_TEST(formats_agree)
{
    const int fmts[4][3] = {{1, 0, 0}, {1, 1, 0}, {2, 0, 0}, {2, 1, 1}};
    struct dn_pose_rect roi = {0.45f, 0.55f, 0.7f, 0.9f, 0.3f};
    float *ref = NULL;
    for (int k = 0; k < 4; k++) {
        struct dn_tpic p;
        dn_tpic_init(&p, 37, 29, fmts[k][0], fmts[k][1], fmts[k][2], 0);
        dn_tpic_fill(&p, 3, false);
        float *o = dn_tpic_crop(&p, &roi, 64);
        if (!ref)
            ref = o;
        else {
            DN_EXPECT(dn_tpic_max_diff(ref, o, 64 * 64 * 3) < 1e-5);
            free(o);
        }
        free(p.buf);
    }
    free(ref);
}

DN_TEST(detector_letterbox_is_black)
{
    struct dn_tpic p;
    dn_tpic_init(&p, 64, 32, 1, 1, 0, 0);
    dn_tpic_fill(&p, 1, false);
    float *o = dn_tpic_crop(&p, NULL, 32); /* rows 0..7 and 24..31 are padding */
    for (int c = 0; c < 3; c++) {
        DN_EXPECT_NEAR(o[(1 * 32 + 5) * 3 + c], -1.0, 0);
        DN_EXPECT_NEAR(o[(30 * 32 + 20) * 3 + c], -1.0, 0);
    }
    DN_EXPECT(o[(16 * 32 + 16) * 3] > -1.0f);
    free(o);
    free(p.buf);
}

/* The same gray picture stored turned for a viewer (rotation flag) must
 * give the same crop as stored upright (luma-only: chroma siting is not
 * symmetric under turns). */
DN_TEST(rotation_flag_matches_turned_picture)
{
    const int W = 24, H = 16;
    struct dn_tpic up;
    dn_tpic_init(&up, W, H, 1, 0, 0, 0);
    dn_tpic_fill(&up, 5, true);
    struct dn_pose_rect roi = {0.4f, 0.6f, 0.5f, 0.75f, -0.4f};
    float *want = dn_tpic_crop(&up, &roi, 32);
    const int rots[3] = {90, 180, 270};
    for (int r = 0; r < 3; r++) {
        int sw = rots[r] == 180 ? W : H, sh = rots[r] == 180 ? H : W;
        struct dn_tpic st;
        dn_tpic_init(&st, sw, sh, 1, 0, 0, rots[r]);
        dn_tpic_fill(&st, 0, true);
        /* stored (x, y) shows at upright: 90 → (H−1−y, x)... written as the
         * inverse: upright (X, Y) comes from stored (x, y) below. */
        for (int Y = 0; Y < H; Y++) {
            for (int X = 0; X < W; X++) {
                int x = rots[r] == 90 ? Y : rots[r] == 180 ? sw - 1 - X : sw - 1 - Y;
                int y = rots[r] == 90 ? sh - 1 - X : rots[r] == 180 ? sh - 1 - Y : X;
                st.buf[(size_t)y * st.f.pitch[0] + x] = up.buf[(size_t)Y * up.f.pitch[0] + X];
            }
        }
        float *got = dn_tpic_crop(&st, &roi, 32);
        DN_EXPECT(dn_tpic_max_diff(want, got, 32 * 32 * 3) < 1e-5);
        free(got);
        free(st.buf);
    }
    free(want);
    free(up.buf);
}

