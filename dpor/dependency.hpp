// The dependency relation over executed events: two events are dependent when swapping
// them (if adjacent) could change what some process observes or whether it can run.
// It is written down, rule by rule, in docs/dependencies.md; this file is that table.
//
// `dependent(first, second)` is ordered: `first` executes before `second`. (One mailbox
// rule is not symmetric: a send and a later receive that took that send's message are
// dependent (reads-from), a receive and a later send never are: the new message queues
// behind the one taken.)
#pragma once

#include "core/event.hpp"

namespace lockstep::dpor {

bool conflicts(const core::Access& first, core::EventId first_id, const core::Access& second);
bool dependent(const core::EventRecord& first, const core::EventRecord& second);
// `second` received the message `first` sent: a dependency, but not a reversible race
// (the receive cannot happen before its message exists).
bool reads_from(const core::EventRecord& first, const core::EventRecord& second);

}  // namespace lockstep::dpor
