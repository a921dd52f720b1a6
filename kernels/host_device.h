// Marks functions usable from both host code and CUDA device code. Headers shared between .cu and
// .cpp files include this instead of testing __CUDACC__ themselves.
#pragma once

#if defined(__CUDACC__)
#define FB_HD __host__ __device__ __forceinline__
#else
#define FB_HD inline
#endif
