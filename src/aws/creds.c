/* creds.c — the credentials provider: the chain in order, the cache, and
 * refresh ahead of expiration (see include/dancer/creds.h). The links live
 * in creds_profile.c, creds_container.c and creds_imds.c.
 *
 * Refresh, as the SDKs do it (botocore RefreshableCredentials: advisory and
 * mandatory windows): credentials are good until `refresh_at`, 5 min + up
 * to 1 min of jitter before Expiration. Past it, one caller resolves the
 * chain again — without the lock, so the heartbeat thread is never stuck
 * behind a metadata request — while other callers keep getting the current
 * credentials. A failed refresh keeps them in use, retried every 30 s,
 * until 10 s before they expire (a request signed later could arrive
 * expired). Callers with nothing cached wait for the one refresh in flight
 * and share its result, error included. */
#include "dancer/creds.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds_links.h"
#include "dancer/log.h"

#define REFRESH_AHEAD_S 300 /* refresh this long before Expiration ... */
#define REFRESH_JITTER_S 60 /* ... plus up to this much, per provider */
#define RETRY_AFTER_FAIL_S 30
#define EXPIRY_MARGIN_S 10 /* never hand out credentials closer than this to expiry */

struct dn_creds_provider {
    struct dn_config cfg;
    pthread_mutex_t lock;
    pthread_cond_t done; /* a refresh finished */
    /* all below under lock */
    bool refreshing;
    bool have;
    struct dn_creds cached;
    time_t refresh_at;   /* cached is served without refresh until then; 0: forever */
    unsigned generation; /* refreshes finished */
    int last_rc;         /* result of the last refresh, for callers that waited on it */
    struct dn_err last_err;
    int jitter_s;
    dn_creds_clock_fn *now;
    void *now_ud;
};

static time_t s_time(void *user_data)
{
    (void)user_data;
    return time(NULL);
}

int dn_creds_provider_new(const struct dn_config *cfg, struct dn_creds_provider **out,
                          struct dn_err *err)
{
    struct dn_creds_provider *p = calloc(1, sizeof(*p));
    *out = NULL;
    if (!p)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    p->cfg = *cfg;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->done, NULL);
    /* Jitter so the instances of an autoscaling group, started together,
     * do not all ask the metadata service at the same second. */
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)p;
    p->jitter_s = (int)(rand_r(&seed) % REFRESH_JITTER_S);
    p->now = s_time;
    *out = p;
    return 0;
}

void dn_creds_provider_set_clock(struct dn_creds_provider *p, dn_creds_clock_fn *now,
                                 void *user_data)
{
    pthread_mutex_lock(&p->lock);
    p->now = now ? now : s_time;
    p->now_ud = user_data;
    pthread_mutex_unlock(&p->lock);
}

void dn_creds_provider_invalidate(struct dn_creds_provider *p)
{
    pthread_mutex_lock(&p->lock);
    p->have = false;
    pthread_mutex_unlock(&p->lock);
}

void dn_creds_provider_destroy(struct dn_creds_provider *p)
{
    if (!p)
        return;
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    memset(&p->cached, 0, sizeof(p->cached));
    memset(&p->cfg, 0, sizeof(p->cfg)); /* holds secrets too */
    free(p);
}

int dn_creds_static_take(const struct dn_creds_static *in, const char *source,
                         struct dn_creds *out, struct dn_err *err)
{
    bool id = in->id[0], secret = in->secret[0];
    if (!id && !secret)
        return DN_CREDS_ABSENT;
    if (!id || !secret)
        return dn_err_set(err, DN_ERR_CONFIG, "%s: %s is set but %s is not", in->where,
                          id ? in->id_name : in->secret_name, id ? in->secret_name : in->id_name);
    memset(out, 0, sizeof(*out));
    snprintf(out->access_key_id, sizeof(out->access_key_id), "%s", in->id);
    snprintf(out->secret_access_key, sizeof(out->secret_access_key), "%s", in->secret);
    snprintf(out->session_token, sizeof(out->session_token), "%s", in->token);
    snprintf(out->source, sizeof(out->source), "%s", source);
    return 0;
}

/* Link 1. */
static int s_from_environment(const struct dn_config *cfg, struct dn_creds *out,
                              struct dn_strbuf *tried, struct dn_err *err)
{
    struct dn_creds_static in = {cfg->aws_access_key_id, cfg->aws_secret_access_key,
                                 cfg->aws_session_token, "environment", "AWS_ACCESS_KEY_ID",
                                 "AWS_SECRET_ACCESS_KEY"};
    int rc = dn_creds_static_take(&in, "environment", out, err);
    if (rc == DN_CREDS_ABSENT)
        dn_strbuf_adds(tried, "environment (AWS_ACCESS_KEY_ID unset)");
    return rc;
}

