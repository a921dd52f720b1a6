// nccl-tests importer. Layouts learned from NVIDIA/nccl-tests: src/util.cu (writeDeviceReport,
// writeResultHeader, writeBenchmarkLinePreamble/Body, writeResultFooter, the JSON writer),
// src/common.cu (size = max(sendBytes, expectedBytes), count = nbytes / wordSize) and each
// collective's GetCollByteCount / GetBw (src/all_gather.cu, alltoall.cu, hypercube.cu, ...).
#include "fabric_model/nccl_tests_import.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

#include "fabric_model/calibration.h"
#include "fabric_model/config.h"

namespace fb::model {
namespace {

[[noreturn]] void fail_at(const std::string& origin, int line, const std::string& what) {
  throw ModelError(origin + ":" + std::to_string(line) + ": " + what);
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_ws(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool parse_int_token(const std::string& s, long long& v) {
  if (s.empty()) return false;
  const std::size_t start = s[0] == '-' ? 1 : 0;
  if (!all_digits(s.substr(start))) return false;
  errno = 0;
  v = std::strtoll(s.c_str(), nullptr, 10);
  return errno == 0;
}

bool parse_u64_token(const std::string& s, std::uint64_t& v) {
  if (!all_digits(s)) return false;
  errno = 0;
  v = std::strtoull(s.c_str(), nullptr, 10);
  return errno == 0;
}

// Digits as an int, or `fallback` when out of range (a device line's 99999999999 pid).
int small_int(const std::string& digits, int fallback = -1) {
  long long v = 0;
  if (!parse_int_token(digits, v) || v > 1 << 30 || v < -(1 << 30)) return fallback;
  return static_cast<int>(v);
}

// A finite decimal number as printf's %f/%e/%g write it; `half_unit` is half of its last
// printed digit (the rounding the value carries).
bool parse_number(const std::string& s, double& v, double* half_unit = nullptr) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ||
          c == 'e' || c == 'E'))
      return false;
  }
  char* end = nullptr;
  errno = 0;
  v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) return false;
  if (half_unit) {
    const auto epos = s.find_first_of("eE");
    const std::string mant = s.substr(0, epos);
    const int exp10 = epos == std::string::npos ? 0 : std::atoi(s.c_str() + epos + 1);
    const auto dot = mant.find('.');
    const int decimals = dot == std::string::npos ? 0 : static_cast<int>(mant.size() - dot - 1);
    *half_unit = 0.5 * std::pow(10.0, exp10 - decimals);
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "all_reduce" from ".../all_reduce_perf", "all_reduce_perf_mpi", ...
std::string collective_from_binary(const std::string& text) {
  static const std::regex perf(R"(([a-z0-9_]+?)_perf)");
  std::smatch m;
  const std::string t = lower(text);
  if (!std::regex_search(t, m, perf)) return "";
  std::string name = m[1].str();
  const auto slash = name.find_last_of('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  return name;
}

const std::vector<std::string>& known_collectives() {
  static const std::vector<std::string> k = {
      "all_reduce", "all_gather", "reduce_scatter", "alltoall", "alltoallv", "broadcast",
      "reduce",     "sendrecv",   "gather",         "scatter",  "hypercube"};
  return k;
}

bool is_known_collective(const std::string& name) {
  const auto& k = known_collectives();
  return std::find(k.begin(), k.end(), name) != k.end();
}

// Launcher prefixes: Open MPI --tag-output "[1,0]<stdout>:", srun -l "0: " / " 0: ", pdsh
// "host: ". Returns false for a line tagged <stderr> (never part of the table).
bool strip_prefixes(std::string& line) {
  static const std::regex ompi(R"(^\[\d+,\d+\]<(stdout|stderr|stddiag)>:)");
  static const std::regex srun(R"(^\s*\d+: ?)");
  static const std::regex host(R"(^[A-Za-z][A-Za-z0-9._-]*: )");
  for (int pass = 0; pass < 2; ++pass) {
    std::smatch m;
    if (std::regex_search(line, m, ompi)) {
      if (m[1].str() != "stdout") return false;
      line = line.substr(m.length(0));
      continue;
    }
    if (std::regex_search(line, m, srun)) {
      line = line.substr(m.length(0));
      continue;
    }
    // pdsh's "host: " only when what follows is nccl-tests output, so "Warning: ..." and
    // "NCCL INFO x: y" stay whole.
    if (std::regex_search(line, m, host) && line.find("NCCL ") == std::string::npos) {
      const std::string rest = line.substr(m.length(0));
      const auto first = rest.find_first_not_of(' ');
      if (first != std::string::npos && (rest[first] == '#' || std::isdigit(rest[first]))) {
        line = rest;
        continue;
      }
    }
    break;
  }
  return true;
}

// Column names of a header line ("#  size count type redop root time algbw busbw #wrong ..."),
// '#' dropped, "error" (old nccl-tests) and "wrong" read as "#wrong".
std::vector<std::string> header_columns(const std::string& line) {
  std::vector<std::string> cols;
  for (std::string t : split_ws(line)) {
    if (t == "#") continue;
    if (t[0] == '#' && t != "#wrong") t = t.substr(1);
    if (t == "wrong" || t == "error") t = "#wrong";
    if (t == "cputime") t = "time";
    cols.push_back(t);
  }
  return cols;
}

// Columns before the first "time": size count type [redop] [root]; then groups of
// time algbw busbw #wrong (+ per-iteration columns), out-of-place first.
struct Layout {
  bool has_redop = false, has_root = false;
  std::size_t prefix = 3;
  std::vector<std::size_t> group_start;  // index of each group's "time"
  std::size_t group_size = 4;
  std::size_t trailing = 0;  // timestamp tokens (date and time)
  std::size_t tokens() const { return prefix + group_start.size() * group_size + trailing; }
};

bool layout_from_header(const std::vector<std::string>& cols, Layout& L, std::string& why) {
  if (cols.size() < 3 || cols[0] != "size" || cols[1] != "count" || cols[2] != "type") {
    why = "header does not start with 'size count type'";
    return false;
  }
  std::size_t i = 3;
  if (i < cols.size() && cols[i] == "redop") L.has_redop = true, ++i;
  if (i < cols.size() && cols[i] == "root") L.has_root = true, ++i;
  L.prefix = i;
  L.group_start.clear();
  for (std::size_t k = i; k < cols.size(); ++k) {
    if (cols[k] == "time") L.group_start.push_back(k);
  }
  if (L.group_start.empty() || L.group_start[0] != i) {
    why = "header has no 'time' column after '" + cols[i - 1] + "'";
    return false;
  }
  L.group_size = L.group_start.size() > 1 ? L.group_start[1] - L.group_start[0] : 4;
  const std::size_t end = L.group_start.back() + L.group_size;
  for (std::size_t g = 0; g < L.group_start.size(); ++g) {
    const std::size_t s = L.group_start[g];
    if (s + 3 >= cols.size() || cols[s + 1] != "algbw" || cols[s + 2] != "busbw" ||
        cols[s + 3] != "#wrong") {
      why = "header group " + std::to_string(g + 1) + " is not 'time algbw busbw #wrong'";
      return false;
    }
  }
  if (L.group_start.size() > 2) {
    why = "header has " + std::to_string(L.group_start.size()) + " 'time' columns (at most 2)";
    return false;
  }
  L.trailing = 0;
  if (end < cols.size()) {
    if (cols.size() == end + 1 && cols[end] == "timestamp") {
      L.trailing = 2;  // "%Y-%m-%d %H:%M:%S" is two tokens
    } else if (end > cols.size()) {
      why = "header ends inside a column group";
      return false;
    } else {
      why = "header has unknown trailing column '" + cols[end] + "'";
      return false;
    }
  }
  return true;
}

double bw_factor_busbw(const std::string& collective, int nranks) {
  // nccl-tests' GetBw: hypercube's algbw already counts (n-1)/n and its bus factor is 1;
  // gather and scatter use (n-1)/n like all_gather (src/gather.cu, src/scatter.cu).
  if (collective == "gather" || collective == "scatter")
    return nranks > 0 ? (nranks - 1.0) / nranks : 1;
  if (collective == "hypercube") return 1;
  return bus_factor(collective, nranks);
}

// algbw = bytes / time for every collective but hypercube (bytes x (n-1)/n / time).
double algbw_bytes_factor(const std::string& collective, int nranks) {
  if (collective == "hypercube") return nranks > 0 ? (nranks - 1.0) / nranks : 0;
  return 1;
}

struct Tolerances {
  double time = 0, algbw = 0, busbw = 0;
};

// Checks algbw against bytes/time and busbw against algbw x bus factor, each within what the
// printed digits can hide. Returns an empty string when consistent.
std::string check_bandwidths(const NcclTestsRow& r, const NcclTestsVariant& v,
                             const Tolerances& tol, const std::string& collective, int nranks) {
  if (!v.present) return "";
  const double eps = 1e-9;
  const double bytes_factor = algbw_bytes_factor(collective, nranks);
  if (bytes_factor <= 0) return "";  // hypercube with unknown ranks
  const double moved = static_cast<double>(r.bytes) * bytes_factor;
  // Time in us: bytes / us / 1e3 = GB/s.
  const double t_hi = v.time_us + tol.time;
  const double t_lo = v.time_us - tol.time;
  double lo = t_hi > 0 ? moved / t_hi / 1e3 : 0;
  double hi = t_lo > 0 ? moved / t_lo / 1e3 : HUGE_VAL;
  if (v.time_us <= 0 && r.bytes > 0)
    return "time " + std::to_string(v.time_us) + " us is not positive";
  lo = std::max(lo, v.algbw_gbps - tol.algbw);
  hi = std::min(hi, v.algbw_gbps + tol.algbw);
  if (lo > hi * (1 + eps) + eps) {
    std::ostringstream m;
    m << "algbw " << v.algbw_gbps << " GB/s contradicts " << r.bytes << " B in " << v.time_us
      << " us (" << (moved / v.time_us / 1e3) << " GB/s)";
    return m.str();
  }
  if (nranks <= 0 || collective.empty()) return "";
  const double f = bw_factor_busbw(collective, nranks);
  const double b_lo = f * lo - tol.busbw, b_hi = f * hi + tol.busbw;
  if (v.busbw_gbps < b_lo * (1 - eps) - eps || v.busbw_gbps > b_hi * (1 + eps) + eps) {
    std::ostringstream m;
    m << "busbw " << v.busbw_gbps << " GB/s contradicts algbw " << v.algbw_gbps << " GB/s x "
      << collective << " bus factor " << f << " at " << nranks << " ranks (" << f * v.algbw_gbps
      << " GB/s)";
    return m.str();
  }
  return "";
}

// Meta values: "#meta gpus_per_node: 8 ; nodes: 2 ; total_ranks: 16" holds several fields.
std::optional<long long> meta_number(const NcclTestsRun& run, const std::string& name) {
  const std::regex re("(^|[ ;])" + name + R"(: (\d+))");
  for (const auto& [key, value] : run.meta) {
    std::string line = key;
    line.append(": ").append(value);
    std::smatch m;
    if (std::regex_search(line, m, re)) {
      long long v = 0;
      if (parse_int_token(m[2].str(), v)) return v;
    }
  }
  return std::nullopt;
}

const std::string* meta_value(const NcclTestsRun& run, const std::string& key) {
  for (const auto& kv : run.meta) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

// "KEY=VALUE" words of a meta env line; a value in double quotes may hold spaces; a value is cut
// at '(' (a curator's remark) and a trailing ';'.
void env_from_meta_text(const std::string& text, std::map<std::string, std::string>& env) {
  static const std::regex kv(R"re((^|[\s;])([A-Z][A-Z0-9_]*)=("[^"]*"|[^\s]*))re");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kv); it != std::sregex_iterator();
       ++it) {
    std::string v = (*it)[3].str();
    if (!v.empty() && v[0] == '"') {
      v = v.substr(1, v.size() - 2);
    } else {
      v = v.substr(0, v.find('('));
      while (!v.empty() && (v.back() == ';' || v.back() == ',')) v.pop_back();
    }
    env[(*it)[2].str()] = v;
  }
}

std::string nccl_version_from_code(long long code) {
  // NCCL_VERSION_CODE: major*10000 + minor*100 + patch since 2.9, major*1000 + minor*100 +
  // patch before (nccl.h's NCCL_VERSION macro).
  if (code <= 0) return "";
  long long major = 0, minor = 0, patch = 0;
  if (code >= 20900) {
    major = code / 10000, minor = (code % 10000) / 100, patch = code % 100;
  } else {
    major = code / 1000, minor = (code % 1000) / 100, patch = code % 100;
  }
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

// Ranks, servers, GPU model, NCCL version and collective from what the file printed, else its
// #meta lines; then every row checked. Shared by the text and JSON readers.
void finish_run(NcclTestsRun& run, int last_line) {
  const bool text = run.format == "nccl-tests-text";
  auto where = [&](const NcclTestsRow& r) {
    return text ? std::to_string(r.line)
                : std::string("results[") + std::to_string(&r - run.rows.data()) + "]";
  };
  auto fail_row = [&](const NcclTestsRow& r, const std::string& what) -> void {
    if (text) fail_at(run.origin, r.line, what);
    throw ModelError(run.origin + ": " + where(r) + ": " + what);
  };
  if (run.rows.empty()) {
    if (text)
      fail_at(run.origin, last_line,
              "no nccl-tests table rows in " + std::to_string(last_line) + " lines");
    throw ModelError(run.origin + ": results: no table rows");
  }

  // Collective.
  if (run.collective.empty()) {
    if (const std::string* c = meta_value(run, "collective")) {
      run.collective = collective_from_binary(*c);
      if (!run.collective.empty()) run.collective_source = "#meta collective";
    }
  }

  if (!run.collective.empty()) {
    const auto& k = known_collectives();
    if (std::find(k.begin(), k.end(), run.collective) == k.end())
      run.notes.push_back("collective '" + run.collective +
                          "' unknown to the importer: size x1 and bus factor 1 assumed");
  }

  // Devices: ranks, hosts, GPU model.
  if (!run.devices.empty()) {
    std::set<int> ranks;
    std::vector<std::string> names;
    for (const auto& d : run.devices) {
      ranks.insert(d.rank);
      if (std::find(run.hosts.begin(), run.hosts.end(), d.host) == run.hosts.end())
        run.hosts.push_back(d.host);
      if (std::find(names.begin(), names.end(), d.name) == names.end()) names.push_back(d.name);
    }
    run.ranks = static_cast<int>(ranks.size());
    run.ranks_source = "device lines";
    run.servers = static_cast<int>(run.hosts.size());
    run.servers_source = "device lines (distinct hosts)";
    std::string joined;
    for (const auto& n : names) joined += (joined.empty() ? "" : " + ") + n;
    run.gpu_model = joined;
    run.gpu_model_source = "device lines";
    if (names.size() > 1) run.notes.push_back("several GPU models: " + joined);
  }
  if (auto n = meta_number(run, "total_ranks"); n && run.ranks > 0 && *n != run.ranks)
    run.notes.push_back("#meta total_ranks " + std::to_string(*n) + " but " +
                        std::to_string(run.ranks) + " ranks in the " + run.ranks_source +
                        " (used)");
  if (run.ranks == 0) {
    if (auto n = meta_number(run, "total_ranks")) {
      run.ranks = static_cast<int>(*n);
      run.ranks_source = "#meta total_ranks";
    }
  }
  if (run.servers == 0) {
    if (auto n = meta_number(run, "nodes")) {
      run.servers = static_cast<int>(*n);
      run.servers_source = "#meta nodes";
    }
  }
  if (run.gpu_model.empty()) {
    if (const std::string* g = meta_value(run, "gpu")) {
      run.gpu_model = trim(g->substr(0, g->find_first_of(",(")));
      run.gpu_model_source = "#meta gpu";
    }
  }
  if (run.nccl_version.empty()) {
    if (const std::string* v = meta_value(run, "nccl")) {
      static const std::regex ver(R"(^\s*(\d+\.\d+(\.\d+)?\S*))");
      std::smatch m;
      if (std::regex_search(*v, m, ver)) {
        run.nccl_version = m[1].str();
        run.nccl_version_source = "#meta nccl";
      }
    }
  }
  for (const auto& [key, value] : run.meta) {
    if (key.rfind("env", 0) == 0) {
      const std::size_t before = run.env.size();
      env_from_meta_text(value, run.env);
      if (run.env.size() != before && run.env_source.find("#meta") == std::string::npos)
        run.env_source += run.env_source.empty() ? "#meta env" : " + #meta env";
    }
  }

  // Size vs count x type: fixes the rank count where the collective's size counts ranks.
  const int m_one = nccl_tests_size_ranks_factor(run.collective, 1);
  const bool size_counts_ranks =
      !run.collective.empty() && m_one == 1 && nccl_tests_size_ranks_factor(run.collective, 2) == 2;
  int ratio_ranks = 0;
  int ratio_line = 0;
  for (const auto& r : run.rows) {
    const int tb = nccl_tests_type_bytes(r.type);
    if (tb == 0) fail_row(r, "unknown data type '" + json_util::printable(r.type) + "'");
    const std::uint64_t elem_bytes = r.count * static_cast<std::uint64_t>(tb);
    if (elem_bytes == 0) {
      if (r.bytes != 0 && !run.collective.empty() && !size_counts_ranks)
        fail_row(r, "size " + std::to_string(r.bytes) + " B with count 0");
      continue;
    }
    if (r.bytes % elem_bytes != 0)
      fail_row(r, "size " + std::to_string(r.bytes) + " B is not a multiple of count " +
                      std::to_string(r.count) + " x " + std::to_string(tb) + " B (" + r.type + ")");
    const std::uint64_t ratio = r.bytes / elem_bytes;
    if (run.collective.empty()) {
      // Columns only: remember the ratio so the collective can be named from it below.
      if (ratio_ranks == 0) ratio_ranks = static_cast<int>(ratio), ratio_line = r.line;
      if (static_cast<int>(ratio) != ratio_ranks)
        fail_row(r, "size/count ratio " + std::to_string(ratio) + " differs from " +
                        std::to_string(ratio_ranks) + " of the first row");
      continue;
    }
    if (!size_counts_ranks) {
      if (ratio != 1)
        fail_row(r, "size " + std::to_string(r.bytes) + " B does not match count " +
                        std::to_string(r.count) + " x " + std::to_string(tb) + " B (" + r.type +
                        ") = " + std::to_string(elem_bytes) + " B of " + run.collective);
      continue;
    }
    const int expect = run.ranks > 0 ? run.ranks : ratio_ranks;
    if (expect > 0 && static_cast<int>(ratio) != expect)
      fail_row(r, "size " + std::to_string(r.bytes) + " B does not match count " +
                      std::to_string(r.count) + " x " + std::to_string(tb) + " B (" + r.type +
                      ") x " + std::to_string(expect) + " ranks = " +
                      std::to_string(elem_bytes * static_cast<std::uint64_t>(expect)) + " B of " +
                      run.collective);
    if (ratio_ranks == 0) ratio_ranks = static_cast<int>(ratio), ratio_line = r.line;
  }
  if (run.collective.empty()) {
    // Name it from the columns: size/count says whether the buffer counts ranks, redop and
    // root say which collective of each kind (src/*.cu: only reduce_scatter reduces into a
    // per-rank count; only broadcast/reduce/gather/scatter have a root).
    const NcclTestsRow& r = run.rows.front();
    const bool reduces = r.redop != "none" && !r.redop.empty();
    const bool rooted = r.root >= 0;
    std::string c;
    if (ratio_ranks <= 1) {
      c = rooted ? (reduces ? "reduce" : "broadcast") : (reduces ? "all_reduce" : "sendrecv");
    } else if (reduces && !rooted) {
      c = "reduce_scatter";
    }
    if (c.empty()) {
      run.notes.push_back("collective not named by the log: by the columns it is " +
                          std::string(rooted ? "gather or scatter" : "all_gather or alltoall") +
                          " (add '#meta collective: NAME_perf')");
    } else {
      run.collective = c;
      run.collective_source = "columns (size/count ratio " + std::to_string(ratio_ranks) +
                              ", redop " + r.redop + ", root " + std::to_string(r.root) + ")";
      run.notes.push_back("collective " + c + " inferred from the columns");
    }
  }
  if (ratio_ranks > 1 && nccl_tests_size_ranks_factor(run.collective, 2) == 2) {
    if (run.ranks == 0) {
      run.ranks = ratio_ranks;
      run.ranks_source = "size / (count x type) of line " + std::to_string(ratio_line);
    }
  }

  if (run.servers > 0 && run.ranks > 0) {
    if (run.ranks % run.servers == 0) {
      run.gpus_per_server = run.ranks / run.servers;
    } else {
      run.notes.push_back(std::to_string(run.ranks) + " ranks on " + std::to_string(run.servers) +
                          " servers: uneven, GPUs per server unknown");
    }
  }
  if (run.ranks == 0) run.notes.push_back("rank count unknown: busbw not checked");
}

// Per-row tolerances of the text log (half a unit of each printed value), kept beside the rows.
struct RowTolerances {
  Tolerances oop, ip;
};

void check_all_bandwidths(const NcclTestsRun& run, const std::vector<RowTolerances>* tols) {
  for (std::size_t i = 0; i < run.rows.size(); ++i) {
    const NcclTestsRow& r = run.rows[i];
    const Tolerances json_tol{5e-7, 5e-7, 5e-7};
    const Tolerances& to = tols ? (*tols)[i].oop : json_tol;
    const Tolerances& ti = tols ? (*tols)[i].ip : json_tol;
    for (int k = 0; k < 2; ++k) {
      const std::string why = check_bandwidths(r, k == 0 ? r.out_of_place : r.in_place,
                                               k == 0 ? to : ti, run.collective, run.ranks);
      if (why.empty()) continue;
      const std::string what = std::string(k == 0 ? "out-of-place " : "in-place ") + why;
      if (tols) fail_at(run.origin, r.line, what);
      throw ModelError(run.origin + ": results[" + std::to_string(i) + "]: " + what);
    }
  }
}

bool parse_variant(const std::vector<std::string>& tok, std::size_t k, NcclTestsVariant& v,
                   Tolerances& tol, std::string& why) {
  v.present = true;
  if (!parse_number(tok[k], v.time_us, &tol.time)) {
    why = "time '" + json_util::printable(tok[k]) + "' is not a number";
    return false;
  }
  if (!parse_number(tok[k + 1], v.algbw_gbps, &tol.algbw)) {
    why = "algbw '" + json_util::printable(tok[k + 1]) + "' is not a number";
    return false;
  }
  if (!parse_number(tok[k + 2], v.busbw_gbps, &tol.busbw)) {
    why = "busbw '" + json_util::printable(tok[k + 2]) + "' is not a number";
    return false;
  }
  if (tok[k + 3] == "N/A") {
    v.wrong.reset();
  } else {
    double w = 0;
    if (!parse_number(tok[k + 3], w) || w < 0) {
      why = "#wrong '" + json_util::printable(tok[k + 3]) + "' is neither a count nor N/A";
      return false;
    }
    v.wrong = w;
  }
  if (v.time_us < 0 || v.algbw_gbps < 0 || v.busbw_gbps < 0) {
    why = "negative time or bandwidth";
    return false;
  }
  return true;
}

// Layout of a table whose header lines are lost, from the first row's column count:
// 13 = size count type redop root + 2 x 4; 12 = one of redop (a word) or root (an integer);
// 11 = neither.
bool infer_layout(const std::vector<std::string>& tok, Layout& L) {
  L = Layout{};
  L.group_start = {0, 0};
  if (tok.size() == 13) {
    L.has_redop = L.has_root = true;
  } else if (tok.size() == 12) {
    long long v = 0;
    (parse_int_token(tok[3], v) ? L.has_root : L.has_redop) = true;
  } else if (tok.size() != 11) {
    return false;
  }
  L.prefix = 3 + (L.has_redop ? 1 : 0) + (L.has_root ? 1 : 0);
  L.group_start = {L.prefix, L.prefix + 4};
  return true;
}

}  // namespace

int nccl_tests_type_bytes(const std::string& type) {
  // nccl-tests' test_typenames (src/common.cu) plus the aliases people write.
  static const std::map<std::string, int> bytes = {
      {"int8", 1},    {"uint8", 1},    {"char", 1},  {"f8e4m3", 1}, {"f8e5m2", 1}, {"half", 2},
      {"float16", 2}, {"bfloat16", 2}, {"bf16", 2},  {"int32", 4},  {"uint32", 4}, {"int", 4},
      {"float", 4},   {"float32", 4},  {"int64", 8}, {"uint64", 8}, {"double", 8}, {"float64", 8}};
  const auto it = bytes.find(type);
  return it == bytes.end() ? 0 : it->second;
}

int nccl_tests_size_ranks_factor(const std::string& collective, int nranks) {
  if (collective == "all_gather" || collective == "reduce_scatter" || collective == "alltoall" ||
      collective == "gather" || collective == "scatter" || collective == "hypercube")
    return nranks;
  return 1;
}

// Longer than a table row or a device line can be (the device name is at most 256 bytes).
constexpr std::size_t kMaxRegexLine = 4096;

NcclTestsRun parse_nccl_tests_log(const std::string& text, const std::string& origin) {
  NcclTestsRun run;
  run.origin = origin;
  run.format = "nccl-tests-text";
  std::vector<RowTolerances> tols;
  Layout layout;
  bool have_layout = false;
  bool in_table = false, after_footer = false;
  static const std::regex device_re(
      R"(^#\s*Rank\s+(\d+)\s+(?:Group\s+(\d+)\s+)?Pid\s+(\d+)\s+on\s+(\S+)\s+device\s+(\d+)\s+\[([^\]]*)\]\s*(.*)$)");
  static const std::regex env_info(R"(NCCL INFO\s+(NCCL_[A-Z0-9_]+) set by environment to (\S+))");
  static const std::regex version_re(R"((?:^|\s)NCCL version (\S+))");
  static const std::regex tests_version(
      R"(^#\s*nccl-tests version (\S+)(?:\s+nccl-headers=(\d+))?(?:\s+nccl-library=(\d+))?)");

  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("#meta", 0) == 0) {
      const std::string body = trim(line.substr(5));
      const auto colon = body.find(':');
      if (colon == std::string::npos) {
        run.meta.emplace_back(body, "");
      } else {
        run.meta.emplace_back(trim(body.substr(0, colon)), trim(body.substr(colon + 1)));
      }
      continue;
    }
    // std::regex recurses per character: a line longer than any nccl-tests line (NCCL's ring
    // listings at thousands of ranks aside, which are INFO lines) is not matched at all.
    if (line.size() > kMaxRegexLine) {
      if (line.find("NCCL INFO") != std::string::npos || !in_table || run.rows.empty()) continue;
      fail_at(origin, line_no,
              "line of " + std::to_string(line.size()) + " characters inside the table");
    }
    if (!strip_prefixes(line)) continue;
    const std::string t = trim(line);
    if (t.empty()) continue;
    std::smatch m;
    // NCCL's own log lines ("host:pid:tid [dev] NCCL INFO ...") interleave with the table.
    if (t.find("NCCL INFO") != std::string::npos || t.find("NCCL WARN") != std::string::npos ||
        t.find("NCCL TRACE") != std::string::npos) {
      if (std::regex_search(t, m, env_info)) {
        run.env[m[1].str()] = m[2].str();
        if (run.env_source.find("NCCL INFO") == std::string::npos)
          run.env_source += run.env_source.empty() ? "NCCL INFO" : " + NCCL INFO";
      }
      if (run.nccl_version.empty() && std::regex_search(t, m, version_re)) {
        run.nccl_version = m[1].str();
        run.nccl_version_source = "NCCL INFO line " + std::to_string(line_no);
      }
      continue;
    }
    if (t.rfind("NCCL version ", 0) == 0) {
      run.nccl_version = trim(t.substr(13));
      run.nccl_version_source = "line " + std::to_string(line_no);
      continue;
    }
    const std::vector<std::string> tok = split_ws(t);
    const bool hash = t[0] == '#';
    const std::string first =
        hash ? (tok[0] == "#" ? (tok.size() > 1 ? tok[1] : "") : tok[0].substr(1)) : tok[0];
    // Header lines, with or without their '#'.
    if (first == "size") {
      std::string why;
      Layout L;
      if (!layout_from_header(header_columns(t), L, why)) fail_at(origin, line_no, why);
      if (!run.rows.empty() && have_layout && L.tokens() != layout.tokens())
        fail_at(origin, line_no, "a second table with another layout");
      layout = L;
      have_layout = true;
      run.columns = header_columns(t);
      in_table = true;
      after_footer = false;
      continue;
    }
    if (first == "(B)" || t.find("out-of-place") != std::string::npos) continue;
    if (hash) {
      if (std::regex_search(t, m, device_re)) {
        NcclTestsDevice d;
        d.rank = small_int(m[1].str());
        if (d.rank < 0) fail_at(origin, line_no, "device line rank out of range");
        d.group = m[2].matched ? small_int(m[2].str()) : 0;
        d.pid = small_int(m[3].str());
        d.host = m[4].str();
        d.device = small_int(m[5].str());
        d.bus_id = m[6].str();
        d.name = trim(m[7].str());
        run.devices.push_back(d);
        continue;
      }
      if (first == "Rank") fail_at(origin, line_no, "unreadable device line");
      if (std::regex_search(t, m, tests_version)) {
        run.nccl_tests_version = m[1].str();
        if (m[3].matched) {
          run.nccl_version = nccl_version_from_code(small_int(m[3].str(), 0));
          run.nccl_version_source = "nccl-tests version line (nccl-library)";
        }
        continue;
      }
      const auto starting = t.find("Collective test starting:");
      if (starting != std::string::npos) {
        const std::string c = collective_from_binary(t.substr(starting));
        if (!c.empty()) {
          run.collective = c;
          run.collective_source = "'# Collective test starting' line " + std::to_string(line_no);
        }
        continue;
      }
      if (first == "nThread") {
        // "nThread 1 nGpus 1 minBytes 8 ... step: 2(factor) warmup iters: 5 iters: 20 ...":
        // words up to a value form its key.
        std::string key;
        for (std::size_t i = tok[0] == "#" ? 1 : 0; i < tok.size(); ++i) {
          std::string w = tok[i];
          if (i == 0 && w[0] == '#') w = w.substr(1);
          if (!w.empty() && std::isdigit(static_cast<unsigned char>(w[0]))) {
            if (key.empty()) fail_at(origin, line_no, "parameter value '" + w + "' with no name");
            run.parameters[key] = w;
            key.clear();
          } else {
            if (!w.empty() && w.back() == ':') w.pop_back();
            key += (key.empty() ? "" : " ") + w;
          }
        }
        continue;
      }
      const auto colon = t.find(':');
      if (colon != std::string::npos) {
        const std::string name = trim(t.substr(1, colon - 1));
        const std::vector<std::string> val = split_ws(t.substr(colon + 1));
        if (name == "Avg bus bandwidth" && !val.empty()) {
          double v = 0;
          if (!parse_number(val[0], v))
            fail_at(origin, line_no, "unreadable average bus bandwidth");
          run.avg_busbw_gbps = v;
          in_table = false;
          after_footer = true;
        } else if (name == "Out of bounds values" && !val.empty()) {
          long long v = 0;
          if (!parse_int_token(val[0], v))
            fail_at(origin, line_no, "unreadable out-of-bounds count");
          run.out_of_bounds = v;
          in_table = false;
          after_footer = true;
        }
      }
      continue;  // other comments: "# Using devices", "#", "# Blocking Enabled ..."
    }
    // Data rows start with the size; anything else inside the table is unreadable.
    if (!all_digits(tok[0])) {
      if (in_table && !run.rows.empty())
        fail_at(origin, line_no, "cannot read '" + json_util::printable(t) + "' inside the table");
      continue;  // launcher chatter before the table
    }
    if (after_footer && !have_layout) continue;
    if (!have_layout) {
      if (!infer_layout(tok, layout))
        fail_at(origin, line_no,
                "no header line and " + std::to_string(tok.size()) +
                    " columns match no nccl-tests layout (11, 12 or 13)");
      have_layout = true;
      run.header_inferred = true;
      run.columns = {"size", "count", "type"};
      if (layout.has_redop) run.columns.push_back("redop");
      if (layout.has_root) run.columns.push_back("root");
      for (int g = 0; g < 2; ++g)
        for (const char* c : {"time", "algbw", "busbw", "#wrong"}) run.columns.push_back(c);
      run.notes.push_back("no header line: layout of " + std::to_string(tok.size()) +
                          " columns inferred from line " + std::to_string(line_no));
    }
    in_table = true;
    if (tok.size() != layout.tokens())
      fail_at(origin, line_no,
              "row has " + std::to_string(tok.size()) + " columns, the header has " +
                  std::to_string(layout.tokens()));
    NcclTestsRow r;
    r.line = line_no;
    if (!parse_u64_token(tok[0], r.bytes)) fail_at(origin, line_no, "size out of range");
    if (!parse_u64_token(tok[1], r.count))
      fail_at(origin, line_no, "count '" + json_util::printable(tok[1]) + "' is not an integer");
    r.type = tok[2];
    std::size_t k = 3;
    r.redop = layout.has_redop ? tok[k++] : "none";
    if (layout.has_root) {
      long long root = 0;
      if (!parse_int_token(tok[k], root) || root < -1 || root > 1 << 24)
        fail_at(origin, line_no, "root '" + json_util::printable(tok[k]) + "' is not a rank");
      r.root = static_cast<int>(root);
    }
    RowTolerances rt;
    std::string why;
    if (!parse_variant(tok, layout.group_start[0], r.out_of_place, rt.oop, why))
      fail_at(origin, line_no, "out-of-place " + why);
    if (layout.group_start.size() > 1 &&
        !parse_variant(tok, layout.group_start[1], r.in_place, rt.ip, why))
      fail_at(origin, line_no, "in-place " + why);
    run.rows.push_back(r);
    tols.push_back(rt);
  }
  finish_run(run, line_no);
  check_all_bandwidths(run, &tols);
  return run;
}

