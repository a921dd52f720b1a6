#include <algorithm>
#include <set>
#include <sstream>

#include "fabric_model/calibration.h"
#include "harness/cmd_publish.h"
#include "harness/publish_format.h"
#include "harness/publish_index.h"

namespace fb {

using model::human_bytes;
using pub::fmt;
using pub::median;
using pub::num;

namespace {

std::string short_commit(const std::string& c) { return c.empty() ? "unknown" : c; }

}  // namespace

std::string render_measured(const std::vector<MeasuredFile>& files, const std::string& prov) {
  std::ostringstream o;
  o << "# Measured collective bandwidth\n\n" << prov;
  o << "> Inputs (" << files.size() << "):\n";
  for (const auto& f : files)
    o << "> - `" << f.path << "`: " << f.backend << "/" << f.algorithm << "/" << f.device << " np"
      << f.nranks << ", " << f.rows.size() << " rows, measured " << f.start_time
      << " by fabricbench " << f.version << " (commit " << short_commit(f.git_commit) << ")"
      << (f.complete ? "" : ", INCOMPLETE") << "\n";
  o << "\nbusbw in GB/s (1e9 B/s, nccl-tests' definition) at the median iteration time of the "
       "out-of-place variant: median over repeats (files of the same configuration) with [min-max] "
       "when there are several. "
       "Rows with wrong elements are never shown as bandwidth.\n";
  const pub::MeasuredIndex idx = pub::index_measured(files);
  for (const auto& [machine, colls] : idx) {
    o << "\n## Machine: " << machine << "\n";
    for (const auto& [coll, configs] : colls) {
      std::set<double> sizes;
      for (const auto& [k, d] : configs)
        for (const auto& [s, c] : d.by_size) sizes.insert(s);
      o << "\n### " << coll << "\n\n| size |";
      std::string sep = "|---:|";
      for (const auto& [k, d] : configs) {
        o << " " << k.label() << " (" << d.files.size() << (d.files.size() == 1 ? " run" : " runs")
          << ") |";
        sep += "---:|";
      }
      o << "\n" << sep << "\n";
      for (double s : sizes) {
        o << "| " << human_bytes(s) << " |";
        for (const auto& [k, d] : configs) {
          const auto it = d.by_size.find(s);
          if (it == d.by_size.end()) {
            o << " - |";
            continue;
          }
          const pub::Cell& c = it->second;
          std::string cell;
          if (!c.busbw.empty()) {
            const auto [mn, mx] = std::minmax_element(c.busbw.begin(), c.busbw.end());
            cell = num(median(c.busbw));
            if (c.busbw.size() > 1) cell += " [" + num(*mn) + "-" + num(*mx) + "]";
            if (d.roofline_gbps > 0)
              cell += " " + fmt("%.0f%%", 100 * median(c.busbw) / d.roofline_gbps);
            if (c.unchecked > 0) cell += " (unchecked)";
          }
          if (c.wrong_rows > 0)
            cell +=
                (cell.empty() ? "" : " ") + std::string("WRONG x") + std::to_string(c.wrong_rows);
          o << " " << cell << " |";
        }
        o << "\n";
      }
      o << "\n";
      for (const auto& [k, d] : configs) {
        double best = 0, at = 0;
        for (const auto& [s, c] : d.by_size) {
          const double m = median(c.busbw);
          if (!c.busbw.empty() && m > best) best = m, at = s;
        }
        o << "- " << k.label() << ": peak median busbw " << num(best) << " GB/s at "
          << human_bytes(at);
        if (d.roofline_gbps > 0)
          o << "; roofline " << num(d.roofline_gbps) << " GB/s (" << d.roofline_source
            << "), peak = " << fmt("%.0f%%", 100 * best / d.roofline_gbps) << " of it";
        else
          o << "; no roofline in the inputs (% of roofline not shown)";
        o << "\n";
      }
    }
  }
  return o.str();
}

}  // namespace fb
