// random: uniform over the enabled processes at every step.
#include "core/strategies/strategies.hpp"

namespace lockstep::core {

RandomStrategy::RandomStrategy(std::uint64_t seed, std::uint64_t iterations)
    : SamplingStrategy(seed, iterations) {}

std::size_t RandomStrategy::pick(const Choice& choice) {
  return static_cast<std::size_t>(rng_.below(choice.enabled.size()));
}

FirstStrategy::FirstStrategy(std::uint64_t iterations) : SamplingStrategy(0, iterations) {}

std::size_t FirstStrategy::pick(const Choice&) { return 0; }  // enabled is sorted by pid

}  // namespace lockstep::core