namespace {

std::string json_scalar_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

double json_variant_number(const nlohmann::json& o, const char* key, const std::string& where) {
  const auto it = o.find(key);
  if (it == o.end()) throw ModelError(where + ": missing '" + key + "'");
  if (!it->is_number())
    throw ModelError(where + ": '" + key + "' is " + json_util::printable(it->dump()) +
                     ", not a number");
  const double v = it->get<double>();
  if (v < 0) throw ModelError(where + ": '" + key + "' is negative");
  return v;
}

void json_variant(const nlohmann::json& r, const char* key, NcclTestsVariant& v,
                  const std::string& where) {
  const auto it = r.find(key);
  if (it == r.end() || it->is_null()) return;
  const std::string w = where + "." + key;
  if (!it->is_object()) throw ModelError(w + ": not an object");
  v.present = true;
  const char* time_key = it->contains("time") ? "time" : "cpu_time";
  v.time_us = json_variant_number(*it, time_key, w);
  v.algbw_gbps = json_variant_number(*it, "alg_bw", w);
  v.busbw_gbps = json_variant_number(*it, "bus_bw", w);
  const auto nw = it->find("nwrong");
  if (nw == it->end()) throw ModelError(w + ": missing 'nwrong'");
  if (nw->is_number()) {
    v.wrong = nw->get<double>();
  } else if (!nw->is_null()) {
    throw ModelError(w + ": 'nwrong' is neither a number nor null");
  }
}

}  // namespace

