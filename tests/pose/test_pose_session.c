/*
 * test_pose_session.c — the session's contract on the CPU path: tracks for
 * several interleaved videos, frame bookkeeping, batching statistics and
 * every misuse the header names. Needs the converted models (skips without
 * them); the frames are plain gray, so no pose is found — what matters here
 * is the bookkeeping. Landmark accuracy: test_e2e.py, test_session.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/pose.h"
#include "pose_models.h"
#include "test.h"

static char s_det[1024], s_lm[1024];

static bool s_models(void)
{
    return dn_test_pose_models(s_det, sizeof(s_det), s_lm, sizeof(s_lm));
}

/* A gray NV12 frame (host planes) at time t. */
struct s_frame {
    uint8_t y[64 * 48], uv[64 * 24];
    struct dn_frame f;
};

static void s_frame_init(struct s_frame *fr, int w, int h, double t)
{
    memset(fr->y, 100, sizeof(fr->y));
    memset(fr->uv, 128, sizeof(fr->uv));
    memset(&fr->f, 0, sizeof(fr->f));
    fr->f.format = DN_PIX_NV12;
    fr->f.width = w, fr->f.height = h, fr->f.nb_planes = 2;
    fr->f.planes[0] = fr->y, fr->f.planes[1] = fr->uv;
    fr->f.pitch[0] = (size_t)w, fr->f.pitch[1] = (size_t)w;
    fr->f.matrix = DN_COLOR_BT709;
    fr->f.pts_s = t;
}

static struct dn_pose_session *s_session(int chunk, int min_seg, int target, int videos)
{
    struct dn_pose_options o;
    struct dn_pose_session *s = NULL;
    struct dn_err err = {0};
    dn_pose_options_init(&o, false);
    o.detector_path = s_det;
    o.landmark_path = s_lm;
    o.chunk_frames = chunk, o.min_segment_frames = min_seg, o.target_batch = target;
    o.warmup_frames = 1, o.max_batch = 8, o.max_videos = videos;
    if (dn_pose_session_new(&o, &s, &err))
        dn_test_fail(__FILE__, __LINE__, "session: %s", err.msg);
    return s;
}

DN_TEST(interleaved_videos_get_their_own_tracks)
{
    if (!s_models())
        DN_SKIP("converted models missing (models/fetch.sh)");
    struct dn_pose_session *s = s_session(12, 4, 8, 3);
    struct dn_err err = {0};
    struct s_frame fr;
    int id[3];
    const int n[3] = {30, 7, 19};
    DN_CHECK(s);
    for (int v = 0; v < 3; v++) {
        struct dn_pose_video vid = {64, 48, v * 90, 25.0};
        DN_CHECK_OK(dn_pose_session_add_video(s, &vid, &id[v], &err), &err);
    }
    for (int i = 0; i < 30; i++) {
        for (int v = 0; v < 3; v++) {
            if (i < n[v]) {
                s_frame_init(&fr, 64, 48, 0.04 * i + v);
                DN_CHECK_OK(dn_pose_session_push(s, id[v], &fr.f, NULL, &err), &err);
            } else if (i == n[v]) {
                DN_CHECK_OK(dn_pose_session_end_video(s, id[v], &err), &err);
            }
        }
    }
    DN_CHECK_OK(dn_pose_session_end_video(s, id[0], &err), &err);
    for (int v = 0; v < 3; v++) {
        struct dn_track *t = NULL;
        DN_CHECK_OK(dn_pose_session_take_track(s, id[v], &t, &err), &err);
        DN_EXPECT_INT(t->n_frames, n[v]);
        DN_EXPECT_INT(t->width, v == 1 ? 48 : 64); /* upright: 90° swaps */
        DN_EXPECT(t->has_world);
        DN_EXPECT_NEAR(t->fps, 25.0, 0);
        for (size_t i = 0; i < t->n_frames; i++) {
            DN_EXPECT_NEAR(t->frames[i].time_s, 0.04 * (double)i + v, 1e-9);
            DN_EXPECT(!t->frames[i].valid); /* gray frames: nobody there */
        }
        dn_track_destroy(t);
    }
    struct dn_pose_stats st;
    dn_pose_session_stats(s, &st);
    DN_EXPECT_INT(st.frames, 30 + 7 + 19);
    DN_EXPECT_INT(st.frames_with_pose, 0);
    /* No pose: every frame (warm-up ones included) goes to the detector,
     * several segments per video at once. */
    DN_EXPECT(st.detector_items >= st.frames);
    DN_EXPECT(st.max_step_items >= 6);
    DN_EXPECT(st.detector_launches < st.detector_items);
    DN_EXPECT_INT(st.landmark_items, 0);
    DN_EXPECT_INT(strlen(dn_pose_session_model_sha256(s)), 64);
    dn_pose_session_destroy(s);
}

