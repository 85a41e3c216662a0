/* http_stub.c — scripted HTTP/1.1 server for client tests (see http_stub.h).
 * One thread accepts; each connection gets a thread that serves requests
 * until the peer closes, so keep-alive reuse is visible as one connection. */
#include "http_stub.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_CONN 64

struct s_canned {
    struct dn_stub_response r;
    char *headers, *body; /* owned copies */
};

struct dn_stub {
    int listen_fd;
    char url[64];
    atomic_bool stop;
    pthread_t acceptor;
    pthread_mutex_t lock;
    struct s_canned *queue;
    size_t nqueue, head;
    struct dn_stub_request *reqs;
    int nreqs;
    int nconns;
    pthread_t conns[S_MAX_CONN];
};

struct s_conn {
    struct dn_stub *s;
    int fd;
};

/* Waits up to 50 ms for fd to be readable; -1 when stopping. */
static int s_wait_readable(struct dn_stub *s, int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (atomic_load(&s->stop))
        return -1;
    return poll(&p, 1, 50);
}

/* Reads one request into *req; false on EOF, error or stop. */
static bool s_read_request(struct dn_stub *s, int fd, struct dn_stub_request *req)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    char *end = NULL;
    long want = -1;
    memset(req, 0, sizeof(*req));
    while (buf) {
        int w = s_wait_readable(s, fd);
        if (w < 0)
            break;
        if (w == 0)
            continue;
        if (len == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            want = (long)(end - buf) + 4 + (cl && cl < end ? atol(cl + 17) : 0);
        }
        if (end && (long)len >= want) {
            size_t hlen = (size_t)(end - buf) + 2;
            sscanf(buf, "%15s %4095s", req->method, req->target);
            req->headers = strndup(buf, hlen);
            req->body_len = len - hlen - 2;
            req->body = malloc(req->body_len + 1);
            memcpy(req->body, end + 4, req->body_len);
            req->body[req->body_len] = '\0';
            free(buf);
            return true;
        }
    }
    free(buf);
    return false;
}

static struct s_canned s_next(struct dn_stub *s, const struct dn_stub_request *req)
{
    struct s_canned c = {.r = {.status = 500, .body = "stub: no response queued"}};
    pthread_mutex_lock(&s->lock);
    if (s->head < s->nqueue)
        c = s->queue[s->head++];
    struct dn_stub_request *v = realloc(s->reqs, (size_t)(s->nreqs + 1) * sizeof(*v));
    if (v) {
        s->reqs = v;
        s->reqs[s->nreqs++] = *req;
    }
    pthread_mutex_unlock(&s->lock);
    return c;
}

static void s_send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

/* Sleeps the canned delay; false when stopping or the client went away. */
static bool s_delay(struct dn_stub *s, int fd, int ms)
{
    for (; ms > 0; ms -= 20) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (atomic_load(&s->stop))
            return false;
        if (poll(&p, 1, 20) > 0) {
            char c;
            if (recv(fd, &c, 1, MSG_PEEK) <= 0)
                return false;
        }
    }
    return true;
}

static bool s_respond(struct dn_stub *s, int fd, const struct s_canned *c, bool head)
{
    const struct dn_stub_response *r = &c->r;
    size_t blen = r->body ? (r->body_len ? r->body_len : strlen(r->body)) : 0;
    char line[8192];
    if (!s_delay(s, fd, r->delay_ms))
        return false;
    int n = snprintf(line, sizeof(line), "HTTP/1.1 %d Stub\r\nContent-Length: %zu\r\n%s%s\r\n",
                     r->status, r->truncate ? blen + 100 : blen, r->headers ? r->headers : "",
                     r->close ? "Connection: close\r\n" : "");
    s_send_all(fd, line, (size_t)n);
    if (blen && !head) /* a HEAD answer has the body's length but no body */
        s_send_all(fd, r->body, blen);
    return !r->truncate && !r->close;
}

