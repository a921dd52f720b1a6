#pragma once
// Profiles and presets compiled into the library (see CMakeLists.txt), so lookups by name work
// from any directory; files on disk are still accepted by path.
#include <string>
#include <vector>

namespace fb::model {

struct EmbeddedFile {
  const char* kind;  // "profiles", "presets", "tuning", "jobs" or "power"
  const char* name;  // file name without .json
  const char* text;  // JSON text
};

const std::vector<EmbeddedFile>& embedded_files();

}  // namespace fb::model
