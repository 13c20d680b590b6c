// Crash isolation: run a check in a supervised child process, so that a scenario that
// segfaults, aborts or overflows a process stack becomes a counterexample carrying the
// schedule it crashed on (replayable with --replay), instead of taking the checker down.
// The CLI runs every check this way (docs/exploration.md, "Crash isolation").
#pragma once

#include <functional>

#include "lockstep/result.hpp"

namespace lockstep {

struct IsolatedRun {
  bool crashed = false;  // the child died of a signal
  int exit_status = 0;   // otherwise: what `child` returned
  // When crashed: kind crash, a message naming the signal (and "stack overflow" when the
  // fault hit the stack's guard page), and the schedule of the execution that crashed
  // (steps only: the caller fills in scenario, max_steps and faults, which it knows).
  Counterexample crash;
  std::uint64_t executions_before = 0;  // executions that had started before the crashing one
};

// Forks; the child runs `child` (which reports and returns an exit status) with fatal
// signals watched, the parent waits. Call it before any worker threads exist.
IsolatedRun run_isolated(const std::function<int()>& child);

}  // namespace lockstep
