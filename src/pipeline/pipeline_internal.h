/*
 * pipeline_internal.h — what the files of src/pipeline share: one video's
 * state as the decode thread and the pose thread see it, and the run.
 *
 * Locking. p->lock guards every field marked (L) below; a video's other
 * fields belong to one thread at a time, as marked: (D) the decode thread
 * while it runs, (P) the pose thread. Fields the decode thread fills before
 * it first takes the lock to publish a frame or its end (info, stream,
 * height_cm, ...) are read by the pose thread only after it saw that
 * publication under the lock, which orders them.
 */
#ifndef DANCER_PIPELINE_INTERNAL_H
#define DANCER_PIPELINE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "dancer/media.h"
#include "dancer/pipeline.h"
#include "dancer/pose.h"

/* One decoded frame waiting for the pose thread. */
struct dn_pl_slot {
    struct dn_frame frame; /* planes into buf (a copy) or the media's own (borrowed) */
    uint8_t *buf;          /* host copy, frame_bytes; NULL when borrowed */
};

enum dn_pl_state {
    DN_PL_WAITING,  /* not started */
    DN_PL_RUNNING,  /* decode thread running or frames queued */
    DN_PL_TRACKED,  /* track taken, waiting for gait */
    DN_PL_DONE      /* done called */
};

/* Per-stage times of one video, ms. */
struct dn_pl_times {
    double download, demux, decode, pose, gait, total;
};

struct dn_pl_video {
    struct dn_pipeline *p;
    size_t index;
    const struct dn_pipeline_input *in;
    char uri[2048];           /* what messages and source.uri name */
    char bucket[256], key[1024]; /* "" for a local file */
    enum dn_pl_state state;   /* (P) */
    atomic_int stop;          /* media's cancel flag: batch cancel or this video aborted */
    pthread_t thread;         /* (P) */
    bool thread_started;      /* (P) */
    uint64_t t_start_ns;      /* (P) decode thread started */

    /* filled by the decode thread (D), read by the pose thread after it saw them published */
    bool have_info;
    struct dn_video_info info;
    bool have_source;         /* the source answered stat: source_info is valid, even
                                 when the video failed to open (error results name it) */
    struct dn_source_info source_info;
    bool on_gpu;              /* frames come from NVDEC */
    struct dn_stream *stream; /* the media's stream for borrowed device frames */
    double height_cm;         /* resolved subject height (0 unknown) */
    int64_t decoded;          /* frames out of the decoder (all, before sub-sampling) */
    struct dn_err err;        /* why decoding failed (class NONE: it did not) */
    struct dn_pl_times t;     /* download, demux, decode: (D); pose, gait, total: (P) */
    _Atomic uint64_t download_ns; /* source reads, any thread (cache read-ahead too) */

    /* the ring of decoded frames */
    struct dn_pl_slot *slots; /* n_slots, allocated by the decode thread at the first frame */
    int n_slots;              /* (D) before the first frame, then fixed */
    int head, count;          /* (L) next slot the pose thread takes, frames queued */
    bool ended;               /* (L) the decode thread published its last frame or failure */

    /* pose thread only (P) */
    int pose_id;
    int64_t pose_frames;      /* frames pushed into the session */
    bool pose_added, pose_failed;
    bool dropped;             /* a frame was dropped after a stop */
    struct dn_err pose_err;
    struct dn_track *track;
};

struct dn_pipeline {
    struct dn_pipeline_options opt;
    struct dn_s3_client *s3;
    bool use_gpu;
    char device_name[256];
    char version[96];
    struct dn_pose_session *pose; /* NULL after a failure to replace a broken one */
    char model_sha256[72];
    struct dn_err broken;         /* why the session failed (class NONE: it works) */

    /* the current run */
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a frame or an end was published (pose thread waits) */
    pthread_cond_t space; /* a slot came free (decode threads wait) */
    const struct dn_analysis_cancel *cancel;
    dn_pipeline_done_fn *done;
    void *user;
    struct dn_pl_video *videos;
    size_t n;
    /* (P) Pose time of the run and frames pushed: the session batches frames
     * of every video into one network step, so a step's time belongs to all
     * of them; each video's "pose" timing is its share by frames. */
    double pose_ms;
    int64_t pose_frames;
};

/* CLOCK_MONOTONIC, ns. */
uint64_t dn_pl_now_ns(void);

/* decode.c: ts = CLOCK_MONOTONIC now + the cancel-flag poll interval
 * (100 ms), for pthread_cond_timedwait on p->work and p->space. */
void dn_pl_deadline(struct timespec *ts);

/* decode.c: the decode thread of one video (pthread start routine). */
void *dn_pl_decode_main(void *arg);

/* decode.c: frees the video's slots (after its thread was joined). */
void dn_pl_slots_free(struct dn_pl_video *v);

/* finish.c: runs gait over the videos in state TRACKED (together) and
 * calls done for each. */
void dn_pl_finish_tracked(struct dn_pipeline *p);

/* finish.c: calls done for a failed video with its error document. */
void dn_pl_finish_failed(struct dn_pipeline *p, struct dn_pl_video *v, const struct dn_err *error);

#endif
