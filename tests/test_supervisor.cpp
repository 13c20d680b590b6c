// lockstep::supervisor: strategies, restart types, restart intensity, child management,
// and children's terminate on shutdown.
#include "support.hpp"

using lockstep_test::run_once;
using ls::atom;
using ls::Term;
using ls::tuple;
namespace gs = ls::gen_server;
namespace sup = ls::supervisor;

namespace {

// A worker that registers its pid in `log` on start and its reason on terminate.
struct Worker : gs::Server {
  std::vector<Term>* log;
  Term id;
  Worker(std::vector<Term>* l, Term i) : log(l), id(std::move(i)) {}
  gs::Init init() override {
    ls::trap_exit(true);  // so that a shutdown runs terminate
    log->push_back(tuple(atom("start"), id));
    return gs::Init::ok();
  }
  gs::Action handle_call(const Term& req, const gs::From&) override {
    if (req.is_atom("crash")) return gs::Action::stop(atom("crashed"), atom("ok"));
    if (req.is_atom("quit")) return gs::Action::stop(atom("normal"), atom("ok"));
    return gs::Action::reply(id);
  }
  void terminate(const Term& reason) override { log->push_back(tuple(atom("terminate"), id, reason)); }
};

sup::ChildSpec child(std::vector<Term>* log, const char* id, sup::Restart r = sup::Restart::permanent) {
  auto spec = sup::worker<Worker>(atom(id), {.name = atom(id)}, log, atom(id));
  spec.restart = r;
  return spec;
}

// Crashes the named child and waits until the supervisor has dealt with it: its EXIT
// reaches the supervisor before our call does (or the supervisor has shut down).
void crash(ls::Pid s, const char* id) {
  ls::Ref m = ls::monitor(*gs::whereis(atom(id)));
  gs::call(atom(id), atom("crash"));
  ls::receive(ls::match(tuple(atom("DOWN"), m, ls::_, ls::_, ls::_)));
  try {
    (void)sup::count_children(s);
  } catch (const ls::ErlangError&) {
    // the supervisor gave up
  }
}

std::vector<Term> starts(const std::vector<Term>& log) {
  std::vector<Term> out;
  for (const Term& e : log) {
    if (e[0] == atom("start")) out.push_back(e[1]);
  }
  return out;
}

}  // namespace

TEST_CASE("supervisor one_for_one restarts only the crashed child", "[supervisor]") {
  std::vector<Term> log;
  auto r = run_once([&] {
    ls::Pid s = sup::start_link({child(&log, "a"), child(&log, "b")}).pid;
    crash(s, "a");
  });
  INFO(lockstep_test::trace_text(r));
  REQUIRE(r.ok());
  REQUIRE(starts(log) == std::vector<Term>{atom("a"), atom("b"), atom("a")});
}

TEST_CASE("supervisor one_for_all restarts every child", "[supervisor]") {
  std::vector<Term> log;
  auto r = run_once([&] {
    ls::Pid s = sup::start_link({child(&log, "a"), child(&log, "b"), child(&log, "c")},
                                {.strategy = sup::Strategy::one_for_all}).pid;
    crash(s, "b");
  });
  INFO(lockstep_test::trace_text(r));
  REQUIRE(r.ok());
  REQUIRE(starts(log) == std::vector<Term>{atom("a"), atom("b"), atom("c"), atom("a"), atom("b"), atom("c")});
  // The survivors were shut down in reverse start order, running terminate.
  REQUIRE(log[4] == tuple(atom("terminate"), atom("c"), atom("shutdown")));
  REQUIRE(log[5] == tuple(atom("terminate"), atom("a"), atom("shutdown")));
}

TEST_CASE("supervisor rest_for_one restarts the child and those started after it", "[supervisor]") {
  std::vector<Term> log;
  auto r = run_once([&] {
    ls::Pid s = sup::start_link({child(&log, "a"), child(&log, "b"), child(&log, "c")},
                                {.strategy = sup::Strategy::rest_for_one}).pid;
    crash(s, "b");
  });
  INFO(lockstep_test::trace_text(r));
  REQUIRE(r.ok());
  REQUIRE(starts(log) == std::vector<Term>{atom("a"), atom("b"), atom("c"), atom("b"), atom("c")});
}

