// parse_run_options, the pure parser of every collective subcommand: the input is the argument
// vector, one argument per line. It never throws; a failure has one error line and exit code 2;
// a success satisfies what the runner relies on (sizes ordered and positive, a finite sweep).
#include <vector>

#include "harness/options.h"
#include "tests/hardening/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args;
  std::string current;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\n') {
      args.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty() || args.empty()) args.push_back(current);

  fb::ParseOutcome out;
  try {
    out = fb::parse_run_options(args);
  } catch (const std::exception& e) {
    fb::fuzz::contract_broken("parse_run_options threw", e.what());
  }
  if (!out.options) {
    if (out.exit_code == 0) return 0;  // --help
    if (out.output.empty() || out.output.find('\n') != std::string::npos) {
      fb::fuzz::contract_broken("error is not one line", out.output);
    }
    return 0;
  }
  const fb::RunOptions& o = *out.options;
  if (o.collective == nullptr) fb::fuzz::contract_broken("no collective", args[0]);
  if (o.min_bytes == 0 || o.min_bytes > o.max_bytes) {
    fb::fuzz::contract_broken("accepted a bad size range", std::to_string(o.min_bytes));
  }
  if (o.iters < 1 || o.dtypes.empty() || o.ops.empty()) {
    fb::fuzz::contract_broken("accepted bad counts", out.output);
  }
  // The sweep the runner would walk: bounded, ascending, within [min, max].
  const std::size_t n = fb::sweep_length(o.min_bytes, o.max_bytes, o.step_bytes, o.step_factor);
  if (n == 0 || n > fb::kMaxSweepSizes) fb::fuzz::contract_broken("sweep length", "");
  const auto sizes = fb::make_sweep(o.min_bytes, o.max_bytes, o.step_bytes, o.step_factor);
  if (sizes.size() != n) fb::fuzz::contract_broken("sweep_length != make_sweep size", "");
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < o.min_bytes || sizes[i] > o.max_bytes || (i > 0 && sizes[i] <= sizes[i - 1])) {
      fb::fuzz::contract_broken("sweep out of order or range", std::to_string(sizes[i]));
    }
  }
  return 0;
}
