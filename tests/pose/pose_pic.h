/*
 * pose_pic.h — synthetic pictures for the pose kernel tests: packed planes
 * of any supported format with padded rows and deterministic content.
 */
#ifndef DANCER_TEST_POSE_PIC_H
#define DANCER_TEST_POSE_PIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pose_internal.h"

struct dn_tpic {
    int w, h, sb, inter, msb;
    uint8_t *buf;
    size_t bytes;
    struct dn_pose_frame_ref f;
};

/* w × h picture, sample bytes sb, interleaved chroma, 10-bit in the high
 * bits (msb), rotation flag rot; BT.709 video range; zeroed planes. */
void dn_tpic_init(struct dn_tpic *p, int w, int h, int sb, int inter, int msb, int rot);
/* Writes an 8-bit value (scaled to the format) at (x, y) of a plane. */
void dn_tpic_put(struct dn_tpic *p, int plane, int x, int y, int comp, unsigned v8);
/* Deterministic content; gray: chroma 128. */
void dn_tpic_fill(struct dn_tpic *p, unsigned seed, bool gray);
/* The C reference crop of p (roi NULL: detector letterbox), size² × 3 floats, malloc'd. */
float *dn_tpic_crop(const struct dn_tpic *p, const struct dn_pose_rect *roi, int size);
double dn_tpic_max_diff(const float *a, const float *b, size_t n);

#endif
