// bank_ok: a correct transfer protocol. A bank server owns all balances and applies each
// transfer atomically, so money is never created or lost, whatever the interleaving.
#include <lockstep/lockstep.hpp>

#include <map>

namespace ls = lockstep;

namespace {
void bank(std::map<std::int64_t, std::int64_t> accounts) {
  for (;;) {
    ls::Term msg = ls::receive();
    ls::Pid from = msg[1].as_pid();
    if (msg[0].is_atom("transfer")) {
      std::int64_t src = msg[2].as_int(), dst = msg[3].as_int(), amount = msg[4].as_int();
      bool ok = accounts[src] >= amount;
      if (ok) {
        accounts[src] -= amount;
        accounts[dst] += amount;
      }
      ls::send(from, ls::tuple(ls::atom("transferred"), ok));
    } else if (msg[0].is_atom("total")) {
      std::int64_t total = 0;
      for (const auto& [id, balance] : accounts) total += balance;
      ls::send(from, ls::tuple(ls::atom("total"), total));
    }
  }
}

void customer(ls::Pid bank_pid, ls::Pid done, std::int64_t src, std::int64_t dst) {
  for (int i = 0; i < 2; ++i) {
    ls::send(bank_pid, ls::tuple(ls::atom("transfer"), ls::self(), src, dst, 30));
    ls::receive(ls::match(ls::tuple(ls::atom("transferred"), ls::_)));
  }
  ls::send(done, ls::atom("done"));
}
}  // namespace

LOCKSTEP_SCENARIO(bank_ok) {
  ls::Pid me = ls::self();
  ls::Pid b = ls::spawn([] { bank({{1, 50}, {2, 50}}); });
  ls::spawn([=] { customer(b, me, 1, 2); });
  ls::spawn([=] { customer(b, me, 2, 1); });
  ls::receive(ls::match(ls::atom("done")));
  ls::receive(ls::match(ls::atom("done")));
  ls::send(b, ls::tuple(ls::atom("total"), me));
  std::int64_t total = ls::receive(ls::match(ls::tuple(ls::atom("total"), ls::_)))[1].as_int();
  LOCKSTEP_ASSERT(total == 100, "transfers conserve money");
}
