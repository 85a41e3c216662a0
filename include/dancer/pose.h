/*
 * pose.h — pose estimation for many videos at once: decoded frames in,
 * one landmark track per video out (include/dancer/track.h).
 *
 *   struct dn_pose_options opt;  dn_pose_options_init(&opt, use_gpu);
 *   opt.detector_path = ".../pose_detection.dnm"; opt.landmark_path = ".../pose_landmark_full.dnm";
 *   dn_pose_session_new(&opt, &s, &err);
 *   dn_pose_session_add_video(s, &video, &id, &err);          // one per video
 *   for each decoded frame f of video id:                      // any interleaving
 *       dn_pose_session_push(s, id, f, frame_stream, &err);    // copies f; may run the networks
 *   dn_pose_session_end_video(s, id, &err);
 *   dn_pose_session_take_track(s, id, &track, &err);           // caller owns the track
 *   dn_pose_session_destroy(s);
 *
 * What runs is MediaPipe's BlazePose pipeline (pose_landmark_cpu.pbtxt):
 * the detector on the first frame and whenever tracking is lost, the ROI
 * from the previous frame's landmarks otherwise, the landmark network on that
 * ROI, MediaPipe's landmark smoothing. src/pose/README.md cites the graph
 * config behind every step and describes the batching.
 *
 * Batching. The ROI of frame t depends on frame t−1, so one video alone
 * yields one network item per step. The session buffers up to chunk_frames
 * frames per video and tracks a chunk as independent temporal segments
 * (each after the first starts with the detector, warmup_frames before its
 * first output frame) in lock-step with the segments of every other buffered
 * video, so a step's batch is (segments × videos) items. A segment whose
 * detector misses a person the previous segment was tracking is re-tracked
 * from that segment's end (sequential tracking keeps people the detector
 * misses). segments = 1 is MediaPipe's sequential tracking exactly;
 * README.md gives the measured cost of more.
 *
 * Threads: a session is used by one thread at a time. push copies the frame
 * (so the decoder may reuse its buffer at once) and returns after any
 * network work it triggered.
 *
 * Errors: DN_ERR_NOT_FOUND / DN_ERR_BAD_INPUT / DN_ERR_UNSUPPORTED from
 * loading the models (nn.h); DN_ERR_BAD_INPUT for a frame that does not match
 * its video (size, format) or an unknown video id; DN_ERR_UNSUPPORTED for a
 * frame bigger than the session's frame store allows; DN_ERR_RESOURCE when
 * host or GPU memory runs out (transient); DN_ERR_INTERNAL for a failed
 * kernel launch or misuse (push after end). A push rejected with
 * DN_ERR_BAD_INPUT changed nothing (the session goes on); after any other
 * failure of push, end_video, flush or take_track the tracks are
 * incomplete: destroy the session (each video's job failed or is retried).
 */
#ifndef DANCER_POSE_H
#define DANCER_POSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dancer/device.h"
#include "dancer/err.h"
#include "dancer/media.h"
#include "dancer/track.h"

struct dn_pose_options {
    bool use_gpu;              /* GPU kernels and runners (needs a usable GPU) */
    const char *detector_path; /* pose_detection.dnm, required; copied */
    const char *landmark_path; /* pose_landmark_full.dnm, required; copied */
    int max_batch;             /* items per network launch (runner capacity) */
    int max_videos;            /* videos buffered at once (the frame store is split between them) */
    int chunk_frames;          /* frames buffered per video before tracking them */
    int min_segment_frames;    /* shortest temporal segment worth a detector run */
    int target_batch;          /* segments per video are chosen to reach this batch */
    int warmup_frames;         /* frames a cut segment tracks before its first output */
    size_t frame_store_bytes;  /* bound on buffered frame memory (host or device) */
    bool smooth;               /* MediaPipe's smooth_landmarks (default true) */
    float min_detection_score; /* Pose(min_detection_confidence), default 0.5 */
    float min_presence;        /* Pose(min_tracking_confidence), default 0.5 */
};

