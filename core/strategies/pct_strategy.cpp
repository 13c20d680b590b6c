// PCT: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
// "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010).
// Each process gets a random priority when first seen; d-1 change points are drawn
// uniformly over the expected execution length k; at the i-th change point the running
// (highest) process drops to priority d-i, below every initial priority. The highest
// enabled process always runs. k is the longest execution seen so far (100 before any).
// fair-pct switches to uniform random after a step; idpct cycles the depth per iteration.
#include <algorithm>

#include "core/strategies/strategies.hpp"

namespace lockstep::core {

namespace {
constexpr std::uint64_t kInitialPriorityFloor = 1ULL << 62;  // above every changed priority
}

PctStrategy::PctStrategy(const Options& o, Variant variant)
    : SamplingStrategy(o.seed, o.iterations),
      variant_(variant),
      depth_(o.pct_depth),
      depth_min_(o.pct_depth_min),
      depth_max_(o.pct_depth_max),
      fair_switch_(o.fair_switch),
      max_steps_(o.max_steps) {}

void PctStrategy::begin_iteration() {
  if (variant_ == Variant::idpct) {
    auto range = static_cast<std::uint64_t>(depth_max_ - depth_min_ + 1);
    depth_ = depth_min_ + static_cast<int>((iteration() - 1) % range);
  }
  priorities_.clear();
  change_points_.clear();
  next_change_ = 0;
  std::uint64_t k = std::min(estimate_, max_steps_);
  for (int i = 0; i + 1 < depth_; ++i) change_points_.push_back(1 + rng_.below(k));
  std::sort(change_points_.begin(), change_points_.end());
  switch_step_ = fair_switch_ >= 0 ? static_cast<std::uint64_t>(fair_switch_) : k / 2;
}

std::uint64_t& PctStrategy::priority(Pid p) {
  auto [it, fresh] = priorities_.try_emplace(p.id, 0);
  if (fresh) it->second = kInitialPriorityFloor + (rng_.next() >> 2);
  return it->second;
}

std::size_t PctStrategy::highest(const Choice& choice) {
  std::size_t best = 0;
  for (std::size_t i = 0; i < choice.enabled.size(); ++i) {
    if (priority(choice.enabled[i].pid) > priority(choice.enabled[best].pid)) best = i;
  }
  return best;
}

std::size_t PctStrategy::pick(const Choice& choice) {
  if (variant_ == Variant::fair_pct && choice.step >= switch_step_) {
    return static_cast<std::size_t>(rng_.below(choice.enabled.size()));
  }
  std::size_t best = highest(choice);
  // Change points that fell on steps without a choice apply at the next choice.
  while (next_change_ < change_points_.size() && change_points_[next_change_] <= choice.step) {
    ++next_change_;
    priority(choice.enabled[best].pid) = static_cast<std::uint64_t>(depth_) - next_change_;
    best = highest(choice);
  }
  return best;
}

void PctStrategy::end_execution(const ExecutionSummary& summary) {
  estimate_ = std::max(estimate_, summary.steps);
}

}  // namespace lockstep::core
