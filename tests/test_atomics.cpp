// lockstep::atomics: each operation's semantics, and its races explored.
#include "support.hpp"

using lockstep_test::run_once;

TEST_CASE("atomics operations follow Erlang's atomics", "[atomics]") {
  std::vector<std::int64_t> seen;
  auto r = run_once([&] {
    auto a = ls::atomics::new_array(3);
    seen.push_back(static_cast<std::int64_t>(a.size()));
    seen.push_back(a.get(0));
    a.put(0, 5);
    seen.push_back(a.get(0));
    a.add(0, 2);
    seen.push_back(a.add_get(0, 3));
    a.sub(0, 1);
    seen.push_back(a.sub_get(0, 4));
    seen.push_back(a.exchange(1, 9));
    seen.push_back(a.get(1));
    seen.push_back(a.compare_exchange(1, 9, 11));  // succeeds: returns the expected value
    seen.push_back(a.compare_exchange(1, 9, 12));  // fails: returns the actual value
    seen.push_back(a.get(1));
  });
  REQUIRE(r.ok());
  REQUIRE(seen == std::vector<std::int64_t>{3, 0, 5, 10, 5, 0, 9, 9, 11, 11});
}

TEST_CASE("an out-of-range index is badarg", "[atomics]") {
  ls::Term reason;
  auto r = run_once([&] {
    reason = lockstep_test::exit_reason_of([] { (void)ls::atomics::new_array(2).get(7); });
  });
  REQUIRE(r.ok());
  REQUIRE(reason[0] == ls::atom("badarg"));
}

TEST_CASE("a get-then-put race on an atomic is found and add_get is not racy", "[atomics]") {
  auto racy = [] {
    auto a = ls::atomics::new_array(1);
    ls::Pid me = ls::self();
    for (int i = 0; i < 2; ++i) {
      ls::spawn([a, me]() {
        a.put(0, a.get(0) + 1);
        ls::send(me, ls::atom("done"));
      });
    }
    ls::receive();
    ls::receive();
    LOCKSTEP_ASSERT(a.get(0) == 2, "no lost increment");
  };
  auto safe = [] {
    auto a = ls::atomics::new_array(1);
    ls::Pid me = ls::self();
    for (int i = 0; i < 2; ++i) {
      ls::spawn([a, me]() {
        a.add_get(0, 1);
        ls::send(me, ls::atom("done"));
      });
    }
    ls::receive();
    ls::receive();
    LOCKSTEP_ASSERT(a.get(0) == 2, "no lost increment");
  };
  REQUIRE_FALSE(ls::check(racy, lockstep_test::sampling(ls::StrategyKind::random, 500)).ok());
  REQUIRE(ls::check(safe, lockstep_test::sampling(ls::StrategyKind::random, 500)).ok());
}

TEST_CASE("nif_sync is a scheduling point recorded in the trace", "[atomics]") {
  // Two processes each do check-then-act on a plain shared int behind nif_sync: the
  // interleaving between the check and the act is explored, and the trace names the kind.
  auto body = [] {
    auto cache = std::make_shared<int>(0);
    ls::Pid me = ls::self();
    for (int i = 0; i < 2; ++i) {
      ls::spawn([cache, me] {
        ls::nif_sync(ls::tuple(ls::atom("ets_lookup"), ls::atom("cache")),
                     {.object = 7, .key = 1, .whole_object = false, .write = false});
        bool missing = *cache == 0;
        if (missing) {
          ls::nif_sync(ls::tuple(ls::atom("ets_insert"), ls::atom("cache")),
                       {.object = 7, .key = 1, .whole_object = false, .write = true});
          *cache += 1;
        }
        ls::send(me, ls::atom("done"));
      });
    }
    ls::receive();
    ls::receive();
    LOCKSTEP_ASSERT(*cache == 1, "the value is computed once");
  };
  auto r = ls::check(body, lockstep_test::sampling(ls::StrategyKind::random, 500));
  REQUIRE_FALSE(r.ok());
  REQUIRE_THAT(r.counterexample().format_trace(), Catch::Contains("nif {:ets_insert, :cache}"));
  REQUIRE_THAT(r.counterexample().format_trace(), Catch::Contains("nif {:ets_lookup, :cache}"));
  REQUIRE_THROWS_AS(ls::nif_sync(ls::atom("outside")), ls::UsageError);
}
