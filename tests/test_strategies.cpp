// Strategies: each finds a known race; seeds make runs reproducible; replay reproduces.
#include <set>

#include "support.hpp"

using ls::atom;
using ls::StrategyKind;

namespace {
// A get-then-set race on a counter process: found only under a specific interleaving.
void lost_update() {
  ls::Pid counter = ls::spawn([] {
    std::int64_t value = 0;
    for (;;) {
      ls::Term m = ls::receive();
      if (m[0].is_atom("get")) ls::send(m[1].as_pid(), value);
      else value = m[1].as_int();
    }
  });
  ls::Pid me = ls::self();
  for (int i = 0; i < 2; ++i) {
    ls::spawn([=] {
      ls::send(counter, ls::tuple(atom("get"), ls::self()));
      std::int64_t v = ls::receive().as_int();
      ls::send(counter, ls::tuple(atom("set"), v + 1));
      ls::send(me, atom("done"));
    });
  }
  ls::receive();
  ls::receive();
  ls::send(counter, ls::tuple(atom("get"), me));
  LOCKSTEP_ASSERT(ls::receive().as_int() == 2, "no lost update");
}
}  // namespace

TEST_CASE("every sampling strategy finds the lost update", "[strategies]") {
  auto kind = GENERATE(StrategyKind::random, StrategyKind::pct, StrategyKind::fair_pct,
                       StrategyKind::pos, StrategyKind::idpct);
  INFO("strategy " << ls::to_string(kind));
  auto r = ls::check(lost_update, lockstep_test::sampling(kind, 2000));
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.counterexample().message == "assertion failed: no lost update (ls::receive().as_int() == 2)");
  REQUIRE(r.counterexample().seed != 0);
}

TEST_CASE("first always picks the lowest pid, so every iteration is the same", "[strategies]") {
  auto r = ls::check(lost_update, lockstep_test::sampling(StrategyKind::first, 10));
  REQUIRE(r.executions == 10);
  // With the lowest pid first, the counter server serialises both clients: no bug.
  REQUIRE(r.ok());
}

TEST_CASE("the same seed gives the same result and trace", "[strategies]") {
  auto kind = GENERATE(StrategyKind::random, StrategyKind::pct, StrategyKind::pos, StrategyKind::idpct);
  auto a = ls::check(lost_update, lockstep_test::sampling(kind, 2000, 7));
  auto b = ls::check(lost_update, lockstep_test::sampling(kind, 2000, 7));
  REQUIRE_FALSE(a.ok());
  REQUIRE(a.executions == b.executions);
  REQUIRE(a.counterexample().iteration == b.counterexample().iteration);
  REQUIRE(a.counterexample().schedule.steps == b.counterexample().schedule.steps);
  REQUIRE(a.counterexample().format_trace() == b.counterexample().format_trace());
}

TEST_CASE("different seeds explore different schedules", "[strategies]") {
  std::set<std::vector<std::uint32_t>> schedules;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    auto r = ls::check(lost_update, lockstep_test::sampling(StrategyKind::random, 2000, seed));
    REQUIRE_FALSE(r.ok());
    schedules.insert(r.counterexample().schedule.steps);
  }
  REQUIRE(schedules.size() > 1);
}

TEST_CASE("replaying a counterexample's schedule reproduces its trace exactly", "[strategies]") {
  auto found = ls::check(lost_update, lockstep_test::sampling(StrategyKind::random, 2000));
  REQUIRE_FALSE(found.ok());
  auto again = ls::check(lost_update, lockstep_test::replaying(found.counterexample()));
  REQUIRE(again.executions == 1);
  REQUIRE_FALSE(again.ok());
  REQUIRE(again.counterexample().format_trace() == found.counterexample().format_trace());
  REQUIRE(again.counterexample().signature() == found.counterexample().signature());
}

TEST_CASE("a schedule that does not fit the scenario is a replay divergence", "[strategies]") {
  auto found = ls::check(lost_update, lockstep_test::sampling(StrategyKind::random, 2000));
  REQUIRE_FALSE(found.ok());
  ls::Options o = lockstep_test::replaying(found.counterexample());
  auto other_scenario = [] {
    ls::Pid me = ls::self();
    ls::spawn([me] { ls::send(me, 1); });
    ls::spawn([me] { ls::send(me, 2); });
    ls::receive();
    ls::receive();
  };
  REQUIRE_THROWS_WITH(ls::check(other_scenario, o), Catch::Contains("replay diverged"));
  // Extra choices that are never needed are also a divergence.
  o.replay->steps.push_back(1);
  REQUIRE_THROWS_WITH(ls::check(lost_update, o), Catch::Contains("replay diverged"));
}

TEST_CASE("a scenario that depends on state outside the scheduler is reported", "[strategies]") {
  // A global that survives between executions makes the replay behave differently.
  static int runs = 0;
  runs = 0;
  auto r = ls::check(
      [] {
        ++runs;
        ls::Pid me = ls::self();
        ls::spawn([me] { ls::send(me, 1); });
        if (runs == 1) ls::spawn([me] { ls::send(me, 2); });
        ls::receive();
        LOCKSTEP_ASSERT(runs > 1, "first run fails");
      },
      lockstep_test::sampling(StrategyKind::random, 5));
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.counterexample().kind == ls::CounterexampleKind::nondeterminism);
  REQUIRE_THAT(r.counterexample().message, Catch::Contains("nondeterministic scenario"));
}

TEST_CASE("keep_going collects distinct counterexamples only", "[strategies]") {
  auto o = lockstep_test::sampling(StrategyKind::random, 300);
  o.keep_going = true;
  auto r = ls::check(
      [] {
        ls::Pid me = ls::self();
        ls::spawn([me] { ls::send(me, 1); });
        ls::spawn([me] { ls::send(me, 2); });
        ls::Term first = ls::receive();
        ls::receive();
        LOCKSTEP_ASSERT(first.as_int() != 1, "1 first");
        LOCKSTEP_ASSERT(first.as_int() != 2, "2 first");
      },
      o);
  REQUIRE(r.executions == 300);
  REQUIRE(r.counterexamples.size() == 2);
}

TEST_CASE("options are validated with messages naming the fix", "[strategies]") {
  ls::Options o;
  o.iterations = 0;
  REQUIRE_THROWS_WITH(ls::check([] {}, o), Catch::Contains("--iterations"));
  o = ls::Options{};
  o.pct_depth = 0;
  REQUIRE_THROWS_AS(ls::check([] {}, o), ls::ConfigError);
  o = ls::Options{};
  o.resample_prob = 1.5;
  REQUIRE_THROWS_WITH(ls::check([] {}, o), Catch::Contains("--resample-prob"));
  o = ls::Options{};
  o.strategy = StrategyKind::replay;
  REQUIRE_THROWS_WITH(ls::check([] {}, o), Catch::Contains("--replay FILE"));
  REQUIRE_THROWS_WITH(ls::check("no_such_scenario", ls::Options{}), Catch::Contains("unknown scenario"));
}
