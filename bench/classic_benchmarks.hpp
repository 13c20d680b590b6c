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

}  // namespace lockstep_classic
