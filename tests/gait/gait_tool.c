/* gait_tool.c — a command-line window onto the gait stage for the Python
 * tests (scipy filter comparison, JSON Schema validation, walker accuracy).
 *
 *   gait_tool butter FS FC                  b0 b1 b2 a0 a1 a2, one per line
 *   gait_tool filtfilt FS FC [MAX_GAP]      filters stdin (one number or nan per line)
 *   gait_tool analyze [--height CM] [--fps F] W H CSV
 *                                           result JSON of a landmarks CSV
 *   gait_tool example NAME                  a result document: side, side_scaled,
 *                                           front, still, single_stride, error
 *   gait_tool report NAME                   the SVG report of example NAME
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/gait.h"
#include "dancer/result.h"
#include "dancer/gait_kernels.h"
#include "synth.h"

static int s_butter(double fs, double fc)
{
    double b[3], a[3];
    dn_gait_butter2(fc, fs, b, a);
    for (int i = 0; i < 3; i++)
        printf("%.17g\n", b[i]);
    for (int i = 0; i < 3; i++)
        printf("%.17g\n", a[i]);
    return 0;
}

static int s_filtfilt(double fs, double fc, int max_gap)
{
    size_t n = 0, cap = 1024;
    float *x = malloc(cap * sizeof(float)), *vis, v;
    char line[64];
    while (x && fgets(line, sizeof(line), stdin)) {
        if (n == cap)
            x = realloc(x, (cap *= 2) * sizeof(float));
        v = strtof(line, NULL);
        x[n++] = v;
    }
    vis = malloc((n + 1) * sizeof(float));
    if (!x || !vis)
        return 1;
    for (size_t i = 0; i < n; i++)
        vis[i] = 1;
    /* One video, one point (C = DN_GK_DIMS channels sharing a visibility):
     * filter the series as channel 0 and ignore the others. */
    float *xc = calloc(DN_GK_DIMS * n + DN_GK_DIMS, sizeof(float));
    for (size_t i = 0; i < n; i++)
        xc[DN_GK_DIMS * i] = x[i];
    struct dn_gait_filter_params p = {.len = (int)n, .max_gap = max_gap, .min_seg = 0, .min_vis = 0};
    dn_gait_butter2(fc, fs, p.b, p.a);
    dn_gait_filter_ref(xc, vis, &p, 1, (int)n, DN_GK_DIMS);
    for (size_t i = 0; i < n; i++)
        printf("%.9g\n", xc[DN_GK_DIMS * i]);
    free(x);
    free(xc);
    free(vis);
    return 0;
}

static int s_print(const struct dn_result_video *video, const struct dn_gait_result *g, const char *uri,
                   const struct dn_err *error)
{
    struct dn_err err = {0};
    struct dn_result_timing timings[] = {{"gait", 1.5}, {"total", 2.0}};
    struct dn_result_source src = {.uri = uri, .size = -1};
    struct dn_result_processing proc = {"test", NULL, "cpu", NULL, timings, 2};
    if (!strncmp(uri, "s3://", 5)) {
        src.bucket = "bucket";
        src.key = "uploads/u1/s2/20240115_103000_gait.mp4";
        src.etag = "\"d41d8cd98f00b204e9800998ecf8427e\"";
        src.size = 1234567;
        proc.model_sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
        proc.decoder = "cpu";
    }
    cJSON *doc;
    if (dn_result_build(&doc, &src, video, g, &proc, error, &err)) {
        fprintf(stderr, "gait_tool: %s\n", err.msg);
        return 1;
    }
    char *text = cJSON_Print(doc);
    puts(text);
    free(text);
    cJSON_Delete(doc);
    return 0;
}

static bool s_svg; /* print the SVG report instead of the JSON */

static int s_analyze_track(const struct dn_track *t, double height, const char *uri)
{
    struct dn_err err = {0};
    struct dn_gait_options o;
    struct dn_gait_result *r;
    dn_gait_options_init(&o);
    struct dn_gait_input in = {t, height};
    if (dn_gait_analyze(&in, 1, &o, &r, &err)) {
        fprintf(stderr, "gait_tool: %s\n", err.msg);
        return 1;
    }
    double dur = t->n_frames ? t->frames[t->n_frames - 1].time_s - t->frames[0].time_s + 1 / t->fps : 0;
    struct dn_result_video video = {dur, t->fps, t->width, t->height, "h264", 0, (long long)t->n_frames};
    int rc = s_svg ? dn_gait_report_svg(r, stdout, &err) : s_print(&video, r, uri, NULL);
    dn_gait_result_destroy(r);
    return rc;
}

static int s_analyze(int argc, char **argv)
{
    double height = 0, fps = 0;
    int i = 0;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "--height"))
            height = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--fps"))
            fps = atof(argv[i + 1]);
    }
    if (argc - i != 3)
        return 2;
    struct dn_err err = {0};
    struct dn_track *t;
    if (dn_track_read_csv(argv[i + 2], atoi(argv[i]), atoi(argv[i + 1]), fps, &t, &err)) {
        fprintf(stderr, "gait_tool: %s\n", err.msg);
        return 1;
    }
    int rc = s_analyze_track(t, height, argv[i + 2]);
    dn_track_destroy(t);
    return rc;
}

static int s_example(const char *name)
{
    struct synth_params p;
    struct dn_track *t;
    double height = 0;
    synth_defaults(&p);
    p.noise_px = 0.5;
    if (!strcmp(name, "error")) {
        struct dn_err e = {0};
        dn_err_set(&e, DN_ERR_BAD_INPUT, "moov atom not found");
        return s_print(NULL, NULL, "s3://bucket/uploads/u1/s2/20240115_103000_gait.mp4", &e);
    }
    if (!strcmp(name, "side_scaled"))
        height = 172;
    else if (!strcmp(name, "front"))
        p.view = SYNTH_FRONT;
    else if (!strcmp(name, "still"))
        p.view = SYNTH_STILL;
    else if (!strcmp(name, "single_stride"))
        p.duration_s = 1.6;
    else if (strcmp(name, "side"))
        return 2;
    if (synth_track(&p, &t, NULL))
        return 1;
    int rc = s_analyze_track(t, height, !strcmp(name, "side") ? "walk.mp4" : "s3://bucket/uploads/u1/s2/x_gait.mp4");
    dn_track_destroy(t);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "butter"))
        return s_butter(atof(argv[2]), atof(argv[3]));
    if (argc >= 4 && !strcmp(argv[1], "filtfilt"))
        return s_filtfilt(atof(argv[2]), atof(argv[3]), argc > 4 ? atoi(argv[4]) : 0);
    if (argc >= 2 && !strcmp(argv[1], "analyze"))
        return s_analyze(argc - 2, argv + 2);
    if (argc == 3 && !strcmp(argv[1], "example"))
        return s_example(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "report") && strcmp(argv[2], "error")) {
        s_svg = true;
        return s_example(argv[2]);
    }
    fprintf(stderr, "usage: see the comment at the top of tests/gait/gait_tool.c\n");
    return 2;
}
