// CSV with the JSON document's rows and columns (one row per variant), quoted as RFC 4180 says:
// a field holding a comma, quote or line break is enclosed in quotes, inner quotes doubled. A last
// column, `complete`, is the JSON document's flag on every row: false when the run was
// interrupted (the rows measured until then are all there). Rows are spooled (bounded memory)
// and the file written atomically at finish().
#include <cstring>
#include <string>

#include "harness/report.h"
#include "harness/report_rows.h"

namespace fb {
namespace {

void append_field(std::string& out, const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    out += text;
    return;
  }
  out += '"';
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

class CsvReporter final : public Reporter {
 public:
  explicit CsvReporter(std::string path) : path_(path), rows_(std::move(path)) {
    for (const auto& name : result_row_names()) {
      append_field(header_, name);
      header_ += ',';
    }
    header_ += "complete\n";
  }

  void begin(const nlohmann::json&) override {}

  void add(const SizeResult& row) override {
    if (row.out_of_place.measured) append_row(row, false);
    if (row.in_place.measured) append_row(row, true);
  }

  // Each record's line break (outside quotes) gets the `complete` field in front of it.
  void finish(const RunSummary& s) override {
    const char* flag = s.complete ? ",true" : ",false";
    bool quoted = false;
    write_spooled_atomically(
        path_, header_, rows_, "",
        [&](const char* p, std::size_t n, const PieceSink& out) {
          std::size_t from = 0;
          for (std::size_t i = 0; i < n; ++i) {
            if (p[i] == '"') quoted = !quoted;
            if (p[i] != '\n' || quoted) continue;
            out(p + from, i - from);
            out(flag, std::strlen(flag));
            from = i;
          }
          out(p + from, n - from);
        },
        written_);
    written_ = true;
  }

 private:
  void append_row(const SizeResult& row, bool in_place) {
    result_row_fields(row, in_place, fields_);
    line_.clear();
    bool first = true;
    for (const auto& f : fields_) {
      if (!first) line_ += ',';
      first = false;
      const nlohmann::json& v = f.second;
      if (v.is_string()) {
        append_field(line_, v.get_ref<const std::string&>());
      } else if (!v.is_null()) {  // null (not checked) is an empty field
        line_ += v.dump();
      }
    }
    line_ += '\n';
    rows_.append(line_);
  }

  std::string path_;
  std::string header_;
  RowSpool rows_;
  std::string line_;
  RowFields fields_;
  bool written_ = false;  // finish() ran before (a checkpoint): replace that file
};

}  // namespace

std::unique_ptr<Reporter> make_csv_reporter(const std::string& path) {
  return std::make_unique<CsvReporter>(path);
}

}  // namespace fb
