/* test_gait.c — gait events and parameters on analytic tracks (synth.h). */
#include <stdlib.h>

#include "dancer/gait.h"
#include "synth.h"
#include "test.h"

/* The gait stage with default options on one track; NULL (said why) when it fails. */
static struct dn_gait_result *s_analyze(const struct dn_track *t, double height_cm)
{
    struct dn_err err = {0};
    struct dn_gait_options o;
    struct dn_gait_result *r = NULL;
    dn_gait_options_init(&o);
    struct dn_gait_input in = {t, height_cm};
    if (dn_gait_analyze(&in, 1, &o, &r, &err))
        fprintf(stderr, "dn_gait_analyze: %s\n", err.msg);
    return r;
}

static struct dn_gait_result *s_run(const struct synth_params *p, double height_cm,
                                    struct synth_truth *truth)
{
    struct dn_track *t = NULL;
    if (synth_track(p, &t, truth))
        return NULL;
    struct dn_gait_result *r = s_analyze(t, height_cm);
    dn_track_destroy(t);
    if (r && getenv("DN_GAIT_DEBUG")) {
        for (size_t i = 0; i < r->n_events; i++)
            fprintf(stderr, "event %s %s t=%.4f conf=%.2f bout=%d\n", r->events[i].side ? "R" : "L",
                    r->events[i].type ? "TO" : "HS", r->events[i].time_s, r->events[i].confidence,
                    r->events[i].bout);
        for (int s = 0; s < 2 && truth; s++)
            for (int k = 0; k < truth->n_hs[s]; k++)
                fprintf(stderr, "truth %s HS %.4f TO %.4f\n", s ? "R" : "L", truth->hs[s][k], truth->to[s][k]);
    }
    return r;
}

/* Largest |event - nearest true event| over detected events of one kind,
 * in seconds; also counts detected events that match none within tol. */
static double s_event_error(const struct dn_gait_result *r, const struct synth_truth *tr, int type,
                            double tol, int *unmatched)
{
    double worst = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        const struct dn_gait_event *e = &r->events[i];
        if (e->type != type)
            continue;
        const double *ref = type == DN_GAIT_HEEL_STRIKE ? tr->hs[e->side] : tr->to[e->side];
        int n = type == DN_GAIT_HEEL_STRIKE ? tr->n_hs[e->side] : tr->n_to[e->side];
        double best = 1e9;
        for (int k = 0; k < n; k++)
            best = fmin(best, fabs(ref[k] - e->time_s));
        if (best > tol)
            (*unmatched)++;
        else
            worst = fmax(worst, best);
    }
    return worst;
}

/* Checks one side-view run against the model's truth. Tolerances are for
 * the mechanism, not the accuracy (asserted on the rendered walker,
 * walker_accuracy.py): events within t_tol s, knee ROM within a fraction
 * knee_tol, since this crude model's sharp swing knee peak loses a few
 * degrees to the 6 Hz low-pass. */
