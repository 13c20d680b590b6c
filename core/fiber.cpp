#include "core/fiber.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cassert>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#if defined(BOOST_USE_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace lockstep::core {

namespace {
std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}
std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// The allocator Boost.Context copies into the fiber's record: it hands the stack back to
// the pool when the fiber finishes.
struct PooledStack {
  StackPool* pool;
  boost::context::stack_context allocate() { return pool->allocate(); }
  void deallocate(boost::context::stack_context& sc) noexcept { pool->deallocate(sc); }
};

// Stack mappings left by controllers that are gone, for the next ones: a test suite or a
// benchmark runs many small explorations, and mapping, guarding and unmapping their stacks
// each time cost more than exploring them (measured: a third of filesystem(14)'s time).
// Bounded; shared by every thread under a lock taken only when a pool is empty or ends.
class SpareStacks {
 public:
  static SpareStacks& instance() {
    static auto* spares = new SpareStacks;  // never destroyed: pools may end after main
    return *spares;
  }
  void* take(std::size_t mapping) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = spare_.size(); i-- > 0;) {
      if (spare_[i].first == mapping) {
        void* base = spare_[i].second;
        spare_[i] = spare_.back();
        spare_.pop_back();
        return base;
      }
    }
    return nullptr;
  }
  // False: the spares are full, unmap it.
  bool give(void* base, std::size_t mapping) {
    std::lock_guard lock(mutex_);
    if (spare_.size() >= kMaxSpare) return false;
    spare_.emplace_back(mapping, base);
    return true;
  }

 private:
  static constexpr std::size_t kMaxSpare = 512;
  std::mutex mutex_;
  std::vector<std::pair<std::size_t, void*>> spare_;  // (mapping size, base)
};
}  // namespace

StackPool::StackPool(std::size_t usable_bytes)
    : usable_(round_up(usable_bytes, page_size())), mapping_(usable_ + page_size()) {}

StackPool::~StackPool() {
  assert(live_ == 0 && "a fiber outlived its stack pool");
  for (void* base : free_) {
    if (!SpareStacks::instance().give(base, mapping_)) ::munmap(base, mapping_);
  }
}

boost::context::stack_context StackPool::allocate() {
  void* base;
  if (!free_.empty()) {
    base = free_.back();
    free_.pop_back();
  } else if (void* spare = SpareStacks::instance().take(mapping_); spare != nullptr) {
    base = spare;
  } else {
    base = ::mmap(nullptr, mapping_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                  -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    // Guard page at the low end: a stack overflow faults instead of corrupting memory.
    ::mprotect(base, page_size(), PROT_NONE);
  }
  ++live_;
  boost::context::stack_context sc;
  sc.size = usable_;
  sc.sp = static_cast<char*>(base) + mapping_;  // stacks grow down from the top
  return sc;
}

void StackPool::deallocate(boost::context::stack_context& sc) noexcept {
  void* base = static_cast<char*>(sc.sp) - mapping_;
#if defined(BOOST_USE_ASAN)
  // Frames left by unwinding may still be poisoned; the next fiber starts clean.
  ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(base) + page_size(), usable_);
#endif
  --live_;
  free_.push_back(base);
}

void Fiber::start(StackPool& pool, Entry entry, void* arg) {
  assert(finished());
#if defined(__SANITIZE_THREAD__)
  // A fiber dropped before it finished (never resumed to its end) still holds its context.
  if (tsan_fiber_ != nullptr) __tsan_destroy_fiber(tsan_fiber_);
  tsan_fiber_ = __tsan_create_fiber(0);
#endif
  fiber_ = boost::context::fiber(std::allocator_arg, PooledStack{&pool},
                                 [this, entry, arg](boost::context::fiber&& caller) {
                                   caller_ = std::move(caller);
                                   entry(arg);
#if defined(__SANITIZE_THREAD__)
                                   __tsan_switch_to_fiber(tsan_caller_, 0);
#endif
                                   return std::move(caller_);
                                 });
}

}  // namespace lockstep::core

#if defined(BOOST_USE_UCONTEXT)
// Debian's libboost_context is built for the fcontext backend, so the ucontext backend's
// thread-local "current record" is defined here (the sanitizer build uses that backend).
namespace boost::context::detail {
namespace {
thread_local fiber_activation_record* current_record = nullptr;
thread_local std::size_t initializer_count = 0;
}  // namespace

fiber_activation_record_initializer::fiber_activation_record_initializer() noexcept {
  if (initializer_count++ == 0) current_record = new fiber_activation_record();
}

fiber_activation_record_initializer::~fiber_activation_record_initializer() {
  if (--initializer_count == 0) {
    delete current_record;
    current_record = nullptr;
  }
}

fiber_activation_record*& fiber_activation_record::current() noexcept {
  thread_local fiber_activation_record_initializer initializer;
  return current_record;
}
}  // namespace boost::context::detail
#endif
