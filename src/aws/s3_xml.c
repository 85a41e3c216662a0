/* s3_xml.c — S3's XML documents, parsed with expat (see include/dancer/s3.h).
 *
 * One small walker keeps the element path ("ListBucketResult/Contents/Key")
 * and the text of the current element; each document is a pair of
 * callbacks on top of it. S3 documents never carry a DTD, so a DOCTYPE
 * stops the parse: no entity expansion, no external entities. */
#include "dancer/s3.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dancer/s3_event.h"
#include "dancer/strbuf.h"

#define S_MAX_DEPTH 16
#define S_MAX_PATH 256

struct s_walk;
typedef int s_start_fn(struct s_walk *w, const char *path, int depth);
typedef int s_end_fn(struct s_walk *w, const char *path, int depth, const char *text, size_t len);

struct s_walk {
    XML_Parser parser;
    const char *doc; /* the whole input, for verbatim slices */
    char path[S_MAX_PATH];
    size_t mark[S_MAX_DEPTH]; /* path length before each open element */
    int depth;
    struct dn_strbuf text;
    s_start_fn *on_start;
    s_end_fn *on_end;
    void *user;
    int rc; /* first callback error, or -1 for a walker error */
};

static void s_stop(struct s_walk *w, int rc)
{
    if (!w->rc)
        w->rc = rc;
    XML_StopParser(w->parser, XML_FALSE);
}

static void XMLCALL s_start(void *user, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    struct s_walk *w = user;
    size_t len = strlen(w->path), nlen = strlen(name);
    if (w->rc)
        return;
    if (w->depth >= S_MAX_DEPTH || len + nlen + 2 > sizeof(w->path))
        return s_stop(w, -1);
    w->mark[w->depth++] = len;
    if (len)
        w->path[len++] = '/';
    memcpy(w->path + len, name, nlen + 1);
    dn_strbuf_reset(&w->text);
    if (w->on_start) {
        int rc = w->on_start(w, w->path, w->depth);
        if (rc)
            s_stop(w, rc);
    }
}

static void XMLCALL s_end(void *user, const XML_Char *name)
{
    (void)name;
    struct s_walk *w = user;
    if (w->rc)
        return;
    if (w->text.oom)
        return s_stop(w, -1);
    if (w->on_end) {
        int rc = w->on_end(w, w->path, w->depth, dn_strbuf_str(&w->text), w->text.len);
        if (rc)
            return s_stop(w, rc);
    }
    w->path[w->mark[--w->depth]] = '\0';
    dn_strbuf_reset(&w->text);
}

static void XMLCALL s_chars(void *user, const XML_Char *s, int len)
{
    struct s_walk *w = user;
    /* Only leaf text matters; 64 KiB is far above any S3 value. */
    if (w->text.len + (size_t)len > 65536)
        return s_stop(w, -1);
    dn_strbuf_add(&w->text, s, (size_t)len);
}

static void XMLCALL s_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
                              const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    s_stop(user, -1);
}

/* Runs the walker over xml[0..len). Returns 0, the first callback error,
 * or -1 for malformed XML; *why gets expat's reason. */
static int s_walk_run(const char *xml, size_t len, s_start_fn *on_start, s_end_fn *on_end,
                      void *user, const char **why)
{
    struct s_walk w = {.doc = xml, .on_start = on_start, .on_end = on_end, .user = user};
    *why = "malformed XML";
    if (len > (size_t)1 << 30)
        return -1;
    if (!(w.parser = XML_ParserCreate("UTF-8")))
        return *why = "out of memory", -1;
    dn_strbuf_init(&w.text);
    XML_SetUserData(w.parser, &w);
    XML_SetElementHandler(w.parser, s_start, s_end);
    XML_SetCharacterDataHandler(w.parser, s_chars);
    XML_SetStartDoctypeDeclHandler(w.parser, s_doctype);
    if (XML_Parse(w.parser, xml, (int)len, XML_TRUE) != XML_STATUS_OK && !w.rc) {
        *why = XML_ErrorString(XML_GetErrorCode(w.parser));
        w.rc = -1;
    }
    XML_ParserFree(w.parser);
    dn_strbuf_clean_up(&w.text);
    return w.rc;
}

