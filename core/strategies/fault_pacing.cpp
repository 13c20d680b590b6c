// FaultPacing: faults at a paced rate, the scenario's processes by the wrapped strategy.
#include "core/strategies/fault_pacing.hpp"

#include <algorithm>

#include "core/pending_op.hpp"

namespace lockstep::core {

std::size_t FaultPacing::pick(const Choice& choice) {
  std::size_t own = 0;  // the scenario's processes form a prefix
  while (own < choice.enabled.size() && choice.enabled[own].op->kind != OpKind::fault) ++own;
  std::size_t faults = choice.enabled.size() - own;
  if (faults > 0 && (own == 0 || rng_.below(mean_length_) == 0)) return own + rng_.below(faults);
  if (own == 1) return 0;
  return inner_->pick(Choice{choice.step, choice.enabled.first(own)});
}

void FaultPacing::end_execution(const ExecutionSummary& summary) {
  mean_length_ = std::max<std::uint64_t>(4, (mean_length_ * 7 + summary.steps) / 8);
  inner_->end_execution(summary);
}

}  // namespace lockstep::core
