// Timers and virtual time: send_after, cancel_timer, now, sleep; deadline order.
#include "support.hpp"

using lockstep_test::run_once;
using ls::atom;

TEST_CASE("now starts at 0 and only moves when everything waits", "[timers]") {
  std::vector<std::int64_t> times;
  auto r = run_once([&] {
    times.push_back(ls::now());
    ls::sleep(40);
    times.push_back(ls::now());
    ls::sleep(0);
    times.push_back(ls::now());
  });
  REQUIRE(r.ok());
  REQUIRE(times == std::vector<std::int64_t>{0, 40, 40});
}

TEST_CASE("send_after delivers at its deadline", "[timers]") {
  std::int64_t at = -1;
  ls::Term got;
  auto r = run_once([&] {
    ls::send_after(ls::self(), atom("tick"), 30);
    got = ls::receive();
    at = ls::now();
  });
  REQUIRE(r.ok());
  REQUIRE(got == atom("tick"));
  REQUIRE(at == 30);
}

TEST_CASE("timers fire in deadline order, ties in creation order", "[timers]") {
  std::vector<ls::Term> got;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    ls::send_after(me, 3, 300);
    ls::send_after(me, 1, 100);
    ls::send_after(me, 2, 100);
    for (int i = 0; i < 3; ++i) got.push_back(ls::receive());
  });
  REQUIRE(r.ok());
  REQUIRE(got == std::vector<ls::Term>{1, 2, 3});
}

TEST_CASE("cancel_timer returns the time left, or nullopt once fired or cancelled", "[timers]") {
  std::optional<std::int64_t> first, second, fired;
  std::optional<ls::Term> stray;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    ls::TimerRef t = ls::send_after(me, atom("cancelled"), 100);
    ls::sleep(30);
    first = ls::cancel_timer(t);
    second = ls::cancel_timer(t);
    ls::TimerRef u = ls::send_after(me, atom("fires"), 10);
    ls::receive(ls::match(atom("fires")));
    fired = ls::cancel_timer(u);
    stray = ls::receive(ls::match(ls::_), 1000);
  });
  REQUIRE(r.ok());
  REQUIRE(first == 70);
  REQUIRE_FALSE(second.has_value());
  REQUIRE_FALSE(fired.has_value());
  REQUIRE_FALSE(stray.has_value());  // the cancelled message never arrives
}

TEST_CASE("a timer to a process that died is cancelled", "[timers]") {
  std::int64_t end = -1;
  auto r = run_once([&] {
    ls::Pid child = ls::spawn([] { ls::receive(); });
    ls::send_after(child, atom("late"), 500);
    ls::exit(child, atom("kill"));
    ls::sleep(10);
    end = ls::now();
  });
  REQUIRE(r.ok());
  REQUIRE(end == 10);
}

TEST_CASE("receive timeouts and timers share one deadline order", "[timers]") {
  std::vector<std::string> order;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    ls::spawn([&order] {
      ls::receive(ls::match(atom("x")), 50);
      order.push_back("child timeout");
    });
    ls::send_after(me, atom("t"), 20);
    ls::receive(ls::match(atom("t")));
    order.push_back("timer");
    ls::sleep(100);
    order.push_back("root wakes");
  });
  REQUIRE(r.ok());
  REQUIRE(order == std::vector<std::string>{"timer", "child timeout", "root wakes"});
}

TEST_CASE("negative delays are usage errors", "[timers]") {
  auto r = run_once([] { ls::send_after(ls::self(), 1, -5); });
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.counterexample().message.find("send_after delay must be >= 0") != std::string::npos);
}
