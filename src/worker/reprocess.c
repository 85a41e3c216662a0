/* reprocess.c — `dancer reprocess s3://bucket/prefix/`: list, skip what is
 * up to date, then analyse here in batches or enqueue for the fleet. */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dancer/log.h"
#include "worker_internal.h"

struct s_obj {
    char *key;
    uint64_t size;
    char etag[DN_S3_ETAG_MAX]; /* normalised */
};

struct s_list {
    const char *suffix;
    struct s_obj *items;
    size_t n, cap;
    bool oom;
};

static bool s_has_suffix(const char *key, const char *suffix)
{
    size_t k = strlen(key), s = strlen(suffix);
    return k >= s && !strcasecmp(key + k - s, suffix);
}

static int s_on_entry(const struct dn_s3_list_entry *e, void *user)
{
    struct s_list *l = user;
    if (!s_has_suffix(e->key, l->suffix))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct s_obj *grown = realloc(l->items, cap * sizeof(*grown));
        if (!grown)
            return l->oom = true, 1;
        l->items = grown;
        l->cap = cap;
    }
    struct s_obj *o = &l->items[l->n];
    if (!(o->key = strdup(e->key)))
        return l->oom = true, 1;
    o->size = e->size;
    dn_worker_etag_normalize(e->etag, o->etag, sizeof(o->etag));
    l->n++;
    return 0;
}

static void s_list_clean_up(struct s_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].key);
    free(l->items);
}

/* ---- the event body --enqueue sends ------------------------------------ */

/* Form-URL encoding, as S3 writes keys into events ('/' kept, ' ' as '+'). */
static char *s_key_encode(const char *key)
{
    static const char hex[] = "0123456789ABCDEF";
    struct dn_strbuf b;
    dn_strbuf_init(&b);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~/", *p)) {
            dn_strbuf_addc(&b, (char)*p);
        } else if (*p == ' ') {
            dn_strbuf_addc(&b, '+');
        } else {
            dn_strbuf_addc(&b, '%');
            dn_strbuf_addc(&b, hex[*p >> 4]);
            dn_strbuf_addc(&b, hex[*p & 15]);
        }
    }
    return dn_strbuf_take(&b);
}

char *dn_reprocess_event_body(const char *bucket, const char *key, uint64_t size,
                              const char *etag, bool force)
{
    char when[40], arn[512];
    char *ekey = s_key_encode(key);
    cJSON *doc = cJSON_CreateObject(), *records = cJSON_AddArrayToObject(doc, "Records");
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToArray(records, r);
    dn_log_timestamp(when, sizeof(when));
    snprintf(arn, sizeof(arn), "arn:aws:s3:::%s", bucket);
    cJSON_AddStringToObject(r, "eventVersion", "2.1");
    cJSON_AddStringToObject(r, "eventSource", "aws:s3");
    cJSON_AddStringToObject(r, "eventTime", when);
    cJSON_AddStringToObject(r, "eventName", "ObjectCreated:Reprocess");
    cJSON *s3 = cJSON_AddObjectToObject(r, "s3");
    cJSON_AddStringToObject(s3, "s3SchemaVersion", "1.0");
    cJSON_AddStringToObject(s3, "configurationId", "dancer-reprocess");
    cJSON *b = cJSON_AddObjectToObject(s3, "bucket");
    cJSON_AddStringToObject(b, "name", bucket);
    cJSON_AddStringToObject(b, "arn", arn);
    cJSON *o = cJSON_AddObjectToObject(s3, "object");
    cJSON_AddStringToObject(o, "key", ekey ? ekey : "");
    cJSON_AddNumberToObject(o, "size", (double)size);
    cJSON_AddStringToObject(o, "eTag", etag ? etag : "");
    if (force) /* the event parser's batch.force */
        cJSON_AddTrueToObject(doc, "dancerForce");
    char *body = ekey ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    free(ekey);
    return body;
}

/* ---- progress ------------------------------------------------------------ */

struct s_progress {
    const struct dn_reprocess_options *opt;
    uint64_t total, done;
    double t0;
    pthread_mutex_t lock;
};

