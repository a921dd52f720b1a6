// nccl-tests' -J layout (JSON file version 2), written from fabricbench's rows and metadata. The
// key order follows nccl-tests' writer; its booleans are the strings "true"/"false", as nccl-tests
// writes them, so that scripts comparing strings keep working.
#include "harness/report_nccl_json.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "harness/report_rows.h"

extern char** environ;

namespace fb {

namespace {

using ojson = nlohmann::ordered_json;

const char* json_bool(bool b) { return b ? "true" : "false"; }

// ISO-8601 UTC ("2026-12-02T00:50:00Z") as nccl-tests' "%Y-%m-%d %H:%M:%S" (kept in UTC: the
// document says so in no field, as nccl-tests' local time does not either).
std::string nccl_time(const std::string& iso) {
  std::string t = iso;
  const auto dot = t.find('.');
  if (dot != std::string::npos) t.erase(dot);
  if (!t.empty() && t.back() == 'Z') t.pop_back();
  for (char& c : t)
    if (c == 'T') c = ' ';
  return t;
}

std::string root_text(int root) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%6i", root);
  return buf;
}

ojson variant(const Timing& t) {
  if (!t.measured) return nullptr;
  ojson v;
  v["time"] = t.time_us;
  v["alg_bw"] = t.algbw_gbps;
  v["bus_bw"] = t.busbw_gbps;
  v["nwrong"] = t.wrong < 0 ? ojson(nullptr) : ojson(static_cast<double>(t.wrong));
  return v;
}

// nccl-tests' per-iteration block (-I): the summary, the samples, and with more than one process
// each process's own times (per_process_max_times_us; here one rank per row).
ojson per_iter(const Timing& t) {
  const PerIterStats& p = t.per_iter;
  ojson j;
  j["min_us"] = p.min_us;
  j["max_us"] = p.max_us;
  j["avg_us"] = p.avg_us;
  j["p50_us"] = p.p50_us;
  j["p95_us"] = p.p95_us;
  j["p99_us"] = p.p99_us;
  j["stdev_us"] = p.stdev_us;
  j["cv_pct"] = p.cv_pct;
  j["times_us"] = p.times_us;
  if (p.rank_times_us.size() > 1) j["per_process_max_times_us"] = p.rank_times_us;
  return j;
}

ojson device(const nlohmann::json& r) {
  ojson d;
  d["rank"] = get_or<int>(r, "rank", 0);
  d["group"] = get_or<int>(r, "group", 0);
  d["pid"] = get_or<long long>(r, "pid", 0);
  d["hostname"] = get_or<std::string>(r, "host", "?");
  d["device"] = get_or<int>(r, "device_index", 0);
  const std::string bus = get_or<std::string>(r, "device_bus_id", "");
  d["device_hex"] = bus.empty() ? get_or<std::string>(r, "device", "cpu") : bus;
  const std::string name = get_or<std::string>(r, "device_name", "");
  d["device_info"] = name.empty() ? std::string("host memory (CPU)") : name;
  return d;
}

ojson config(const nlohmann::json& meta) {
  const nlohmann::json sweep = get_or<nlohmann::json>(meta, "sweep", nlohmann::json::object());
  ojson c;
  c["nthreads"] = 1;
  c["ngpus"] = get_or<int>(sweep, "gpus_per_process", 1);
  c["minimum_bytes"] = get_or<std::size_t>(sweep, "minbytes", 0);
  c["maximum_bytes"] = get_or<std::size_t>(sweep, "maxbytes", 0);
  const double factor = get_or<double>(sweep, "stepfactor", 1);
  if (factor > 1) {
    if (std::floor(factor) == factor)
      c["step_factor"] = static_cast<long long>(factor);
    else
      c["step_factor"] = factor;
  } else {
    c["step_bytes"] = get_or<std::size_t>(sweep, "stepbytes", 0);
  }
  c["warmup_iters"] = get_or<int>(sweep, "warmup_iters", 0);
  c["iterations"] = get_or<int>(sweep, "iters", 0);
  c["aggregated_iterations"] = get_or<int>(sweep, "agg_iters", 1);
  c["validation"] = get_or<int>(sweep, "check_iters", 0) > 0 ? 1 : 0;
  c["graph"] = get_or<int>(sweep, "cuda_graph", 0);
  c["blocking_collectives"] = json_bool(get_or<int>(sweep, "blocking", 0) != 0);
  c["per_iter_timing"] = json_bool(get_or<bool>(sweep, "per_iter_timing", false));
  c["parallel_init"] = json_bool(false);
  ojson devices = ojson::array();
  for (const auto& r : get_or<nlohmann::json>(meta, "ranks", nlohmann::json::array()))
    devices.push_back(device(r));
  c["devices"] = std::move(devices);
  return c;
}

class NcclTestsJsonReporter final : public Reporter {
 public:
  NcclTestsJsonReporter(std::string path, NcclTestsJsonContext ctx)
      : requested_(std::move(path)), ctx_(std::move(ctx)) {}

