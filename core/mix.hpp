// mix: the controller's fast 64-bit hash combiner for labels and fingerprints (not XXH3:
// it runs on every step, on values that are already hashes).
#pragma once

#include <cstdint>

namespace lockstep::core {

inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

}  // namespace lockstep::core
