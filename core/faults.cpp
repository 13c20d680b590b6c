// Faults: the text form used by --faults and by schedule files.
#include "lockstep/faults.hpp"

namespace lockstep {

std::string Faults::to_string() const {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (on) out += (out.empty() ? "" : ",") + std::string(name);
  };
  add(partition, "partition");
  add(defer, "defer");
  add(stop, "stop");
  return out.empty() ? "none" : out;
}

std::optional<Faults> Faults::parse(std::string_view list) {
  Faults f;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view word = list.substr(0, comma);
    if (word == "partition") {
      f.partition = true;
    } else if (word == "defer") {
      f.defer = true;
    } else if (word == "stop") {
      f.stop = true;
    } else if (word != "none") {
      return std::nullopt;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return f;
}

}  // namespace lockstep
