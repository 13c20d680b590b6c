// lockstep::gen_statem: Erlang's gen_statem in handle_event_function style, with what the
// Elixir library lacks: state timeouts, event timeouts, postpone and next_event. Written
// on gen_server (the same call/cast protocol), so every message it exchanges is explored.
//
//   struct Door : gen_statem::Machine {
//     Result init() override { return Result::next_state(atom("locked")); }
//     Result handle_event(const Event& e, const Term& state) override { ... }
//   };
//
// Semantics follow gen_statem: a postponed event is retried after the next state change
// (postponed events first, in order); a state timeout is cancelled by a state change or a
// new state timeout; an event timeout is cancelled by any event, and is only started when
// no event is queued; next_event inserts events to handle before anything else.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "lockstep/gen_server.hpp"
#include "lockstep/term.hpp"

namespace lockstep::gen_statem {

enum class EventType { call, cast, info, state_timeout, timeout, internal };

struct Event {
  EventType type;
  Term content;
  gen_server::From from;  // call only: reply to it with Action::reply
};

struct Action {
  enum class Kind { reply, postpone, state_timeout, timeout, next_event };
  Kind kind;
  Term from;           // reply
  Term value;          // reply: the reply; timeouts and next_event: the content
  std::int64_t ms = 0; // timeouts; negative (gen_server::kInfinity) cancels
  EventType type = EventType::internal;  // next_event
  static Action reply(const gen_server::From& from, Term r) { return {Kind::reply, from, std::move(r)}; }
  static Action postpone() { return {Kind::postpone, Term(), Term()}; }
  static Action state_timeout(std::int64_t ms, Term content) {
    return {Kind::state_timeout, Term(), std::move(content), ms};
  }
  static Action timeout(std::int64_t ms, Term content) { return {Kind::timeout, Term(), std::move(content), ms}; }
  static Action next_event(EventType t, Term content) {
    return {Kind::next_event, Term(), std::move(content), 0, t};
  }
};

struct Result {
  enum class Kind { next_state, keep_state, stop };
  Kind kind;
  Term state;   // next_state
  Term reason;  // stop
  std::vector<Action> actions;  // a stop's replies are sent before terminate
  static Result next_state(Term s, std::vector<Action> a = {}) { return {Kind::next_state, std::move(s), Term(), std::move(a)}; }
  static Result keep_state(std::vector<Action> a = {}) { return {Kind::keep_state, Term(), Term(), std::move(a)}; }
  static Result stop(Term reason, std::vector<Action> a = {}) { return {Kind::stop, Term(), std::move(reason), std::move(a)}; }
};

class Machine {
 public:
  virtual ~Machine() = default;
  // next_state(initial state, actions), or stop(reason) to fail the start.
  virtual Result init() = 0;
  virtual Result handle_event(const Event& e, const Term& state) = 0;
  virtual void terminate(const Term& reason, const Term& state) { (void)reason, (void)state; }
};

namespace detail {
gen_server::Started start(std::function<std::unique_ptr<Machine>()> make, const gen_server::StartOpts& o, bool link);
}

template <typename T, typename... Args>
gen_server::Started start(gen_server::StartOpts o = {}, Args... args) {
  return detail::start([args...] { return std::unique_ptr<Machine>(new T(args...)); }, o, false);
}
template <typename T, typename... Args>
gen_server::Started start_link(gen_server::StartOpts o = {}, Args... args) {
  return detail::start([args...] { return std::unique_ptr<Machine>(new T(args...)); }, o, true);
}

// The gen_server protocol: call, cast and stop work on a state machine too.
inline Term call(const Term& m, Term request, std::int64_t timeout_ms = 5000) {
  return gen_server::call(m, std::move(request), timeout_ms);
}
inline void cast(const Term& m, Term msg) { gen_server::cast(m, std::move(msg)); }
inline void stop(const Term& m, Term reason = atom("normal"), std::int64_t timeout_ms = gen_server::kInfinity) {
  gen_server::stop(m, std::move(reason), timeout_ms);
}

}  // namespace lockstep::gen_statem