  void begin(const nlohmann::json& meta) override { meta_ = meta; }
  void add(const SizeResult& row) override { rows_.push_back(row); }

  void finish(const RunSummary& summary) override {
    if (path_.empty()) {
      path_ = free_name(requested_);
      std::printf("# Writing JSON output to %s\n", path_.c_str());
    }
    const ojson doc = nccl_tests_json_document(meta_, rows_, summary, ctx_);
    write_file_atomically(path_, doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                          written_);
    written_ = true;
  }

 private:
  static std::string free_name(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return path;
    for (int i = 0;; ++i) {
      std::string p = path;
      p += '.';
      p += std::to_string(i);
      if (!std::filesystem::exists(p, ec)) return p;
    }
  }

  std::string requested_;
  std::string path_;
  NcclTestsJsonContext ctx_;
  nlohmann::json meta_;
  std::vector<SizeResult> rows_;
  bool written_ = false;
};

}  // namespace

std::vector<std::string> process_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

int nccl_version_code(const std::string& text) {
  int major = 0, minor = 0, patch = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d.%d.%d%c", &major, &minor, &patch, &tail) != 3) return 0;
  if (major < 0 || minor < 0 || minor > 99 || patch < 0 || patch > 99) return 0;
  return major * 10000 + minor * 100 + patch;
}

nlohmann::ordered_json nccl_tests_json_document(const nlohmann::json& meta,
                                                const std::vector<SizeResult>& rows,
                                                const RunSummary& summary,
                                                const NcclTestsJsonContext& ctx) {
  ojson doc;
  doc["version"] = kNcclTestsJsonVersion;
  doc["start_time"] = nccl_time(get_or<std::string>(meta, "start_time", ""));
  // The command line as typed: the binary, then the collective and its flags.
  ojson args = ojson::array({"fabricbench"});
  for (const auto& a : get_or<nlohmann::json>(meta, "command_line", nlohmann::json::array()))
    if (a.is_string()) args.push_back(a.get<std::string>());
  doc["args"] = std::move(args);
  doc["env"] = ctx.env;
  const nlohmann::json info =
      get_or<nlohmann::json>(meta, "backend_info", nlohmann::json::object());
  doc["nccl_version"] = nccl_version_code(get_or<std::string>(info, "nccl_version", ""));
  doc["config"] = config(meta);
  ojson results = ojson::array();
  for (const SizeResult& r : rows) {
    ojson row;
    row["size"] = r.bytes;
    row["count"] = r.count;
    row["type"] = r.dtype;
    row["redop"] = r.op;
    row["root"] = root_text(r.root);
    row["out_of_place"] = variant(r.out_of_place);
    if (r.out_of_place.per_iter.present) row["out_of_place_per_iter"] = per_iter(r.out_of_place);
    row["in_place"] = variant(r.in_place);
    if (r.in_place.per_iter.present) row["in_place_per_iter"] = per_iter(r.in_place);
    row["actual_iterations"] = r.in_place.measured ? r.in_place.iters : r.out_of_place.iters;
    row["experiment_name"] = "";
    results.push_back(std::move(row));
  }
  doc["results"] = std::move(results);
  doc["out_of_bounds"] = {{"count", summary.out_of_bounds},
                          {"okay", json_bool(summary.out_of_bounds == 0)}};
  ojson avg;
  avg["bandwidth"] = summary.avg_busbw_gbps;
  if (summary.min_bw_gbps < 0)
    avg["okay"] = "unchecked";
  else
    avg["okay"] = json_bool(summary.avg_busbw_gbps >= 0.9 * summary.min_bw_gbps);
  doc["average_bus_bandwidth"] = std::move(avg);
  doc["errors"] = ojson::array();
  doc["end_time"] = nccl_time(summary.end_time);
  return doc;
}

std::unique_ptr<Reporter> make_nccl_tests_json_reporter(const std::string& path,
                                                        NcclTestsJsonContext ctx) {
  return std::make_unique<NcclTestsJsonReporter>(path, std::move(ctx));
}

}  // namespace fb
