// Links, monitors, exit signals and trap_exit, with Erlang semantics.
#include "support.hpp"

using lockstep_test::run_once;
using ls::_;
using ls::atom;
using ls::tuple;

namespace {
ls::Term down_for(ls::Ref ref) {
  return ls::receive(ls::match(tuple(atom("DOWN"), ref, atom("process"), _, _)));
}
}  // namespace

TEST_CASE("a monitor delivers DOWN with the exit reason", "[exits]") {
  ls::Term down;
  ls::Pid child;
  auto r = run_once([&] {
    child = ls::spawn([] { ls::exit(atom("boom")); });
    ls::Ref ref = ls::monitor(child);
    down = down_for(ref);
    LOCKSTEP_ASSERT(down[1] == ls::Term(ref));
  });
  REQUIRE(r.ok());
  REQUIRE(down[3] == ls::Term(child));
  REQUIRE(down[4] == atom("boom"));
}

TEST_CASE("monitoring a dead process delivers noproc at once", "[exits]") {
  ls::Term down;
  auto r = run_once([&] {
    ls::Pid child = ls::spawn([] {});
    ls::Ref first = ls::monitor(child);
    down_for(first);
    ls::Ref second = ls::monitor(child);
    down = down_for(second);
  });
  REQUIRE(r.ok());
  REQUIRE(down[4] == atom("noproc"));
}

TEST_CASE("demonitor stops DOWN and with flush removes one already delivered", "[exits]") {
  std::optional<ls::Term> after_demonitor, after_flush;
  auto r = run_once([&] {
    ls::Pid a = ls::spawn([] { ls::receive(); });
    ls::Ref ra = ls::monitor(a);
    ls::demonitor(ra);
    ls::exit(a, atom("kill"));
    after_demonitor = ls::receive(ls::match(_), 100);

    ls::Pid b = ls::spawn([] {});
    ls::Ref rb = ls::monitor(b);
    ls::sleep(1);  // b has exited: its DOWN is in the mailbox
    ls::demonitor(rb, true);
    after_flush = ls::receive(ls::match(_), 100);
  });
  REQUIRE(r.ok());
  REQUIRE_FALSE(after_demonitor.has_value());
  REQUIRE_FALSE(after_flush.has_value());
}

TEST_CASE("an abnormal exit kills a linked process that does not trap exits", "[exits]") {
  ls::Term down;
  auto r = run_once([&] {
    ls::Pid waiter = ls::spawn([] {
      ls::Pid crasher = ls::spawn_link([] {
        ls::receive();
        ls::exit(atom("crash"));
      });
      ls::send(crasher, atom("go"));
      ls::receive();  // never returns: killed through the link
    });
    ls::Ref ref = ls::monitor(waiter);
    down = down_for(ref);
  });
  REQUIRE(r.ok());
  REQUIRE(down[4] == atom("crash"));
}

TEST_CASE("a normal exit does not kill a linked process", "[exits]") {
  bool still_alive = false;
  auto r = run_once([&] {
    ls::Pid child = ls::spawn_link([] {});
    ls::Ref ref = ls::monitor(child);
    down_for(ref);
    still_alive = ls::alive(ls::self());
  });
  REQUIRE(r.ok());
  REQUIRE(still_alive);
}

TEST_CASE("trap_exit turns exit signals into EXIT messages", "[exits]") {
  ls::Term exit_msg, normal_msg;
  bool previous = true;
  auto r = run_once([&] {
    previous = ls::trap_exit(true);
    ls::Pid child = ls::spawn_link([] { ls::exit(atom("oops")); });
    exit_msg = ls::receive();
    ls::Pid calm = ls::spawn_link([] {});
    normal_msg = ls::receive();
    LOCKSTEP_ASSERT(exit_msg[1] == ls::Term(child));
    LOCKSTEP_ASSERT(normal_msg[1] == ls::Term(calm));
  });
  REQUIRE(r.ok());
  REQUIRE_FALSE(previous);
  REQUIRE(exit_msg[0] == atom("EXIT"));
  REQUIRE(exit_msg[2] == atom("oops"));
  REQUIRE(normal_msg[2] == atom("normal"));
}

TEST_CASE("kill is untrappable and the victim exits with killed", "[exits]") {
  ls::Term down;
  auto r = run_once([&] {
    ls::Pid victim = ls::spawn([] {
      ls::trap_exit(true);
      for (;;) ls::receive();
    });
    ls::Ref ref = ls::monitor(victim);
    ls::exit(victim, atom("kill"));
    down = down_for(ref);
  });
  REQUIRE(r.ok());
  REQUIRE(down[4] == atom("killed"));
}

