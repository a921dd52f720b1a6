// JSON results document (schema fabricbench.results/1). Rows are serialised as they arrive, one
// compact line each, into a RowSpool (bounded memory, however long the run); the document is
// assembled and written atomically at finish().
#include <string>

#include "harness/report.h"
#include "harness/report_rows.h"

namespace fb {

void result_row_fields(const SizeResult& row, bool in_place, RowFields& out) {
  const Timing& t = in_place ? row.in_place : row.out_of_place;
  out.clear();
  out.emplace_back("collective", row.collective);
  out.emplace_back("bytes", row.bytes);
  out.emplace_back("count", row.count);
  out.emplace_back("dtype", row.dtype);
  out.emplace_back("op", row.op);
  out.emplace_back("root", row.root);
  out.emplace_back("in_place", in_place);
  out.emplace_back("time_us", t.time_us);
  out.emplace_back("algbw_gbps", t.algbw_gbps);
  out.emplace_back("busbw_gbps", t.busbw_gbps);
  out.emplace_back("wrong", t.wrong < 0 ? nlohmann::json(nullptr) : nlohmann::json(t.wrong));
  out.emplace_back("iters", t.iters);
  out.emplace_back("time_us_min", t.time_us_min);
  out.emplace_back("time_us_median", t.time_us_median);
  out.emplace_back("time_us_mean", t.time_us_mean);
  out.emplace_back("time_us_max", t.time_us_max);
  out.emplace_back("time_us_p99", t.time_us_p99);
  out.emplace_back("algo", row.algo);
  out.emplace_back("cycle", row.cycle);
}

std::vector<std::string> result_row_names() {
  RowFields fields;
  result_row_fields(SizeResult{}, false, fields);
  std::vector<std::string> names;
  for (const auto& f : fields) names.emplace_back(f.first);
  return names;
}

nlohmann::json groups_json(const std::vector<GroupTiming>& groups) {
  nlohmann::json out = nlohmann::json::array();
  for (const GroupTiming& g : groups) {
    out.push_back({{"group", g.color},
                   {"nranks", g.nranks},
                   {"bytes", g.bytes},
                   {"time_us", g.time_us},
                   {"algbw_gbps", g.algbw_gbps},
                   {"busbw_gbps", g.busbw_gbps},
                   {"wrong", g.wrong < 0 ? nlohmann::json(nullptr) : nlohmann::json(g.wrong)}});
  }
  return out;
}

nlohmann::json per_iter_json(const PerIterStats& p) {
  return {{"skipped", p.skipped},
          {"min_us", p.min_us},
          {"max_us", p.max_us},
          {"avg_us", p.avg_us},
          {"p50_us", p.p50_us},
          {"p95_us", p.p95_us},
          {"p99_us", p.p99_us},
          {"stdev_us", p.stdev_us},
          {"cv_pct", p.cv_pct},
          {"times_us", p.times_us},
          {"rank_times_us", p.rank_times_us}};
}

namespace {

// Invalid UTF-8 (a host name, a command-line argument) must not cost the results file.
constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

// Which rank was furthest above the median rank time, and where (null with one rank).
nlohmann::json slowest_rank_json(const RunSummary& s) {
  if (s.slowest_rank < 0) return nullptr;
  return {{"rank", s.slowest_rank},
          {"ratio_to_median", s.slowest_ratio},
          {"bytes", s.slowest_bytes},
          {"variant", s.slowest_variant},
          {"slow", s.slowest_ratio >= kSlowRankRatio}};
}

class JsonReporter final : public Reporter {
 public:
  explicit JsonReporter(std::string path) : path_(path), rows_(std::move(path)) {}

  void begin(const nlohmann::json& meta) override {
    meta_text_ = meta.dump(2, ' ', false, kReplace);
  }

  void add(const SizeResult& row) override {
    if (row.out_of_place.measured) append_row(row, false);
    if (row.in_place.measured) append_row(row, true);
  }

  void finish(const RunSummary& s) override {
    nlohmann::json summary = {{"avg_busbw_gbps", s.avg_busbw_gbps},
                              {"peak_busbw_gbps", s.peak_busbw_gbps},
                              {"peak_bytes", s.peak_bytes},
                              {"peak_variant", s.peak_variant},
                              {"wrong_total", s.wrong_total},
                              {"out_of_bounds", s.out_of_bounds},
                              {"complete", s.complete},
                              {"end_time", s.end_time},
                              {"slowest_rank", slowest_rank_json(s)}};
    if (s.memory_buffers_bytes >= 0) {
      summary["memory"] = {{"host_buffers_bytes", s.memory_buffers_bytes},
                           {"peak_rss_bytes", s.memory_peak_rss_bytes}};
    }
    if (!s.groups.empty()) {
      nlohmann::json groups = nlohmann::json::array();
      for (const RunSummary::Group& g : s.groups) {
        groups.push_back({{"group", g.color},
                          {"nranks", g.nranks},
                          {"avg_busbw_gbps", g.avg_busbw_gbps},
                          {"wrong_total", g.wrong_total}});
      }
      summary["groups"] = groups;
    }
    std::string head = "{\n  \"schema\": ";
    head += nlohmann::json(kResultsSchema).dump();
    head += ",\n  \"complete\": ";
    head += s.complete ? "true" : "false";
    head += ",\n  \"meta\": ";
    head += indent(meta_text_.empty() ? std::string("{}") : meta_text_);
    head += ",\n  \"results\": [";
    std::string tail = rows_.size() == 0 ? "]" : "\n  ]";
    tail += ",\n  \"summary\": ";
    tail += indent(summary.dump(2, ' ', false, kReplace));
    tail += "\n}\n";
    write_spooled_atomically(path_, head, rows_, tail, nullptr, written_);
    written_ = true;
  }

 private:
  void append_row(const SizeResult& row, bool in_place) {
    result_row_fields(row, in_place, fields_);
    line_ = rows_.size() == 0 ? "\n    {" : ",\n    {";
    bool first = true;
    for (const auto& f : fields_) {
      if (!first) line_ += ", ";
      first = false;
      line_ += '"';
      line_ += f.first;
      line_ += "\": ";
      line_ += f.second.dump(-1, ' ', false, kReplace);
    }
    const Timing& t = in_place ? row.in_place : row.out_of_place;
    if (!t.rank_time_us.empty()) {
      line_ += ", \"rank_time_us\": ";
      line_ += nlohmann::json(t.rank_time_us).dump(-1, ' ', false, kReplace);
    }
    if (!row.timestamp.empty()) {
      line_ += ", \"timestamp\": ";
      line_ += nlohmann::json(row.timestamp).dump();
    }
    if (!t.groups.empty()) {
      line_ += ", \"groups\": ";
      line_ += groups_json(t.groups).dump(-1, ' ', false, kReplace);
    }
    const PerIterStats& p = t.per_iter;
    if (p.present) {
      line_ += ", \"per_iter\": ";
      line_ += per_iter_json(p).dump(-1, ' ', false, kReplace);
    }
    line_ += '}';
    rows_.append(line_);
  }

  // Nests a dump(2) document one level down (two more spaces after each newline).
  static std::string indent(const std::string& text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (const char c : text) {
      out += c;
      if (c == '\n') out += "  ";
    }
    return out;
  }

  std::string path_;
  std::string meta_text_;
  RowSpool rows_;
  std::string line_;
  RowFields fields_;
  bool written_ = false;  // finish() ran before (a checkpoint): replace that file
};

}  // namespace

std::unique_ptr<Reporter> make_json_reporter(const std::string& path) {
  return std::make_unique<JsonReporter>(path);
}

}  // namespace fb