static void s_check_side(const struct synth_params *p, double t_tol, double cad_tol, double pct_tol,
                         double len_tol, double knee_tol)
{
    struct synth_truth tr;
    struct dn_gait_result *r = s_run(p, 0, &tr);
    int unmatched = 0;
    DN_CHECK(r != NULL);
    DN_EXPECT(r->detected);
    DN_EXPECT_INT(r->view, DN_GAIT_VIEW_SIDE);
    DN_EXPECT(r->n_bouts == 1 && r->bouts[0].direction == p->direction);
    DN_EXPECT(r->quality.complete_strides >= 4);
    DN_EXPECT(s_event_error(r, &tr, DN_GAIT_HEEL_STRIKE, 0.1, &unmatched) <= t_tol);
    DN_EXPECT(s_event_error(r, &tr, DN_GAIT_TOE_OFF, 0.1, &unmatched) <= t_tol);
    DN_EXPECT_INT(unmatched, 0);
    DN_EXPECT_NEAR(r->params[DN_GP_CADENCE].all.mean, p->cadence, cad_tol);
    DN_EXPECT_NEAR(r->params[DN_GP_STEP_TIME].all.mean, 60 / p->cadence, t_tol);
    DN_EXPECT_NEAR(r->params[DN_GP_STRIDE_TIME].all.mean, 120 / p->cadence, t_tol);
    DN_EXPECT_NEAR(r->params[DN_GP_STANCE_PCT].all.mean, 100 * p->stance, pct_tol);
    DN_EXPECT_NEAR(r->params[DN_GP_SWING_PCT].all.mean, 100 * (1 - p->stance), pct_tol);
    DN_EXPECT_NEAR(r->params[DN_GP_DOUBLE_SUPPORT_PCT].all.mean, 200 * (p->stance - 0.5), 2 * pct_tol);
    DN_EXPECT(r->params[DN_GP_STRIDE_TIME].all.cv < 0.02); /* periodic: strides alike */
    DN_EXPECT_NEAR(r->params[DN_GP_STEP_LENGTH].all.mean, p->step_len, len_tol * p->step_len);
    DN_EXPECT_NEAR(r->params[DN_GP_STRIDE_LENGTH].all.mean, 2 * p->step_len, len_tol * 2 * p->step_len);
    DN_EXPECT_NEAR(r->leg_length_px, p->leg_px, 0.02 * p->leg_px);
    for (int s = 0; s < 2; s++) {
        DN_EXPECT_NEAR(r->params[DN_GP_KNEE_ROM].side[s].mean, tr.knee_rom[s], knee_tol * tr.knee_rom[s]);
        DN_EXPECT(r->knee[s].cycles >= 2);
    }
    DN_EXPECT(r->quality.confidence > 0.5 && r->quality.confidence <= 1);
    dn_gait_result_destroy(r);
}

DN_TEST(side_view_periodic_gait_parameters)
{
    struct synth_params p;
    synth_defaults(&p);
    s_check_side(&p, 0.5 / 30, 0.3, 3.0, 0.01, 0.1);
}

DN_TEST(side_view_right_to_left_and_60fps)
{
    struct synth_params p;
    synth_defaults(&p);
    p.direction = -1;
    p.fps = 60;
    p.cadence = 96;
    p.stance = 0.66;
    s_check_side(&p, 0.5 / 60, 0.3, 3.0, 0.01, 0.1);
}

DN_TEST(short_dropouts_are_filled)
{
    struct synth_params p;
    synth_defaults(&p);
    p.dropout_every_s = 0.9;
    p.dropout_s = 0.1; /* 3 frames at 30 fps */
    s_check_side(&p, 1.0 / 30, 0.5, 3.0, 0.02, 0.1);
}

DN_TEST(pixel_noise_is_tolerated)
{
    struct synth_params p;
    synth_defaults(&p);
    p.noise_px = 1.0; /* ~1 % of the leg length, worse than a good pose model */
    p.duration_s = 8;
    s_check_side(&p, 1.0 / 30, 1.0, 3.0, 0.05, 0.1);
}

/* A pose model that places a bent knee toward the inside of the angle (the
 * hip-ankle line) reads knee flexion low; BlazePose does so by ~15 % at the
 * swing peak. The swing peak comes from the rigid chain (hip-ankle distance
 * and per-bout segment lengths, limbs.c), which the knee landmark does not
 * enter, so the ROM holds; the landmark angle alone would read ~9 deg low. */
DN_TEST(knee_landmark_bias_toward_the_inside_is_undone)
{
    struct synth_params p;
    struct synth_truth tr;
    synth_defaults(&p);
    p.knee_inward = 0.15;
    struct dn_gait_result *r = s_run(&p, 0, &tr);
    DN_CHECK(r != NULL && r->detected);
    for (int s = 0; s < 2; s++)
        DN_EXPECT_NEAR(r->params[DN_GP_KNEE_ROM].side[s].mean, tr.knee_rom[s], 0.05 * tr.knee_rom[s]);
    dn_gait_result_destroy(r);
}

/* Frame-edge rule: no event is reported while a landmark of its foot lies
 * within a tenth of a leg of the picture's border (the subject walks in and
 * out of a frame narrower than the walk); the others stay. */
