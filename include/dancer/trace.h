/*
 * trace.h — NVTX ranges around pipeline stages, so one Nsight Systems trace
 * shows receive, download, demux, decode, preprocess, detect, landmarks,
 * gait and upload side by side. Compiled to nothing when NVTX headers are
 * absent; costs a branch when no profiler is attached (NVTX's own design).
 */
#ifndef DANCER_TRACE_H
#define DANCER_TRACE_H

/* Pushes a named range on the calling thread; `name` must be a string
 * literal or otherwise outlive the call. Pair every push with a pop. */
void dn_trace_push(const char *name);
void dn_trace_pop(void);

/* Names the calling thread in the trace ("heartbeat", "decode-3"). */
void dn_trace_name_thread(const char *name);

#endif
