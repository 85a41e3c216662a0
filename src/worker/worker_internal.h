/*
 * worker_internal.h — the worker's state, shared by its threads (private to
 * src/worker).
 *
 * Threads and what they touch:
 *   loop       (the caller of dn_worker_run) owns messages, jobs and
 *              batches: it alone creates and frees them.
 *   receiver   long-polls when the loop grants a permit; hands raw
 *              messages to the loop through w->inbox.
 *   analysis   runs the analyzer on the batch the loop hands over; the
 *              analyzer's done callback queues jobs on w->done_head.
 *   heartbeat  extends visibility of messages in state INFLIGHT; it reads
 *              the message table under w->lock, copies what it needs and
 *              calls SQS without the lock; it finds messages again by seq
 *              (never by a pointer kept across the unlock).
 *   spot       polls EC2 instance metadata for a termination notice.
 *
 * Locks: w->lock guards every field marked "lock" below and the table
 * structure (w->msgs). w->vis_lock orders visibility changes: the heartbeat
 * holds it across a ChangeMessageVisibilityBatch, and the loop takes it to
 * release a message (visibility to 0 or a backoff), after marking it
 * FINISHING under w->lock. So an extension already on the wire can never
 * land after a release and hide a released message again. Deletes need no
 * vis_lock: extending a deleted message merely fails. Order: vis_lock
 * before lock. Functions needing w->lock held end in _locked.
 */
#ifndef DANCER_WORKER_INTERNAL_H
#define DANCER_WORKER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dancer/analyzer.h"
#include "dancer/config.h"
#include "dancer/err.h"
#include "dancer/s3.h"
#include "dancer/s3_event.h"
#include "dancer/sqs.h"
#include "dancer/worker.h"

struct cJSON;

/* SQS's limit: a message can stay invisible at most 12 h after its receipt. */
#define DN_WORKER_MAX_INVISIBLE_S 43200
/* Slack for the clocks: our receipt time is when the receive request left,
 * a little before SQS's, and this covers the rest. */
#define DN_WORKER_VIS_MARGIN_S 10
/* (bucket, key, ETag) of finished jobs remembered for de-duplication. */
#define DN_WORKER_RECENT 4096

enum dn_wmsg_state {
    DN_WMSG_INFLIGHT,  /* being worked on: the heartbeat extends it */
    DN_WMSG_FINISHING, /* deleted or released next: the heartbeat leaves it */
};

struct dn_wjob;

/* One received SQS message. */
struct dn_wmsg {
    uint64_t seq;            /* unique in the run */
    char *id, *receipt;      /* immutable while in the table */
    int receive_count;       /* ApproximateReceiveCount */
    int64_t sent_ms;         /* SentTimestamp */
    double received_at;      /* dn_worker_now() when the receive left */
    /* lock: shared with the heartbeat */
    int state;               /* enum dn_wmsg_state */
    double visible_until;    /* dn_worker_now() time SQS shows it again */
    bool hb_stopped;         /* handle lost or 12 h reached: no more extensions */
    /* loop only */
    int pending;             /* jobs without an outcome yet */
    bool transient;          /* a job failed transiently: retry the message */
    bool cancelled;          /* a job was stopped by the drain: release at once */
    bool force;              /* "dancerForce": redo even with a current result */
    int release_s;           /* visibility to set when released */
    struct dn_wmsg *next;    /* w->msgs */
};

/* One video to analyse, shared by every message naming the same version. */
struct dn_wjob {
    char *bucket, *key, *rkey;
    char rbucket[DN_CFG_STR];
    char etag[DN_S3_ETAG_MAX];   /* normalised; "" when unknown */
    uint64_t size;
    char event_time[40];
    uint64_t hash;               /* of (bucket, key, etag) */
    struct dn_wmsg **waiters;    /* messages settled by this job's outcome */
    size_t nwaiters, cap_waiters;
    double t_queued, t_started;  /* dn_worker_now() */
    bool processed;              /* outcome applied; freed with its batch */
    /* lock: written by the done callback */
    bool completed;
    struct cJSON *doc;
    struct dn_err error;
    struct dn_wjob *next_done;   /* w->done_head */
    struct dn_wjob *next;        /* w->jobs (active, for de-duplication) */
};

/* Jobs handed to the analyzer in one call. */
struct dn_wbatch {
    struct dn_wjob **jobs;
    struct dn_analysis_job *ajobs;
    size_t n;
    struct dn_wbatch *next;      /* w->queue */
};

/* One receive's outcome, from the receiver to the loop. */
struct dn_wrecv {
    struct dn_sqs_messages msgs;
    double t_sent;
    int rc;
    struct dn_err err;
    struct dn_wrecv *next;
};

struct dn_worker {
    const struct dn_config *cfg;
    struct dn_worker_options opt;
    struct dn_worker_aws *aws;
    struct dn_analyzer *analyzer;
    char queue_url[DN_CFG_URL];
    struct dn_s3_event_filter filter;

    pthread_mutex_t lock, vis_lock;
    pthread_cond_t wake;         /* the loop waits on it */
    pthread_cond_t recv_cond, an_cond, hb_cond, spot_cond;
    pthread_t receiver, analysis, heartbeat, spot;
    bool receiver_up, analysis_up, heartbeat_up, spot_up;

