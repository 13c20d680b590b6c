// Mailbox: a process's messages, oldest first (private to core). A receive takes the oldest
// or, selectively, one further in; a send appends. A ring buffer over a power-of-two array:
// std::deque's size() and indexing go through its map of blocks, and with the receive path
// that looked at it the ping-pong step spent an eighth of its instructions there. The array
// is kept when the mailbox empties: a mailbox allocates only when it outgrows it.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "lockstep/term.hpp"

namespace lockstep::core {

// A message in a mailbox, with the event that sent it (for the explorer's reads-from).
struct Message {
  Term term;
  EventId from;
  std::uint64_t hash = 0;  // term.hash(), kept when an explorer observes (visible states)
};

class Mailbox {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  Message& operator[](std::size_t i) {
    assert(i < size_);
    return slots_[(head_ + i) & mask_];
  }
  const Message& operator[](std::size_t i) const {
    assert(i < size_);
    return slots_[(head_ + i) & mask_];
  }
  // Filled in place: no Message temporary to move in and destroy on every send.
  void push_back(Term&& term, EventId from, std::uint64_t hash) {
    if (size_ == slots_.size()) grow();
    Message& slot = slots_[(head_ + size_) & mask_];
    slot.term = std::move(term);
    slot.from = from;
    slot.hash = hash;
    ++size_;
  }
  // Removes message i, its term moved into `into`; the later ones close the gap.
  void take(std::size_t i, Term& into) {
    assert(i < size_);
    into = std::move((*this)[i].term);
    if (i == 0) {
      head_ = (head_ + 1) & mask_;
    } else {
      for (std::size_t k = i; k + 1 < size_; ++k) (*this)[k] = std::move((*this)[k + 1]);
    }
    --size_;
  }
  // Removes the messages `drop` holds for, keeping the others in order.
  template <typename Pred>
  void remove_if(Pred drop) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      if (drop(static_cast<const Message&>((*this)[i]))) continue;
      if (kept != i) (*this)[kept] = std::move((*this)[i]);
      ++kept;
    }
    for (std::size_t i = kept; i < size_; ++i) (*this)[i] = Message{};  // release their terms
    size_ = kept;
  }
  void clear() {
    for (std::size_t i = 0; i < size_; ++i) (*this)[i] = Message{};
    head_ = size_ = 0;
  }
  template <typename F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < size_; ++i) f((*this)[i]);
  }

 private:
  void grow() {
    std::vector<Message> bigger(slots_.empty() ? 4 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    slots_ = std::move(bigger);
    head_ = 0;
    mask_ = slots_.size() - 1;
  }

  std::vector<Message> slots_;  // size: 0 or a power of two
  std::size_t head_ = 0;        // slot of the oldest message
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace lockstep::core
