/* trace.c — NVTX ranges (see include/dancer/trace.h). NVTX3 is header-only:
 * with no tool injected, each call is a cheap no-op. */
#include "dancer/trace.h"

#include <unistd.h> /* gettid (glibc, _GNU_SOURCE) */

#ifdef DN_HAVE_NVTX
#include <nvtx3/nvToolsExt.h>
#endif

void dn_trace_push(const char *name)
{
#ifdef DN_HAVE_NVTX
    nvtxRangePushA(name);
#else
    (void)name;
#endif
}

void dn_trace_pop(void)
{
#ifdef DN_HAVE_NVTX
    nvtxRangePop();
#endif
}

void dn_trace_name_thread(const char *name)
{
#if defined(DN_HAVE_NVTX) && defined(__linux__)
    /* nvtxNameOsThreadA wants the OS thread id, which is gettid() on Linux. */
    nvtxNameOsThreadA((uint32_t)gettid(), name);
#else
    (void)name;
#endif
}
