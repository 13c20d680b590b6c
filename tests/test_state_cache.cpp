// Visible-state caching (dpor/state_cache.hpp, docs/exploration.md "State caching"): a
// prefix that reaches a state whose subtree was explored stops there. It combines with
// every mode (optimal DPOR cuts only where the prefix races with nothing it cuts off).
// Oracles: with the cache, each reaches the same end states and the same distinct bugs as
// plain enumeration without it (--dpor none), on the corpus and on random programs; where
// different interleavings converge, source DPOR with the cache runs fewer executions than
// optimal DPOR alone.
#include <cstdio>
#include <cstdlib>

#include <lockstep/ets.hpp>
#include <lockstep/explore.hpp>

#include "bench/classic_benchmarks.hpp"
#include "bench/converging_benchmarks.hpp"
#include "dpor/state_cache.hpp"
#include "dpor_corpus.hpp"
#include "dpor_oracle.hpp"
#include "random_program.hpp"

using lockstep_test::Exploration;
using lockstep_test::explore_with;
using ls::atom;
using ls::DporMode;
using ls::tuple;

namespace {

constexpr bool kCache = true;

Exploration with_cache(const std::function<void()>& body, DporMode mode) {
  return explore_with(body, mode, 0, {}, kCache);
}

// Same end states and bugs as brute force; never more executions than the mode alone.
void require_cache_sound(const std::function<void()>& body, const Exploration& none, DporMode mode) {
  INFO("mode " << ls::to_string(mode));
  Exploration cached = with_cache(body, mode);
  REQUIRE(cached.complete);
  REQUIRE(cached.final_states == none.final_states);
  REQUIRE(cached.bugs == none.bugs);
  Exploration plain = mode == DporMode::none ? none : explore_with(body, mode);
  REQUIRE(cached.executions <= plain.executions);
}

// The same over `count` random programs of `family`.
void require_cache_sound_on_random(int count, lockstep_test::Family family, DporMode mode) {
  lockstep_test::for_random_programs(count, family, [mode](const std::function<void()>& body, const Exploration& none) {
    require_cache_sound(body, none, mode);
  });
}

}  // namespace

TEST_CASE("with the state cache every mode reaches the end states and bugs of the corpus", "[dpor][cache]") {
  for (const lockstep_test::Named& s : lockstep_test::corpus()) {
    INFO("scenario: " << s.name);
    Exploration none = explore_with(s.body, DporMode::none);
    for (DporMode mode : {DporMode::none, DporMode::source, DporMode::optimal}) require_cache_sound(s.body, none, mode);
  }
}

TEST_CASE("with the state cache source DPOR reaches the end states and bugs of random programs", "[dpor][cache]") {
  require_cache_sound_on_random(150, lockstep_test::Family::plain, DporMode::source);
}

TEST_CASE("with the state cache optimal DPOR reaches the end states and bugs of random programs", "[dpor][cache]") {
  require_cache_sound_on_random(150, lockstep_test::Family::plain, DporMode::optimal);
}

TEST_CASE("with the state cache optimal DPOR reaches the end states and bugs of random ETS and cluster programs", "[dpor][cache][cluster]") {
  require_cache_sound_on_random(100, lockstep_test::Family::cluster, DporMode::optimal);
}

TEST_CASE("with the state cache plain enumeration reaches the end states and bugs of random programs", "[dpor][cache]") {
  require_cache_sound_on_random(40, lockstep_test::Family::plain, DporMode::none);
}

TEST_CASE("with the state cache source DPOR reaches the end states and bugs of random ETS and cluster programs", "[dpor][cache][cluster]") {
  require_cache_sound_on_random(100, lockstep_test::Family::cluster, DporMode::source);
}

// Blind writes that commute (SharedAccess::commutes) write the same chain in either order:
// the cache merges those orders, and cuts nothing it should not.
TEST_CASE("with the state cache both DPOR modes reach the end states and bugs of random shared-state programs", "[dpor][cache]") {
  for (DporMode mode : {DporMode::source, DporMode::optimal}) {
    require_cache_sound_on_random(100, lockstep_test::Family::shared, mode);
  }
}

