// Instruction-set levels the CPU kernels are compiled for, and runtime detection. Every level
// computes bit-identical results; a level only changes speed.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace fb {

enum class CpuIsa : int {
  kGeneric,  // portable C++ (baseline x86-64 = SSE2 there), auto-vectorised by the compiler
  kAvx2,     // AVX2 + FMA + F16C
  kAvx512,   // AVX-512 F/BW/DQ/VL (+ AVX2, F16C)
};

const char* cpu_isa_name(CpuIsa isa);
std::optional<CpuIsa> parse_cpu_isa(std::string_view name);
// True when this binary has code for `isa` and the CPU and OS can run it.
bool cpu_isa_supported(CpuIsa isa);
// Every supported level, lowest first (tests run each).
std::vector<CpuIsa> supported_cpu_isas();
// The level reduce_cpu() uses: the best supported one, or FB_CPU_ISA=<name> from the environment
// (to compare levels in benchmarks and whole runs; throws if it names an unsupported level).
CpuIsa active_cpu_isa();

}  // namespace fb