/* Defaults. CPU: chunk 1 frame, segments never split (exact sequential
 * tracking, batch = videos). GPU: 256-frame chunks, ≥ 32-frame segments,
 * target batch 64, 4 warm-up frames, 8 GiB of frames (a 1080p video's
 * chunk is 0.8 GB; bigger frames get shorter chunks, hence fewer segments). */
void dn_pose_options_init(struct dn_pose_options *opt, bool use_gpu);

/* The video a stream of frames belongs to. */
struct dn_pose_video {
    int width, height;    /* stored (decoded) frame, px */
    int rotation_deg;     /* 0/90/180/270, as dn_video_info.rotation_deg */
    double fps;           /* nominal rate of the frames pushed (the track's fps), > 0 */
};

struct dn_pose_session;

/* Loads the models and allocates everything for opt (runners for max_batch,
 * staging, the frame store is allocated per video in add_video).
 * *out: the session, or NULL on error. */
int dn_pose_session_new(const struct dn_pose_options *opt, struct dn_pose_session **out,
                        struct dn_err *err);

/* Waits for nothing (no work is ever left in flight between calls) and frees
 * everything, including tracks not taken. NULL is a no-op. */
void dn_pose_session_destroy(struct dn_pose_session *s);

/* Registers a video; *id identifies it in later calls. Allocates its share
 * of the frame store. Errors: DN_ERR_BAD_INPUT (size/fps/rotation invalid),
 * DN_ERR_UNSUPPORTED (max_videos active already, or one frame does not fit
 * its share), DN_ERR_RESOURCE. */
int dn_pose_session_add_video(struct dn_pose_session *s, const struct dn_pose_video *video,
                              int *id, struct dn_err *err);

/* Buffers frame f of video id (copied; f may be reused once this returns)
 * and runs tracking steps when the buffers are full. Frames must come in
 * presentation order; one whose pts is not after the previous one is
 * skipped (counted in stats.frames_skipped). f's planes may be on the host
 * or the device (NVDEC) for either path. frame_stream: the stream f's device
 * planes were written on (synchronised before the copy); NULL otherwise. */
int dn_pose_session_push(struct dn_pose_session *s, int id, const struct dn_frame *f,
                         struct dn_stream *frame_stream, struct dn_err *err);

/* No more frames for video id: its buffered frames are tracked (now, or
 * together with other videos' at the next step). */
int dn_pose_session_end_video(struct dn_pose_session *s, int id, struct dn_err *err);

/* Tracks every buffered frame of every video now (smaller batches). */
int dn_pose_session_flush(struct dn_pose_session *s, struct dn_err *err);

/* Hands over video id's finished track (flushing first if frames are still
 * buffered) and forgets the video, freeing its share of the frame store.
 * The caller owns *out (dn_track_destroy). Errors: DN_ERR_INTERNAL when the
 * video has not ended. */
int dn_pose_session_take_track(struct dn_pose_session *s, int id, struct dn_track **out,
                               struct dn_err *err);

/* sha256 of the source .tflite of the landmark (the result's model_sha256)
 * and detector networks; 64 hex characters, valid while s lives. */
const char *dn_pose_session_model_sha256(const struct dn_pose_session *s);
const char *dn_pose_session_detector_sha256(const struct dn_pose_session *s);

struct dn_pose_stats {
    int64_t frames;              /* frames tracked (appended to tracks) */
    int64_t frames_skipped;      /* pushed out of order, dropped */
    int64_t frames_with_pose;    /* valid track frames */
    int64_t detector_items, landmark_items;       /* network items, warm-up included */
    int64_t detector_launches, landmark_launches; /* network runs */
    int64_t steps;               /* lock-step tracking steps */
    int64_t max_step_items;      /* largest step (lanes in one step) */
    int64_t repaired_frames;     /* re-tracked after a cut lost a tracked person */
};

void dn_pose_session_stats(const struct dn_pose_session *s, struct dn_pose_stats *st);

#endif