namespace {
NcclTestsRun parse_json_checked(const nlohmann::json& doc, const std::string& origin);
}  // namespace

NcclTestsRun parse_nccl_tests_json(const nlohmann::json& doc, const std::string& origin) {
  try {
    return parse_json_checked(doc, origin);
  } catch (const nlohmann::json::exception& e) {
    // A field of an unexpected type that a lenient read (json::value) met: still one line.
    throw ModelError(origin + ": a field has the wrong type (" + json_util::printable(e.what()) +
                     ")");
  }
}

namespace {
NcclTestsRun parse_json_checked(const nlohmann::json& doc, const std::string& origin) {
  NcclTestsRun run;
  run.origin = origin;
  run.format = "nccl-tests-json";
  if (!doc.is_object()) throw ModelError(origin + ": not a JSON object");
  const auto ver = doc.find("version");
  if (ver == doc.end() || !ver->is_number_integer())
    throw ModelError(origin + ": no integer 'version' (not an nccl-tests -J file)");
  if (ver->get<long long>() < 1 || ver->get<long long>() > 2)
    throw ModelError(origin + ": nccl-tests JSON version " + ver->dump() + " is not 1 or 2");
  if (doc.contains("args") && doc["args"].is_array()) {
    for (const auto& a : doc["args"])
      if (a.is_string()) run.command_line.push_back(a.get<std::string>());
    if (!run.command_line.empty()) {
      run.collective = collective_from_binary(run.command_line[0]);
      if (!run.collective.empty()) run.collective_source = "JSON args[0]";
      // fabricbench's own -J files: "fabricbench COLLECTIVE flags...".
      const std::string& prog = run.command_line[0];
      const bool fabricbench =
          prog == "fabricbench" ||
          (prog.size() > 12 && prog.compare(prog.size() - 12, 12, "/fabricbench") == 0);
      if (run.collective.empty() && fabricbench && run.command_line.size() > 1 &&
          is_known_collective(run.command_line[1])) {
        run.collective = run.command_line[1];
        run.collective_source = "JSON args[1] (fabricbench COLLECTIVE)";
      }
    }
  }
  if (doc.contains("env") && doc["env"].is_array()) {
    for (const auto& e : doc["env"]) {
      if (!e.is_string()) continue;
      const std::string s = e.get<std::string>();
      const auto eq = s.find('=');
      if (eq == std::string::npos) continue;
      const std::string k = s.substr(0, eq);
      // The whole environment is in the file; keep what configures NCCL and its transports.
      for (const char* p : {"NCCL_", "FI_", "UCX_", "SHARP_", "CUDA_VISIBLE_DEVICES"}) {
        if (k.rfind(p, 0) == 0) {
          run.env[k] = s.substr(eq + 1);
          run.env_source = "JSON env";
        }
      }
    }
  }
  if (doc.contains("nccl_version") && doc["nccl_version"].is_number_integer()) {
    run.nccl_version = nccl_version_from_code(doc["nccl_version"].get<long long>());
    if (!run.nccl_version.empty()) run.nccl_version_source = "JSON nccl_version";
  }
  const auto cfg = doc.find("config");
  if (cfg != doc.end()) {
    if (!cfg->is_object()) throw ModelError(origin + ": config: not an object");
    for (auto it = cfg->begin(); it != cfg->end(); ++it) {
      if (it.key() == "devices") continue;
      if (!it->is_structured()) run.parameters[it.key()] = json_scalar_text(*it);
    }
    const auto devs = cfg->find("devices");
    if (devs != cfg->end()) {
      if (!devs->is_array()) throw ModelError(origin + ": config.devices: not an array");
      for (std::size_t i = 0; i < devs->size(); ++i) {
        const auto& d = (*devs)[i];
        const std::string w = origin + ": config.devices[" + std::to_string(i) + "]";
        if (!d.is_object() || !d.contains("rank") || !d["rank"].is_number_integer() ||
            !d.contains("hostname") || !d["hostname"].is_string())
          throw ModelError(w + ": needs an integer 'rank' and a string 'hostname'");
        NcclTestsDevice dev;
        dev.rank = d["rank"].get<int>();
        dev.group = d.value("group", 0);
        dev.pid = d.value("pid", 0);
        dev.host = d["hostname"].get<std::string>();
        dev.device = d.value("device", 0);
        dev.bus_id = d.value("device_hex", std::string());
        dev.name = trim(d.value("device_info", std::string()));
        run.devices.push_back(dev);
      }
    }
  }
  const auto res = doc.find("results");
  if (res == doc.end() || !res->is_array())
    throw ModelError(origin + ": no 'results' array (the run ended before its table?)");
  for (std::size_t i = 0; i < res->size(); ++i) {
    const auto& r = (*res)[i];
    const std::string w = origin + ": results[" + std::to_string(i) + "]";
    if (!r.is_object()) throw ModelError(w + ": not an object");
    NcclTestsRow row;
    for (const char* key : {"size", "count"}) {
      if (!r.contains(key) || !r[key].is_number_unsigned())
        throw ModelError(w + ": '" + key + "' is not a non-negative integer");
    }
    row.bytes = r["size"].get<std::uint64_t>();
    row.count = r["count"].get<std::uint64_t>();
    if (!r.contains("type") || !r["type"].is_string())
      throw ModelError(w + ": 'type' is not a string");
    row.type = r["type"].get<std::string>();
    row.redop = trim(r.value("redop", std::string("none")));
    if (row.redop.empty()) row.redop = "none";
    if (r.contains("root")) {
      // Written as a string padded with "%6i".
      long long root = 0;
      const std::string rs = trim(json_scalar_text(r["root"]));
      if (!parse_int_token(rs, root) || root < -1 || root > 1 << 24)
        throw ModelError(w + ": root '" + json_util::printable(rs) + "' is not a rank");
      row.root = static_cast<int>(root);
    }
    json_variant(r, "out_of_place", row.out_of_place, w);
    json_variant(r, "in_place", row.in_place, w);
    if (!row.out_of_place.present && !row.in_place.present)
      throw ModelError(w + ": neither out_of_place nor in_place");
    run.rows.push_back(row);
  }
  if (doc.contains("average_bus_bandwidth") && doc["average_bus_bandwidth"].is_object()) {
    const auto& a = doc["average_bus_bandwidth"];
    if (a.contains("bandwidth") && a["bandwidth"].is_number())
      run.avg_busbw_gbps = a["bandwidth"].get<double>();
  }
  if (doc.contains("out_of_bounds") && doc["out_of_bounds"].is_object()) {
    const auto& o = doc["out_of_bounds"];
    if (o.contains("count") && o["count"].is_number_integer())
      run.out_of_bounds = o["count"].get<long long>();
  }
  run.columns = {"size",  "count",  "type", "redop", "root",  "time",  "algbw",
                 "busbw", "#wrong", "time", "algbw", "busbw", "#wrong"};
  finish_run(run, 0);
  check_all_bandwidths(run, nullptr);
  return run;
}
}  // namespace

