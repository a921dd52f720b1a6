// --resume: the rows of an interrupted run's JSON document, checked against this run.
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fabric_model/errors.h"
#include "harness/report.h"
#include "harness/runner.h"

namespace fb {

namespace {

// Field access with one-line errors naming the file and the place.
const nlohmann::json& field(const nlohmann::json& obj, const char* key, const std::string& where) {
  if (!obj.is_object()) throw UsageError(where + " is not an object");
  const auto it = obj.find(key);
  if (it == obj.end()) throw UsageError(where + " has no '" + key + "'");
  return *it;
}
double number(const nlohmann::json& obj, const char* key, const std::string& where) {
  const nlohmann::json& v = field(obj, key, where);
  if (!v.is_number()) throw UsageError(where + "." + key + " is not a number");
  return v.get<double>();
}
long long integer(const nlohmann::json& obj, const char* key, const std::string& where) {
  const nlohmann::json& v = field(obj, key, where);
  if (!v.is_number_integer()) throw UsageError(where + "." + key + " is not an integer");
  return v.get<long long>();
}
std::string text(const nlohmann::json& obj, const char* key, const std::string& where) {
  const nlohmann::json& v = field(obj, key, where);
  if (!v.is_string()) throw UsageError(where + "." + key + " is not a string");
  return v.get<std::string>();
}

Timing timing_from_json(const nlohmann::json& r, const std::string& where) {
  Timing t;
  t.measured = true;
  t.time_us = number(r, "time_us", where);
  t.algbw_gbps = number(r, "algbw_gbps", where);
  t.busbw_gbps = number(r, "busbw_gbps", where);
  const nlohmann::json& wrong = field(r, "wrong", where);
  if (!wrong.is_null() && !wrong.is_number_integer()) {
    throw UsageError(where + ".wrong is neither null nor an integer");
  }
  t.wrong = wrong.is_null() ? -1 : wrong.get<long long>();
  t.iters = static_cast<int>(integer(r, "iters", where));
  t.time_us_min = number(r, "time_us_min", where);
  t.time_us_median = number(r, "time_us_median", where);
  t.time_us_mean = number(r, "time_us_mean", where);
  t.time_us_max = number(r, "time_us_max", where);
  t.time_us_p99 = number(r, "time_us_p99", where);
  // Optional (runs before they existed lack them): each rank's time, -I's block.
  const auto numbers = [&](const nlohmann::json& a, const std::string& what) {
    std::string name = where;
    name += '.';
    name += what;
    if (!a.is_array()) throw UsageError(name + " is not an array");
    std::vector<double> v;
    for (const auto& x : a) {
      if (!x.is_number()) throw UsageError(name + " holds a non-number");
      v.push_back(x.get<double>());
    }
    return v;
  };
  if (r.contains("rank_time_us")) t.rank_time_us = numbers(r["rank_time_us"], "rank_time_us");
  if (r.contains("per_iter")) {
    const nlohmann::json& p = r["per_iter"];
    const std::string pw = where + ".per_iter";
    if (!p.is_object()) throw UsageError(pw + " is not an object");
    PerIterStats& s = t.per_iter;
    s.present = true;
    s.skipped = static_cast<int>(integer(p, "skipped", pw));
    s.min_us = number(p, "min_us", pw);
    s.max_us = number(p, "max_us", pw);
    s.avg_us = number(p, "avg_us", pw);
    s.p50_us = number(p, "p50_us", pw);
    s.p95_us = number(p, "p95_us", pw);
    s.p99_us = number(p, "p99_us", pw);
    s.stdev_us = number(p, "stdev_us", pw);
    s.cv_pct = number(p, "cv_pct", pw);
    s.times_us = numbers(field(p, "times_us", pw), "per_iter.times_us");
    const nlohmann::json& ranks = field(p, "rank_times_us", pw);
    if (!ranks.is_array()) throw UsageError(pw + ".rank_times_us is not an array");
    for (const auto& row : ranks) s.rank_times_us.push_back(numbers(row, "per_iter.rank_times_us"));
  }
  if (r.contains("groups")) {  // split runs
    const nlohmann::json& gs = r["groups"];
    const std::string gw = where + ".groups";
    if (!gs.is_array()) throw UsageError(gw + " is not an array");
    for (const auto& g : gs) {
      GroupTiming gt;
      gt.color = static_cast<int>(integer(g, "group", gw));
      gt.nranks = static_cast<int>(integer(g, "nranks", gw));
      gt.bytes = static_cast<std::size_t>(integer(g, "bytes", gw));
      gt.time_us = number(g, "time_us", gw);
      gt.algbw_gbps = number(g, "algbw_gbps", gw);
      gt.busbw_gbps = number(g, "busbw_gbps", gw);
      const nlohmann::json& gwrong = field(g, "wrong", gw);
      gt.wrong = gwrong.is_number_integer() ? gwrong.get<long long>() : -1;
      t.groups.push_back(gt);
    }
  }
  return t;
}

}  // namespace

std::vector<SizeResult> load_resume_rows(const std::string& path, const nlohmann::json& meta,
                                         const RunOptions& opts, int nranks) {
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) {
    throw UsageError("--resume " + path + ": cannot read the file");
  }
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded()) {
    throw UsageError("--resume " + path + ": not valid JSON (truncated or corrupt)");
  }
  const std::string where = "--resume " + path;
  if (!doc.is_object() || !doc.contains("schema") || doc["schema"] != kResultsSchema) {
    throw UsageError(where + ": not a " + std::string(kResultsSchema) + " document");
  }
  const nlohmann::json& summary = field(doc, "summary", where);
  const nlohmann::json& complete = field(summary, "complete", where + ": summary");
  if (!complete.is_boolean()) throw UsageError(where + ": summary.complete is not a bool");
  if (complete.get<bool>()) {
    throw UsageError(where + ": the run is complete, nothing to resume");
  }
  // Rows are only comparable when measured the same way: every key that shapes them must match.
  const nlohmann::json& old_meta = field(doc, "meta", where);
  for (const char* key : {"collective", "backend", "algorithm", "device", "nranks", "sweep"}) {
    const auto it = old_meta.find(key);
    const nlohmann::json& now = meta.at(key);
    if (it == old_meta.end() || *it != now) {
      throw UsageError(where + ": meta." + key + " differs from this run (" +
                       (it == old_meta.end() ? std::string("absent") : it->dump()) + " there, " +
                       now.dump() + " here)");
    }
  }
  const nlohmann::json& results = field(doc, "results", where);
  if (!results.is_array()) throw UsageError(where + ": results is not an array");
  if (results.size() % 2 != 0) {
    throw UsageError(where + ": results hold " + std::to_string(results.size()) +
                     " rows, not out-of-place/in-place pairs");
  }

  std::vector<SizeResult> rows;
  std::size_t i = 0;
  for_each_sweep_step(opts, nranks, [&](const SweepStep& step) {
    if (i >= results.size()) return false;
    SizeResult row;
    row.collective = opts.collective->name;
    row.cycle = step.cycle;
    row.dtype = dtype_name(step.dtype);
    row.op = opts.collective->uses_op ? redop_name(step.op) : "none";
    row.root = opts.collective->uses_root ? step.root : -1;
    row.bytes = step.counts.bytes;
    row.count = step.counts.param_count;
    for (int variant = 0; variant < 2; ++variant, ++i) {
      const std::string w = where + ": results[" + std::to_string(i) + "]";
      const nlohmann::json& r = results[i];
      const bool in_place = variant == 1;
      // The row must be the one this sweep would measure at this point, in this order.
      if (text(r, "collective", w) != row.collective || integer(r, "cycle", w) != row.cycle ||
          text(r, "dtype", w) != row.dtype || text(r, "op", w) != row.op ||
          integer(r, "root", w) != row.root ||
          integer(r, "bytes", w) != static_cast<long long>(row.bytes) ||
          integer(r, "count", w) != static_cast<long long>(row.count) ||
          field(r, "in_place", w) != in_place) {
        throw UsageError(w + " is not the row this sweep measures next (" + row.dtype + " " +
                         row.op + " " + std::to_string(row.bytes) + " B" +
                         (in_place ? " in-place" : " out-of-place") + ")");
      }
      row.algo = text(r, "algo", w);
      (in_place ? row.in_place : row.out_of_place) = timing_from_json(r, w);
    }
    rows.push_back(std::move(row));
    return true;
  });
  if (i < results.size()) {
    throw UsageError(where + ": holds more rows than this sweep measures");
  }
  return rows;
}

}  // namespace fb
