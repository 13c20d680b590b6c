// FaultPacing: wraps a sampling strategy when faults are on (lockstep/faults.hpp). Fault
// actors are always enabled, so picking among them like any process would spend the whole
// budget in the first few steps; instead a fault (or its repair) strikes at each step with
// probability 1/L, L the running mean of execution lengths, so faults land anywhere in an
// execution and partitions last a while. The wrapped strategy picks among the scenario's
// own processes, which come first in every Choice.
#pragma once

#include <memory>

#include "core/strategies/rng.hpp"
#include "core/strategy.hpp"

namespace lockstep::core {

class FaultPacing final : public Strategy {
 public:
  FaultPacing(std::unique_ptr<Strategy> inner, std::uint64_t seed) : inner_(std::move(inner)), rng_(seed) {}
  bool begin_execution() override { return inner_->begin_execution(); }
  std::size_t pick(const Choice& choice) override;
  void end_execution(const ExecutionSummary& summary) override;
  std::uint64_t execution_seed() const override { return inner_->execution_seed(); }

 private:
  std::unique_ptr<Strategy> inner_;
  Rng rng_;
  std::uint64_t mean_length_ = 32;  // steps; updated after each execution
};

}  // namespace lockstep::core