NcclTestsRun parse_nccl_tests_any(const std::string& text, const std::string& origin) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      std::size_t byte = 0;
      if (const auto* pe = dynamic_cast<const nlohmann::json::parse_error*>(&e)) byte = pe->byte;
      const int line =
          1 + static_cast<int>(std::count(
                  text.begin(),
                  text.begin() + static_cast<std::ptrdiff_t>(std::min(byte, text.size())), '\n'));
      fail_at(origin, line,
              std::string(byte + 1 >= text.size() ? "truncated or " : "") +
                  "not valid JSON (byte " + std::to_string(byte) + ")");
    }
    return parse_nccl_tests_json(doc, origin);
  }
  return parse_nccl_tests_log(text, origin);
}

// ---- descriptor -------------------------------------------------------------------------------

std::string forced_algo_from_env(const std::string& nccl_algo) {
  // NCCL's algorithm names (src/graph/tuning.cc ncclAlgoStr) in the model's spelling.
  static const std::map<std::string, std::string> names = {{"ring", "ring"},
                                                           {"tree", "tree"},
                                                           {"nvls", "nvls"},
                                                           {"nvlstree", "nvls_tree"},
                                                           {"collnetdirect", "collnet_direct"},
                                                           {"collnetchain", "collnet_chain"},
                                                           {"pat", "pat"}};
  const std::string v = lower(trim(nccl_algo));
  if (v.empty() || v[0] == '^' || v.find(',') != std::string::npos) return "";
  const auto it = names.find(v);
  return it == names.end() ? "" : it->second;
}

