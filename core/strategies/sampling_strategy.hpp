// SamplingStrategy: the shared frame of the seeded strategies (random, PCT and its variants,
// POS, first): a fixed number of iterations, each with its own seed derived from the base.
#pragma once

#include "core/strategies/rng.hpp"
#include "core/strategy.hpp"

namespace lockstep::core {

class SamplingStrategy : public Strategy {
 public:
  SamplingStrategy(std::uint64_t seed, std::uint64_t iterations)
      : base_seed_(seed), iterations_(iterations) {}
  bool begin_execution() override {
    if (iteration_ >= iterations_) return false;
    ++iteration_;
    seed_ = iteration_seed(base_seed_, iteration_);
    rng_.reseed(seed_);
    begin_iteration();
    return true;
  }
  std::uint64_t execution_seed() const override { return seed_; }
  // Run iterations first+1 .. first+count instead of 1 .. count.
  void start_at(std::uint64_t first) {
    iterations_ += first - iteration_;
    iteration_ = first;
  }

 protected:
  virtual void begin_iteration() {}
  std::uint64_t iteration() const { return iteration_; }
  Rng rng_;

 private:
  std::uint64_t base_seed_;
  std::uint64_t iterations_;
  std::uint64_t iteration_ = 0;
  std::uint64_t seed_ = 0;
};

}  // namespace lockstep::core
