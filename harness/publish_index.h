// The indexes `fabricbench publish` renders from: measured results by machine, collective and
// configuration; model points by topology, placement, method, algorithm, size, GPUs and fabric.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "harness/cmd_publish.h"
#include "harness/results_io.h"

namespace fb::pub {

struct ConfigKey {
  std::string backend, algorithm, device;
  int nranks = 0;
  std::string label() const;
  bool operator<(const ConfigKey& o) const { return label() < o.label(); }
};

struct Cell {
  std::vector<double> busbw;  // one per repeat (file)
  int wrong_rows = 0;
  int unchecked = 0;
};

struct ConfigData {
  std::map<double, Cell> by_size;
  std::set<std::string> files;
  double roofline_gbps = 0;
  std::string roofline_source;
};

// machine -> "collective dtype op" -> config -> data
using MeasuredIndex = std::map<std::string, std::map<std::string, std::map<ConfigKey, ConfigData>>>;

MeasuredIndex index_measured(const std::vector<MeasuredFile>& files);

struct ModelRowKey {
  std::string topology, placement, method, algo;
  double bytes, gpus;
  int order;  // fabric_order(fabric)
  std::string fabric;
  bool operator<(const ModelRowKey& o) const;
};

struct ModelIndex {
  std::map<ModelRowKey, nlohmann::json> rows;
  std::map<std::string, nlohmann::json> topology;  // name -> config json
  std::map<std::string, nlohmann::json> fabrics;   // name -> profile json
  std::set<std::string> approximations;
  std::set<std::string> files;
  std::set<std::string> calibrations;  // as the model files record them
};

// All-reduce rows of the model files; the first file listing a point wins.
ModelIndex index_models(const std::vector<ModelDoc>& docs);

// The *.json files directly in `dir`, sorted; none when it is not a directory.
std::vector<std::string> list_json(const std::string& dir);

}  // namespace fb::pub
