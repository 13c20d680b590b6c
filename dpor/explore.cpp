#include "lockstep/explore.hpp"

#include <algorithm>
#include <exception>
#include <mutex>

#include "core/engine.hpp"
#include "core/workers.hpp"
#include "dpor/explorer.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/scenario.hpp"

namespace lockstep {

namespace {

Result finish(Result r, const dpor::ExplorerStats& st, const Options& options) {
  r.peak_nodes = st.peak_nodes;
  r.states_cached = st.cache.states;
  r.state_lookups = st.cache.lookups;
  r.cache_hits = st.cache.hits;
  r.cache_bytes = st.cache.bytes;
  r.cache_full = st.cache.full;
  r.cache_saved = st.cache.saved;
  r.cache_retired_after = st.cache.retired_after;
  // Stopping at a counterexample leaves the space unexplored, but that is not "incomplete":
  // the verdict (a bug) is final.
  if (r.ok() || options.keep_going) r.incomplete = st.incomplete;
  return r;
}

}  // namespace

namespace dpor {

Result explore_parallel(const std::function<void()>& root, const Options& options, unsigned workers,
                        const std::function<void(Explorer&)>& setup) {
  return explore_parallel(root, options, ExplorerConfig::from(options), workers, setup);
}

Result explore_parallel(const std::function<void()>& root, const Options& options, const ExplorerConfig& config,
                        unsigned workers, const std::function<void(Explorer&)>& setup) {
  Options run = options;
  run.strategy = StrategyKind::first;  // only names the engine's bookkeeping; the explorer picks
  auto tree = dpor::Explorer::make_tree(config);
  std::vector<std::unique_ptr<dpor::Explorer>> explorers;
  for (unsigned i = 0; i < workers; ++i) {
    explorers.push_back(std::make_unique<dpor::Explorer>(tree));
    if (setup) setup(*explorers.back());
  }
  std::vector<Result> parts(workers);
  std::exception_ptr failure;
  std::mutex failure_mutex;
  core::SharedProgress progress(options);
  Options worker = run;
  worker.progress_every = 1;
  worker.progress = progress.per_execution();
  core::run_parallel(workers, workers, [&](std::uint64_t i) {
    try {
      parts[i] = core::run_executions(root, *explorers[i], worker);
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      dpor::Explorer::stop(*tree);
    }
  });
  if (failure) std::rethrow_exception(failure);
  Result r;
  for (const Result& p : parts) r += p;
  std::sort(r.counterexamples.begin(), r.counterexamples.end(), [](const Counterexample& a, const Counterexample& b) {
    if (a.signature() != b.signature()) return a.signature() < b.signature();
    return a.schedule.steps < b.schedule.steps;
  });
  if (!options.keep_going && r.counterexamples.size() > 1) r.counterexamples.resize(1);
  return finish(std::move(r), explorers.front()->stats(), options);
}

}  // namespace dpor

namespace {
Result explore_sequential(const std::function<void()>& root, const Options& options) {
  Options run = options;
  run.strategy = StrategyKind::first;  // only names the engine's bookkeeping; the explorer picks
  dpor::ExplorerConfig config = dpor::ExplorerConfig::from(options);
  config.stop_at_bug = false;  // one worker: the engine stops at the first counterexample
  dpor::Explorer explorer(config);
  Result r = core::run_executions(root, explorer, run);
  return finish(std::move(r), explorer.stats(), options);
}
}  // namespace

Result explore(std::function<void()> root, const Options& options) {
  options.validate();
  if (!root) throw UsageError("lockstep::explore needs a root function");
  // Every core unless told otherwise (docs/exploration.md, "Parallel exploration").
  unsigned workers = options.effective_workers();
  if (workers <= 1) return explore_sequential(root, options);
  try {
    return dpor::explore_parallel(root, options, workers);
  } catch (const std::bad_alloc& e) {  // bad_array_new_length too
    // The one failure the parallel engine has shown (one offline run, once, in session 3;
    // never reproduced since, nor seen by ThreadSanitizer): a size gone wrong. The answer
    // must not depend on it: explore again on one worker, and say so.
    Result r = explore_sequential(root, options);
    r.warnings.push_back(Warning{"parallel exploration failed (" + std::string(e.what()) +
                                 "); this result is from one worker. Please report it."});
    return r;
  }
}

Result explore(std::string_view scenario, const Options& options) {
  const ScenarioInfo* s = find_scenario(scenario);
  if (s == nullptr) throw ConfigError("unknown scenario '" + std::string(scenario) + "'");
  Options o = options;
  if (o.scenario_name.empty()) o.scenario_name = s->name;
  return explore(s->body, o);
}

}  // namespace lockstep
