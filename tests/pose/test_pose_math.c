/*
 * test_pose_math.c — the host-side math of the pose graphs on cases worked
 * out by hand: anchors, box decoding, weighted NMS, ROI construction, crop
 * maps and rotation, landmark projection, filters, segment planning.
 * (Comparisons with MediaPipe itself are the Python tests next to this.)
 */
#include <math.h>
#include <string.h>

#include "pose_internal.h"
#include "test.h"

DN_TEST(anchors_count_and_layout)
{
    static struct dn_pose_anchor a[3000];
    struct dn_pose_ssd_options o;
    dn_pose_ssd_options_pose(&o);
    DN_CHECK_INT(dn_pose_anchors_generate(&o, a, 3000), 2254);
    /* 28×28 cells × 2, then 14×14 × 2, then 7×7 × 6 (three stride-32 layers). */
    DN_EXPECT_NEAR(a[0].xc, 0.5 / 28, 1e-7);
    DN_EXPECT_NEAR(a[1].xc, 0.5 / 28, 1e-7);
    DN_EXPECT_NEAR(a[2].xc, 1.5 / 28, 1e-7);
    DN_EXPECT_NEAR(a[1568].xc, 0.5 / 14, 1e-7);
    DN_EXPECT_NEAR(a[1568 + 392].yc, 0.5 / 7, 1e-7);
    DN_EXPECT_NEAR(a[2253].xc, 6.5 / 7, 1e-7);
    DN_EXPECT_NEAR(a[2253].yc, 6.5 / 7, 1e-7);
    DN_EXPECT(a[100].w == 1.0f && a[2000].h == 1.0f); /* fixed_anchor_size */
}

static void s_raw_box(float *b, float dx, float dy, float w, float h)
{
    memset(b, 0, DN_POSE_DET_COORDS * sizeof(float));
    b[0] = dx, b[1] = dy, b[2] = w, b[3] = h;
    for (int k = 0; k < 4; k++)
        b[4 + 2 * k] = dx + (float)k, b[5 + 2 * k] = dy - (float)k;
}

DN_TEST(decode_boxes_threshold_and_geometry)
{
    struct dn_pose_anchor an[2] = {{0.25f, 0.5f, 1, 1}, {0.75f, 0.5f, 1, 1}};
    float boxes[2 * DN_POSE_DET_COORDS], scores[2] = {2.0f, -2.0f};
    struct dn_pose_detection d[2];
    s_raw_box(boxes, 22.4f, -11.2f, 44.8f, 89.6f); /* 0.1, -0.05, 0.2, 0.4 of 224 */
    s_raw_box(boxes + DN_POSE_DET_COORDS, 0, 0, 10, 10);
    DN_CHECK_INT(dn_pose_decode_boxes(boxes, scores, an, 2, 0.5f, d), 1);
    DN_EXPECT_NEAR(d[0].score, 1 / (1 + exp(-2.0)), 1e-6);
    DN_EXPECT_NEAR(d[0].xmin, 0.35 - 0.1, 1e-6);
    DN_EXPECT_NEAR(d[0].ymin, 0.45 - 0.2, 1e-6);
    DN_EXPECT_NEAR(d[0].w, 0.2, 1e-6);
    DN_EXPECT_NEAR(d[0].h, 0.4, 1e-6);
    DN_EXPECT_NEAR(d[0].kp[2][0], 0.35 + 2 / 224.0, 1e-6);
    DN_EXPECT_NEAR(d[0].kp[3][1], 0.45 - 3 / 224.0, 1e-6);
    /* Score logits are clipped at ±100 before the sigmoid. */
    scores[0] = 1e30f;
    DN_CHECK_INT(dn_pose_decode_boxes(boxes, scores, an, 1, 0.5f, d), 1);
    DN_EXPECT_NEAR(d[0].score, 1.0, 1e-6);
}

static struct dn_pose_detection s_det(float score, float x, float y, float w, float h)
{
    struct dn_pose_detection d;
    memset(&d, 0, sizeof(d));
    d.score = score, d.xmin = x, d.ymin = y, d.w = w, d.h = h;
    d.kp[0][0] = x, d.kp[0][1] = y;
    return d;
}

DN_TEST(nms_weighted_merges_overlaps_keeps_others)
{
    struct dn_pose_detection in[4], out[4];
    in[0] = s_det(0.6f, 0.10f, 0.10f, 0.2f, 0.2f);  /* overlaps the best: IoU 0.6 */
    in[1] = s_det(0.9f, 0.12f, 0.10f, 0.2f, 0.2f);  /* best */
    in[2] = s_det(0.7f, 0.60f, 0.60f, 0.2f, 0.2f);  /* apart */
    in[3] = s_det(0.55f, 0.26f, 0.10f, 0.2f, 0.2f); /* IoU with the best 0.18: apart */
    DN_CHECK_INT(dn_pose_nms_weighted(in, 4, 0.3f, out), 3);
    /* First output: the best's score, box = score-weighted mean of 0.9 and 0.6. */
    DN_EXPECT_NEAR(out[0].score, 0.9, 1e-7);
    DN_EXPECT_NEAR(out[0].xmin, (0.12 * 0.9 + 0.10 * 0.6) / 1.5, 1e-6);
    DN_EXPECT_NEAR(out[0].kp[0][0], (0.12 * 0.9 + 0.10 * 0.6) / 1.5, 1e-6);
    DN_EXPECT_NEAR(out[0].w, 0.2, 1e-6);
    DN_EXPECT_NEAR(out[1].score, 0.7, 1e-7);
    DN_EXPECT_NEAR(out[1].xmin, 0.6, 1e-7);
    DN_EXPECT_NEAR(out[2].score, 0.55, 1e-7);
    DN_EXPECT_NEAR(out[2].xmin, 0.26, 1e-7);
}

