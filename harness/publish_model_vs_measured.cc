#include <sstream>

#include "fabric_model/calibration.h"
#include "harness/cmd_publish.h"
#include "harness/publish_format.h"

namespace fb {

using model::human_bytes;
using pub::fmt;
using pub::jstr;
using pub::num;
using pub::pct;

std::string render_model_vs_measured(const model::Calibration& cal, const std::string& prov) {
  std::ostringstream o;
  o << "# Calibrated model vs measurements it did not fit\n\n" << prov;
  o << "> Calibration: `" << cal.origin << "` (created " << jstr(cal.provenance, "created", "?")
    << " by fabricbench " << jstr(cal.provenance, "version", "?") << ", commit "
    << jstr(cal.provenance, "git_commit", "?") << ")\n";
  for (const auto& in : cal.provenance.value("inputs", nlohmann::json::array()))
    o << "> - measured input `" << jstr(in, "path") << "`\n";
  o << "\nModel: t(n) = (alpha + beta n) x eff(n); alpha, beta by weighted least squares "
       "(w = 1/t^2), eff piecewise linear in log2(n) through measured/alpha-beta. Leave-one-out: "
       "for each size, alpha, beta and eff are refitted without it and it is predicted. Measured "
       "= per size over repeats and variants, statistic `"
    << jstr(cal.provenance, "time_statistic", "median")
    << "` (min-median: median over repeats of each run's fastest iteration, since interference "
       "only adds time and one lucky run should not set a size alone; min: fastest iteration of "
       "any repeat; median: median of the runs' medians).\n";
  for (const auto& g : cal.groups) {
    o << "\n## " << g.key.label() << "\n\n";
    o << "- alpha " << num(g.fit.alpha_us) << " us" << (g.alpha_clamped ? " (clamped at 0)" : "")
      << ", bandwidth 1/beta " << num(g.fit.bandwidth_gbps()) << " GB/s, busbw asymptote "
      << num(g.busbw_asymptote_gbps) << " GB/s, per-step latency " << num(g.step_latency_us)
      << " us (" << g.ring_steps << " ring steps)\n";
    o << "- fit quality: weighted R^2 " << fmt("%.4f", g.quality.r2)
      << ", worst relative residual of alpha-beta alone "
      << fmt("%.1f%%", 100 * g.quality.worst_rel_residual) << " at "
      << human_bytes(g.quality.worst_rel_residual_bytes) << "\n";
    o << "- leave-one-out error, sizes >= " << human_bytes(g.quality.quality_min_bytes)
      << ": median " << fmt("%.1f%%", 100 * g.quality.loo_median_error) << ", max "
      << fmt("%.1f%%", 100 * g.quality.loo_max_error) << " at "
      << human_bytes(g.quality.loo_max_error_bytes) << "; all sizes: max "
      << fmt("%.1f%%", 100 * g.quality.loo_max_error_all) << "\n";
    o << "- verdict: " << (g.accepted ? "accepted" : "REFUSED: " + g.refusal) << "\n\n";
    o << "| size | measured (us) | [min-max] (n) | LOO model (us) | LOO error | alpha-beta alone "
         "(us) | alpha-beta error |\n|---:|---:|---:|---:|---:|---:|---:|\n";
    for (std::size_t i = 0; i < g.loo.size(); ++i) {
      const auto& l = g.loo[i];
      const model::SizePoint* p = nullptr;
      for (const auto& q : g.points)
        if (q.bytes == l.bytes) p = &q;
      o << "| " << human_bytes(l.bytes) << " | " << num(l.measured_us) << " | ";
      if (p != nullptr)
        o << "[" << num(p->time_us_min) << "-" << num(p->time_us_max) << "] (" << p->samples << ")";
      o << " | " << num(l.predicted_us) << " | " << pct(l.rel_error) << " | "
        << num(l.alpha_beta_us) << " | " << pct(l.alpha_beta_us / l.measured_us - 1) << " |\n";
    }
  }
  return o.str();
}

}  // namespace fb
