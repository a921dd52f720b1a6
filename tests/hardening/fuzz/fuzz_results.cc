// Results files read by calibrate and publish: fabricbench.results/1 JSON and nccl-tests text.
// Either a MeasuredFile or one std::runtime_error line.
#include "harness/results_io.h"
#include "tests/hardening/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = fb::fuzz::as_text(data, size);
  try {
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '{') {
      (void)fb::parse_results_json(fb::parse_json_text(text, "fuzz.json"), "fuzz.json");
    } else {
      (void)fb::parse_nccl_tests_text(text, "fuzz.txt");
    }
  } catch (const std::runtime_error& e) {
    fb::fuzz::check_rejection(e);
  } catch (const std::exception& e) {
    fb::fuzz::contract_broken("not a runtime_error", e.what());
  }
  return 0;
}