// Generated programs the offline oracle found. 305: the races of the cut-off subtree with
// the prefix must be kept (a wakeup-tree explorer that fully expands the racing nodes still
// misses end states here, which is why optimal DPOR declines such hits instead). 1293: a
// kill in the prefix disables the root, and the reversal of that race would have started
// with a process that runs only in the cut-off subtree (notdep reaches into it).
TEST_CASE("the state cache keeps the races of a cut-off subtree with its prefix", "[dpor][cache]") {
  for (std::uint64_t seed : {305, 1293}) {
    INFO("seed " << seed);
    auto body = lockstep_test::as_scenario(lockstep_test::generate_program(seed, 2, 3, lockstep_test::Family::plain));
    Exploration none = explore_with(body, DporMode::none);
    Exploration cached = with_cache(body, DporMode::source);
    REQUIRE(cached.cache_hits > 0);
    REQUIRE(cached.final_states == none.final_states);
    REQUIRE(cached.bugs == none.bugs);
    Exploration optimal = with_cache(body, DporMode::optimal);
    REQUIRE(optimal.final_states == none.final_states);
    REQUIRE(optimal.bugs == none.bugs);
  }
}

TEST_CASE("the state cache cuts interleavings that converge: fewer executions than optimal DPOR alone", "[dpor][cache]") {
  struct Case {
    const char* name;
    std::function<void()> body;
  };
  for (const Case& c : {Case{"counter server, 3 clients", lockstep_converging::counter_server(3)},
                        Case{"idempotent ETS writes, 3 writers", lockstep_converging::idempotent_writes(3, 1)}}) {
    INFO(c.name);
    Exploration none = explore_with(c.body, DporMode::none);
    Exploration optimal = explore_with(c.body, DporMode::optimal);
    Exploration cached = with_cache(c.body, DporMode::source);
    REQUIRE(cached.final_states == none.final_states);
    REQUIRE(cached.bugs == none.bugs);
    REQUIRE(cached.cache_hits > 0);
    REQUIRE(cached.executions < optimal.executions);
  }
}

TEST_CASE("a bug behind a converging prefix is still found with the state cache", "[dpor][cache]") {
  // Two clients' increments converge at the server; only then does a third process race
  // with the root's read. The cache must keep that race.
  auto body = [] {
    ls::Pid me = ls::self();
    ls::atomics::Array flag = ls::atomics::new_array(1);
    ls::Pid server = ls::spawn([me] {
      ls::receive(ls::match(atom("inc")));
      ls::receive(ls::match(atom("inc")));
      ls::send(me, atom("done"));
    });
    ls::spawn([server] { ls::send(server, atom("inc")); });
    ls::spawn([server] { ls::send(server, atom("inc")); });
    ls::spawn([flag] { flag.put(0, 1); });
    ls::receive(ls::match(atom("done")));
    LOCKSTEP_ASSERT(flag.get(0) == 1, "the flag is set before the server is done");
  };
  // The reference is source DPOR without the cache (brute force is slow on five processes;
  // the tests above hold source DPOR to it).
  Exploration plain = explore_with(body, DporMode::source);
  REQUIRE(plain.bugs.size() == 1);
  Exploration cached = with_cache(body, DporMode::source);
  REQUIRE(cached.cache_hits > 0);
  REQUIRE(cached.bugs == plain.bugs);
  REQUIRE(cached.final_states == plain.final_states);
}

TEST_CASE("end states tell shared contents apart and not the order that made them", "[dpor][cache]") {
  auto writes = [](int a, int b) {
    return [a, b] {
      for (int v : {a, b}) ls::spawn([v] { ls::persistent_term::put(atom("k"), v); });
    };
  };
  // Different values: the last writer decides (2 end states); the same value: 1.
  REQUIRE(explore_with(writes(1, 2), DporMode::optimal).final_states.size() == 2);
  REQUIRE(explore_with(writes(1, 1), DporMode::optimal).final_states.size() == 1);
  // A user's nif_sync object is known by the writes applied to it: the same two orders.
  auto raw = [] {
    auto cell = std::make_shared<int>(0);
    ls::Pid me = ls::self();
    for (int v : {1, 2}) {
      ls::spawn([cell, v, me] {
        ls::nif_sync(atom("put"), {.object = 7, .key = 0, .whole_object = false, .write = true});
        *cell = v;
        ls::send(me, atom("done"));
      });
    }
    ls::receive();
    ls::receive();
  };
  REQUIRE(explore_with(raw, DporMode::optimal).final_states.size() == 2);
}