TEST_CASE("exit signals with other reasons kill or are trapped", "[exits]") {
  ls::Term trapped, down;
  bool ignored_normal_alive = false;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    ls::Pid trapper = ls::spawn([me] {
      ls::trap_exit(true);
      ls::send(me, ls::receive());
    });
    ls::sleep(1);
    ls::exit(trapper, atom("shutdown"));
    trapped = ls::receive();

    ls::Pid plain = ls::spawn([] { ls::receive(); });
    ls::exit(plain, atom("normal"));  // ignored by a non-trapping process
    ignored_normal_alive = ls::alive(plain);
    ls::Ref ref = ls::monitor(plain);
    ls::exit(plain, atom("stop"));
    down = down_for(ref);
  });
  REQUIRE(r.ok());
  REQUIRE(trapped[0] == atom("EXIT"));
  REQUIRE(trapped[2] == atom("shutdown"));
  REQUIRE(ignored_normal_alive);
  REQUIRE(down[4] == atom("stop"));
}

TEST_CASE("exit(self(), normal) ends the caller", "[exits]") {
  ls::Term down;
  auto r = run_once([&] {
    ls::Pid child = ls::spawn([] {
      ls::exit(ls::self(), atom("normal"));
      ls::fail("unreachable: the process exited");
    });
    down = down_for(ls::monitor(child));
  });
  REQUIRE(r.ok());
  REQUIRE(down[4] == atom("normal"));
}

TEST_CASE("linking a dead process sends the caller a noproc exit signal", "[exits]") {
  ls::Term msg;
  auto r = run_once([&] {
    ls::Pid dead = ls::spawn([] {});
    ls::sleep(1);
    ls::trap_exit(true);
    ls::link(dead);
    msg = ls::receive();
  });
  REQUIRE(r.ok());
  REQUIRE(msg == tuple(atom("EXIT"), ls::Pid{2, 0}, atom("noproc")));
}

TEST_CASE("unlink removes the link in both directions", "[exits]") {
  bool survived = false;
  auto r = run_once([&] {
    ls::Pid child = ls::spawn_link([] {
      ls::receive();
      ls::exit(atom("bad"));
    });
    ls::unlink(child);
    ls::send(child, atom("go"));
    ls::Ref ref = ls::monitor(child);
    down_for(ref);
    survived = true;
  });
  REQUIRE(survived);
  REQUIRE(r.ok());
}

TEST_CASE("a killed process's stack is unwound: destructors run", "[exits]") {
  static int destroyed = 0;
  struct Guard {
    ~Guard() { ++destroyed; }
  };
  destroyed = 0;
  auto r = run_once([&] {
    ls::Pid victim = ls::spawn([] {
      Guard g;
      ls::receive();
    });
    ls::sleep(1);
    ls::exit(victim, atom("kill"));
    ls::sleep(1);
  });
  REQUIRE(r.ok());
  REQUIRE(destroyed == 1);
}

TEST_CASE("an uncaught C++ exception is an abnormal exit with its message", "[exits]") {
  ls::Term reason;
  auto r = run_once([&] {
    ls::Pid child = ls::spawn([] { throw std::runtime_error("disk on fire"); });
    reason = down_for(ls::monitor(child))[4];
  });
  REQUIRE(r.ok());
  REQUIRE(reason == tuple(atom("exception"), ls::binary("disk on fire")));
}

TEST_CASE("badarg raised inside a process becomes its exit reason", "[exits]") {
  ls::Term reason;
  auto r = run_once([&] {
    ls::Pid child = ls::spawn([] { (void)atom("x").as_int(); });
    reason = down_for(ls::monitor(child))[4];
  });
  REQUIRE(r.ok());
  REQUIRE(reason[0] == atom("badarg"));
}

TEST_CASE("alive reports whether a process is running", "[exits]") {
  bool before = false, after = true;
  auto r = run_once([&] {
    ls::Pid child = ls::spawn([] { ls::receive(); });
    before = ls::alive(child);
    ls::Ref ref = ls::monitor(child);
    ls::exit(child, atom("kill"));
    down_for(ref);
    after = ls::alive(child);
  });
  REQUIRE(r.ok());
  REQUIRE(before);
  REQUIRE_FALSE(after);
}

TEST_CASE("exit propagates along a chain of links", "[exits]") {
  ls::Term reason;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    ls::Pid head = ls::spawn([me] {
      ls::Pid middle = ls::spawn_link([me] {
        ls::Pid tail = ls::spawn_link([] { ls::receive(); });
        ls::send(me, tail);
        ls::receive();
      });
      (void)middle;
      ls::receive();
      ls::exit(atom("cascade"));
    });
    ls::Pid tail = ls::receive().as_pid();
    ls::Ref ref = ls::monitor(tail);
    ls::send(head, atom("go"));
    reason = down_for(ref)[4];
  });
  REQUIRE(r.ok());
  REQUIRE(reason == atom("cascade"));
}