DN_TEST(events_at_the_frame_edge_are_dropped)
{
    struct synth_params p;
    struct synth_truth tr;
    struct dn_track *t;
    synth_defaults(&p);
    p.width = 1000; /* the walk spans ~1320 px */
    DN_CHECK(synth_track(&p, &t, &tr) == 0);
    struct dn_gait_result *r = s_analyze(t, 0);
    DN_CHECK(r != NULL);
    double m = 0.1 * p.leg_px;
    int inside = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        const struct dn_gait_event *e = &r->events[i];
        const struct dn_track_frame *f = &t->frames[(size_t)lround(e->time_s * p.fps)];
        for (int k = 0; k < 3; k++) {
            int lm = (k == 0 ? DN_LM_LEFT_HEEL : k == 1 ? DN_LM_LEFT_ANKLE : DN_LM_LEFT_FOOT_INDEX) + e->side;
            DN_EXPECT(f->image[lm].x >= m && f->image[lm].x <= p.width - m);
        }
    }
    for (int s = 0; s < 2; s++) /* true heel strikes with the heel in the frame */
        for (int k = 0; k < tr.n_hs[s]; k++) {
            float x = t->frames[(size_t)lround(tr.hs[s][k] * p.fps)].image[DN_LM_LEFT_HEEL + s].x;
            inside += x >= 0 && x <= p.width;
        }
    int unmatched = 0;
    DN_EXPECT(s_event_error(r, &tr, DN_GAIT_HEEL_STRIKE, 0.1, &unmatched) <= 1.0 / 30);
    DN_EXPECT_INT(unmatched, 0);
    DN_EXPECT(inside >= 4);
    dn_gait_result_destroy(r);
    dn_track_destroy(t);
}

/* A pose model unsure of a small figure's depth can spread the shoulders
 * and hips of a profile (BlazePose on the walker's 320x180 clip: 0.3 torso
 * lengths for its last second). A subject crossing the picture without
 * coming closer or going away walks across it: one side-view bout, not a
 * back view "walking in place" for the second half. */
DN_TEST(wide_shoulders_crossing_the_picture_are_a_side_view)
{
    struct synth_params p;
    struct synth_truth tr;
    struct dn_track *t;
    synth_defaults(&p);
    DN_CHECK(synth_track(&p, &t, &tr) == 0);
    for (size_t i = t->n_frames / 2; i < t->n_frames; i++) {
        struct dn_landmark *lm = t->frames[i].image;
        double torso = hypot(lm[DN_LM_LEFT_SHOULDER].x - lm[DN_LM_LEFT_HIP].x,
                             lm[DN_LM_LEFT_SHOULDER].y - lm[DN_LM_LEFT_HIP].y);
        for (int k = 0; k < 2; k++) { /* 0.35 torso lengths apart, left to the right of the image */
            int l = k ? DN_LM_LEFT_HIP : DN_LM_LEFT_SHOULDER;
            double mid = 0.5 * (lm[l].x + lm[l + 1].x);
            lm[l].x = (float)(mid + 0.175 * torso);
            lm[l + 1].x = (float)(mid - 0.175 * torso);
        }
    }
    struct dn_gait_result *r = s_analyze(t, 0);
    DN_CHECK(r != NULL);
    DN_EXPECT_INT(r->n_bouts, 1);
    DN_EXPECT_INT(r->view, DN_GAIT_VIEW_SIDE);
    DN_EXPECT(r->n_bouts >= 1 && r->bouts[0].direction == p.direction);
    DN_EXPECT(r->n_bouts >= 1 && r->bouts[0].end_s - r->bouts[0].start_s > 0.9 * p.duration_s);
    int unmatched = 0;
    DN_EXPECT(s_event_error(r, &tr, DN_GAIT_TOE_OFF, 0.1, &unmatched) <= 1.0 / 30);
    DN_EXPECT_INT(unmatched, 0);
    dn_gait_result_destroy(r);
    dn_track_destroy(t);
}

