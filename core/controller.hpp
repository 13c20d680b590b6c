// Controller: runs one execution of a scenario, one process at a time.
//
// Each process is a fiber that runs local code until its next sync point, where it
// records a PendingOp and switches back here. The controller asks its Strategy which
// enabled process goes next, performs that process's operation and resumes it until its
// next sync point. Timers and receive timeouts fire in deadline order when nothing is
// enabled; the virtual clock jumps to the deadline.
//
// Thread-safety: a Controller belongs to one thread; workers each own one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/fingerprint.hpp"
#include "core/mix.hpp"
#include "core/network.hpp"
#include "core/process.hpp"
#include "core/strategy.hpp"
#include "lockstep/faults.hpp"
#include "lockstep/result.hpp"

namespace lockstep::core {

struct CrashSlot;

struct ControllerConfig {
  std::size_t stack_size = 256 * 1024;
  std::uint64_t max_steps = 100000;
  bool fail_on_crash = false;
  bool record_trace = false;  // format trace events (costly): on when reporting
  Faults faults;              // fault actors for every node added (lockstep/faults.hpp)
};

// What one step did, for nondeterminism checks: who ran, and which operation.
struct StepLogEntry {
  std::uint32_t pid;
  OpKind kind;
  friend bool operator==(StepLogEntry, StepLogEntry) = default;
};

struct ExecutionOutcome {
  std::optional<Counterexample> counterexample;  // trace filled only with record_trace
  std::vector<Warning> warnings;
  std::vector<std::uint32_t> choices;  // the schedule: pid picked at each choice point
  std::vector<StepLogEntry> step_log;
  std::uint64_t steps = 0;
  // Hash of step_log, stored in schedules (computed on demand: most executions are never
  // replayed or reported).
  std::uint64_t fingerprint() const {
    std::uint64_t h = 0;
    for (const auto& e : step_log) h = mix(h, (std::uint64_t{e.pid} << 8) | static_cast<unsigned>(e.kind));
    return h;
  }
  bool abandoned = false;         // the strategy cut the execution short (not a real end)
  bool pruned = false;            // ... at a visited state (kPrune): its counterexample counts
  std::uint64_t final_state = 0;  // visible_state() at the end (only when states are tracked)
};

// What execution_local() keeps: a model component's per-execution state, which must say
// what of it is visible state (Controller::visible_state): its fields, in a fixed order.
template <typename T>
concept ExecutionState = requires(const T& state, Fingerprint& f) { state.fingerprint(f); };

// Thrown (as a non-std exception, so that ordinary catch blocks do not take it) to unwind a
// process's stack when it exits, is killed or the execution ends.
struct ProcessUnwind {
  std::optional<Term> reason;  // set by exit(reason) on self
};

// The controller driving this thread and the process it is running (null outside one).
// initial-exec: liblockstep is loaded with the program (the CLI and tests link it), so
// reading them on every sync point needs no __tls_get_addr call. constinit: no dynamic
// initialisation, so a read does not first test for (and call) a TLS init function.
[[gnu::tls_model("initial-exec")]] extern constinit thread_local Controller* tl_controller;
[[gnu::tls_model("initial-exec")]] extern constinit thread_local Process* tl_process;

class Controller final : public StateSource {
 public:
  explicit Controller(ControllerConfig config);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Runs one execution. The outcome is owned by the controller and reused (no allocation per
  // execution): it stays valid until the next run().
  const ExecutionOutcome& run(const std::function<void()>& root, Strategy& strategy);

  void set_record_trace(bool on) { config_.record_trace = on; }
  const ControllerConfig& config() const { return config_; }

  // The calling process, or UsageError naming `api` if called outside a managed process.
  static Process& current(const char* api) {
    if (tl_process == nullptr || tl_controller == nullptr) [[unlikely]] outside_process(api);
    return *tl_process;
  }
  [[noreturn]] static void outside_process(const char* api);
  // Stop at a sync point with `p.op` filled; returns once the operation has executed.
  // Inline down to the switch, the cold paths out of line (see Fiber::resume for why).
  static void sync(Process& p) {
    if (p.unwinding) [[unlikely]] {
      sync_while_unwinding();
      return;
    }
    p.fiber.yield();
    if (p.unwinding || !p.result.error.empty()) [[unlikely]] after_failed_sync(p);
  }
  // Fills p's pending operation, stops at the sync point, and returns what it gave back.
  static OpResult& perform(Process& p, PendingOp&& op) {
    p.op = std::move(op);
    sync(p);
    return p.result;
  }
  // A nif sync point; its kind is `a`, or the tuple {a, b[, c]} for parts 2 and 3 (made
  // only if a trace prints it). Filled in place: these are the hot steps of table code.
  [[gnu::always_inline]] static void nif(const SharedAccess& access, std::uint8_t parts, const Term& a, Term&& b,
                                         Term&& c) {
    Process& p = current("nif_sync");
    PendingOp& op = p.op.reset_scalars(OpKind::nif);
    op.term = a;
    op.term2 = std::move(b);
    op.name = std::move(c);
    op.access = access;
    op.nif_parts = parts;
    sync(p);
  }
  // The name of node `node` (node names never change within an execution).
  const Term& node_name(std::uint32_t node) const { return network_.name(node); }
  // Record a counterexample found inside process code and unwind the caller.
  [[noreturn]] void abort_execution(CounterexampleKind kind, std::string message,
                                    std::string location);
  Ref make_ref(Process& p);
  // State of a model component (persistent terms, ETS, ...) that lives for one execution
  // of this controller: created on first use, destroyed when the next execution starts.
  template <ExecutionState T>
  T& execution_local() {
    static const char key = 0;  // one address per T
    auto& slot = locals_[&key];
    if (!slot.state) {
      slot.state = std::shared_ptr<void>(new T(), [](void* p) { delete static_cast<T*>(p); });
      slot.fingerprint = [](const void* p, Fingerprint& f) { static_cast<const T*>(p)->fingerprint(f); };
    }
    return *static_cast<T*>(slot.state.get());
  }
  // The visible state now (DESIGN.md, "State caching"; docs/exploration.md): every process's
  // local state, mailbox, links, monitors, trap flag and name, the registries, timers, the
  // virtual clock, the cluster, whether a counterexample was found, and every model
  // component's state. Two prefixes with the same visible state have the same futures.
  // Meaningful only while tracking states (the local chains are kept only then).
  std::uint64_t visible_state() override;
  // A model component that hashes the contents of shared object `object` in its
  // execution_local state says so; other nif_sync objects (the user's own) are tracked by
  // the chain of writes applied to them (see touch_shared).
  void hashes_contents_of(std::uint64_t object) {
    if (tracking_states_) content_hashed_.insert(object);
  }
  std::int64_t clock() const { return clock_; }
  // Tie-break for equal deadlines: by process, then its own order (independent of others).
  static std::uint64_t deadline_seq(const Process& p) { return (std::uint64_t{p.pid.id} << 32) | p.events; }
  std::size_t stacks_in_use() const { return stacks_.live(); }

  // --- For model components (model/): effects a step has beyond its sync point. ---
  // Code a process runs after its sync point returns belongs to the same step, so a model
  // operation (ETS, ...) may log further accesses and deliver messages from there.
  // Explorer support: log what the current event touches (no-op unless observing).
  void touch(ObjectKind kind, AccessMode mode, std::uint64_t object, EventId peer = {}) {
    if (recording_) log_access(kind, mode, object, peer);
  }
  void log_access(ObjectKind kind, AccessMode mode, std::uint64_t object, EventId peer) {
    // Field by field: a temporary Access built on the stack and copied in stalls on its
    // store forwarding (measured: a tenth of an indexer exploration).
    Access& a = event_->accesses.emplace_back();
    a.kind = kind;
    a.mode = mode;
    a.object = object;
    a.peer = peer;
    a.causes = causes_;
    // Every nif access member-reads shared_any, which conflicts only with a write of it:
    // leave those reads out of the footprint, and let such a (rare) write match everything.
    bool reads = reading(mode);
    if (kind != ObjectKind::shared_any) {
      std::uint64_t bit = footprint_bit(kind, object);
      event_->footprint |= bit;
      if (mode == AccessMode::read) {
        event_->read_footprint |= bit;
      } else if (mode == AccessMode::member_write) {
        event_->member_write_footprint |= bit;
      } else if (!reads) {
        event_->write_footprint |= bit;
      }
    } else if (!reads) {
      event_->footprint = event_->write_footprint = ~std::uint64_t{0};
    }
  }
  // While alive, what the event touches is a consequence of the state of `object` (and of
  // `second`, if given): see Access::causes.
  class Consequences {
   public:
    Consequences(Controller& c, ObjectKind kind, std::uint64_t object,
                 std::optional<std::pair<ObjectKind, std::uint64_t>> second = std::nullopt)
        : c_(c), saved_(c.causes_) {
      add(kind, object, false);
      if (second) add(second->first, second->second, false);
    }
    // The other branch of this condition touches nothing beyond the unconditional accesses.
    struct PlainAlternative {};
    Consequences(Controller& c, ObjectKind kind, std::uint64_t object, PlainAlternative)
        : c_(c), saved_(c.causes_) {
      add(kind, object, true);
    }
    ~Consequences() { c_.causes_ = saved_; }
    Consequences(const Consequences&) = delete;
    Consequences& operator=(const Consequences&) = delete;

   private:
    void add(ObjectKind kind, std::uint64_t object, bool plain) {
      if (!c_.recording_) return;
      std::size_t i = c_.event_->conditions.size();
      Access& c = c_.event_->conditions.emplace_back();
      c.kind = kind;
      c.mode = AccessMode::read;
      c.object = object;
      std::uint32_t bit = core::cause_bit(i);
      c_.causes_ |= bit;
      if (plain && i < 31) c_.event_->plain_alternative |= bit;
    }
    Controller& c_;
    std::uint32_t saved_;
  };
  // A value a model operation returned after its sync point: part of the step's label (the
  // process's local state), so different reads make different states. No-op unless the
  // strategy observes states.
  void record_result(std::uint64_t hash) {
    if (tracking_states_) result_label_ = mix(result_label_, hash);
  }
  bool tracking_states() const { return tracking_states_; }
  // Logs what a nif_sync-style operation touches (see SharedAccess).
  void touch_shared(const SharedAccess& a);
  // Appends `msg` to `to`'s mailbox as part of the current step (dropped if `to` is dead).
  void deliver(Pid to, Term&& msg);
  // The node a live or dead process of this execution runs on.
  std::uint32_t node_of(Pid p) {
    Process* q = find(p);
    return q != nullptr ? q->pid.node : Network::kLocal;
  }
  // Whether `p` is alive, logged as a read of its life.
  bool alive(Pid p) {
    touch(ObjectKind::life, AccessMode::read, p.id);
    Process* q = find(p);
    return q != nullptr && q->alive;
  }
  // A model component whose state belongs to processes (an ETS table dies with its owner)
  // hears of each process's end, inside the step that ends it, before links and monitors
  // fire. Registered for the current execution only.
  class ExitObserver {
   public:
    virtual void process_exited(Controller& c, Pid pid, const Term& reason) = 0;
    // The node was stopped (after its processes were killed): drop its per-node state.
    virtual void node_stopped(Controller& c, std::uint32_t node) { (void)c, (void)node; }

   protected:
    ~ExitObserver() = default;
  };
  void add_exit_observer(ExitObserver& o) { exit_observers_.push_back(&o); }

 private:
  Process& new_process(std::function<void()> body, bool root, Process* link_to = nullptr,
                       std::uint32_t node = Network::kLocal, bool unreachable = false);
  static void fiber_entry(void* arg);
  // The cold ends of sync(): a sync point reached while unwinding (passes or throws
  // ProcessUnwind), and one that came back unwinding or with an error to raise.
  static void sync_while_unwinding();
  [[noreturn]] static void after_failed_sync(Process& p);
  void resume(Process& p);  // run p until its next sync point (inline in controller.cpp)
  void collect_enabled();
  // Whether living process p can take a step now (a receive: with its match found).
  bool ready(Process& p);
  bool runnable(Process& p);  // ... any process: alive, and ready
  bool receive_ready(Process& p);
  // How many of the last execution's steps, from the first, out.step_log and out.choices
  // still hold for a run that replays `replay` (they are kept, and those steps' enabled sets
  // are not collected again): all of replay if the last run took those steps, else 0.
  std::size_t kept_prefix(std::span<const std::uint32_t> replay) const;
  bool fire_next_deadline();
  // A step not recorded (sampling, or a replayed prefix): p's operation, and its local state.
  void run_unrecorded(Process& p);
  void track_local_state(Process& p, OpKind kind);  // after p's step, with states tracked
  // Nothing can run: fires the next deadline as a barrier event (recorded for the strategy
  // while recording); false if there is none.
  bool fire_timer(Strategy& strategy);
  // Executes p's pending operation; true if p is to run on to its next sync point (the
  // caller resumes it, so that the loop switches at its own depth).
  bool execute(Process& p);        // inline in controller.cpp: the hot kinds, then
  bool execute_other(Process& p);  // ... every other kind
  bool finish_execute(Process& p);  // after either (inline in controller.cpp)
  void label_result(const Process& p);
  void do_receive(Process& p);
  void exit_signal(Pid from, Process& to, const Term& reason);
  // Cluster routing (core/network_ops.cpp): a message or signal from node `from_node`
  // reaches `to` now, is held back by a partition, or is lost (down node, drop mode).
  void send_message(std::uint32_t from_node, Pid to, Term&& msg);
  void send_down(Pid from, Pid to, Ref ref, Term reason);
  void send_link_exit(Pid from, Process& to, Term reason);
  // Between two nodes: true if the traffic goes now; else it is held back or lost. Records
  // in `routed` that what follows depends on the network.
  bool route(std::uint32_t from_node, Pid to, Network::Held held, std::optional<Consequences>& routed);
  void signal_exit(Pid from, Process& to, const Term& reason);  // exit/2 semantics
  void heal();
  void stop_node(std::uint32_t node);
  void fire_tick(std::uint32_t partition);
  void execute_cluster(Process& p);
  void execute_fault(Process& p);
  void add_fault_actors(std::uint32_t node);
  std::uint64_t name_key(std::uint32_t node, const Term& name) const;
  std::uint32_t node_or_error(Process& p, const Term& node);
  void kill(Process& p, Term reason);
  void terminate(Process& p, Term reason, bool own_exit);
  void unwind(Process& p);
  void teardown();
  std::string describe_blocked() const;
  void set_abort(Counterexample cx);
  // Starts the record of the next step or firing in `into` (own_event_ if null).
  void begin_event(EventRecord* into, EventId id, bool barrier);
  // Stop running processes: a counterexample was found. An explorer that observes events
  // lets the others run on, so that every execution it analyses is maximal.
  bool halted() const { return abort_.has_value() && !observing_; }
  [[gnu::always_inline]] Process* find(Pid p) { return find(p.id); }
  [[gnu::always_inline]] Process* find(std::uint32_t id) {
    return id == 0 || id > procs_.size() ? nullptr : procs_[id - 1];
  }

  EventId sending_event() const { return event_->id; }
  std::uint64_t process_state(const Process& p) const;
  void changed_processes(const Process& p);  // after p's step: whose part of the state to redo

  template <typename F>
  void note(Pid pid, F&& text) {
    if (config_.record_trace) trace_.push_back({step_, pid, text()});
  }

  struct Timer {
    Ref ref;
    std::int64_t deadline;
    std::uint64_t seq;
    std::uint32_t target;
    Term msg;
    std::uint32_t from_node;
  };
  struct Monitor {
    std::uint32_t watcher;
    std::uint32_t target;
  };

  ControllerConfig config_;
  StackPool stacks_;
  std::vector<std::unique_ptr<Process>> pool_;  // reused across executions
  std::vector<Process*> procs_;                 // index = pid id - 1
  // The processes not terminated yet, in pid order: collect_enabled looks at these only, as
  // most processes of a long execution have exited (it ran over every process each step).
  std::vector<Process*> living_;
  // The processes that can run now (collect_enabled), in enabled_room_: grown when
  // processes outnumber it, never shrunk nor cleared, so a step writes only what it finds.
  std::vector<Candidate> enabled_room_;
  std::span<const Candidate> enabled_;
  std::vector<Timer> timers_;
  std::map<Ref, Monitor> monitors_;
  std::map<Ref, Monitor> monitors_ever_;  // every monitor of the execution, kept after it ends
  std::map<Ref, std::uint32_t> timer_targets_;  // every timer's destination, kept after it ends
  std::map<std::pair<std::uint32_t, Term>, std::uint32_t> names_;  // (node, name) -> pid id
  Network network_;
  std::uint32_t stopping_node_ = UINT32_MAX;  // remote watchers see :noconnection
  std::uint32_t fault_budget_ = 0;             // partitions and stops left to inject
  bool fault_actors_ = false;                  // the configuration has fault actors (faults.any())
  struct Local {
    std::shared_ptr<void> state;
    void (*fingerprint)(const void*, Fingerprint&) = nullptr;
  };
  std::map<const void*, Local> locals_;  // see execution_local()
  // nif_sync objects whose contents no component hashes: the writes applied to them, per key
  // and to the whole object (a write's entry hashes what it saw, so equal chains mean equal
  // contents).
  // A key's writes: a chain, except that a run of writes that commute with one another
  // (SharedAccess::commutes, one value) goes into a sum, the same in either order.
  struct KeyChain {
    std::uint64_t chain = 0;
    std::uint64_t run_commutes = 0;  // the value the run's writes carry; 0: no run
    std::uint64_t run_sum = 0;
    std::uint64_t value() const { return run_commutes == 0 ? chain : mix(chain, mix(run_commutes, run_sum)); }
  };
  struct WriteChains {
    std::uint64_t whole = 0;
    std::unordered_map<std::uint64_t, KeyChain> keys;
    std::uint64_t key_sum = 0;  // sum of Fingerprint::spread(value()) over keys
    std::uint64_t contents() const { return mix(whole, key_sum); }
  };
  std::unordered_set<std::uint64_t> content_hashed_;
  std::unordered_map<std::uint64_t, WriteChains> write_chains_;
  Fingerprint state_;  // visible_state()'s buffer, reused
  std::vector<std::uint64_t> process_hash_;  // process_state(pid - 1) | 1, or 0: to recompute
  std::vector<ExitObserver*> exit_observers_;             // see add_exit_observer()
  std::vector<TraceEvent> trace_;
  ExecutionOutcome outcome_;
  std::optional<Counterexample> abort_;
  std::size_t abort_choices_ = 0;  // schedule length when abort_ was set
  // A link or monitor met a dead (or unborn) target: what it then does is a consequence of
  // that. Had the target been alive it would simply be made (a plain alternative), unless
  // across nodes, where a cut breaks it at once (not plain: the network decides too).
  void dead_target(std::optional<Consequences>& consequences, Pid target, bool remote);
  // Supervised runs (lockstep/isolation.hpp): where this thread mirrors the schedule.
  CrashSlot* crash_slot_ = nullptr;
  void mirror_choice(std::uint32_t pid);
  std::size_t abort_steps_ = 0;
  // choices_before_[s]: the choice points among the first s steps of the last run (while
  // out.step_log holds that whole run: log_whole_), for kept_prefix.
  std::vector<std::uint32_t> choices_before_;
  bool log_whole_ = false;
  Process* running_ = nullptr;
  bool observing_ = false;        // strategy.observes_events(): log accesses, pick every step
  bool recording_ = false;        // observing, and past the replayed prefix: log accesses
  bool tracking_states_ = false;  // strategy.observes_states(): keep what visible_state() hashes
  std::uint32_t causes_ = 0;      // conditions in force (see Consequences)
  // The event being executed (when observing): built in the strategy's record for it
  // (Strategy::event_buffer) while recording, in own_event_ otherwise and between steps.
  EventRecord own_event_;
  EventRecord* event_ = &own_event_;
  std::uint64_t result_label_ = 0;  // hash of what event_ returned (see record_result)
  std::int64_t clock_ = 0;
  std::uint64_t step_ = 0;
  std::uint32_t barriers_ = 0;
  bool tearing_down_ = false;
};

// lockstep::nif_sync with the kind {a, b} or {a, b, c}: the sync point of the model
// components' operations (atomics, ETS, persistent terms). Inline, as the switch is.
[[gnu::always_inline]] inline void shared_sync(const Term& a, Term b, const SharedAccess& access) {
  Controller::nif(access, 2, a, std::move(b), Term{});
}
[[gnu::always_inline]] inline void shared_sync(const Term& a, Term b, Term c, const SharedAccess& access) {
  Controller::nif(access, 3, a, std::move(b), std::move(c));
}

}  // namespace lockstep::core