static void s_copy(char *dst, size_t cap, const char *text, size_t len)
{
    snprintf(dst, cap, "%.*s", (int)(len < cap ? len : cap - 1), text);
}

static bool s_parse_u64(const char *text, uint64_t *out)
{
    char *end;
    if (!*text || *text == '-')
        return false;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end)
        return false;
    *out = v;
    return true;
}

/* --- <Error> ------------------------------------------------------------- */

static int s_error_start(struct s_walk *w, const char *path, int depth)
{
    (void)w;
    return depth == 1 && strcmp(path, "Error") ? -2 : 0;
}

static int s_error_end(struct s_walk *w, const char *path, int depth, const char *text, size_t len)
{
    struct dn_s3_error *e = w->user;
    if (depth != 2)
        return 0;
    if (!strcmp(path, "Error/Code"))
        s_copy(e->code, sizeof(e->code), text, len);
    else if (!strcmp(path, "Error/Message"))
        s_copy(e->message, sizeof(e->message), text, len);
    else if (!strcmp(path, "Error/RequestId"))
        s_copy(e->request_id, sizeof(e->request_id), text, len);
    else if (!strcmp(path, "Error/Region"))
        s_copy(e->region, sizeof(e->region), text, len);
    else if (!strcmp(path, "Error/ActualObjectSize"))
        e->has_actual_object_size = s_parse_u64(text, &e->actual_object_size);
    return 0;
}

int dn_s3_xml_parse_error(const char *xml, size_t len, struct dn_s3_error *out)
{
    const char *why;
    memset(out, 0, sizeof(*out));
    int rc = s_walk_run(xml, len, s_error_start, s_error_end, out, &why);
    return rc || !out->code[0] ? -1 : 0;
}

/* --- ListBucketResult ---------------------------------------------------- */

struct s_list {
    struct dn_s3_list_page *page;
    bool url_encoded;
    struct dn_s3_list_entry cur;
    bool oom;
};

static int s_list_start(struct s_walk *w, const char *path, int depth)
{
    struct s_list *l = w->user;
    if (depth == 1 && strcmp(path, "ListBucketResult"))
        return -2;
    if (!strcmp(path, "ListBucketResult/Contents")) {
        free(l->cur.key);
        memset(&l->cur, 0, sizeof(l->cur));
    }
    return 0;
}

static int s_list_push_entry(struct s_list *l)
{
    struct dn_s3_list_page *p = l->page;
    if (!l->cur.key)
        return -2; /* a Contents without a Key */
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        void *items = realloc(p->items, cap * sizeof(*p->items));
        if (!items)
            return l->oom = true, -3;
        p->items = items;
        p->cap = cap;
    }
    p->items[p->n++] = l->cur;
    memset(&l->cur, 0, sizeof(l->cur));
    return 0;
}

static int s_list_push_prefix(struct s_list *l, char *prefix)
{
    struct dn_s3_list_page *p = l->page;
    if (p->nprefixes == p->cap_prefixes) {
        size_t cap = p->cap_prefixes ? 2 * p->cap_prefixes : 16;
        void *v = realloc(p->prefixes, cap * sizeof(*p->prefixes));
        if (!v) {
            free(prefix);
            return l->oom = true, -3;
        }
        p->prefixes = v;
        p->cap_prefixes = cap;
    }
    p->prefixes[p->nprefixes++] = prefix;
    return 0;
}

/* Keys arrive raw, or url-encoded when the response says
 * <EncodingType>url</EncodingType> — which S3 sends before the Contents and
 * moto after them, so keys are decoded once the whole document is read, the
 * way botocore does ('+' meaning space). */
static int s_decode_in_place(char **s)
{
    char *out = NULL;
    int rc = dn_s3_key_decode(*s, strlen(*s), &out);
    if (rc)
        return rc == DN_E(DN_ERR_INTERNAL) ? -3 : -2;
    free(*s);
    *s = out;
    return 0;
}

static int s_list_decode(struct dn_s3_list_page *p)
{
    int rc = 0;
    for (size_t i = 0; i < p->n && !rc; i++)
        rc = s_decode_in_place(&p->items[i].key);
    for (size_t i = 0; i < p->nprefixes && !rc; i++)
        rc = s_decode_in_place(&p->prefixes[i]);
    return rc;
}

