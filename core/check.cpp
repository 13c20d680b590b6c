#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "core/controller.hpp"
#include "core/engine.hpp"
#include "core/strategies/strategies.hpp"
#include "core/workers.hpp"
#include "lockstep/check.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/scenario.hpp"

namespace lockstep {

namespace core {

namespace {

// Follows a pid sequence to its end and keeps the last event's record (see Probe).
class ProbeStrategy final : public Strategy {
 public:
  explicit ProbeStrategy(const std::vector<std::uint32_t>& pids) : pids_(pids) {}
  bool begin_execution() override { return true; }
  bool observes_events() const override { return true; }
  std::size_t pick(const Choice& choice) override {
    if (next_ >= pids_.size()) return kAbandon;
    for (std::size_t i = 0; i < choice.enabled.size(); ++i) {
      if (choice.enabled[i].pid.id == pids_[next_]) {
        ++next_;
        return i;
      }
    }
    return kAbandon;  // cannot be followed
  }
  void observe(const EventRecord& e) override {
    if (!e.barrier && next_ == pids_.size()) {
      last_ = e;
      done_ = true;
    }
  }
  const EventRecord* result() const { return done_ ? &last_ : nullptr; }

 private:
  const std::vector<std::uint32_t>& pids_;
  std::size_t next_ = 0;
  EventRecord last_;
  bool done_ = false;
};

std::string describe_step(const StepLogEntry& e) {
  return Pid{e.pid, 0}.to_string() + " " + std::string(verb(e.kind));
}

// Replays `found`'s schedule with tracing on. A different step sequence means the scenario
// depends on something outside the scheduler's control: that is reported instead.
// `found` must not be the controller's own outcome: the replay below reuses its buffers.
Counterexample with_trace(Controller& controller, const std::function<void()>& root,
                          const ExecutionOutcome& found) {
  Counterexample cx = *found.counterexample;
  ReplayStrategy replay(cx.schedule);
  controller.set_record_trace(true);
  std::string diverged;
  static const ExecutionOutcome kNothing;
  const ExecutionOutcome* replayed = &kNothing;
  try {
    replay.begin_execution();
    replayed = &controller.run(root, replay);
    replay.end_execution(ExecutionSummary{replayed->steps, bool(replayed->counterexample)});
  } catch (const ReplayDiverged& e) {
    diverged = e.what();
  }
  controller.set_record_trace(false);
  ExecutionOutcome again = *replayed;
  if (diverged.empty()) {
    std::size_t n = std::min(found.step_log.size(), again.step_log.size());
    for (std::size_t i = 0; i < n && diverged.empty(); ++i) {
      if (!(found.step_log[i] == again.step_log[i])) {
        diverged = "at step " + std::to_string(i + 1) + " the first run did '" +
                   describe_step(found.step_log[i]) + "' but the replay did '" +
                   describe_step(again.step_log[i]) + "'";
      }
    }
    if (diverged.empty() && found.step_log.size() != again.step_log.size()) {
      diverged = "the first run took " + std::to_string(found.step_log.size()) +
                 " steps, the replay " + std::to_string(again.step_log.size());
    }
    if (diverged.empty() &&
        (!again.counterexample || again.counterexample->signature() != cx.signature())) {
      diverged = "the replay did not reproduce '" + cx.message + "'";
    }
  }
  if (!diverged.empty()) {
    Counterexample nd;
    nd.kind = CounterexampleKind::nondeterminism;
    nd.message = "nondeterministic scenario: replaying the same schedule behaved differently (" +
                 diverged + "); the scenario depends on something lockstep does not control "
                 "(wall clock, rand(), global state, iteration over pointers)";
    nd.schedule = cx.schedule;
    nd.iteration = cx.iteration;
    nd.seed = cx.seed;
    nd.trace = std::move(again.counterexample ? again.counterexample->trace : cx.trace);
    return nd;
  }
  cx.trace = std::move(again.counterexample->trace);
  return cx;
}

}  // namespace

namespace {
ControllerConfig config_for(const Options& options) {
  ControllerConfig config{.stack_size = options.stack_size,
                          .max_steps = options.max_steps,
                          .fail_on_crash = options.fail_on_crash,
                          .record_trace = false,
                          .faults = options.faults};
  if (options.strategy == StrategyKind::replay) {
    if (options.replay->max_steps != 0) config.max_steps = options.replay->max_steps;
    config.faults = options.replay->faults;
    config.record_trace = true;
  }
  return config;
}

Result run_on(Controller& controller, const std::function<void()>& root, Strategy& strategy,
              const Options& options, const std::function<bool()>& stop_requested);
}  // namespace

Result run_executions(const std::function<void()>& root, Strategy& strategy, const Options& options,
                      const std::function<bool()>& stop_requested) {
  Controller controller(config_for(options));
  return run_on(controller, root, strategy, options, stop_requested);
}

namespace {
Result run_on(Controller& controller, const std::function<void()>& root, Strategy& strategy,
              const Options& options, const std::function<bool()>& stop_requested) {
  auto start = std::chrono::steady_clock::now();
  const ControllerConfig config = config_for(options);
  bool replaying = options.strategy == StrategyKind::replay;
  Result result;
  std::unique_ptr<Controller> prober;
  EventRecord probed;
  if (strategy.observes_events()) {
    strategy.set_probe([&](const std::vector<std::uint32_t>& pids) -> const EventRecord* {
      if (!prober) {  // made on the first probe: most explorations never probe
        ControllerConfig probe_config = config;
        probe_config.fail_on_crash = false;
        prober = std::make_unique<Controller>(probe_config);
      }
      ProbeStrategy probe(pids);
      prober->run(root, probe);
      if (probe.result() == nullptr) return nullptr;
      probed = *probe.result();
      return &probed;
    });
  }
  while (!(stop_requested && stop_requested()) && strategy.begin_execution()) {
    const ExecutionOutcome& out = controller.run(root, strategy);
    strategy.end_execution(
        ExecutionSummary{out.steps, bool(out.counterexample), out.abandoned, out.pruned, out.final_state});
    if (out.abandoned && !out.pruned) {
      ++result.blocked;
      continue;
    }
    // A prefix cut at a visited state is no execution, but what happened on its way is real:
    // its counterexample and warnings count.
    if (!out.pruned) {
      ++result.executions;
      result.steps += out.steps;
      result.max_depth = std::max(result.max_depth, out.steps);
    }
    Result part;
    part.warnings = out.warnings;
    for (Warning& w : part.warnings) w.iteration = result.executions;
    // A schedule that crashed the checker carries no fingerprint (the execution never ended).
    if (replaying && options.replay->fingerprint != 0 && out.fingerprint() != options.replay->fingerprint) {
      throw ReplayDiverged(
          "replay diverged: the execution followed the schedule's choices but did different "
          "steps than when it was recorded (the scenario changed, or it is nondeterministic)");
    }
    if (out.counterexample) {
      ExecutionOutcome found = out;  // a copy: with_trace() re-runs the controller
      Counterexample& cx = *found.counterexample;
      cx.iteration = result.executions;
      cx.seed = strategy.execution_seed();
      cx.schedule = Schedule{options.scenario_name, found.choices, config.max_steps, config.faults, found.fingerprint()};
      part.counterexamples.push_back(replaying ? std::move(cx) : with_trace(controller, root, found));
    }
    result += part;
    if (!result.ok() && !options.keep_going) break;
    if (options.progress && !out.pruned && result.executions % options.progress_every == 0) {
      options.progress(result.executions);
    }
  }
  result.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}
}  // namespace

unsigned default_workers() { return static_cast<unsigned>(std::max(1, tbb::info::default_concurrency())); }

void run_parallel(unsigned threads, std::uint64_t count, const std::function<void(std::uint64_t)>& task) {
  if (threads <= 1) {
    for (std::uint64_t i = 0; i < count; ++i) task(i);
    return;
  }
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer sees only instrumented synchronisation, and libtbb is not instrumented:
  // its task hand-offs would be reported as races. Plain threads run the same tasks, so the
  // races it finds are lockstep's own.
  std::atomic<std::uint64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      try {
        for (std::uint64_t i; (i = next.fetch_add(1)) < count;) task(i);
      } catch (...) {  // as TBB does: the first exception reaches the caller
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next.store(count);
      }
    });
  }
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
#else
  // The limit lets a user ask for more threads than cores without TBB refusing them.
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  tbb::task_arena arena(static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::uint64_t>(0, count, 1), [&](const auto& range) {
      for (std::uint64_t i = range.begin(); i != range.end(); ++i) task(i);
    });
  });
