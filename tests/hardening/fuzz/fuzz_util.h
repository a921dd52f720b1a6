// Shared by the fuzz targets: the input as text, and the contract every parser here keeps. A
// parser may reject input only with an exception whose message is one clear line; an exception
// leaking from a library underneath (nlohmann's "[json.exception...]", std::stoi's "stoi") or
// one with an empty or multi-line message is a bug, and so is any other exception type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

namespace fb::fuzz {

inline std::string as_text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

[[noreturn]] inline void contract_broken(const char* what, const std::string& message) {
  std::fprintf(stderr, "fuzz contract broken: %s: '%s'\n", what, message.c_str());
  std::abort();
}

// Called from a catch (const std::exception&) block of a parser that rejected its input.
inline void check_rejection(const std::exception& e) {
  const std::string msg = e.what();
  if (msg.empty()) contract_broken("empty error message", msg);
  if (msg.find('\n') != std::string::npos) contract_broken("multi-line error message", msg);
  if (msg.rfind("[json.exception", 0) == 0) contract_broken("raw nlohmann error leaked", msg);
  if (msg == "stoi" || msg == "stol" || msg == "stoll" || msg == "stoull" || msg == "stod") {
    contract_broken("raw std::sto* error leaked", msg);
  }
}

}  // namespace fb::fuzz
