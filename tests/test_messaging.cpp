// Messaging: spawn, send, receive (plain, selective, with timeouts), mailbox order.
#include "support.hpp"

using lockstep_test::run_once;
using ls::atom;
using ls::tuple;

TEST_CASE("a message sent to a process is received", "[messaging]") {
  ls::Term got;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    ls::spawn([me] { ls::send(me, tuple(atom("hello"), 1)); });
    got = ls::receive();
  });
  REQUIRE(r.ok());
  REQUIRE(got == tuple(atom("hello"), 1));
}

TEST_CASE("messages from one sender arrive in the order sent", "[messaging]") {
  std::vector<std::int64_t> got;
  auto r = lockstep_test::run_once([&] {
    ls::Pid me = ls::self();
    ls::spawn([me] {
      for (int i = 0; i < 5; ++i) ls::send(me, i);
    });
    for (int i = 0; i < 5; ++i) got.push_back(ls::receive().as_int());
  });
  REQUIRE(r.ok());
  REQUIRE(got == std::vector<std::int64_t>{0, 1, 2, 3, 4});
}

TEST_CASE("per-sender order holds under every sampled interleaving", "[messaging]") {
  auto r = ls::check(
      [] {
        ls::Pid me = ls::self();
        for (int s = 0; s < 2; ++s) {
          ls::spawn([me, s] {
            for (int i = 0; i < 3; ++i) ls::send(me, tuple(s, i));
          });
        }
        std::int64_t next[2] = {0, 0};
        for (int k = 0; k < 6; ++k) {
          ls::Term m = ls::receive();
          auto s = m[0].as_int();
          LOCKSTEP_ASSERT(m[1].as_int() == next[s], "FIFO per sender");
          ++next[s];
        }
      },
      lockstep_test::sampling(ls::StrategyKind::random, 200));
  REQUIRE(r.ok());
  REQUIRE(r.executions == 200);
}

TEST_CASE("selective receive takes the first matching message and keeps the rest", "[messaging]") {
  std::vector<ls::Term> got;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    ls::send(me, atom("a"));
    ls::send(me, tuple(atom("b"), 1));
    ls::send(me, tuple(atom("b"), 2));
    got.push_back(ls::receive(ls::match(tuple(atom("b"), ls::_))));
    got.push_back(ls::receive([](const ls::Term& t) { return t.is_atom(); }));
    got.push_back(ls::receive());
  });
  REQUIRE(r.ok());
  REQUIRE(got == std::vector<ls::Term>{tuple(atom("b"), 1), atom("a"), tuple(atom("b"), 2)});
}

TEST_CASE("a mailbox keeps arrival order as it wraps around and grows under selective receives",
          "[messaging]") {
  // The mailbox is a ring buffer: taking the oldest moves its start, so later sends wrap
  // past the end of its array, and taking one from the middle closes the gap.
  std::vector<std::int64_t> got;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    for (int i = 0; i < 3; ++i) ls::send(me, i);
    got.push_back(ls::receive().as_int());                                                   // 0
    for (int i = 3; i < 12; ++i) ls::send(me, i);                                           // wraps, grows
    got.push_back(ls::receive([](const ls::Term& t) { return t.as_int() == 7; }).as_int());  // middle
    got.push_back(ls::receive([](const ls::Term& t) { return t.as_int() > 9; }).as_int());   // 10
    while (got.size() < 12) got.push_back(ls::receive().as_int());
  });
  REQUIRE(r.ok());
  REQUIRE(got == std::vector<std::int64_t>{0, 7, 10, 1, 2, 3, 4, 5, 6, 8, 9, 11});
}