    /* lock */
    struct dn_wmsg *msgs;
    struct dn_wrecv *inbox, **inbox_tail;
    int recv_permits;
    bool recv_busy, recv_stop;
    struct dn_wjob *done_head, **done_tail;
    struct dn_wbatch *an_batch;  /* handed over, not yet taken or running */
    bool an_busy, an_stop;
    struct dn_wbatch *an_returned; /* analyze() returned for this batch */
    int an_rc;
    struct dn_err an_err;
    bool hb_stop, spot_stop;

    atomic_bool recv_cancel;     /* aborts a long poll in flight */
    atomic_bool drain_requested; /* the spot poller's notice */
    struct dn_analysis_cancel cancel;

    /* loop only */
    uint64_t next_seq;
    struct dn_wjob *jobs;
    struct dn_wbatch *queue, **queue_tail;
    size_t nqueue;
    uint64_t recent[DN_WORKER_RECENT];
    size_t recent_pos, recent_n;
    struct dn_wmsg *to_delete[64], *to_release[64];
    size_t ndelete, nrelease;
    bool draining, cancel_sent, last_receive_empty, once_received;
    double drain_deadline, hard_deadline, recv_retry_at;
    /* Until then a long poll the drain aborted may still be open at SQS,
     * and releases wait (worker_jobs.c, s_releases_held). */
    double release_hold_until;
    int recv_failures;
    double started, last_status, last_health;
    bool warned_result_auth, hold_logged;
    struct dn_worker_stats stats;
    int fatal_rc;
    struct dn_err fatal;
};

/* A long poll is granted, in flight, or its answer not yet taken by the loop. */
bool dn_worker_receiving(struct dn_worker *w);

/* CLOCK_MONOTONIC in seconds. */
double dn_worker_now(void);
/* Absolute CLOCK_REALTIME time `in_s` from now, for pthread_cond_timedwait. */
void dn_worker_abstime(struct timespec *ts, double in_s);

/* FNV-1a over bucket, key and normalised ETag: the de-duplication key. */
uint64_t dn_worker_job_hash(const char *bucket, const char *key, const char *etag);

/* worker_recv.c: the receiver thread, and what the loop does with a receive. */
void *dn_worker_receiver_main(void *arg);
void dn_worker_on_receive(struct dn_worker *w, struct dn_wrecv *r);

/* worker_jobs.c: outcomes. */
void dn_worker_job_finish(struct dn_worker *w, struct dn_wjob *job);
void dn_worker_msg_settle(struct dn_worker *w, struct dn_wmsg *m);
/* Sends the pending deletes, and the pending releases unless they are held
 * for an aborted long poll; dn_worker_flush_now sends the releases anyway. */
void dn_worker_flush(struct dn_worker *w);
void dn_worker_flush_now(struct dn_worker *w);
void dn_worker_release_now(struct dn_worker *w, struct dn_wmsg *m);
bool dn_worker_recent_has(const struct dn_worker *w, uint64_t hash);
void dn_worker_recent_add(struct dn_worker *w, uint64_t hash);
void dn_worker_job_free(struct dn_wjob *job);
int dn_worker_job_wait(struct dn_wjob *job, struct dn_wmsg *m);

/* analysis.c: the analysis thread. */
void *dn_worker_analysis_main(void *arg);
void dn_worker_batch_returned(struct dn_worker *w, struct dn_wbatch *b, int rc,
                              const struct dn_err *err);
void dn_worker_batch_free(struct dn_wbatch *b);

/* heartbeat.c */
void *dn_worker_heartbeat_main(void *arg);
/* Seconds to ask for now, given when the message was received: the
 * extension, capped at SQS's 12 h from receipt (minus a margin); <= 0 when
 * the cap is reached. Pure; exposed for tests. */
int dn_worker_extension_s(int extension_s, double received_at, double now);

/* drain.c: signals and the EC2 termination poller. */
void dn_worker_signals_install(void);
void dn_worker_signals_restore(void);
/* The same, and the handler also sets `cancel` (reprocess: Ctrl-C stops the
 * running batch at once; there is no grace to wait out). */
void dn_worker_signals_install_cancel(struct dn_analysis_cancel *cancel);
int dn_worker_signal_count(void); /* SIGTERM/SIGINT received since install */
void *dn_worker_spot_main(void *arg);

/* metrics.c */
/* outcome: "result", "error_result", "retry" or "released" (no metrics). */
void dn_worker_metrics_job(struct dn_worker *w, const struct dn_wjob *job, const char *outcome,
                           const struct cJSON *doc);
void dn_worker_status(struct dn_worker *w, double now);
void dn_worker_health_touch(struct dn_worker *w, double now);

/* The result document of a job that failed without one from the analyzer
 * (etag may be "", size 0 when unknown); NULL when it cannot be built. */
struct cJSON *dn_worker_error_doc(const char *bucket, const char *key, const char *etag,
                                  uint64_t size, const struct dn_err *error);

/* True for failure classes that are the upload's fault (an error result is
 * written, the message deleted); false for those retried (and, at last,
 * dead-lettered). The one place the worker and reprocess decide it. */
bool dn_worker_permanent(enum dn_err_class cls);

/* source.etag of a result document (the version the analyzer read), else
 * fallback: what the result's source-etag metadata records. */
const char *dn_worker_doc_etag(const struct cJSON *doc, const char *fallback);

/* Backoff before a transiently failed message is visible again: base *
 * 2^(receive_count - 1), capped at max_s. Pure; exposed for tests. */
int dn_worker_backoff_s(int base_s, int max_s, int receive_count);

#endif
