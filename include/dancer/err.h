/*
 * err.h — error codes and the error record every fallible dancer function fills.
 *
 * Convention (see STYLE.md §2): a function returns 0 on success or a negative
 * code, and records the detail in a caller-owned struct dn_err through
 * dn_err_set(), which returns that code so failures read `return dn_err_set(...)`.
 * The code is minus the error class, so the class alone decides what happens
 * next (exit status, retry, error result) — in one place, dn_err_retryable().
 */
#ifndef DANCER_ERR_H
#define DANCER_ERR_H

#include <stdbool.h>

/* Error classes. The names (dn_err_class_name) appear in logs and in the
 * result JSON's error.class, so they are part of the result contract. */
enum dn_err_class {
    DN_ERR_NONE = 0,
    DN_ERR_USAGE,       /* bad command line */
    DN_ERR_CONFIG,      /* bad or missing setting */
    DN_ERR_AUTH,        /* no credentials, access denied, bad signature */
    DN_ERR_NETWORK,     /* connection failed, timeout, 5xx: transient */
    DN_ERR_THROTTLED,   /* 429, SlowDown, ThrottlingException: transient */
    DN_ERR_NOT_FOUND,   /* bucket, key or queue does not exist */
    DN_ERR_BAD_INPUT,   /* the upload itself is unusable (corrupt, not a video) */
    DN_ERR_UNSUPPORTED, /* valid input we do not handle (codec, size limits) */
    DN_ERR_CONFLICT,    /* the object changed under us (ETag mismatch) */
    DN_ERR_RESOURCE,    /* out of memory (host or GPU): transient */
    DN_ERR_CANCELLED,   /* interrupted by shutdown: release, don't fail */
    DN_ERR_INTERNAL,    /* a bug or an impossible state */
    DN_ERR__COUNT
};

/* Negative return codes, one per class: DN_E(DN_ERR_NETWORK) == -4. */
#define DN_OK 0
#define DN_E(cls) (-(int)(cls))

#define DN_ERR_MSG_MAX 512

/* Caller-owned; zero it (or dn_err_clear) before use. */
struct dn_err {
    enum dn_err_class cls;
    char msg[DN_ERR_MSG_MAX];
    const char *file; /* static string from __FILE__ */
    int line;
};

/* Records class and message (printf format) in err and returns DN_E(cls).
 * err may be NULL: the code is still returned. Use the dn_err_set macro. */
int dn_err_set_at(struct dn_err *err, enum dn_err_class cls, const char *file,
                  int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#define dn_err_set(err, cls, ...) \
    dn_err_set_at((err), (cls), __FILE__, __LINE__, __VA_ARGS__)

/* Prepends context ("s3://b/k: ") to an already set message; keeps the class.
 * Returns the current code. err may be NULL. */
int dn_err_prefix(struct dn_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void dn_err_clear(struct dn_err *err);

/* Code of an error record: 0 when none is set. */
int dn_err_code(const struct dn_err *err);

/* "bad_input", "network", ... — stable names used in logs and results. */
const char *dn_err_class_name(enum dn_err_class cls);

/* True for transient classes (network, throttled, resource, cancelled): the
 * job should be tried again later rather than reported as a failure. */
bool dn_err_retryable(enum dn_err_class cls);

/* Process exit status for an error class: 2 for usage/config, 1 otherwise. */
int dn_err_exit_status(enum dn_err_class cls);

#endif
