// Agents: a gen_server whose state is one Term and whose requests carry closures.
#include "lockstep/agent.hpp"

#include "model/closures.hpp"

namespace lockstep::agent {

namespace {

using GetAndUpdate = std::function<std::pair<Term, Term>(const Term&)>;

class AgentServer : public gen_server::Server {
 public:
  explicit AgentServer(std::function<Term()> init) : init_(std::move(init)) {}
  gen_server::Init init() override {
    state_ = init_();
    init_ = nullptr;
    return gen_server::Init::ok();
  }
  gen_server::Action handle_call(const Term& req, const gen_server::From&) override {
    const Term& op = req[0];
    if (op.is_atom("get")) return gen_server::Action::reply(model::take_closure<Fn>(req[1])(state_));
    if (op.is_atom("update")) {
      state_ = model::take_closure<Fn>(req[1])(state_);
      return gen_server::Action::reply(atom("ok"));
    }
    auto [value, next] = model::take_closure<GetAndUpdate>(req[1])(state_);
    state_ = std::move(next);
    return gen_server::Action::reply(std::move(value));
  }
  gen_server::Action handle_cast(const Term& msg) override {
    state_ = model::take_closure<Fn>(msg)(state_);
    return gen_server::Action::noreply();
  }

 private:
  std::function<Term()> init_;
  Term state_;
};

}  // namespace

gen_server::Started start(std::function<Term()> init, gen_server::StartOpts o) {
  return gen_server::start<AgentServer>(std::move(o), std::move(init));
}
gen_server::Started start_link(std::function<Term()> init, gen_server::StartOpts o) {
  return gen_server::start_link<AgentServer>(std::move(o), std::move(init));
}

Term get(const Term& agent, const Fn& f, std::int64_t timeout_ms) {
  return gen_server::call(agent, tuple(atom("get"), model::stash_closure(f)), timeout_ms);
}
void update(const Term& agent, const Fn& f, std::int64_t timeout_ms) {
  gen_server::call(agent, tuple(atom("update"), model::stash_closure(f)), timeout_ms);
}
Term get_and_update(const Term& agent, const GetAndUpdate& f, std::int64_t timeout_ms) {
  return gen_server::call(agent, tuple(atom("get_and_update"), model::stash_closure(f)), timeout_ms);
}
void cast(const Term& agent, const Fn& f) { gen_server::cast(agent, model::stash_closure(f)); }
void stop(const Term& agent, Term reason, std::int64_t timeout_ms) {
  gen_server::stop(agent, std::move(reason), timeout_ms);
}

}  // namespace lockstep::agent