std::string forced_proto_from_env(const std::string& nccl_proto) {
  const std::string v = lower(trim(nccl_proto));
  if (v == "simple" || v == "ll" || v == "ll128") return v;
  return "";
}

ImportDescriptor parse_import_descriptor(const nlohmann::json& j, const std::string& origin) {
  json_util::reject_unknown_keys(
      j, {"topology_preset", "gpus", "fabric_profile", "forced_algo", "forced_proto"}, origin);
  ImportDescriptor d;
  for (const char* key : {"topology_preset", "fabric_profile", "forced_algo", "forced_proto"}) {
    if (j.contains(key) && !j[key].is_string())
      throw ModelError(origin + ": '" + key + "' must be a string");
  }
  d.topology_preset = j.value("topology_preset", std::string());
  d.fabric_profile = j.value("fabric_profile", std::string());
  d.forced_algo = j.value("forced_algo", std::string());
  d.forced_proto = j.value("forced_proto", std::string());
  if (j.contains("gpus")) {
    if (!j["gpus"].is_number_integer() || j["gpus"].get<long long>() < 1)
      throw ModelError(origin + ": 'gpus' must be a positive integer");
    d.gpus = j["gpus"].get<std::int64_t>();
  }
  if (!d.forced_algo.empty() && forced_algo_from_env(d.forced_algo) != d.forced_algo)
    throw ModelError(origin + ": forced_algo '" + json_util::printable(d.forced_algo) +
                     "' is not one of ring, tree, nvls, nvls_tree, collnet_direct, "
                     "collnet_chain, pat");
  if (!d.forced_proto.empty() && forced_proto_from_env(d.forced_proto) != d.forced_proto)
    throw ModelError(origin + ": forced_proto '" + json_util::printable(d.forced_proto) +
                     "' is not one of simple, ll, ll128");
  return d;
}

