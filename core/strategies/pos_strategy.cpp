// POS: partial-order sampling (Yuan, Yang, Gu, "Partial Order Aware Concurrency Sampling",
// CAV 2018), in the simplified form lockstep documents: every process holds a random
// priority; at each step, with probability p, the enabled processes redraw theirs; the
// highest enabled process runs.
#include "core/strategies/strategies.hpp"

namespace lockstep::core {

PosStrategy::PosStrategy(const Options& o)
    : SamplingStrategy(o.seed, o.iterations), resample_prob_(o.resample_prob) {}

void PosStrategy::begin_iteration() { priorities_.clear(); }

std::size_t PosStrategy::pick(const Choice& choice) {
  bool redraw = rng_.unit() < resample_prob_;
  std::size_t best = 0;
  std::uint64_t best_priority = 0;
  for (std::size_t i = 0; i < choice.enabled.size(); ++i) {
    auto [it, fresh] = priorities_.try_emplace(choice.enabled[i].pid.id, 0);
    if (fresh || redraw) it->second = rng_.next();
    if (i == 0 || it->second > best_priority) {
      best = i;
      best_priority = it->second;
    }
  }
  return best;
}

}  // namespace lockstep::core
