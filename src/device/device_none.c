/* device_none.c — the device layer of a build without CUDA: no GPU, ever.
 * Allocation and copy calls are internal errors: callers check
 * dn_device_select first and never reach them. */
#include "dancer/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/config.h"

void dn_device_probe(struct dn_device_info *info)
{
    memset(info, 0, sizeof(*info));
    snprintf(info->reason, sizeof(info->reason), "this build has no CUDA support (nvcc was absent or DANCER_CUDA=OFF)");
}

int dn_device_select(int choice, bool *use_gpu, struct dn_err *err)
{
    *use_gpu = false;
    if (choice == DN_DEVICE_GPU)
        return dn_err_set(err, DN_ERR_UNSUPPORTED,
                          "GPU requested, but this build has no CUDA support (rebuild with nvcc present)");
    return 0;
}

static int s_no_gpu(struct dn_err *err)
{
    return dn_err_set(err, DN_ERR_INTERNAL, "GPU call in a build without CUDA");
}

int dn_stream_new(struct dn_stream **out, struct dn_err *err)
{
    *out = NULL;
    return s_no_gpu(err);
}

void dn_stream_destroy(struct dn_stream *stream)
{
    (void)stream;
}

int dn_stream_sync(struct dn_stream *stream, struct dn_err *err)
{
    (void)stream;
    (void)err;
    return 0;
}

int dn_dev_alloc(void **ptr, size_t bytes, struct dn_err *err)
{
    (void)bytes;
    *ptr = NULL;
    return s_no_gpu(err);
}

void dn_dev_free(void **ptr)
{
    if (ptr)
        *ptr = NULL;
}

int dn_dev_upload(void *dst, const void *src, size_t bytes, struct dn_stream *s, struct dn_err *err)
{
    (void)dst, (void)src, (void)bytes, (void)s;
    return s_no_gpu(err);
}

int dn_dev_download(void *dst, const void *src, size_t bytes, struct dn_stream *s, struct dn_err *err)
{
    (void)dst, (void)src, (void)bytes, (void)s;
    return s_no_gpu(err);
}

int dn_dev_memset(void *dst, int value, size_t bytes, struct dn_stream *s, struct dn_err *err)
{
    (void)dst, (void)value, (void)bytes, (void)s;
    return s_no_gpu(err);
}

int dn_dev_copy_2d(void *dst, size_t dst_pitch, const void *src, size_t src_pitch,
                   size_t width_bytes, size_t rows, struct dn_stream *s, struct dn_err *err)
{
    (void)dst, (void)dst_pitch, (void)src, (void)src_pitch, (void)width_bytes, (void)rows, (void)s;
    return s_no_gpu(err);
}

int dn_device_av_hwdevice_new(struct dn_stream *stream, struct AVBufferRef **out,
                              struct dn_err *err)
{
    (void)stream;
    *out = NULL;
    return dn_err_set(err, DN_ERR_UNSUPPORTED, "this build has no CUDA support");
}

int dn_host_alloc(void **ptr, size_t bytes, struct dn_err *err)
{
    *ptr = malloc(bytes ? bytes : 1);
    if (!*ptr)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of host memory (%zu bytes)", bytes);
    return 0;
}

void dn_host_free(void **ptr)
{
    if (ptr) {
        free(*ptr);
        *ptr = NULL;
    }
}
