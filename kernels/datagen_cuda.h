// Device-side data generation and checking with the exact-result scheme of kernels/datagen.h:
// the same generate_element<T> runs on the GPU, so filling or checking a multi-GiB buffer needs no
// host copy. Generation is enqueued on `stream`; the checks wait for their count.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "kernels/dtype.h"
#include "kernels/ops.h"

namespace fb {

// buf[0..count) = stream `stream`, logical elements [first, first + count) (as generate()).
void generate_cuda(DType dtype, RedOp op, int nranks, std::uint64_t seed, int stream,
                   std::size_t first, void* buf, std::size_t count, cudaStream_t cuda_stream);

// Elements of got[0..count) that differ from stream `stream`'s elements [first, first + count)
// (data moved unchanged: all_gather, broadcast, alltoall, sendrecv). Exact comparison.
std::size_t check_stream_cuda(DType dtype, RedOp op, int nranks, std::uint64_t seed, int stream,
                              std::size_t first, const void* got, std::size_t count,
                              cudaStream_t cuda_stream);

// Elements of got[0..count) that differ from the reduction over streams 0..nranks-1 of elements
// [first, first + count), avg finalised; the tolerance is count_mismatches()'s.
std::size_t check_reduction_cuda(DType dtype, RedOp op, int nranks, std::uint64_t seed,
                                 std::size_t first, const void* got, std::size_t count,
                                 cudaStream_t cuda_stream);

// count_mismatches() on two device buffers.
std::size_t count_mismatches_cuda(DType dtype, RedOp op, const void* got, const void* expected,
                                  std::size_t count, cudaStream_t cuda_stream);

}  // namespace fb
