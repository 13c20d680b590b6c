// Worker plumbing shared by parallel sampled runs (core/check.cpp) and parallel exhaustive
// exploration (dpor/explore.cpp): a TBB arena of a given size, and progress counted across
// workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

#include "lockstep/options.hpp"

namespace lockstep::core {

// Runs task(i) for every i in [0, count) on `threads` threads (more than the machine's
// cores is allowed), each i once; returns when all are done.
void run_parallel(unsigned threads, std::uint64_t count, const std::function<void(std::uint64_t)>& task);
// How many workers Options::workers == 0 means: every core the process may use.
unsigned default_workers();

// Reports options.progress every options.progress_every executions counted over every
// worker. Give each worker `per_execution()` as its own progress callback (every 1).
class SharedProgress {
 public:
  explicit SharedProgress(const Options& options) : options_(options) {}
  std::function<void(std::uint64_t)> per_execution() {
    return [this](std::uint64_t) {
      std::uint64_t n = ++done_;
      if (options_.progress && n % options_.progress_every == 0) {
        std::lock_guard lock(mutex_);
        options_.progress(n);
      }
    };
  }

 private:
  const Options& options_;
  std::atomic<std::uint64_t> done_{0};
  std::mutex mutex_;
};

}  // namespace lockstep::core
