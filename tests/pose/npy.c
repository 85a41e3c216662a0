/* npy.c — see npy.h. Format: numpy.lib.format version 1.0/2.0: magic
 * "\x93NUMPY", version, header length (u16 or u32 LE), then a Python dict
 * literal padded with spaces to a 64-byte boundary, then the raw data. */
#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_parse_shape(const char *hdr, size_t shape[DN_NPY_MAX_RANK], int *rank,
                         struct dn_err *err)
{
    const char *p = strstr(hdr, "'shape':");
    if (!strstr(hdr, "'descr': '<f4'") || !strstr(hdr, "'fortran_order': False") || !p ||
        !(p = strchr(p, '(')))
        return dn_err_set(err, DN_ERR_BAD_INPUT, "npy: not a C-order float32 array: %s", hdr);
    *rank = 0;
    for (p++; *p && *p != ')';) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p) {
            p++;
            continue;
        }
        if (*rank == DN_NPY_MAX_RANK)
            return dn_err_set(err, DN_ERR_BAD_INPUT, "npy: rank > %d", DN_NPY_MAX_RANK);
        shape[(*rank)++] = (size_t)v;
        p = end;
    }
    return 0;
}

int dn_npy_read(const char *path, float **data, size_t shape[DN_NPY_MAX_RANK], int *rank,
                struct dn_err *err)
{
    int rc = 0;
    unsigned char pre[12];
    char *hdr = NULL;
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return dn_err_set(err, DN_ERR_NOT_FOUND, "%s: %s", path, strerror(errno));
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        rc = dn_err_set(err, DN_ERR_BAD_INPUT, "%s: not an .npy file", path);
        goto cleanup;
    }
    size_t hlen = pre[8] | (size_t)pre[9] << 8;
    if (pre[6] >= 2) { /* version 2: 4-byte header length */
        if (fread(pre + 10, 1, 2, f) != 2) {
            rc = dn_err_set(err, DN_ERR_BAD_INPUT, "%s: truncated", path);
            goto cleanup;
        }
        hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    }
    hdr = calloc(1, hlen + 1);
    if (!hdr || fread(hdr, 1, hlen, f) != hlen) {
        rc = dn_err_set(err, DN_ERR_BAD_INPUT, "%s: truncated header", path);
        goto cleanup;
    }
    if ((rc = s_parse_shape(hdr, shape, rank, err)))
        goto cleanup;
    size_t count = 1;
    for (int i = 0; i < *rank; i++)
        count *= shape[i];
    *data = malloc(count ? count * sizeof(float) : 1);
    if (!*data || fread(*data, sizeof(float), count, f) != count) {
        free(*data);
        *data = NULL;
        rc = dn_err_set(err, DN_ERR_BAD_INPUT, "%s: truncated data", path);
    }
cleanup:
    free(hdr);
    fclose(f);
    return rc;
}

int dn_npy_write(const char *path, const float *data, const size_t *shape, int rank,
                 struct dn_err *err)
{
    char dict[256];
    int n = snprintf(dict, sizeof(dict), "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        n += snprintf(dict + n, sizeof(dict) - (size_t)n, "%zu%s", shape[i],
                      rank == 1 ? "," : i + 1 < rank ? ", " : "");
        count *= shape[i];
    }
    n += snprintf(dict + n, sizeof(dict) - (size_t)n, "), }");
    /* magic(6) + version(2) + len(2) + dict + padding + '\n' ≡ 0 mod 64 */
    int total = (10 + n + 1 + 63) / 64 * 64, hlen = total - 10;
    FILE *f = fopen(path, "wb");
    if (!f)
        return dn_err_set(err, DN_ERR_BAD_INPUT, "%s: %s", path, strerror(errno));
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hlen & 0xff, f);
    fputc(hlen >> 8, f);
    fprintf(f, "%s%*s\n", dict, hlen - n - 1, "");
    fwrite(data, sizeof(float), count, f);
    if (fclose(f) != 0)
        return dn_err_set(err, DN_ERR_BAD_INPUT, "%s: write failed", path);
    return 0;
}
