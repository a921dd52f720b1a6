// Results readers with validation: every problem becomes one line naming the file and the field.
#include "harness/results_io.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "fabric_model/config.h"
#include "fabric_model/nccl_tests_import.h"
#include "harness/report.h"

namespace fb {
namespace {

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
  throw std::runtime_error(origin + ": " + what);
}

const nlohmann::json& field(const nlohmann::json& obj, const char* key, const std::string& where,
                            const std::string& origin) {
  const auto it = obj.find(key);
  if (it == obj.end()) fail(origin, "missing field '" + std::string(key) + "' in " + where);
  return *it;
}

double number(const nlohmann::json& obj, const char* key, const std::string& where,
              const std::string& origin) {
  const nlohmann::json& v = field(obj, key, where, origin);
  if (!v.is_number())
    fail(origin, "field '" + std::string(key) + "' in " + where + " is not a number");
  return v.get<double>();
}

// A JSON number held in an integer type: refused when out of the type's range, where the cast
// itself would be undefined behaviour (a results file saying "count": 1e25).
template <typename I>
I integer(double v, const std::string& what, const std::string& origin) {
  const double lo = static_cast<double>(std::numeric_limits<I>::lowest());
  const double hi = std::ldexp(1.0, std::numeric_limits<I>::digits);  // exclusive
  if (!(v >= lo && v < hi)) fail(origin, what + " is out of range");
  return static_cast<I>(v);
}

std::string text(const nlohmann::json& obj, const char* key, const std::string& where,
                 const std::string& origin) {
  const nlohmann::json& v = field(obj, key, where, origin);
  if (!v.is_string())
    fail(origin, "field '" + std::string(key) + "' in " + where + " is not a string");
  return v.get<std::string>();
}

// "host (cpu model, N cores)", the key tables group machines by.
std::string machine_label(const std::string& host, const nlohmann::json& machine) {
  std::string label = host.empty() ? "unknown host" : host;
  if (!machine.is_object()) return label;
  const std::string cpu = optional_text(machine, "cpu_model", "");
  const double cores = optional_number(machine, "cores", 0);
  if (cpu.empty() && cores <= 0) return label;
  label += " (";
  label += cpu.empty() ? "unknown CPU" : cpu;
  if (cores > 0) label += ", " + std::to_string(static_cast<long long>(cores)) + " cores";
  return label + ")";
}

// A roofline, when the producer measured one: meta.roofline_gbps (number), meta.roofline
// {gbps|busbw_gbps, source}, or the best p2p_copy in meta.probes[] (GPU bandwidth probes).
void read_roofline(const nlohmann::json& meta, MeasuredFile& f) {
  if (meta.contains("roofline_gbps") && meta["roofline_gbps"].is_number()) {
    f.roofline_gbps = meta["roofline_gbps"].get<double>();
    f.roofline_source = "meta.roofline_gbps";
  } else if (meta.contains("roofline") && meta["roofline"].is_object()) {
    const auto& r = meta["roofline"];
    f.roofline_gbps = optional_number(r, "busbw_gbps", optional_number(r, "gbps", 0));
    f.roofline_source = optional_text(r, "source", "meta.roofline");
  } else if (meta.contains("probes") && meta["probes"].is_array()) {
    for (const auto& p : meta["probes"]) {
      if (!p.is_object() || optional_text(p, "name", "").rfind("p2p_copy", 0) != 0) continue;
      const double g = optional_number(p, "gbps", 0);
      if (g > f.roofline_gbps) {
        f.roofline_gbps = g;
        f.roofline_source = "probe " + optional_text(p, "name", "");
      }
    }
  }
  if (f.roofline_gbps < 0) f.roofline_gbps = 0;
}

}  // namespace

