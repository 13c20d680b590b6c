// CrashBoard: shared memory between a supervising parent and the child process that runs
// the exploration (lockstep/isolation.hpp). Every thread that runs executions owns a slot
// and mirrors the current execution's schedule into it, choice by choice; a fatal signal
// handler notes which slot crashed, on what signal, in which process, and whether the fault
// was a stack overflow. Written only with plain stores (async-signal-safe to read back).
#pragma once

#include <atomic>
#include <cstdint>

namespace lockstep::core {

struct CrashSlot {
  static constexpr std::uint32_t kCapacity = 1u << 16;  // choices mirrored per execution
  std::atomic<std::uint32_t> length{0};                 // may exceed kCapacity: truncated
  std::uint32_t choices[kCapacity];
};

struct CrashBoard {
  static constexpr std::uint32_t kSlots = 64;
  std::atomic<std::uint32_t> slots_claimed{0};
  std::atomic<std::int32_t> crashed_slot{-1};
  std::atomic<std::int32_t> signal{0};
  std::atomic<std::uint32_t> process{0};     // pid id of the scenario process that crashed (0: none)
  std::atomic<std::uint32_t> overflow{0};    // 1: the fault was at the stack pointer (overflow)
  std::atomic<std::uint64_t> executions{0};  // executions started, on every thread
  CrashSlot slots[kSlots];

  // The board of this process, if it runs supervised (null otherwise).
  static CrashBoard* current();
  static void set_current(CrashBoard* board);
  // This thread's slot (claimed on first use; null if every slot is taken or unsupervised).
  // Also gives the thread an alternate signal stack, so an overflow can be reported.
  static CrashSlot* thread_slot();
};

// The pid id of the scenario process running on this thread (0: none). Signal-safe.
std::uint32_t running_pid_id() noexcept;

}  // namespace lockstep::core
