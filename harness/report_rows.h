// Internal to the reporters: one results row (one variant of one size) as ordered fields, so the
// JSON and CSV writers share the schema's field list and order.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "harness/report.h"

namespace fb {

using RowFields = std::vector<std::pair<const char*, nlohmann::json>>;

// Fields of the row for `row`'s in-place or out-of-place variant, in schema order: collective,
// bytes, count, dtype, op, root, in_place, time_us, algbw_gbps, busbw_gbps, wrong (null when not
// checked), iters, time_us_min, time_us_median, time_us_mean, time_us_max, time_us_p99, algo,
// cycle. `out` is reused between rows to keep allocation down.
void result_row_fields(const SizeResult& row, bool in_place, RowFields& out);

// A metadata field for a report, or `fallback` when it is missing, null or of another type: a
// malformed meta field must not cost the table or the file.
template <typename T>
T get_or(const nlohmann::json& obj, const char* key, T fallback) {
  if (!obj.is_object()) return fallback;
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

// Split runs: a JSON row's "groups" (each group's timing of the variant).
nlohmann::json groups_json(const std::vector<GroupTiming>& groups);

// -I: the per-iteration block of a JSON row (summary after -K, raw times, per-rank times).
nlohmann::json per_iter_json(const PerIterStats& p);

// The names above, for the CSV header.
std::vector<std::string> result_row_names();

// Row text of a run of any length in bounded memory: up to kBufferBytes in memory, the rest in an
// unnamed temp file (created beside the output, unlinked at once, so a crash leaves nothing).
class RowSpool {
 public:
  static constexpr std::size_t kBufferBytes = 1 << 20;
  explicit RowSpool(std::string output_path) : output_path_(std::move(output_path)) {}
  ~RowSpool();
  RowSpool(const RowSpool&) = delete;
  RowSpool& operator=(const RowSpool&) = delete;

  void append(const std::string& text);
  std::size_t size() const { return spilled_ + buffer_.size(); }
  // Feeds every byte appended so far, in order, in pieces, to `sink`.
  void replay(const std::function<void(const char*, std::size_t)>& sink) const;

 private:
  std::string output_path_;
  std::string buffer_;
  int fd_ = -1;
  std::size_t spilled_ = 0;
};

// Writes head + the spool's text (each piece passed through `filter` when given) + tail to `path`
// atomically, as write_file_atomically does. The reporters write their file more than once (a
// checkpoint now and then, then the final document): the first write refuses an existing file,
// the later ones replace their own (replace_existing).
using PieceSink = std::function<void(const char*, std::size_t)>;
void write_spooled_atomically(
    const std::string& path, const std::string& head, const RowSpool& rows, const std::string& tail,
    const std::function<void(const char*, std::size_t, const PieceSink&)>& filter = nullptr,
    bool replace_existing = false);

}  // namespace fb
