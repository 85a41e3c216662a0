/* device_check.cu — one empty kernel, launched once by the probe
 * (device_cuda.c): a build whose CUDA architectures do not cover the GPU
 * (CMAKE_CUDA_ARCHITECTURES 90 on an L4, compute 8.9) finds every kernel
 * launch failing with "no kernel image"; the probe finds it first and
 * says so, and the GPU counts as unusable (auto falls back to the CPU). */
#include <cuda_runtime_api.h>

__global__ void dn_device_noop(void) {}

extern "C" cudaError_t dn_device_try_kernel(void)
{
    dn_device_noop<<<1, 1>>>();
    cudaError_t rc = cudaGetLastError();
    return rc != cudaSuccess ? rc : cudaDeviceSynchronize();
}
