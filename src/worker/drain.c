/* drain.c — what starts a drain: SIGTERM/SIGINT, and on EC2 a Spot
 * interruption notice or an Auto Scaling termination (instance metadata,
 * IMDSv2). The drain itself is the loop's (worker.c). */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dancer/http.h"
#include "dancer/log.h"
#include "worker_internal.h"

/* Set by the handler, read by the loop every wake-up (a quarter second at
 * most): the handler itself may only touch lock-free atomics. */
static atomic_int s_signals;
static struct dn_analysis_cancel *_Atomic s_cancel_target;
static struct sigaction s_old_term, s_old_int;

static void s_on_signal(int sig)
{
    (void)sig;
    atomic_fetch_add(&s_signals, 1);
    struct dn_analysis_cancel *c = atomic_load(&s_cancel_target);
    if (c) /* lock-free atomic stores only: async-signal-safe */
        dn_analysis_cancel_set(c);
}

void dn_worker_signals_install_cancel(struct dn_analysis_cancel *cancel)
{
    atomic_store(&s_cancel_target, cancel);
    dn_worker_signals_install();
}

void dn_worker_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    atomic_store(&s_signals, 0);
    sigaction(SIGTERM, &sa, &s_old_term);
    sigaction(SIGINT, &sa, &s_old_int);
}

void dn_worker_signals_restore(void)
{
    atomic_store(&s_cancel_target, NULL);
    sigaction(SIGTERM, &s_old_term, NULL);
    sigaction(SIGINT, &s_old_int, NULL);
}

int dn_worker_signal_count(void)
{
    return atomic_load(&s_signals);
}

/* ---- EC2 termination notices ------------------------------------------- */

struct s_imds {
    struct dn_worker *w;
    char base[DN_CFG_URL];
    char token[256];
    double token_until;
};

/* One metadata request; returns the HTTP status (0 when none came) and the
 * body in `resp`. */
static long s_imds_call(struct s_imds *s, const char *method, const char *path,
                        struct dn_http_response *resp)
{
    char url[DN_CFG_URL + 128];
    struct dn_http_header h[1];
    struct dn_err err = {0};
    snprintf(url, sizeof(url), "%s%s", s->base, path);
    if (!strcmp(method, "PUT"))
        h[0] = (struct dn_http_header){"X-aws-ec2-metadata-token-ttl-seconds", "21600"};
    else
        h[0] = (struct dn_http_header){"X-aws-ec2-metadata-token", s->token};
    struct dn_http_request req = {
        .method = method, .url = url, .headers = h, .nheaders = 1,
        .max_body = 64 << 10, .max_attempts = 1,
        .body = !strcmp(method, "PUT") ? "" : NULL,
        .content_type = !strcmp(method, "PUT") ? "text/plain" : NULL,
    };
    if (dn_http_send(s->w->aws->http, &req, resp, &err))
        return 0;
    return resp->status;
}

/* IMDSv2 session token, renewed an hour before its six hours run out. */
static bool s_token(struct s_imds *s)
{
    struct dn_http_response resp;
    if (s->token[0] && dn_worker_now() < s->token_until)
        return true;
    dn_http_response_init(&resp);
    long status = s_imds_call(s, "PUT", "/latest/api/token", &resp);
    bool ok = status == 200 && resp.body.len > 0 && resp.body.len < sizeof(s->token);
    if (ok) {
        snprintf(s->token, sizeof(s->token), "%s", dn_strbuf_str(&resp.body));
        s->token_until = dn_worker_now() + 5 * 3600;
    }
    dn_http_response_clean_up(&resp);
    return ok;
}

/* Non-empty reason when the instance is going away. */
static void s_check(struct s_imds *s, char *reason, size_t len)
{
    struct dn_http_response resp;
    reason[0] = '\0';
    dn_http_response_init(&resp);
    /* 404 is the normal answer: no interruption scheduled. */
    if (s_imds_call(s, "GET", "/latest/meta-data/spot/instance-action", &resp) == 200)
        snprintf(reason, len, "EC2 Spot interruption notice: %s", dn_strbuf_str(&resp.body));
    dn_http_response_clean_up(&resp);
    if (reason[0])
        return;
    dn_http_response_init(&resp);
    if (s_imds_call(s, "GET", "/latest/meta-data/autoscaling/target-lifecycle-state", &resp) == 200 &&
        !strncmp(dn_strbuf_str(&resp.body), "Terminated", 10))
        snprintf(reason, len, "Auto Scaling is terminating this instance (target lifecycle state "
                 "Terminated)");
    dn_http_response_clean_up(&resp);
}

/* Waits `s` seconds or until stopped; false when stopped. */
static bool s_sleep(struct dn_worker *w, double s)
{
    struct timespec until;
    dn_worker_abstime(&until, s);
    pthread_mutex_lock(&w->lock);
    while (!w->spot_stop && pthread_cond_timedwait(&w->spot_cond, &w->lock, &until) == 0)
        ;
    bool go_on = !w->spot_stop;
    pthread_mutex_unlock(&w->lock);
    return go_on;
}

void *dn_worker_spot_main(void *arg)
{
    struct s_imds s = {.w = arg};
    struct dn_worker *w = arg;
    char reason[512];
    snprintf(s.base, sizeof(s.base), "%s", w->cfg->aws_ec2_metadata_service_endpoint);
    size_t n = strlen(s.base);
    if (n && s.base[n - 1] == '/')
        s.base[n - 1] = '\0';
    if (!s_token(&s)) {
        /* Not on EC2 (or IMDSv2 turned off): nothing will ever come. */
        dn_logf(DN_LOG_DEBUG, "no instance metadata at %s: Spot notices are not watched", s.base);
        return NULL;
    }
    dn_logf(DN_LOG_INFO, "watching %s for Spot and Auto Scaling termination notices", s.base);
    while (s_sleep(w, w->cfg->spot_poll_s)) {
        if (!s_token(&s))
            continue;
        s_check(&s, reason, sizeof(reason));
        if (reason[0]) {
            dn_logf(DN_LOG_WARN, "%s: draining", reason);
            atomic_store(&w->drain_requested, true);
            pthread_mutex_lock(&w->lock);
            pthread_cond_signal(&w->wake);
            pthread_mutex_unlock(&w->lock);
            break;
        }
    }
    return NULL;
}