TEST_CASE("transient children restart only on abnormal exits and temporary ones never", "[supervisor]") {
  std::vector<Term> log;
  std::vector<sup::Child> children;
  auto r = run_once([&] {
    ls::Pid s = sup::start_link({child(&log, "t", sup::Restart::transient),
                                 child(&log, "tmp", sup::Restart::temporary)}).pid;
    crash(s, "t");  // abnormal: restarted
    ls::Pid t = *gs::whereis(atom("t"));
    ls::Ref m = ls::monitor(t);
    gs::call(atom("t"), atom("quit"));  // normal: not restarted
    ls::receive(ls::match(tuple(atom("DOWN"), m, ls::_, ls::_, ls::_)));
    crash(s, "tmp");  // temporary: gone
    children = sup::which_children(s);
  });
  INFO(lockstep_test::trace_text(r));
  REQUIRE(r.ok());
  REQUIRE(starts(log) == std::vector<Term>{atom("t"), atom("tmp"), atom("t")});
  REQUIRE(children.size() == 1);  // the temporary child's spec is gone
  REQUIRE(children[0].id == atom("t"));
  REQUIRE_FALSE(children[0].pid.has_value());
}

TEST_CASE("supervisor exceeding its restart intensity shuts down", "[supervisor]") {
  std::vector<Term> log;
  Term reason;
  auto r = run_once([&] {
    ls::trap_exit(true);
    ls::Pid s = sup::start_link({child(&log, "a"), child(&log, "b")}, {.max_restarts = 2, .period_ms = 1000}).pid;
    ls::Ref m = ls::monitor(s);
    for (int i = 0; i < 3; ++i) crash(s, "a");
    reason = ls::receive(ls::match(tuple(atom("DOWN"), m, ls::_, ls::_, ls::_)))[4];
  });
  INFO(lockstep_test::trace_text(r));
  REQUIRE(r.ok());
  REQUIRE(reason == atom("shutdown"));
  REQUIRE(starts(log).size() == 4);  // a, b, then a twice; the third crash is one too many
  REQUIRE(log.back() == tuple(atom("terminate"), atom("b"), atom("shutdown")));
}

TEST_CASE("restarts spread over time stay within the intensity", "[supervisor]") {
  std::vector<Term> log;
  bool alive = false;
  auto r = run_once([&] {
    ls::Pid s = sup::start_link({child(&log, "a")}, {.max_restarts = 1, .period_ms = 100}).pid;
    for (int i = 0; i < 3; ++i) {
      crash(s, "a");
      ls::sleep(200);  // each restart falls outside the last one's period
    }
    alive = ls::alive(s);
  });
  INFO(lockstep_test::trace_text(r));
  REQUIRE(r.ok());
  REQUIRE(alive);
  REQUIRE(starts(log).size() == 4);
}

TEST_CASE("supervisor start_child, terminate_child, restart_child, delete_child, count", "[supervisor]") {
  std::vector<Term> log;
  Term dup, running, missing;
  sup::Counts before{}, after{};
  bool terminated = false, deleted = false, delete_running = true;
  auto r = run_once([&] {
    ls::Pid s = sup::start_link({}).pid;
    auto a = sup::start_child(s, child(&log, "a"));
    dup = sup::start_child(s, child(&log, "a")).error;
    before = sup::count_children(s);
    running = sup::restart_child(s, atom("a")).error;
    delete_running = sup::delete_child(s, atom("a"));
    terminated = sup::terminate_child(s, atom("a"));
    after = sup::count_children(s);
    auto again = sup::restart_child(s, atom("a"));
    terminated = terminated && again && !(again.pid == a.pid);
    sup::terminate_child(s, atom("a"));
    deleted = sup::delete_child(s, atom("a"));
    missing = sup::restart_child(s, atom("a")).error;
  });
  INFO(lockstep_test::trace_text(r));
  REQUIRE(r.ok());
  REQUIRE(dup == atom("already_present"));
  REQUIRE(before.specs == 1);
  REQUIRE(before.active == 1);
  REQUIRE(running == atom("running"));
  REQUIRE_FALSE(delete_running);
  REQUIRE(terminated);
  REQUIRE(after.active == 0);
  REQUIRE(deleted);
  REQUIRE(missing == atom("not_found"));
  REQUIRE(log[1] == tuple(atom("terminate"), atom("a"), atom("shutdown")));
}

TEST_CASE("a child that fails to start stops the supervisor's start", "[supervisor]") {
  struct Refuses : gs::Server {
    gs::Init init() override { return gs::Init::stop(atom("nope")); }
  };
  Term error;
  auto r = run_once([&] {
    ls::trap_exit(true);  // the failing start_link sends us its exit
    error = sup::start_link({sup::worker<Refuses>(atom("bad"))}).error;
  });
  INFO(lockstep_test::trace_text(r));
  REQUIRE(r.ok());
  REQUIRE(error == tuple(atom("shutdown"), tuple(atom("failed_to_start_child"), atom("bad"), atom("nope"))));
}
