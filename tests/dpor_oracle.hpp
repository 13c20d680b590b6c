// The DPOR oracles: explore a scenario with one mode and collect, independently of the
// explorer's own race analysis, what it reached: the Mazurkiewicz trace of every
// execution (its Foata normal form under the dependency relation), the end states and
// the distinct counterexamples.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/engine.hpp"
#include "dpor/dependency.hpp"
#include "dpor/explorer.hpp"
#include "random_program.hpp"
#include "support.hpp"

namespace lockstep_test {

struct Exploration {
  std::uint64_t executions = 0;
  std::uint64_t blocked = 0;
  std::uint64_t cache_hits = 0;         // prefixes cut at a visited state (state cache)
  std::uint64_t cache_retired_after = 0;  // executions when an adaptive cache retired (0: it did not)
  std::uint64_t deferred = 0;           // parallel: insertions deferred to a worker's own region
  std::uint64_t repeats = 0;            // reversals not inserted: inserted at their node before
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

// An Explorer::on_execution that records each complete execution's trace and end state in
// x (under m: parallel workers call it from their threads).
inline auto recorder(Exploration& x, std::mutex& m) {
  return [&x, &m](const std::vector<lockstep::core::EventRecord>& events,
                  const lockstep::core::ExecutionSummary& summary) {
    if (summary.abandoned) return;
    std::string trace = canonical_trace(events);
    std::lock_guard lock(m);
    x.traces.insert(std::move(trace));
    x.final_states.insert(summary.final_state);
  };
}

// What an Explorer driven by core::run_executions runs under here: every bug collected (the
// strategy kind only names the engine's bookkeeping; the explorer picks).
inline ls::Options explorer_options(ls::Faults faults = {}) {
  ls::Options o;
  o.keep_going = true;
  o.strategy = ls::StrategyKind::first;
  o.faults = faults;
  return o;
}

inline Exploration explore_with(const std::function<void()>& root, ls::DporMode mode,
                                std::uint64_t max_executions = 0, ls::Faults faults = {}, bool state_cache = false,
                                std::uint64_t cache_window = 0, std::uint64_t cache_first_window = 0) {
  Exploration x;
  lockstep::dpor::ExplorerConfig config;
  config.mode = mode;
  config.max_executions = max_executions;
  config.state_cache_bytes = state_cache ? std::uint64_t{1} << 30 : 0;
  config.cache_window = cache_window;
  config.cache_first_window = cache_first_window;
  config.alone_keying_from = 0;  // small explorations skip repeated insertions too
  lockstep::dpor::Explorer explorer(config);
  std::mutex m;
  explorer.on_execution = recorder(x, m);
  ls::Result r = lockstep::core::run_executions(root, explorer, explorer_options(faults));
  x.executions = explorer.stats().executions;
  x.blocked = explorer.stats().blocked;
  x.cache_hits = explorer.stats().cache.hits;
  x.cache_retired_after = explorer.stats().cache.retired_after;
  x.repeats = explorer.stats().repeats;
  x.complete = explorer.stats().incomplete.empty();
  for (const auto& c : r.counterexamples) x.bugs.insert(c.signature());
  return x;
}

// The same, with `workers` explorers sharing one tree (dpor::explore_parallel).
inline Exploration explore_parallel_with(const std::function<void()>& root, ls::DporMode mode, unsigned workers,
                                         ls::Faults faults = {}, bool state_cache = false,
                                         std::uint64_t cache_window = 0, std::uint64_t cache_first_window = 0) {
  Exploration x;
  std::mutex m;
  ls::Options o;
  o.keep_going = true;
  o.state_cache = state_cache;
  o.dpor = mode;
  o.faults = faults;
  lockstep::dpor::ExplorerConfig config = lockstep::dpor::ExplorerConfig::from(o);
  config.cache_window = cache_window;
  config.cache_first_window = cache_first_window;
  ls::Result r = lockstep::dpor::explore_parallel(root, o, config, workers,
                                                  [&](lockstep::dpor::Explorer& e) { e.on_execution = recorder(x, m); });
  x.executions = r.executions;
  x.blocked = r.blocked;
  x.cache_hits = r.cache_hits;
  x.cache_retired_after = r.cache_retired_after;
  x.complete = r.complete();
  for (const auto& c : r.counterexamples) x.bugs.insert(c.signature());
  return x;
}

// Parallel exploration with the workers' interleaving shaken up: each worker is an Explorer
// on its own thread, wrapped so that before some of its steps (chosen by `seed`) it gives
// up its core for a moment. A worker then holds claims in the tree, and events not yet
// published, while the others insert into it: the interleavings a real run hits only now
// and then, here in most runs.
inline Exploration explore_parallel_jittered(const std::function<void()>& root, ls::DporMode mode, unsigned workers,
                                             std::uint64_t seed) {
  class Jittered final : public lockstep::core::Strategy {
   public:
    Jittered(lockstep::dpor::Explorer& explorer, std::uint64_t seed) : explorer_(explorer), rng_(seed) {}
    bool begin_execution() override { return explorer_.begin_execution(); }
    std::size_t pick(const lockstep::core::Choice& choice) override {
      std::size_t chosen = explorer_.pick(choice);
      if (rng_() % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng_() % 50));
      return chosen;
    }
    bool observes_events() const override { return true; }
    bool observes_states() const override { return explorer_.observes_states(); }
    void observe(const lockstep::core::EventRecord& event) override { explorer_.observe(event); }
    std::span<const std::uint32_t> replayed_prefix() override { return explorer_.replayed_prefix(); }
    void set_probe(lockstep::core::Probe probe) override { explorer_.set_probe(std::move(probe)); }
    void end_execution(const lockstep::core::ExecutionSummary& summary) override {
      explorer_.end_execution(summary);
      if (rng_() % 2 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng_() % 50));
    }

