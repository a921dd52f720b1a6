// Byte counts as people type and read them: the one parser and the one formatter of the harness.
#include "harness/sizes.h"

#include <cctype>
#include <limits>
#include <stdexcept>

namespace fb {

std::string quote_arg(const std::string& text) {
  // Errors stay one line whatever was typed: control bytes are escaped, long text is cut.
  constexpr std::size_t kMaxShown = 80;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return out + "'";
}

std::size_t parse_size(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("empty size");
  std::size_t pos = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  if (pos == 0)
    throw std::invalid_argument("size " + quote_arg(text) + " is not a non-negative number");
  std::string suffix = text.substr(pos);
  for (auto& ch : suffix) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (suffix.size() >= 2 && suffix.substr(suffix.size() - 2) == "IB") {
    suffix.resize(suffix.size() - 2);
    if (suffix.empty())
      throw std::invalid_argument("size " + quote_arg(text) + " has an unknown suffix");
  } else if (suffix.size() == 2 && suffix[1] == 'B') {
    suffix.resize(1);
  } else if (suffix == "B") {
    suffix.clear();
  }
  int shift = 0;
  if (suffix == "K") {
    shift = 10;
  } else if (suffix == "M") {
    shift = 20;
  } else if (suffix == "G") {
    shift = 30;
  } else if (suffix == "T") {
    shift = 40;
  } else if (!suffix.empty()) {
    throw std::invalid_argument("size " + quote_arg(text) +
                                " has an unknown suffix (use K, M, G or T)");
  }
  const std::string digits = text.substr(0, pos);
  if (digits.size() > 19) throw std::invalid_argument("size " + quote_arg(text) + " is too large");
  const unsigned long long value = std::stoull(digits);
  const unsigned long long limit = std::numeric_limits<std::size_t>::max() >> shift;
  if (value > limit) throw std::invalid_argument("size " + quote_arg(text) + " is too large");
  return static_cast<std::size_t>(value << shift);
}

std::string format_size(std::size_t bytes, SizeStyle style) {
  static const char* kSuffix[] = {"", "K", "M", "G", "T"};
  static const char* kIec[] = {" B", " KiB", " MiB", " GiB", " TiB"};
  int i = 0;
  while (i < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++i;
  }
  return std::to_string(bytes) + (style == SizeStyle::kIec ? kIec[i] : kSuffix[i]);
}

}  // namespace fb