DN_TEST(single_stride_is_not_a_gait_cycle)
{
    struct synth_params p;
    synth_defaults(&p);
    p.duration_s = 1.6;
    struct dn_gait_result *r = s_run(&p, 0, NULL);
    DN_CHECK(r != NULL);
    DN_EXPECT(!r->detected);
    DN_EXPECT(r->quality.complete_strides < 2);
    DN_EXPECT(strstr(r->reason, "stride") != NULL);
    DN_EXPECT_INT(r->params[DN_GP_CADENCE].all.n, 0);
    DN_EXPECT(r->params[DN_GP_CADENCE].reason[0] != 0);
    DN_EXPECT(r->quality.confidence == 0);
    dn_gait_result_destroy(r);
}

DN_TEST(standing_still_is_not_walking)
{
    struct synth_params p;
    synth_defaults(&p);
    p.view = SYNTH_STILL;
    p.noise_px = 0.3;
    struct dn_gait_result *r = s_run(&p, 0, NULL);
    DN_CHECK(r != NULL);
    DN_EXPECT(!r->detected);
    DN_EXPECT_INT(r->n_bouts, 0);
    DN_EXPECT(strstr(r->reason, "standing still") != NULL);
    dn_gait_result_destroy(r);
}

DN_TEST(no_pose_at_all)
{
    struct synth_params p;
    synth_defaults(&p);
    p.dropout_every_s = 1;
    p.dropout_s = 1; /* every frame */
    struct dn_gait_result *r = s_run(&p, 0, NULL);
    DN_CHECK(r != NULL);
    DN_EXPECT(!r->detected);
    DN_EXPECT(strstr(r->reason, "no frame") != NULL);
    DN_EXPECT(r->quality.frames_with_pose_pct == 0);
    dn_gait_result_destroy(r);
}

DN_TEST(front_view_times_by_rhythm)
{
    struct synth_params p;
    struct synth_truth tr;
    synth_defaults(&p);
    p.view = SYNTH_FRONT;
    struct dn_gait_result *r = s_run(&p, 175, &tr);
    DN_CHECK(r != NULL);
    DN_EXPECT(r->detected);
    DN_EXPECT_INT(r->view, DN_GAIT_VIEW_FRONT);
    DN_EXPECT_INT(r->temporal, DN_GAIT_TEMPORAL_PERIODICITY);
    /* The rhythm reads a walk from 12 m to 3 m 1.1 % fast (README
     * "Rhythm": the feet's image rows mix depth and lift); 1.5 % bounds it. */
    double T = 120 / p.cadence;
    DN_EXPECT_NEAR(r->params[DN_GP_CADENCE].all.mean, p.cadence, 0.015 * p.cadence);
    DN_EXPECT_NEAR(r->params[DN_GP_STRIDE_TIME].all.mean, T, 0.015 * T);
    DN_EXPECT_NEAR(r->params[DN_GP_STEP_TIME].all.mean, T / 2, 0.015 * T / 2);
    DN_EXPECT(isnan(r->params[DN_GP_STEP_TIME].all.cv)); /* one period per bout: no variability */
    DN_EXPECT_INT(r->params[DN_GP_STEP_TIME].side[DN_GAIT_LEFT].n, 0);
    /* no stance without heel strike times, no lengths or joint angles from
     * the front, even with a known height */
    DN_EXPECT_INT(r->params[DN_GP_STANCE_PCT].all.n, 0);
    DN_EXPECT(strstr(r->params[DN_GP_STANCE_PCT].reason, "front/back view") != NULL);
    DN_EXPECT_INT(r->params[DN_GP_DOUBLE_SUPPORT_PCT].all.n, 0);
    DN_EXPECT_INT(r->params[DN_GP_STEP_LENGTH].all.n, 0);
    DN_EXPECT(strstr(r->params[DN_GP_STEP_LENGTH].reason, "side view") != NULL);
    DN_EXPECT_INT(r->params[DN_GP_STEP_LENGTH_M].all.n, 0);
    DN_EXPECT_INT(r->params[DN_GP_KNEE_ROM].all.n, 0);
    /* Noise-free, its events pass the check (the mechanism, not its
     * accuracy: this crude model has other speed edges than real feet). */
    int unmatched = 0;
    DN_CHECK(r->n_bouts == 1);
    DN_EXPECT_STR(r->bouts[0].events_rejected, "");
    DN_EXPECT(s_event_error(r, &tr, DN_GAIT_HEEL_STRIKE, 0.2, &unmatched) <= 0.1);
    DN_EXPECT(s_event_error(r, &tr, DN_GAIT_TOE_OFF, 0.2, &unmatched) <= 0.1);
    DN_EXPECT_INT(unmatched, 0);
    DN_EXPECT(r->quality.confidence > 0 && r->quality.confidence <= 0.5);
    dn_gait_result_destroy(r);
}

