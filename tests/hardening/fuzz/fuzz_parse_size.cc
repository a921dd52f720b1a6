// parse_size: any text either parses or throws std::invalid_argument; what parses prints back
// (format_size) to a text that parses to the same number.
#include <stdexcept>

#include "harness/options.h"
#include "tests/hardening/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = fb::fuzz::as_text(data, size);
  std::size_t bytes = 0;
  try {
    bytes = fb::parse_size(text);
  } catch (const std::invalid_argument& e) {
    fb::fuzz::check_rejection(e);
    return 0;
  }
  const std::string printed = fb::format_size(bytes);
  std::size_t again = 0;
  try {
    again = fb::parse_size(printed);
  } catch (const std::exception& e) {
    fb::fuzz::contract_broken("format_size output does not parse", printed + ": " + e.what());
  }
  if (again != bytes) fb::fuzz::contract_broken("format_size/parse_size round trip", printed);
  return 0;
}
