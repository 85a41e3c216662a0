/* test_track.c — the landmark track container and its CSV form. */
#include <stdlib.h>

#include "dancer/track.h"
#include "test.h"

static void s_frame(struct dn_track_frame *f, double t, bool valid)
{
    memset(f, 0, sizeof(*f));
    f->time_s = t;
    f->valid = valid;
    f->presence = valid ? 0.9f : 0.0f;
    for (int k = 0; k < DN_TRACK_LANDMARKS; k++) {
        f->image[k] = (struct dn_landmark){(float)(10 * k + t), (float)(5 * k), -0.5f * k, 0.75f, 1.0f};
    }
}

DN_TEST(new_rejects_bad_geometry)
{
    struct dn_err err = {0};
    struct dn_track *t = (struct dn_track *)1;
    DN_EXPECT_INT(dn_track_new(&t, 0, 720, 30, &err), DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT(t == NULL);
    DN_EXPECT_INT(dn_track_new(&t, 1280, 720, 0, &err), DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT_INT(dn_track_new(&t, 1280, 720, NAN, &err), DN_E(DN_ERR_BAD_INPUT));
    dn_track_destroy(NULL);
}

DN_TEST(append_grows_and_keeps_order)
{
    struct dn_err err = {0};
    struct dn_track *t;
    struct dn_track_frame f;
    DN_CHECK_OK(dn_track_new(&t, 1280, 720, 30, &err), &err);
    for (int i = 0; i < 1000; i++) {
        s_frame(&f, i / 30.0, i % 7 != 0);
        DN_CHECK_OK(dn_track_append(t, &f, &err), &err);
    }
    DN_EXPECT_INT(t->n_frames, 1000);
    DN_EXPECT(t->capacity >= 1000);
    DN_EXPECT_NEAR(t->frames[999].time_s, 999 / 30.0, 1e-12);
    DN_EXPECT(!t->frames[7].valid && t->frames[8].valid);
    /* time must increase; the track is unchanged by a refused frame */
    s_frame(&f, 999 / 30.0, true);
    DN_EXPECT_INT(dn_track_append(t, &f, &err), DN_E(DN_ERR_BAD_INPUT));
    s_frame(&f, INFINITY, true);
    DN_EXPECT_INT(dn_track_append(t, &f, &err), DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT_INT(t->n_frames, 1000);
    dn_track_destroy(t);
}

DN_TEST(frame_limit_is_enforced)
{
    struct dn_err err = {0};
    struct dn_track *t;
    DN_CHECK_OK(dn_track_new(&t, 64, 64, 30, &err), &err);
    DN_EXPECT_INT(dn_track_reserve(t, DN_TRACK_MAX_FRAMES + 1, &err), DN_E(DN_ERR_UNSUPPORTED));
    DN_CHECK_OK(dn_track_reserve(t, DN_TRACK_MAX_FRAMES, &err), &err);
    struct dn_track_frame f;
    memset(&f, 0, sizeof(f));
    for (int i = 0; i < DN_TRACK_MAX_FRAMES; i++) {
        f.time_s = i;
        DN_CHECK_OK(dn_track_append(t, &f, &err), &err);
    }
    f.time_s = DN_TRACK_MAX_FRAMES;
    DN_EXPECT_INT(dn_track_append(t, &f, &err), DN_E(DN_ERR_UNSUPPORTED));
    dn_track_destroy(t);
}

DN_TEST(names)
{
    DN_EXPECT_STR(dn_track_landmark_name(DN_LM_NOSE), "nose");
    DN_EXPECT_STR(dn_track_landmark_name(DN_LM_LEFT_HEEL), "left_heel");
    DN_EXPECT_STR(dn_track_landmark_name(DN_LM_RIGHT_FOOT_INDEX), "right_foot_index");
    DN_EXPECT_STR(dn_track_landmark_name(33), "?");
}

DN_TEST(csv_round_trip)
{
    struct dn_err err = {0};
    struct dn_track *t, *back = NULL;
    struct dn_track_frame f;
    char path[512];
    DN_CHECK_OK(dn_track_new(&t, 1920, 1080, 60, &err), &err);
    for (int i = 0; i < 20; i++) {
        s_frame(&f, 0.5 + i / 60.0, i != 4); /* frame 4: no pose, not written */
        DN_CHECK_OK(dn_track_append(t, &f, &err), &err);
    }
    snprintf(path, sizeof(path), "%s/lm.csv", dn_test_tmp_dir());
    FILE *out = fopen(path, "w");
    DN_CHECK(out);
    DN_CHECK_OK(dn_track_write_csv(t, out, &err), &err);
    fclose(out);
    DN_CHECK_OK(dn_track_read_csv(path, 1920, 1080, 0, &back, &err), &err);
    DN_EXPECT_INT(back->n_frames, 19);
    DN_EXPECT_NEAR(back->fps, 60, 1e-3);
    DN_EXPECT(!back->has_world);
    DN_EXPECT_NEAR(back->frames[4].time_s, t->frames[5].time_s, 1e-6);
    for (int k = 0; k < DN_TRACK_LANDMARKS; k++) {
        DN_EXPECT_NEAR(back->frames[4].image[k].x, t->frames[5].image[k].x, 1e-4);
        DN_EXPECT_NEAR(back->frames[4].image[k].z, t->frames[5].image[k].z, 1e-4);
        DN_EXPECT_NEAR(back->frames[4].image[k].visibility, 0.75, 1e-4);
    }
    dn_track_destroy(t);
    dn_track_destroy(back);
}

static int s_read_text(const char *text, struct dn_track **t, struct dn_err *err)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/in.csv", dn_test_tmp_dir());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return dn_track_read_csv(path, 640, 480, 0, t, err);
}

DN_TEST(csv_reader_rejects_malformed_input)
{
    struct dn_err err = {0};
    struct dn_track *t = NULL;
    DN_EXPECT_INT(s_read_text("a,b,c\n", &t, &err), DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT_INT(s_read_text("frame,time_s,landmark,x,y,z,visibility\n0,0.0,33,1,2,3,1\n", &t, &err),
                  DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT(strstr(err.msg, "line 2") != NULL);
    DN_EXPECT_INT(s_read_text("frame,time_s,landmark,x,y,z,visibility\n0,0.0,1,1,2,3\n", &t, &err),
                  DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT_INT(s_read_text("frame,time_s,landmark,x,y,z,visibility\n"
                              "1,0.1,0,1,2,3,1\n0,0.0,0,1,2,3,1\n", &t, &err),
                  DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT_INT(s_read_text("frame,time_s,landmark,x,y,z,visibility\n0,0.0,0,1,2,3,1\n", &t, &err),
                  DN_E(DN_ERR_BAD_INPUT)); /* one frame: fps unknown */
    DN_EXPECT(t == NULL);
    DN_EXPECT_INT(dn_track_read_csv("/nonexistent.csv", 640, 480, 30, &t, &err), DN_E(DN_ERR_NOT_FOUND));
}

DN_TEST(csv_reader_accepts_gaps_and_partial_frames)
{
    struct dn_err err = {0};
    struct dn_track *t = NULL;
    DN_CHECK_OK(s_read_text("frame,time_s,landmark,x,y,z,visibility\r\n"
                            "0,0.000,5,1,2,3,0.5\r\n0,0.000,0,4,5,6,1\r\n"
                            "1,0.040,0,1,2,3,1\r\n"
                            "3,0.120,0,1,2,3,1\r\n", &t, &err), &err);
    DN_CHECK_INT(t->n_frames, 3);
    DN_EXPECT_NEAR(t->fps, 25, 1e-6);
    DN_EXPECT_NEAR(t->frames[0].image[5].visibility, 0.5, 1e-7);
    DN_EXPECT_NEAR(t->frames[0].image[0].x, 4, 1e-7);
    DN_EXPECT_NEAR(t->frames[0].image[1].visibility, 0, 1e-7); /* absent row */
    DN_EXPECT_NEAR(t->frames[2].time_s, 0.12, 1e-12);
    dn_track_destroy(t);
}