DN_TEST(front_view_events_failing_the_check_are_dropped)
{
    struct synth_params p;
    synth_defaults(&p);
    p.view = SYNTH_FRONT;
    p.noise_px = 0.5; /* half a pixel of noise: this model's front events step unevenly */
    struct dn_gait_result *r = s_run(&p, 0, NULL);
    DN_CHECK(r != NULL && r->n_bouts == 1);
    DN_EXPECT(strstr(r->bouts[0].events_rejected, "disagree") != NULL);
    DN_EXPECT_INT((int)r->n_events, 0); /* none published */
    DN_EXPECT(r->detected); /* the rhythm still times the walk */
    DN_EXPECT_NEAR(r->params[DN_GP_CADENCE].all.mean, p.cadence, 0.015 * p.cadence);
    dn_gait_result_destroy(r);
}

/* A front-view bout too short for a rhythm (two strides must fit in it)
 * has nothing to check its events against: none is published. */
DN_TEST(front_view_events_without_a_rhythm_are_dropped)
{
    struct synth_params p;
    synth_defaults(&p);
    p.view = SYNTH_FRONT;
    p.duration_s = 2.0; /* strides of 1.09 s */
    struct dn_gait_result *r = s_run(&p, 0, NULL);
    DN_CHECK(r != NULL && r->n_bouts == 1);
    DN_EXPECT(isnan(r->bouts[0].stride_period_s));
    DN_EXPECT(strstr(r->bouts[0].events_rejected, "no clear rhythm") != NULL);
    DN_EXPECT_INT((int)r->n_events, 0);
    DN_EXPECT(!r->detected);
    dn_gait_result_destroy(r);
}

DN_TEST(rhythm_agrees_with_side_view_events)
{
    double fps[] = {30, 60};
    for (int i = 0; i < 2; i++) {
        struct synth_params p;
        synth_defaults(&p);
        p.fps = fps[i];
        struct dn_gait_result *r = s_run(&p, 175, NULL);
        DN_CHECK(r != NULL && r->n_bouts == 1);
        double T = 120 / p.cadence;
        DN_EXPECT_NEAR(r->bouts[0].stride_period_s, T, 0.002);
        DN_EXPECT(r->bouts[0].stride_regularity > 0.9);
        DN_EXPECT_STR(r->bouts[0].events_rejected, "");
        DN_EXPECT_INT(r->temporal, DN_GAIT_TEMPORAL_EVENTS);
        DN_EXPECT(r->params[DN_GP_STANCE_PCT].all.n > 0);
        dn_gait_result_destroy(r);
    }
}

DN_TEST(no_rhythm_standing_still)
{
    struct synth_params p;
    synth_defaults(&p);
    p.view = SYNTH_STILL;
    struct dn_gait_result *r = s_run(&p, 0, NULL);
    DN_CHECK(r != NULL);
    DN_EXPECT(!r->detected);
    DN_EXPECT_INT(r->temporal, DN_GAIT_TEMPORAL_NONE);
    for (size_t b = 0; b < r->n_bouts; b++)
        DN_EXPECT(isnan(r->bouts[b].stride_period_s));
    dn_gait_result_destroy(r);
}

