// Result: what checking a scenario found. A bug is a Counterexample value, never an
// exception. Results from several workers merge with +=.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lockstep/schedule.hpp"
#include "lockstep/term.hpp"

namespace lockstep {

enum class CounterexampleKind { assertion, deadlock, crash, step_bound, nondeterminism };
std::string_view to_string(CounterexampleKind k);

struct TraceEvent {
  std::uint64_t step = 0;  // 1-based scheduling step; consequences share their cause's step
  Pid pid;                 // the process the event happened to
  std::string text;        // e.g. "send {:inc, 1} -> #PID<0.2.0>"
};

struct Counterexample {
  CounterexampleKind kind = CounterexampleKind::assertion;
  std::string message;   // "assertion failed: value == 2"
  std::string location;  // "examples/lost_update.cpp:31", or empty
  std::vector<TraceEvent> trace;
  Schedule schedule;
  std::uint64_t iteration = 0;  // 1-based execution number that found it
  std::uint64_t seed = 0;       // that execution's own seed (sampling strategies)

  std::string signature() const;  // kind + message + location: what makes two distinct
  std::string format_trace() const;
};

struct Warning {
  std::string message;  // "#PID<0.3.0> exited abnormally: {:badarg, ...} (nothing links or monitors it)"
  std::uint64_t iteration = 0;
};

struct Result {
  std::uint64_t executions = 0;  // complete executions
  std::uint64_t blocked = 0;     // exhaustive: executions cut short by sleep sets (redundant)
  std::uint64_t steps = 0;
  std::uint64_t max_depth = 0;
  double elapsed_seconds = 0;
  std::string incomplete;        // non-empty: a bound stopped exploration (never a pass)
  std::uint64_t peak_nodes = 0;  // exhaustive: largest exploration tree (stack + wakeup nodes)
  // Exhaustive with the state cache (Options::state_cache; docs/exploration.md).
  std::uint64_t states_cached = 0;  // visible states whose explored subtree is cached
  std::uint64_t state_lookups = 0;  // states looked up: one per new exploration node
  std::uint64_t cache_hits = 0;     // prefixes cut at a visited state (not in `executions`)
  std::uint64_t cache_bytes = 0;    // estimated memory of the cache
  bool cache_full = false;          // Options::max_memory reached: later states not cached
  std::uint64_t cache_saved = 0;    // executions the hits' cut-off subtrees took when explored
  // Options::state_cache_adaptive: executions run when the cache retired (0: it did not).
  std::uint64_t cache_retired_after = 0;
  // Estimated probability that two distinct states shared a 64-bit fingerprint:
  // n(m - n) / 2^64 for n states cached out of m looked up (as TLC estimates it).
  double collision_probability() const;
  std::vector<Counterexample> counterexamples;
  std::vector<Warning> warnings;  // distinct by message, first occurrence kept

  bool ok() const { return counterexamples.empty(); }
  bool complete() const { return incomplete.empty(); }
  const Counterexample& counterexample() const;  // the first; UsageError if ok()
  Result& operator+=(const Result& other);
};

}  // namespace lockstep