   private:
    lockstep::dpor::Explorer& explorer_;
    std::mt19937_64 rng_;
  };
  Exploration x;
  std::mutex m;
  lockstep::dpor::ExplorerConfig config;
  config.mode = mode;
  auto tree = lockstep::dpor::Explorer::make_tree(config);
  const ls::Options o = explorer_options();
  std::vector<std::unique_ptr<lockstep::dpor::Explorer>> explorers;
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) {
    explorers.emplace_back(std::make_unique<lockstep::dpor::Explorer>(tree))->on_execution = recorder(x, m);
  }
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      Jittered jittered(*explorers[w], seed * 7919 + w);
      lockstep::core::run_executions(root, jittered, o);
    });
  }
  for (auto& t : threads) t.join();
  x.executions = explorers.front()->stats().executions;
  x.deferred = explorers.front()->stats().deferred;
  x.complete = explorers.front()->stats().incomplete.empty();
  return x;
}


// How many of `count` random programs (or repetitions) a test runs: all, or under
// LOCKSTEP_TEST_SCALE (a fraction) that share, at least one. The asan preset runs a quarter:
// memory errors show on any program, and the optimised build runs every one.
inline int scaled(int count) {
  static const double scale = [] {
    const char* env = std::getenv("LOCKSTEP_TEST_SCALE");
    double s = env != nullptr ? std::strtod(env, nullptr) : 1.0;
    return s > 0 && s <= 1 ? s : 1.0;
  }();
  return std::max(1, static_cast<int>(count * scale));
}

// Generated program `seed` as a scenario, with what plain enumeration finds in it (at most
// `max_schedules` schedules, 0: all; `none.complete` says whether it saw every one).
struct GeneratedCase {
  RandomProgram program;
  std::function<void()> body;
  Exploration none;
};
inline GeneratedCase generated_case(std::uint64_t seed, int ops, Family family, std::uint64_t max_schedules) {
  GeneratedCase c{generate_program(seed, 2, ops, family), {}, {}};
  c.body = as_scenario(c.program);
  c.none = explore_with(c.body, ls::DporMode::none, max_schedules);
  return c;
}
// Calls check(body, none) for the first `count` generated programs (from seed 1 on) small
// enough for the brute-force oracle, and requires that DPOR's reduction is real over them.
template <typename Check>
void for_random_programs(int count, Family family, Check check) {
  count = scaled(count);
  int checked = 0;
  std::uint64_t traces = 0, schedules = 0;
  for (std::uint64_t seed = 1; checked < count; ++seed) {
    REQUIRE(seed < 3000);  // the generator must keep producing programs small enough
    auto [program, body, none] = generated_case(seed, 3, family, 3000);
    if (!none.complete) continue;  // too many schedules for the brute-force oracle
    INFO("seed " << seed << "\n" << program.describe());
    check(body, none);
    ++checked;
    traces += none.traces.size();
    schedules += none.executions;
  }
  REQUIRE(traces < schedules);
}

// The offline oracles (hidden "[.oracle]" tests): LOCKSTEP_ORACLE_SEEDS programs (default
// `seeds`) of seeds 0, 1, ... with up to `ops` operations each; check(body, none) for every
// one with at most 20,000 schedules. Returns how many were checked.
template <typename Check>
std::uint64_t for_oracle_programs(std::uint64_t seeds, int ops, Family family, Check check) {
  if (const char* env = std::getenv("LOCKSTEP_ORACLE_SEEDS")) seeds = std::strtoull(env, nullptr, 10);
  std::uint64_t programs = 0;
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    auto [program, body, none] = generated_case(seed, ops, family, 20000);
    if (!none.complete) continue;
    INFO("seed " << seed << " ops " << ops << describe(family) << "\n" << program.describe());
    check(body, none);
    ++programs;
  }
  return programs;
}

}  // namespace lockstep_test
