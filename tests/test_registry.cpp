// lockstep::registry: unique and duplicate keys, lookup, dispatch, unregister, keys, and
// entries removed when their owner exits.
#include "support.hpp"

using lockstep_test::run_once;
using ls::atom;
using ls::Term;
using ls::tuple;
namespace reg = ls::registry;

TEST_CASE("a unique registry holds one process per key", "[registry]") {
  bool first = false, second = true;
  std::size_t entries = 0;
  Term value;
  auto r = run_once([&] {
    reg::start_link(atom("r"), reg::Keys::unique);
    first = reg::register_key(atom("r"), atom("k"), atom("v"));
    ls::Pid me = ls::self();
    ls::spawn([me] { ls::send(me, Term(reg::register_key(atom("r"), atom("k")))); });
    second = ls::receive().as_bool();
    auto found = reg::lookup(atom("r"), atom("k"));
    entries = found.size();
    value = found.at(0).second;
  });
  REQUIRE(r.ok());
  REQUIRE(first);
  REQUIRE_FALSE(second);
  REQUIRE(entries == 1);
  REQUIRE(value == atom("v"));
}

TEST_CASE("a duplicate registry holds many, with dispatch, keys and unregister", "[registry]") {
  std::vector<Term> dispatched;
  std::vector<Term> my_keys;
  std::size_t after = 9;
  auto r = run_once([&] {
    reg::start_link(atom("pubsub"), reg::Keys::duplicate);
    ls::Pid me = ls::self();
    for (int i = 0; i < 2; ++i) {
      ls::spawn([me, i] {
        reg::register_key(atom("pubsub"), atom("topic"), i);
        ls::send(me, atom("registered"));
        ls::send(me, ls::receive());  // echo one message
      });
    }
    ls::receive();
    ls::receive();
    reg::register_key(atom("pubsub"), atom("mine"));
    my_keys = reg::keys(atom("pubsub"), me);
    reg::dispatch(atom("pubsub"), atom("topic"), [](const std::vector<std::pair<ls::Pid, Term>>& entries) {
      for (const auto& [pid, value] : entries) ls::send(pid, tuple(atom("news"), value));
    });
    dispatched.push_back(ls::receive());
    dispatched.push_back(ls::receive());
    std::sort(dispatched.begin(), dispatched.end());
    reg::unregister(atom("pubsub"), atom("mine"));
    after = reg::keys(atom("pubsub"), me).size();
  });
  REQUIRE(r.ok());
  REQUIRE(my_keys == std::vector<Term>{atom("mine")});
  REQUIRE(dispatched == std::vector<Term>{tuple(atom("news"), 0), tuple(atom("news"), 1)});
  REQUIRE(after == 0);
}

TEST_CASE("registry entries vanish when their owner exits", "[registry]") {
  std::size_t before = 0;
  bool retaken = false;
  auto r = run_once([&] {
    reg::start_link(atom("r"), reg::Keys::unique);
    ls::Pid me = ls::self();
    ls::Pid owner = ls::spawn([me] {
      reg::register_key(atom("r"), atom("k"));
      ls::send(me, atom("ok"));
      ls::receive();
    });
    ls::receive();
    before = reg::lookup(atom("r"), atom("k")).size();
    ls::exit(owner, atom("kill"));
    // Removal is asynchronous: wait until the registry has processed the EXIT (were the
    // entry never removed, this would loop into the step bound and fail the run).
    while (!reg::lookup(atom("r"), atom("k")).empty()) ls::sleep(1);
    retaken = reg::register_key(atom("r"), atom("k"));
  });
  REQUIRE(r.ok());
  REQUIRE(before == 1);
  REQUIRE(retaken);
}

TEST_CASE("an unknown registry is badarg", "[registry]") {
  Term reason;
  auto r = run_once([&] {
    reason = lockstep_test::exit_reason_of([] { reg::lookup(atom("none"), atom("k")); });
  });
  REQUIRE(r.ok());
  REQUIRE(reason[0] == atom("badarg"));
}
