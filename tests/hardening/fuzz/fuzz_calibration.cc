// Calibration files (fabricbench.calibration/1): a Calibration or one ModelError line; an
// accepted calibration can be turned into model overrides or refused with one line.
#include <nlohmann/json.hpp>

#include "fabric_model/calibration.h"
#include "fabric_model/units.h"
#include "tests/hardening/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    const fb::model::Calibration c = fb::model::parse_calibration(j, "fuzz.json");
    (void)fb::model::to_json(c).dump();
    try {
      fb::model::CalibratedOverrides o = fb::model::calibration_overrides(c);
      fb::model::ModelOverrides mo;
      (void)fb::model::apply_calibration(o, mo);
    } catch (const fb::model::ModelError& e) {
      fb::fuzz::check_rejection(e);
    }
  } catch (const fb::model::ModelError& e) {
    fb::fuzz::check_rejection(e);
  } catch (const std::exception& e) {
    fb::fuzz::contract_broken("not a ModelError", e.what());
  }
  return 0;
}
