// lockstep::agent: Elixir's Agent, a gen_server holding one Term. The functions run inside
// the agent process (they travel as references to closures kept for the execution, since
// a message is a Term).
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "lockstep/gen_server.hpp"
#include "lockstep/term.hpp"

namespace lockstep::agent {

using Fn = std::function<Term(const Term&)>;

gen_server::Started start(std::function<Term()> init, gen_server::StartOpts o = {});
gen_server::Started start_link(std::function<Term()> init, gen_server::StartOpts o = {});
Term get(const Term& agent, const Fn& f, std::int64_t timeout_ms = 5000);
void update(const Term& agent, const Fn& f, std::int64_t timeout_ms = 5000);  // waits
// f returns {value to give back, new state}.
Term get_and_update(const Term& agent, const std::function<std::pair<Term, Term>(const Term&)>& f,
                    std::int64_t timeout_ms = 5000);
void cast(const Term& agent, const Fn& f);  // update without waiting
void stop(const Term& agent, Term reason = atom("normal"), std::int64_t timeout_ms = gen_server::kInfinity);

}  // namespace lockstep::agent
