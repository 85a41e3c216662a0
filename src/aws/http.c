/* http.c — libcurl requests with retries (see include/dancer/http.h).
 *
 * One attempt = one curl_easy_perform on a handle checked out of the pool.
 * curl_easy_reset between requests keeps the handle's live connections and
 * caches (libcurl docs, curl_easy_reset(3)), which is what makes reuse work. */
#include "dancer/http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dancer/config.h"
#include "dancer/log.h"

#define S_MAX_PREPARED 8

struct dn_http_pool {
    struct dn_http_options opt;
    pthread_mutex_t lock; /* idle list and rng */
    CURL **idle;
    int nidle;
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    uint64_t rng;
};

/* State of one attempt, seen by the curl callbacks. */
struct s_attempt {
    const struct dn_http_request *req;
    struct dn_http_response *resp;
    CURL *curl;
    size_t max_body;
    bool too_large;
    int consumer_rc; /* on_body's error */
};

static pthread_once_t s_global_once = PTHREAD_ONCE_INIT;
static CURLcode s_global_rc;

static void s_global_init(void)
{
    /* Not thread-safe in libcurl < 7.84, hence once, before any handle. */
    s_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void dn_http_options_from_config(const struct dn_config *cfg, struct dn_http_options *out)
{
    out->connect_timeout_ms = cfg->http_connect_timeout_ms;
    out->timeout_ms = cfg->http_timeout_ms;
    out->max_attempts = cfg->aws_max_attempts;
    out->max_idle = 16;
}

static void s_share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)h;
    (void)access;
    struct dn_http_pool *pool = user;
    pthread_mutex_lock(&pool->share_locks[data]);
}

static void s_share_unlock(CURL *h, curl_lock_data data, void *user)
{
    (void)h;
    struct dn_http_pool *pool = user;
    pthread_mutex_unlock(&pool->share_locks[data]);
}

