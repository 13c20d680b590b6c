// Network: the simulated cluster the controller routes every delivery through: which
// nodes exist and are up, which partitions separate them, the traffic held back by a
// partition, the pending net_ticktime checks and the node monitors. Pure bookkeeping: the
// controller decides and performs the effects (core/controller.cpp, docs/cluster.md).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/event.hpp"
#include "core/fingerprint.hpp"
#include "lockstep/term.hpp"

namespace lockstep::core {

class Network {
 public:
  static constexpr std::uint32_t kLocal = 0;  // :nonode@nohost, always present

  void reset() {
    nodes_.assign(1, Node{atom("nonode@nohost"), true});
    partitions_.clear();
    held.clear();
    ticks.clear();
    node_monitors.clear();
    ticktime = 15000;
    next_partition_ = 1;  // partition ids are per execution, like pids
  }

  std::uint32_t add(const Term& name) {
    if (auto n = find(name)) return *n;
    nodes_.push_back(Node{name, true});
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }
  std::optional<std::uint32_t> find(const Term& name) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].name == name) return static_cast<std::uint32_t>(i);
    }
    return std::nullopt;
  }
  const Term& name(std::uint32_t node) const { return nodes_[node].name; }
  bool up(std::uint32_t node) const { return nodes_[node].up; }
  void set_up(std::uint32_t node, bool up) { nodes_[node].up = up; }
  std::size_t size() const { return nodes_.size(); }

  // Adds a partition between groups a and b; returns its id.
  std::uint32_t partition(std::vector<std::uint32_t> a, std::vector<std::uint32_t> b, bool defer) {
    partitions_.push_back(Partition{next_partition_, std::move(a), std::move(b), defer});
    return next_partition_++;
  }
  bool active(std::uint32_t id) const {
    return std::any_of(partitions_.begin(), partitions_.end(), [&](const Partition& p) { return p.id == id; });
  }
  void heal() { partitions_.clear(); }
  bool partitioned() const { return !partitions_.empty(); }

  // Some active partition puts x and y on opposite sides.
  bool separated(std::uint32_t x, std::uint32_t y) const {
    return std::any_of(partitions_.begin(), partitions_.end(), [&](const Partition& p) { return p.splits(x, y); });
  }
  // Every partition separating x and y defers (rather than drops) messages.
  bool deferring(std::uint32_t x, std::uint32_t y) const {
    return std::all_of(partitions_.begin(), partitions_.end(),
                       [&](const Partition& p) { return !p.splits(x, y) || p.defer; });
  }

  // Traffic a partition holds back, in sending order: deferred messages and the signals
  // (DOWN messages, exit signals) that wait for a heal or the ticktime.
  struct Held {
    enum class Kind { message, down, link_exit, exit_signal };
    Kind kind;
    Pid from;
    Pid to;
    Term term;  // the message, or the exit reason
    Ref ref;    // down: the monitor
  };
  std::vector<Held> held;

  // A net_ticktime check: when it fires and partition `partition` is still active, the
  // connections it cut are declared down (:noconnection, :nodedown).
  struct Tick {
    std::int64_t deadline;
    std::uint32_t partition;
  };
  std::vector<Tick> ticks;
  std::int64_t ticktime = 15000;

  struct NodeMonitor {
    std::uint32_t watcher;  // pid id
    std::uint32_t node;
  };
  std::vector<NodeMonitor> node_monitors;

  // The cluster's part of the visible state (Controller::visible_state).
  void fingerprint(Fingerprint& f) const {
    f.add(nodes_.size()).add(static_cast<std::uint64_t>(ticktime)).add(next_partition_);
    for (const Node& n : nodes_) f.add(n.name.hash()).add(n.up);
    for (const Partition& p : partitions_) {
      f.add(p.id).add(p.defer).add(p.a.size()).add(p.b.size());
      for (std::uint32_t x : p.a) f.add(x);
      for (std::uint32_t x : p.b) f.add(x);
    }
    // Held traffic goes out destination by destination: in order for each, as a set across.
    std::uint64_t held_sum = 0;
    for (std::size_t i = 0; i < held.size(); ++i) {
      const Held& h = held[i];
      std::uint64_t place = 0;  // how many held before it go to the same process
      for (std::size_t j = 0; j < i; ++j) place += held[j].to.id == h.to.id;
      std::uint64_t x = Fingerprint::spread((static_cast<std::uint64_t>(h.kind) << 56) ^ (std::uint64_t{h.from.id} << 32) ^ h.to.id);
      x = Fingerprint::spread(x ^ h.term.hash()) + Fingerprint::spread((std::uint64_t{h.ref.owner} << 32 | h.ref.seq) ^ (place << 48));
      held_sum += Fingerprint::spread(x);
    }
    f.add(held.size()).add(held_sum);
    for (const Tick& t : ticks) f.add(static_cast<std::uint64_t>(t.deadline)).add(t.partition);
    for (const NodeMonitor& m : node_monitors) f.add((std::uint64_t{m.watcher} << 32) | m.node);
  }

 private:
  struct Node {
    Term name;
    bool up;
  };
  struct Partition {
    std::uint32_t id;
    std::vector<std::uint32_t> a, b;
    bool defer;
    bool splits(std::uint32_t x, std::uint32_t y) const {
      auto in = [](const std::vector<std::uint32_t>& g, std::uint32_t n) {
        return std::find(g.begin(), g.end(), n) != g.end();
      };
      return (in(a, x) && in(b, y)) || (in(b, x) && in(a, y));
    }
  };
  std::vector<Node> nodes_;
  std::vector<Partition> partitions_;
  std::uint32_t next_partition_ = 1;
};

}  // namespace lockstep::core
