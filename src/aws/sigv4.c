/* sigv4.c — AWS Signature Version 4 (see include/dancer/sigv4.h).
 *
 * Steps, as the spec names them:
 *   1. canonical request: METHOD \n URI \n QUERY \n HEADERS \n \n SIGNED \n PAYLOAD_HASH
 *   2. string to sign:    AWS4-HMAC-SHA256 \n DATE \n SCOPE \n hex(sha256(step 1))
 *   3. signing key:       HMAC chain "AWS4"+secret -> date -> region -> service -> aws4_request
 *   4. signature:         hex(HMAC(key, step 2))
 */
#include "dancer/sigv4.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dancer/creds.h"
#include "dancer/strbuf.h"

static const char s_hex[] = "0123456789abcdef";

static void s_to_hex(const unsigned char *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = s_hex[in[i] >> 4];
        out[2 * i + 1] = s_hex[in[i] & 15];
    }
    out[2 * len] = '\0';
}

void dn_sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    s_to_hex(md, 32, hex);
}

static void s_hmac(const unsigned char *key, size_t keylen, const char *msg, unsigned char out[32])
{
    unsigned int outlen = 32;
    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out, &outlen);
}

void dn_sigv4_amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static bool s_unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static void s_encode_into(struct dn_strbuf *b, const char *in, size_t len, bool keep_slash)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (s_unreserved(c) || (keep_slash && c == '/'))
            dn_strbuf_addc(b, (char)c);
        else
            dn_strbuf_addf(b, "%%%02X", c);
    }
}

char *dn_sigv4_uri_encode(const char *in, bool keep_slash)
{
    struct dn_strbuf b;
    dn_strbuf_init(&b);
    s_encode_into(&b, in, strlen(in), keep_slash);
    return dn_strbuf_take(&b);
}

/* Percent-decodes in[0..len) into b; malformed escapes are kept verbatim. */
static void s_decode_into(struct dn_strbuf *b, const char *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '%' && i + 2 < len && isxdigit((unsigned char)in[i + 1]) &&
            isxdigit((unsigned char)in[i + 2])) {
            char hex[3] = {in[i + 1], in[i + 2], 0};
            dn_strbuf_addc(b, (char)strtol(hex, NULL, 16));
            i += 2;
        } else {
            dn_strbuf_addc(b, in[i]);
        }
    }
}

/* Canonical URI. S3: the wire path as is. Others: dot segments removed
 * (RFC 3986 §5.2.4), then every segment encoded again — the spec's "double
 * encoding", since the wire path is already encoded once. */
static void s_canonical_path(struct dn_strbuf *b, const char *path, bool s3_rules)
{
    if (!path || !*path) {
        dn_strbuf_addc(b, '/');
        return;
    }
    if (s3_rules) {
        dn_strbuf_adds(b, path);
        return;
    }
    size_t n = strlen(path), nseg = 0;
    const char **seg = calloc(n + 1, sizeof(*seg));
    size_t *seglen = calloc(n + 1, sizeof(*seglen));
    if (!seg || !seglen) {
        b->oom = true;
        goto cleanup;
    }
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 2 && !strncmp(p, "..", 2)) {
            if (nseg)
                nseg--;
        } else if (len && !(len == 1 && *p == '.')) {
            seg[nseg] = p;
            seglen[nseg++] = len;
        }
        p += len;
    }
    for (size_t i = 0; i < nseg; i++) {
        dn_strbuf_addc(b, '/');
        s_encode_into(b, seg[i], seglen[i], false);
    }
    if (nseg == 0 || path[n - 1] == '/')
        dn_strbuf_addc(b, '/');
cleanup:
    free(seg);
    free(seglen);
}

struct s_pair {
    char *name, *value; /* canonical (encoded) forms */
};