TEST_CASE("parallel exploration with the state cache reaches the end states and bugs of the corpus", "[dpor][cache][parallel]") {
  for (const lockstep_test::Named& s : lockstep_test::corpus()) {
    INFO("scenario: " << s.name);
    Exploration none = explore_with(s.body, DporMode::none);
    for (DporMode mode : {DporMode::source, DporMode::optimal}) {
      INFO("mode " << ls::to_string(mode));
      Exploration p = lockstep_test::explore_parallel_with(s.body, mode, 2, {}, kCache);
      REQUIRE(p.complete);
      REQUIRE(p.final_states == none.final_states);
      REQUIRE(p.bugs == none.bugs);
    }
  }
}

TEST_CASE("parallel optimal DPOR with the state cache reaches the end states and bugs of random programs", "[dpor][cache][parallel]") {
  for (lockstep_test::Family family : {lockstep_test::Family::plain, lockstep_test::Family::cluster}) {
    lockstep_test::for_random_programs(60, family, [](const auto& body, const Exploration& none) {
      Exploration p = lockstep_test::explore_parallel_with(body, DporMode::optimal, 2, {}, kCache);
      REQUIRE(p.complete);
      REQUIRE(p.final_states == none.final_states);
      REQUIRE(p.bugs == none.bugs);
    });
  }
}

TEST_CASE("a full state cache stops caching and the exploration stays complete", "[dpor][cache]") {
  auto body = lockstep_converging::counter_server(3);
  Exploration none = explore_with(body, DporMode::none);
  lockstep::dpor::ExplorerConfig config;
  config.mode = DporMode::source;
  config.state_cache_bytes = 600;  // a handful of entries
  lockstep::dpor::Explorer explorer(config);
  std::set<std::uint64_t> finals;
  explorer.on_execution = [&](const auto&, const lockstep::core::ExecutionSummary& summary) {
    if (!summary.abandoned) finals.insert(summary.final_state);
  };
  ls::Result r = lockstep::core::run_executions(body, explorer, lockstep_test::explorer_options());
  REQUIRE(explorer.stats().cache.full);
  REQUIRE(explorer.stats().cache.bytes <= 600);
  REQUIRE(explorer.stats().incomplete.empty());
  REQUIRE(finals == none.final_states);
}

TEST_CASE("a cached visit covers a new one only if it slept on no more processes", "[dpor][cache]") {
  lockstep::dpor::StateCache cache(1 << 20);
  auto summary = std::make_shared<lockstep::dpor::Summary>();
  cache.insert(42, {2, 3}, summary, 7);
  std::vector<std::uint32_t> fewer{2}, same{2, 3}, more{2, 3, 4};
  REQUIRE_FALSE(cache.covering(42, fewer).found);  // 3 was asleep then: its traces were not explored
  REQUIRE(cache.covering(42, same).summary == summary);
  REQUIRE(cache.covering(42, more).summary == summary);
  REQUIRE(cache.covering(42, more).work == 7);
  REQUIRE_FALSE(cache.covering(43, more).found);
  // A visit with a smaller sleep set replaces the larger one.
  cache.insert(42, {}, summary, 9);
  REQUIRE(cache.covering(42, fewer).summary == summary);
  REQUIRE(cache.covering(42, fewer).work == 9);
  REQUIRE(cache.stats().states == 1);
  REQUIRE(cache.stats().lookups == 7);
  REQUIRE(cache.stats().hits == 0);  // the explorer counts the cuts it makes (it may decline one)
  cache.count_hit(9);
  REQUIRE(cache.stats().hits == 1);
  REQUIRE(cache.stats().saved == 9);
  // Without a summary (--dpor none keeps none) a visit still covers.
  cache.insert(50, {}, nullptr, 1);
  REQUIRE(cache.covering(50, fewer).found);
  REQUIRE(cache.covering(50, fewer).summary == nullptr);
  // Retired, the cache forgets its entries and keeps its counters.
  cache.retire(1024);
  REQUIRE_FALSE(cache.covering(42, fewer).found);
  REQUIRE(cache.stats().bytes == 0);
  REQUIRE(cache.stats().retired_after == 1024);
  REQUIRE(cache.stats().hits == 1);
}