DN_TEST(metres_only_with_a_scale)
{
    struct synth_params p;
    synth_defaults(&p);
    struct dn_gait_result *r = s_run(&p, 0, NULL);
    DN_CHECK(r != NULL);
    DN_EXPECT(r->detected);
    DN_EXPECT_INT(r->params[DN_GP_SPEED_M_S].all.n, 0);
    DN_EXPECT(strstr(r->params[DN_GP_SPEED_M_S].reason, "scale unknown") != NULL);
    DN_EXPECT_STR(r->scale_source, "");
    DN_EXPECT(isnan(r->leg_length_m));
    dn_gait_result_destroy(r);
    r = s_run(&p, 180, NULL);
    DN_CHECK(r != NULL);
    DN_EXPECT_STR(r->scale_source, "subject_height");
    double leg_m = DN_GAIT_LEG_PER_HEIGHT * 1.80;
    DN_EXPECT_NEAR(r->leg_length_m, leg_m, 1e-9);
    DN_EXPECT_NEAR(r->params[DN_GP_STEP_LENGTH_M].all.mean, p.step_len * leg_m, 0.01 * p.step_len * leg_m);
    DN_EXPECT_NEAR(r->params[DN_GP_SPEED_M_S].all.mean, p.step_len * leg_m * p.cadence / 60, 0.02);
    dn_gait_result_destroy(r);
}

DN_TEST(bad_height_is_rejected)
{
    struct dn_err err = {0};
    struct dn_gait_options o;
    struct dn_gait_result *r = NULL;
    struct dn_track *t;
    struct synth_params p;
    synth_defaults(&p);
    DN_CHECK(synth_track(&p, &t, NULL) == 0);
    dn_gait_options_init(&o);
    struct dn_gait_input in = {t, 20};
    DN_EXPECT_INT(dn_gait_analyze(&in, 1, &o, &r, &err), DN_E(DN_ERR_BAD_INPUT));
    DN_EXPECT(r == NULL);
    dn_track_destroy(t);
}

/* A batch of mixed videos gives each the result it gets alone: the batched
 * layout (padding, per-video fps and filters) must not leak between rows. */
DN_TEST(batch_equals_single_runs)
{
    struct dn_err err = {0};
    struct dn_gait_options o;
    struct synth_params p[3];
    struct dn_track *t[3];
    struct dn_gait_input in[3];
    struct dn_gait_result *rb[3], *r1;
    dn_gait_options_init(&o);
    for (int i = 0; i < 3; i++) {
        synth_defaults(&p[i]);
        p[i].fps = i == 1 ? 60 : 30;
        p[i].duration_s = 5 + 2 * i;
        p[i].direction = i == 2 ? -1 : 1;
        p[i].view = i == 2 ? SYNTH_FRONT : SYNTH_SIDE;
        DN_CHECK(synth_track(&p[i], &t[i], NULL) == 0);
        in[i] = (struct dn_gait_input){t[i], 0};
    }
    DN_CHECK_OK(dn_gait_analyze(in, 3, &o, rb, &err), &err);
    for (int i = 0; i < 3; i++) {
        DN_CHECK_OK(dn_gait_analyze(&in[i], 1, &o, &r1, &err), &err);
        DN_EXPECT_INT(rb[i]->n_events, r1->n_events);
        for (size_t e = 0; e < r1->n_events && e < rb[i]->n_events; e++)
            DN_EXPECT_NEAR(rb[i]->events[e].time_s, r1->events[e].time_s, 1e-9);
        DN_EXPECT_NEAR(rb[i]->params[DN_GP_CADENCE].all.mean, r1->params[DN_GP_CADENCE].all.mean, 1e-9);
        dn_gait_result_destroy(r1);
        dn_gait_result_destroy(rb[i]);
        dn_track_destroy(t[i]);
    }
}
DN_TEST(rhythm_of_a_long_bout)
{
    /* Six minutes at 60 fps in one bout (a wide picture keeps the walker in
     * view): the period comes from the first strides' multiples only. */
    struct synth_params p;
    synth_defaults(&p);
    p.fps = 60;
    p.duration_s = 600;
    p.width = 60000;
    struct dn_gait_result *r = s_run(&p, 0, NULL);
    DN_CHECK(r != NULL && r->n_bouts == 1);
    DN_EXPECT(r->bouts[0].end_s - r->bouts[0].start_s > 300);
    DN_EXPECT_NEAR(r->bouts[0].stride_period_s, 120 / p.cadence, 0.002);
    DN_EXPECT_STR(r->bouts[0].events_rejected, "");
    DN_EXPECT_NEAR(r->params[DN_GP_CADENCE].all.mean, p.cadence, 0.2);
    dn_gait_result_destroy(r);
}