static void *s_conn_main(void *arg)
{
    struct s_conn *conn = arg;
    struct dn_stub_request req;
    while (s_read_request(conn->s, conn->fd, &req)) {
        struct s_canned c = s_next(conn->s, &req);
        if (!s_respond(conn->s, conn->fd, &c, !strcmp(req.method, "HEAD")))
            break;
    }
    close(conn->fd);
    free(conn);
    return NULL;
}

static void *s_accept_main(void *arg)
{
    struct dn_stub *s = arg;
    for (int w; (w = s_wait_readable(s, s->listen_fd)) >= 0;) {
        if (w == 0)
            continue;
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        struct s_conn *conn = malloc(sizeof(*conn));
        pthread_mutex_lock(&s->lock);
        bool room = conn && s->nconns < S_MAX_CONN;
        if (room) {
            *conn = (struct s_conn){s, fd};
            room = !pthread_create(&s->conns[s->nconns], NULL, s_conn_main, conn);
            s->nconns += room;
        }
        pthread_mutex_unlock(&s->lock);
        if (!room) {
            free(conn);
            close(fd);
        }
    }
    return NULL;
}

struct dn_stub *dn_stub_start(void)
{
    struct dn_stub *s = calloc(1, sizeof(*s));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(addr);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
        listen(s->listen_fd, 16) || getsockname(s->listen_fd, (struct sockaddr *)&addr, &alen) ||
        pthread_create(&s->acceptor, NULL, s_accept_main, s)) {
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        free(s);
        return NULL;
    }
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", ntohs(addr.sin_port));
    return s;
}

void dn_stub_stop(struct dn_stub *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, true);
    pthread_join(s->acceptor, NULL);
    for (int i = 0; i < s->nconns; i++)
        pthread_join(s->conns[i], NULL);
    close(s->listen_fd);
    for (size_t i = 0; i < s->nqueue; i++) {
        free(s->queue[i].headers);
        free(s->queue[i].body);
    }
    for (int i = 0; i < s->nreqs; i++) {
        free(s->reqs[i].headers);
        free(s->reqs[i].body);
    }
    free(s->queue);
    free(s->reqs);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

const char *dn_stub_url(const struct dn_stub *s)
{
    return s->url;
}

void dn_stub_push(struct dn_stub *s, const struct dn_stub_response *r)
{
    struct s_canned c = {.r = *r};
    size_t blen = r->body ? (r->body_len ? r->body_len : strlen(r->body)) : 0;
    c.headers = r->headers ? strdup(r->headers) : NULL;
    if (r->body && (c.body = malloc(blen + 1))) {
        memcpy(c.body, r->body, blen);
        c.body[blen] = '\0';
    }
    c.r.headers = c.headers;
    c.r.body = c.body;
    c.r.body_len = blen;
    pthread_mutex_lock(&s->lock);
    struct s_canned *v = realloc(s->queue, (s->nqueue + 1) * sizeof(*v));
    if (v) {
        s->queue = v;
        s->queue[s->nqueue++] = c;
    }
    pthread_mutex_unlock(&s->lock);
}

bool dn_stub_push_file(struct dn_stub *s, const char *path)
{
    FILE *f = fopen(path, "rb");
    char text[65536];
    size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    cJSON *doc = cJSON_Parse(text);
    if (!doc)
        return false;
    char headers[8192] = "";
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItem(doc, "headers"))
    {
        size_t len = strlen(headers);
        snprintf(headers + len, sizeof(headers) - len, "%s: %s\r\n", h->string, h->valuestring);
    }
    struct dn_stub_response r = {
        .status = cJSON_GetObjectItem(doc, "status") ? cJSON_GetObjectItem(doc, "status")->valueint : 200,
        .headers = headers,
        .body = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "body")),
        .delay_ms = cJSON_GetObjectItem(doc, "delay_ms") ? cJSON_GetObjectItem(doc, "delay_ms")->valueint : 0,
        .truncate = cJSON_IsTrue(cJSON_GetObjectItem(doc, "truncate")),
        .close = cJSON_IsTrue(cJSON_GetObjectItem(doc, "close")),
    };
    dn_stub_push(s, &r);
    cJSON_Delete(doc);
    return true;
}

