// lockstep::gen_server: start (named, failing init, ignore), call, cast, deferred reply,
// handle_info, stop and terminate, call timeouts with late replies, calls to dead servers.
#include "support.hpp"

using lockstep_test::exit_reason_of;
using lockstep_test::run_once;
using ls::atom;
using ls::Term;
using ls::tuple;
namespace gs = ls::gen_server;
using gs::Action;

namespace {

// Counts; replies later to :deferred; records what it was told.
struct Counter : gs::Server {
  std::int64_t n = 0;
  std::vector<Term>* log;
  explicit Counter(std::vector<Term>* l) : log(l) {}
  gs::Init init() override {
    log->push_back(atom("init"));
    return gs::Init::ok();
  }
  Action handle_call(const Term& req, const gs::From& from) override {
    if (req == atom("inc")) return Action::reply(++n);
    if (req == atom("deferred")) {
      gs::reply(from, atom("later"));
      return Action::noreply();
    }
    if (req == atom("stop")) return Action::stop(atom("normal"), atom("bye"));
    if (req == atom("crash")) throw ls::BadArg("crash requested");
    return gs::Server::handle_call(req, from);
  }
  Action handle_cast(const Term& msg) override {
    n += msg.as_int();
    return Action::noreply();
  }
  Action handle_info(const Term& msg) override {
    log->push_back(msg);
    return Action::noreply();
  }
  void terminate(const Term& reason) override { log->push_back(tuple(atom("terminate"), reason)); }
};

struct Refuses : gs::Server {
  gs::Init init() override { return gs::Init::stop(atom("no_way")); }
};
struct Ignores : gs::Server {
  gs::Init init() override { return gs::Init::ignore(); }
};
// Never answers :slow in time; the reply arrives after the caller gave up.
struct Slow : gs::Server {
  Action handle_call(const Term& req, const gs::From&) override {
    if (req == atom("slow")) ls::sleep(100);
    return Action::reply(tuple(atom("answer"), req));
  }
};

}  // namespace

TEST_CASE("gen_server start runs init, then call, cast and handle_info", "[gen_server]") {
  std::vector<Term> log;
  std::vector<Term> replies;
  auto r = run_once([&] {
    auto started = gs::start<Counter>({}, &log);
    ls::Pid p = started.pid;
    replies.push_back(gs::call(p, atom("inc")));
    gs::cast(p, 10);
    replies.push_back(gs::call(p, atom("inc")));
    ls::send(p, atom("hello"));
    replies.push_back(gs::call(p, atom("deferred")));
    replies.push_back(gs::call(p, atom("stop")));
    ls::Ref m = ls::monitor(p);
    ls::receive(ls::match(tuple(atom("DOWN"), m, ls::_, ls::_, ls::_)));
  });
  REQUIRE(r.ok());
  REQUIRE(replies == std::vector<Term>{Term(1), Term(12), atom("later"), atom("bye")});
  REQUIRE(log == std::vector<Term>{atom("init"), atom("hello"), tuple(atom("terminate"), atom("normal"))});
}

TEST_CASE("gen_server names: local registration, already_started, cast to a name", "[gen_server]") {
  std::vector<Term> log;
  Term second, by_name;
  bool same = false;
  auto r = run_once([&] {
    auto first = gs::start<Counter>({.name = atom("counter")}, &log);
    auto again = gs::start<Counter>({.name = atom("counter")}, &log);
    second = again.error;
    same = gs::whereis(atom("counter")) == first.pid;
    gs::cast(atom("counter"), 5);
    gs::cast(atom("nobody"), 5);  // dropped, no error
    by_name = gs::call(atom("counter"), atom("inc"));
  });
  REQUIRE(r.ok());
  REQUIRE(second[0] == atom("already_started"));
  REQUIRE(same);
  REQUIRE(by_name == Term(6));
}

TEST_CASE("gen_server init stop and ignore are start errors", "[gen_server]") {
  Term refused, ignored_error;
  bool ignored = false;
  auto r = run_once([&] {
    auto a = gs::start<Refuses>();
    refused = a.error;
    auto b = gs::start<Ignores>();
    ignored = b.ignored && !b;
    ignored_error = b.error;
  });
  REQUIRE(r.ok());
  REQUIRE(refused == atom("no_way"));
  REQUIRE(ignored);
  REQUIRE(ignored_error == atom("ignore"));
}

