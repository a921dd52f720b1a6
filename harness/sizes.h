// Byte counts as people type and read them: the harness's one size parser and one byte
// formatter (flags, the model's --sizes and --gpus, console headers). No dependencies, so the
// model's command line (harness/cmd_model.cc) links it without the rest of the harness.
#pragma once

#include <cstddef>
#include <string>

namespace fb {

// "64M" -> 67108864. Binary suffixes K, M, G, T (case-insensitive, optional trailing B/iB).
// Throws std::invalid_argument with a clear message on anything else, including overflow.
std::size_t parse_size(const std::string& text);
// 'text' in single quotes for an error message, kept to one line: control characters escaped
// (\xNN), more than 80 characters cut with "...".
std::string quote_arg(const std::string& text);

enum class SizeStyle {
  kSuffix,  // 67108864 -> "64M", 1000 -> "1000": what parse_size reads back
  kIec,     // 67108864 -> "64 MiB", 1000 -> "1000 B": for people
};
// The largest exact binary unit (K/KiB ... T/TiB) of `bytes`.
std::string format_size(std::size_t bytes, SizeStyle style = SizeStyle::kSuffix);

}  // namespace fb
