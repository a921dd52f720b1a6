#pragma once
// Units of the fabric model, converted in one place. Link speeds are Gb/s (1e9 bit/s) as in
// profiles; data sizes are bytes; times are microseconds; reported bandwidths are GB/s (1e9 B/s).
#include <cstdint>
#include <string>

#include "fabric_model/errors.h"

namespace fb::model {

using Gbps = double;          // link speed, 1e9 bit/s
using Bytes = std::uint64_t;  // message size
using Micros = double;        // time
using Nanos = double;         // time (switch and link latencies)
using GBps = double;          // reported bandwidth (algbw, busbw), 1e9 B/s as nccl-tests

inline constexpr Micros micros_from_seconds(double s) { return s * 1e6; }
inline constexpr Micros micros_from_nanos(Nanos ns) { return ns * 1e-3; }
// Bandwidth of `bytes` moved in `seconds`; 0 when no time passed.
inline constexpr GBps gbps_from(double bytes, double seconds) {
  return seconds > 0 ? bytes / seconds / 1e9 : 0.0;
}

// 1 Gb/s = 1e9 / 8 B/s = 125 B/us.
inline constexpr double bytes_per_us(Gbps g) { return g * 125.0; }
// GB/s (1e9 B/s) from Gb/s.
inline constexpr double gbytes_per_s(Gbps g) { return g / 8.0; }

// Every error the model library reports: bad configs, unknown names, impossible shapes (the
// user's input, so a usage error).
class ModelError : public UsageError {
 public:
  explicit ModelError(const std::string& what) : UsageError(what) {}
};

}  // namespace fb::model
