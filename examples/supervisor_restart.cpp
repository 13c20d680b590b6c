// supervisor_restart: a client looks up the :cache worker once and keeps its pid. Another
// client sends the worker a poisoned request; the supervisor restarts it, and the new
// worker registers :cache again under a new pid. A call to the kept pid then exits with
// :noproc: the client should have called the name.
#include <lockstep/lockstep.hpp>

namespace ls = lockstep;
namespace gs = ls::gen_server;
namespace sup = ls::supervisor;

namespace {
struct Cache : gs::Server {
  gs::Action handle_call(const ls::Term&, const gs::From&) override { return gs::Action::reply(ls::atom("hit")); }
  gs::Action handle_cast(const ls::Term& msg) override {
    if (msg.is_atom("poison")) return gs::Action::stop(ls::atom("poisoned"));
    return gs::Action::noreply();
  }
};
}  // namespace

LOCKSTEP_SCENARIO(supervisor_restart) {
  sup::start_link({sup::worker<Cache>(ls::atom("cache"), {.name = ls::atom("cache")})});
  ls::spawn([] { gs::cast(ls::atom("cache"), ls::atom("poison")); });
  std::optional<ls::Pid> cached = gs::whereis(ls::atom("cache"));
  while (!cached) {  // between the crash and the restart the name is free
    ls::sleep(1);
    cached = gs::whereis(ls::atom("cache"));
  }
  bool answered = true;
  try {
    gs::call(*cached, ls::atom("get"));
  } catch (const ls::ErlangError&) {
    answered = false;
  }
  LOCKSTEP_ASSERT(answered, "the cache pid looked up earlier still answers");
}
