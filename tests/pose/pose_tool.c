/*
 * pose_tool.c — the pose pipeline's stages on files, for the Python tests
 * that compare them with MediaPipe and with independent numpy/OpenCV code.
 * Raw little-endian binaries in and out; shapes come on the command line.
 *
 *   pose_tool anchors                                  → "xc yc w h" per line
 *   pose_tool crop PLANES FMT W H ROT MATRIX FULL SIZE OUT [xc yc w h rot]
 *       FMT yuv420p|yuv420p10|nv12|p010, planes packed one after another;
 *       without a ROI: the detector's letterbox ([-1,1], zero border),
 *       with one: the landmark crop ([0,1], replicated border).
 *       Writes SIZE×SIZE×3 float32 (C reference) and prints the job's map.
 *   pose_tool lmdecode RAW HEATMAP N OUT               → N×39×5 float32
 *   pose_tool smooth IN OUT W H SMOOTH                 → see s_smooth
 * Exit 0 on success, 2 on usage errors, 1 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/pose_kernels.h"
#include "pose_internal.h"

static int s_usage(void)
{
    fprintf(stderr, "usage: pose_tool anchors | crop ... | lmdecode ... | smooth ... "
                    "(see tests/pose/pose_tool.c)\n");
    return 2;
}

static void *s_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf && len)
        *len = (size_t)n;
    return buf;
}

static int s_write(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len) {
        perror(path);
        if (f)
            fclose(f);
        return 1;
    }
    return fclose(f) ? 1 : 0;
}

static int s_anchors(void)
{
    struct dn_pose_ssd_options o;
    static struct dn_pose_anchor a[4096];
    dn_pose_ssd_options_pose(&o);
    int n = dn_pose_anchors_generate(&o, a, 4096);
    for (int i = 0; i < n; i++)
        printf("%.9g %.9g %.9g %.9g\n", a[i].xc, a[i].yc, a[i].w, a[i].h);
    return 0;
}

static int s_format(const char *name, int *sb, int *inter, int *msb)
{
    *msb = 0;
    if (!strcmp(name, "yuv420p"))
        *sb = 1, *inter = 0;
    else if (!strcmp(name, "yuv420p10"))
        *sb = 2, *inter = 0;
    else if (!strcmp(name, "nv12"))
        *sb = 1, *inter = 1;
    else if (!strcmp(name, "p010"))
        *sb = 2, *inter = 1, *msb = 1;
    else
        return -1;
    return 0;
}

/* Describes packed planes at buf as a frame; returns their total size. */
static size_t s_frame(const uint8_t *buf, const char *fmt, int w, int h, int rot, int matrix,
                     int full, struct dn_pose_frame_ref *f)
{
    int sb, inter, msb;
    memset(f, 0, sizeof(*f));
    if (s_format(fmt, &sb, &inter, &msb))
        return 0;
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    f->width = w;
    f->height = h;
    f->sample_bytes = sb;
    f->interleaved = inter;
    f->rotation_deg = rot;
    f->up_w = rot % 180 ? h : w;
    f->up_h = rot % 180 ? w : h;
    f->pitch[0] = w * sb;
    f->pitch[1] = cw * sb * (inter ? 2 : 1);
    f->pitch[2] = inter ? 0 : cw * sb;
    f->planes[0] = buf;
    f->planes[1] = buf + (size_t)f->pitch[0] * (size_t)h;
    f->planes[2] = f->planes[1] + (size_t)f->pitch[1] * (size_t)ch;
    dn_pose_colour_init(&f->colour, matrix, full, sb == 2 ? 10 : 8, msb);
    return (size_t)f->pitch[0] * (size_t)h + (size_t)(f->pitch[1] + f->pitch[2]) * (size_t)ch;
}

static int s_crop(int argc, char **argv)
{
    if (argc != 11 && argc != 16)
        return s_usage();
    size_t len;
    uint8_t *buf = s_read(argv[2], &len);
    struct dn_pose_frame_ref f;
    struct dn_pose_rect roi, *rp = NULL;
    struct dn_pose_crop_job job;
    float pad[4];
    int size = atoi(argv[9]), rc = 1;
    if (!buf)
        return 1;
    size_t need = s_frame(buf, argv[3], atoi(argv[4]), atoi(argv[5]), atoi(argv[6]),
                                atoi(argv[7]), atoi(argv[8]), &f);
    if (need == 0 || need > len || size < 1) {
        fprintf(stderr, "pose_tool crop: bad format or short planes file (%zu < %zu)\n", len, need);
        free(buf);
        return 2;
    }
    if (argc == 16) {
        roi = (struct dn_pose_rect){strtof(argv[11], NULL), strtof(argv[12], NULL),
                                    strtof(argv[13], NULL), strtof(argv[14], NULL),
                                    strtof(argv[15], NULL)};
        rp = &roi;
    }
    float *out = malloc((size_t)size * (size_t)size * 3 * sizeof(float));
    if (out) {
        dn_pose_make_job(&f, rp, size, out, &job, pad);
        dn_pose_crop_ref(&job, 1, size, size);
        rc = s_write(argv[10], out, (size_t)size * (size_t)size * 3 * sizeof(float));
        printf("m %.9g %.9g %.9g %.9g %.9g %.9g pad %.9g %.9g %.9g %.9g\n", job.m[0], job.m[1],
               job.m[2], job.m[3], job.m[4], job.m[5], pad[0], pad[1], pad[2], pad[3]);
    }
    free(out);
    free(buf);
    return rc;
}

