// The strategies core ships: every one a peer behind the Strategy interface.
#pragma once

#include <unordered_map>

#include "core/strategies/sampling_strategy.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/schedule.hpp"

namespace lockstep::core {

class RandomStrategy final : public SamplingStrategy {
 public:
  RandomStrategy(std::uint64_t seed, std::uint64_t iterations);
  std::size_t pick(const Choice& choice) override;
};

// Always the lowest enabled pid: a deterministic baseline (every iteration is the same).
class FirstStrategy final : public SamplingStrategy {
 public:
  explicit FirstStrategy(std::uint64_t iterations);
  std::size_t pick(const Choice& choice) override;
};

class PctStrategy final : public SamplingStrategy {
 public:
  enum class Variant { pct, fair_pct, idpct };
  PctStrategy(const Options& options, Variant variant);
  std::size_t pick(const Choice& choice) override;
  void end_execution(const ExecutionSummary& summary) override;

 private:
  void begin_iteration() override;
  std::uint64_t& priority(Pid p);
  std::size_t highest(const Choice& choice);

  Variant variant_;
  int depth_;
  int depth_min_, depth_max_;
  std::int64_t fair_switch_;
  std::uint64_t max_steps_;
  std::uint64_t estimate_ = 100;  // expected execution length k
  std::uint64_t switch_step_ = 0;
  std::unordered_map<std::uint32_t, std::uint64_t> priorities_;
  std::vector<std::uint64_t> change_points_;  // sorted steps
  std::size_t next_change_ = 0;
};

class PosStrategy final : public SamplingStrategy {
 public:
  explicit PosStrategy(const Options& options);
  std::size_t pick(const Choice& choice) override;

 private:
  void begin_iteration() override;
  double resample_prob_;
  std::unordered_map<std::uint32_t, std::uint64_t> priorities_;
};

class ReplayDiverged : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

class ReplayStrategy final : public Strategy {
 public:
  explicit ReplayStrategy(Schedule schedule);
  bool begin_execution() override;
  std::size_t pick(const Choice& choice) override;
  void end_execution(const ExecutionSummary& summary) override;

 private:
  Schedule schedule_;
  std::size_t next_ = 0;
  bool done_ = false;
};

}  // namespace lockstep::core