#endif
}

Result run_sampling(const std::function<void()>& root, const Options& options) {
  auto start = std::chrono::steady_clock::now();
  // Fixed-size chunks make each chunk's executions a function of (seed, chunk index) alone.
  constexpr std::uint64_t kChunk = 64;
  std::uint64_t chunks = (options.iterations + kChunk - 1) / kChunk;
  std::vector<Result> parts(chunks);
  // The lowest chunk that stopped at a counterexample: later chunks are not needed.
  std::atomic<std::uint64_t> first_bug{chunks};
  SharedProgress progress(options);
  // One controller per thread, reused across its chunks (its stacks and buffers).
  tbb::enumerable_thread_specific<std::unique_ptr<Controller>> controllers;
  auto run_chunk = [&](std::uint64_t c) {
    if (c > first_bug.load()) return;
    Options o = options;
    o.iterations = std::min(kChunk, options.iterations - c * kChunk);
    o.progress = nullptr;
    auto strategy = make_strategy(o, c * kChunk);
    auto stop = [&] { return c > first_bug.load(std::memory_order_relaxed); };
    o.progress = progress.per_execution();
    o.progress_every = 1;
    std::unique_ptr<Controller>& controller = controllers.local();
    if (!controller) controller = std::make_unique<Controller>(config_for(o));
    Result part = run_on(*controller, root, *strategy, o, stop);
    for (Counterexample& cx : part.counterexamples) cx.iteration += c * kChunk;
    for (Warning& w : part.warnings) w.iteration += c * kChunk;
    if (!part.ok() && !options.keep_going) {
      std::uint64_t seen = first_bug.load();
      while (c < seen && !first_bug.compare_exchange_weak(seen, c)) {
      }
    }
    parts[c] = std::move(part);
  };
  unsigned workers = options.effective_workers();
  run_parallel(std::min<std::uint64_t>(workers, chunks), chunks, run_chunk);
  // Merge in chunk order, up to the first chunk that stopped at a bug: what one worker
  // running the chunks in order reports.
  Result result;
  for (std::uint64_t c = 0; c < chunks; ++c) {
    result += parts[c];
    if (!options.keep_going && !parts[c].ok()) break;
  }
  result.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace core

Result check(std::function<void()> root, const Options& options) {
  options.validate();
  if (!root) throw UsageError("lockstep::check needs a root function");
  if (options.strategy != StrategyKind::replay) return core::run_sampling(root, options);
  auto strategy = core::make_strategy(options);
  return core::run_executions(root, *strategy, options);
}

Result check(std::string_view scenario, const Options& options) {
  const ScenarioInfo* s = find_scenario(scenario);
  if (s == nullptr) {
    std::string known;
    for (const ScenarioInfo& info : scenarios()) known += (known.empty() ? "" : ", ") + info.name;
    throw ConfigError("unknown scenario '" + std::string(scenario) + "'; known scenarios: " +
                      (known.empty() ? "(none)" : known));
  }
  Options o = options;
  if (o.scenario_name.empty()) o.scenario_name = s->name;
  return check(s->body, o);
}

}  // namespace lockstep
