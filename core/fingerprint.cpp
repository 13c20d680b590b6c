#include "core/fingerprint.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace lockstep::core {

std::uint64_t Fingerprint::value() const {
  return XXH3_64bits(fields_.data(), fields_.size() * sizeof(std::uint64_t));
}

std::uint64_t Fingerprint::spread(std::uint64_t x) {
  // splitmix64's finaliser: a bijection, so distinct members rarely cancel in a sum.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace lockstep::core
