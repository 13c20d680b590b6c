// lockstep::cluster and lockstep::global: nodes, partitions (drop, defer, heal), the
// ticktime, node stop and start, node monitors, per-node registries, ETS names and
// persistent terms, the global registry, and OTP names across nodes.
#include <lockstep/explore.hpp>

#include "dpor_oracle.hpp"

using lockstep_test::exit_reason_of;
using lockstep_test::run_once;
using ls::atom;
using ls::Term;
using ls::tuple;
namespace cl = ls::cluster;

namespace {
const Term a = atom("a@host");
const Term b = atom("b@host");

ls::Pid spawn_on(const Term& node, std::function<void()> f) { return ls::spawn(std::move(f), {.node = node}); }

// A process that forwards whatever it receives to `to`, tagged with `tag`.
std::function<void()> forwarder(ls::Pid to, Term tag) {
  return [to, tag] {
    for (;;) ls::send(to, tuple(tag, ls::receive()));
  };
}

Term down_reason(ls::Ref m) { return ls::receive(ls::match(tuple(atom("DOWN"), m, ls::_, ls::_, ls::_)))[4]; }
}  // namespace

TEST_CASE("cluster nodes: add_node is idempotent, spawn places a process on a node", "[cluster]") {
  std::vector<Term> all, up;
  Term mine, theirs, child_sees;
  auto r = run_once([&] {
    cl::add_node(a);
    cl::add_node(b);
    cl::add_node(a);
    all = cl::nodes();
    up = cl::nodes_up();
    mine = cl::node();
    ls::Pid me = ls::self();
    ls::Pid p = spawn_on(a, [me] { ls::send(me, cl::node()); });
    theirs = cl::node_of(p);
    child_sees = ls::receive();
  });
  REQUIRE(r.ok());
  REQUIRE(all == std::vector<Term>{atom("nonode@nohost"), a, b});
  REQUIRE(up == std::vector<Term>{a, b});
  REQUIRE(mine == atom("nonode@nohost"));
  REQUIRE(theirs == a);
  REQUIRE(child_sees == a);
}

TEST_CASE("spawning on an unknown node is badarg", "[cluster]") {
  Term reason;
  auto r = run_once([&] { reason = exit_reason_of([] { spawn_on(atom("nowhere"), [] {}); }); });
  REQUIRE(r.ok());
  REQUIRE(reason[0] == atom("badarg"));
}

TEST_CASE("a drop partition loses messages between the groups only", "[cluster]") {
  std::vector<Term> got;
  auto r = run_once([&] {
    cl::add_node(a);
    cl::add_node(b);
    ls::Pid me = ls::self();
    ls::Pid on_b = spawn_on(b, forwarder(me, atom("b")));
    ls::Pid on_a = spawn_on(a, forwarder(me, atom("a")));
    cl::partition({a}, {b});
    spawn_on(a, [on_b, on_a] {
      ls::send(on_b, 1);  // across: dropped
      ls::send(on_a, 2);  // same side: delivered
    });
    got.push_back(ls::receive());
    cl::heal();
    spawn_on(a, [on_b] { ls::send(on_b, 3); });  // healed: delivered
    got.push_back(ls::receive());
    auto nothing = ls::receive(ls::match(ls::_), 100);
    got.push_back(nothing ? *nothing : atom("nothing"));
  });
  REQUIRE(r.ok());
  REQUIRE(got == std::vector<Term>{tuple(atom("a"), 2), tuple(atom("b"), 3), atom("nothing")});
}

TEST_CASE("a defer partition delivers held messages on heal in sending order", "[cluster]") {
  std::vector<Term> got;
  bool nothing_before_heal = false;
  auto r = run_once([&] {
    cl::add_node(a);
    cl::add_node(b);
    ls::Pid me = ls::self();
    ls::Pid on_b = spawn_on(b, forwarder(me, atom("b")));
    cl::partition({atom("nonode@nohost"), a}, {b}, cl::Mode::defer);
    ls::Pid sender = spawn_on(a, [on_b] {
      for (int i = 1; i <= 3; ++i) ls::send(on_b, i);
    });
    ls::Ref m = ls::monitor(sender);
    down_reason(m);
    nothing_before_heal = !ls::receive(ls::match(ls::_), 50).has_value();
    cl::heal();
    for (int i = 0; i < 3; ++i) got.push_back(ls::receive());
  });
  REQUIRE(r.ok());
  REQUIRE(nothing_before_heal);
  REQUIRE(got == std::vector<Term>{tuple(atom("b"), 1), tuple(atom("b"), 2), tuple(atom("b"), 3)});
}

