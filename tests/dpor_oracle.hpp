// The DPOR oracles: explore a scenario with one mode and collect, independently of the
// explorer's own race analysis, what it reached: the Mazurkiewicz trace of every
// execution (its Foata normal form under the dependency relation), the end states and
// the distinct counterexamples.
#pragma once

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "dpor/dependency.hpp"
#include "dpor/explorer.hpp"
#include "support.hpp"

namespace lockstep_test {

struct Exploration {
  std::uint64_t executions = 0;
  std::uint64_t blocked = 0;
  std::uint64_t cache_hits = 0;         // prefixes cut at a visited state (state cache)
  std::set<std::string> traces;         // canonical forms of the complete executions
  std::set<std::uint64_t> final_states;
  std::set<std::string> bugs;           // counterexample signatures
  bool complete = true;
};

// Foata normal form: each event's level is one more than the highest level of an earlier
// event it depends on; the trace is the sorted (level, label) multiset.
inline std::string canonical_trace(const std::vector<lockstep::core::EventRecord>& events) {
  std::vector<std::size_t> level(events.size(), 0);
  std::vector<std::pair<std::size_t, std::uint64_t>> keyed;
  for (std::size_t i = 0; i < events.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (lockstep::dpor::dependent(events[j], events[i])) level[i] = std::max(level[i], level[j] + 1);
    }
    keyed.emplace_back(level[i], events[i].label);
  }
  std::sort(keyed.begin(), keyed.end());
  std::string out;
  for (const auto& [l, label] : keyed) out += std::to_string(l) + ":" + std::to_string(label) + " ";
  return out;
}

inline Exploration explore_with(const std::function<void()>& root, ls::DporMode mode,
                                std::uint64_t max_executions = 0, ls::Faults faults = {}, bool state_cache = false) {
  Exploration x;
  lockstep::dpor::ExplorerConfig config;
  config.mode = mode;
  config.max_executions = max_executions;
  config.state_cache_bytes = state_cache ? std::uint64_t{1} << 30 : 0;
  lockstep::dpor::Explorer explorer(config);
  explorer.on_execution = [&](const std::vector<lockstep::core::EventRecord>& events,
                              const lockstep::core::ExecutionSummary& summary) {
    if (summary.abandoned) return;
    x.traces.insert(canonical_trace(events));
    x.final_states.insert(summary.final_state);
  };
  ls::Options o;
  o.keep_going = true;
  o.strategy = ls::StrategyKind::first;
  o.faults = faults;
  ls::Result r = lockstep::core::run_executions(root, explorer, o);
  x.executions = explorer.stats().executions;
  x.blocked = explorer.stats().blocked;
  x.cache_hits = explorer.stats().cache.hits;
  x.complete = explorer.stats().incomplete.empty();
  for (const auto& c : r.counterexamples) x.bugs.insert(c.signature());
  return x;
}

// The same, with `workers` explorers sharing one tree (dpor::explore_parallel).
inline Exploration explore_parallel_with(const std::function<void()>& root, ls::DporMode mode, unsigned workers,
                                         ls::Faults faults = {}, bool state_cache = false) {
  Exploration x;
  std::mutex m;
  ls::Options o;
  o.keep_going = true;
  o.state_cache = state_cache;
  o.dpor = mode;
  o.faults = faults;
  ls::Result r = lockstep::dpor::explore_parallel(root, o, workers, [&](lockstep::dpor::Explorer& e) {
    e.on_execution = [&](const std::vector<lockstep::core::EventRecord>& events,
                         const lockstep::core::ExecutionSummary& summary) {
      if (summary.abandoned) return;
      std::string trace = canonical_trace(events);
      std::lock_guard lock(m);
      x.traces.insert(std::move(trace));
      x.final_states.insert(summary.final_state);
    };
  });
  x.executions = r.executions;
  x.blocked = r.blocked;
  x.cache_hits = r.cache_hits;
  x.complete = r.complete();
  for (const auto& c : r.counterexamples) x.bugs.insert(c.signature());
  return x;
}

}  // namespace lockstep_test
