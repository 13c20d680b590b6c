// The identity of a sequence inserted into a wakeup tree, so that a node can tell an insertion
// it has had already.
//
// An execution repeats its predecessor's prefix, so most of its races were reversed already
// (docs/exploration.md, "Why every execution's races are reversed"). Their sequences usually
// differ, because notdep takes in events past the prefix; but when a race's sequence is the
// same, event for event, as one inserted at the same node before, inserting it again adds
// nothing: the obligation it carries (explore, from that node, an execution that starts with
// the sequence up to equivalence) is the one the first insertion placed. On indexer(15) 42%
// of insertions are such repeats, and their walks down the wakeup tree were 55% of all
// insertion steps (readers(14): 46% and 45%).
//
// Two events are the same when every field the explorer reads of them is: the process and
// its how-manieth event, the flags, the accesses, the conditions and what they decided,
// spawns and kills. An event's identity is a 64-bit hash of those, and a sequence's key a
// 128-bit hash (XXH3) of its events' identities in order: two different sequences share a
// key with a chance of about 2^-64 (an event's identity colliding with another's), so that
// even a node with a million insertions (10^12 pairs) has a chance of 10^-7 of skipping one
// wrongly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/event.hpp"

namespace lockstep::dpor {

// 64 bits that tell two different event records apart (see above).
std::uint64_t event_identity(const core::EventRecord& e);

struct SequenceKey {
  std::uint64_t low = 0, high = 0;
  friend bool operator==(const SequenceKey&, const SequenceKey&) = default;
};

struct SequenceKeyHash {
  std::size_t operator()(const SequenceKey& k) const noexcept {
    return static_cast<std::size_t>(k.low);
  }
};

// The key of a sequence whose events' identities are `identities` (in order).
SequenceKey sequence_key(const std::uint64_t* identities, std::size_t count);

}  // namespace lockstep::dpor