TEST_CASE("monitors and links across a partition fire noconnection after the ticktime", "[cluster]") {
  Term monitor_reason, link_exit;
  std::int64_t at = 0;
  auto r = run_once([&] {
    cl::add_node(b);
    cl::set_ticktime(1000);
    ls::trap_exit(true);
    ls::Pid far = spawn_on(b, [] { ls::receive(); });
    ls::Ref m = ls::monitor(far);
    ls::link(far);
    cl::partition({atom("nonode@nohost")}, {b});
    monitor_reason = down_reason(m);
    at = ls::now();
    link_exit = ls::receive(ls::match(tuple(atom("EXIT"), far, ls::_)))[2];
  });
  REQUIRE(r.ok());
  REQUIRE(monitor_reason == atom("noconnection"));
  REQUIRE(link_exit == atom("noconnection"));
  REQUIRE(at == 1000);
}

TEST_CASE("a partition healed within the ticktime fires nothing", "[cluster]") {
  bool quiet = false;
  auto r = run_once([&] {
    cl::add_node(b);
    cl::set_ticktime(1000);
    ls::Pid far = spawn_on(b, [] { ls::receive(); });
    ls::Ref m = ls::monitor(far);
    cl::partition({atom("nonode@nohost")}, {b});
    ls::sleep(500);
    cl::heal();
    quiet = !ls::receive(ls::match(tuple(atom("DOWN"), m, ls::_, ls::_, ls::_)), 5000).has_value();
    ls::exit(far, atom("kill"));
  });
  REQUIRE(r.ok());
  REQUIRE(quiet);
}

TEST_CASE("a death across a partition is reported after heal or as noconnection at the tick", "[cluster]") {
  Term healed_reason, ticked_reason;
  auto r = run_once([&] {
    cl::add_node(b);
    cl::set_ticktime(1000);
    ls::Pid one = spawn_on(b, [] { ls::receive(); });
    ls::Pid two = spawn_on(b, [] { ls::receive(); });
    ls::Ref m1 = ls::monitor(one);
    ls::Ref m2 = ls::monitor(two);
    // Killers on b act 50 ms later, once the partition is in place (spawning across it
    // would fail).
    auto killer = [](ls::Pid victim) {
      return [victim] {
        ls::sleep(50);
        ls::exit(victim, atom("boom"));
      };
    };
    spawn_on(b, killer(one));
    cl::partition({atom("nonode@nohost")}, {b});
    ls::sleep(100);
    cl::heal();  // within the ticktime: the DOWN that waited arrives with its reason
    healed_reason = down_reason(m1);
    spawn_on(b, killer(two));
    cl::partition({atom("nonode@nohost")}, {b});
    ticked_reason = down_reason(m2);  // the ticktime elapses first
  });
  INFO(lockstep_test::trace_text(r));
  REQUIRE(r.ok());
  INFO(lockstep_test::trace_text(r));
  REQUIRE(healed_reason == atom("boom"));
  REQUIRE(ticked_reason == atom("noconnection"));
}

TEST_CASE("stop_node kills its processes, frees names, and notifies watchers", "[cluster]") {
  Term local_view, remote_view, nodedown;
  std::optional<ls::Pid> name_after;
  bool dropped = false;
  std::vector<Term> up_after_stop, up_after_start;
  auto r = run_once([&] {
    cl::add_node(a);
    cl::add_node(b);
    ls::Pid me = ls::self();
    ls::Pid victim = spawn_on(b, [] {
      ls::register_name(atom("svc"), ls::self());
      ls::receive();
    });
    spawn_on(b, [me, victim] {
      ls::Ref m = ls::monitor(victim);
      ls::send(me, tuple(atom("local"), down_reason(m)));
    });
    ls::Ref remote = ls::monitor(victim);
    cl::monitor_node(b);
    ls::sleep(1);
    spawn_on(a, [] { cl::stop_node(b); });
    remote_view = down_reason(remote);
    nodedown = ls::receive(ls::match(tuple(atom("nodedown"), ls::_)));
    name_after = cl::whereis_on(b, atom("svc"));
    up_after_stop = cl::nodes_up();
    ls::send(victim, atom("hello"));  // to a down node: dropped, no error
    dropped = true;
    cl::start_node(b);
    up_after_start = cl::nodes_up();
    ls::Pid fresh = spawn_on(b, [me] { ls::send(me, atom("alive again")); });
    (void)fresh;
    local_view = ls::receive(ls::match(atom("alive again")));
  });
  REQUIRE(r.ok());
  REQUIRE(remote_view == atom("noconnection"));
  REQUIRE(nodedown == tuple(atom("nodedown"), b));
  REQUIRE_FALSE(name_after.has_value());
  REQUIRE(dropped);
  REQUIRE(up_after_stop == std::vector<Term>{a});
  REQUIRE(up_after_start == std::vector<Term>{a, b});
  REQUIRE(local_view == atom("alive again"));
}