DN_TEST(misuse_is_reported)
{
    if (!s_models())
        DN_SKIP("converted models missing (models/fetch.sh)");
    struct dn_pose_session *s = s_session(1, 1, 1, 1);
    struct dn_err err = {0};
    struct s_frame fr;
    struct dn_track *t = NULL;
    int id, id2;
    DN_CHECK(s);
    struct dn_pose_video bad = {64, 48, 45, 25.0}, good = {64, 48, 0, 25.0};
    DN_EXPECT_INT(dn_pose_session_add_video(s, &bad, &id, &err), DN_E(DN_ERR_BAD_INPUT));
    DN_CHECK_OK(dn_pose_session_add_video(s, &good, &id, &err), &err);
    DN_EXPECT_INT(dn_pose_session_add_video(s, &good, &id2, &err), DN_E(DN_ERR_UNSUPPORTED));
    s_frame_init(&fr, 62, 48, 0);
    DN_EXPECT_INT(dn_pose_session_push(s, id, &fr.f, NULL, &err), DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT_INT(dn_pose_session_push(s, id + 5, &fr.f, NULL, &err), DN_E(DN_ERR_BAD_INPUT));
    s_frame_init(&fr, 64, 48, 1.0);
    DN_CHECK_OK(dn_pose_session_push(s, id, &fr.f, NULL, &err), &err);
    /* Not after the previous frame: skipped and counted, not an error. */
    fr.f.pts_s = 0.5;
    DN_CHECK_OK(dn_pose_session_push(s, id, &fr.f, NULL, &err), &err);
    fr.f.format = DN_PIX_YUV420P10;
    fr.f.pts_s = 2.0;
    DN_EXPECT_INT(dn_pose_session_push(s, id, &fr.f, NULL, &err), DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT_INT(dn_pose_session_take_track(s, id, &t, &err), DN_E(DN_ERR_INTERNAL));
    DN_CHECK_OK(dn_pose_session_end_video(s, id, &err), &err);
    fr.f.format = DN_PIX_NV12;
    DN_EXPECT_INT(dn_pose_session_push(s, id, &fr.f, NULL, &err), DN_E(DN_ERR_INTERNAL));
    DN_CHECK_OK(dn_pose_session_take_track(s, id, &t, &err), &err);
    DN_EXPECT_INT(t->n_frames, 1);
    dn_track_destroy(t);
    struct dn_pose_stats st;
    dn_pose_session_stats(s, &st);
    DN_EXPECT_INT(st.frames_skipped, 1);
    dn_pose_session_destroy(s);
    dn_pose_session_destroy(NULL);
}

DN_TEST(frame_store_bound_is_enforced)
{
    if (!s_models())
        DN_SKIP("converted models missing (models/fetch.sh)");
    struct dn_pose_options o;
    struct dn_pose_session *s = NULL;
    struct dn_err err = {0};
    struct s_frame fr;
    int id;
    dn_pose_options_init(&o, false);
    o.detector_path = s_det, o.landmark_path = s_lm;
    o.frame_store_bytes = 1000; /* less than one 64×48 NV12 frame (4608 bytes) */
    DN_CHECK_OK(dn_pose_session_new(&o, &s, &err), &err);
    struct dn_pose_video v = {64, 48, 0, 30.0};
    DN_CHECK_OK(dn_pose_session_add_video(s, &v, &id, &err), &err);
    s_frame_init(&fr, 64, 48, 0);
    DN_EXPECT_INT(dn_pose_session_push(s, id, &fr.f, NULL, &err), DN_E(DN_ERR_UNSUPPORTED));
    DN_EXPECT(strstr(err.msg, "frame store") != NULL);
    dn_pose_session_destroy(s);
    o.detector_path = "/nonexistent/pose_detection.dnm";
    DN_EXPECT_INT(dn_pose_session_new(&o, &s, &err), DN_E(DN_ERR_NOT_FOUND));
    DN_EXPECT(s == NULL);
}