int dn_http_pool_new(const struct dn_http_options *opt, struct dn_http_pool **out,
                     struct dn_err *err)
{
    *out = NULL;
    pthread_once(&s_global_once, s_global_init);
    if (s_global_rc != CURLE_OK)
        return dn_err_set(err, DN_ERR_INTERNAL, "libcurl init: %s", curl_easy_strerror(s_global_rc));
    struct dn_http_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    pool->opt = *opt;
    if (pool->opt.max_attempts < 1)
        pool->opt.max_attempts = 1;
    if (pool->opt.max_idle < 1)
        pool->opt.max_idle = 1;
    pool->idle = calloc((size_t)pool->opt.max_idle, sizeof(*pool->idle));
    pool->share = curl_share_init();
    if (!pool->idle || !pool->share) {
        curl_share_cleanup(pool->share);
        free(pool->idle);
        free(pool);
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    }
    pthread_mutex_init(&pool->lock, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&pool->share_locks[i], NULL);
    curl_share_setopt(pool->share, CURLSHOPT_LOCKFUNC, s_share_lock);
    curl_share_setopt(pool->share, CURLSHOPT_UNLOCKFUNC, s_share_unlock);
    curl_share_setopt(pool->share, CURLSHOPT_USERDATA, pool);
    curl_share_setopt(pool->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(pool->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    pool->rng = (uint64_t)time(NULL) * 6364136223846793005ull ^ (uint64_t)getpid() ^ (uintptr_t)pool;
    *out = pool;
    return 0;
}

void dn_http_pool_destroy(struct dn_http_pool *pool)
{
    if (!pool)
        return;
    for (int i = 0; i < pool->nidle; i++)
        curl_easy_cleanup(pool->idle[i]);
    curl_share_cleanup(pool->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&pool->share_locks[i]);
    pthread_mutex_destroy(&pool->lock);
    free(pool->idle);
    free(pool);
}

static CURL *s_checkout(struct dn_http_pool *pool)
{
    CURL *c = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->nidle)
        c = pool->idle[--pool->nidle];
    pthread_mutex_unlock(&pool->lock);
    return c ? c : curl_easy_init();
}

static void s_checkin(struct dn_http_pool *pool, CURL *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&pool->lock);
    if (pool->nidle < pool->opt.max_idle) {
        pool->idle[pool->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&pool->lock);
    if (c)
        curl_easy_cleanup(c);
}

/* Uniform in [0,1) from the pool's xorshift64*; jitter needs no crypto. */
static double s_random01(struct dn_http_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    uint64_t x = pool->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    pool->rng = x;
    pthread_mutex_unlock(&pool->lock);
    return (double)((x * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

/* --- response ------------------------------------------------------------ */

void dn_http_response_init(struct dn_http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    dn_strbuf_init(&resp->body);
}

static void s_clear_headers(struct dn_http_response *resp)
{
    for (size_t i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    resp->nheaders = 0;
}

void dn_http_response_clean_up(struct dn_http_response *resp)
{
    if (!resp)
        return;
    s_clear_headers(resp);
    free(resp->headers);
    dn_strbuf_clean_up(&resp->body);
    memset(resp, 0, sizeof(*resp));
}

const char *dn_http_response_header(const struct dn_http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->nheaders; i++)
        if (!strcasecmp(resp->headers[i].name, name))
            return resp->headers[i].value;
    return NULL;
}

static bool s_add_header(struct dn_http_response *resp, const char *name, size_t nlen,
                         const char *value, size_t vlen)
{
    if (resp->nheaders == resp->cap_headers) {
        size_t cap = resp->cap_headers ? 2 * resp->cap_headers : 16;
        void *h = realloc(resp->headers, cap * sizeof(*resp->headers));
        if (!h)
            return false;
        resp->headers = h;
        resp->cap_headers = cap;
    }
    char *n = strndup(name, nlen), *v = strndup(value, vlen);
    if (!n || !v) {
        free(n);
        free(v);
        return false;
    }
    resp->headers[resp->nheaders].name = n;
    resp->headers[resp->nheaders].value = v;
    resp->nheaders++;
    return true;
}

/* --- curl callbacks ------------------------------------------------------ */

static size_t s_on_header(char *data, size_t size, size_t n, void *user)
{
    struct s_attempt *a = user;
    size_t len = size * n;
    /* A status line starts a new response (100 Continue, then the real one). */
    if (len >= 5 && !memcmp(data, "HTTP/", 5)) {
        s_clear_headers(a->resp);
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return len; /* the blank line that ends the headers */
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (!s_add_header(a->resp, data, (size_t)(colon - data), v, (size_t)(end - v)))
        return 0; /* out of memory: abort with CURLE_WRITE_ERROR */
    return len;
}

static size_t s_on_body(char *data, size_t size, size_t n, void *user)
{
    struct s_attempt *a = user;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
        uint64_t offset = a->resp->body_bytes;
        a->resp->body_bytes += len;
        if (a->req->on_body) {
            a->consumer_rc = a->req->on_body(data, len, offset, a->req->body_user);
            return a->consumer_rc ? 0 : len;
        }
        if (a->resp->body.len + len > a->max_body) {
            a->too_large = true;
            return 0;
        }
    } else if (a->resp->body.len + len > DN_HTTP_ERROR_BODY_MAX) {
        /* An error body only needs its code and message: keep the start. */
        len = DN_HTTP_ERROR_BODY_MAX > a->resp->body.len ? DN_HTTP_ERROR_BODY_MAX - a->resp->body.len : 0;
        dn_strbuf_add(&a->resp->body, data, len);
        return size * n;
    }
    dn_strbuf_add(&a->resp->body, data, len);
    return a->resp->body.oom ? 0 : size * n;
}

static int s_on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const struct s_attempt *a = user;
    /* libcurl calls this about once a second even while a long poll is
     * silent, so a set cancel flag ends the request within ~1 s. */
    return a->req->cancel && atomic_load(a->req->cancel) ? 1 : 0;
}

/* --- one attempt --------------------------------------------------------- */

static struct curl_slist *s_header_list(const struct dn_http_request *req,
                                        const struct dn_http_header *extra, size_t nextra,
                                        bool *oom)
{
    struct curl_slist *list = NULL, *next;
    char line[8192];
    /* "Expect:" disables 100-continue; "Content-Type" is always explicit. */
    const char *fixed[] = {"Expect:", NULL};
    char ctype[256];
    if (req->body) {
        snprintf(ctype, sizeof(ctype), "Content-Type: %s", req->content_type ? req->content_type : "");
        fixed[1] = ctype;
    }
    for (size_t i = 0; i < 2 && fixed[i]; i++) {
        if (!(next = curl_slist_append(list, fixed[i])))
            goto fail;
        list = next;
    }
    for (size_t i = 0; i < req->nheaders + nextra; i++) {
        const struct dn_http_header *h = i < req->nheaders ? &req->headers[i] : &extra[i - req->nheaders];
        int len = snprintf(line, sizeof(line), "%s: %s", h->name, h->value);
        if (len < 0 || (size_t)len >= sizeof(line) || !(next = curl_slist_append(list, line)))
            goto fail;
        list = next;
    }
    return list;
fail:
    *oom = true;
    curl_slist_free_all(list);
    return NULL;
}

static void s_set_options(struct dn_http_pool *pool, struct s_attempt *a, struct curl_slist *hdrs)
{
    const struct dn_http_request *req = a->req;
    CURL *c = a->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_SHARE, pool->share);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* required with threads */
    curl_easy_setopt(c, CURLOPT_USERAGENT, "dancer/" DN_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, pool->opt.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, pool->opt.timeout_ms + req->extra_timeout_ms);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, s_on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, a);
    /* Only http(s); never follow redirects (S3 region redirects are errors). */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    /* S3 keys may hold "/../" or "/./": send the path exactly as signed. */
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (!strcmp(req->method, "HEAD")) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (req->body || !strcmp(req->method, "POST") || !strcmp(req->method, "PUT")) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        if (strcmp(req->method, "POST"))
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    } else if (strcmp(req->method, "GET")) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    }
}