ImportDescriptor descriptor_from_run(const NcclTestsRun& run) {
  ImportDescriptor d;
  d.gpus = run.ranks;
  const auto a = run.env.find("NCCL_ALGO");
  if (a != run.env.end()) d.forced_algo = forced_algo_from_env(a->second);
  const auto p = run.env.find("NCCL_PROTO");
  if (p != run.env.end()) d.forced_proto = forced_proto_from_env(p->second);
  return d;
}

ImportDescriptor resolve_descriptor(const NcclTestsRun& run, const ImportDescriptor& given) {
  const ImportDescriptor derived = descriptor_from_run(run);
  ImportDescriptor d = given;
  const std::string where = run.origin + ": descriptor";
  if (d.gpus == 0) {
    d.gpus = derived.gpus;
  } else if (derived.gpus > 0 && d.gpus != derived.gpus) {
    throw ModelError(where + " says " + std::to_string(d.gpus) + " GPUs, the log " +
                     std::to_string(derived.gpus) + " ranks (" + run.ranks_source + ")");
  }
  if (d.forced_algo.empty()) {
    d.forced_algo = derived.forced_algo;
  } else if (!derived.forced_algo.empty() && d.forced_algo != derived.forced_algo) {
    throw ModelError(where + " forces " + d.forced_algo + ", the log's NCCL_ALGO " +
                     derived.forced_algo);
  }
  if (d.forced_proto.empty()) {
    d.forced_proto = derived.forced_proto;
  } else if (!derived.forced_proto.empty() && d.forced_proto != derived.forced_proto) {
    throw ModelError(where + " forces protocol " + d.forced_proto + ", the log's NCCL_PROTO " +
                     derived.forced_proto);
  }
  return d;
}