static int s_list_end(struct s_walk *w, const char *path, int depth, const char *text, size_t len)
{
    struct s_list *l = w->user;
    struct dn_s3_list_page *p = l->page;
    int rc = 0;
    (void)depth;
    if (!strcmp(path, "ListBucketResult/EncodingType")) {
        l->url_encoded = len == 3 && !strncasecmp(text, "url", 3);
    } else if (!strcmp(path, "ListBucketResult/IsTruncated")) {
        p->truncated = len == 4 && !strncmp(text, "true", 4);
    } else if (!strcmp(path, "ListBucketResult/NextContinuationToken")) {
        free(p->next_token);
        if (!(p->next_token = strndup(text, len)))
            return -3;
    } else if (!strcmp(path, "ListBucketResult/Contents/Key")) {
        free(l->cur.key);
        if (!(l->cur.key = strndup(text, len)))
            rc = -3;
    } else if (!strcmp(path, "ListBucketResult/Contents/Size")) {
        if (!s_parse_u64(text, &l->cur.size))
            return -2;
    } else if (!strcmp(path, "ListBucketResult/Contents/ETag")) {
        s_copy(l->cur.etag, sizeof(l->cur.etag), text, len);
    } else if (!strcmp(path, "ListBucketResult/Contents/LastModified")) {
        s_copy(l->cur.last_modified, sizeof(l->cur.last_modified), text, len);
    } else if (!strcmp(path, "ListBucketResult/Contents")) {
        rc = s_list_push_entry(l);
    } else if (!strcmp(path, "ListBucketResult/CommonPrefixes/Prefix")) {
        char *prefix = strndup(text, len);
        rc = prefix ? s_list_push_prefix(l, prefix) : -3;
    }
    return rc;
}

int dn_s3_xml_parse_list(const char *xml, size_t len, struct dn_s3_list_page *page,
                         struct dn_err *err)
{
    struct s_list l = {.page = page};
    const char *why;
    memset(page, 0, sizeof(*page)); /* overwritten, never freed: it may be uninitialised */
    int rc = s_walk_run(xml, len, s_list_start, s_list_end, &l, &why);
    free(l.cur.key);
    if (rc == 0 && page->truncated && !page->next_token)
        rc = -2, why = "IsTruncated without NextContinuationToken";
    if (rc == 0 && l.url_encoded)
        rc = s_list_decode(page);
    if (rc == 0)
        return 0;
    dn_s3_list_page_clean_up(page);
    if (rc == -3)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    return dn_err_set(err, DN_ERR_NETWORK, "malformed ListObjectsV2 response: %s",
                      rc == -1 ? why : "unexpected content");
}

void dn_s3_list_page_clean_up(struct dn_s3_list_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->n; i++)
        free(page->items[i].key);
    for (size_t i = 0; i < page->nprefixes; i++)
        free(page->prefixes[i]);
    free(page->items);
    free(page->prefixes);
    free(page->next_token);
    memset(page, 0, sizeof(*page));
}

/* --- NotificationConfiguration ------------------------------------------- */

struct s_notify {
    struct dn_s3_notification *n;
    struct dn_s3_queue_config cur;
    struct dn_strbuf before, after;
    long slice_start; /* byte index of the open non-queue element */
    char rule_name[16]; /* of the FilterRule being read: Name comes before Value */
};

static void s_queue_clean_up(struct dn_s3_queue_config *q)
{
    free(q->id);
    free(q->queue_arn);
    for (size_t i = 0; i < q->nevents; i++)
        free(q->events[i]);
    free(q->events);
    free(q->prefix);
    free(q->suffix);
    memset(q, 0, sizeof(*q));
}

void dn_s3_notification_clean_up(struct dn_s3_notification *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nqueues; i++)
        s_queue_clean_up(&n->queues[i]);
    free(n->queues);
    free(n->xml_before);
    free(n->xml_after);
    memset(n, 0, sizeof(*n));
}

static int s_notify_start(struct s_walk *w, const char *path, int depth)
{
    struct s_notify *s = w->user;
    /* moto answers an empty configuration with <GetBucketNotificationResponse/>. */
    if (depth == 1 && strcmp(path, "NotificationConfiguration") && strcmp(path, "GetBucketNotificationResponse"))
        return -2;
    if (depth == 2) {
        s->slice_start = (long)XML_GetCurrentByteIndex(w->parser);
        s_queue_clean_up(&s->cur);
    }
    return 0;
}

