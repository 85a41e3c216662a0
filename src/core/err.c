/* err.c — the error record (see include/dancer/err.h). */
#include "dancer/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const s_class_names[DN_ERR__COUNT] = {
    [DN_ERR_NONE] = "none",
    [DN_ERR_USAGE] = "usage",
    [DN_ERR_CONFIG] = "config",
    [DN_ERR_AUTH] = "auth",
    [DN_ERR_NETWORK] = "network",
    [DN_ERR_THROTTLED] = "throttled",
    [DN_ERR_NOT_FOUND] = "not_found",
    [DN_ERR_BAD_INPUT] = "bad_input",
    [DN_ERR_UNSUPPORTED] = "unsupported",
    [DN_ERR_CONFLICT] = "conflict",
    [DN_ERR_RESOURCE] = "resource",
    [DN_ERR_CANCELLED] = "cancelled",
    [DN_ERR_INTERNAL] = "internal",
};

int dn_err_set_at(struct dn_err *err, enum dn_err_class cls, const char *file,
                  int line, const char *fmt, ...)
{
    if (cls <= DN_ERR_NONE || cls >= DN_ERR__COUNT)
        cls = DN_ERR_INTERNAL;
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->cls = cls;
        err->file = file;
        err->line = line;
    }
    return DN_E(cls);
}

int dn_err_prefix(struct dn_err *err, const char *fmt, ...)
{
    if (!err)
        return DN_E(DN_ERR_INTERNAL);
    /* Build into a buffer large enough for both, then cut to size: the
     * message may lose its tail, never the context in front. */
    char joined[2 * DN_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(joined, DN_ERR_MSG_MAX, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if (n >= DN_ERR_MSG_MAX)
        n = DN_ERR_MSG_MAX - 1;
    memcpy(joined + n, err->msg, strnlen(err->msg, DN_ERR_MSG_MAX - 1) + 1);
    joined[n + strnlen(err->msg, DN_ERR_MSG_MAX - 1)] = '\0';
    memcpy(err->msg, joined, DN_ERR_MSG_MAX - 1);
    err->msg[DN_ERR_MSG_MAX - 1] = '\0';
    return dn_err_code(err);
}

void dn_err_clear(struct dn_err *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

int dn_err_code(const struct dn_err *err)
{
    return err ? DN_E(err->cls) : 0;
}

const char *dn_err_class_name(enum dn_err_class cls)
{
    if (cls < DN_ERR_NONE || cls >= DN_ERR__COUNT)
        return "internal";
    return s_class_names[cls];
}

bool dn_err_retryable(enum dn_err_class cls)
{
    /* The one place that decides transient vs permanent. A transient job
     * goes back to the queue (and, after maxReceiveCount, to the DLQ); a
     * permanent one gets an error result so the uploader hears about it. */
    switch (cls) {
    case DN_ERR_NETWORK:
    case DN_ERR_THROTTLED:
    case DN_ERR_RESOURCE:
    case DN_ERR_CANCELLED:
    case DN_ERR_AUTH:   /* expired credentials or a policy being fixed */
    case DN_ERR_CONFIG: /* a worker misconfiguration is not the upload's fault */
    case DN_ERR_INTERNAL:
        return true;
    default:
        return false;
    }
}

int dn_err_exit_status(enum dn_err_class cls)
{
    return (cls == DN_ERR_USAGE || cls == DN_ERR_CONFIG) ? 2 : 1;
}
