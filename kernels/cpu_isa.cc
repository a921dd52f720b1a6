#include "kernels/cpu_isa.h"

#include <cstdlib>
#include <stdexcept>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <string>

namespace fb {

namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr bool kX86 = true;
#else
constexpr bool kX86 = false;
#endif

CpuIsa detect_best() {
  for (CpuIsa isa : {CpuIsa::kAvx512, CpuIsa::kAvx2}) {
    if (cpu_isa_supported(isa)) return isa;
  }
  return CpuIsa::kGeneric;
}

}  // namespace

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx2:
      return "avx2";
    case CpuIsa::kAvx512:
      return "avx512";
    case CpuIsa::kGeneric:
      break;
  }
  return "generic";
}

std::optional<CpuIsa> parse_cpu_isa(std::string_view name) {
  for (CpuIsa isa : {CpuIsa::kGeneric, CpuIsa::kAvx2, CpuIsa::kAvx512}) {
    if (name == cpu_isa_name(isa)) return isa;
  }
  return std::nullopt;
}

namespace {

struct X86Levels {
  bool avx2 = false;
  bool avx512 = false;
};

// Detected once: CPUID traps to the hypervisor in a VM (measured ~30 us per call on a loaded
// VM here), far too slow for every kernel call with an explicit level.
X86Levels detect_x86_levels() {
  X86Levels l;
#if defined(__x86_64__) || defined(__i386__)
  // __builtin_cpu_supports also checks that the OS saves the YMM/ZMM state (XGETBV).
  __builtin_cpu_init();
  // clang 14 has no "f16c" for __builtin_cpu_supports: read CPUID leaf 1 (ECX bit 29) instead.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
  l.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
  l.avx512 = l.avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#endif
  return l;
}

}  // namespace

bool cpu_isa_supported(CpuIsa isa) {
  if (isa == CpuIsa::kGeneric) return true;
  if (!kX86) return false;
  static const X86Levels kLevels = detect_x86_levels();
  return isa == CpuIsa::kAvx2 ? kLevels.avx2 : kLevels.avx512;
}

std::vector<CpuIsa> supported_cpu_isas() {
  std::vector<CpuIsa> out;
  for (CpuIsa isa : {CpuIsa::kGeneric, CpuIsa::kAvx2, CpuIsa::kAvx512}) {
    if (cpu_isa_supported(isa)) out.push_back(isa);
  }
  return out;
}

CpuIsa active_cpu_isa() {
  static const CpuIsa kActive = [] {
    if (const char* env = std::getenv("FB_CPU_ISA")) {
      const auto isa = parse_cpu_isa(env);
      if (!isa || !cpu_isa_supported(*isa)) {
        throw std::runtime_error(std::string("FB_CPU_ISA=") + env +
                                 ": not one of generic, avx2, avx512 supported by this CPU");
      }
      return *isa;
    }
    return detect_best();
  }();
  return kActive;
}

}  // namespace fb
