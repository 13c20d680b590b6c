// The local name registry: register_name, unregister_name, whereis, registered, send by name.
#include "support.hpp"

using lockstep_test::run_once;
using ls::atom;

TEST_CASE("register_name binds a name that whereis finds", "[names]") {
  std::optional<ls::Pid> found, missing;
  bool ok = false;
  ls::Pid child;
  auto r = run_once([&] {
    child = ls::spawn([] { ls::receive(); });
    ok = ls::register_name(atom("server"), child);
    found = ls::whereis(atom("server"));
    missing = ls::whereis(atom("other"));
  });
  REQUIRE(r.ok());
  REQUIRE(ok);
  REQUIRE(found == child);
  REQUIRE_FALSE(missing.has_value());
}

TEST_CASE("register_name fails for a taken name, a named process or a dead one", "[names]") {
  bool taken = true, renamed = true, dead = true;
  auto r = run_once([&] {
    ls::Pid a = ls::spawn([] { ls::receive(); });
    ls::Pid b = ls::spawn([] { ls::receive(); });
    ls::Pid gone = ls::spawn([] {});
    ls::sleep(1);
    ls::register_name(atom("a"), a);
    taken = ls::register_name(atom("a"), b);
    renamed = ls::register_name(atom("a2"), a);
    dead = ls::register_name(atom("ghost"), gone);
  });
  REQUIRE(r.ok());
  REQUIRE_FALSE(taken);
  REQUIRE_FALSE(renamed);
  REQUIRE_FALSE(dead);
}

TEST_CASE("unregister_name frees the name and unregistering twice is harmless", "[names]") {
  std::optional<ls::Pid> after;
  bool again = false;
  auto r = run_once([&] {
    ls::register_name(atom("me"), ls::self());
    ls::unregister_name(atom("me"));
    ls::unregister_name(atom("me"));
    after = ls::whereis(atom("me"));
    again = ls::register_name(atom("me"), ls::self());
  });
  REQUIRE(r.ok());
  REQUIRE_FALSE(after.has_value());
  REQUIRE(again);
}

TEST_CASE("a name is freed when its process exits", "[names]") {
  std::optional<ls::Pid> after;
  auto r = run_once([&] {
    ls::Pid child = ls::spawn([] { ls::receive(); });
    ls::register_name(atom("worker"), child);
    ls::Ref ref = ls::monitor(child);
    ls::exit(child, atom("kill"));
    ls::receive(ls::match(ls::tuple(atom("DOWN"), ref, ls::_, ls::_, ls::_)));
    after = ls::whereis(atom("worker"));
  });
  REQUIRE(r.ok());
  REQUIRE_FALSE(after.has_value());
}

TEST_CASE("registered lists names in term order", "[names]") {
  std::vector<ls::Term> names;
  auto r = run_once([&] {
    ls::register_name(atom("zeta"), ls::self());
    ls::register_name(atom("alpha"), ls::spawn([] { ls::receive(); }));
    names = ls::registered();
  });
  REQUIRE(r.ok());
  REQUIRE(names == std::vector<ls::Term>{atom("alpha"), atom("zeta")});
}

TEST_CASE("send to a registered name delivers to its process", "[names]") {
  ls::Term got;
  auto r = run_once([&] {
    ls::register_name(atom("inbox"), ls::self());
    ls::spawn([] { ls::send(atom("inbox"), 42); });
    ls::spawn([] { ls::send(atom("inbox"), atom("nonode@nohost"), 43); });
    got = ls::list({ls::receive(), ls::receive()});
  });
  REQUIRE(r.ok());
  REQUIRE(got == ls::list({42, 43}));
}

TEST_CASE("send to an unregistered name raises badarg but {name, node} drops", "[names]") {
  ls::Term reason;
  bool dropped_ok = false;
  auto r = run_once([&] {
    ls::Pid child = ls::spawn([] { ls::send(atom("nobody"), 1); });
    ls::Ref ref = ls::monitor(child);
    reason = ls::receive(ls::match(ls::tuple(atom("DOWN"), ref, ls::_, ls::_, ls::_)))[4];
    ls::send(atom("nobody"), atom("nonode@nohost"), 1);
    dropped_ok = true;
  });
  REQUIRE(r.ok());
  REQUIRE(reason[0] == atom("badarg"));
  REQUIRE(dropped_ok);
}
