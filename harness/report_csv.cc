// CSV with the JSON document's rows and columns (one row per variant), quoted as RFC 4180 says:
// a field holding a comma, quote or line break is enclosed in quotes, inner quotes doubled.
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
  explicit CsvReporter(std::string path) : path_(std::move(path)) {
    bool first = true;
    for (const auto& name : result_row_names()) {
      if (!first) text_ += ',';
      first = false;
      append_field(text_, name);
    }
    text_ += '\n';
  }

  void begin(const nlohmann::json&) override {}

  void add(const SizeResult& row) override {
    if (row.out_of_place.measured) append_row(row, false);
    if (row.in_place.measured) append_row(row, true);
  }

  // CSV has no place for the summary; an interrupted run still leaves the rows it measured.
  void finish(const RunSummary&) override { write_file_atomically(path_, text_); }

 private:
  void append_row(const SizeResult& row, bool in_place) {
    result_row_fields(row, in_place, fields_);
    bool first = true;
    for (const auto& f : fields_) {
      if (!first) text_ += ',';
      first = false;
      const nlohmann::json& v = f.second;
      if (v.is_string()) {
        append_field(text_, v.get_ref<const std::string&>());
      } else if (!v.is_null()) {  // null (not checked) is an empty field
        text_ += v.dump();
      }
    }
    text_ += '\n';
  }

  std::string path_;
  std::string text_;
  RowFields fields_;
};

}  // namespace

std::unique_ptr<Reporter> make_csv_reporter(const std::string& path) {
  return std::make_unique<CsvReporter>(path);
}

}  // namespace fb