std::string read_text(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a results file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot read (") + std::strerror(errno) + ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail(path, "read error");
  return ss.str();
}

nlohmann::json parse_json_text(const std::string& text_in, const std::string& origin) {
  try {
    return nlohmann::json::parse(text_in);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's message ends with the byte offset; an offset at the end means truncation.
    const bool at_end = e.byte + 1 >= text_in.size();
    fail(origin, std::string(at_end ? "truncated or " : "") + "not valid JSON (byte " +
                     std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::exception& e) {
    // Not a syntax error but a value nlohmann cannot hold (a number overflowing a double).
    fail(origin,
         "not valid JSON (" + std::string(e.id == 406 ? "number out of range" : "bad value") + ")");
  }
}

MeasuredFile parse_results_json(const nlohmann::json& doc, const std::string& origin) {
  if (!doc.is_object()) fail(origin, "not a JSON object");
  const auto schema_it = doc.find("schema");
  if (schema_it == doc.end() || !schema_it->is_string())
    fail(origin, std::string("no \"schema\" string (expected ") + kResultsSchema + ")");
  if (*schema_it != kResultsSchema)
    fail(origin, "schema '" + model::json_util::printable(schema_it->get<std::string>()) +
                     "' is not " + kResultsSchema);
  MeasuredFile f;
  f.path = origin;
  f.format = kResultsSchema;
  const nlohmann::json& meta = field(doc, "meta", "the document", origin);
  if (!meta.is_object()) fail(origin, "field 'meta' is not an object");
  f.meta = meta;
  f.backend = text(meta, "backend", "meta", origin);
  f.algorithm = optional_text(meta, "algorithm", "library");
  f.device = text(meta, "device", "meta", origin);
  f.nranks = integer<int>(number(meta, "nranks", "meta", origin), "meta.nranks", origin);
  if (f.nranks < 1) fail(origin, "meta.nranks must be at least 1");
  f.version = optional_text(meta, "version", "");
  f.git_commit = optional_text(meta, "git_commit", "");
  f.start_time = optional_text(meta, "start_time", "");
  const nlohmann::json machine = meta.value("machine", nlohmann::json());
  f.host = machine.is_object() ? optional_text(machine, "hostname", "") : "";
  if (f.host.empty() && meta.contains("ranks") && meta["ranks"].is_array() &&
      !meta["ranks"].empty() && meta["ranks"][0].is_object())
    f.host = optional_text(meta["ranks"][0], "host", "");
  f.machine = machine_label(f.host, machine);
  if (doc.contains("complete") && !doc["complete"].is_boolean()) {
    fail(origin, "field 'complete' is not a boolean");
  }
  f.complete = doc.value("complete", true);
  read_roofline(meta, f);

  const nlohmann::json& rows = field(doc, "results", "the document", origin);
  if (!rows.is_array()) fail(origin, "field 'results' is not an array");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const nlohmann::json& r = rows[i];
    const std::string where = "results[" + std::to_string(i) + "]";
    if (!r.is_object()) fail(origin, where + " is not an object");
    MeasuredRow m;
    m.collective = text(r, "collective", where, origin);
    const double bytes = number(r, "bytes", where, origin);
    if (bytes < 0) fail(origin, where + ".bytes is negative");
    m.bytes = integer<std::size_t>(bytes, where + ".bytes", origin);
    m.count = integer<std::size_t>(optional_number(r, "count", 0), where + ".count", origin);
    m.dtype = text(r, "dtype", where, origin);
    m.op = optional_text(r, "op", "none");
    if (r.contains("in_place") && !r["in_place"].is_boolean()) {
      fail(origin, where + ".in_place is not a boolean");
    }
    m.in_place = r.value("in_place", false);
    m.time_us = number(r, "time_us", where, origin);
    if (!(m.time_us >= 0)) fail(origin, where + ".time_us is negative");
    m.time_us_median = optional_number(r, "time_us_median", m.time_us);
    m.time_us_min = optional_number(r, "time_us_min", m.time_us);
    m.time_us_max = optional_number(r, "time_us_max", m.time_us);
    m.algbw_gbps = number(r, "algbw_gbps", where, origin);
    m.busbw_gbps = number(r, "busbw_gbps", where, origin);
    const auto w = r.find("wrong");
    if (w == r.end()) fail(origin, "missing field 'wrong' in " + where);
    m.wrong = w->is_number() ? integer<long long>(w->get<double>(), where + ".wrong", origin) : -1;
    m.algo = optional_text(r, "algo", f.algorithm);
    f.rows.push_back(std::move(m));
  }
  // A run with --keep-heap measured a different host allocator: its own configuration, so
  // calibrate and publish never mix it with a default run of the same algorithm.
  const nlohmann::json sweep = meta.value("sweep", nlohmann::json());
  if (sweep.is_object() && sweep.value("keep_heap", nlohmann::json(false)) == true) {
    f.algorithm += "+keep-heap";
    for (MeasuredRow& m : f.rows) m.algo += "+keep-heap";
  }
  return f;
}

MeasuredFile parse_nccl_tests_text(const std::string& input, const std::string& origin) {
  // One reader: the importer parses and checks the log (fabric_model/nccl_tests_import.h) and
  // writes the results document this file validates like fabricbench's own. Its errors are
  // ModelErrors (std::runtime_error) of one line "ORIGIN:LINE: reason".
  const model::NcclTestsRun run = model::parse_nccl_tests_log(input, origin);
  MeasuredFile f = parse_results_json(
      model::to_results_json(run, model::resolve_descriptor(run, model::ImportDescriptor{})),
      origin);
  f.format = "nccl-tests-text";
  // The suite's own console report names what it measured in its first line ("# fabricbench
  // VERSION (commit C) backend B algorithm A device D"): a CPU run stays a CPU run.
  std::istringstream in(input);
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find("# fabricbench ");
    if (at == std::string::npos) continue;
    std::istringstream ls(line.substr(at + 2));
    for (std::string tok; ls >> tok;) {
      if (tok == "backend") ls >> f.backend;
      if (tok == "algorithm") ls >> f.algorithm;
      if (tok == "device") ls >> f.device;
    }
    for (MeasuredRow& m : f.rows) m.algo = f.algorithm;
    break;
  }
  return f;
}

MeasuredFile read_measured_file(const std::string& path) {
  const std::string content = read_text(path);
  const auto first = content.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) fail(path, "empty file");
  if (content[first] == '{') return parse_results_json(parse_json_text(content, path), path);
  return parse_nccl_tests_text(content, path);
}

double optional_number(const nlohmann::json& obj, const char* key, double fallback) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string optional_text(const nlohmann::json& obj, const char* key, const std::string& fallback) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace fb
