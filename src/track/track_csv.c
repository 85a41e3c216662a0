/* track_csv.c — the per-frame landmarks CSV (see include/dancer/track.h). */
#include "dancer/track.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_HEADER "frame,time_s,landmark,x,y,z,visibility"

int dn_track_write_csv(const struct dn_track *t, FILE *out, struct dn_err *err)
{
    fputs(S_HEADER "\n", out);
    for (size_t i = 0; i < t->n_frames; i++) {
        const struct dn_track_frame *f = &t->frames[i];
        if (!f->valid)
            continue;
        for (int k = 0; k < DN_TRACK_LANDMARKS; k++) {
            const struct dn_landmark *l = &f->image[k];
            fprintf(out, "%zu,%.6f,%d,%.4f,%.4f,%.4f,%.4f\n", i, f->time_s, k, l->x, l->y, l->z,
                    l->visibility);
        }
    }
    if (fflush(out) || ferror(out))
        return dn_err_set(err, DN_ERR_INTERNAL, "landmarks CSV: write failed: %s", strerror(errno));
    return 0;
}

/* One parsed row. */
struct s_row {
    long frame;
    double time_s;
    int landmark;
    float v[4]; /* x, y, z, visibility */
};

static int s_parse_row(char *line, struct s_row *row)
{
    char *p = line, *end;
    row->frame = strtol(p, &end, 10);
    if (end == p || *end != ',' || row->frame < 0)
        return -1;
    p = end + 1;
    row->time_s = strtod(p, &end);
    if (end == p || *end != ',' || !isfinite(row->time_s))
        return -1;
    p = end + 1;
    long lm = strtol(p, &end, 10);
    if (end == p || *end != ',' || lm < 0 || lm >= DN_TRACK_LANDMARKS)
        return -1;
    row->landmark = (int)lm;
    for (int i = 0; i < 4; i++) {
        p = end + 1;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || (i < 3 && *end != ','))
            return -1;
        row->v[i] = (float)v;
    }
    while (*end == '\r' || *end == '\n' || *end == ' ')
        end++;
    return *end ? -1 : 0;
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Reader state: the frame being filled, and the per-frame time steps from
 * which fps is estimated. */
struct s_reader {
    struct dn_track *track;
    struct dn_track_frame cur;
    long cur_frame, prev_frame, first_frame;
    double prev_time;
    double *steps;
    size_t n_steps;
};

static int s_flush(struct s_reader *r, struct dn_err *err)
{
    if (r->cur_frame < 0)
        return 0;
    if (r->prev_frame < 0)
        r->first_frame = r->cur_frame;
    else
        r->steps[r->n_steps++] = (r->cur.time_s - r->prev_time) / (double)(r->cur_frame - r->prev_frame);
    r->prev_frame = r->cur_frame;
    r->prev_time = r->cur.time_s;
    return dn_track_append(r->track, &r->cur, err);
}

static int s_add_row(struct s_reader *r, const struct s_row *row, size_t lineno, struct dn_err *err)
{
    if (row->frame != r->cur_frame) {
        if (row->frame < r->cur_frame)
            return dn_err_set(err, DN_ERR_BAD_INPUT, "landmarks CSV line %zu: frame %ld after %ld",
                              lineno, row->frame, r->cur_frame);
        int rc = s_flush(r, err);
        if (rc)
            return dn_err_prefix(err, "landmarks CSV line %zu: ", lineno);
        memset(&r->cur, 0, sizeof(r->cur));
        r->cur.valid = true;
        r->cur.presence = 1.0f;
        r->cur.time_s = row->time_s;
        r->cur_frame = row->frame;
    }
    struct dn_landmark *l = &r->cur.image[row->landmark];
    l->x = row->v[0];
    l->y = row->v[1];
    l->z = row->v[2];
    l->visibility = row->v[3];
    l->presence = 1.0f;
    return 0;
}

/* The median step resists a few odd timestamps; when the whole span agrees
 * with it (constant frame rate) the span is used, as it is not limited by
 * the microsecond rounding of time_s. */
static double s_estimate_fps(struct s_reader *r)
{
    const struct dn_track *t = r->track;
    double span_s = t->frames[t->n_frames - 1].time_s - t->frames[0].time_s;
    double span_frames = (double)(r->prev_frame - r->first_frame);
    qsort(r->steps, r->n_steps, sizeof(*r->steps), s_cmp_double);
    double median = r->steps[r->n_steps / 2];
    double mean = span_s / span_frames;
    return fabs(mean - median) < 0.01 * median ? 1.0 / mean : 1.0 / median;
}

int dn_track_read_csv(const char *path, int width, int height, double fps,
                      struct dn_track **out, struct dn_err *err)
{
    struct s_reader r = {.cur_frame = -1, .prev_frame = -1};
    char line[512];
    size_t lineno = 1;
    int rc;
    *out = NULL;
    FILE *in = fopen(path, "r");
    if (!in)
        return dn_err_set(err, DN_ERR_NOT_FOUND, "landmarks CSV %s: %s", path, strerror(errno));
    if ((rc = dn_track_new(&r.track, width, height, fps > 0 ? fps : 1.0, err)))
        goto cleanup;
    if (!fgets(line, sizeof(line), in) || strncmp(line, S_HEADER, strlen(S_HEADER))) {
        rc = dn_err_set(err, DN_ERR_BAD_INPUT, "landmarks CSV %s: header is not \"%s\"", path, S_HEADER);
        goto cleanup;
    }
    r.steps = malloc(DN_TRACK_MAX_FRAMES * sizeof(*r.steps));
    if (!r.steps) {
        rc = dn_err_set(err, DN_ERR_RESOURCE, "landmarks CSV: out of memory");
        goto cleanup;
    }
    while (fgets(line, sizeof(line), in)) {
        struct s_row row;
        lineno++;
        if (line[0] == '\n' || line[0] == '\r')
            continue;
        if (s_parse_row(line, &row)) {
            rc = dn_err_set(err, DN_ERR_BAD_INPUT, "landmarks CSV %s line %zu: malformed row", path, lineno);
            goto cleanup;
        }
        if ((rc = s_add_row(&r, &row, lineno, err)))
            goto cleanup;
    }
    if ((rc = s_flush(&r, err)))
        goto cleanup;
    if (fps <= 0 && r.n_steps == 0) {
        rc = dn_err_set(err, DN_ERR_BAD_INPUT, "landmarks CSV %s: fewer than 2 frames, cannot tell fps", path);
        goto cleanup;
    }
    if (fps <= 0)
        r.track->fps = s_estimate_fps(&r);
    *out = r.track;
    r.track = NULL;
cleanup:
    fclose(in);
    free(r.steps);
    dn_track_destroy(r.track);
    return rc;
}
