// lockstep::gen_statem: transitions with call/cast/info, postpone, state timeouts, event
// timeouts, next_event, and stop with terminate.
#include "support.hpp"

using lockstep_test::run_once;
using ls::atom;
using ls::Term;
using ls::tuple;
namespace sm = ls::gen_statem;
using sm::Event;
using sm::EventType;
using sm::Result;

namespace {

// locked --{:unlock, code}--> open --state_timeout--> locked. `:push` is postponed while
// locked and handled once open. Every handled event is logged.
struct Door : sm::Machine {
  std::vector<Term>* log;
  std::int64_t open_ms;
  Door(std::vector<Term>* l, std::int64_t ms) : log(l), open_ms(ms) {}
  Result init() override { return Result::next_state(atom("locked")); }
  Result handle_event(const Event& e, const Term& state) override {
    log->push_back(tuple(state, e.content));
    if (state == atom("locked")) {
      if (e.type == EventType::call && e.content == tuple(atom("unlock"), 1234)) {
        return Result::next_state(atom("open"), {sm::Action::reply(e.from, atom("ok")),
                                                 sm::Action::state_timeout(open_ms, atom("lock"))});
      }
      if (e.type == EventType::call) return Result::keep_state({sm::Action::reply(e.from, atom("locked"))});
      if (e.type == EventType::cast && e.content == atom("push")) return Result::keep_state({sm::Action::postpone()});
      return Result::keep_state();
    }
    if (e.type == EventType::state_timeout) return Result::next_state(atom("locked"));
    if (e.type == EventType::call && e.content == atom("state")) {
      return Result::keep_state({sm::Action::reply(e.from, state)});
    }
    return Result::keep_state();
  }
  void terminate(const Term& reason, const Term& state) override { log->push_back(tuple(atom("terminate"), reason, state)); }
};

}  // namespace

TEST_CASE("gen_statem transitions on calls and replies through actions", "[gen_statem]") {
  std::vector<Term> log;
  std::vector<Term> replies;
  auto r = run_once([&] {
    ls::Pid door = sm::start<Door>({}, &log, std::int64_t{1000}).pid;
    replies.push_back(sm::call(door, tuple(atom("unlock"), 1)));
    replies.push_back(sm::call(door, tuple(atom("unlock"), 1234)));
    replies.push_back(sm::call(door, atom("state")));
    sm::stop(door);
  });
  REQUIRE(r.ok());
  REQUIRE(replies == std::vector<Term>{atom("locked"), atom("ok"), atom("open")});
  REQUIRE(log.back() == tuple(atom("terminate"), atom("normal"), atom("open")));
}

TEST_CASE("gen_statem postponed events are retried after a state change", "[gen_statem]") {
  std::vector<Term> log;
  auto r = run_once([&] {
    ls::Pid door = sm::start<Door>({}, &log, std::int64_t{1000}).pid;
    sm::cast(door, atom("push"));
    sm::call(door, tuple(atom("unlock"), 1234));
    sm::call(door, atom("state"));
  });
  REQUIRE(r.ok());
  // push (postponed), unlock, then push again first thing in the open state; at last,
  // with nothing else to run, the state timeout fires.
  REQUIRE(log == std::vector<Term>{tuple(atom("locked"), atom("push")),
                                   tuple(atom("locked"), tuple(atom("unlock"), 1234)),
                                   tuple(atom("open"), atom("push")), tuple(atom("open"), atom("state")),
                                   tuple(atom("open"), atom("lock"))});
}

TEST_CASE("gen_statem state timeouts fire in the state and are cancelled by leaving it", "[gen_statem]") {
  std::vector<Term> log;
  Term after_timeout;
  auto r = run_once([&] {
    ls::Pid door = sm::start<Door>({}, &log, std::int64_t{50}).pid;
    sm::call(door, tuple(atom("unlock"), 1234));
    ls::sleep(100);  // the door locks itself after 50 ms
    after_timeout = sm::call(door, atom("state"));
  });
  REQUIRE(r.ok());
  REQUIRE(after_timeout == atom("locked"));
  REQUIRE(log.at(1) == tuple(atom("open"), atom("lock")));
}

TEST_CASE("gen_statem event timeouts fire when idle and any event cancels them", "[gen_statem]") {
  // Counts :tick events; each event re-arms a 30 ms event timeout that reports :idle.
  struct Idle : sm::Machine {
    std::vector<Term>* log;
    explicit Idle(std::vector<Term>* l) : log(l) {}
    Result init() override { return Result::next_state(0, {sm::Action::timeout(30, atom("idle"))}); }
    Result handle_event(const Event& e, const Term& state) override {
      if (e.type == EventType::timeout) {
        log->push_back(tuple(atom("idle_after"), state));
        return Result::keep_state();
      }
      return Result::next_state(state.as_int() + 1, {sm::Action::timeout(30, atom("idle"))});
    }
  };
  std::vector<Term> log;
  auto r = run_once([&] {
    ls::Pid m = sm::start<Idle>({}, &log).pid;
    for (int i = 0; i < 3; ++i) {
      ls::sleep(20);  // within the timeout: each tick cancels it
      ls::send(m, atom("tick"));
    }
    ls::sleep(100);
  });
  REQUIRE(r.ok());
  REQUIRE(log == std::vector<Term>{tuple(atom("idle_after"), 3)});
}

TEST_CASE("gen_statem next_event is handled before queued events", "[gen_statem]") {
  struct Inserting : sm::Machine {
    std::vector<Term>* log;
    explicit Inserting(std::vector<Term>* l) : log(l) {}
    Result init() override { return Result::next_state(atom("s")); }
    Result handle_event(const Event& e, const Term&) override {
      log->push_back(e.content);
      if (e.content == atom("first")) return Result::keep_state({sm::Action::next_event(EventType::internal, atom("inserted"))});
      return Result::keep_state();
    }
  };
  std::vector<Term> log;
  auto r = run_once([&] {
    ls::Pid m = sm::start<Inserting>({}, &log).pid;
    sm::cast(m, atom("first"));
    sm::cast(m, atom("second"));
    sm::stop(m);
  });
  REQUIRE(r.ok());
  REQUIRE(log == std::vector<Term>{atom("first"), atom("inserted"), atom("second")});
}

TEST_CASE("gen_statem stop with a reply runs terminate and init may refuse", "[gen_statem]") {
  struct Stops : sm::Machine {
    std::vector<Term>* log;
    explicit Stops(std::vector<Term>* l) : log(l) {}
    Result init() override { return Result::next_state(atom("only")); }
    Result handle_event(const Event& e, const Term&) override {
      return Result::stop(atom("done"), {sm::Action::reply(e.from, atom("bye"))});
    }
    void terminate(const Term& reason, const Term& state) override { log->push_back(tuple(reason, state)); }
  };
  struct Refuses : sm::Machine {
    Result init() override { return Result::stop(atom("no")); }
    Result handle_event(const Event&, const Term&) override { return Result::keep_state(); }
  };
  std::vector<Term> log;
  Term reply, refused;
  auto r = run_once([&] {
    ls::Pid m = sm::start<Stops>({}, &log).pid;
    reply = sm::call(m, atom("anything"));
    refused = sm::start<Refuses>().error;
  });
  REQUIRE(r.ok());
  REQUIRE(reply == atom("bye"));
  REQUIRE(log == std::vector<Term>{tuple(atom("done"), atom("only"))});
  REQUIRE(refused == atom("no"));
}
