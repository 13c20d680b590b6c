// (Shared with tests/: the same scenarios give the counts asserted there.)
// The classic shared-memory benchmarks of the DPOR literature (Flanagan & Godefroid 2005;
// Abdulla et al. 2014), written as scenarios over lockstep::atomics. Each thread is a
// process spawned by the root.
#pragma once

#include <lockstep/lockstep.hpp>

namespace lockstep_classic {

namespace ls = lockstep;

// readers(N): one writer writes x; N readers read it. 2^N traces.
inline std::function<void()> readers(int n) {
  return [n] {
    auto x = ls::atomics::new_array(1);
    ls::spawn([x]() { x.put(0, 1); });
    for (int i = 0; i < n; ++i) ls::spawn([x] { (void)x.get(0); });
  };
}

// lastzero(N): thread 0 scans array[N], array[N-1], ... for the last zero; thread j
// (1..N) sets array[j] = array[j-1] + 1. (N+3)*2^(N-2) traces.
inline std::function<void()> lastzero(int n) {
  return [n] {
    auto a = ls::atomics::new_array(static_cast<std::size_t>(n) + 1);
    ls::spawn([a, n] {
      for (int i = n; a.get(static_cast<std::size_t>(i)) != 0; --i) {
      }
    });
    for (int j = 1; j <= n; ++j) {
      ls::spawn([a, j]() {
        std::int64_t prev = a.get(static_cast<std::size_t>(j - 1));
        a.put(static_cast<std::size_t>(j), prev + 1);
      });
    }
  };
}

// indexer(N): N threads each insert 4 values into a 128-slot hash table with
// compare-and-swap, probing linearly on collision (Flanagan & Godefroid, POPL 2005).
// Hashes first collide at N = 12: 8^(N-11) traces for 12 <= N.
inline std::function<void()> indexer(int n) {
  return [n] {
    auto table = ls::atomics::new_array(128);
    for (int tid = 0; tid < n; ++tid) {
      ls::spawn([table, tid]() {
        for (int m = 1; m <= 4; ++m) {
          std::int64_t w = m * 11 + tid;
          auto h = static_cast<std::size_t>((w * 7) % 128);
          while (table.compare_exchange(h, 0, w) != 0) h = (h + 1) % 128;
        }
      });
    }
  };
}

// filesystem(N): N threads each give their inode a free block (Flanagan & Godefroid, POPL
// 2005): thread t takes inode t % 32 and, if it has none yet, claims the first free block
// from (2i) % 26 on. The original guards each check-and-set with a mutex (one per inode,
// one per block); here each critical section is one atomic operation (compare_exchange on
// busy[b]; inode[i] is read and written by its only thread), which orders the same pairs:
// two critical sections under one lock are two operations on one cell. Threads t and t+13
// are the first to share a block: 2^(N-13) traces for 13 <= N <= 26.
inline std::function<void()> filesystem(int n) {
  return [n] {
    constexpr std::size_t kInodes = 32, kBlocks = 26;
    auto inode = ls::atomics::new_array(kInodes);
    auto busy = ls::atomics::new_array(kBlocks);
    for (int tid = 0; tid < n; ++tid) {
      ls::spawn([inode, busy, tid] {
        auto i = static_cast<std::size_t>(tid) % kInodes;
        if (inode.get(i) != 0) return;
        std::size_t b = (i * 2) % kBlocks;
        while (busy.compare_exchange(b, 0, 1) != 0) b = (b + 1) % kBlocks;
        inode.put(i, static_cast<std::int64_t>(b) + 1);
      });
    }
  };
}

}  // namespace lockstep_classic
