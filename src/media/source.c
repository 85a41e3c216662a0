/* source.c — byte sources: the generic wrapper and the local file source
 * (see include/dancer/media.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dancer/media.h"

struct dn_byte_source {
    struct dn_byte_source_ops ops;
    void *ctx;
    char name[1024];
};

int dn_byte_source_new(const struct dn_byte_source_ops *ops, void *ctx, const char *name,
                       struct dn_byte_source **out, struct dn_err *err)
{
    *out = NULL;
    struct dn_byte_source *src = calloc(1, sizeof(*src));
    if (!src) {
        if (ops->destroy)
            ops->destroy(ctx);
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    }
    src->ops = *ops;
    src->ctx = ctx;
    snprintf(src->name, sizeof(src->name), "%s", name ? name : "(source)");
    *out = src;
    return 0;
}

void dn_byte_source_destroy(struct dn_byte_source *src)
{
    if (!src)
        return;
    if (src->ops.destroy)
        src->ops.destroy(src->ctx);
    free(src);
}

int dn_byte_source_stat(struct dn_byte_source *src, struct dn_source_info *info,
                        struct dn_err *err)
{
    memset(info, 0, sizeof(*info));
    return src->ops.stat(src->ctx, info, err);
}

int dn_byte_source_read_at(struct dn_byte_source *src, uint64_t offset, void *buf, size_t len,
                           size_t *got, struct dn_err *err)
{
    *got = 0;
    return src->ops.read_at(src->ctx, offset, buf, len, got, err);
}

const char *dn_byte_source_name(const struct dn_byte_source *src)
{
    return src->name;
}

bool dn_byte_source_concurrent(const struct dn_byte_source *src)
{
    return src->ops.concurrent_reads;
}

/* ---- local file ---------------------------------------------------------- */

struct s_file {
    int fd;
    struct stat st; /* as seen by stat(); later reads must see the same file */
};

/* Size and mtime make the version tag: what changes when a file is rewritten. */
static void s_file_etag(const struct stat *st, char *buf, size_t len)
{
    snprintf(buf, len, "%llx-%llx.%09ld", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec);
}

/* The version stat reports is the one later reads must find: a file
 * rewritten between open and stat is simply read in its new version. */
static int s_file_stat(void *ctx, struct dn_source_info *info, struct dn_err *err)
{
    struct s_file *f = ctx;
    if (fstat(f->fd, &f->st))
        return dn_err_set(err, DN_ERR_INTERNAL, "fstat: %s", strerror(errno));
    info->size = (uint64_t)f->st.st_size;
    s_file_etag(&f->st, info->etag, sizeof(info->etag));
    return 0;
}

/* A file replaced or deleted under us is what a changed or deleted S3
 * object is; detected the same way (version check on every read). */
static int s_file_check_version(struct s_file *f, struct dn_err *err)
{
    struct stat now;
    if (fstat(f->fd, &now))
        return dn_err_set(err, DN_ERR_INTERNAL, "fstat: %s", strerror(errno));
    if (now.st_nlink == 0)
        return dn_err_set(err, DN_ERR_NOT_FOUND, "file was deleted while being read");
    if (now.st_size != f->st.st_size || now.st_mtim.tv_sec != f->st.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != f->st.st_mtim.tv_nsec)
        return dn_err_set(err, DN_ERR_CONFLICT, "file changed while being read");
    return 0;
}

static int s_file_read_at(void *ctx, uint64_t offset, void *buf, size_t len, size_t *got,
                          struct dn_err *err)
{
    struct s_file *f = ctx;
    int rc = s_file_check_version(f, err);
    if (rc)
        return rc;
    while (*got < len) {
        ssize_t n = pread(f->fd, (char *)buf + *got, len - *got, (off_t)(offset + *got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return dn_err_set(err, DN_ERR_INTERNAL, "read at %llu: %s",
                              (unsigned long long)(offset + *got), strerror(errno));
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

static void s_file_destroy(void *ctx)
{
    struct s_file *f = ctx;
    if (f->fd >= 0)
        close(f->fd);
    free(f);
}

static const struct dn_byte_source_ops s_file_ops = {
    .stat = s_file_stat,
    .read_at = s_file_read_at,
    .destroy = s_file_destroy,
    .concurrent_reads = true, /* pread has no shared file position */
};

int dn_byte_source_file_new(const char *path, struct dn_byte_source **out, struct dn_err *err)
{
    *out = NULL;
    struct s_file *f = calloc(1, sizeof(*f));
    if (!f)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        int e = errno;
        free(f);
        return dn_err_set(err, e == ENOENT ? DN_ERR_NOT_FOUND : DN_ERR_BAD_INPUT, "%s: %s", path,
                          strerror(e));
    }
    if (fstat(f->fd, &f->st) || !S_ISREG(f->st.st_mode)) {
        s_file_destroy(f);
        return dn_err_set(err, DN_ERR_BAD_INPUT, "%s: not a regular file", path);
    }
    return dn_byte_source_new(&s_file_ops, f, path, out, err);
}
