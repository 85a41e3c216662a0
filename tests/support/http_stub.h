/*
 * http_stub.h — a tiny scripted HTTP/1.1 server on 127.0.0.1 for client
 * tests: it answers each request with the next queued canned response,
 * records what it was sent, and counts connections (so a test can prove
 * keep-alive reuse) — the role of aws-c-s3's tests/mock_s3_server.
 *
 * Canned responses can be read from JSON fixture files:
 *   {"status": 503, "headers": {"Retry-After": "1"}, "body": "...",
 *    "delay_ms": 0, "truncate": false, "close": false}
 * delay_ms waits before answering (timeouts, cancellation); truncate
 * promises a longer Content-Length than it sends, then closes (a reset mid-body).
 */
#ifndef DANCER_TEST_HTTP_STUB_H
#define DANCER_TEST_HTTP_STUB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct dn_stub;

struct dn_stub_response {
    int status;
    const char *headers; /* extra header lines, each ending "\r\n"; may be NULL */
    const char *body;    /* may be NULL */
    size_t body_len;     /* 0: strlen(body) */
    int delay_ms;
    bool truncate;
    bool close;
};

struct dn_stub_request {
    char method[16];
    char target[4096]; /* path and query as sent */
    char *headers;     /* raw header block */
    char *body;
    size_t body_len;
};

/* Starts the server thread. NULL on failure. */
struct dn_stub *dn_stub_start(void);
/* Stops it and frees everything; NULL is fine. */
void dn_stub_stop(struct dn_stub *s);

/* "http://127.0.0.1:PORT". */
const char *dn_stub_url(const struct dn_stub *s);

/* Queues a response (copied). With the queue empty the stub answers 500. */
void dn_stub_push(struct dn_stub *s, const struct dn_stub_response *r);
/* Queues the canned response in a JSON fixture file; false if unreadable. */
bool dn_stub_push_file(struct dn_stub *s, const char *path);

int dn_stub_request_count(struct dn_stub *s);
int dn_stub_connection_count(struct dn_stub *s);
/* The i-th request received (0-based), NULL if none. Valid until stop. */
const struct dn_stub_request *dn_stub_request(struct dn_stub *s, int i);
/* Value of a header in a recorded request (case-insensitive) into buf; false if absent. */
bool dn_stub_request_header(const struct dn_stub_request *r, const char *name, char *buf, size_t len);

/* The same for the i-th request, in a static buffer; NULL if absent. */
const char *dn_stub_header(struct dn_stub *s, int i, const char *name);

/* Writes every recorded request to `path` as JSON lines
 * {"method", "target", "headers": [[name, value]...], "body_hex"} for checks
 * outside C (tests/aws/verify_wire_sigs.py). false when it cannot write. */
bool dn_stub_dump(struct dn_stub *s, const char *path);

/* Starts a thread that sets *flag after ms milliseconds (a SIGTERM stand-in
 * for cancellation tests); join it with pthread_join. 0 or an errno. */
int dn_stub_set_after(atomic_bool *flag, int ms, pthread_t *thread);

#endif
