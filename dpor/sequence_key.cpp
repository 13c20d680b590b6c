#include "dpor/sequence_key.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace lockstep::dpor {

namespace {

// A multiply-xorshift step a word: not a cryptographic hash, but the records are not
// adversarial, and an event costs a few instructions a field (it is hashed at most once an
// execution); event_identity ends with splitmix64's finaliser.
std::uint64_t fold(std::uint64_t h, std::uint64_t x) {
  h = (h ^ x) * 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 29);
}

// Two words for the usual access, up to five for a receive's (which message), a
// consequence's or a commuting write's.
std::uint64_t fold(std::uint64_t h, const core::Access& a) {
  bool peer = a.peer.pid != 0 || a.peer.index != 0;
  h = fold(h, a.object);
  h = fold(h, static_cast<std::uint64_t>(a.kind) | (static_cast<std::uint64_t>(a.mode) << 8) |
                  (std::uint64_t{peer} << 16) | (std::uint64_t{a.causes != 0} << 17) |
                  (std::uint64_t{a.commutes != 0} << 18));
  if (peer) h = fold(h, (std::uint64_t{a.peer.pid} << 32) | a.peer.index);
  if (a.causes != 0) h = fold(h, a.causes);
  if (a.commutes != 0) h = fold(h, a.commutes);
  return h;
}

}  // namespace

std::uint64_t event_identity(const core::EventRecord& e) {
  std::uint64_t h = fold(0, (std::uint64_t{e.id.pid} << 32) | e.id.index);
  // The flags and the list sizes (so that no two different lists of lists read the same).
  h = fold(h, std::uint64_t{e.heavier_alternative} | (std::uint64_t{e.unknown} << 1) |
                  (std::uint64_t{e.barrier} << 2) | (std::uint64_t{e.predicted} << 3) |
                  (std::uint64_t{e.plain_alternative != 0} << 4) |
                  (std::uint64_t{e.accesses.size()} << 8) |
                  (std::uint64_t{e.conditions.size()} << 24) |
                  (std::uint64_t{e.spawned.size()} << 40) | (std::uint64_t{e.killed.size()} << 52));
  if (e.plain_alternative != 0) h = fold(h, e.plain_alternative);
  for (const core::Access& a : e.accesses) h = fold(h, a);
  for (const core::Access& a : e.conditions) h = fold(h, a);
  for (std::uint32_t pid : e.spawned) h = fold(h, pid);
  for (std::uint32_t pid : e.killed) h = fold(h, pid);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

SequenceKey sequence_key(const std::uint64_t* identities, std::size_t count) {
  XXH128_hash_t h = XXH3_128bits(identities, count * sizeof(std::uint64_t));
  return {h.low64, h.high64};
}

}  // namespace lockstep::dpor
