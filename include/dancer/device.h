/*
 * device.h — the one place host code meets the GPU: probing, allocation,
 * streams and copies. Only src/device/ and kernels/<op>.cu include CUDA headers;
 * everything else sees these opaque types, so the CPU-only build needs no
 * stubs and a CUDA build still runs on a machine without GPU or driver (the
 * CUDA runtime is linked statically and finds libcuda at run time; without
 * it dn_device_probe reports "unusable" and callers take the CPU path).
 */
#ifndef DANCER_DEVICE_H
#define DANCER_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "dancer/err.h"

struct dn_device_info {
    bool built_with_cuda; /* this binary has GPU kernels */
    bool usable;          /* a GPU is present and the driver works */
    int ordinal;          /* CUDA device used (0) */
    char name[256];       /* "NVIDIA H200" */
    int cc_major, cc_minor;
    size_t total_mem_bytes;
    int multiprocessors;
    int driver_version;  /* e.g. 13000 */
    int runtime_version; /* e.g. 13000 */
    char reason[256];    /* why not usable, when !usable */
};

/* Fills info; never fails (an unusable GPU is a normal state, see reason).
 * The first call initialises the CUDA runtime; later calls return the
 * cached answer. Thread-safe. */
void dn_device_probe(struct dn_device_info *info);

/* Resolves a DANCER_DEVICE / DANCER_DECODER choice (enum dn_device_choice)
 * to "use the GPU or not". auto: GPU when usable. gpu: DN_ERR_UNSUPPORTED
 * with the probe's reason when not usable. cpu: never. */
int dn_device_select(int choice, bool *use_gpu, struct dn_err *err);

/* A CUDA stream; NULL means the legacy default stream. */
struct dn_stream;

int dn_stream_new(struct dn_stream **out, struct dn_err *err);
void dn_stream_destroy(struct dn_stream *stream);
int dn_stream_sync(struct dn_stream *stream, struct dn_err *err);

/* Device memory. dn_dev_alloc: DN_ERR_RESOURCE when the GPU is out of
 * memory (transient: the job is retried). dn_dev_free accepts a pointer to
 * NULL and NULLs the pointer. */
int dn_dev_alloc(void **ptr, size_t bytes, struct dn_err *err);
void dn_dev_free(void **ptr);

/* Asynchronous copies on `stream`; host memory should be pinned
 * (dn_host_alloc) for real overlap. */
int dn_dev_upload(void *dst_dev, const void *src_host, size_t bytes,
                  struct dn_stream *stream, struct dn_err *err);
int dn_dev_download(void *dst_host, const void *src_dev, size_t bytes,
                    struct dn_stream *stream, struct dn_err *err);
int dn_dev_memset(void *dst_dev, int value, size_t bytes, struct dn_stream *stream,
                  struct dn_err *err);

/* A 2-D copy: `rows` rows of `width_bytes` bytes, between any two of host
 * and device memory (unified addressing tells which), asynchronous on
 * `stream` (synchronous for pageable host memory). Pitches in bytes. */
int dn_dev_copy_2d(void *dst, size_t dst_pitch, const void *src, size_t src_pitch,
                   size_t width_bytes, size_t rows, struct dn_stream *stream, struct dn_err *err);

/* FFmpeg's CUDA device for hardware decode: a new reference (the caller
 * unrefs it) to an AVHWDeviceContext on the primary context our runtime
 * uses, whose NVDEC post-processing and copies run on `stream`, so frames
 * are ordered with our own work on that stream. Errors: DN_ERR_UNSUPPORTED
 * (no CUDA in this build, no driver, FFmpeg without CUDA), DN_ERR_INTERNAL. */
struct AVBufferRef;
int dn_device_av_hwdevice_new(struct dn_stream *stream, struct AVBufferRef **out,
                              struct dn_err *err);

/* Page-locked host memory (plain malloc in a CPU-only build). */
int dn_host_alloc(void **ptr, size_t bytes, struct dn_err *err);
void dn_host_free(void **ptr);

#endif
