// How an execution ends: normal end, deadlock, assertion, fail(), step bound, crashes.
#include "support.hpp"

using lockstep_test::run_once;
using ls::atom;
using ls::CounterexampleKind;

TEST_CASE("an execution whose root returns ends normally even with servers waiting", "[outcomes]") {
  auto r = run_once([] { ls::spawn([] { ls::receive(); }); });
  REQUIRE(r.ok());
  REQUIRE(r.executions == 1);
}

TEST_CASE("a blocked root with nothing runnable is a deadlock naming what waits", "[outcomes]") {
  auto r = run_once([] {
    ls::Pid other = ls::spawn([] { ls::receive(ls::match(atom("ping"))); });
    ls::send(other, atom("pong"));
    ls::receive(ls::match(ls::tuple(atom("reply"), ls::_)));
  });
  REQUIRE_FALSE(r.ok());
  const auto& cx = r.counterexample();
  REQUIRE(cx.kind == CounterexampleKind::deadlock);
  REQUIRE_THAT(cx.message, Catch::Contains("#PID<0.1.0> (root) in receive {:reply, _}"));
  REQUIRE_THAT(cx.message, Catch::Contains("#PID<0.2.0> in receive :ping with 1 message"));
  REQUIRE_THAT(cx.message, Catch::Contains("[:pong]"));
}

TEST_CASE("a failed LOCKSTEP_ASSERT is a counterexample at its file and line", "[outcomes]") {
  int line = 0;
  auto r = run_once([&] {
    line = __LINE__ + 1;
    LOCKSTEP_ASSERT(1 + 1 == 3, "arithmetic holds");
  });
  REQUIRE_FALSE(r.ok());
  const auto& cx = r.counterexample();
  REQUIRE(cx.kind == CounterexampleKind::assertion);
  REQUIRE(cx.message == "assertion failed: arithmetic holds (1 + 1 == 3)");
  REQUIRE(cx.location == "tests/test_outcomes.cpp:" + std::to_string(line));
  REQUIRE_THAT(cx.format_trace(), Catch::Contains("fails: assertion failed"));
}

TEST_CASE("an assertion without a message names the condition", "[outcomes]") {
  auto r = run_once([] {
    int x = 1;
    LOCKSTEP_ASSERT(x == 2);
  });
  REQUIRE(r.counterexample().message == "assertion failed: x == 2");
}

TEST_CASE("fail() in any process ends the execution with a counterexample", "[outcomes]") {
  auto r = run_once([] {
    ls::spawn([] { ls::fail("invariant broken"); });
    ls::receive();
  });
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.counterexample().message == "failure: invariant broken");
  REQUIRE_THAT(r.counterexample().location, Catch::Contains("test_outcomes.cpp"));
}

TEST_CASE("exceeding the step bound is a livelock counterexample", "[outcomes]") {
  ls::Options o;
  o.max_steps = 50;
  auto r = run_once(
      [] {
        for (;;) ls::send(ls::self(), 1), ls::receive();
      },
      o);
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.counterexample().kind == CounterexampleKind::step_bound);
  REQUIRE_THAT(r.counterexample().message, Catch::Contains("--max-steps"));
}

TEST_CASE("an unwatched crash is a warning by default and a counterexample on request", "[outcomes]") {
  auto body = [] {
    ls::spawn([] { throw std::runtime_error("lonely crash"); });
    ls::sleep(1);
  };
  auto warned = run_once(body);
  REQUIRE(warned.ok());
  REQUIRE(warned.warnings.size() == 1);
  REQUIRE_THAT(warned.warnings[0].message, Catch::Contains("lonely crash"));
  REQUIRE_THAT(warned.warnings[0].message, Catch::Contains("nothing links or monitors it"));

  ls::Options o;
  o.fail_on_crash = true;
  auto failed = run_once(body, o);
  REQUIRE_FALSE(failed.ok());
  REQUIRE(failed.counterexample().kind == CounterexampleKind::crash);
}

TEST_CASE("a watched crash is not a warning", "[outcomes]") {
  auto r = run_once([] {
    ls::Pid p = ls::spawn([] {
      ls::receive();
      throw std::runtime_error("expected");
    });
    ls::Ref ref = ls::monitor(p);
    ls::send(p, 1);
    ls::receive(ls::match(ls::tuple(atom("DOWN"), ref, ls::_, ls::_, ls::_)));
  });
  REQUIRE(r.ok());
  REQUIRE(r.warnings.empty());
}

TEST_CASE("a shutdown exit is not a crash", "[outcomes]") {
  ls::Options o;
  o.fail_on_crash = true;
  auto r = run_once([] { ls::spawn([] { ls::exit(atom("shutdown")); }); }, o);
  REQUIRE(r.ok());
}

TEST_CASE("a crashing root is a counterexample", "[outcomes]") {
  auto r = run_once([] { throw std::logic_error("root broke"); });
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.counterexample().kind == CounterexampleKind::crash);
  REQUIRE_THAT(r.counterexample().message, Catch::Contains("root broke"));
}

TEST_CASE("every fiber stack goes back to the pool, however the execution ends", "[outcomes]") {
  // Each of these leaves processes suspended; teardown must unwind them all. A leak would
  // trip the assertion in the Controller's destructor and in teardown.
  std::vector<std::function<void()>> bodies = {
      [] { ls::spawn([] { ls::receive(); }); },
      [] {
        ls::spawn([] { ls::receive(); });
        ls::receive();
      },
      [] {
        ls::spawn([] { ls::receive(); });
        LOCKSTEP_ASSERT(false);
      },
  };
  for (auto& b : bodies) {
    auto r = lockstep::check(b, lockstep_test::sampling(ls::StrategyKind::random, 20));
    REQUIRE(r.executions >= 1);
  }
}
