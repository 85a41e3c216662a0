/* device_cuda.c — the device layer on the CUDA runtime (see include/dancer/device.h).
 *
 * The runtime is linked statically (CUDA::cudart_static) and loads libcuda
 * itself, so this binary starts on a machine with no driver; the first
 * runtime call then fails with cudaErrorInsufficientDriver or
 * cudaErrorNoDevice, which dn_device_probe turns into "unusable". */
#include "dancer/device.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_check.h"
#include "dancer/config.h"
#include "dancer/log.h"

int dn_cuda_fail(cudaError_t rc, const char *expr, const char *file, int line, struct dn_err *err)
{
    enum dn_err_class cls =
        rc == cudaErrorMemoryAllocation ? DN_ERR_RESOURCE : DN_ERR_INTERNAL;
    return dn_err_set_at(err, cls, file, line, "CUDA: %s: %s (%s)", expr,
                         cudaGetErrorString(rc), cudaGetErrorName(rc));
}

/* device_check.cu */
cudaError_t dn_device_try_kernel(void);

static pthread_once_t s_probe_once = PTHREAD_ONCE_INIT;
static struct dn_device_info s_info;

static void s_probe(void)
{
    struct dn_device_info *info = &s_info;
    info->built_with_cuda = true;
    cudaRuntimeGetVersion(&info->runtime_version);
    cudaError_t rc = cudaDriverGetVersion(&info->driver_version);
    int count = 0;
    if (rc == cudaSuccess)
        rc = cudaGetDeviceCount(&count);
    if (info->driver_version == 0) {
        /* The runtime reports version 0 when libcuda.so.1 cannot be loaded. */
        snprintf(info->reason, sizeof(info->reason), "no NVIDIA driver (libcuda.so.1 not found)");
        return;
    }
    if (rc != cudaSuccess || count == 0) {
        snprintf(info->reason, sizeof(info->reason), "no usable GPU: %s",
                 rc != cudaSuccess ? cudaGetErrorString(rc) : "no CUDA device found");
        return;
    }
    struct cudaDeviceProp prop;
    rc = cudaGetDeviceProperties(&prop, 0);
    /* Create the primary context now, so that FFmpeg's CUDA hwaccel (which
     * retains the primary context) and our kernels share one context.
     * FFmpeg (5.1 hwcontext_cuda.c) refuses an active primary context whose
     * flags are not CU_CTX_SCHED_BLOCKING_SYNC, so set those first: the
     * flags apply to the current device (0), and since CUDA 12
     * cudaSetDevice creates its context at once, with the flags set by
     * then. Blocking waits also leave the CPU to decode and network threads. */
    if (rc == cudaSuccess)
        rc = cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync);
    if (rc == cudaSuccess)
        rc = cudaSetDevice(0);
    if (rc == cudaSuccess)
        rc = cudaFree(NULL);
    if (rc != cudaSuccess) {
        snprintf(info->reason, sizeof(info->reason), "GPU 0 unusable: %s", cudaGetErrorString(rc));
        return;
    }
    rc = dn_device_try_kernel();
    if (rc == cudaErrorNoKernelImageForDevice || rc == cudaErrorUnsupportedPtxVersion) {
        snprintf(info->reason, sizeof(info->reason),
                 "GPU 0 (%.100s, compute %d.%d) has no kernel in this build (CUDA architectures %s): "
                 "rebuild with CMAKE_CUDA_ARCHITECTURES including %d%d",
                 prop.name, prop.major, prop.minor, DN_CUDA_ARCHITECTURES, prop.major, prop.minor);
        return;
    }
    if (rc != cudaSuccess) {
        snprintf(info->reason, sizeof(info->reason), "GPU 0 unusable: test kernel: %s",
                 cudaGetErrorString(rc));
        return;
    }
    info->usable = true;
    info->ordinal = 0;
    snprintf(info->name, sizeof(info->name), "%s", prop.name);
    info->cc_major = prop.major;
    info->cc_minor = prop.minor;
    info->total_mem_bytes = prop.totalGlobalMem;
    info->multiprocessors = prop.multiProcessorCount;
}

void dn_device_probe(struct dn_device_info *info)
{
    pthread_once(&s_probe_once, s_probe);
    *info = s_info;
}

int dn_device_select(int choice, bool *use_gpu, struct dn_err *err)
{
    struct dn_device_info info;
    *use_gpu = false;
    if (choice == DN_DEVICE_CPU)
        return 0;
    dn_device_probe(&info);
    if (!info.usable) {
        if (choice == DN_DEVICE_GPU)
            return dn_err_set(err, DN_ERR_UNSUPPORTED, "GPU requested, but %s", info.reason);
        return 0;
    }
    *use_gpu = true;
    return 0;
}

int dn_stream_new(struct dn_stream **out, struct dn_err *err)
{
    cudaStream_t s = NULL;
    *out = NULL;
    if (DN_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), err))
        return dn_err_code(err);
    *out = (struct dn_stream *)s;
    return 0;
}

void dn_stream_destroy(struct dn_stream *stream)
{
    if (stream)
        cudaStreamDestroy((cudaStream_t)stream);
}

int dn_stream_sync(struct dn_stream *stream, struct dn_err *err)
{
    return DN_CUDA_CHECK(cudaStreamSynchronize((cudaStream_t)stream), err);
}

int dn_dev_alloc(void **ptr, size_t bytes, struct dn_err *err)
{
    *ptr = NULL;
    return DN_CUDA_CHECK(cudaMalloc(ptr, bytes ? bytes : 1), err);
}

void dn_dev_free(void **ptr)
{
    if (ptr && *ptr) {
        cudaFree(*ptr);
        *ptr = NULL;
    }
}

int dn_dev_upload(void *dst, const void *src, size_t bytes, struct dn_stream *s, struct dn_err *err)
{
    return DN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, (cudaStream_t)s), err);
}

int dn_dev_download(void *dst, const void *src, size_t bytes, struct dn_stream *s, struct dn_err *err)
{
    return DN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, (cudaStream_t)s), err);
}

int dn_dev_memset(void *dst, int value, size_t bytes, struct dn_stream *s, struct dn_err *err)
{
    return DN_CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, (cudaStream_t)s), err);
}

int dn_dev_copy_2d(void *dst, size_t dst_pitch, const void *src, size_t src_pitch,
                   size_t width_bytes, size_t rows, struct dn_stream *s, struct dn_err *err)
{
    return DN_CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, width_bytes, rows,
                                           cudaMemcpyDefault, (cudaStream_t)s),
                         err);
}

int dn_host_alloc(void **ptr, size_t bytes, struct dn_err *err)
{
    struct dn_device_info info;
    dn_device_probe(&info);
    *ptr = NULL;
    if (!info.usable) { /* pinned memory needs a driver; plain memory works everywhere */
        *ptr = malloc(bytes ? bytes : 1);
        return *ptr ? 0 : dn_err_set(err, DN_ERR_RESOURCE, "out of host memory (%zu bytes)", bytes);
    }
    return DN_CUDA_CHECK(cudaMallocHost(ptr, bytes ? bytes : 1), err);
}

void dn_host_free(void **ptr)
{
    struct dn_device_info info;
    if (!ptr || !*ptr)
        return;
    dn_device_probe(&info);
    if (info.usable)
        cudaFreeHost(*ptr);
    else
        free(*ptr);
    *ptr = NULL;
}