TEST_CASE("monitor_node of a down node sends nodedown at once, spawn there is noconnection", "[cluster]") {
  Term nodedown, spawn_reason;
  auto r = run_once([&] {
    cl::add_node(b);
    cl::stop_node(b);
    cl::monitor_node(b);
    nodedown = ls::receive();
    ls::trap_exit(true);
    ls::Pid p = ls::spawn_link([] {}, {.node = b});
    spawn_reason = ls::receive(ls::match(tuple(atom("EXIT"), p, ls::_)))[2];
  });
  REQUIRE(r.ok());
  REQUIRE(nodedown == tuple(atom("nodedown"), b));
  REQUIRE(spawn_reason == atom("noconnection"));
}

TEST_CASE("local names are per node: register, whereis, whereis_on, send to {name, node}", "[cluster]") {
  std::optional<ls::Pid> on_a, on_b, local;
  Term got;
  auto r = run_once([&] {
    cl::add_node(a);
    cl::add_node(b);
    ls::Pid me = ls::self();
    ls::Pid pa = spawn_on(a, [me] {
      ls::register_name(atom("svc"), ls::self());
      ls::send(me, atom("ready"));
      ls::send(me, tuple(atom("a got"), ls::receive()));
    });
    ls::Pid pb = spawn_on(b, [me] {
      ls::register_name(atom("svc"), ls::self());  // the same name, another node: fine
      ls::send(me, atom("ready"));
      ls::receive();
    });
    ls::receive();
    ls::receive();
    on_a = cl::whereis_on(a, atom("svc"));
    on_b = cl::whereis_on(b, atom("svc"));
    local = ls::whereis(atom("svc"));  // not on this node
    ls::send(atom("svc"), a, atom("hi"));
    got = ls::receive(ls::match(tuple(atom("a got"), ls::_)))[1];
    (void)pa;
    (void)pb;
  });
  REQUIRE(r.ok());
  REQUIRE(on_a.has_value());
  REQUIRE(on_b.has_value());
  REQUIRE(*on_a != *on_b);
  REQUIRE_FALSE(local.has_value());
  REQUIRE(got == atom("hi"));
}

TEST_CASE("named ETS tables and persistent terms are per node and wiped by stop_node", "[cluster][ets]") {
  bool here = false, there_by_name = true, term_here = false, term_there = true, wiped = false;
  auto r = run_once([&] {
    cl::add_node(b);
    ls::Pid me = ls::self();
    ls::ets::new_table(atom("t"), {.named = true});
    ls::persistent_term::put(atom("k"), 1);
    spawn_on(b, [me] {
      bool table = ls::ets::whereis(atom("t")).has_value();
      bool term = ls::persistent_term::get(atom("k"), std::nullopt).has_value();
      ls::persistent_term::put(atom("k"), 2);
      ls::send(me, tuple(table, term));
    });
    Term seen = ls::receive();
    there_by_name = seen[0].as_bool();
    term_there = seen[1].as_bool();
    here = ls::ets::whereis(atom("t")).has_value();
    term_here = ls::persistent_term::get(atom("k")) == Term(1);
    cl::stop_node(b);
    cl::start_node(b);
    spawn_on(b, [me] { ls::send(me, Term(!ls::persistent_term::get(atom("k"), std::nullopt).has_value())); });
    wiped = ls::receive().as_bool();
  });
  REQUIRE(r.ok());
  REQUIRE(here);
  REQUIRE_FALSE(there_by_name);
  REQUIRE(term_here);
  REQUIRE_FALSE(term_there);
  REQUIRE(wiped);
}