static int s_pair_cmp(const void *a, const void *b)
{
    const struct s_pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* Encodes one decoded query component canonically. */
static char *s_canon_component(const char *wire, size_t len)
{
    struct dn_strbuf dec, enc;
    dn_strbuf_init(&dec);
    dn_strbuf_init(&enc);
    s_decode_into(&dec, wire, len);
    s_encode_into(&enc, dn_strbuf_str(&dec), dec.len, false);
    bool oom = dec.oom;
    dn_strbuf_clean_up(&dec);
    if (oom)
        enc.oom = true;
    return dn_strbuf_take(&enc);
}

/* Canonical query: each name and value decoded then strictly re-encoded,
 * sorted by name then value, joined with '&'; "name" alone means "name=". */
static void s_canonical_query(struct dn_strbuf *b, const char *query)
{
    if (!query || !*query)
        return;
    size_t cap = 1, n = 0;
    for (const char *p = query; *p; p++)
        cap += *p == '&';
    struct s_pair *pairs = calloc(cap, sizeof(*pairs));
    if (!pairs) {
        b->oom = true;
        return;
    }
    for (const char *p = query; *p;) {
        size_t len = strcspn(p, "&");
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t nlen = eq ? (size_t)(eq - p) : len;
            pairs[n].name = s_canon_component(p, nlen);
            pairs[n].value = eq ? s_canon_component(eq + 1, len - nlen - 1) : strdup("");
            if (!pairs[n].name || !pairs[n].value)
                b->oom = true;
            n++;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    if (!b->oom)
        qsort(pairs, n, sizeof(*pairs), s_pair_cmp);
    for (size_t i = 0; i < n; i++) {
        if (!b->oom)
            dn_strbuf_addf(b, "%s%s=%s", i ? "&" : "", pairs[i].name, pairs[i].value);
        free(pairs[i].name);
        free(pairs[i].value);
    }
    free(pairs);
}

struct s_header {
    char *name;  /* lower-case */
    char *value; /* trimmed, inner runs of spaces collapsed */
};

static int s_header_cmp(const void *a, const void *b)
{
    return strcmp(((const struct s_header *)a)->name, ((const struct s_header *)b)->name);
}

static char *s_trim_value(const char *v)
{
    struct dn_strbuf b;
    dn_strbuf_init(&b);
    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v; v++) {
        bool space = *v == ' ' || *v == '\t';
        if (space && (v[1] == ' ' || v[1] == '\t' || v[1] == '\0'))
            continue;
        dn_strbuf_addc(&b, space ? ' ' : *v);
    }
    return dn_strbuf_take(&b);
}

static char *s_lower(const char *s)
{
    char *out = strdup(s);
    for (char *p = out; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

/* Canonical headers block and signed-headers list. Repeated names are joined
 * with ',' in the order given, as the spec says. */
static int s_canonical_headers(const struct dn_sigv4_header *extra, size_t nextra,
                               const struct dn_sigv4_request *req, struct dn_strbuf *block,
                               struct dn_strbuf *signed_list)
{
    size_t total = req->nheaders + nextra, n = 0;
    struct s_header *h = calloc(total ? total : 1, sizeof(*h));
    bool have_host = false;
    int rc = 0;
    if (!h)
        return -1;
    for (size_t i = 0; i < total; i++) {
        const struct dn_sigv4_header *src = i < req->nheaders ? &req->headers[i] : &extra[i - req->nheaders];
        h[n].name = s_lower(src->name);
        h[n].value = s_trim_value(src->value);
        if (!h[n].name || !h[n].value)
            rc = -1;
        else if (!strcmp(h[n].name, "host"))
            have_host = true;
        n++;
    }
    if (!rc && !have_host)
        rc = -2;
    if (!rc) {
        /* Stable order for equal names keeps the given order of repeats. */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && s_header_cmp(&h[j - 1], &h[j]) > 0; j--) {
                struct s_header t = h[j];
                h[j] = h[j - 1];
                h[j - 1] = t;
            }
        for (size_t i = 0; i < n; i++) {
            bool repeat = i && !strcmp(h[i].name, h[i - 1].name);
            if (repeat) {
                dn_strbuf_addf(block, ",%s", h[i].value);
                continue;
            }
            if (i)
                dn_strbuf_addc(block, '\n');
            dn_strbuf_addf(block, "%s:%s", h[i].name, h[i].value);
            dn_strbuf_addf(signed_list, "%s%s", i ? ";" : "", h[i].name);
        }
        dn_strbuf_addc(block, '\n');
    }
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
    return rc;
}

/* Headers the signer adds: x-amz-date, x-amz-content-sha256 (S3),
 * x-amz-security-token (temporary credentials). */
static size_t s_extra_headers(const struct dn_sigv4_request *req, const char *amz_date,
                              const char *session_token, struct dn_sigv4_header extra[3])
{
    size_t n = 0;
    extra[n++] = (struct dn_sigv4_header){"x-amz-date", amz_date};
    if (req->s3_rules)
        extra[n++] = (struct dn_sigv4_header){"x-amz-content-sha256", req->payload_hash};
    if (session_token && *session_token)
        extra[n++] = (struct dn_sigv4_header){"x-amz-security-token", session_token};
    return n;
}

int dn_sigv4_canonical_request(const struct dn_sigv4_request *req, const char *amz_date,
                               const char *session_token, char **canonical,
                               char **signed_headers, struct dn_err *err)
{
    struct dn_strbuf b, headers, list;
    struct dn_sigv4_header extra[3];
    size_t nextra = s_extra_headers(req, amz_date, session_token, extra);
    dn_strbuf_init(&b);
    dn_strbuf_init(&headers);
    dn_strbuf_init(&list);
    *canonical = *signed_headers = NULL;

    int hrc = s_canonical_headers(extra, nextra, req, &headers, &list);
    dn_strbuf_adds(&b, req->method);
    dn_strbuf_addc(&b, '\n');
    s_canonical_path(&b, req->path, req->s3_rules);
    dn_strbuf_addc(&b, '\n');
    s_canonical_query(&b, req->query);
    dn_strbuf_addc(&b, '\n');
    dn_strbuf_add(&b, dn_strbuf_str(&headers), headers.len);
    dn_strbuf_addc(&b, '\n');
    dn_strbuf_add(&b, dn_strbuf_str(&list), list.len);
    dn_strbuf_addc(&b, '\n');
    dn_strbuf_adds(&b, req->payload_hash);

    int rc = 0;
    if (hrc == -2)
        rc = dn_err_set(err, DN_ERR_INTERNAL, "SigV4: request has no host header");
    else if (hrc || b.oom || headers.oom || list.oom)
        rc = dn_err_set(err, DN_ERR_INTERNAL, "SigV4: out of memory");
    if (!rc) {
        *canonical = dn_strbuf_take(&b);
        *signed_headers = dn_strbuf_take(&list);
        if (!*canonical || !*signed_headers) {
            free(*canonical);
            free(*signed_headers);
            *canonical = *signed_headers = NULL;
            rc = dn_err_set(err, DN_ERR_INTERNAL, "SigV4: out of memory");
        }
    }
    dn_strbuf_clean_up(&b);
    dn_strbuf_clean_up(&headers);
    dn_strbuf_clean_up(&list);
    return rc;
}

char *dn_sigv4_string_to_sign(const char *canonical, const char *amz_date, const char *region,
                              const char *service)
{
    char hash[65];
    struct dn_strbuf b;
    dn_sigv4_sha256_hex(canonical, strlen(canonical), hash);
    dn_strbuf_init(&b);
    dn_strbuf_addf(&b, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", amz_date, amz_date,
                   region, service, hash);
    return dn_strbuf_take(&b);
}

void dn_sigv4_signing_key(const char *secret, const char *date8, const char *region,
                          const char *service, unsigned char key[32])
{
    char seed[300];
    unsigned char k1[32], k2[32], k3[32];
    int n = snprintf(seed, sizeof(seed), "AWS4%s", secret);
    s_hmac((const unsigned char *)seed, (size_t)n, date8, k1);
    s_hmac(k1, 32, region, k2);
    s_hmac(k2, 32, service, k3);
    s_hmac(k3, 32, "aws4_request", key);
    /* Don't leave key material on the stack. */
    OPENSSL_cleanse(seed, sizeof(seed));
    OPENSSL_cleanse(k1, 32);
    OPENSSL_cleanse(k2, 32);
    OPENSSL_cleanse(k3, 32);
}

int dn_sigv4_sign(const struct dn_sigv4_request *req, const struct dn_creds *creds,
                  struct dn_sigv4_signed *out, struct dn_err *err)
{
    char *canonical = NULL, *signed_headers = NULL, *sts = NULL;
    char date8[9], sig_hex[65];
    unsigned char key[32], sig[32];
    memset(out, 0, sizeof(*out));
    dn_sigv4_amz_date(req->time, out->amz_date);
    if (req->s3_rules)
        snprintf(out->content_sha256, sizeof(out->content_sha256), "%s", req->payload_hash);

    int rc = dn_sigv4_canonical_request(req, out->amz_date, creds->session_token, &canonical,
                                        &signed_headers, err);
    if (rc)
        goto cleanup;
    sts = dn_sigv4_string_to_sign(canonical, out->amz_date, req->region, req->service);
    if (!sts) {
        rc = dn_err_set(err, DN_ERR_INTERNAL, "SigV4: out of memory");
        goto cleanup;
    }
    memcpy(date8, out->amz_date, 8);
    date8[8] = '\0';
    dn_sigv4_signing_key(creds->secret_access_key, date8, req->region, req->service, key);
    s_hmac(key, 32, sts, sig);
    s_to_hex(sig, 32, sig_hex);
    snprintf(out->authorization, sizeof(out->authorization),
             "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
             creds->access_key_id, date8, req->region, req->service, signed_headers, sig_hex);
    OPENSSL_cleanse(key, sizeof(key));
cleanup:
    free(canonical);
    free(signed_headers);
    free(sts);
    return rc;
}
