#include "core/controller.hpp"

#include <algorithm>
#include <cassert>
#include <exception>

#include "core/crash_board.hpp"
#include "core/mix.hpp"
#include "lockstep/errors.hpp"

namespace lockstep::core {

[[gnu::tls_model("initial-exec")]] constinit thread_local Controller* tl_controller = nullptr;
[[gnu::tls_model("initial-exec")]] constinit thread_local Process* tl_process = nullptr;

namespace {

// Atoms the controller compares against on every exit or spawn, interned once (comparing
// interned atoms is comparing ids; is_atom("...") compares names).
struct WellKnown {
  Term nil = atom("nil");
  Term normal = atom("normal");
  Term kill = atom("kill");
  Term killed = atom("killed");
  Term noproc = atom("noproc");
};
// At namespace scope, not a function's static: no guard to test on every exit and spawn.
// Safe to build before main: atom() interns into a table made on first use, and nothing
// reads these before main runs.
const WellKnown well_known;
const Term& atom_nil() { return well_known.nil; }
const Term& atom_normal() { return well_known.normal; }
const Term& atom_kill() { return well_known.kill; }
const Term& atom_killed() { return well_known.killed; }
const Term& atom_noproc() { return well_known.noproc; }

bool is_shutdown(const Term& reason) {
  return reason.is_atom("shutdown") ||
         (reason.is_tuple() && reason.size() == 2 && reason[0].is_atom("shutdown"));
}

// A crash is an exit that OTP would log: anything but normal and shutdown.
bool is_crash_reason(const Term& reason) {
  return !(reason == atom_normal()) && !is_shutdown(reason);
}

std::uint64_t ref_key(Ref r) { return (std::uint64_t{r.owner} << 32) | r.seq; }

template <typename T>
void erase_value(std::vector<T>& v, const T& x) {
  v.erase(std::remove(v.begin(), v.end(), x), v.end());
}

}  // namespace

std::string_view verb(OpKind k) {
  switch (k) {
    case OpKind::none: return "none";
#define LOCKSTEP_SYNC_OP(name, text) \
  case OpKind::name: return text;
#include "core/sync_ops.def"
#undef LOCKSTEP_SYNC_OP
  }
  return "?";
}

namespace {
// What a controller gone leaves for the next one on the same thread: its process records
// and the buffers that grow with an execution. An exploration of a few executions otherwise
// allocates, builds and destroys them all again (filesystem(14), 2 executions: 15 process
// records and about 30 vector growths). Past kMaxProcesses records, nothing is kept.
struct ControllerSpare {
  static constexpr std::size_t kMaxProcesses = 1024;
  bool filled = false;
  std::vector<std::unique_ptr<Process>> pool;
  std::vector<Process*> procs, living;
  std::vector<Candidate> enabled;
  std::vector<StepLogEntry> step_log;
  std::vector<std::uint32_t> choices, choices_before;
};
ControllerSpare& controller_spare() {
  thread_local ControllerSpare spare;
  return spare;
}
}  // namespace

Controller::Controller(ControllerConfig config) : config_(config), stacks_(config.stack_size) {
  ControllerSpare& spare = controller_spare();
  if (!spare.filled) return;
  spare.filled = false;
  pool_ = std::move(spare.pool);  // reset() makes each record new again
  procs_ = std::move(spare.procs);
  living_ = std::move(spare.living);
  enabled_room_ = std::move(spare.enabled);
  outcome_.step_log = std::move(spare.step_log);
  outcome_.choices = std::move(spare.choices);
  choices_before_ = std::move(spare.choices_before);
  // Nothing of the last controller's runs carries over: run() clears the rest, and the kept
  // replay prefix needs a whole log of this controller's own last run.
  procs_.clear();
  living_.clear();
  enabled_ = {};
  outcome_.step_log.clear();
  outcome_.choices.clear();
  choices_before_.clear();
}

Controller::~Controller() {
  assert(stacks_.live() == 0);
  // Every fiber finished at the last teardown: the records hold no stack and no body.
  ControllerSpare& spare = controller_spare();
  if (spare.filled || pool_.size() > ControllerSpare::kMaxProcesses) return;
  spare.filled = true;
  spare.pool = std::move(pool_);
  spare.procs = std::move(procs_);
  spare.living = std::move(living_);
  spare.enabled = std::move(enabled_room_);
  spare.step_log = std::move(outcome_.step_log);
  spare.choices = std::move(outcome_.choices);
  spare.choices_before = std::move(choices_before_);
}

void Controller::outside_process(const char* api) {
  throw UsageError(std::string("lockstep::") + api +
                   " called outside a managed process: call it from scenario code run by "
                   "lockstep::check() or lockstep-check");
}

Ref Controller::make_ref(Process& p) { return Ref{p.pid.id, ++p.ref_seq}; }

Process& Controller::new_process(std::function<void()> body, bool root, Process* link_to,
                                 std::uint32_t node, bool unreachable) {
  std::size_t index = procs_.size();
  if (index == pool_.size()) pool_.push_back(std::make_unique<Process>());
  Process& p = *pool_[index];
  p.reset(this, Pid{static_cast<std::uint32_t>(index + 1), node}, std::move(body), root);
  procs_.push_back(&p);
  living_.push_back(&p);
  if (link_to != nullptr) {
    // Linked before the child runs, so that it cannot exit unlinked (spawn_link is atomic).
    link_to->links.push_back(p.pid.id);
    p.links.push_back(link_to->pid.id);
  }
  p.fiber.start(stacks_, &Controller::fiber_entry, &p);
  if (unreachable) {
    // Spawned on a node that is down or cut off: as on the BEAM, the pid exists but the
    // process never runs, and a link reports :noconnection.
    terminate(p, atom("noconnection"), false);
    unwind(p);
    return p;
  }
  if (!halted()) resume(p);  // run its local code up to its first sync point (the seed's `hello`)
  return p;
}

void Controller::fiber_entry(void* arg) {
  auto& p = *static_cast<Process*>(arg);
  std::optional<Term> reason = atom_normal();
  try {
    if (p.unwinding) throw ProcessUnwind{};  // torn down before it ever ran
    p.body();
  } catch (ProcessUnwind& u) {
    reason = u.reason;  // empty when killed or torn down: nothing left to do
  } catch (const ErlangError& e) {
    reason = e.reason();
  } catch (const std::exception& e) {
    reason = tuple(atom("exception"), binary(e.what()));
  } catch (...) {
    // Forced unwinding must never reach here: fibers are only destroyed when finished.
    reason = tuple(atom("exception"), binary("unknown C++ exception"));
  }
  p.body = nullptr;  // destroy captures on this stack's owner, before the fiber ends
  if (reason && !p.unwinding) {
    // The exit is itself a step: its signals race with what other processes do.
    p.op.reset(OpKind::exit).term = std::move(*reason);  // in place: no temporary moved whole
    p.fiber.yield();
  }
}

void Controller::dead_target(std::optional<Consequences>& consequences, Pid target, bool remote) {
  if (remote) {
    consequences.emplace(*this, ObjectKind::life, target.id, std::pair{ObjectKind::network, std::uint64_t{0}});
  } else {
    consequences.emplace(*this, ObjectKind::life, target.id, Consequences::PlainAlternative{});
  }
}

void Controller::mirror_choice(std::uint32_t pid) {
  std::uint32_t n = crash_slot_->length.load(std::memory_order_relaxed);
  if (n < CrashSlot::kCapacity) crash_slot_->choices[n] = pid;
  crash_slot_->length.store(n + 1, std::memory_order_relaxed);
}

std::uint32_t running_pid_id() noexcept { return tl_process != nullptr ? tl_process->pid.id : 0; }

// An ErlangError raised in a running process (badarg from a model operation, a failed call)
// changes what that process does next, though no operation returned it: it goes into the
// step's result, hence into the process's local state.
void note_raised(const Term& reason) noexcept {
  if (tl_controller != nullptr && tl_process != nullptr && tl_controller->tracking_states()) {
    tl_controller->record_result(mix(0x7261697365ULL, reason.hash()));
  }
}

[[gnu::always_inline]] inline void Controller::resume(Process& p) {
  Process* prev = tl_process;
  tl_process = &p;
  running_ = &p;
  p.fiber.resume();
  tl_process = prev;
  running_ = nullptr;
}

void Controller::sync_while_unwinding() {
  // A destructor running during unwinding reached a sync point: let it pass silently.
  if (std::uncaught_exceptions() > 0) return;
  throw ProcessUnwind{};
}

void Controller::after_failed_sync(Process& p) {
  if (p.unwinding) throw ProcessUnwind{};
  std::string error = std::move(p.result.error);
  p.result.error.clear();
  throw BadArg(error);
}

std::size_t rerun_index(std::span<const Candidate> enabled, std::uint32_t pid, std::uint64_t step) {
  for (std::size_t i = 0; i < enabled.size(); ++i) {
    if (enabled[i].pid.id == pid) return i;
  }
  rerun_diverged(pid, step);
}

void rerun_diverged(std::uint32_t pid, std::uint64_t step) {
  throw std::logic_error("nondeterministic scenario: re-running the same prefix, " + Pid{pid, 0}.to_string() +
                         " cannot run at step " + std::to_string(step) + " as it could before");
}

void Controller::begin_event(EventRecord* into, EventId id, bool barrier) {
  event_ = into != nullptr ? into : &own_event_;
  event_->id = id;
  event_->predicted = false;
  event_->barrier = barrier;
  event_->unknown = false;
  event_->label = 0;
  event_->spawned.clear();
  event_->accesses.clear();
  event_->footprint = 0;
  event_->write_footprint = 0;
  event_->member_write_footprint = 0;
  event_->read_footprint = 0;
  event_->conditions.clear();
  event_->plain_alternative = 0;
  event_->heavier_alternative = false;
  event_->killed.clear();
  result_label_ = 0;
}

void Controller::set_abort(Counterexample cx) {
  abort_ = std::move(cx);
  abort_choices_ = outcome_.choices.size();
  abort_steps_ = outcome_.step_log.size();
}

void Controller::abort_execution(CounterexampleKind kind, std::string message,
                                 std::string location) {
  if (!abort_ && !tearing_down_) {
    if (running_ != nullptr) note(running_->pid, [&] { return "fails: " + message; });
    Counterexample cx;
    cx.kind = kind;
    cx.message = std::move(message);
    cx.location = std::move(location);
    set_abort(std::move(cx));
  }
  throw ProcessUnwind{};
}

// Inline: collect_enabled asks it of every living process at every step.
[[gnu::always_inline]] inline bool Controller::ready(Process& p) {
  if (p.fiber.finished()) return false;
  if (p.op.kind != OpKind::receive) return true;
  // The common cases inline: a receive of any message, with one waiting or with none (and
  // no timeout).
  PendingOp& op = p.op;
  if (op.matcher == nullptr && !op.has_timeout && !op.timed_out) {
    op.match_index = 0;
    return !p.mailbox.empty();
  }
  return receive_ready(p);
}

// Inline: run() asks it at every step that is not a kept replayed one.
[[gnu::always_inline]] inline void Controller::collect_enabled() {
  if (enabled_room_.size() < living_.size()) enabled_room_.resize(2 * living_.size());
  Candidate* const first = enabled_room_.data();
  Candidate* out = first;
  bool faults = false;
  for (Process* p : living_) {
    if (!ready(*p)) continue;
    if (fault_actors_ && p->fault_actor) {
      faults = true;
      continue;
    }
    *out++ = Candidate{p->pid, &p->op};
  }
  if (faults) {
    // Fault actors come after the scenario's processes. They are always enabled (DPOR needs
    // enabledness that no other process's step takes away): one that finds the budget spent
    // ends instead of striking.
    for (Process* p : living_) {
      if (p->fault_actor && !p->fiber.finished()) *out++ = Candidate{p->pid, &p->op};
    }
  }
  enabled_ = {first, out};
}

// After the step's operation: whether its process goes on to its next sync point.
[[gnu::always_inline]] inline bool Controller::finish_execute(Process& p) {
  if (tracking_states_) label_result(p);
  return p.alive && !halted();
}

// The step's operation, with the hot kinds (shared-state nifs, sends and receives) here and
// inline in run(): execute_other's frame, which every other kind needs, costs more than
// what these do. True when the process goes on to its next sync point.
[[gnu::always_inline]] inline bool Controller::execute(Process& p) {
  PendingOp& op = p.op;
  p.result.has_value = false;
  switch (op.kind) {
    case OpKind::nif:
      touch_shared(op.access);
      if (config_.record_trace) [[unlikely]] note(p.pid, [&] {
        Term kind = op.nif_parts == 0 ? op.term
                    : op.nif_parts == 2 ? tuple(op.term, op.term2)
                                        : tuple(op.term, op.term2, op.name);
        return "nif " + kind.to_string();
      });
      return finish_execute(p);
    case OpKind::send: {
      Process* to = find(op.target);
      if (config_.record_trace) [[unlikely]] note(p.pid, [&] {
        return "send " + op.term.to_string() + " -> " + op.target.to_string() +
               (to && to->alive ? "" : " (dead: dropped)");
      });
      send_message(p.pid.node, op.target, std::move(op.term));
      return finish_execute(p);
    }
    case OpKind::receive:
      do_receive(p);
      return finish_execute(p);
    default: return execute_other(p);
  }
}

[[gnu::always_inline]] inline bool Controller::runnable(Process& p) { return p.alive && ready(p); }

// The local state: what the process got back, not who caused it (a message's sender is not
// part of it), so that different orders can reach the same state.
[[gnu::always_inline]] inline void Controller::track_local_state(Process& p, OpKind kind) {
  p.local = mix(mix(p.local, static_cast<unsigned>(kind)), result_label_);
  changed_processes(p);
}

// Inline: the resume is at the depth of the loop that goes on after it (core/fiber.hpp).
[[gnu::always_inline]] inline void Controller::run_unrecorded(Process& p) {
  own_event_.id = EventId{p.pid.id, p.events};  // its sends still name it (reads-from)
  result_label_ = 0;  // the local state still follows what the step returns
  ++p.events;
  OpKind kind = p.op.kind;
  if (execute(p)) resume(p);
  if (tracking_states_) track_local_state(p, kind);
}

const ExecutionOutcome& Controller::run(const std::function<void()>& root, Strategy& strategy) {
  Controller* prev_controller = tl_controller;
  tl_controller = this;
  procs_.clear();
  living_.clear();
  timers_.clear();
  exit_observers_.clear();  // they live in locals_
  locals_.clear();
  monitors_.clear();
  monitors_ever_.clear();
  timer_targets_.clear();
  names_.clear();
  network_.reset();
  stopping_node_ = UINT32_MAX;
  fault_actors_ = config_.faults.any();
  fault_budget_ = fault_actors_ ? config_.faults.max : 0;
  trace_.clear();
  ExecutionOutcome& out = outcome_;
  observing_ = strategy.observes_events();
  tracking_states_ = observing_ && strategy.observes_states();
  // The steps the strategy already knows (Strategy::replayed_prefix): run without asking it
  // and without recording their events, nor the timer firings before the first step after.
  const std::span<const std::uint32_t> replay = observing_ ? strategy.replayed_prefix() : std::span<const std::uint32_t>{};
  std::size_t replayed = 0;  // steps of `replay` run so far
  recording_ = observing_ && replay.empty();
  content_hashed_.clear();
  write_chains_.clear();
  process_hash_.clear();
  out.abandoned = false;
  out.pruned = false;
  out.final_state = 0;
  out.counterexample.reset();
  out.warnings.clear();
  // The replayed steps are the last run's first steps: their log and choice points stay, and
  // they run without collecting the enabled set (only whether their process can run).
  const std::size_t kept = kept_prefix(replay);
  out.step_log.resize(kept);
  choices_before_.resize(kept + 1);
  out.choices.resize(choices_before_[kept]);
  log_whole_ = false;
  crash_slot_ = CrashBoard::thread_slot();
  if (crash_slot_ != nullptr) {
    crash_slot_->length.store(0, std::memory_order_relaxed);
    CrashBoard::current()->executions.fetch_add(1, std::memory_order_relaxed);
    for (std::uint32_t pid : out.choices) mirror_choice(pid);
  }
  abort_.reset();
  clock_ = 0;
  step_ = 0;
  barriers_ = 0;
  tearing_down_ = false;

  try {
    Process& r = new_process(root, true);
    note(r.pid, [] { return std::string("start (root)"); });
    // The kept replayed steps: each process runs if it can, without the enabled set; when it
    // cannot, a timer fires first (nothing else can run), else the general loop below finds
    // the divergence, or the step bound.
    while (replayed < kept && !halted()) {
      Process* next = find(replay[replayed]);
      if (next == nullptr || !runnable(*next) || step_ >= config_.max_steps) {
        collect_enabled();
        if (!enabled_.empty() || step_ >= config_.max_steps || !fire_timer(strategy)) break;
        continue;
      }
      assert((collect_enabled(), enabled_.size() > 1) == (choices_before_[replayed + 1] != choices_before_[replayed]));
      ++step_;
      ++replayed;
      run_unrecorded(*next);
    }
    while (!halted()) {
      collect_enabled();
      if (enabled_.empty()) {
        if (fire_timer(strategy)) continue;
        if (replayed < replay.size()) rerun_diverged(replay[replayed], step_ + 1);
        break;
      }
      if (step_ >= config_.max_steps) {
        Counterexample cx;
        cx.kind = CounterexampleKind::step_bound;
        cx.message = "step bound exceeded: " + std::to_string(config_.max_steps) +
                     " steps without the scenario ending (a livelock?); raise --max-steps if "
                     "it legitimately needs more";
        if (!abort_) set_abort(std::move(cx));
        break;
      }
      ++step_;
      std::size_t index = 0;
      if (replayed < replay.size()) {
        if (replayed < kept) rerun_diverged(replay[replayed], step_);  // another can run, not it
        index = rerun_index(enabled_, replay[replayed++], step_);
      } else if (enabled_.size() > 1 || observing_) {
        recording_ = observing_;
        index = strategy.pick(Choice{step_, enabled_, tracking_states_ ? this : nullptr});
        if (index == kAbandon || index == kPrune) {
          out.abandoned = true;
          out.pruned = index == kPrune;
          break;
        }
        assert(index < enabled_.size());
      }
      if (enabled_.size() > 1) {
        out.choices.push_back(enabled_[index].pid.id);
        if (crash_slot_ != nullptr) mirror_choice(enabled_[index].pid.id);
      }
      if (observing_) choices_before_.push_back(static_cast<std::uint32_t>(out.choices.size()));
      Process& p = *find(enabled_[index].pid);
      out.step_log.push_back({p.pid.id, p.op.kind});
      if (!recording_) {
        run_unrecorded(p);
        continue;
      }
      begin_event(strategy.event_buffer(), EventId{p.pid.id, p.events}, false);
      touch(ObjectKind::life, AccessMode::read, p.pid.id);
      ++p.events;
      OpKind kind = p.op.kind;
      if (execute(p)) resume(p);
      if (tracking_states_) {
        std::uint64_t label = mix(mix(event_->id.pid, event_->id.index), static_cast<unsigned>(kind));
        // Accesses are a set: the order a cascade logged them in is not part of the event.
        std::uint64_t footprint = 0;
        for (const Access& a : event_->accesses) {
          std::uint64_t h = mix((std::uint64_t{static_cast<unsigned>(a.kind)} << 8) | static_cast<unsigned>(a.mode), a.object);
          footprint += mix(h, (std::uint64_t{a.peer.pid} << 32) | a.peer.index);
        }
        label = mix(label, footprint);
        event_->label = mix(label, result_label_);
        track_local_state(p, kind);
      }
      strategy.observe(*event_);
      event_ = &own_event_;
    }
    event_ = &own_event_;  // a firing begun with nothing left to fire used the strategy's record
    if (tracking_states_ && !out.abandoned) out.final_state = visible_state();
    if (!abort_ && !out.abandoned) {
      Process& root_process = *procs_.front();
      if (root_process.alive) {
        Counterexample cx;
        cx.kind = CounterexampleKind::deadlock;
        cx.message = "deadlock: the root process " + root_process.pid.to_string() +
                     " has not returned and nothing can run; " + describe_blocked();
        abort_ = std::move(cx);
      } else if (!(root_process.exit_reason == atom_normal())) {
        Counterexample cx;
        cx.kind = CounterexampleKind::crash;
        cx.message = "the root process " + root_process.pid.to_string() +
                     " exited abnormally: " + root_process.exit_reason.to_string();
        abort_ = std::move(cx);
      }
    }
    teardown();
  } catch (...) {
    teardown();
    tl_controller = prev_controller;
    throw;
  }
  tl_controller = prev_controller;

  out.steps = step_;
  log_whole_ = !abort_;
  if (abort_ && observing_) {
    // The explorer ran on to a maximal state; the counterexample is the prefix up to the failure.
    out.choices.resize(std::min(out.choices.size(), abort_choices_));
    out.step_log.resize(std::min(out.step_log.size(), abort_steps_));
  }
  if (abort_) {
    out.counterexample = std::move(abort_);
    out.counterexample->trace = std::move(trace_);
  }
  return out;
}

std::size_t Controller::kept_prefix(std::span<const std::uint32_t> replay) const {
  const std::vector<StepLogEntry>& log = outcome_.step_log;
  if (!log_whole_ || replay.empty() || replay.size() > log.size() || choices_before_.size() != log.size() + 1) return 0;
  for (std::size_t s = 0; s < replay.size(); ++s) {
    if (log[s].pid != replay[s]) return 0;
  }
  return replay.size();
}

bool Controller::fire_timer(Strategy& strategy) {
  // Not recorded, an event still names what it sends (Message::from, for reads-from).
  if (recording_) {
    begin_event(strategy.event_buffer(), EventId{0, barriers_}, true);
  } else {
    own_event_.id = EventId{0, barriers_};
  }
  if (!fire_next_deadline()) return false;
  if (observing_) ++barriers_;
  if (tracking_states_) process_hash_.assign(procs_.size(), 0);  // a firing may time out any receive
  if (recording_) {
    event_->label = mix(event_->id.index, static_cast<std::uint64_t>(clock_));
    strategy.observe(*event_);
    event_ = &own_event_;
  }
  return true;
}

bool Controller::receive_ready(Process& p) {
  PendingOp& op = p.op;
  if (op.matcher == nullptr) {
    if (!p.mailbox.empty()) {
      op.match_index = 0;
      return true;
    }
  } else {
    // Messages before scan_from were already found not to match (matchers are pure).
    for (std::size_t i = op.scan_from; i < p.mailbox.size(); ++i) {
      if ((*op.matcher)(p.mailbox[i].term)) {
        op.match_index = i;
        return true;
      }
    }
    op.scan_from = p.mailbox.size();
  }
  op.match_index = p.mailbox.size();
  return op.timed_out || (op.has_timeout && op.deadline <= clock_);
}

bool Controller::fire_next_deadline() {
  // The earliest of: pending timers, and receive timeouts of blocked processes.
  const Timer* timer = nullptr;
  Process* waiter = nullptr;
  std::int64_t best = 0;
  std::uint64_t best_seq = 0;
  auto better = [&](std::int64_t d, std::uint64_t s) {
    return (timer == nullptr && waiter == nullptr) || d < best || (d == best && s < best_seq);
  };
  for (const Timer& t : timers_) {
    if (better(t.deadline, t.seq)) {
      timer = &t;
      waiter = nullptr;
      best = t.deadline;
      best_seq = t.seq;
    }
  }
  for (Process* p : procs_) {
    if (p->alive && p->op.kind == OpKind::receive && p->op.has_timeout && !p->op.timed_out &&
        better(p->op.deadline, p->op.deadline_seq)) {
      waiter = p;
      timer = nullptr;
      best = p->op.deadline;
      best_seq = p->op.deadline_seq;
    }
  }
  const Network::Tick* tick = nullptr;
  for (const Network::Tick& t : network_.ticks) {
    if ((timer == nullptr && waiter == nullptr && tick == nullptr) || t.deadline < best ||
        (t.deadline == best && t.partition < best_seq)) {
      tick = &t;
      timer = nullptr;
      waiter = nullptr;
      best = t.deadline;
      best_seq = t.partition;
    }
  }
  if (tick != nullptr) {
    clock_ = std::max(clock_, best);
    std::uint32_t partition = tick->partition;
    network_.ticks.erase(network_.ticks.begin() + (tick - network_.ticks.data()));
    fire_tick(partition);
    return true;
  }
  if (timer == nullptr && waiter == nullptr) return false;
  clock_ = std::max(clock_, best);
  if (waiter != nullptr) {
    waiter->op.timed_out = true;
    return true;
  }
  Timer fired = *timer;
  timers_.erase(timers_.begin() + (timer - timers_.data()));
  Process* target = find(fired.target);
  note(target ? target->pid : Pid{}, [&] {
    return "timer " + fired.ref.to_string() + " fires at " + std::to_string(clock_) +
           " ms: " + fired.msg.to_string();
  });
  if (target != nullptr && target->alive) send_message(fired.from_node, target->pid, std::move(fired.msg));
  return true;
}

void Controller::deliver(Pid to, Term&& msg) {
  // Logged even when the target is dead: whether it was still alive is what races.
  touch(ObjectKind::life, AccessMode::read, to.id);
  touch(ObjectKind::mailbox, AccessMode::append, to.id);
  Process* p = find(to);
  if (p != nullptr && p->alive) {
    std::uint64_t hash = tracking_states_ ? msg.hash() : 0;
    p->mailbox.push_back(std::move(msg), event_->id, hash);
  }
}

void Controller::touch_shared(const SharedAccess& a) {
  if (tracking_states_ && !content_hashed_.contains(a.object)) {
    // An object whose contents nothing hashes (a user's nif_sync object; 0: unknown): what
    // the operation could read is the chain of writes to it, which goes into the caller's
    // local state; a write extends the chain with who wrote (in which local state) over what.
    WriteChains& w = write_chains_[a.object];
    KeyChain* key = a.whole_object ? nullptr : &w.keys[a.key];
    std::uint64_t seen = key == nullptr ? w.contents() : mix(w.whole, key->value());
    // A blind write that commutes with its like reads nothing (SharedAccess::commutes).
    bool commuting = a.write && key != nullptr && a.commutes != 0;
    if (!commuting) record_result(seen);
    if (a.write) {
      Process* writer = find(event_->id.pid);
      std::uint64_t entry = mix((std::uint64_t{event_->id.pid} << 32) | event_->id.index,
                                writer != nullptr ? writer->local : 0);
      if (key == nullptr) {
        w.whole = mix(w.whole, mix(entry, seen));
      } else {
        w.key_sum -= Fingerprint::spread(key->value());
        if (!commuting) {
          key->chain = mix(key->value(), mix(entry, seen));
          key->run_commutes = 0;
        } else {
          if (key->run_commutes != a.commutes) {
            key->chain = key->value();
            key->run_commutes = a.commutes;
            key->run_sum = 0;
          }
          key->run_sum += Fingerprint::spread(entry);
        }
        w.key_sum += Fingerprint::spread(key->value());
      }
    }
  }
  if (a.object == 0) {
    touch(ObjectKind::shared_any, AccessMode::write, 0);
    return;
  }
  touch(ObjectKind::shared_any, AccessMode::member_read, 0);
  if (a.whole_object) {
    touch(ObjectKind::shared_object, a.write ? AccessMode::write : AccessMode::read, a.object);
  } else {
    touch(ObjectKind::shared_object, a.write ? AccessMode::member_write : AccessMode::member_read, a.object);
    touch(ObjectKind::shared_key, a.write ? AccessMode::write : AccessMode::read, mix(a.object, a.key));
    if (recording_ && a.write) event_->accesses.back().commutes = a.commutes;
  }
}

std::uint64_t Controller::process_state(const Process& p) const {
  std::uint64_t h = mix(mix(p.pid.id, p.pid.node), p.alive);
  h = mix(mix(h, p.local), p.exit_reason.hash());
  h = mix(mix(h, p.events), p.ref_seq);
  if (!p.alive) return h;
  h = mix(mix(h, p.trap_exit), p.fault_actor);
  h = mix(h, p.name ? p.name->hash() : 0);
  // The pending operation follows from the local state, except what the clock decided: a
  // receive's deadline (set when it was reached) and whether it has timed out.
  h = mix(mix(h, static_cast<unsigned>(p.op.kind)), p.op.has_timeout);
  h = mix(mix(h, static_cast<std::uint64_t>(p.op.deadline)), p.op.timed_out);
  p.mailbox.for_each([&](const Message& m) { h = mix(h, m.hash); });  // the terms, not their senders
  std::uint64_t links = 0, watchers = 0;  // sets: the order they were made in is not state
  for (std::uint32_t l : p.links) links += Fingerprint::spread(l);
  for (const Ref& r : p.monitored_by) watchers += Fingerprint::spread(ref_key(r));
  return mix(mix(h, links), watchers);
}

void Controller::changed_processes(const Process& p) {
  // Every change to another process is logged as an access to it (what DPOR relies on too).
  process_hash_.resize(procs_.size(), 0);
  process_hash_[p.pid.id - 1] = 0;
  for (const Access& a : event_->accesses) {
    switch (a.kind) {
      case ObjectKind::life:
      case ObjectKind::trap:
      case ObjectKind::links:
      case ObjectKind::monitors:
      case ObjectKind::mailbox:
      case ObjectKind::own_name:
        if (a.object >= 1 && a.object <= process_hash_.size() && a.mode != AccessMode::read) process_hash_[a.object - 1] = 0;
        break;
      default: break;
    }
  }
  for (std::uint32_t child : event_->spawned) {
    if (child >= 1 && child <= process_hash_.size()) process_hash_[child - 1] = 0;
  }
}

std::uint64_t Controller::visible_state() {
  Fingerprint& f = state_;
  f.clear();
  f.add(static_cast<std::uint64_t>(clock_)).add(abort_.has_value()).add(fault_budget_).add(procs_.size());
  // Each process's part is kept from step to step and recomputed only where a step changed it.
  process_hash_.resize(procs_.size(), 0);
  for (std::size_t i = 0; i < procs_.size(); ++i) {
    std::uint64_t& h = process_hash_[i];
    if (h == 0) h = process_state(*procs_[i]) | 1;
    assert(h == (process_state(*procs_[i]) | 1) && "a step changed a process without logging an access to it");
    f.add(h);
  }
  for (const auto& [name, pid] : names_) f.add(name_key(name.first, name.second)).add(pid);
  for (const auto& [ref, m] : monitors_) f.add(ref_key(ref)).add((std::uint64_t{m.watcher} << 32) | m.target);
  // Timers by ref, deadline and content, not by creation order.
  f.add_set(timers_, [](const Timer& t) {
    return mix(mix(mix(mix(ref_key(t.ref), static_cast<std::uint64_t>(t.deadline)), t.target), t.msg.hash()),
               t.from_node);
  });
  network_.fingerprint(f);
  for (const auto& [key, local] : locals_) local.fingerprint(local.state.get(), f);
  f.add_set(write_chains_, [](const auto& entry) { return mix(entry.first, entry.second.contents()); });
  return f.value();
}

void Controller::do_receive(Process& p) {
  PendingOp& op = p.op;
  if (op.match_index < p.mailbox.size()) {
    bool due = op.timed_out || (op.has_timeout && op.deadline <= clock_);
    touch(ObjectKind::mailbox, due ? AccessMode::consume_due : AccessMode::consume, p.pid.id,
          p.mailbox[op.match_index].from);
    p.mailbox.take(op.match_index, p.result.term);
    p.result.has_value = true;
    note(p.pid, [&] { return "receive " + p.result.term.to_string(); });
  } else {
    p.result.has_value = false;
    touch(ObjectKind::mailbox, AccessMode::timeout, p.pid.id);
    note(p.pid, [&] {
      if (op.matcher && op.matcher->description() == "<sleep>") {
        return std::string("wakes at ") + std::to_string(clock_) + " ms";
      }
      return "receive timed out at " + std::to_string(clock_) + " ms";
    });
  }
}

bool Controller::execute_other(Process& p) {
  PendingOp& op = p.op;
  switch (op.kind) {
    case OpKind::none: assert(false && "process without a pending operation"); break;
    case OpKind::send:
    case OpKind::receive:
    case OpKind::nif: assert(false && "execute() runs these itself"); break;
    case OpKind::spawn: {
      std::uint32_t node = op.term2 == atom_nil() ? p.pid.node : node_or_error(p, op.term2);
      if (node == UINT32_MAX) break;
      bool unreachable = false;
      if (node != p.pid.node) {
        touch(ObjectKind::network, AccessMode::read, 0);
        unreachable = !network_.up(node) || network_.separated(p.pid.node, node);
      }
      Pid child{static_cast<std::uint32_t>(procs_.size() + 1), node};
      note(p.pid, [&] { return std::string(op.flag ? "spawn_link " : "spawn ") + child.to_string(); });
      touch(ObjectKind::pid_counter, AccessMode::write, 0);
      touch(ObjectKind::life, AccessMode::write, child.id);  // sends may target it already
      if (op.flag) touch(ObjectKind::links, AccessMode::member_write, p.pid.id);
      if (recording_) event_->spawned.push_back(child.id);
      p.result.pid = new_process(std::move(*op.spawn_body), false, op.flag ? &p : nullptr, node, unreachable).pid;
      break;
    }
    case OpKind::send_named: {
      // op.name ! op.term, on node op.term2 (nil: the plain local-name form).
      bool plain = op.term2 == atom_nil();
      std::optional<std::uint32_t> node = plain ? std::optional(p.pid.node) : network_.find(op.term2);
      if (node && *node != p.pid.node) touch(ObjectKind::network, AccessMode::read, 0);  // node names
      if (node) touch(ObjectKind::name, AccessMode::read, name_key(*node, op.name));
      auto it = node ? names_.find({*node, op.name}) : names_.end();
      Process* to = it == names_.end() ? nullptr : find(it->second);
      note(p.pid, [&] {
        std::string dest = plain ? op.name.to_string() : tuple(op.name, op.term2).to_string();
        return "send " + op.term.to_string() + " -> " + dest +
               (to ? " (" + to->pid.to_string() + ")" : std::string(" (unregistered)"));
      });
      if (to != nullptr) {
        Consequences effects(*this, ObjectKind::name, name_key(*node, op.name));  // where the name leads
        send_message(p.pid.node, to->pid, std::move(op.term));
      } else if (plain) {
        // Erlang raises badarg for `Name ! Msg` with Name unregistered; {Name, Node} drops.
        p.result.error = "send to unregistered name " + op.name.to_string();
      }
      break;
    }
    case OpKind::send_after: {
      Ref ref = make_ref(p);
      touch(ObjectKind::life, AccessMode::read, op.target.id);
      touch(ObjectKind::timer, AccessMode::write, ref_key(ref));
      timer_targets_.emplace(ref, op.target.id);
      // Ties between equal deadlines break by creator and creation order (not a global
      // counter), so timers set by independent processes stay independent.
      Timer t{ref, clock_ + op.deadline, (std::uint64_t{p.pid.id} << 32) | ref.seq, op.target.id,
              std::move(op.term), p.pid.node};
      note(p.pid, [&] {
        return "send_after " + std::to_string(op.deadline) + " ms " + t.msg.to_string() + " -> " +
               op.target.to_string() + " = " + ref.to_string();
      });
      Process* to = find(op.target);
      if (to != nullptr && to->alive) timers_.push_back(std::move(t));  // else: cancelled at once
      p.result.ref = ref;
      break;
    }
    case OpKind::cancel_timer: {
      touch(ObjectKind::timer, AccessMode::write, ref_key(op.ref));
      // The destination's exit cancels the timer too: the two race.
      if (auto t = timer_targets_.find(op.ref); t != timer_targets_.end()) {
        touch(ObjectKind::life, AccessMode::read, t->second);
      }
      auto it = std::find_if(timers_.begin(), timers_.end(),
                             [&](const Timer& t) { return t.ref == op.ref; });
      if (it != timers_.end()) {
        p.result.has_value = true;
        p.result.number = it->deadline - clock_;
        timers_.erase(it);
      }
      note(p.pid, [&] {
        return "cancel_timer " + op.ref.to_string() + " -> " +
               (p.result.has_value ? std::to_string(p.result.number) + " ms left"
                                   : std::string("false"));
      });
      break;
    }
    case OpKind::now:
      p.result.number = clock_;
      note(p.pid, [&] { return "now -> " + std::to_string(clock_); });
      break;
    case OpKind::link: {
      note(p.pid, [&] { return "link " + op.target.to_string(); });
      Process* to = find(op.target);
      if (op.target == p.pid) break;
      touch(ObjectKind::life, AccessMode::read, op.target.id);
      touch(ObjectKind::links, AccessMode::member_write, p.pid.id);
      touch(ObjectKind::links, AccessMode::member_write, op.target.id);
      // Across nodes (or to a pid not spawned yet, whose node is unknown) the network is
      // read whatever the target's state, so that the footprint does not depend on it.
      bool remote = to == nullptr || to->pid.node != p.pid.node;
      if (remote) touch(ObjectKind::network, AccessMode::read, 0);
      if (to == nullptr || !to->alive) {
        std::optional<Consequences> dead;
        dead_target(dead, op.target, remote);
        exit_signal(op.target, p, atom_noproc());
        break;
      }
      if (remote) {
        if (!network_.up(to->pid.node) || network_.separated(p.pid.node, to->pid.node)) {
          Consequences cut(*this, ObjectKind::network, 0);  // not plain: see route()
          exit_signal(op.target, p, atom("noconnection"));
          break;
        }
      }
      if (recording_) event_->heavier_alternative = true;
      if (std::find(p.links.begin(), p.links.end(), to->pid.id) == p.links.end()) {
        p.links.push_back(to->pid.id);
        to->links.push_back(p.pid.id);
      }
      break;
    }
    case OpKind::unlink: {
      note(p.pid, [&] { return "unlink " + op.target.to_string(); });
      touch(ObjectKind::links, AccessMode::member_write, p.pid.id);
      touch(ObjectKind::links, AccessMode::member_write, op.target.id);
      erase_value(p.links, op.target.id);
      if (Process* to = find(op.target)) erase_value(to->links, p.pid.id);
      break;
    }
    case OpKind::monitor: {
      Ref ref = make_ref(p);
      p.result.ref = ref;
      Process* to = find(op.target);
      note(p.pid, [&] { return "monitor " + op.target.to_string() + " = " + ref.to_string(); });
      touch(ObjectKind::life, AccessMode::read, op.target.id);
      touch(ObjectKind::monitors, AccessMode::member_write, op.target.id);  // in both branches
      monitors_ever_.emplace(ref, Monitor{p.pid.id, op.target.id});
      bool cut = false;
      if (to == nullptr || to->pid.node != p.pid.node) {  // as for link: whatever the state
        touch(ObjectKind::network, AccessMode::read, 0);
        cut = to != nullptr && (!network_.up(to->pid.node) || network_.separated(p.pid.node, to->pid.node));
      }
      if (to == nullptr || !to->alive) {
        std::optional<Consequences> dead;
        dead_target(dead, op.target, to == nullptr || to->pid.node != p.pid.node);
        deliver(p.pid, tuple(atom("DOWN"), ref, atom("process"), op.target, atom_noproc()));
      } else if (cut) {
        Consequences unreachable(*this, ObjectKind::network, 0);  // not plain: see route()
        deliver(p.pid, tuple(atom("DOWN"), ref, atom("process"), op.target, atom("noconnection")));
      } else {
        if (recording_) event_->heavier_alternative = true;
        monitors_.emplace(ref, Monitor{p.pid.id, to->pid.id});
        to->monitored_by.push_back(ref);
      }
      break;
    }
    case OpKind::demonitor: {
      note(p.pid, [&] {
        return "demonitor " + op.ref.to_string() + (op.flag ? " [flush]" : "");
      });
      // Whether the monitor is still there or not, the same object is touched.
      auto ever = monitors_ever_.find(op.ref);
      if (ever != monitors_ever_.end() && ever->second.watcher == p.pid.id) {
        touch(ObjectKind::monitors, AccessMode::member_write, ever->second.target);
      }
      auto it = monitors_.find(op.ref);
      if (it != monitors_.end() && it->second.watcher == p.pid.id) {
        if (Process* target = find(it->second.target)) erase_value(target->monitored_by, op.ref);
        monitors_.erase(it);
      }
      if (op.flag) {
        touch(ObjectKind::mailbox, AccessMode::clear, p.pid.id);
        Term ref_term = op.ref;
        p.mailbox.remove_if([&](const Message& msg) {
          const Term& m = msg.term;
          return m.is_tuple() && m.size() == 5 && m[0].is_atom("DOWN") && m[1] == ref_term;
        });
        p.op.scan_from = 0;
      }
      break;
    }
    case OpKind::exit_signal: {
      note(p.pid, [&] { return "exit " + op.target.to_string() + " " + op.term.to_string(); });
      touch(ObjectKind::life, AccessMode::read, op.target.id);
      touch(ObjectKind::trap, AccessMode::read, op.target.id);
      Consequences effects(*this, ObjectKind::life, op.target.id,
                           std::pair{ObjectKind::trap, std::uint64_t{op.target.id}});
      if (Process* to = find(op.target)) {
        std::optional<Consequences> routed;
        if (to->pid.node == p.pid.node ||
            route(p.pid.node, to->pid,
                  Network::Held{Network::Held::Kind::exit_signal, p.pid, to->pid, op.term, Ref{}}, routed)) {
          signal_exit(p.pid, *to, op.term);
        }
      }
      break;
    }
    case OpKind::trap_exit:
      note(p.pid, [&] { return std::string("trap_exit ") + (op.flag ? "true" : "false"); });
      touch(ObjectKind::trap, AccessMode::write, p.pid.id);
      p.result.flag = p.trap_exit;
      p.trap_exit = op.flag;
      break;
    case OpKind::alive: {
      touch(ObjectKind::life, AccessMode::read, op.target.id);
      Process* to = find(op.target);
      p.result.flag = to != nullptr && to->alive;
      note(p.pid, [&] {
        return "alive? " + op.target.to_string() + " -> " + (p.result.flag ? "true" : "false");
      });
      break;
    }
    case OpKind::register_name: {
      touch(ObjectKind::name, AccessMode::write, name_key(node_of(op.target), op.name));
      touch(ObjectKind::name_set, AccessMode::member_write, 0);
      touch(ObjectKind::life, AccessMode::read, op.target.id);
      touch(ObjectKind::own_name, AccessMode::write, op.target.id);
      Process* to = find(op.target);
      std::uint32_t node = to != nullptr ? to->pid.node : p.pid.node;  // the target's node
      bool ok = to != nullptr && to->alive && !to->name && !names_.contains({node, op.name});
      if (ok) {
        names_.emplace(std::pair{node, op.name}, to->pid.id);
        to->name = op.name;
      }
      p.result.flag = ok;
      note(p.pid, [&] {
        return "register " + op.name.to_string() + " " + op.target.to_string() + " -> " +
               (ok ? "true" : "false");
      });
      break;
    }
    case OpKind::unregister_name: {
      note(p.pid, [&] { return "unregister " + op.name.to_string(); });
      touch(ObjectKind::name, AccessMode::write, name_key(p.pid.node, op.name));
      touch(ObjectKind::name_set, AccessMode::member_write, 0);
      auto it = names_.find({p.pid.node, op.name});
      if (it != names_.end()) {
        Consequences effects(*this, ObjectKind::name, name_key(p.pid.node, op.name));
        touch(ObjectKind::own_name, AccessMode::write, it->second);
        if (Process* owner = find(it->second)) owner->name.reset();
        names_.erase(it);
      }
      break;
    }
    case OpKind::whereis: {
      touch(ObjectKind::name, AccessMode::read, name_key(p.pid.node, op.name));
      auto it = names_.find({p.pid.node, op.name});
      p.result.has_value = it != names_.end();
      if (p.result.has_value) p.result.pid = find(it->second)->pid;
      note(p.pid, [&] {
        return "whereis " + op.name.to_string() + " -> " +
               (p.result.has_value ? p.result.pid.to_string() : std::string("nil"));
      });
      break;
    }
    case OpKind::registered: {
      touch(ObjectKind::name_set, AccessMode::read, 0);
      p.result.terms.clear();
      for (const auto& entry : names_) {
        if (entry.first.first == p.pid.node) p.result.terms.push_back(entry.first.second);
      }
      note(p.pid, [&] { return "registered -> " + list(p.result.terms).to_string(); });
      break;
    }
    case OpKind::add_node:
    case OpKind::partition:
    case OpKind::heal:
    case OpKind::stop_node:
    case OpKind::start_node:
    case OpKind::monitor_node:
    case OpKind::set_ticktime:
    case OpKind::nodes:
    case OpKind::whereis_on:
      execute_cluster(p);
      break;
    case OpKind::fault:
      execute_fault(p);
      break;
    case OpKind::exit: {
      Term reason = std::move(op.term);
      note(p.pid, [&] { return "exits " + reason.to_string(); });
      terminate(p, std::move(reason), true);
      resume(p);  // the fiber returns from its entry and its stack goes back to the pool
      return false;
    }
  }
  return finish_execute(p);
}

// What the operation returned is part of the event (hashed before the process takes it).
void Controller::label_result(const Process& p) {
  const OpResult& r = p.result;
  std::uint64_t h = mix(r.has_value ? r.term.hash() : 0, r.flag);
  h = mix(mix(h, static_cast<std::uint64_t>(r.number)), (std::uint64_t{r.pid.id} << 32) ^ ref_key(r.ref));
  for (const Term& t : r.terms) h = mix(h, t.hash());
  result_label_ = h;
}

void Controller::signal_exit(Pid from, Process& to, const Term& reason) {
  if (reason == atom_kill()) {
    kill(to, atom_killed());
  } else if (to.trap_exit) {
    deliver(to.pid, tuple(atom("EXIT"), from, reason));
  } else if (reason == atom_normal()) {
    if (to.pid == from) kill(to, reason);  // exit(self(), :normal) ends the caller
  } else {
    kill(to, reason);
  }
}

void Controller::exit_signal(Pid from, Process& to, const Term& reason) {
  touch(ObjectKind::life, AccessMode::read, to.pid.id);
  touch(ObjectKind::trap, AccessMode::read, to.pid.id);
  Consequences effects(*this, ObjectKind::life, to.pid.id,
                       std::pair{ObjectKind::trap, std::uint64_t{to.pid.id}});
  if (!to.alive) return;
  if (to.trap_exit) {
    deliver(to.pid, tuple(atom("EXIT"), from, reason));
  } else if (!(reason == atom_normal())) {
    kill(to, reason);
  }
}

void Controller::kill(Process& p, Term reason) {
  if (!p.alive) return;
  note(p.pid, [&] { return "killed: " + reason.to_string(); });
  if (recording_ && p.pid.id != event_->id.pid) event_->killed.push_back(p.pid.id);
  terminate(p, std::move(reason), false);
  unwind(p);
}

void Controller::terminate(Process& p, Term reason, bool own_exit) {
  assert(p.alive);
  p.alive = false;
  // Most exits are of the latest processes: search from the back.
  auto living = std::find(living_.rbegin(), living_.rend(), &p);
  assert(living != living_.rend());
  living_.erase(std::next(living).base());
  p.exit_reason = reason;
  touch(ObjectKind::life, AccessMode::write, p.pid.id);
  touch(ObjectKind::own_name, AccessMode::write, p.pid.id);
  touch(ObjectKind::monitors, AccessMode::write, p.pid.id);
  touch(ObjectKind::links, AccessMode::write, p.pid.id);
  // What a death cascades into depends on who is named, linked and monitoring: each part
  // is a consequence of that state (recorded even when empty: reordering may fill it).
  Consequences named(*this, ObjectKind::own_name, p.pid.id);
  if (p.name) {
    touch(ObjectKind::name, AccessMode::write, name_key(p.pid.node, *p.name));
    touch(ObjectKind::name_set, AccessMode::member_write, 0);
    names_.erase({p.pid.node, *p.name});
    p.name.reset();
  }
  std::erase_if(network_.node_monitors, [&](const Network::NodeMonitor& m) { return m.watcher == p.pid.id; });
  for (ExitObserver* o : exit_observers_) o->process_exited(*this, p.pid, reason);
  // Erlang cancels a timer whose destination process is gone.
  std::erase_if(timers_, [&](const Timer& t) {
    if (t.target != p.pid.id) return false;
    // Only the timer's creation (which the explorer sees on timer(ref)) could undo this.
    Consequences pending(*this, ObjectKind::timer, ref_key(t.ref), Consequences::PlainAlternative{});
    touch(ObjectKind::timer, AccessMode::write, ref_key(t.ref));
    return true;
  });
  // Monitors this process held on others die with it.
  for (auto it = monitors_.begin(); it != monitors_.end();) {
    if (it->second.watcher == p.pid.id) {
      if (Process* target = find(it->second.target)) erase_value(target->monitored_by, it->first);
      it = monitors_.erase(it);
    } else {
      ++it;
    }
  }
  // Every monitor this process ever set goes with it (unconditionally, for the explorer).
  for (const auto& [ref, m] : monitors_ever_) {
    if (m.watcher == p.pid.id) touch(ObjectKind::monitors, AccessMode::member_write, m.target);
  }
  bool watched = !p.links.empty() || !p.monitored_by.empty();
  if (own_exit && is_crash_reason(reason)) {
    if (p.root) {
      // Reported as a crash counterexample at the end of the execution.
    } else if (!watched) {
      std::string message = p.pid.to_string() + " exited abnormally: " + reason.to_string() +
                            " (nothing links or monitors it)";
      if (config_.fail_on_crash && !abort_) {
        // (recorded with set_abort below)
        Counterexample cx;
        cx.kind = CounterexampleKind::crash;
        cx.message = message;
        set_abort(std::move(cx));
      } else {
        outcome_.warnings.push_back(Warning{std::move(message), 0});
      }
    }
  }
  Consequences watched_by(*this, ObjectKind::monitors, p.pid.id);
  std::vector<Ref> monitors = std::move(p.monitored_by);
  p.monitored_by.clear();
  for (const Ref& ref : monitors) {
    auto it = monitors_.find(ref);
    if (it == monitors_.end()) continue;
    Process* watcher = find(it->second.watcher);
    monitors_.erase(it);
    if (watcher != nullptr) send_down(p.pid, watcher->pid, ref, reason);
  }
  Consequences linked(*this, ObjectKind::links, p.pid.id);
  std::vector<std::uint32_t> links = std::move(p.links);
  p.links.clear();
  for (std::uint32_t id : links) {
    Process* other = find(id);
    if (other == nullptr) continue;
    touch(ObjectKind::links, AccessMode::member_write, other->pid.id);
    erase_value(other->links, p.pid.id);
    send_link_exit(p.pid, *other, reason);
  }
}

void Controller::unwind(Process& p) {
  if (p.fiber.finished()) return;
  p.unwinding = true;
  // A process that swallows ProcessUnwind and reaches another sync point is unwound again.
  while (!p.fiber.finished()) resume(p);
}

void Controller::teardown() {
  tearing_down_ = true;
  living_.clear();
  for (Process* p : procs_) {
    p->alive = false;
    unwind(*p);
    p->mailbox.clear();
  }
  tearing_down_ = false;
  assert(stacks_.live() == 0);
}

std::string Controller::describe_blocked() const {
  std::string out = "blocked:";
  bool first = true;
  for (const Process* p : procs_) {
    if (!p->alive || p->op.kind != OpKind::receive) continue;
    out += first ? " " : "; ";
    first = false;
    out += p->pid.to_string();
    if (p->root) out += " (root)";
    out += " in receive ";
    if (p->op.matcher == nullptr) {
      out += "(any message)";
    } else if (!p->op.matcher->description().empty()) {
      out += p->op.matcher->description();
    } else {
      out += "(a predicate)";
    }
    out += " with " + std::to_string(p->mailbox.size()) + " message" +
           (p->mailbox.size() == 1 ? "" : "s") + " in its mailbox";
    if (!p->mailbox.empty()) {
      out += " [";
      for (std::size_t i = 0; i < p->mailbox.size() && i < 3; ++i) {
        out += (i ? ", " : "") + p->mailbox[i].term.to_string();
      }
      out += p->mailbox.size() > 3 ? ", ...]" : "]";
    }
  }
  if (first) out += " none";
  return out;
}

}  // namespace lockstep::core