TEST_CASE("global registry: first wins, whereis, unregister, freed on exit and node stop", "[cluster][global]") {
  bool first = false, second = true, after_unregister = false;
  std::vector<Term> names;
  std::optional<ls::Pid> after_exit, after_stop, found;
  auto r = run_once([&] {
    cl::add_node(b);
    ls::Pid me = ls::self();
    ls::Pid other = ls::spawn([] { ls::receive(); });
    first = ls::global::register_name(atom("leader"), me);
    second = ls::global::register_name(atom("leader"), other);
    found = ls::global::whereis_name(atom("leader"));
    ls::global::register_name(atom("second"), other);
    names = ls::global::registered_names();
    ls::global::unregister_name(atom("leader"));
    after_unregister = ls::global::register_name(atom("leader"), other);
    ls::Ref m = ls::monitor(other);
    ls::exit(other, atom("kill"));
    down_reason(m);
    after_exit = ls::global::whereis_name(atom("leader"));
    ls::Pid far = spawn_on(b, [] { ls::receive(); });
    ls::global::register_name(atom("far"), far);
    cl::stop_node(b);
    after_stop = ls::global::whereis_name(atom("far"));
  });
  REQUIRE(r.ok());
  REQUIRE(first);
  REQUIRE_FALSE(second);
  REQUIRE(found == ls::Pid{1, 0});
  REQUIRE(names == std::vector<Term>{atom("leader"), atom("second")});
  REQUIRE(after_unregister);
  REQUIRE_FALSE(after_exit.has_value());
  REQUIRE_FALSE(after_stop.has_value());
}

TEST_CASE("gen_server calls reach {name, node} and {:global, name}", "[cluster][gen_server]") {
  struct Echo : ls::gen_server::Server {
    ls::gen_server::Action handle_call(const Term& req, const ls::gen_server::From&) override {
      return ls::gen_server::Action::reply(tuple(cl::node(), req));
    }
  };
  Term by_node, by_global;
  auto r = run_once([&] {
    cl::add_node(b);
    ls::Pid me = ls::self();
    spawn_on(b, [me] {
      ls::gen_server::start<Echo>({.name = atom("echo")});
      ls::gen_server::start<Echo>({.name = tuple(atom("global"), atom("g"))});
      ls::send(me, atom("started"));
    });
    ls::receive();
    by_node = ls::gen_server::call(tuple(atom("echo"), b), 1);
    by_global = ls::gen_server::call(tuple(atom("global"), atom("g")), 2);
  });
  REQUIRE(r.ok());
  REQUIRE(by_node == tuple(b, 1));
  REQUIRE(by_global == tuple(b, 2));
}

TEST_CASE("the explorer orders a partition against the sends it cuts", "[cluster][dpor]") {
  auto scenario = [] {
    cl::add_node(b);
    ls::Pid me = ls::self();
    ls::Pid far = spawn_on(b, [me] { ls::send(me, atom("from b")); });
    (void)far;
    cl::partition({atom("nonode@nohost")}, {b});
    auto got = ls::receive(ls::match(ls::_), 10);
    ls::persistent_term::put(atom("got"), got ? *got : atom("nothing"));
  };
  auto none = lockstep_test::explore_with(scenario, ls::DporMode::none);
  auto source = lockstep_test::explore_with(scenario, ls::DporMode::source);
  auto optimal = lockstep_test::explore_with(scenario, ls::DporMode::optimal);
  REQUIRE(none.final_states.size() == 2);  // the message got through, or was cut
  REQUIRE(source.final_states == none.final_states);
  REQUIRE(optimal.final_states == none.final_states);
  REQUIRE(optimal.executions == none.traces.size());
}

namespace {
// Two nodes each run a replier; the root asks both and counts the answers.
void ask_both() {
  cl::add_node(a);
  cl::add_node(b);
  std::vector<ls::Pid> repliers;
  for (const Term& n : {a, b}) {
    repliers.push_back(spawn_on(n, [] {
      Term req = ls::receive();
      ls::send(req.as_pid(), atom("pong"));
    }));
  }
  for (ls::Pid r : repliers) ls::send(r, ls::self());
  int answers = 0;
  for (int i = 0; i < 2; ++i) answers += ls::receive(ls::match(atom("pong")), 100) ? 1 : 0;
  LOCKSTEP_ASSERT(answers >= 1, "some node answers");
}

ls::Options with_faults(const char* list, std::uint32_t max) {
  ls::Options o;
  o.faults = *ls::Faults::parse(list);
  o.faults.max = max;
  return o;
}
}  // namespace