static enum dn_http_transport s_transport_of(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK:
        return DN_HTTP_TRANSPORT_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
        return DN_HTTP_TRANSPORT_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return DN_HTTP_TRANSPORT_TIMEOUT;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
        return DN_HTTP_TRANSPORT_IO;
    default:
        return DN_HTTP_TRANSPORT_FATAL;
    }
}

/* Runs one attempt. Returns the transport outcome; *rc is nonzero for a
 * failure that must end the request (its err already set). */
static enum dn_http_transport s_attempt(struct dn_http_pool *pool, struct s_attempt *a,
                                        const struct dn_http_header *extra, size_t nextra,
                                        char *curl_msg, size_t msg_len, int *rc,
                                        struct dn_err *err)
{
    bool oom = false;
    struct curl_slist *hdrs = s_header_list(a->req, extra, nextra, &oom);
    *rc = 0;
    if (oom)
        return *rc = dn_err_set(err, DN_ERR_INTERNAL, "out of memory (request headers)"),
               DN_HTTP_TRANSPORT_FATAL;
    s_clear_headers(a->resp);
    dn_strbuf_reset(&a->resp->body);
    a->resp->body_bytes = 0;
    a->resp->status = 0;
    a->too_large = false;
    a->consumer_rc = 0;
    s_set_options(pool, a, hdrs);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(a->curl, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode cc = curl_easy_perform(a->curl);
    curl_easy_setopt(a->curl, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(hdrs);
    curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &a->resp->status);
    snprintf(curl_msg, msg_len, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    if (cc == CURLE_OK)
        return DN_HTTP_TRANSPORT_OK;
    a->resp->status = 0;
    if (a->consumer_rc) {
        *rc = a->consumer_rc;
        if (err && !err->msg[0])
            dn_err_set(err, (enum dn_err_class)-a->consumer_rc, "response body refused by its consumer");
    }
    else if (a->too_large)
        *rc = dn_err_set(err, DN_ERR_UNSUPPORTED, "response body larger than %zu bytes", a->max_body);
    else if (cc == CURLE_ABORTED_BY_CALLBACK)
        *rc = dn_err_set(err, DN_ERR_CANCELLED, "request cancelled");
    else if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL)
        *rc = dn_err_set(err, DN_ERR_CONFIG, "bad URL: %s", curl_msg);
    else if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
        *rc = dn_err_set(err, DN_ERR_CONFIG, "TLS: %s", curl_msg);
    else if (cc == CURLE_OUT_OF_MEMORY || (cc == CURLE_WRITE_ERROR && a->resp->body.oom))
        *rc = dn_err_set(err, DN_ERR_INTERNAL, "out of memory (response)");
    else if (s_transport_of(cc) == DN_HTTP_TRANSPORT_FATAL)
        *rc = dn_err_set(err, DN_ERR_INTERNAL, "libcurl: %s", curl_msg);
    return s_transport_of(cc);
}

/* Sleeps ms in slices, returning false early when cancelled. */
static bool s_sleep(long ms, const atomic_bool *cancel)
{
    while (ms > 0) {
        if (cancel && atomic_load(cancel))
            return false;
        long slice = ms < 50 ? ms : 50;
        struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
    return !(cancel && atomic_load(cancel));
}

/* Host and path of a URL for logs: never the query (it could carry tokens). */
static void s_url_for_log(const char *url, char *out, size_t len)
{
    size_t n = strcspn(url, "?");
    snprintf(out, len, "%.*s", (int)n, url);
}

static void s_log_retry(const struct dn_http_request *req, int attempt, long status,
                        const char *code, const char *curl_msg, long delay)
{
    char where[512];
    s_url_for_log(req->url, where, sizeof(where));
    if (status)
        dn_logf(DN_LOG_DEBUG, "http: %s %s attempt %d: status %ld %s; retrying in %ld ms",
                req->method, where, attempt, status, code, delay);
    else
        dn_logf(DN_LOG_DEBUG, "http: %s %s attempt %d: %s; retrying in %ld ms", req->method,
                where, attempt, curl_msg, delay);
}

int dn_http_send(struct dn_http_pool *pool, const struct dn_http_request *req,
                 struct dn_http_response *resp, struct dn_err *err)
{
    struct s_attempt a = {.req = req, .resp = resp};
    struct dn_http_header extra[S_MAX_PREPARED];
    char curl_msg[CURL_ERROR_SIZE + 64];
    int max = req->max_attempts > 0 ? req->max_attempts : pool->opt.max_attempts, rc = 0;
    a.max_body = req->max_body ? req->max_body : DN_HTTP_DEFAULT_MAX_BODY;
    dn_http_response_clean_up(resp);
    dn_http_response_init(resp);
    if (!(a.curl = s_checkout(pool)))
        return dn_err_set(err, DN_ERR_INTERNAL, "curl_easy_init failed");
    for (int attempt = 1;; attempt++) {
        size_t nextra = 0;
        if (req->cancel && atomic_load(req->cancel)) {
            rc = dn_err_set(err, DN_ERR_CANCELLED, "request cancelled");
            break;
        }
        if (req->prepare && (rc = req->prepare(req->prepare_user, extra, S_MAX_PREPARED, &nextra, err)))
            break;
        resp->attempts = attempt;
        enum dn_http_transport t = s_attempt(pool, &a, extra, nextra, curl_msg, sizeof(curl_msg), &rc, err);
        if (rc)
            break;
        resp->error_code[0] = '\0';
        if (t == DN_HTTP_TRANSPORT_OK && resp->status >= 300 && req->error_code)
            req->error_code(resp, resp->error_code, sizeof(resp->error_code));
        enum dn_http_retry kind = dn_http_retry_classify(t, resp->status, resp->error_code);
        if (kind == DN_HTTP_RETRY_NO || attempt >= max) {
            if (t != DN_HTTP_TRANSPORT_OK)
                rc = dn_err_set(err, DN_ERR_NETWORK, "%s (after %d attempt%s)", curl_msg, attempt,
                                attempt == 1 ? "" : "s");
            break;
        }
        long hint = dn_http_retry_after_ms(dn_http_response_header(resp, "Retry-After"),
                                           dn_http_response_header(resp, "x-amz-retry-after"),
                                           time(NULL));
        long delay = dn_http_retry_delay_ms(dn_http_backoff_ms(attempt - 1, kind, s_random01(pool)), hint);
        s_log_retry(req, attempt, resp->status, resp->error_code, curl_msg, delay);
        if (!s_sleep(delay, req->cancel)) {
            rc = dn_err_set(err, DN_ERR_CANCELLED, "request cancelled");
            break;
        }
    }
    s_checkin(pool, a.curl);
    return rc;
}
