// Fiber: a stack to switch to and back from, nothing else (private to core).
//
// Stacks come from a StackPool: mmapped once with a guard page below, reused across
// executions, so creating a process costs a pool pop rather than an mmap. In the sanitizer
// build Boost.Context's ucontext backend is used with its ASan hooks (BOOST_USE_ASAN).
//
// Thread-safety: a Fiber and its StackPool belong to one thread (one worker's Controller).
#pragma once

#include <cstddef>
#include <vector>

#include <boost/context/fiber.hpp>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace lockstep::core {

class StackPool {
 public:
  explicit StackPool(std::size_t usable_bytes);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& sc) noexcept;
  std::size_t live() const { return live_; }  // stacks handed out and not yet returned
  std::size_t stack_size() const { return usable_; }

 private:
  std::size_t usable_;
  std::size_t mapping_;        // usable + guard page
  std::vector<void*> free_;    // mapping bases ready for reuse
  std::size_t live_ = 0;
};

class Fiber {
 public:
  // Entry runs on the fiber's own stack; when it returns the fiber is finished and its
  // stack goes back to the pool. Entry must not let an exception escape.
  using Entry = void (*)(void* arg);

  Fiber() = default;
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;
#if defined(__SANITIZE_THREAD__)
  ~Fiber() {
    if (tsan_fiber_ != nullptr) __tsan_destroy_fiber(tsan_fiber_);
  }
#endif

  void start(StackPool& pool, Entry entry, void* arg);
  void resume();  // from the controller: run the fiber until it yields or finishes
  void yield();   // from inside the fiber: back to whoever resumed it
  bool finished() const { return !fiber_; }

 private:
  boost::context::fiber fiber_;   // the suspended fiber (held while it is not running)
  boost::context::fiber caller_;  // the controller's continuation (held while it runs)
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer must be told of every stack switch (the `tsan` preset, for races
  // between exploration workers; docs/development.md).
  void* tsan_fiber_ = nullptr;
  void* tsan_caller_ = nullptr;
#endif
};

// Inline, like the controller's loop and sync point around them: every function frame
// between a switch and the code that continues after it costs a mispredicted return on
// each side (the return-stack buffer holds the other stack's return addresses), measured
// at 7–18 ns per frame per round trip (docs/decisions.md, "Speed (session 7)").
[[gnu::always_inline]] inline void Fiber::resume() {
#if defined(__SANITIZE_THREAD__)
  tsan_caller_ = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(tsan_fiber_, 0);
#endif
  fiber_ = std::move(fiber_).resume();
  // The ucontext backend hands back a terminated record; releasing it returns the stack.
  if (!fiber_) fiber_ = boost::context::fiber();
#if defined(__SANITIZE_THREAD__)
  if (!fiber_ && tsan_fiber_ != nullptr) {
    __tsan_destroy_fiber(tsan_fiber_);
    tsan_fiber_ = nullptr;
  }
#endif
}

[[gnu::always_inline]] inline void Fiber::yield() {
#if defined(__SANITIZE_THREAD__)
  __tsan_switch_to_fiber(tsan_caller_, 0);
#endif
  caller_ = std::move(caller_).resume();
}

}  // namespace lockstep::core