static void s_progress(struct s_progress *p, const char *what, const char *key,
                       const char *detail)
{
    pthread_mutex_lock(&p->lock);
    p->done++;
    double el = dn_worker_now() - p->t0, rate = el > 0 ? p->done / el : 0;
    double eta = rate > 0 ? (p->total - p->done) / rate : 0;
    FILE *out = p->opt->out;
    if (p->opt->progress_bar) {
        int width = 30, fill = p->total ? (int)(width * p->done / p->total) : width;
        fprintf(out, "\r[%.*s%*s] %llu/%llu  %.2f videos/s  ETA %d:%02d ", fill,
                "##############################", width - fill, "",
                (unsigned long long)p->done, (unsigned long long)p->total, rate,
                (int)(eta / 60), (int)eta % 60);
        if (p->done == p->total)
            fputc('\n', out);
    } else {
        fprintf(out, "[%llu/%llu] %s %s%s%s\n", (unsigned long long)p->done,
                (unsigned long long)p->total, what, key, detail ? ": " : "", detail ? detail : "");
    }
    fflush(out);
    pthread_mutex_unlock(&p->lock);
}

/* ---- one local batch ----------------------------------------------------- */

#define S_BATCH_MAX 64

struct s_local {
    const struct dn_config *cfg;
    struct dn_worker_aws *aws;
    struct s_progress *p;
    struct dn_reprocess_stats *st;
    struct s_obj **objs;      /* of this batch */
    struct dn_analysis_job *jobs;
    bool seen[S_BATCH_MAX];   /* under p->lock */
};

static void s_count(struct s_local *l, size_t i, const char *what, const char *detail)
{
    char uri[2048];
    pthread_mutex_lock(&l->p->lock);
    l->seen[i] = true;
    if (!strcmp(what, "ok"))
        l->st->ok++;
    else if (!strcmp(what, "error"))
        l->st->failed++;
    else
        l->st->retry++;
    pthread_mutex_unlock(&l->p->lock);
    snprintf(uri, sizeof(uri), "s3://%s/%s", l->jobs[i].bucket, l->objs[i]->key);
    s_progress(l->p, what, uri, detail);
}

/* Writes the result or error result as each job finishes (the S3 client is
 * thread-safe; done may run on any analyzer thread). */
static void s_local_done(size_t i, cJSON *doc, const struct dn_err *error, void *user)
{
    struct s_local *l = user;
    struct s_obj *o = l->objs[i];
    struct dn_err err = {0};
    char rbucket[DN_CFG_STR];
    char *rkey = NULL;
    bool failed = error && error->cls, permanent = failed && dn_worker_permanent(error->cls);
    int rc = 0;
    if (!failed || permanent) {
        if (!doc && permanent)
            doc = dn_worker_error_doc(l->jobs[i].bucket, o->key, o->etag, o->size, error);
        rc = dn_worker_result_location(l->cfg, l->jobs[i].bucket, o->key, rbucket,
                                       sizeof(rbucket), &rkey, &err);
        if (!rc)
            rc = doc ? dn_worker_result_put(l->aws->s3, rbucket, rkey, doc,
                                            dn_worker_doc_etag(doc, o->etag), &err)
                     : dn_err_set(&err, DN_ERR_INTERNAL, "no result document");
    }
    if (rc)
        s_count(l, i, "retry", err.msg);
    else if (failed)
        s_count(l, i, permanent ? "error" : "retry", error->msg);
    else
        s_count(l, i, "ok", NULL);
    free(rkey);
    cJSON_Delete(doc);
}

