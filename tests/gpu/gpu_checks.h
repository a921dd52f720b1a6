// Exactness checks of the CUDA kernels against the CPU reference, as plain functions returning
// the failures, so the gtest binary (test_gpu_kernels) and the GoogleTest-free checker run by
// scripts/gpu_check.sh (fb_gpu_check) share them. Each needs a GPU; callers skip without one.
#pragma once

#include <string>
#include <vector>

namespace fb {

struct CheckReport {
  int cases = 0;                      // comparisons made
  std::vector<std::string> failures;  // one line each, empty when all passed
};

// reduce_cuda (+ avg_finalize_cuda) for every dtype and op, k in {1, 2, 3, 9} inputs, odd sizes
// (0, 1, 7, 4097, 65537 elements...) and misaligned / mutually misaligned buffers, in place and
// out of place, bit-compared with expected_reduction() on the host.
CheckReport check_reduce_kernels();

// generate_cuda bit-identical to generate(); check_stream_cuda / check_reduction_cuda /
// count_mismatches_cuda give 0 on correct data and exactly the number of corrupted elements.
CheckReport check_datagen_kernels();

// Each bandwidth probe runs on a small buffer and reports a positive bandwidth.
CheckReport check_probes();

// Every collective through --backend nccl on one rank (single-process world), in and out of
// place, results checked with the collective registry's expected values. Empty report when
// built without NCCL.
CheckReport check_nccl_single_rank();

}  // namespace fb