typedef int s_link_fn(const struct dn_config *, struct dn_creds *, struct dn_strbuf *,
                      struct dn_err *);

/* The chain, in the AWS CLI's order. */
static int s_resolve(const struct dn_config *cfg, struct dn_creds *out, struct dn_err *err)
{
    static s_link_fn *const links[] = {s_from_environment, dn_creds_profile_load,
                                       dn_creds_container_fetch, dn_creds_imds_fetch};
    struct dn_strbuf tried;
    int rc = DN_CREDS_ABSENT;
    dn_strbuf_init(&tried);
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]) && rc == DN_CREDS_ABSENT; i++) {
        if (i)
            dn_strbuf_adds(&tried, "; ");
        rc = links[i](cfg, out, &tried, err);
    }
    if (rc == DN_CREDS_ABSENT)
        rc = dn_err_set(err, DN_ERR_AUTH, "no AWS credentials found; tried: %s",
                        dn_strbuf_str(&tried));
    dn_strbuf_clean_up(&tried);
    return rc;
}

static void s_log_obtained(const struct dn_creds *c)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "source", c->source);
    if (c->expiration) {
        char when[32];
        struct tm tm;
        gmtime_r(&c->expiration, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        cJSON_AddStringToObject(f, "expiration", when);
    }
    dn_log_event(DN_LOG_INFO, "AWS credentials obtained", f);
}

/* When to refresh fresh credentials. Ones that live shorter than the
 * refresh window are refreshed at half their remaining life rather than on
 * every call. */
static time_t s_refresh_at_locked(const struct dn_creds_provider *p, time_t now)
{
    time_t exp = p->cached.expiration;
    if (!exp)
        return 0;
    time_t at = exp - REFRESH_AHEAD_S - p->jitter_s;
    return at > now ? at : now + (exp - now) / 2;
}

/* Stores a refresh's outcome; fills out/err for the caller that ran it. */
static int s_finish_refresh_locked(struct dn_creds_provider *p, int rc, const struct dn_creds *fresh,
                                   struct dn_creds *out, struct dn_err *err)
{
    time_t now = p->now(p->now_ud);
    p->refreshing = false;
    p->generation++;
    p->last_rc = rc;
    p->last_err = *err;
    pthread_cond_broadcast(&p->done);
    if (rc == 0) {
        p->cached = *fresh;
        p->have = true;
        p->refresh_at = s_refresh_at_locked(p, now);
        *out = p->cached;
        s_log_obtained(fresh);
        return 0;
    }
    if (p->have && now < p->cached.expiration - EXPIRY_MARGIN_S) {
        dn_logf(DN_LOG_WARN, "AWS credentials refresh failed, the current ones (%s) stay in use: %s",
                p->cached.source, err->msg);
        p->refresh_at = now + RETRY_AFTER_FAIL_S;
        *out = p->cached;
        return 0;
    }
    p->have = false;
    return rc;
}

/* Serves the cache when it can. Returns 0 (served), 1 (this caller must
 * refresh: p->refreshing is now set) or the error of a refresh it waited for. */
static int s_serve_locked(struct dn_creds_provider *p, struct dn_creds *out, struct dn_err *err)
{
    for (;;) {
        time_t now = p->now(p->now_ud);
        bool usable = p->have && (!p->cached.expiration ||
                                  now < p->cached.expiration - EXPIRY_MARGIN_S);
        if (usable && (!p->refresh_at || now < p->refresh_at || p->refreshing)) {
            *out = p->cached;
            return 0;
        }
        if (!p->refreshing) {
            p->refreshing = true;
            return 1;
        }
        unsigned gen = p->generation;
        while (p->refreshing && p->generation == gen)
            pthread_cond_wait(&p->done, &p->lock);
        if (p->last_rc && !p->have) {
            if (err)
                *err = p->last_err;
            return p->last_rc;
        }
    }
}

int dn_creds_provider_get(struct dn_creds_provider *p, struct dn_creds *out, struct dn_err *err)
{
    struct dn_creds fresh;
    pthread_mutex_lock(&p->lock);
    int rc = s_serve_locked(p, out, err);
    if (rc == 1) {
        pthread_mutex_unlock(&p->lock);
        struct dn_err local = {0};
        rc = s_resolve(&p->cfg, &fresh, &local);
        pthread_mutex_lock(&p->lock);
        rc = s_finish_refresh_locked(p, rc, &fresh, out, &local);
        if (rc && err)
            *err = local;
        memset(&fresh, 0, sizeof(fresh));
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}