nlohmann::json to_json(const ImportDescriptor& d) {
  nlohmann::json j = nlohmann::json::object();
  if (!d.topology_preset.empty()) j["topology_preset"] = d.topology_preset;
  if (d.gpus > 0) j["gpus"] = d.gpus;
  if (!d.fabric_profile.empty()) j["fabric_profile"] = d.fabric_profile;
  if (!d.forced_algo.empty()) j["forced_algo"] = d.forced_algo;
  if (!d.forced_proto.empty()) j["forced_proto"] = d.forced_proto;
  return j;
}

// ---- results document -------------------------------------------------------------------------

nlohmann::json to_results_json(const NcclTestsRun& run, const ImportDescriptor& descriptor) {
  if (run.collective.empty()) {
    std::string why = "nothing in the log names it";
    for (const auto& n : run.notes)
      if (n.rfind("collective not named", 0) == 0) why = n;
    throw ModelError(run.origin + ": collective unknown, cannot write results (" + why + ")");
  }
  if (run.ranks <= 0)
    throw ModelError(run.origin +
                     ": rank count unknown, cannot write results (add device "
                     "lines or '#meta total_ranks: N')");
  const std::string algorithm = descriptor.forced_algo.empty() ? "library" : descriptor.forced_algo;
  nlohmann::json meta = nlohmann::json::object();
  meta["tool"] = "nccl-tests";
  meta["imported"] = true;
  meta["origin"] = run.origin;
  meta["format"] = run.format;
  meta["backend"] = "nccl";
  meta["algorithm"] = algorithm;
  meta["device"] = "cuda";
  meta["collective"] = run.collective;
  meta["collective_source"] = run.collective_source;
  meta["nranks"] = run.ranks;
  meta["nranks_source"] = run.ranks_source;
  meta["gpu_model"] = run.gpu_model;
  meta["gpu_model_source"] = run.gpu_model_source;
  meta["hosts"] = run.hosts;
  meta["servers"] = run.servers;
  meta["gpus_per_server"] = run.gpus_per_server;
  meta["servers_source"] = run.servers_source;
  meta["nccl_version"] = run.nccl_version;
  meta["nccl_version_source"] = run.nccl_version_source;
  meta["env"] = run.env;
  meta["env_source"] = run.env_source;
  meta["nccl_tests"] = {{"version", run.nccl_tests_version},
                        {"parameters", run.parameters},
                        {"command_line", run.command_line},
                        {"columns", run.columns},
                        {"header_inferred", run.header_inferred}};
  meta["descriptor"] = to_json(descriptor);
  nlohmann::json source_meta = nlohmann::json::array();
  for (const auto& [k, v] : run.meta) source_meta.push_back({{"key", k}, {"value", v}});
  meta["source_meta"] = source_meta;
  meta["notes"] = run.notes;
  // calibrate groups by machine: the run's hosts, or the file when the log printed none, so
  // two clusters' logs never fall into one group.
  std::string hosts;
  for (const auto& h : run.hosts) hosts += (hosts.empty() ? "" : ",") + h;
  meta["machine"] = {{"hostname", hosts.empty() ? run.origin + " (hosts not printed)" : hosts}};
  nlohmann::json ranks = nlohmann::json::array();
  for (const auto& d : run.devices)
    ranks.push_back({{"rank", d.rank},
                     {"host", d.host},
                     {"pid", d.pid},
                     {"device", "cuda"},
                     {"cuda_device", d.device},
                     {"bus_id", d.bus_id},
                     {"gpu", d.name}});
  if (!ranks.empty()) meta["ranks"] = ranks;
  const auto iters = run.parameters.find(run.format == "nccl-tests-json" ? "iterations" : "iters");
  nlohmann::json rows = nlohmann::json::array();
  double peak = 0, wrong_total = 0;
  std::uint64_t peak_bytes = 0;
  std::string peak_variant;
  for (const auto& r : run.rows) {
    for (int k = 0; k < 2; ++k) {
      const NcclTestsVariant& v = k == 0 ? r.out_of_place : r.in_place;
      if (!v.present) continue;
      nlohmann::json row = {{"collective", run.collective},
                            {"bytes", r.bytes},
                            {"count", r.count},
                            {"dtype", r.type},
                            {"op", r.redop},
                            {"root", r.root},
                            {"in_place", k == 1},
                            {"time_us", v.time_us},
                            {"algbw_gbps", v.algbw_gbps},
                            {"busbw_gbps", v.busbw_gbps},
                            {"wrong", v.wrong ? nlohmann::json(static_cast<long long>(*v.wrong))
                                              : nlohmann::json(nullptr)},
                            {"algo", algorithm},
                            {"cycle", 0}};
      if (iters != run.parameters.end() && small_int(iters->second) > 0)
        row["iters"] = small_int(iters->second);
      if (r.line > 0) row["source_line"] = r.line;
      rows.push_back(row);
      if (v.wrong) wrong_total += *v.wrong;
      if (v.busbw_gbps > peak) {
        peak = v.busbw_gbps;
        peak_bytes = r.bytes;
        peak_variant = k == 0 ? "out-of-place" : "in-place";
      }
    }
  }
  nlohmann::json summary = {{"peak_busbw_gbps", peak},
                            {"peak_bytes", peak_bytes},
                            {"peak_variant", peak_variant},
                            {"wrong_total", static_cast<long long>(wrong_total)},
                            {"complete", true}};
  summary["avg_busbw_gbps"] =
      run.avg_busbw_gbps ? nlohmann::json(*run.avg_busbw_gbps) : nlohmann::json(nullptr);
  summary["out_of_bounds"] =
      run.out_of_bounds ? nlohmann::json(*run.out_of_bounds) : nlohmann::json(nullptr);
  return {{"schema", kResultsSchema},
          {"complete", true},
          {"meta", meta},
          {"results", rows},
          {"summary", summary}};
}

}  // namespace fb::model