TEST_CASE("injected faults stay within the budget and are explored exhaustively", "[cluster][faults]") {
  // One stop (or partition) cannot silence both nodes; two can.
  REQUIRE(ls::explore(ask_both, ls::Options{}).ok());
  REQUIRE(ls::explore(ask_both, with_faults("stop", 1)).ok());
  REQUIRE(ls::explore(ask_both, with_faults("partition", 1)).ok());
  auto two_stops = ls::explore(ask_both, with_faults("stop", 2));
  REQUIRE_FALSE(two_stops.ok());
  REQUIRE_THAT(lockstep_test::trace_text(two_stops), Catch::Contains("fault: stop_node :a@host"));
  REQUIRE_THAT(lockstep_test::trace_text(two_stops), Catch::Contains("fault: stop_node :b@host"));
  REQUIRE_FALSE(ls::explore(ask_both, with_faults("partition", 2)).ok());
}

TEST_CASE("sampling strategies inject faults and the schedule replays them", "[cluster][faults]") {
  ls::Options o = with_faults("defer,stop", 2);
  o.strategy = ls::StrategyKind::random;
  o.iterations = 2000;
  o.seed = 1;
  auto r = ls::check(ask_both, o);
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.counterexample().schedule.faults == o.faults);
  auto again = ls::check(ask_both, lockstep_test::replaying(r.counterexample()));
  REQUIRE_FALSE(again.ok());
  REQUIRE(lockstep_test::trace_text(again) == lockstep_test::trace_text(r));
}

TEST_CASE("with injected faults every mode reaches the same end states and bugs", "[cluster][faults][dpor]") {
  // One replier on a@host; the root asks and waits: a partition or a stop loses the answer.
  auto ask_one = [] {
    cl::add_node(a);
    ls::Pid r = spawn_on(a, [] {
      Term req = ls::receive();
      ls::send(req.as_pid(), atom("pong"));
    });
    ls::send(r, ls::self());
    LOCKSTEP_ASSERT(ls::receive(ls::match(atom("pong")), 100).has_value(), "the answer arrives");
  };
  for (const char* kinds : {"partition", "defer", "stop", "partition,stop"}) {
    for (std::uint32_t max : {1u, 2u}) {
      ls::Faults f = *ls::Faults::parse(kinds);
      f.max = max;
      INFO(kinds << " max " << max);
      auto none = lockstep_test::explore_with(ask_one, ls::DporMode::none, 0, f);
      auto source = lockstep_test::explore_with(ask_one, ls::DporMode::source, 0, f);
      auto optimal = lockstep_test::explore_with(ask_one, ls::DporMode::optimal, 0, f);
      REQUIRE(none.bugs.size() == 1);
      REQUIRE(source.bugs == none.bugs);
      REQUIRE(optimal.bugs == none.bugs);
      REQUIRE(source.final_states == none.final_states);
      REQUIRE(optimal.final_states == none.final_states);
      REQUIRE(source.executions <= none.executions);
    }
  }
}

// Traffic a deferring partition holds reaches each process in sending order at the heal, so
// two held sends to one process are ordered like two sends to its mailbox; the heal releases
// destination by destination, so holds to different processes commute.
TEST_CASE("held sends to one process are explored in both orders", "[cluster][dpor]") {
  auto scenario = [] {
    cl::add_node(b);
    ls::Pid me = ls::self();
    ls::Pid far = spawn_on(b, [me] {
      ls::Term first = ls::receive();
      ls::Term second = ls::receive();
      ls::send(me, tuple(first, second));
    });
    cl::partition({atom("nonode@nohost")}, {b}, cl::Mode::defer);
    ls::Pid one = ls::spawn([far] { ls::send(far, 1); });
    ls::Pid two = ls::spawn([far] { ls::send(far, 2); });
    (void)one, (void)two;
    ls::receive(ls::match(atom("never")), 5);  // both have sent (or not) by now
    cl::heal();
    ls::persistent_term::put(atom("got"), ls::receive());
  };
  auto none = lockstep_test::explore_with(scenario, ls::DporMode::none);
  auto optimal = lockstep_test::explore_with(scenario, ls::DporMode::optimal);
  REQUIRE(none.final_states.size() >= 2);  // {1, 2} or {2, 1}
  REQUIRE(optimal.final_states == none.final_states);
  REQUIRE(optimal.bugs == none.bugs);
}
