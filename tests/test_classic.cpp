// The classic benchmarks give the trace counts their papers publish, under every
// reduction; the large sizes live in bench/.
#include <lockstep/explore.hpp>

#include "bench/classic_benchmarks.hpp"
#include "dpor_oracle.hpp"

using lockstep_test::explore_with;
using ls::DporMode;

TEST_CASE("readers(N) has 2^N traces", "[dpor][classic]") {
  for (int n = 1; n <= 4; ++n) {
    INFO("readers(" << n << ")");
    if (n <= 3) {  // the brute-force oracle agrees (readers(4) has 308,551 schedules: bench/)
      auto none = explore_with(lockstep_classic::readers(n), DporMode::none);
      REQUIRE(none.traces.size() == (1u << n));
    }
    REQUIRE(explore_with(lockstep_classic::readers(n), DporMode::source).executions == (1u << n));
    REQUIRE(explore_with(lockstep_classic::readers(n), DporMode::optimal).executions == (1u << n));
  }
}

TEST_CASE("lastzero(N) has (N+3)*2^(N-2) traces", "[dpor][classic]") {
  for (int n = 2; n <= 4; ++n) {
    INFO("lastzero(" << n << ")");
    std::uint64_t expected = static_cast<std::uint64_t>(n + 3) << (n - 2);
    auto opt = explore_with(lockstep_classic::lastzero(n), DporMode::optimal);
    REQUIRE(opt.executions == expected);
    REQUIRE(opt.traces.size() == expected);
    auto src = explore_with(lockstep_classic::lastzero(n), DporMode::source);
    REQUIRE(src.traces.size() == expected);
    REQUIRE(src.executions >= expected);
  }
  // The brute-force oracle agrees on the smallest size.
  REQUIRE(explore_with(lockstep_classic::lastzero(2), DporMode::none).traces.size() == 5);
}

TEST_CASE("indexer(N) has 8^(N-11) traces", "[dpor][classic]") {
  auto mode = GENERATE(DporMode::source, DporMode::optimal);
  REQUIRE(explore_with(lockstep_classic::indexer(11), mode).executions == 1);
  REQUIRE(explore_with(lockstep_classic::indexer(12), mode).executions == 8);
  auto thirteen = explore_with(lockstep_classic::indexer(13), mode);
  REQUIRE(thirteen.executions == 64);
  REQUIRE(thirteen.traces.size() == 64);
}

TEST_CASE("filesystem(N) has 2^(N-13) traces", "[dpor][classic]") {
  auto mode = GENERATE(DporMode::source, DporMode::optimal);
  REQUIRE(explore_with(lockstep_classic::filesystem(13), mode).executions == 1);
  REQUIRE(explore_with(lockstep_classic::filesystem(14), mode).executions == 2);
  auto sixteen = explore_with(lockstep_classic::filesystem(16), mode);
  REQUIRE(sixteen.executions == 8);
  REQUIRE(sixteen.traces.size() == 8);
}

// Most of readers' and indexer's reversals are sequences inserted at the same node before
// (dpor/sequence_key.hpp): they are not inserted again, and each trace is still explored once.
TEST_CASE("optimal DPOR does not insert a sequence twice at a node, and stays exact", "[dpor][classic]") {
  auto readers = explore_with(lockstep_classic::readers(4), DporMode::optimal);
  REQUIRE(readers.executions == 16);
  REQUIRE(readers.traces.size() == 16);
  REQUIRE(readers.repeats > 0);
  auto indexer = explore_with(lockstep_classic::indexer(13), DporMode::optimal);
  REQUIRE(indexer.executions == 64);
  REQUIRE(indexer.traces.size() == 64);
  REQUIRE(indexer.repeats > 0);
}

TEST_CASE("the classic benchmarks keep their trace counts on 2 workers", "[dpor][classic][parallel]") {
  REQUIRE(lockstep_test::explore_parallel_with(lockstep_classic::readers(4), DporMode::optimal, 2).traces.size() == 16);
  auto lastzero = lockstep_test::explore_parallel_with(lockstep_classic::lastzero(4), DporMode::optimal, 2);
  REQUIRE(lastzero.traces.size() == 28);
  REQUIRE(lastzero.executions >= 28);
  REQUIRE(lockstep_test::explore_parallel_with(lockstep_classic::indexer(12), DporMode::optimal, 2).traces.size() == 8);
  REQUIRE(lockstep_test::explore_parallel_with(lockstep_classic::filesystem(15), DporMode::optimal, 2).traces.size() == 4);
}