static int s_push_str(char ***list, size_t *n, const char *text, size_t len)
{
    char **v = realloc(*list, (*n + 1) * sizeof(**list));
    if (!v)
        return -3;
    *list = v;
    if (!(v[*n] = strndup(text, len)))
        return -3;
    (*n)++;
    return 0;
}

static int s_push_queue(struct dn_s3_notification *n, struct dn_s3_queue_config *q)
{
    if (!q->queue_arn)
        return -2;
    void *v = realloc(n->queues, (n->nqueues + 1) * sizeof(*n->queues));
    if (!v)
        return -3;
    n->queues = v;
    n->queues[n->nqueues++] = *q;
    memset(q, 0, sizeof(*q));
    return 0;
}

static int s_notify_queue_end(struct s_notify *s, const char *leaf, const char *text, size_t len)
{
    struct dn_s3_queue_config *q = &s->cur;
    char **slot = NULL;
    if (!strcmp(leaf, "Id"))
        slot = &q->id;
    else if (!strcmp(leaf, "Queue"))
        slot = &q->queue_arn;
    else if (!strcmp(leaf, "Event"))
        return s_push_str(&q->events, &q->nevents, text, len);
    else if (!strcmp(leaf, "Filter/S3Key/FilterRule/Name"))
        s_copy(s->rule_name, sizeof(s->rule_name), text, len);
    else if (!strcmp(leaf, "Filter/S3Key/FilterRule/Value"))
        slot = !strcasecmp(s->rule_name, "prefix") ? &q->prefix
               : !strcasecmp(s->rule_name, "suffix") ? &q->suffix : NULL;
    if (slot) {
        free(*slot);
        if (!(*slot = strndup(text, len)))
            return -3;
    }
    return 0;
}

static int s_notify_end(struct s_walk *w, const char *path, int depth, const char *text, size_t len)
{
    struct s_notify *s = w->user;
    static const char queue[] = "QueueConfiguration";
    const char *rel = strchr(path, '/'); /* below the root, whatever its name */
    if (!rel)
        return 0;
    rel++;
    if (!strncmp(rel, queue, sizeof(queue) - 1) && (!rel[sizeof(queue) - 1] || rel[sizeof(queue) - 1] == '/')) {
        if (depth == 2)
            return s_push_queue(s->n, &s->cur);
        return s_notify_queue_end(s, rel + sizeof(queue), text, len);
    }
    if (depth != 2)
        return 0;
    /* Any other configuration: keep its exact bytes. */
    long end = (long)XML_GetCurrentByteIndex(w->parser) + XML_GetCurrentByteCount(w->parser);
    if (s->slice_start < 0 || end < s->slice_start)
        return -2;
    bool topic = !strcmp(rel, "TopicConfiguration");
    dn_strbuf_add(topic ? &s->before : &s->after, w->doc + s->slice_start, (size_t)(end - s->slice_start));
    return 0;
}

int dn_s3_xml_parse_notification(const char *xml, size_t len, struct dn_s3_notification *n,
                                 struct dn_err *err)
{
    struct s_notify s = {.n = n, .slice_start = -1};
    const char *why;
    memset(n, 0, sizeof(*n)); /* overwritten, never freed: it may be uninitialised */
    dn_strbuf_init(&s.before);
    dn_strbuf_init(&s.after);
    int rc = s_walk_run(xml, len, s_notify_start, s_notify_end, &s, &why);
    s_queue_clean_up(&s.cur);
    if (!rc && (s.before.oom || s.after.oom))
        rc = -3;
    if (!rc && s.before.len && !(n->xml_before = dn_strbuf_take(&s.before)))
        rc = -3;
    if (!rc && s.after.len && !(n->xml_after = dn_strbuf_take(&s.after)))
        rc = -3;
    dn_strbuf_clean_up(&s.before);
    dn_strbuf_clean_up(&s.after);
    if (!rc)
        return 0;
    dn_s3_notification_clean_up(n);
    if (rc == -3)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    return dn_err_set(err, DN_ERR_NETWORK, "malformed NotificationConfiguration: %s",
                      rc == -1 ? why : "unexpected content");
}

