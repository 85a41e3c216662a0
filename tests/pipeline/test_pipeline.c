/*
 * test_pipeline.c — the analysis pipeline (include/dancer/pipeline.h) on
 * walker clips (make_clips.sh, the pipeline_clips fixture; found through
 * DN_TEST_PIPELINE_DIR) with the real models (skipped without them).
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dancer/pipeline.h"
#include "dancer/result.h"
#include "pipeline_test.h"
#include "test.h"

DN_TEST(missing_models_is_a_config_error)
{
    struct dn_pipeline_options opt;
    struct dn_pipeline *p = NULL;
    struct dn_err err = {0};
    dn_pipeline_options_init(&opt, NULL);
    snprintf(opt.model_dir, sizeof(opt.model_dir), "%s/no-models-here", dn_test_tmp_dir());
    int rc = dn_pipeline_new(&opt, NULL, &p, &err);
    DN_CHECK(rc == DN_E(DN_ERR_CONFIG) && p == NULL);
    DN_EXPECT(strstr(err.msg, "DANCER_MODEL_DIR") != NULL);
    DN_EXPECT(strstr(err.msg, "models/fetch.sh") != NULL);
    DN_EXPECT(strstr(err.msg, "no-models-here/pose_detection.dnm") != NULL);
}

DN_TEST(bad_subject_height_is_refused)
{
    struct dn_pipeline_options opt;
    struct dn_pipeline *p = NULL;
    struct dn_err err = {0};
    dn_pipeline_options_init(&opt, NULL);
    opt.subject_height_cm = 20;
    DN_CHECK_INT(dn_pipeline_new(&opt, NULL, &p, &err), DN_E(DN_ERR_USAGE));
}

/* Two videos in one batch give the same documents and tracks as each alone:
 * batching across videos must not change a video's numbers. */
DN_TEST(batch_equals_single_runs)
{
    struct dn_pt_run both = {0}, a = {0}, b = {0};
    const char *names[] = {"walk_a.mp4", "walk_b.mp4"};
    DN_PT_SETUP();
    DN_CHECK(dn_pt_run(names, 2, &both, NULL));
    DN_CHECK(dn_pt_run(names, 1, &a, NULL));
    DN_CHECK(dn_pt_run(names + 1, 1, &b, NULL));
    for (int i = 0; i < 2; i++) {
        const struct dn_pt_result *one = i ? &b.res[0] : &a.res[0], *two = &both.res[i];
        DN_EXPECT_INT(two->cls, DN_ERR_NONE);
        DN_EXPECT(two->track_frames > 0);
        DN_EXPECT_INT(two->track_frames, one->track_frames);
        DN_EXPECT(two->track_hash == one->track_hash);
        DN_EXPECT(dn_pt_same_analysis(one->doc, two->doc));
    }
    dn_pt_run_free(&both);
    dn_pt_run_free(&a);
    dn_pt_run_free(&b);
}

/* A corrupt video fails alone, with its class and what was learnt (the
 * probe), while the others of its batch succeed. */
DN_TEST(corrupt_video_fails_alone)
{
    struct dn_pt_run r = {0};
    const char *names[] = {"walk_a.mp4", "walk_a_bad.mp4", "walk_b.mp4", "missing.mp4"};
    DN_PT_SETUP();
    DN_CHECK(dn_pt_run(names, 4, &r, NULL));
    DN_EXPECT_INT(r.res[0].cls, DN_ERR_NONE);
    DN_EXPECT_INT(r.res[2].cls, DN_ERR_NONE);
    DN_EXPECT_INT(r.res[1].cls, DN_ERR_BAD_INPUT);
    DN_EXPECT_INT(r.res[3].cls, DN_ERR_NOT_FOUND);
    cJSON *bad = r.res[1].doc;
    DN_CHECK(bad != NULL);
    DN_EXPECT_STR(dn_pt_str(bad, "error", "class"), "bad_input");
    DN_EXPECT(strstr(dn_pt_str(bad, "error", "message"), "corrupt") != NULL);
    DN_EXPECT(dn_pt_num(bad, "video", "width") == 320); /* the probe, learnt before failing */
    DN_EXPECT(cJSON_IsNull(cJSON_GetObjectItem(bad, "gait")));
    DN_EXPECT_STR(dn_pt_str(r.res[3].doc, "error", "class"), "not_found");
    DN_EXPECT(cJSON_IsNull(cJSON_GetObjectItem(r.res[3].doc, "video")));
    for (int i = 0; i < 4; i++)
        DN_EXPECT_INT(r.res[i].calls, 1);
    dn_pt_run_free(&r);
}

/* Each input's done comes when it is finished: the short clip's before the
 * long one's, whatever the input order. */
DN_TEST(done_fires_as_each_video_finishes)
{
    struct dn_pt_run r = {0};
    const char *names[] = {"walk_b.mp4", "walk_a.mp4"}; /* 3 s, then 2 s */
    DN_PT_SETUP();
    DN_CHECK(dn_pt_run(names, 2, &r, NULL));
    DN_EXPECT_INT(r.order[0], 1);
    DN_EXPECT_INT(r.order[1], 0);
    dn_pt_run_free(&r);
}

static void *s_cancel_later(void *arg)
{
    struct dn_analysis_cancel *c = arg;
    nanosleep(&(struct timespec){0, 300 * 1000000L}, NULL);
    dn_analysis_cancel_set(c);
    return NULL;
}

/* The cancel flag stops decoding and pose: every input gets its one done
 * call, the unfinished ones with DN_ERR_CANCELLED. */
DN_TEST(cancel_stops_the_batch)
{
    struct dn_pt_run r = {0};
    struct dn_analysis_cancel cancel;
    pthread_t t;
    const char *names[] = {"walk_b.mp4", "walk_b.mp4", "walk_b.mp4", "walk_a.mp4"};
    DN_PT_SETUP();
    dn_analysis_cancel_init(&cancel);
    DN_CHECK(pthread_create(&t, NULL, s_cancel_later, &cancel) == 0);
    bool ok = dn_pt_run(names, 4, &r, &cancel);
    pthread_join(t, NULL);
    DN_CHECK(ok);
    int cancelled = 0;
    for (int i = 0; i < 4; i++) {
        DN_EXPECT_INT(r.res[i].calls, 1);
        DN_EXPECT(r.res[i].cls == DN_ERR_CANCELLED || r.res[i].cls == DN_ERR_NONE);
        cancelled += r.res[i].cls == DN_ERR_CANCELLED;
    }
    DN_EXPECT(cancelled >= 3); /* 0.3 s is not enough for three 3 s clips */
    /* Cancelled before the run: nothing starts. */
    dn_pt_run_free(&r);
    DN_CHECK(dn_pt_run(names, 2, &r, &cancel));
    DN_EXPECT_INT(r.res[0].cls, DN_ERR_CANCELLED);
    DN_EXPECT_INT(r.res[1].cls, DN_ERR_CANCELLED);
    dn_pt_run_free(&r);
}
