#include "dpor/dependency.hpp"

namespace lockstep::dpor {

using core::Access;
using core::AccessMode;
using core::EventRecord;
using core::ObjectKind;

namespace {

bool is_write(AccessMode m) { return m == AccessMode::write; }

// Modes on ordinary objects: read, write, member_read, member_write.
bool state_conflict(AccessMode a, AccessMode b) {
  if (is_write(a) || is_write(b)) return true;
  bool a_read = a == AccessMode::read, b_read = b == AccessMode::read;
  // A whole-object read conflicts with a member write; members commute with members.
  return (a_read && b == AccessMode::member_write) || (b_read && a == AccessMode::member_write);
}

// The relation on accesses, inlined into dependent()'s loops (its hottest code).
[[gnu::always_inline]] inline bool access_conflict(const Access& a, core::EventId a_id, const Access& b) {
  if (a.kind != b.kind || a.object != b.object) return false;
  if (a.kind != ObjectKind::mailbox) {
    // Two writes that carry one commuting value leave the object the same in either order,
    // and neither returns what it met (Access::commutes).
    return state_conflict(a.mode, b.mode) && (a.commutes == 0 || a.commutes != b.commutes);
  }
  switch (a.mode) {
    case AccessMode::append:
      // Two sends to one mailbox: their order is the order of the messages in it.
      // A send and the receive that took its message: reads-from.
      // A send and a later flush (demonitor with flush) of the mailbox.
      // A send and a receive that timed out: had the send come first, the receive might
      // have taken its message instead (the pattern is not recorded, so always).
      return b.mode == AccessMode::append || b.mode == AccessMode::clear ||
             b.mode == AccessMode::timeout ||
             ((b.mode == AccessMode::consume || b.mode == AccessMode::consume_due) && b.peer == a_id);
    case AccessMode::timeout:
      // A receive that timed out would have taken a matching message sent before it.
      return b.mode == AccessMode::append;
    case AccessMode::clear: return b.mode == AccessMode::append;
    default:
      // A receive that took a message commutes with later sends: they queue behind it.
      return false;
  }
}

}  // namespace

bool conflicts(const Access& a, core::EventId a_id, const Access& b) { return access_conflict(a, a_id, b); }

bool accesses_conflict(const EventRecord& first, const EventRecord& second) {
  for (const Access& a : first.accesses) {
    // An access to an object the other event does not touch conflicts with none of its.
    // shared_any's reads are left out of footprints (Controller::touch): one conflicts only
    // with a write of it, which sets every bit of the writer's write footprint.
    if (second.footprint != 0) {
      if (a.kind != ObjectKind::shared_any) {
        if ((second.footprint & core::footprint_bit(a.kind, a.object)) == 0) continue;
      } else if (core::reading(a.mode) && second.write_footprint != ~std::uint64_t{0}) {
        continue;
      }
    }
    for (const Access& b : second.accesses) {
      if (access_conflict(a, first.id, b)) return true;
    }
  }
  return false;
}

bool reads_from(const EventRecord& first, const EventRecord& second) {
  for (const Access& b : second.accesses) {
    // Only a receive that had to wait for the message; one whose timeout had expired could
    // have run first and timed out (consume_due): that is a race.
    if (b.kind == ObjectKind::mailbox && b.mode == AccessMode::consume && b.peer == first.id) return true;
  }
  return false;
}

}  // namespace lockstep::dpor
