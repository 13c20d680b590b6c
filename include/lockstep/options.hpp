// Options: how to explore a scenario. Plain data with documented defaults, filled by the
// CLI (or LOCKSTEP_* environment variables through the CLI) and validated once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "lockstep/faults.hpp"
#include "lockstep/schedule.hpp"

namespace lockstep {

enum class StrategyKind { random, pct, fair_pct, pos, idpct, first, replay };
enum class DporMode { none, source, optimal };

std::string_view to_string(StrategyKind k);
std::optional<StrategyKind> parse_strategy(std::string_view name);  // "fair-pct", ...
std::string_view to_string(DporMode m);
std::optional<DporMode> parse_dpor(std::string_view name);

struct Options {
  StrategyKind strategy = StrategyKind::random;
  std::uint64_t seed = 0;              // per-iteration seeds derive from it
  std::uint64_t iterations = 1000;     // executions for the sampling strategies
  int pct_depth = 3;                   // PCT bug depth d: d-1 priority change points
  std::int64_t fair_switch = -1;       // fair-pct: step where PCT gives way to random; -1: half the step estimate
  double resample_prob = 0.5;          // pos: probability of redrawing priorities each step
  int pct_depth_min = 2;               // idpct depth range
  int pct_depth_max = 6;
  std::uint64_t max_steps = 100000;    // a longer execution is a "step bound exceeded" counterexample
  bool fail_on_crash = false;          // abnormal exit of an unwatched process: warning or counterexample
  bool keep_going = false;             // collect every distinct counterexample instead of stopping
  std::optional<Schedule> replay;      // with StrategyKind::replay: the schedule to follow
  std::size_t stack_size = 256 * 1024; // bytes per process stack (one guard page below it)
  std::string scenario_name;           // recorded in schedules; set by the CLI
  Faults faults;                       // environment faults injected into cluster scenarios

  // Exhaustive exploration (lockstep::explore, `lockstep-check --exhaustive`).
  // none: every schedule (the oracle); source: source-DPOR with sleep sets; optimal (the
  // default): wakeup trees, one execution per Mazurkiewicz trace (docs/exploration.md).
  DporMode dpor = DporMode::optimal;
  std::uint64_t max_executions = 0;    // 0: unbounded; hitting it makes the result incomplete
  std::uint64_t max_depth = 0;         // 0: unbounded; executions longer are cut (incomplete)
  // Visible-state caching: a prefix that reaches a state whose subtree was explored stops
  // there (docs/exploration.md, "State caching"). Fewer executions, the same states and bugs.
  // Cuts most with dpor source; optimal DPOR cuts only where the prefix races with nothing
  // in the cut-off subtree.
  bool state_cache = false;
  // With state_cache: the cache retires, for the rest of the run, after the first window of
  // 1,024 executions in which it saved less than 4 times the executions it ran (where orders
  // do not converge it costs 2-4 times an execution and saves nothing). `lockstep-check
  // --exhaustive` runs this way by default; `--state-cache` keeps the cache on throughout.
  bool state_cache_adaptive = false;
  // Bytes the state cache may hold (0: half the machine's memory); past it, new states are
  // not cached and the exploration goes on without them.
  std::uint64_t max_memory = 0;
  // Threads (0: every core). Sampled runs do not depend on it: iterations run in fixed
  // chunks, each a function of the seed and its index alone. Exhaustive exploration shares
  // one tree between them: the same traces, end states and distinct counterexamples for
  // every N, some more executions than on one worker (docs/exploration.md).
  unsigned workers = 0;
  // The number of threads a run uses: `workers`, or every core the process may use.
  unsigned effective_workers() const;
  // Called every `progress_every` executions with the number done so far (the CLI draws a
  // progress line on a terminal). Must be cheap and must not throw.
  std::function<void(std::uint64_t executions)> progress;
  std::uint64_t progress_every = 1024;

  // Throws ConfigError naming the bad field and the fix.
  void validate() const;
};

}  // namespace lockstep
