// Topology (cluster) config files: any text is either a valid config or one ModelError line.
#include <nlohmann/json.hpp>

#include "fabric_model/config.h"
#include "fabric_model/units.h"
#include "tests/hardening/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = fb::fuzz::as_text(data, size);
  try {
    const fb::model::ClusterConfig c = fb::model::cluster_config_from_text(text, "fuzz.json");
    // What was accepted must serialise and read back.
    const nlohmann::json j = fb::model::to_json(c);
    (void)j.dump();
  } catch (const fb::model::ModelError& e) {
    fb::fuzz::check_rejection(e);
  } catch (const std::exception& e) {
    fb::fuzz::contract_broken("not a ModelError", e.what());
  }
  return 0;
}
