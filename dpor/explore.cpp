#include "lockstep/explore.hpp"

#include "core/engine.hpp"
#include "dpor/explorer.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/scenario.hpp"

namespace lockstep {

Result explore(std::function<void()> root, const Options& options) {
  options.validate();
  if (!root) throw UsageError("lockstep::explore needs a root function");
  dpor::Explorer explorer(options.dpor, options.max_executions, options.max_depth);
  Options run = options;
  run.strategy = StrategyKind::first;  // only names the engine's bookkeeping; the explorer picks
  Result r = core::run_executions(root, explorer, run);
  const auto& st = explorer.stats();
  r.peak_nodes = st.peak_nodes;
  // Stopping at a counterexample leaves the space unexplored, but that is not "incomplete":
  // the verdict (a bug) is final.
  if (r.ok() || options.keep_going) r.incomplete = st.incomplete;
  return r;
}

Result explore(std::string_view scenario, const Options& options) {
  const ScenarioInfo* s = find_scenario(scenario);
  if (s == nullptr) throw ConfigError("unknown scenario '" + std::string(scenario) + "'");
  Options o = options;
  if (o.scenario_name.empty()) o.scenario_name = s->name;
  return explore(s->body, o);
}

}  // namespace lockstep
