// Strategy: who runs next. One interface; random, PCT, POS, first, replay (core/strategies)
// and the DPOR explorer (dpor/) are peers (the shape of Shuttle's Scheduler trait).
//
// The controller calls begin_execution() before each execution, pick() at every step where
// more than one process is enabled, observe() after every executed operation, and
// end_execution() when the execution is over. A strategy holds its own state; given its
// seed it is deterministic.
//
// Thread-safety: one Strategy instance per worker thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>
#include <span>
#include <string>

#include "core/event.hpp"
#include "core/pending_op.hpp"
#include "lockstep/options.hpp"
#include "lockstep/term.hpp"

namespace lockstep::core {

struct Candidate {
  Pid pid;
  const PendingOp* op;  // what the process will do if picked
};

// What can say the visible state now (the Controller, while it runs an execution).
class StateSource {
 public:
  virtual std::uint64_t visible_state() = 0;

 protected:
  ~StateSource() = default;
};

struct Choice {
  std::uint64_t step;                    // 1-based number of the step about to run
  std::span<const Candidate> enabled;    // at least two: the scenario's processes sorted by
                                         // pid, then fault actors (lockstep/faults.hpp)
  // The visible state before this step, computed on demand (only for strategies that
  // observe states: the local chains are kept only then).
  StateSource* states = nullptr;
};

struct ExecutionSummary {
  std::uint64_t steps = 0;
  bool counterexample = false;
  bool abandoned = false;
  bool pruned = false;  // abandoned at a visited state (kPrune), not for a sleep set
  std::uint64_t final_state = 0;  // fingerprint of the end state (when states are observed)
};

// Re-running a prefix, process `pid` runs again at `step` (1-based): its index in `enabled`.
// If it cannot run there, the scenario is nondeterministic: std::logic_error naming the
// process and the step (rerun_diverged).
std::size_t rerun_index(std::span<const Candidate> enabled, std::uint32_t pid, std::uint64_t step);
[[noreturn]] void rerun_diverged(std::uint32_t pid, std::uint64_t step);

// pick() may return this to abandon the execution (e.g. it is sleep-set blocked).
inline constexpr std::size_t kAbandon = static_cast<std::size_t>(-1);
// pick() may return this to end the execution at a state explored before (a state cache
// hit): what follows is known, but a counterexample already found on the way stands.
inline constexpr std::size_t kPrune = kAbandon - 1;

// Runs the scenario along `pids` (one pid per step, barriers in between as they come) and
// returns the record of the last step's event, or nullptr if the sequence cannot be
// followed. Given to explorers that need to know what an event would do elsewhere.
using Probe = std::function<const EventRecord*(const std::vector<std::uint32_t>& pids)>;

class Strategy {
 public:
  virtual ~Strategy() = default;
  // Prepare the next execution; false when there is nothing left to explore.
  virtual bool begin_execution() = 0;
  // Index into choice.enabled of the process to run, or kAbandon.
  virtual std::size_t pick(const Choice& choice) = 0;
  // Explorers that return true are asked to pick at every step (even with one process
  // enabled) and see an EventRecord of every executed event through observe().
  virtual bool observes_events() const { return false; }
  // Explorers that also return true here see visible states (Choice::states, and the end
  // state in ExecutionSummary::final_state): the controller then keeps each process's local
  // state and hashes what operations return, a cost a stateless explorer does not pay.
  virtual bool observes_states() const { return false; }
  virtual void observe(const EventRecord& /*event*/) {}
  // Where the controller builds the record of the next event it reports to observe(): a
  // strategy that keeps the records gives one of its own, which observe() then receives (no
  // copy); null: the controller's. Asked of strategies that observe events, before each
  // recorded step or timer firing; the record is the controller's to overwrite until then.
  virtual EventRecord* event_buffer() { return nullptr; }
  // The processes the first steps of the coming execution run, if the strategy already knows
  // what those steps do (an explorer re-running the last execution's prefix): the controller
  // runs them, and the timer firings up to the next step, without calling pick() or
  // observe(), and records from that step on. A process it cannot run is a nondeterministic
  // scenario (std::logic_error). Asked after begin_execution(), of strategies that observe
  // events; the span lives until the execution ends.
  virtual std::span<const std::uint32_t> replayed_prefix() { return {}; }
  virtual void set_probe(Probe /*probe*/) {}
  virtual void end_execution(const ExecutionSummary& /*summary*/) {}
  // The seed of the current execution, for reports (0 when not seeded).
  virtual std::uint64_t execution_seed() const { return 0; }
};

// The sampling strategies and replay, built from validated options. A sampling strategy
// runs options.iterations iterations numbered from first_iteration + 1 (iteration i's seed
// derives from options.seed and i alone), with fresh learned state (PCT's length estimate,
// fault pacing): a chunk of a run is the same whichever worker runs it.
std::unique_ptr<Strategy> make_strategy(const Options& options, std::uint64_t first_iteration = 0);

}  // namespace lockstep::core
