// Schedule: the replay key of one execution. The sequence of chosen processes (by pid
// number), one per scheduling decision, plus the scenario name. The same schedule gives
// the same trace, byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/faults.hpp"

namespace lockstep {

struct Schedule {
  std::string scenario;
  std::vector<std::uint32_t> steps;  // pid id chosen at each step
  std::uint64_t max_steps = 0;       // the step bound the execution ran under
  Faults faults;                     // the faults the execution could inject (none: no line)
  std::uint64_t fingerprint = 0;     // hash of who ran which operation at every step: a replay
                                     // that differs is reported as diverged

  // A versioned text format with a checksum; parse() throws ConfigError on any corruption.
  std::string serialize() const;
  static Schedule parse(std::string_view text);
  static Schedule load(const std::string& path);  // ConfigError if unreadable or corrupt
  void save(const std::string& path) const;       // ConfigError if it cannot be written
};

}  // namespace lockstep
