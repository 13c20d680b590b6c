// Faults: what the environment may do to a cluster scenario on its own, beyond what the
// scenario scripts: isolate a node by a partition (dropping or deferring messages), or
// stop a node (and start it again). With faults on, every node added gets fault actors
// that the strategy (random, PCT, the DPOR explorer) may schedule at any step while the
// scenario's processes can run, up to `max` partitions and stops per execution; healing
// and restarting are free. Faults appear in the trace and in the schedule file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lockstep {

struct Faults {
  bool partition = false;  // isolate a node; messages across are dropped
  bool defer = false;      // isolate a node; messages across are deferred until the heal
  bool stop = false;       // stop a node (its processes are killed)
  std::uint32_t max = 1;   // partitions and stops per execution
  bool any() const { return partition || defer || stop; }
  std::string to_string() const;  // "partition,stop" ("none" if none)
  // "partition,defer,stop" in any order and combination; nullopt if a word is unknown.
  static std::optional<Faults> parse(std::string_view list);
  friend bool operator==(const Faults&, const Faults&) = default;
};

}  // namespace lockstep
