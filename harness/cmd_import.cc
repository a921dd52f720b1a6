// `fabricbench import LOG... --out DIR`: nccl-tests output (console text as pasted, or -J JSON)
// becomes fabricbench.results/1 documents that calibrate, publish and the model read like the
// suite's own measurements. The parsing and checks are fabric_model/nccl_tests_import.h; this
// file is the command line: descriptors, output names, atomic writes, one line per file.
#include "harness/cmd_import.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "fabric_model/errors.h"
#include "fabric_model/nccl_tests_import.h"
#include "harness/exit_codes.h"
#include "harness/report.h"
#include "harness/results_io.h"

namespace fb {

namespace {

namespace fs = std::filesystem;
namespace fm = fb::model;

int fail(const std::string& msg) {
  std::fprintf(stderr, "fabricbench import: %s\n", msg.c_str());
  return kExitUsage;
}

// "logs/h100-2n.txt" -> "h100-2n.json": the imported document keeps the log's name.
std::string output_name(const std::string& path) {
  fs::path p(path);
  std::string stem = p.stem().string();
  if (p.extension() == ".json") stem += ".imported";
  return stem + ".json";
}

// The descriptor beside a log: LOG with its extension replaced by ".descriptor.json".
std::string descriptor_beside(const std::string& path) {
  fs::path p(path);
  return (p.parent_path() / (p.stem().string() + ".descriptor.json")).string();
}

}  // namespace

nlohmann::json import_nccl_tests_file(const std::string& path,
                                      const fm::ImportDescriptor& from_flags,
                                      const std::string& descriptor_path) {
  const std::string text = read_text(path);
  const fm::NcclTestsRun run = fm::parse_nccl_tests_any(text, path);
  fm::ImportDescriptor given = from_flags;
  std::string dpath = descriptor_path;
  if (dpath.empty()) {
    std::error_code ec;
    if (fs::is_regular_file(descriptor_beside(path), ec)) dpath = descriptor_beside(path);
  }
  if (!dpath.empty()) {
    const fm::ImportDescriptor file =
        fm::parse_import_descriptor(parse_json_text(read_text(dpath), dpath), dpath);
    // Flags win over the file, field by field.
    if (given.topology_preset.empty()) given.topology_preset = file.topology_preset;
    if (given.gpus == 0) given.gpus = file.gpus;
    if (given.fabric_profile.empty()) given.fabric_profile = file.fabric_profile;
    if (given.forced_algo.empty()) given.forced_algo = file.forced_algo;
    if (given.forced_proto.empty()) given.forced_proto = file.forced_proto;
  }
  const fm::ImportDescriptor d = fm::resolve_descriptor(run, given);
  nlohmann::json doc = fm::to_results_json(run, d);
  // What calibrate and publish will read: the document must pass their reader.
  (void)parse_results_json(doc, path);
  return doc;
}

int cmd_import(int argc, char** argv) {
  CLI::App app{"Import nccl-tests output (console text or -J JSON) as fabricbench results",
               "import"};
  std::vector<std::string> files;
  std::string out_dir, descriptor, topology, fabric, algo, proto;
  long long gpus = 0;
  bool force = false;
  app.add_option("files", files, "nccl-tests logs (text as printed, or -J JSON)")->required();
  app.add_option("--out", out_dir, "directory for the fabricbench.results/1 files")->required();
  app.add_option("--descriptor", descriptor,
                 "hardware descriptor JSON for every file (default: LOG.descriptor.json beside "
                 "each log when present)");
  app.add_option("--topology", topology, "topology preset the run used (e.g. hgx_h100)");
  app.add_option("--gpus", gpus, "GPUs of the run (must agree with the log's ranks)");
  app.add_option("--fabric", fabric, "fabric profile of the run (e.g. infiniband_ndr)");
  app.add_option("--algo", algo, "algorithm the run forced (default: from NCCL_ALGO in the log)");
  app.add_option("--proto", proto, "protocol the run forced (default: from NCCL_PROTO)");
  app.add_flag("--force", force, "replace existing output files");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(e.what());
  }
  if (gpus < 0) return fail("--gpus must be positive");
  std::error_code ec;
  if (!fs::is_directory(out_dir, ec)) return fail("--out '" + out_dir + "' is not a directory");
  fm::ImportDescriptor flags;
  flags.topology_preset = topology;
  flags.gpus = gpus;
  flags.fabric_profile = fabric;
  flags.forced_algo = algo;
  flags.forced_proto = proto;
  // Every file is read and checked before any is written: a bad file writes nothing.
  std::vector<std::pair<std::string, nlohmann::json>> docs;
  try {
    for (const auto& f : files) {
      const std::string out = (fs::path(out_dir) / output_name(f)).string();
      for (const auto& [o, d] : docs)
        if (o == out) {
          std::string msg = f;
          msg.append(": output name ").append(out).append(" used twice");
          throw UsageError(msg);
        }
      docs.emplace_back(out, import_nccl_tests_file(f, flags, descriptor));
      if (!force) {
        const std::string why = check_output_path(out);
        if (!why.empty()) throw UsageError(why);
      }
    }
    for (const auto& [out, doc] : docs) {
      write_file_atomically(out, doc.dump(2) + "\n", force);
      const auto& m = doc["meta"];
      const std::string gpu = m.value("gpu_model", std::string());
      std::printf("imported %s -> %s: %s, %d ranks, %s, %zu rows\n",
                  m.value("origin", std::string("?")).c_str(), out.c_str(),
                  m.value("collective", std::string("?")).c_str(), m.value("nranks", 0),
                  gpu.empty() ? "GPU not printed" : gpu.c_str(), doc["results"].size());
    }
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return kExitOk;
}

}  // namespace fb
