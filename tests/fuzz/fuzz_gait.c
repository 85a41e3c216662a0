/* fuzz_gait.c — libFuzzer target for the gait stage, which reads every
 * upload's landmark track. A pose model on a corrupt or strange video can
 * lose the pose for any stretch, swap the legs, put a landmark anywhere,
 * and the timestamps of a broken file can jump back or repeat. The input
 * bytes pick an analytic walk (tests/gait/synth.c: side, front or standing,
 * any rate, size and speed) and then bend it: frames lost, landmarks moved
 * or made NaN, infinite or huge, legs swapped, visibilities and timestamps
 * scrambled (within the track contract: times still increase). The gait
 * stage must finish (a result or a clean error) and its result must build
 * into a document and an SVG report; ASan and UBSan watch every step. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "dancer/gait.h"
#include "dancer/result.h"
#include "dancer/track.h"
#include "synth.h"

struct s_bytes {
    const uint8_t *p;
    size_t n;
};

static unsigned s_byte(struct s_bytes *b)
{
    if (!b->n)
        return 0;
    b->n--;
    return *b->p++;
}

static double s_unit(struct s_bytes *b)
{
    return s_byte(b) / 255.0;
}

/* A coordinate no pose model should give, or an ordinary one. */
static float s_odd(unsigned v)
{
    switch (v % 8) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -INFINITY;
    case 3: return 1e30f;
    case 4: return -1e30f;
    case 5: return 0.0f;
    case 6: return -5.0f;
    default: return (float)v * 8.0f;
    }
}

/* The legs' landmarks, left then right (BlazePose pairs them). */
static void s_swap_legs(struct dn_track_frame *f)
{
    for (int k = DN_LM_LEFT_HIP; k <= DN_LM_LEFT_FOOT_INDEX; k += 2) {
        struct dn_landmark t = f->image[k];
        f->image[k] = f->image[k + 1];
        f->image[k + 1] = t;
    }
}

static void s_edit(struct dn_track *t, struct s_bytes *b)
{
    unsigned op = s_byte(b) % 9, hi = s_byte(b), lo = s_byte(b);
    unsigned lm = s_byte(b) % DN_TRACK_LANDMARKS, len = s_byte(b) % 48 + 1, v = s_byte(b);
    size_t at = t->n_frames ? (hi << 8 | lo) % t->n_frames : 0;
    for (size_t k = at; k < at + len && k < t->n_frames; k++) {
        struct dn_track_frame *f = &t->frames[k];
        switch (op) {
        case 0: f->valid = false; break; /* pose lost */
        case 1: f->image[lm].x = s_odd(v); break;
        case 2: f->image[lm].y = s_odd(v); break;
        case 3: f->image[lm].z = s_odd(v); break;
        case 4: /* a jump of up to +-64 px */
            f->image[lm].x += ((int)v - 128) * 0.5f;
            f->image[lm].y -= ((int)v - 128) * 0.25f;
            break;
        case 5: s_swap_legs(f); break;
        case 6: f->image[lm].visibility = (float)v / 255.0f; break;
        case 7: f->time_s += ((int)v - 128) * 0.004; break; /* back, repeated, gaps */
        default: f->world[lm].y = s_odd(v); break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const double rates[] = {30, 60, 25, 24, 29.97, 50, 120, 7.5, 240};
    static const int sizes[][2] = {{640, 360}, {1920, 1080}, {360, 640}, {320, 180}, {64, 48}};
    static FILE *null_out;
    struct s_bytes b = {data, size};
    struct synth_params p;
    synth_defaults(&p);
    p.view = (int)(s_byte(&b) % 3);
    p.direction = s_byte(&b) & 1 ? 1 : -1;
    p.fps = rates[s_byte(&b) % 9];
    p.duration_s = 0.3 + 9.7 * s_unit(&b);
    p.cadence = 30 + 150 * s_unit(&b);
    p.stance = 0.5 + 0.3 * s_unit(&b);
    p.step_len = 0.1 + 1.1 * s_unit(&b);
    p.leg_px = 8 + 600 * s_unit(&b);
    const int *wh = sizes[s_byte(&b) % 5];
    p.width = wh[0];
    p.height = wh[1];
    p.noise_px = 4 * s_unit(&b);
    p.seed = s_byte(&b);
    p.t_first_hs = s_unit(&b) - 0.5;
    double height_cm = (s_byte(&b) & 1) ? 50 + 200 * s_unit(&b) : 0;
    struct dn_track *t;
    if (synth_track(&p, &t, NULL))
        return 0;
    t->has_world = s_byte(&b) & 1;
    while (b.n >= 7)
        s_edit(t, &b);
    /* The track contract (dn_track_append): finite, strictly increasing
     * times. The media layer keeps to it by dropping frames whose time does
     * not advance; do the same with the scrambled times. */
    size_t kept = 0;
    for (size_t k = 0; k < t->n_frames; k++)
        if (isfinite(t->frames[k].time_s) && (kept == 0 || t->frames[k].time_s > t->frames[kept - 1].time_s))
            t->frames[kept++] = t->frames[k];
    t->n_frames = kept;

    struct dn_err err = {0};
    struct dn_gait_options o;
    struct dn_gait_result *r = NULL;
    dn_gait_options_init(&o);
    struct dn_gait_input in = {t, height_cm};
    if (!dn_gait_analyze(&in, 1, &o, &r, &err)) {
        cJSON *doc = NULL;
        struct dn_result_source src = {.uri = "fuzz.mp4", .size = -1};
        struct dn_result_processing proc = {.version = "fuzz", .device = "cpu"};
        struct dn_result_video video = {p.duration_s, t->fps, t->width, t->height, "h264", 0,
                                         (long long)t->n_frames};
        if (dn_result_build(&doc, &src, &video, r, &proc, NULL, &err))
            abort(); /* a result the document cannot hold */
        char *text = cJSON_PrintUnformatted(doc);
        if (!text)
            abort();
        free(text);
        cJSON_Delete(doc);
        if (!null_out)
            null_out = fopen("/dev/null", "w");
        if (null_out && dn_gait_report_svg(r, null_out, &err))
            abort();
        dn_gait_result_destroy(r);
    }
    dn_track_destroy(t);
    return 0;
}
