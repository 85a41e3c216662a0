/* sigv4.c — AWS Signature Version 4 (see include/dancer/sigv4.h).
 *
 * Steps, as the spec names them:
 *   1. canonical request: METHOD \n URI \n QUERY \n HEADERS \n \n SIGNED \n PAYLOAD_HASH
 *   2. string to sign:    AWS4-HMAC-SHA256 \n DATE \n SCOPE \n hex(sha256(step 1))
 *   3. signing key:       HMAC chain "AWS4"+secret -> date -> region -> service -> aws4_request
 *   4. signature:         hex(HMAC(key, step 2))
 */
#include "dancer/sigv4.h"

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

/* ASCII classes spelled out: <ctype.h> answers by locale, and a Latin-1
 * locale would call 0xE9 alphanumeric and leave it unencoded. */
static bool s_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool s_unreserved(unsigned char c)
{
    return s_alnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static int s_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
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
        if (in[i] == '%' && i + 2 < len && s_hexval(in[i + 1]) >= 0 && s_hexval(in[i + 2]) >= 0) {
            dn_strbuf_addc(b, (char)(s_hexval(in[i + 1]) * 16 + s_hexval(in[i + 2])));
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

/* SigV4's Trimall: whitespace at both ends dropped, inner runs become one
 * space. "Whitespace" includes CR/LF so a folded (obs-fold, multi-line)
 * value canonicalises as the suite's get-header-value-multiline requires,
 * and matches botocore's ' '.join(value.split()) for ASCII input. */
static bool s_hspace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static char *s_trim_value(const char *v)
{
    struct dn_strbuf b;
    dn_strbuf_init(&b);
    while (s_hspace(*v))
        v++;
    for (; *v; v++) {
        bool space = s_hspace(*v);
        if (space && (s_hspace(v[1]) || v[1] == '\0'))
            continue;
        dn_strbuf_addc(&b, space ? ' ' : *v);
    }
    return dn_strbuf_take(&b);
}

static char *s_lower(const char *s)
{
    char *out = strdup(s);
    for (char *p = out; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

/* Names the signer sets itself (from the signing time, the payload hash and
 * the credentials); a caller passing one too would sign it twice. */
static bool s_signer_owned(const char *lname)
{
    return !strcmp(lname, "x-amz-date") || !strcmp(lname, "x-amz-content-sha256") ||
           !strcmp(lname, "x-amz-security-token") || !strcmp(lname, "authorization");
}

/* Lower-cased, trimmed copies of the caller's headers then the signer's,
 * sorted by name; the sort is stable so repeats keep the order given, which
 * the spec says their joined value must keep (get-header-value-order).
 * Returns 0, -1 (OOM), -2 (no host), -3 (caller set a signer-owned header). */
static int s_collect_headers(const struct dn_sigv4_request *req,
                             const struct dn_sigv4_header *extra, size_t nextra,
                             struct s_header *h)
{
    size_t total = req->nheaders + nextra;
    bool have_host = false;
    int rc = 0;
    for (size_t i = 0; i < total; i++) {
        bool own = i >= req->nheaders;
        const struct dn_sigv4_header *src = own ? &extra[i - req->nheaders] : &req->headers[i];
        h[i].name = s_lower(src->name);
        h[i].value = s_trim_value(src->value);
        if (!h[i].name || !h[i].value)
            return -1;
        if (!own && s_signer_owned(h[i].name))
            rc = -3;
        have_host |= !strcmp(h[i].name, "host");
    }
    for (size_t i = 1; i < total; i++)
        for (size_t j = i; j > 0 && s_header_cmp(&h[j - 1], &h[j]) > 0; j--) {
            struct s_header t = h[j];
            h[j] = h[j - 1];
            h[j - 1] = t;
        }
    return rc ? rc : have_host ? 0 : -2;
}

/* Canonical headers block ("name:value\n" each, repeats joined with ',')
 * and the signed-headers list ("a;b;c"). Returns as s_collect_headers. */
static int s_canonical_headers(const struct dn_sigv4_header *extra, size_t nextra,
                               const struct dn_sigv4_request *req, struct dn_strbuf *block,
                               struct dn_strbuf *signed_list)
{
    size_t n = req->nheaders + nextra;
    struct s_header *h = calloc(n, sizeof(*h));
    if (!h)
        return -1;
    int rc = s_collect_headers(req, extra, nextra, h);
    for (size_t i = 0; !rc && i < n; i++) {
        if (i && !strcmp(h[i].name, h[i - 1].name)) {
            dn_strbuf_addf(block, ",%s", h[i].value);
            continue;
        }
        dn_strbuf_addf(block, "%s%s:%s", i ? "\n" : "", h[i].name, h[i].value);
        dn_strbuf_addf(signed_list, "%s%s", i ? ";" : "", h[i].name);
    }
    dn_strbuf_addc(block, '\n');
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
    else if (hrc == -3)
        rc = dn_err_set(err, DN_ERR_INTERNAL,
                        "SigV4: caller passed a header the signer sets (x-amz-date, "
                        "x-amz-content-sha256, x-amz-security-token, authorization)");
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
    OPENSSL_cleanse(key, sizeof(key));
    int n = snprintf(out->authorization, sizeof(out->authorization),
                     "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                     "Signature=%s",
                     creds->access_key_id, date8, req->region, req->service, signed_headers,
                     sig_hex);
    if (n < 0 || (size_t)n >= sizeof(out->authorization))
        rc = dn_err_set(err, DN_ERR_INTERNAL, "SigV4: Authorization header longer than %zu bytes",
                        sizeof(out->authorization) - 1);
cleanup:
    free(canonical);
    free(signed_headers);
    free(sts);
    return rc;
}