static void s_add_escaped(struct dn_strbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': dn_strbuf_adds(b, "&amp;"); break;
        case '<': dn_strbuf_adds(b, "&lt;"); break;
        case '>': dn_strbuf_adds(b, "&gt;"); break;
        case '"': dn_strbuf_adds(b, "&quot;"); break;
        case '\'': dn_strbuf_adds(b, "&apos;"); break;
        default: dn_strbuf_addc(b, *s);
        }
    }
}

static void s_add_element(struct dn_strbuf *b, const char *name, const char *value)
{
    dn_strbuf_addf(b, "<%s>", name);
    s_add_escaped(b, value);
    dn_strbuf_addf(b, "</%s>", name);
}

static void s_build_queue(struct dn_strbuf *b, const struct dn_s3_queue_config *q)
{
    dn_strbuf_adds(b, "<QueueConfiguration>");
    if (q->id && *q->id)
        s_add_element(b, "Id", q->id);
    s_add_element(b, "Queue", q->queue_arn ? q->queue_arn : "");
    for (size_t i = 0; i < q->nevents; i++)
        s_add_element(b, "Event", q->events[i]);
    if (q->prefix || q->suffix) {
        dn_strbuf_adds(b, "<Filter><S3Key>");
        const char *names[] = {"prefix", "suffix"}, *values[] = {q->prefix, q->suffix};
        for (int i = 0; i < 2; i++) {
            if (!values[i])
                continue;
            dn_strbuf_adds(b, "<FilterRule>");
            s_add_element(b, "Name", names[i]);
            s_add_element(b, "Value", values[i]);
            dn_strbuf_adds(b, "</FilterRule>");
        }
        dn_strbuf_adds(b, "</S3Key></Filter>");
    }
    dn_strbuf_adds(b, "</QueueConfiguration>");
}

int dn_s3_xml_build_notification(const struct dn_s3_notification *n, char **xml,
                                 struct dn_err *err)
{
    struct dn_strbuf b;
    dn_strbuf_init(&b);
    dn_strbuf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    if (n->xml_before)
        dn_strbuf_adds(&b, n->xml_before);
    for (size_t i = 0; i < n->nqueues; i++)
        s_build_queue(&b, &n->queues[i]);
    if (n->xml_after)
        dn_strbuf_adds(&b, n->xml_after);
    dn_strbuf_adds(&b, "</NotificationConfiguration>");
    if (!(*xml = dn_strbuf_take(&b)))
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    return 0;
}

static char *s_dup_opt(const char *s, bool *oom)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *oom = true;
    return d;
}

int dn_s3_notification_upsert_queue(struct dn_s3_notification *n, const struct dn_s3_queue_config *q,
                                    struct dn_err *err)
{
    bool oom = false;
    struct dn_s3_queue_config copy = {
        .id = s_dup_opt(q->id, &oom), .queue_arn = s_dup_opt(q->queue_arn, &oom),
        .prefix = s_dup_opt(q->prefix, &oom), .suffix = s_dup_opt(q->suffix, &oom),
    };
    for (size_t i = 0; i < q->nevents && !oom; i++)
        oom = s_push_str(&copy.events, &copy.nevents, q->events[i], strlen(q->events[i])) != 0;
    size_t at = n->nqueues;
    for (size_t i = 0; i < n->nqueues; i++) {
        const struct dn_s3_queue_config *old = &n->queues[i];
        bool same = q->id && *q->id ? old->id && !strcmp(old->id, q->id)
                                    : old->queue_arn && q->queue_arn && !strcmp(old->queue_arn, q->queue_arn);
        if (same) {
            at = i;
            break;
        }
    }
    if (!oom && at == n->nqueues) {
        void *v = realloc(n->queues, (n->nqueues + 1) * sizeof(*n->queues));
        if (v) {
            n->queues = v;
            memset(&n->queues[n->nqueues++], 0, sizeof(*n->queues));
        }
        oom = !v;
    }
    if (oom) {
        s_queue_clean_up(&copy);
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    }
    s_queue_clean_up(&n->queues[at]);
    n->queues[at] = copy;
    return 0;
}