TEST_CASE("a subtree summary keeps each process's touches once, by object", "[dpor][cache]") {
  using lockstep::core::AccessMode;
  using lockstep::core::ObjectKind;
  lockstep::core::EventRecord send;
  send.id = {2, 0};
  send.accesses = {{.kind = ObjectKind::life, .mode = AccessMode::read, .object = 2},
                   {.kind = ObjectKind::mailbox, .mode = AccessMode::append, .causes = 4, .object = 1}};
  send.spawned = {5};
  lockstep::dpor::Summary a, b;
  a.add(send);
  a.add(send);
  b.add(send);
  lockstep::core::EventRecord other = send;
  other.id = {3, 0};
  b.add(other);
  a.merge(b);
  REQUIRE(a.touches().size() == 4);  // (2, life), (2, mailbox), (3, life), (3, mailbox)
  REQUIRE(a.touching(ObjectKind::mailbox, 1).size() == 2);
  REQUIRE(a.touching(ObjectKind::mailbox, 1)[0].access.causes == 0);
  REQUIRE(a.spawner(5) == 2);
  REQUIRE(a.spawner(6) == 0);
}


// Optimal DPOR cannot make up for the races of a cut-off subtree with its prefix (a full
// expansion breaks its wakeup trees): it cuts only at a visited state whose subtree races
// with nothing in the prefix, and otherwise explores on.
TEST_CASE("optimal DPOR with the state cache cuts only where the prefix races with nothing", "[dpor][cache]") {
  auto body = lockstep_converging::counter_server(3);
  Exploration none = explore_with(body, DporMode::none);
  Exploration optimal = explore_with(body, DporMode::optimal);
  Exploration cached = with_cache(body, DporMode::optimal);
  REQUIRE(cached.final_states == none.final_states);
  REQUIRE(cached.cache_hits > 0);
  REQUIRE(cached.executions < optimal.executions);
}

// The adaptive cache (ExplorerConfig::cache_window): at the end of a window in which it did
// not pay, it retires for the rest of the exploration. A window of 4 retires it early in
// most programs, part of whose tree then has subtree summaries and part not: the end states
// and bugs stay those of plain enumeration, on one worker and on two.
TEST_CASE("an adaptive state cache that retires mid-exploration loses no end state or bug", "[dpor][cache]") {
  constexpr std::uint64_t kTinyWindow = 4;
  int retired = 0, stayed = 0;
  auto check = [&](const std::function<void()>& body, const Exploration& none) {
    for (DporMode mode : {DporMode::none, DporMode::source, DporMode::optimal}) {
      INFO("mode " << ls::to_string(mode));
      Exploration one = explore_with(body, mode, 0, {}, kCache, kTinyWindow);
      REQUIRE(one.complete);
      REQUIRE(one.final_states == none.final_states);
      REQUIRE(one.bugs == none.bugs);
      (one.cache_retired_after != 0 ? retired : stayed) += 1;
      if (mode == DporMode::none) continue;
      Exploration two = lockstep_test::explore_parallel_with(body, mode, 2, {}, kCache, kTinyWindow);
      REQUIRE(two.complete);
      REQUIRE(two.final_states == none.final_states);
      REQUIRE(two.bugs == none.bugs);
    }
  };
  for (const lockstep_test::Named& s : lockstep_test::corpus()) {
    INFO("scenario: " << s.name);
    check(s.body, explore_with(s.body, DporMode::none));
  }
  lockstep_test::for_random_programs(60, lockstep_test::Family::plain, check);
  lockstep_test::for_random_programs(40, lockstep_test::Family::cluster, check);
  // Both sides of the decision were taken (else this tested only one).
  REQUIRE(retired > 0);
  REQUIRE(stayed > 0);
}

// Readers' orders end in different states (each reader saw the write or not): with the
// windows lockstep-check uses, the cache saves nothing and retires after its first window,
// of 64 executions. The counter server's increments converge: with source DPOR the cache
// saves many times what it runs, window after window (from 4 executions, doubling to 32),
// and stays.
TEST_CASE("the adaptive state cache retires where orders do not converge and stays where they do", "[dpor][cache]") {
  using lockstep::dpor::ExplorerConfig;
  constexpr auto kWindow = ExplorerConfig::kAdaptiveCacheWindow, kFirst = ExplorerConfig::kAdaptiveFirstWindow;
  auto readers = lockstep_classic::readers(11);  // 2^11 executions
  Exploration none = explore_with(readers, DporMode::optimal);
  Exploration adaptive = explore_with(readers, DporMode::optimal, 0, {}, kCache, kWindow, kFirst);
  REQUIRE(adaptive.cache_retired_after == kFirst);
  REQUIRE(adaptive.final_states == none.final_states);
  REQUIRE(adaptive.executions == none.executions);  // optimal: one per trace, cut or not
  // Without a first window, the first is a whole one.
  REQUIRE(explore_with(readers, DporMode::optimal, 0, {}, kCache, kWindow).cache_retired_after == kWindow);
  Exploration two = lockstep_test::explore_parallel_with(readers, DporMode::optimal, 2, {}, kCache, kWindow, kFirst);
  REQUIRE(two.cache_retired_after != 0);
  REQUIRE(two.final_states == none.final_states);

  constexpr std::uint64_t kCounterWindow = 32, kCounterFirst = 4;
  auto counter = lockstep_converging::counter_server(6);
  Exploration plain = explore_with(counter, DporMode::source);
  Exploration kept = explore_with(counter, DporMode::source, 0, {}, kCache, kCounterWindow, kCounterFirst);
  REQUIRE(plain.executions + plain.blocked > 4 * kCounterWindow);  // windows passed: it was weighed
  REQUIRE(kept.executions + kept.blocked > kCounterFirst * (1 + 2 + 4) + kCounterWindow);  // 4, 8, 16, 32
  REQUIRE(kept.cache_retired_after == 0);
  REQUIRE(kept.cache_hits > 0);
  REQUIRE(kept.final_states == plain.final_states);
  REQUIRE(kept.executions < plain.executions);
}

