// Fabric profile files: parsed JSON in, a profile or one ModelError line out.
#include <nlohmann/json.hpp>

#include "fabric_model/profile.h"
#include "fabric_model/units.h"
#include "tests/hardening/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;  // the loader reports malformed JSON itself
  try {
    const fb::model::FabricProfile p = fb::model::parse_fabric_profile(j);
    (void)fb::model::to_json(p).dump();
    (void)p.payload_fraction();
  } catch (const fb::model::ModelError& e) {
    fb::fuzz::check_rejection(e);
  } catch (const std::exception& e) {
    fb::fuzz::contract_broken("not a ModelError", e.what());
  }
  return 0;
}
