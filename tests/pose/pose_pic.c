/* pose_pic.c — see pose_pic.h. */
#include "pose_pic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dn_tpic_put(struct dn_tpic *p, int plane, int x, int y, int comp, unsigned v8)
{
    const struct dn_pose_frame_ref *f = &p->f;
    int step = plane == 1 && p->inter ? 2 : 1;
    uint8_t *row = (uint8_t *)f->planes[plane] + (size_t)y * (size_t)f->pitch[plane];
    size_t i = (size_t)x * (size_t)step + (size_t)comp;
    if (p->sb == 1) {
        row[i] = (uint8_t)v8;
        return;
    }
    unsigned v = (v8 << 2) << (p->msb ? 6 : 0); /* the 8-bit value as 10-bit */
    row[2 * i] = (uint8_t)(v & 0xff);
    row[2 * i + 1] = (uint8_t)(v >> 8);
}

void dn_tpic_init(struct dn_tpic *p, int w, int h, int sb, int inter, int msb, int rot)
{
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    memset(p, 0, sizeof(*p));
    p->w = w, p->h = h, p->sb = sb, p->inter = inter, p->msb = msb;
    struct dn_pose_frame_ref *f = &p->f;
    f->width = w, f->height = h, f->sample_bytes = sb, f->interleaved = inter;
    f->rotation_deg = rot;
    f->up_w = rot % 180 ? h : w;
    f->up_h = rot % 180 ? w : h;
    f->pitch[0] = w * sb + 8; /* padded rows, as decoders leave them */
    f->pitch[1] = cw * sb * (inter ? 2 : 1) + 4;
    f->pitch[2] = inter ? 0 : cw * sb + 4;
    p->bytes = (size_t)f->pitch[0] * h + (size_t)(f->pitch[1] + f->pitch[2]) * ch;
    p->buf = calloc(1, p->bytes);
    f->planes[0] = p->buf;
    f->planes[1] = p->buf + (size_t)f->pitch[0] * h;
    f->planes[2] = f->planes[1] + (size_t)f->pitch[1] * ch;
    dn_pose_colour_init(&f->colour, DN_POSE_BT709, 0, sb == 2 ? 10 : 8, msb);
}

/* Deterministic content: luma from (x, y), chroma from the chroma cell. */
void dn_tpic_fill(struct dn_tpic *p, unsigned seed, bool gray)
{
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++)
            dn_tpic_put(p, 0, x, y, 0, 16 + (unsigned)((x * 7 + y * 13 + seed * 31 + x * y) % 220));
    for (int y = 0; y < (p->h + 1) / 2; y++) {
        for (int x = 0; x < (p->w + 1) / 2; x++) {
            unsigned u = gray ? 128 : 16 + (unsigned)((x * 11 + y * 5 + seed) % 225);
            unsigned v = gray ? 128 : 16 + (unsigned)((x * 3 + y * 17 + seed * 7) % 225);
            if (p->inter) {
                dn_tpic_put(p, 1, x, y, 0, u);
                dn_tpic_put(p, 1, x, y, 1, v);
            } else {
                dn_tpic_put(p, 1, x, y, 0, u);
                dn_tpic_put(p, 2, x, y, 0, v);
            }
        }
    }
}

float *dn_tpic_crop(const struct dn_tpic *p, const struct dn_pose_rect *roi, int size)
{
    float *out = malloc((size_t)size * size * 3 * sizeof(float)), pad[4];
    struct dn_pose_crop_job job;
    dn_pose_make_job(&p->f, roi, size, out, &job, pad);
    dn_pose_crop_ref(&job, 1, size, size);
    return out;
}

double dn_tpic_max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - (double)b[i]));
    return m;
}
