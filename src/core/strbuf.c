/* strbuf.c — growing string buffer (see include/dancer/strbuf.h). */
#include "dancer/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dn_strbuf_init(struct dn_strbuf *b)
{
    memset(b, 0, sizeof(*b));
}

void dn_strbuf_clean_up(struct dn_strbuf *b)
{
    free(b->data);
    dn_strbuf_init(b);
}

void dn_strbuf_reset(struct dn_strbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Makes room for `extra` more bytes plus the NUL; doubles to amortise. */
static bool s_reserve(struct dn_strbuf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) {
        b->oom = true;
        return false;
    }
    b->data = data;
    b->cap = cap;
    return true;
}

void dn_strbuf_add(struct dn_strbuf *b, const void *data, size_t len)
{
    if (!s_reserve(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void dn_strbuf_adds(struct dn_strbuf *b, const char *s)
{
    dn_strbuf_add(b, s, strlen(s));
}

void dn_strbuf_addc(struct dn_strbuf *b, char c)
{
    dn_strbuf_add(b, &c, 1);
}

void dn_strbuf_addf(struct dn_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !s_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *dn_strbuf_take(struct dn_strbuf *b)
{
    if (b->oom) {
        dn_strbuf_clean_up(b);
        return NULL;
    }
    char *s = b->data ? b->data : strdup("");
    dn_strbuf_init(b);
    return s;
}

const char *dn_strbuf_str(const struct dn_strbuf *b)
{
    return b->data ? b->data : "";
}