DN_TEST(nms_empty_box_is_kept_alone)
{
    struct dn_pose_detection in[2], out[2];
    in[0] = s_det(0.9f, 0.5f, 0.5f, 0.0f, 0.0f); /* IoU with itself is 0: no candidates */
    in[1] = s_det(0.8f, 0.5f, 0.5f, 0.1f, 0.1f);
    DN_CHECK_INT(dn_pose_nms_weighted(in, 2, 0.3f, out), 1);
    DN_EXPECT_NEAR(out[0].score, 0.9, 1e-7);
    DN_CHECK_INT(dn_pose_nms_weighted(in, 0, 0.3f, out), 0);
}

DN_TEST(rect_from_points_upright_and_lying)
{
    struct dn_pose_rect r;
    /* Hips at the centre, the body axis point straight above: no rotation. */
    dn_pose_rect_from_points(0.5f, 0.5f, 0.5f, 0.25f, 200, 100, &r);
    DN_EXPECT_NEAR(r.xc, 0.5, 1e-7);
    DN_EXPECT_NEAR(r.w, 2 * 25 / 200.0, 1e-6);
    DN_EXPECT_NEAR(r.h, 2 * 25 / 100.0, 1e-6);
    DN_EXPECT_NEAR(r.rotation, 0.0, 1e-6);
    /* Axis point to the right: the crop turns 90° (clockwise in y-down). */
    dn_pose_rect_from_points(0.5f, 0.5f, 0.75f, 0.5f, 100, 100, &r);
    DN_EXPECT_NEAR(r.rotation, M_PI / 2, 1e-6);
    /* Axis point below (upside down): ±π, normalised into [−π, π). */
    dn_pose_rect_from_points(0.5f, 0.5f, 0.5f, 0.75f, 100, 100, &r);
    DN_EXPECT_NEAR(fabs(r.rotation), M_PI, 1e-6);
    DN_EXPECT(r.rotation < (float)M_PI);
}

DN_TEST(rect_transform_squares_long_side_and_scales)
{
    struct dn_pose_rect r = {0.3f, 0.4f, 0.5f, 0.25f, 0.2f};
    dn_pose_rect_transform(&r, 200, 100); /* 100 × 25 px → 100 × 100 → ×1.25 */
    DN_EXPECT_NEAR(r.w, 0.625, 1e-6);
    DN_EXPECT_NEAR(r.h, 1.25, 1e-6);
    DN_EXPECT_NEAR(r.xc, 0.3, 1e-7);
    DN_EXPECT_NEAR(r.rotation, 0.2, 1e-7);
}

DN_TEST(letterbox_and_crop_map_of_whole_frame)
{
    struct dn_pose_rrect roi;
    float pad[4], m[6];
    dn_pose_roi_pixels(NULL, 200, 100, 224, 224, &roi, pad);
    DN_EXPECT_NEAR(roi.w, 200, 1e-5);
    DN_EXPECT_NEAR(roi.h, 200, 1e-5);
    DN_EXPECT_NEAR(pad[0], 0, 1e-7);
    DN_EXPECT_NEAR(pad[1], 0.25, 1e-7);
    DN_EXPECT_NEAR(pad[3], 0.25, 1e-7);
    dn_pose_crop_map(&roi, 224, 224, m);
    /* Tensor corner (0,0) is the square's corner (0, −50); (224,224) is (200, 150). */
    DN_EXPECT_NEAR(m[2], 0, 1e-4);
    DN_EXPECT_NEAR(m[5], -50, 1e-4);
    DN_EXPECT_NEAR(m[0] * 224 + m[2], 200, 1e-4);
    DN_EXPECT_NEAR(m[4] * 224 + m[5], 150, 1e-4);
    DN_EXPECT_NEAR(m[1], 0, 1e-7);
}

/* Where the stored pixel shown at upright (X, Y) is, by the definition of a
 * clockwise turn: the stored top row becomes the right column (90), the
 * bottom row reversed (180), the left column read upwards (270). */
DN_TEST(map_to_stored_follows_clockwise_turns)
{
    const int W = 5, H = 3;
    for (int x = 0; x < W; x++) {
        float m[6];
        const int rots[3] = {90, 180, 270};
        /* upright point of stored (x, 0) for each turn */
        const float up[3][2] = {{(float)(H - 1), (float)x},
                                {(float)(W - 1 - x), (float)(H - 1)},
                                {0.0f, (float)(W - 1 - x)}};
        for (int r = 0; r < 3; r++) {
            /* The constant map (u, v) → up[r] */
            m[0] = m[1] = m[3] = m[4] = 0.0f;
            m[2] = up[r][0];
            m[5] = up[r][1];
            dn_pose_map_to_stored(m, rots[r], W, H);
            DN_EXPECT_NEAR(m[2], x, 1e-6);
            DN_EXPECT_NEAR(m[5], 0, 1e-6);
        }
    }
}