TEST_CASE("a call to a dead or unregistered server exits the caller with noproc", "[gen_server]") {
  Term to_pid, to_name;
  auto r = run_once([&] {
    ls::Pid dead = ls::spawn([] {});
    ls::Ref m = ls::monitor(dead);
    ls::receive(ls::match(tuple(atom("DOWN"), m, ls::_, ls::_, ls::_)));
    to_pid = exit_reason_of([dead] { gs::call(dead, atom("hi")); });
    to_name = exit_reason_of([] { gs::call(atom("nobody"), atom("hi")); });
  });
  REQUIRE(r.ok());
  REQUIRE(to_pid[0] == atom("noproc"));
  REQUIRE(to_pid[1][0] == atom("gen_server"));
  REQUIRE(to_name[0] == atom("noproc"));
}

TEST_CASE("a server that crashes in a callback runs terminate and the caller gets its reason", "[gen_server]") {
  std::vector<Term> log;
  Term reason, bad_call;
  auto r = run_once([&] {
    ls::Pid p = gs::start<Counter>({}, &log).pid;
    reason = exit_reason_of([p] { gs::call(p, atom("crash")); });
    ls::Pid q = gs::start<Counter>({}, &log).pid;
    bad_call = exit_reason_of([q] { gs::call(q, atom("what")); });
  });
  REQUIRE(r.ok());
  REQUIRE(reason[0][0] == atom("badarg"));
  REQUIRE(log.at(1)[0] == atom("terminate"));
  REQUIRE(bad_call[0] == tuple(atom("bad_call"), atom("what")));
}

TEST_CASE("a call timeout exits the caller and the late reply stays in its mailbox", "[gen_server]") {
  Term reason, stale;
  auto r = run_once([&] {
    ls::Pid server = gs::start<Slow>().pid;
    try {
      gs::call(server, atom("slow"), 10);
    } catch (const ls::ErlangError& e) {
      reason = e.reason();
    }
    stale = ls::receive();  // the reply, arriving after the timeout
  });
  REQUIRE(r.ok());
  REQUIRE(reason[0] == atom("timeout"));
  REQUIRE(reason[1] == tuple(atom("gen_server"), atom("call"), ls::list({Term(ls::Pid{2, 0}), atom("slow"), 10})));
  REQUIRE(stale[1] == tuple(atom("answer"), atom("slow")));
}

TEST_CASE("gen_server stop runs terminate with the reason and waits for the exit", "[gen_server]") {
  std::vector<Term> log;
  bool alive_after = true;
  Term stopping_dead;
  auto r = run_once([&] {
    ls::Pid p = gs::start<Counter>({}, &log).pid;
    gs::stop(p, atom("shutdown"));
    alive_after = ls::alive(p);
    stopping_dead = exit_reason_of([p] { gs::stop(p); });
  });
  REQUIRE(r.ok());
  REQUIRE_FALSE(alive_after);
  REQUIRE(log.back() == tuple(atom("terminate"), atom("shutdown")));
  REQUIRE(stopping_dead[0] == atom("noproc"));
}

TEST_CASE("a trapping gen_server terminates when its parent exits", "[gen_server]") {
  struct Trapping : gs::Server {
    std::vector<Term>* log;
    explicit Trapping(std::vector<Term>* l) : log(l) {}
    gs::Init init() override {
      ls::trap_exit(true);
      return gs::Init::ok();
    }
    void terminate(const Term& reason) override { log->push_back(reason); }
  };
  std::vector<Term> log;
  Term server_reason;
  auto r = run_once([&] {
    ls::Pid me = ls::self();
    ls::Pid parent = ls::spawn([me, &log] {
      ls::Pid server = gs::start_link<Trapping>({}, &log).pid;
      ls::send(me, server);
      ls::receive();
      ls::exit(atom("going"));
    });
    ls::Pid server = ls::receive().as_pid();
    ls::Ref m = ls::monitor(server);
    ls::send(parent, atom("go"));
    server_reason = ls::receive(ls::match(tuple(atom("DOWN"), m, ls::_, ls::_, ls::_)))[4];
  });
  REQUIRE(r.ok());
  REQUIRE(log == std::vector<Term>{atom("going")});
  REQUIRE(server_reason == atom("going"));
}

TEST_CASE("gen_server via a registry name", "[gen_server][registry]") {
  std::vector<Term> log;
  Term reply;
  bool taken = false;
  auto r = run_once([&] {
    ls::registry::start_link(atom("reg"), ls::registry::Keys::unique);
    Term name = tuple(atom("via"), atom("reg"), atom("counter"));
    gs::start<Counter>({.name = name}, &log);
    taken = !gs::start<Counter>({.name = name}, &log);
    reply = gs::call(name, atom("inc"));
  });
  REQUIRE(r.ok());
  REQUIRE(taken);
  REQUIRE(reply == Term(1));
}
