/* test_analyzer.c — the worker tests' analyzer (see test_analyzer.h). */
#include "test_analyzer.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "dancer/config.h"
#include "dancer/media.h"
#include "dancer/result.h"
#include "dancer/s3.h"

struct s_analyzer {
    struct dn_analyzer base;
    struct dn_s3_client *s3;
    struct dn_config cfg;
    long delay_ms;
    char log_path[1024];
};

struct s_task {
    struct s_analyzer *a;
    const struct dn_analysis_job *job;
    const struct dn_analysis_cancel *cancel;
    size_t index;
    dn_analysis_done_fn *done;
    void *user;
    pthread_t thread;
    bool started;
};

/* Sleeps ms in slices, stopping early on cancel. */
static int s_delay(long ms, const struct dn_analysis_cancel *cancel, struct dn_err *err)
{
    for (long slept = 0; slept < ms; slept += 20) {
        if (atomic_load(&cancel->flag))
            return dn_err_set(err, DN_ERR_CANCELLED, "cancelled during the test delay");
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    }
    return 0;
}

static void s_log_analysis(struct s_analyzer *a, const struct dn_analysis_job *job,
                           const char *etag)
{
    if (!a->log_path[0])
        return;
    int fd = open(a->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return;
    char line[2048];
    int n = snprintf(line, sizeof(line), "%s %s %s\n", job->bucket, job->key, etag);
    flock(fd, LOCK_EX); /* several worker processes append to one file */
    if (write(fd, line, (size_t)n) != n)
        perror("test analyzer log");
    flock(fd, LOCK_UN);
    close(fd);
}

/* Head (metadata, ETag), delay, then stream and decode every frame through
 * the media stage's S3 source (ranged GETs, If-Match on the ETag). */
static int s_analyze_one(struct s_task *t, struct dn_video_info *vi, long *frames,
                         char *etag, struct dn_err *err)
{
    struct s_analyzer *a = t->a;
    struct dn_s3_object_info info = {0};
    struct dn_byte_source *src = NULL;
    struct dn_media *media = NULL;
    int rc = dn_s3_head_object(a->s3, t->job->bucket, t->job->key, NULL, &info, err);
    if (rc)
        goto cleanup;
    snprintf(etag, DN_ETAG_MAX, "%s", info.etag);
    const char *meta = dn_s3_object_info_meta(&info, "test-delay-ms");
    if ((rc = s_delay(meta ? atol(meta) : a->delay_ms, t->cancel, err)) ||
        (rc = dn_byte_source_s3_new(a->s3, t->job->bucket, t->job->key, &src, err)))
        goto cleanup;
    s_log_analysis(a, t->job, info.etag);
    struct dn_media_options opt;
    dn_media_options_init(&opt, &a->cfg);
    opt.decoder = DN_DEVICE_CPU;
    opt.threads = 1;
    opt.cancel = &t->cancel->iflag;
    rc = dn_media_open(src, &opt, &media, err);
    src = NULL; /* taken by dn_media_open */
    if (rc)
        goto cleanup;
    *vi = *dn_media_info(media);
    const struct dn_frame *f;
    while (!(rc = dn_media_next_frame(media, &f, err)) && f)
        (*frames)++;
cleanup:
    dn_media_close(media);
    dn_byte_source_destroy(src);
    dn_s3_object_info_clean_up(&info);
    return rc;
}

static void *s_task_main(void *arg)
{
    struct s_task *t = arg;
    struct dn_video_info vi;
    struct dn_err err = {0};
    char etag[DN_ETAG_MAX] = "", uri[2048];
    long frames = 0;
    cJSON *doc = NULL;
    memset(&vi, 0, sizeof(vi));
    int rc = s_analyze_one(t, &vi, &frames, etag, &err);
    snprintf(uri, sizeof(uri), "s3://%s/%s", t->job->bucket, t->job->key);
    struct dn_result_source src = {uri, t->job->bucket, t->job->key, etag[0] ? etag : NULL,
                                   (long long)vi.size_bytes};
    struct dn_result_video video = {vi.duration_s, vi.avg_fps, vi.display_width,
                                    vi.display_height, vi.codec, vi.rotation_deg, frames};
    struct dn_result_timing timing = {"decode", 1.0};
    struct dn_result_processing proc = {"test", NULL, "cpu", "cpu", &timing, 1};
    if (!rc || !dn_err_retryable(err.cls)) {
        struct dn_err berr = {0};
        if (dn_result_build(&doc, &src, rc ? NULL : &video, NULL, &proc, rc ? &err : NULL, &berr))
            fprintf(stderr, "test analyzer: %s\n", berr.msg);
    }
    t->done(t->index, doc, rc ? &err : NULL, t->user);
    return NULL;
}

static int s_analyze(struct dn_analyzer *self, const struct dn_analysis_job *jobs, size_t n,
                     const struct dn_analysis_cancel *cancel, dn_analysis_done_fn *done,
                     void *user, struct dn_err *err)
{
    struct s_task *tasks = calloc(n, sizeof(*tasks));
    if (!tasks)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    for (size_t i = 0; i < n; i++) {
        tasks[i] = (struct s_task){.a = (struct s_analyzer *)self, .job = &jobs[i],
                                   .cancel = cancel, .index = i, .done = done, .user = user};
        tasks[i].started = !pthread_create(&tasks[i].thread, NULL, s_task_main, &tasks[i]);
        if (!tasks[i].started)
            s_task_main(&tasks[i]); /* no thread: run it here */
    }
    for (size_t i = 0; i < n; i++)
        if (tasks[i].started)
            pthread_join(tasks[i].thread, NULL);
    free(tasks);
    return 0;
}

static void s_destroy(struct dn_analyzer *self)
{
    free(self);
}

int dn_test_analyzer_new(const struct dn_config *cfg, struct dn_s3_client *s3,
                         struct dn_analyzer **out, struct dn_err *err)
{
    struct s_analyzer *a = calloc(1, sizeof(*a));
    if (!a)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    a->base = (struct dn_analyzer){"test-probe", s_analyze, s_destroy};
    a->s3 = s3;
    a->cfg = *cfg;
    const char *delay = getenv("DN_TEST_ANALYZER_DELAY_MS");
    const char *log = getenv("DN_TEST_ANALYZER_LOG");
    a->delay_ms = delay ? atol(delay) : 0;
    snprintf(a->log_path, sizeof(a->log_path), "%s", log ? log : "");
    *out = &a->base;
    return 0;
}