static int s_local_batch(struct s_local *l, struct dn_analyzer *an, const char *bucket,
                         struct s_obj **objs, size_t n, const struct dn_analysis_cancel *cancel,
                         struct dn_err *err)
{
    struct dn_analysis_job jobs[S_BATCH_MAX];
    for (size_t i = 0; i < n; i++) {
        jobs[i] = (struct dn_analysis_job){bucket, objs[i]->key, objs[i]->etag, objs[i]->size};
        l->seen[i] = false;
    }
    l->objs = objs;
    l->jobs = jobs;
    int rc = an->analyze(an, jobs, n, cancel, s_local_done, l, err);
    for (size_t i = 0; i < n; i++)
        if (!l->seen[i]) /* analyze() is over: no callback can race now */
            s_count(l, i, "retry", rc ? err->msg : "the analyzer gave no result");
    return rc;
}

/* ---- planning ------------------------------------------------------------ */

/* Lists the prefix and picks the uploads to do into *todo (pointers into l). */
static int s_plan(const struct dn_config *cfg, const struct dn_reprocess_options *opt,
                  struct dn_worker_aws *aws, struct s_list *l, struct s_obj ***todo,
                  struct dn_reprocess_stats *st, struct dn_err *err)
{
    bool warned = false;
    l->suffix = cfg->s3_suffix;
    int rc = dn_s3_list_each(aws->s3, opt->bucket, opt->prefix, NULL, s_on_entry, l, err);
    if (l->oom)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory listing s3://%s/%s", opt->bucket,
                          opt->prefix);
    if (rc)
        return rc;
    st->listed = l->n;
    if (!(*todo = calloc(l->n ? l->n : 1, sizeof(**todo))))
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    for (size_t i = 0; i < l->n; i++) {
        struct s_obj *o = &l->items[i];
        enum dn_result_state state = DN_RESULT_ABSENT;
        char rbucket[DN_CFG_STR], *rkey = NULL;
        struct dn_err e = {0};
        if (!opt->force &&
            !(rc = dn_worker_result_location(cfg, opt->bucket, o->key, rbucket, sizeof(rbucket),
                                             &rkey, &e)))
            rc = dn_worker_result_state(aws->s3, rbucket, rkey, o->etag, &state, &e);
        free(rkey);
        if (rc == DN_E(DN_ERR_CONFIG))
            return *err = e, rc;
        if (rc && !warned) /* unreadable results: doing it again is the safe side */
            dn_logf(DN_LOG_WARN, "cannot check existing results (%s); they are redone", e.msg);
        warned |= rc != 0;
        rc = 0;
        if (state == DN_RESULT_CURRENT)
            st->current++;
        else
            (*todo)[st->todo++] = o;
    }
    return 0;
}

/* ---- enqueue ------------------------------------------------------------- */

static int s_enqueue(const struct dn_config *cfg, const struct dn_reprocess_options *opt,
                     struct dn_worker_aws *aws, struct s_obj **todo, size_t n,
                     struct s_progress *p, struct dn_reprocess_stats *st, struct dn_err *err)
{
    char url[DN_CFG_URL], ids[DN_SQS_BATCH_MAX][24];
    int rc = dn_worker_queue_url(cfg, aws->sqs, url, sizeof(url), err);
    for (size_t i = 0; !rc && i < n; i += DN_SQS_BATCH_MAX) {
        struct dn_sqs_entry e[DN_SQS_BATCH_MAX];
        struct dn_sqs_batch_result res = {0};
        size_t k = n - i < DN_SQS_BATCH_MAX ? n - i : DN_SQS_BATCH_MAX;
        for (size_t j = 0; j < k; j++) {
            snprintf(ids[j], sizeof(ids[j]), "r%zu", j);
            e[j] = (struct dn_sqs_entry){.id = ids[j]};
            if (!(e[j].body = dn_reprocess_event_body(opt->bucket, todo[i + j]->key, todo[i + j]->size,
                                                      todo[i + j]->etag, opt->force)))
                rc = dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
        }
        if (!rc)
            rc = dn_sqs_send_batch(aws->sqs, url, e, k, &res, err);
        for (size_t j = 0; !rc && j < k; j++) {
            char uri[2048];
            snprintf(uri, sizeof(uri), "s3://%s/%s", opt->bucket, todo[i + j]->key);
            st->enqueued += res.entries[j].ok;
            s_progress(p, res.entries[j].ok ? "enqueued" : "not enqueued", uri,
                       res.entries[j].ok ? NULL : res.entries[j].message);
        }
        for (size_t j = 0; j < k; j++)
            free((char *)e[j].body);
    }
    if (!rc && st->enqueued < n)
        rc = dn_err_set(err, DN_ERR_NETWORK, "%llu of %zu messages were not sent; run again",
                        (unsigned long long)(n - st->enqueued), n);
    return rc;
}

