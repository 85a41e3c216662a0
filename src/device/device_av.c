/* device_av.c — FFmpeg's CUDA device on our context and stream (see
 * dn_device_av_hwdevice_new in include/dancer/device.h). It lives in the
 * device layer because FFmpeg's CUDA header includes cuda.h. */
#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_cuda.h>

#include "cuda_check.h"
#include "dancer/device.h"
#include "dancer/log.h"

typedef CUresult (*s_ctx_get_current_fn)(CUcontext *ctx);

/* The path FFmpeg documents: it retains the primary context itself. It
 * insists on the flags CU_CTX_SCHED_BLOCKING_SYNC (dn_device_probe sets
 * them), and fails with ENOTSUP when the active context has others. */
static int s_create_primary(AVBufferRef **ref)
{
    return av_hwdevice_ctx_create(ref, AV_HWDEVICE_TYPE_CUDA, "0", NULL,
                                  AV_CUDA_USE_PRIMARY_CONTEXT);
}

/* Fallback: hand FFmpeg the context the runtime made current on this
 * thread (the primary one), found through the runtime's driver entry
 * points so that nothing links libcuda. FFmpeg then neither checks flags nor
 * releases the context. */
static int s_create_current(AVBufferRef **ref, struct dn_err *err)
{
    s_ctx_get_current_fn get_current = NULL;
    enum cudaDriverEntryPointQueryResult found;
    CUcontext ctx = NULL;
    if (DN_CUDA_CHECK(cudaFree(NULL), err) ||
        DN_CUDA_CHECK(cudaGetDriverEntryPointByVersion("cuCtxGetCurrent", (void **)&get_current,
                                                       12000, cudaEnableDefault, &found),
                      err))
        return dn_err_code(err);
    if (found != cudaDriverEntryPointSuccess || !get_current || get_current(&ctx) != CUDA_SUCCESS ||
        !ctx)
        return dn_err_set(err, DN_ERR_INTERNAL, "CUDA: no current context for FFmpeg");
    *ref = av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_CUDA);
    if (!*ref)
        return dn_err_set(err, DN_ERR_RESOURCE, "out of memory");
    AVCUDADeviceContext *hw = ((AVHWDeviceContext *)(*ref)->data)->hwctx;
    hw->cuda_ctx = ctx;
    int rc = av_hwdevice_ctx_init(*ref);
    if (rc < 0) {
        av_buffer_unref(ref);
        return dn_err_set(err, DN_ERR_UNSUPPORTED, "FFmpeg cannot use CUDA (error %d)", rc);
    }
    return 0;
}

int dn_device_av_hwdevice_new(struct dn_stream *stream, AVBufferRef **out, struct dn_err *err)
{
    struct dn_device_info info;
    *out = NULL;
    dn_device_probe(&info);
    if (!info.usable)
        return dn_err_set(err, DN_ERR_UNSUPPORTED, "%s", info.reason);
    if (DN_CUDA_CHECK(cudaSetDevice(info.ordinal), err))
        return dn_err_code(err);
    int av = s_create_primary(out);
    if (av < 0) {
        dn_logf(DN_LOG_DEBUG, "FFmpeg CUDA device on the primary context failed (%d); "
                              "using the runtime's current context", av);
        int rc = s_create_current(out, err);
        if (rc)
            return rc;
    }
    dn_logf(DN_LOG_DEBUG, "FFmpeg CUDA device ready (%s)",
            av < 0 ? "runtime's current context" : "AV_CUDA_USE_PRIMARY_CONTEXT");
    /* After creation, before any decoder exists: nvdec copies the stream
     * when it creates its decoder, and hwcontext init resets it to NULL. */
    ((AVCUDADeviceContext *)((AVHWDeviceContext *)(*out)->data)->hwctx)->stream =
        (CUstream)stream;
    return 0;
}