// Plain enumeration keeps no subtree summaries (it races nothing), but a visited state still
// covers: it cuts, where it once cut nothing.
TEST_CASE("plain enumeration with the state cache cuts at visited states", "[dpor][cache]") {
  auto body = lockstep_converging::counter_server(3);
  Exploration none = explore_with(body, DporMode::none);
  Exploration cached = with_cache(body, DporMode::none);
  REQUIRE(cached.cache_hits > 0);
  REQUIRE(cached.executions < none.executions);
  REQUIRE(cached.final_states == none.final_states);
  REQUIRE(cached.bugs == none.bugs);
}

TEST_CASE("the state cache's memory bound is refused below 1M, with the fix named", "[dpor][cache]") {
  ls::Options o;
  o.state_cache = true;
  o.dpor = DporMode::optimal;
  REQUIRE_NOTHROW(o.validate());
  o.max_memory = 1000;
  REQUIRE_THROWS_WITH(o.validate(), Catch::Contains("--max-memory"));
}

// Offline: the same oracle over many more programs (not run by ctest; hidden by its tag):
//   LOCKSTEP_ORACLE_SEEDS=3000 build/tests/test_state_cache "[.oracle]"
TEST_CASE("offline oracle: the state cache over thousands of random programs", "[.oracle]") {
  for (int ops : {3, 4}) {
    for (lockstep_test::Family family :
         {lockstep_test::Family::plain, lockstep_test::Family::cluster, lockstep_test::Family::shared}) {
      std::uint64_t plain = 0, cached = 0, hits = 0, optimal_cached = 0, optimal_hits = 0, retired = 0;
      std::uint64_t programs = lockstep_test::for_oracle_programs(2000, ops, family, [&](const auto& body, const Exploration& none) {
        Exploration source = explore_with(body, DporMode::source);
        Exploration c = with_cache(body, DporMode::source);
        REQUIRE(c.final_states == none.final_states);
        REQUIRE(c.bugs == none.bugs);
        Exploration oc = with_cache(body, DporMode::optimal);
        REQUIRE(oc.final_states == none.final_states);
        REQUIRE(oc.bugs == none.bugs);
        optimal_cached += oc.executions;
        optimal_hits += oc.cache_hits;
        // The adaptive cache with windows of 2 doubling to 4: it retires mid-exploration in many.
        for (DporMode mode : {DporMode::source, DporMode::optimal}) {
          Exploration a = explore_with(body, mode, 0, {}, kCache, 4, 2);
          REQUIRE(a.final_states == none.final_states);
          REQUIRE(a.bugs == none.bugs);
          retired += a.cache_retired_after != 0 ? 1 : 0;
        }
        plain += source.executions;
        cached += c.executions;
        hits += c.cache_hits;
      });
      std::printf("ops <= %d%s: %llu programs, source %llu executions, source + cache %llu (+%llu cut at a visited "
                  "state), optimal + cache %llu (+%llu cut), a tiny adaptive cache retired in %llu runs\n",
                  ops, lockstep_test::describe(family), (unsigned long long)programs, (unsigned long long)plain,
                  (unsigned long long)cached, (unsigned long long)hits, (unsigned long long)optimal_cached,
                  (unsigned long long)optimal_hits, (unsigned long long)retired);
      REQUIRE(retired > 0);
    }
  }
}