/* ---- local --------------------------------------------------------------- */

static int s_local(const struct dn_config *cfg, const struct dn_reprocess_options *opt,
                   struct dn_worker_aws *aws, struct dn_analyzer *an, struct s_obj **todo,
                   size_t n, struct s_progress *p, struct dn_reprocess_stats *st,
                   struct dn_err *err)
{
    struct s_local l = {.cfg = cfg, .aws = aws, .p = p, .st = st};
    struct dn_analysis_cancel cancel;
    size_t batch = opt->batch < 1 ? 1 : opt->batch > S_BATCH_MAX ? S_BATCH_MAX : (size_t)opt->batch;
    int rc = 0;
    dn_analysis_cancel_init(&cancel);
    dn_worker_signals_install_cancel(&cancel); /* Ctrl-C: stop; a re-run resumes */
    for (size_t i = 0; !rc && i < n && !atomic_load(&cancel.flag); i += batch)
        rc = s_local_batch(&l, an, opt->bucket, todo + i, n - i < batch ? n - i : batch,
                           &cancel, err);
    dn_worker_signals_restore();
    if (!rc && atomic_load(&cancel.flag))
        rc = dn_err_set(err, DN_ERR_CANCELLED, "interrupted; run again to continue");
    if (!rc && st->retry)
        rc = dn_err_set(err, DN_ERR_NETWORK, "%llu uploads failed transiently; run again to "
                        "retry them", (unsigned long long)st->retry);
    return rc;
}

int dn_reprocess_run(const struct dn_config *cfg, const struct dn_reprocess_options *opt,
                     struct dn_worker_aws *aws, struct dn_analyzer *analyzer,
                     struct dn_reprocess_stats *stats, struct dn_err *err)
{
    struct s_list l = {0};
    struct s_obj **todo = NULL;
    struct dn_reprocess_stats st = {0};
    struct s_progress p = {.opt = opt, .t0 = dn_worker_now()};
    pthread_mutex_init(&p.lock, NULL);
    int rc = s_plan(cfg, opt, aws, &l, &todo, &st, err);
    if (rc)
        goto cleanup;
    fprintf(opt->out, "s3://%s/%s: %llu uploads, %llu with a current result, %llu to %s\n",
            opt->bucket, opt->prefix, (unsigned long long)st.listed,
            (unsigned long long)st.current, (unsigned long long)st.todo,
            opt->enqueue ? "enqueue" : "analyse");
    p.total = st.todo;
    if (opt->dry_run) {
        for (size_t i = 0; i < st.todo; i++)
            fprintf(opt->out, "would %s s3://%s/%s\n", opt->enqueue ? "enqueue" : "analyse",
                    opt->bucket, todo[i]->key);
    } else if (opt->enqueue) {
        rc = s_enqueue(cfg, opt, aws, todo, st.todo, &p, &st, err);
    } else if (st.todo) {
        rc = analyzer ? s_local(cfg, opt, aws, analyzer, todo, st.todo, &p, &st, err)
                      : dn_err_set(err, DN_ERR_INTERNAL, "no analyzer");
    }
    if (!opt->dry_run)
        fprintf(opt->out, "done: %llu results, %llu error results, %llu to retry, %llu enqueued, "
                "%llu already current\n", (unsigned long long)st.ok,
                (unsigned long long)st.failed, (unsigned long long)st.retry,
                (unsigned long long)st.enqueued, (unsigned long long)st.current);
cleanup:
    if (stats)
        *stats = st;
    free(todo);
    s_list_clean_up(&l);
    pthread_mutex_destroy(&p.lock);
    return rc;
}
