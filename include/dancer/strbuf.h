/*
 * strbuf.h — a growing, always NUL-terminated byte buffer for building
 * requests, canonical strings and documents. Allocation failure is sticky:
 * later appends do nothing and dn_strbuf_take returns NULL, so a builder
 * checks once at the end instead of after every append (as redis' sds and
 * aws_byte_buf callers do with their error flags).
 */
#ifndef DANCER_STRBUF_H
#define DANCER_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct dn_strbuf {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
    bool oom; /* an allocation failed */
};

void dn_strbuf_init(struct dn_strbuf *b);
void dn_strbuf_clean_up(struct dn_strbuf *b);
void dn_strbuf_reset(struct dn_strbuf *b); /* len = 0, keeps memory */

void dn_strbuf_add(struct dn_strbuf *b, const void *data, size_t len);
void dn_strbuf_adds(struct dn_strbuf *b, const char *s);
void dn_strbuf_addc(struct dn_strbuf *b, char c);
void dn_strbuf_addf(struct dn_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Returns the contents ("" when empty) and leaves b empty; the caller frees.
 * NULL if any allocation failed (b is then cleaned up). */
char *dn_strbuf_take(struct dn_strbuf *b);

/* The contents, valid until the next append; "" when empty. */
const char *dn_strbuf_str(const struct dn_strbuf *b);

#endif
