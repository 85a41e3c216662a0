/*
 * cuda_check.h — the one CUDA error check (STYLE.md §2), for src/device/ and
 * kernels/<op>.cu only. DN_CUDA_CHECK(expr, err) evaluates a CUDA runtime call
 * and, on failure, records the CUDA error string and location in err and
 * evaluates to the negative code; use it as
 *     if (DN_CUDA_CHECK(cudaMemcpyAsync(...), err)) goto cleanup;
 * DN_CUDA_CHECK_LAUNCH(err) does the same for the last kernel launch.
 */
#ifndef DANCER_CUDA_CHECK_H
#define DANCER_CUDA_CHECK_H

#include <cuda_runtime_api.h>

#include "dancer/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Out-of-memory is transient (DN_ERR_RESOURCE: retry later, maybe with a
 * smaller batch); everything else is internal. */
int dn_cuda_fail(cudaError_t rc, const char *expr, const char *file, int line, struct dn_err *err);

#ifdef __cplusplus
}
#endif

#define DN_CUDA_CHECK(expr, err)                                                  \
    __extension__({                                                               \
        cudaError_t dn_cuda_rc_ = (expr);                                         \
        dn_cuda_rc_ == cudaSuccess ? 0 : dn_cuda_fail(dn_cuda_rc_, #expr, __FILE__, \
                                                      __LINE__, (err));           \
    })

#define DN_CUDA_CHECK_LAUNCH(err) DN_CUDA_CHECK(cudaGetLastError(), err)

#endif