int dn_stub_request_count(struct dn_stub *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->nreqs;
    pthread_mutex_unlock(&s->lock);
    return n;
}

int dn_stub_connection_count(struct dn_stub *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->nconns;
    pthread_mutex_unlock(&s->lock);
    return n;
}

const struct dn_stub_request *dn_stub_request(struct dn_stub *s, int i)
{
    pthread_mutex_lock(&s->lock);
    const struct dn_stub_request *r = i >= 0 && i < s->nreqs ? &s->reqs[i] : NULL;
    pthread_mutex_unlock(&s->lock);
    return r;
}

bool dn_stub_request_header(const struct dn_stub_request *r, const char *name, char *buf, size_t len)
{
    size_t n = strlen(name);
    for (const char *line = strstr(r->headers, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
        const char *p = line + 2;
        if (!strncasecmp(p, name, n) && p[n] == ':') {
            p += n + 1;
            while (*p == ' ')
                p++;
            size_t vlen = strcspn(p, "\r\n");
            snprintf(buf, len, "%.*s", (int)vlen, p);
            return true;
        }
    }
    return false;
}

const char *dn_stub_header(struct dn_stub *s, int i, const char *name)
{
    static char value[4096];
    const struct dn_stub_request *r = dn_stub_request(s, i);
    return r && dn_stub_request_header(r, name, value, sizeof(value)) ? value : NULL;
}

struct s_delayed {
    atomic_bool *flag;
    int ms;
};

static void *s_set_later(void *arg)
{
    struct s_delayed d = *(struct s_delayed *)arg;
    free(arg);
    usleep((useconds_t)d.ms * 1000);
    atomic_store(d.flag, true);
    return NULL;
}

int dn_stub_set_after(atomic_bool *flag, int ms, pthread_t *thread)
{
    struct s_delayed *d = malloc(sizeof(*d));
    if (!d)
        return -1;
    *d = (struct s_delayed){flag, ms};
    int rc = pthread_create(thread, NULL, s_set_later, d);
    if (rc)
        free(d);
    return rc;
}

/* The header block as [[name, value]...]. */
static cJSON *s_headers_json(const char *block)
{
    cJSON *list = cJSON_CreateArray();
    for (const char *line = strstr(block, "\r\n"); list && line && line[2]; line = strstr(line + 2, "\r\n")) {
        const char *p = line + 2, *colon = strchr(p, ':');
        size_t len = strcspn(p, "\r\n");
        if (!colon || colon > p + len)
            continue;
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        char name[256], value[8192];
        snprintf(name, sizeof(name), "%.*s", (int)(colon - p), p);
        snprintf(value, sizeof(value), "%.*s", (int)(p + len - v), v);
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateString(name));
        cJSON_AddItemToArray(pair, cJSON_CreateString(value));
        cJSON_AddItemToArray(list, pair);
    }
    return list;
}

bool dn_stub_dump(struct dn_stub *s, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->nreqs; i++) {
        const struct dn_stub_request *r = &s->reqs[i];
        char *hex = malloc(2 * r->body_len + 1);
        for (size_t k = 0; hex && k < r->body_len; k++)
            snprintf(hex + 2 * k, 3, "%02x", (unsigned char)r->body[k]);
        if (hex)
            hex[2 * r->body_len] = '\0';
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "method", r->method);
        cJSON_AddStringToObject(o, "target", r->target);
        cJSON_AddItemToObject(o, "headers", s_headers_json(r->headers));
        cJSON_AddStringToObject(o, "body_hex", hex ? hex : "");
        char *line = cJSON_PrintUnformatted(o);
        if (line)
            fprintf(f, "%s\n", line);
        free(line);
        free(hex);
        cJSON_Delete(o);
    }
    pthread_mutex_unlock(&s->lock);
    return fclose(f) == 0;
}