/* A landmark at crop pixel (u, v) must project to the frame point the crop
 * map sampled for (u, v): the two halves of the pipeline agree. */
DN_TEST(projection_inverts_the_crop_map)
{
    const int W = 640, H = 360;
    struct dn_pose_rect rect;
    struct dn_pose_rrect px;
    float pad[4], m[6];
    dn_pose_rect_from_points(0.4f, 0.6f, 0.45f, 0.3f, W, H, &rect);
    dn_pose_rect_transform(&rect, W, H);
    dn_pose_roi_pixels(&rect, W, H, 256, 256, &px, pad);
    dn_pose_crop_map(&px, 256, 256, m);
    const float uv[3][2] = {{0, 0}, {128, 40}, {255, 255}};
    for (int i = 0; i < 3; i++) {
        struct dn_pose_lm lm = {uv[i][0] / 256, uv[i][1] / 256, 0.1f, 0, 0};
        dn_pose_project_landmarks(&lm, 1, &rect, pad);
        DN_EXPECT_NEAR(lm.x * W, m[0] * uv[i][0] + m[1] * uv[i][1] + m[2], 2e-3);
        DN_EXPECT_NEAR(lm.y * H, m[3] * uv[i][0] + m[4] * uv[i][1] + m[5], 2e-3);
        DN_EXPECT_NEAR(lm.z, 0.1 * rect.w, 1e-6);
    }
    struct dn_pose_lm w = {1, 0, 2, 0, 0};
    dn_pose_project_world(&w, 1, &rect);
    DN_EXPECT_NEAR(w.x, cos(rect.rotation), 1e-6);
    DN_EXPECT_NEAR(w.y, sin(rect.rotation), 1e-6);
    DN_EXPECT_NEAR(w.z, 2, 0);
}

DN_TEST(one_euro_filter_basics)
{
    struct dn_pose_one_euro f;
    memset(&f, 0, sizeof(f));
    f.frequency = 30, f.min_cutoff = 0.05, f.beta = 80, f.derivate_cutoff = 1;
    /* First sample passes through; a constant stays constant. */
    DN_EXPECT_NEAR(dn_pose_one_euro_apply(&f, 1000000, 0.01, 5.0), 5.0, 1e-6);
    DN_EXPECT_NEAR(dn_pose_one_euro_apply(&f, 34333333, 0.01, 5.0), 5.0, 1e-6);
    /* A step moves part way, more with the speed term than without it. */
    double y = dn_pose_one_euro_apply(&f, 67666666, 0.01, 15.0);
    DN_EXPECT(y > 5.0 && y < 15.0);
    /* A repeated timestamp returns the input untouched. */
    DN_EXPECT_NEAR(dn_pose_one_euro_apply(&f, 67666666, 0.01, 42.0), 42.0, 0);
    /* Low-pass: alpha 0.1 */
    struct dn_pose_lowpass lp = {0};
    DN_EXPECT_NEAR(dn_pose_lowpass_apply(&lp, 1.0f, 0.1f), 1.0, 0);
    DN_EXPECT_NEAR(dn_pose_lowpass_apply(&lp, 0.0f, 0.1f), 0.9, 1e-6);
}

DN_TEST(plan_segments_cover_and_balance)
{
    struct dn_pose_segment s[16];
    int n = dn_pose_plan_segments(128, 8, 16, 4, s);
    DN_CHECK_INT(n, 8);
    int prev_end = 0, max_work = 0;
    for (int i = 0; i < n; i++) {
        DN_EXPECT_INT(s[i].start, prev_end);
        DN_EXPECT(s[i].from <= s[i].start && s[i].from >= 0);
        DN_EXPECT(s[i].end > s[i].start);
        if (i > 0)
            DN_EXPECT_INT(s[i].start - s[i].from, 4);
        int work = s[i].end - s[i].from;
        max_work = work > max_work ? work : max_work;
        prev_end = s[i].end;
    }
    DN_EXPECT_INT(prev_end, 128);
    DN_EXPECT_INT(max_work, (128 + 7 * 4 + 7) / 8);
    DN_EXPECT_INT(s[0].from, 0);
    /* Too short to split: one segment. */
    DN_CHECK_INT(dn_pose_plan_segments(20, 8, 16, 4, s), 1);
    DN_EXPECT_INT(s[0].end, 20);
    DN_CHECK_INT(dn_pose_plan_segments(1, 1, 1, 0, s), 1);
    DN_EXPECT_INT(s[0].end, 1);
    /* 40 frames, segments of ≥ 16: two. */
    DN_CHECK_INT(dn_pose_plan_segments(40, 8, 16, 4, s), 2);
    DN_EXPECT_INT(s[1].end, 40);
}
