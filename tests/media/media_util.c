/* media_util.c — see media_util.h. */
#include "media_util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dancer/config.h"

const char *dn_tm_video(const char *name)
{
    static char path[1024];
    struct stat st;
    const char *dir = getenv("DN_TEST_MEDIA_DIR");
    if (!dir)
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) ? NULL : path;
}

uint64_t dn_tm_size(const char *name)
{
    struct stat st;
    const char *path = dn_tm_video(name);
    return path && !stat(path, &st) ? (uint64_t)st.st_size : 0;
}

unsigned char *dn_tm_run(const char *cmd, size_t *len)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, p)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *bigger = realloc(buf, 2 * cap + 1);
            if (!bigger)
                free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    int status = pclose(p);
    if (!buf || status != 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

struct cJSON *dn_tm_ffprobe(const char *path, const char *entries)
{
    char cmd[2048];
    size_t len;
    snprintf(cmd, sizeof(cmd),
             "ffprobe -v error -select_streams v:0 -of json -show_entries '%s' '%s'", entries,
             path);
    unsigned char *out = dn_tm_run(cmd, &len);
    cJSON *json = out ? cJSON_Parse((const char *)out) : NULL;
    free(out);
    return json;
}

double dn_tm_number(const struct cJSON *obj, const char *field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (cJSON_IsNumber(v))
        return v->valuedouble;
    if (!cJSON_IsString(v))
        return NAN;
    double num, den;
    if (sscanf(v->valuestring, "%lf/%lf", &num, &den) == 2)
        return den ? num / den : 0.0;
    return strtod(v->valuestring, NULL);
}

void dn_tm_options(struct dn_media_options *opt)
{
    dn_media_options_init(opt, NULL);
    opt->decoder = DN_DEVICE_CPU; /* bit-exact parity is the CPU path's; NVDEC: gpu-check.sh */
    opt->analysis_fps = 0;
    opt->threads = 2;
}

int dn_tm_open(const char *name, const struct dn_media_options *opt, struct dn_media **m,
               struct dn_err *err)
{
    struct dn_byte_source *src;
    const char *path = dn_tm_video(name);
    *m = NULL;
    if (!path)
        return dn_err_set(err, DN_ERR_NOT_FOUND, "%s: not generated", name);
    int rc = dn_byte_source_file_new(path, &src, err);
    return rc ? rc : dn_media_open(src, opt, m, err);
}

int dn_tm_decode_all(const char *name, const struct dn_media_options *opt, long *frames,
                     struct dn_media_stats *stats, struct dn_err *err)
{
    struct dn_media *m;
    const struct dn_frame *f;
    int rc = dn_tm_open(name, opt, &m, err);
    *frames = 0;
    if (rc)
        return rc;
    while (!(rc = dn_media_next_frame(m, &f, err)) && f)
        (*frames)++;
    if (stats)
        dn_media_stats(m, stats);
    dn_media_close(m);
    return rc;
}
