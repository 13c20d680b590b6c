// StateCache: the visited set of stateful exploration. A state (Controller::visible_state)
// whose subtree has been explored with a sleep set S is not explored again from a prefix
// whose sleep set contains S: by the invariant of (source and optimal) DPOR, exploring a
// node with sleep set S reaches every maximal trace from its state that no process of S
// starts, so a larger sleep set asks for less.
//
// Cutting a prefix at a visited state must not lose the races between the prefix's events
// and the events that would have followed (Yang, Chen, Gopalakrishnan, Kirby, "Efficient
// Stateful Dynamic Partial Order Reduction", SPIN 2008). Each entry therefore keeps a
// Summary of what the events of its explored subtree touched, per process; the explorer
// compares the new prefix's events with it (docs/exploration.md, "State caching").
//
// Thread-safety: StateCache is shared by the workers of one exploration; every member is
// safe to call concurrently (sharded locks). A Summary is immutable once in the cache.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/event.hpp"

namespace lockstep::dpor {

// What the events of an explored subtree touched: each (process, access) once, and which
// process spawned which (a process spawned there runs after its spawner's events).
class Summary {
 public:
  struct Touch {
    std::uint32_t pid;
    core::Access access;  // causes and commutes cleared: only what was touched, and how
  };
  void add(const core::EventRecord& event);
  void merge(const Summary& other);
  const std::vector<Touch>& touches() const { return touches_; }
  // The touches of object (kind, object), by any process.
  std::span<const Touch> touching(core::ObjectKind kind, std::uint64_t object) const;
  // The process that spawned `pid` inside the subtree, or 0.
  std::uint32_t spawner(std::uint32_t pid) const;
  std::size_t bytes() const;

 private:
  std::vector<Touch> touches_;                                 // sorted, unique
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spawns_;  // (child, parent), sorted
};

struct StateCacheStats {
  std::uint64_t states = 0;   // entries (cached; after retirement, cached before it)
  std::uint64_t lookups = 0;  // states looked up (each new node's)
  std::uint64_t hits = 0;     // prefixes cut at a visited state
  std::uint64_t bytes = 0;    // estimated memory of the entries
  bool full = false;          // max_bytes reached: later states were not cached
  std::uint64_t saved = 0;    // executions the hits' cut-off subtrees took when explored
  std::uint64_t retired_after = 0;  // executions when the cache retired (0: it did not)
};

// A visited state that covers a prefix: what its explored subtree touched, and the work it
// took (executions, with what hits below it saved).
struct Covered {
  bool found = false;
  std::shared_ptr<const Summary> summary;  // null where nothing is summarized (--dpor none)
  std::uint64_t work = 0;
};

class StateCache {
 public:
  // max_bytes bounds the entries' estimated memory; past it no new state is cached (the
  // exploration stays complete, only slower).
  explicit StateCache(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

  // An explored visit of `state` whose sleep set is a subset of `sleeping` (sorted pids),
  // if there is one. Counts a lookup.
  Covered covering(std::uint64_t state, std::span<const std::uint32_t> sleeping);
  // A prefix was cut at a covered state (the explorer may decline one: see nodes_racing).
  void count_hit(std::uint64_t work) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    saved_.fetch_add(work, std::memory_order_relaxed);
  }
  // Records that `state`'s subtree has been explored with sleep set `sleeping` (sorted),
  // which took `work` (see Covered).
  void insert(std::uint64_t state, std::vector<std::uint32_t> sleeping, std::shared_ptr<const Summary> summary,
              std::uint64_t work);
  // The cache is given up for the rest of the exploration (ExplorerConfig::cache_window):
  // its entries are freed, its counters kept.
  void retire(std::uint64_t executions);
  StateCacheStats stats() const;

 private:
  struct Visit {
    std::vector<std::uint32_t> sleeping;
    std::shared_ptr<const Summary> summary;
    std::uint64_t work = 0;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::uint64_t, std::vector<Visit>> visits;
  };
  static constexpr std::size_t kShards = 64;
  Shard& shard(std::uint64_t state) { return shards_[(state >> 58) % kShards]; }

  const std::uint64_t max_bytes_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> states_{0}, lookups_{0}, hits_{0}, bytes_{0}, saved_{0}, retired_after_{0};
  std::atomic<bool> full_{false};
};

}  // namespace lockstep::dpor
