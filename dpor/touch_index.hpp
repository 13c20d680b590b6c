// TouchIndex: the accesses of the current execution by object, for race analysis: for each
// (kind, object), the latest access, each linking to the one before it on that object.
// Reads of a state object conflict only with the accesses that are not reads, and accesses
// to one member of it only with the accesses to the whole of it, so those have chains of
// their own: a read walks past the other reads, a member access past the other members
// (indexer's compare-and-swaps on one array made the analysis quadratic before).
//
// The table is open-addressed and reused across executions; forget() (a barrier, which
// orders everything before it) empties it in O(1) by moving to the next generation.
//
// Thread-safety: one per Explorer.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/event.hpp"

namespace lockstep::dpor {

class TouchIndex {
 public:
  // Indices are 32 bits: a touch fits a cache line (an execution of 2^32 accesses would not
  // fit in memory anyway).
  static constexpr std::uint32_t kNo = static_cast<std::uint32_t>(-1);
  struct Touch {
    core::Access access;
    core::EventId id;              // the event's id (conflicts() takes it)
    std::uint32_t event;           // its index in the execution
    std::uint32_t slot;            // its object's slot (truncate() restores it)
    std::uint32_t previous;        // the touch before on the same object, or kNo
    std::uint32_t previous_writing;  // the last touch before it that is not a read, or kNo
    std::uint32_t previous_whole;    // the last touch before it that is not a member access
  };
  static_assert(sizeof(Touch) <= 64, "a touch a cache line");

  // A new execution: nothing touched yet.
  void clear() {
    touches_.clear();
    forget();
  }
  // A barrier: what came before is ordered before everything after it.
  void forget() {
    if (++generation_ == 0) {  // wrapped: stale stamps could pass for current ones
      for (Slot& s : slots_) s.generation = 0;
      generation_ = 1;
    }
    live_ = 0;
  }
  // Forgets the touches of events `keep` and later, as if they had never been added (a
  // barrier among them could not be undone: the caller starts over then). Each touch knows
  // what its slot held before it, so this costs what is forgotten, not what is kept.
  void truncate(std::size_t keep) {
    while (!touches_.empty() && touches_.back().event >= keep) {
      const Touch& t = touches_.back();
      Slot& s = slots_[t.slot];
      assert(s.last == touches_.size() - 1);
      s.last = t.previous;
      if (!core::reading(t.access.mode)) s.last_writing = t.previous_writing;
      if (!core::member_access(t.access.mode)) s.last_whole = t.previous_whole;
      touches_.pop_back();
    }
  }
  // The slot of (kind, object), made if new (its chains empty). Slots stay where they are
  // until the table grows: reserve() first for every access of an event, then look each up
  // once for both for_each_candidate and add (a probe each, not two).
  std::size_t slot(core::ObjectKind kind, std::uint64_t object) {
    assert((live_ + 1) * 2 <= slots_.size() && "reserve() first");
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(kind, object) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.generation != generation_) {
        s = Slot{object, kind, generation_, kNo, kNo, kNo};
        ++live_;
        return i;
      }
      if (s.object == object && s.kind == kind) return i;
    }
  }
  // Room for `more` new objects without growing.
  void reserve(std::size_t more) {
    while ((live_ + more) * 2 > slots_.size()) grow();
  }
  // The touches an access `a` of a later event may conflict with, latest first: calls
  // f(touch) for each. On a state object, a member access sees only the whole-object
  // accesses, a whole-object read only the accesses that are not reads. `at`: a's slot.
  template <typename F>
  void for_each_candidate(std::size_t at, const core::Access& a, F&& f) const {
    const Slot& s = slots_[at];
    if (a.kind != core::ObjectKind::mailbox && core::member_access(a.mode)) {
      for (std::uint32_t t = s.last_whole; t != kNo; t = touches_[t].previous_whole) f(touches_[t]);
    } else if (a.kind != core::ObjectKind::mailbox && core::reading(a.mode)) {
      for (std::uint32_t t = s.last_writing; t != kNo; t = touches_[t].previous_writing) f(touches_[t]);
    } else {
      for (std::uint32_t t = s.last; t != kNo; t = touches_[t].previous) f(touches_[t]);
    }
  }
  void add(std::size_t at, std::size_t event, core::EventId id, const core::Access& a) {
    Slot& s = slots_[at];
    assert(touches_.size() < kNo && event < kNo);
    Touch& t = touches_.emplace_back();  // filled in place: no temporary to copy
    t.access = a;
    t.id = id;
    t.event = static_cast<std::uint32_t>(event);
    t.slot = static_cast<std::uint32_t>(at);
    t.previous = s.last;
    t.previous_writing = s.last_writing;
    t.previous_whole = s.last_whole;
    s.last = static_cast<std::uint32_t>(touches_.size() - 1);
    if (!core::reading(a.mode)) s.last_writing = s.last;
    if (!core::member_access(a.mode)) s.last_whole = s.last;
  }

 private:
  struct Slot {
    std::uint64_t object = 0;
    core::ObjectKind kind{};
    std::uint32_t generation = 0;  // current only when equal to generation_
    std::uint32_t last = kNo;
    std::uint32_t last_writing = kNo;
    std::uint32_t last_whole = kNo;
  };
  static std::size_t hash(core::ObjectKind kind, std::uint64_t object) {
    return static_cast<std::size_t>(((object * 0x9e3779b97f4a7c15ULL) ^ static_cast<std::uint64_t>(kind)) * 0xff51afd7ed558ccdULL >> 17);
  }
  // Rehashes into twice the slots, and tells the touches where their slots went (those of a
  // past generation, before a barrier, are never restored: truncate() stops at a barrier).
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    std::uint32_t current = generation_;
    live_ = 0;
    std::size_t mask = slots_.size() - 1;
    moved_to_.assign(old.size(), kNo);
    for (std::size_t x = 0; x < old.size(); ++x) {
      const Slot& o = old[x];
      if (o.generation != current) continue;
      std::size_t i = hash(o.kind, o.object) & mask;
      while (slots_[i].generation == current) i = (i + 1) & mask;
      slots_[i] = o;
      moved_to_[x] = static_cast<std::uint32_t>(i);
      ++live_;
    }
    for (Touch& t : touches_) t.slot = t.slot < moved_to_.size() ? moved_to_[t.slot] : kNo;
  }

  std::vector<Slot> slots_;  // size: a power of two, at most half full
  std::vector<Touch> touches_;
  std::vector<std::uint32_t> moved_to_;  // grow()'s scratch
  std::uint32_t generation_ = 1;
  std::size_t live_ = 0;
};

}  // namespace lockstep::dpor
