// replay: follows a recorded schedule choice by choice; anything it cannot follow is a
// "replay diverged" error rather than a silently different execution.
#include "core/strategies/fault_pacing.hpp"
#include "core/strategies/strategies.hpp"

namespace lockstep::core {

ReplayStrategy::ReplayStrategy(Schedule schedule) : schedule_(std::move(schedule)) {}

bool ReplayStrategy::begin_execution() {
  if (done_) return false;
  done_ = true;
  next_ = 0;
  return true;
}

std::size_t ReplayStrategy::pick(const Choice& choice) {
  std::string enabled;
  for (const Candidate& c : choice.enabled) enabled += (enabled.empty() ? "" : ", ") + c.pid.to_string();
  if (next_ >= schedule_.steps.size()) {
    throw ReplayDiverged("replay diverged at step " + std::to_string(choice.step) +
                         ": the schedule has no choice left but " + enabled +
                         " can run (the scenario changed since the schedule was recorded, or it "
                         "is nondeterministic)");
  }
  std::uint32_t want = schedule_.steps[next_++];
  for (std::size_t i = 0; i < choice.enabled.size(); ++i) {
    if (choice.enabled[i].pid.id == want) return i;
  }
  throw ReplayDiverged("replay diverged at step " + std::to_string(choice.step) +
                       ": the schedule picks " + Pid{want, 0}.to_string() +
                       " but only " + enabled +
                       " can run (the scenario changed since the schedule was recorded, or it is "
                       "nondeterministic)");
}

void ReplayStrategy::end_execution(const ExecutionSummary& summary) {
  if (next_ < schedule_.steps.size()) {
    throw ReplayDiverged("replay diverged: the execution ended after " +
                         std::to_string(summary.steps) + " steps with " +
                         std::to_string(schedule_.steps.size() - next_) +
                         " scheduled choices unused (the scenario changed since the schedule "
                         "was recorded, or it is nondeterministic)");
  }
}

namespace {
std::unique_ptr<SamplingStrategy> make_sampling(const Options& o) {
  switch (o.strategy) {
    case StrategyKind::random: return std::make_unique<RandomStrategy>(o.seed, o.iterations);
    case StrategyKind::first: return std::make_unique<FirstStrategy>(o.iterations);
    case StrategyKind::pct: return std::make_unique<PctStrategy>(o, PctStrategy::Variant::pct);
    case StrategyKind::fair_pct:
      return std::make_unique<PctStrategy>(o, PctStrategy::Variant::fair_pct);
    case StrategyKind::idpct: return std::make_unique<PctStrategy>(o, PctStrategy::Variant::idpct);
    case StrategyKind::pos: return std::make_unique<PosStrategy>(o);
    case StrategyKind::replay: break;
  }
  return nullptr;
}
}  // namespace

std::unique_ptr<Strategy> make_strategy(const Options& o, std::uint64_t first_iteration) {
  if (o.strategy == StrategyKind::replay) return std::make_unique<ReplayStrategy>(*o.replay);
  std::unique_ptr<SamplingStrategy> sampling = make_sampling(o);
  sampling->start_at(first_iteration);
  if (o.faults.any()) {
    return std::make_unique<FaultPacing>(std::move(sampling), iteration_seed(o.seed ^ 0xfa017ULL, first_iteration));
  }
  return sampling;
}

}  // namespace lockstep::core
