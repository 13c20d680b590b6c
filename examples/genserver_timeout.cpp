// genserver_timeout: a client asks a pricing server for a quote with a 100 ms timeout and,
// on timeout, asks a backup instead and takes the next message as the backup's answer.
// When a slow background recompute reaches the server first, the quote takes 120 ms: the
// call times out, the late reply stays in the mailbox, and the client mistakes it for the
// backup's answer.
#include <lockstep/lockstep.hpp>

namespace ls = lockstep;
namespace gs = ls::gen_server;

namespace {
struct Pricing : gs::Server {
  gs::Action handle_call(const ls::Term&, const gs::From&) override {
    ls::sleep(60);
    return gs::Action::reply(ls::tuple(ls::atom("quote"), 100));
  }
  gs::Action handle_cast(const ls::Term&) override {
    ls::sleep(60);  // recompute the price table
    return gs::Action::noreply();
  }
};
}  // namespace

LOCKSTEP_SCENARIO(genserver_timeout) {
  ls::Pid server = gs::start<Pricing>().pid;
  ls::Pid backup = ls::spawn([] {
    ls::Term req = ls::receive();
    ls::sleep(50);
    ls::send(req[1].as_pid(), ls::tuple(ls::atom("backup_quote"), 120));
  });
  ls::spawn([server] { gs::cast(server, ls::atom("recompute")); });
  ls::Term answer;
  try {
    answer = gs::call(server, ls::atom("quote"), 100);
  } catch (const ls::ErlangError&) {
    ls::send(backup, ls::tuple(ls::atom("quote"), ls::self()));
    answer = ls::receive();  // meant to be the backup's answer
    LOCKSTEP_ASSERT(answer[0].is_atom("backup_quote"), "the answer after a timeout is the backup's");
  }
}
