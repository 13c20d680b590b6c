// gen_statem as a gen_server: the adapter keeps the machine's state, its queue of events
// (next_event insertions, postponed events released by a state change) and two timer
// generations, so that a cancelled timeout that still arrives is recognised and dropped.
#include "lockstep/gen_statem.hpp"

#include <deque>

#include "lockstep/process.hpp"

namespace lockstep::gen_statem {

namespace {

const Term& state_timeout_tag() {
  static const Term t = atom("$statem_state_timeout");
  return t;
}
const Term& event_timeout_tag() {
  static const Term t = atom("$statem_timeout");
  return t;
}

class StatemServer : public gen_server::Server {
 public:
  explicit StatemServer(std::function<std::unique_ptr<Machine>()> make) : make_(std::move(make)) {}

  gen_server::Init init() override {
    machine_ = make_();
    make_ = nullptr;
    Result r = machine_->init();
    if (r.kind == Result::Kind::stop) return gen_server::Init::stop(r.reason);
    state_ = r.state;
    Event none{EventType::internal, Term(), Term()};
    if (!apply(r, none, false)) return gen_server::Init::stop(stop_reason_);
    if (!run()) return gen_server::Init::stop(stop_reason_);
    return gen_server::Init::ok();
  }

  gen_server::Action handle_call(const Term& req, const gen_server::From& from) override {
    return dispatch(Event{EventType::call, req, from});
  }
  gen_server::Action handle_cast(const Term& msg) override { return dispatch(Event{EventType::cast, msg, Term()}); }
  gen_server::Action handle_info(const Term& msg) override {
    if (msg.is_tuple() && msg.size() == 3 && msg[0] == state_timeout_tag()) {
      if (msg[1] != Term(state_gen_)) return gen_server::Action::noreply();  // cancelled
      return dispatch(Event{EventType::state_timeout, msg[2], Term()});
    }
    if (msg.is_tuple() && msg.size() == 3 && msg[0] == event_timeout_tag()) {
      if (msg[1] != Term(event_gen_)) return gen_server::Action::noreply();  // cancelled
      return dispatch(Event{EventType::timeout, msg[2], Term()});
    }
    return dispatch(Event{EventType::info, msg, Term()});
  }
  void terminate(const Term& reason) override { machine_->terminate(reason, state_); }

 private:
  gen_server::Action dispatch(Event e) {
    queue_.push_back(std::move(e));
    return run() ? gen_server::Action::noreply() : gen_server::Action::stop(stop_reason_);
  }

  // Handles queued events until none is left; false once the machine stops.
  bool run() {
    while (!queue_.empty()) {
      Event e = std::move(queue_.front());
      queue_.pop_front();
      ++event_gen_;  // any event cancels the event timeout
      Result r = machine_->handle_event(e, state_);
      if (!apply(r, e, true)) return false;
    }
    return true;
  }

  // Applies a callback's result for event `e`; false if it stops the machine.
  bool apply(const Result& r, const Event& e, bool handled_event) {
    std::vector<Event> inserted;
    const Action* state_timeout = nullptr;
    const Action* event_timeout = nullptr;
    bool postpone = false;
    for (const Action& a : r.actions) {
      switch (a.kind) {
        case Action::Kind::reply: gen_server::reply(a.from, a.value); break;
        case Action::Kind::postpone: postpone = handled_event; break;
        case Action::Kind::state_timeout: state_timeout = &a; break;
        case Action::Kind::timeout: event_timeout = &a; break;
        case Action::Kind::next_event: inserted.push_back(Event{a.type, a.value, Term()}); break;
      }
    }
    if (r.kind == Result::Kind::stop) {
      stop_reason_ = r.reason;
      return false;
    }
    if (postpone) postponed_.push_back(e);
    if (r.kind == Result::Kind::next_state && !(r.state == state_)) {
      state_ = r.state;
      ++state_gen_;  // a state change cancels the state timeout
      queue_.insert(queue_.begin(), postponed_.begin(), postponed_.end());
      postponed_.clear();
    }
    queue_.insert(queue_.begin(), inserted.begin(), inserted.end());
    if (state_timeout != nullptr) {
      ++state_gen_;  // replaces the previous one
      if (state_timeout->ms >= 0) {
        send_after(self(), tuple(state_timeout_tag(), state_gen_, state_timeout->value), state_timeout->ms);
      }
    }
    if (event_timeout != nullptr && event_timeout->ms >= 0 && queue_.empty()) {
      send_after(self(), tuple(event_timeout_tag(), event_gen_, event_timeout->value), event_timeout->ms);
    }
    return true;
  }

  std::function<std::unique_ptr<Machine>()> make_;
  std::unique_ptr<Machine> machine_;
  Term state_;
  std::deque<Event> queue_;
  std::vector<Event> postponed_;
  std::int64_t state_gen_ = 0;
  std::int64_t event_gen_ = 0;
  Term stop_reason_;
};

}  // namespace

gen_server::Started detail::start(std::function<std::unique_ptr<Machine>()> make, const gen_server::StartOpts& o,
                                  bool link) {
  auto make_server = [make = std::move(make)] { return std::unique_ptr<gen_server::Server>(new StatemServer(make)); };
  return gen_server::detail::start(std::move(make_server), o, link);
}

}  // namespace lockstep::gen_statem
