// The dependency relation over executed events: two events are dependent when swapping
// them (if adjacent) could change what some process observes or whether it can run.
// It is written down, rule by rule, in docs/dependencies.md; this file is that table.
//
// `dependent(first, second)` is ordered: `first` executes before `second`. (One mailbox
// rule is not symmetric: a send and a later receive that took that send's message are
// dependent (reads-from), a receive and a later send never are: the new message queues
// behind the one taken.)
#pragma once

#include <cstdint>

#include "core/event.hpp"

namespace lockstep::dpor {

bool conflicts(const core::Access& first, core::EventId first_id, const core::Access& second);
// Whether an access of `first` conflicts with one of `second`'s: dependent() for events of
// different processes, neither a barrier nor unknown, whose footprints do not settle it.
bool accesses_conflict(const core::EventRecord& first, const core::EventRecord& second);

// Inline for its quick answers: race analysis and wakeup insertion ask it millions of times,
// mostly of events that footprints tell apart.
inline bool dependent(const core::EventRecord& first, const core::EventRecord& second) {
  if (first.barrier || second.barrier || first.unknown || second.unknown) return true;
  if (first.id.pid == second.id.pid) return true;
  // Disjoint footprints: no object in common (a footprint of 0 was not computed: look).
  if (first.footprint != 0 && second.footprint != 0) {
    if ((first.footprint & second.footprint) == 0) return false;
    // No object that one writes and the other touches, nor one whose member one writes and
    // the other reads whole: reads commute with reads, member writes with member accesses.
    std::uint64_t shared = (first.write_footprint & second.footprint) | (first.footprint & second.write_footprint) |
                           (first.member_write_footprint & second.read_footprint) |
                           (first.read_footprint & second.member_write_footprint);
    if (shared == 0) return false;
  }
  return accesses_conflict(first, second);
}
// `second` received the message `first` sent: a dependency, but not a reversible race
// (the receive cannot happen before its message exists).
bool reads_from(const core::EventRecord& first, const core::EventRecord& second);

}  // namespace lockstep::dpor