static int s_lmdecode(int argc, char **argv)
{
    if (argc != 6)
        return s_usage();
    size_t lr, lh;
    int n = atoi(argv[4]), rc = 1;
    float *raw = s_read(argv[2], &lr), *hm = s_read(argv[3], &lh);
    struct dn_pose_lm_decode p = {n, DN_POSE_LM_ALL, DN_POSE_LM_SIZE, DN_POSE_LM_HEATMAP,
                                  DN_POSE_LM_HEATMAP_KERNEL, DN_POSE_LM_HEATMAP_MIN};
    size_t out_bytes = (size_t)n * DN_POSE_LM_ALL * 5 * sizeof(float);
    float *out = malloc(out_bytes);
    if (raw && hm && out && lr >= out_bytes &&
        lh >= (size_t)n * DN_POSE_LM_HEATMAP * DN_POSE_LM_HEATMAP * DN_POSE_LM_ALL * 4) {
        dn_pose_lm_decode_ref(out, raw, hm, &p);
        rc = s_write(argv[5], out, out_bytes);
    }
    free(raw);
    free(hm);
    free(out);
    return rc;
}

/* Smoothing + next ROI (PoseLandmarkFiltering then PoseLandmarksToRoi) on a
 * recorded sequence. Record in and out: int64 t_us, int32 present, int32 0,
 * then float32 body 33×5, aux 2×5, world 33×5 (x, y, z, visibility,
 * presence; normalised, world in metres); the output appends the next ROI
 * (xc, yc, w, h, rotation; zeros when not present). */
#define S_REC_FLOATS ((DN_POSE_LM_BODY * 2 + DN_POSE_LM_AUX) * 5)
static int s_smooth(int argc, char **argv)
{
    if (argc != 7)
        return s_usage();
    size_t len;
    const size_t in_rec = 16 + S_REC_FLOATS * 4, out_rec = in_rec + 5 * 4;
    uint8_t *in = s_read(argv[2], &len);
    int w = atoi(argv[4]), h = atoi(argv[5]), rc = 1;
    struct dn_pose_smoother *sm = malloc(sizeof(*sm));
    size_t n = in ? len / in_rec : 0;
    uint8_t *out = calloc(n ? n : 1, out_rec);
    if (in && sm && out && w > 0 && h > 0) {
        dn_pose_smoother_init(sm, atoi(argv[6]) != 0);
        for (size_t i = 0; i < n; i++) {
            const uint8_t *r = in + i * in_rec;
            uint8_t *o = out + i * out_rec;
            int64_t t;
            int32_t present;
            struct dn_pose_lm lm[DN_POSE_LM_BODY * 2 + DN_POSE_LM_AUX];
            struct dn_pose_rect roi = {0};
            memcpy(&t, r, 8);
            memcpy(&present, r + 8, 4);
            memcpy(lm, r + 16, sizeof(lm));
            if (present) {
                struct dn_pose_lm *body = lm, *aux = lm + DN_POSE_LM_BODY;
                dn_pose_smoother_apply(sm, t, w, h, body, aux, aux + DN_POSE_LM_AUX);
                dn_pose_rect_from_points(aux[0].x, aux[0].y, aux[1].x, aux[1].y, w, h, &roi);
                dn_pose_rect_transform(&roi, w, h);
            } else {
                dn_pose_smoother_reset(sm);
            }
            memcpy(o, r, 16);
            memcpy(o + 16, lm, sizeof(lm));
            memcpy(o + in_rec, &roi, sizeof(roi));
        }
        rc = s_write(argv[3], out, n * out_rec);
    }
    free(in);
    free(sm);
    free(out);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return s_usage();
    if (!strcmp(argv[1], "anchors"))
        return s_anchors();
    if (!strcmp(argv[1], "crop"))
        return s_crop(argc, argv);
    if (!strcmp(argv[1], "lmdecode"))
        return s_lmdecode(argc, argv);
    if (!strcmp(argv[1], "smooth"))
        return s_smooth(argc, argv);
    return s_usage();
}