TEST_CASE("a receive blocked on a pattern wakes when a matching message arrives", "[messaging]") {
  ls::Term got;
  auto r = lockstep::check(
      [&] {
        ls::Pid me = ls::self();
        ls::spawn([me] {
          ls::send(me, atom("noise"));
          ls::send(me, atom("signal"));
        });
        got = ls::receive(ls::match(atom("signal")));
        LOCKSTEP_ASSERT(ls::receive() == atom("noise"));
      },
      lockstep_test::sampling(ls::StrategyKind::random, 50));
  REQUIRE(r.ok());
  REQUIRE(got == atom("signal"));
}

TEST_CASE("receive with a timeout returns nullopt when nothing matches in time", "[messaging]") {
  std::optional<ls::Term> got = ls::atom("unset");
  std::int64_t at = -1;
  auto r = run_once([&] {
    got = ls::receive(ls::match(atom("never")), 250);
    at = ls::now();
  });
  REQUIRE(r.ok());
  REQUIRE_FALSE(got.has_value());
  REQUIRE(at == 250);  // virtual time jumped to the deadline
}

TEST_CASE("receive with a timeout takes a message that arrives before the deadline", "[messaging]") {
  std::optional<ls::Term> got;
  std::int64_t at = -1;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    ls::spawn([me] {
      ls::sleep(100);
      ls::send(me, atom("late but in time"));
    });
    got = ls::receive(ls::match(ls::_), 500);
    at = ls::now();
  });
  REQUIRE(r.ok());
  REQUIRE(got == atom("late but in time"));
  REQUIRE(at == 100);
}

TEST_CASE("receive after 0 polls the mailbox", "[messaging]") {
  std::optional<ls::Term> empty_poll, full_poll;
  auto r = run_once([&] {
    empty_poll = ls::receive(ls::match(ls::_), 0);
    ls::send(ls::self(), 5);
    full_poll = ls::receive(ls::match(ls::_), 0);
  });
  REQUIRE(r.ok());
  REQUIRE_FALSE(empty_poll.has_value());
  REQUIRE(full_poll == ls::Term(5));
}

TEST_CASE("a message sent to a dead process is dropped", "[messaging]") {
  bool sent = false;
  auto r = run_once([&] {
    ls::Pid child = ls::spawn([] {});
    ls::Ref m = ls::monitor(child);
    ls::receive(ls::match(tuple(atom("DOWN"), m, ls::_, ls::_, ls::_)));
    ls::send(child, atom("into the void"));
    sent = true;
  });
  REQUIRE(r.ok());
  REQUIRE(sent);
}

TEST_CASE("spawn returns distinct pids numbered per execution", "[messaging]") {
  std::vector<ls::Pid> pids;
  auto body = [&] {
    pids.push_back(ls::self());
    pids.push_back(ls::spawn([] {}));
    pids.push_back(ls::spawn([] {}));
  };
  REQUIRE(run_once(body).ok());
  REQUIRE(run_once(body).ok());
  REQUIRE(pids.size() == 6);
  REQUIRE(pids[0].id == 1);
  REQUIRE(pids[1].id == 2);
  REQUIRE(pids[2].id == 3);
  REQUIRE(pids[3] == pids[0]);  // the second execution numbers from scratch
  REQUIRE(pids[0].to_string() == "#PID<0.1.0>");
}

TEST_CASE("make_ref gives fresh references per process", "[messaging]") {
  std::vector<ls::Ref> refs;
  auto r = run_once([&] {
    refs.push_back(ls::make_ref());
    refs.push_back(ls::make_ref());
  });
  REQUIRE(r.ok());
  REQUIRE(refs[0] != refs[1]);
  REQUIRE(refs[0].owner == 1);
}

TEST_CASE("sync points outside a managed process are usage errors", "[messaging]") {
  REQUIRE_THROWS_AS(ls::self(), ls::UsageError);
  REQUIRE_THROWS_AS(ls::send(ls::Pid{1, 0}, 1), ls::UsageError);
  REQUIRE_THROWS_AS(ls::receive(), ls::UsageError);
  REQUIRE_THROWS_WITH(ls::now(), Catch::Contains("outside a managed process"));
}
