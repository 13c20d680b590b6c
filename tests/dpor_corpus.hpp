// The DPOR oracles' corpus: small hand-written scenarios over every kind of sync point,
// each explored by brute force (--dpor none) and by every reduction (tests/test_dpor.cpp,
// tests/test_state_cache.cpp).
#pragma once

#include <functional>
#include <vector>

#include <lockstep/lockstep.hpp>

#include "support.hpp"

namespace lockstep_test {

using ls::atom;
using ls::tuple;

struct Named {
  const char* name;
  std::function<void()> body;
};

// Each scenario ends without assertion failures, so every execution is maximal and the
// trace counts are comparable (deadlocks and crashes are maximal and count).
inline std::vector<Named> corpus() {
  return {
      {"two senders, one receiver",
       [] {
         ls::Pid me = ls::self();
         ls::spawn([me] { ls::send(me, 1); });
         ls::spawn([me] { ls::send(me, 2); });
         ls::receive();
         ls::receive();
       }},
      {"independent pairs",
       [] {
         ls::Pid a = ls::spawn([] { ls::receive(); });
         ls::Pid b = ls::spawn([] { ls::receive(); });
         ls::spawn([a] { ls::send(a, 1); });
         ls::spawn([b] { ls::send(b, 2); });
       }},
      {"selective receive skips a non-match",
       [] {
         ls::Pid me = ls::self();
         ls::spawn([me] { ls::send(me, atom("noise")); });
         ls::spawn([me] { ls::send(me, atom("signal")); });
         ls::receive(ls::match(atom("signal")));
       }},
      {"three senders",
       [] {
         ls::Pid me = ls::self();
         for (int i = 0; i < 3; ++i) ls::spawn([me, i] { ls::send(me, i); });
         for (int i = 0; i < 3; ++i) ls::receive();
       }},
      {"request reply",
       [] {
         ls::Pid server = ls::spawn([] {
           for (int i = 0; i < 2; ++i) {
             ls::Term m = ls::receive();
             ls::send(m.as_pid(), atom("ok"));
           }
         });
         ls::Pid me = ls::self();
         ls::spawn([server] {
           ls::send(server, ls::self());
           ls::receive();
         });
         ls::send(server, me);
         ls::receive();
       }},
      {"lost update without the assert",
       [] {
         ls::Pid counter = ls::spawn([] {
           std::int64_t v = 0;
           for (int i = 0; i < 4; ++i) {
             ls::Term m = ls::receive();
             if (m[0].is_atom("get")) ls::send(m[1].as_pid(), v);
             else v = m[1].as_int();
           }
         });
         for (int c = 0; c < 2; ++c) {
           ls::spawn([counter] {
             ls::send(counter, tuple(atom("get"), ls::self()));
             std::int64_t v = ls::receive().as_int();
             ls::send(counter, tuple(atom("set"), v + 1));
           });
         }
       }},
      {"receive timeout races a send",
       [] {
         ls::Pid me = ls::self();
         ls::spawn([me] {
           ls::sleep(5);
           ls::send(me, 1);
         });
         ls::receive(ls::match(ls::_), 5);
         ls::receive(ls::match(ls::_), 10);
       }},
      {"timers from two processes",
       [] {
         ls::Pid me = ls::self();
         ls::spawn([me] { ls::send_after(me, 1, 10); });
         ls::send_after(me, 2, 10);
         ls::receive();
         ls::receive();
       }},
      {"cancel a timer in flight",
       [] {
         ls::Pid me = ls::self();
         ls::TimerRef t = ls::send_after(me, atom("tick"), 10);
         ls::spawn([me] { ls::send(me, atom("other")); });
         ls::receive();
         ls::cancel_timer(t);
         ls::receive(ls::match(ls::_), 20);
       }},
      {"monitor races an exit",
       [] {
         ls::Pid child = ls::spawn([] {});
         ls::Ref r = ls::monitor(child);
         ls::receive(ls::match(tuple(atom("DOWN"), r, ls::_, ls::_, ls::_)));
       }},
      {"link races a crash",
       [] {
         ls::trap_exit(true);
         ls::Pid child = ls::spawn([] { ls::exit(atom("boom")); });
         ls::link(child);
         ls::receive();
       }},
      {"kill races a send",
       [] {
         ls::Pid me = ls::self();
         ls::Pid victim = ls::spawn([me] {
           ls::send(me, 1);
           ls::send(me, 2);
         });
         ls::exit(victim, atom("kill"));
         ls::receive(ls::match(ls::_), 5);
         ls::receive(ls::match(ls::_), 5);
       }},
      {"trap_exit races an exit signal",
       [] {
         ls::Pid child = ls::spawn([] {
           ls::trap_exit(true);
           ls::receive(ls::match(ls::_), 5);
         });
         ls::exit(child, atom("stop"));
       }},
      {"normal exit signal is ignored",
       [] {
         ls::Pid child = ls::spawn([] { ls::receive(ls::match(ls::_), 5); });
         ls::exit(child, atom("normal"));
         ls::alive(child);
       }},
      {"alive races an exit",
       [] {
         ls::Pid child = ls::spawn([] {});
         ls::alive(child);
       }},
      {"spawn_link cascade",
       [] {
         ls::Pid me = ls::self();
         ls::spawn([me] {
           ls::spawn_link([] { ls::exit(atom("crash")); });
           ls::send(me, atom("survived"));
           ls::receive(ls::match(ls::_), 5);
         });
         ls::receive(ls::match(ls::_), 10);
       }},
      {"demonitor with flush",
       [] {
         ls::Pid child = ls::spawn([] {});
         ls::Ref r = ls::monitor(child);
         ls::demonitor(r, true);
         ls::receive(ls::match(ls::_), 5);
       }},
      {"register race",
       [] {
         for (int i = 0; i < 2; ++i) {
           ls::spawn([] {
             if (!ls::whereis(atom("svc"))) ls::register_name(atom("svc"), ls::self());
           });
         }
       }},
      {"registered sees names come and go",
       [] {
         ls::spawn([] { ls::register_name(atom("a"), ls::self()); });
         ls::spawn([] { ls::register_name(atom("b"), ls::self()); });
         ls::registered();
       }},
      {"different names commute",
       [] {
         ls::spawn([] { ls::register_name(atom("a"), ls::self()); });
         ls::spawn([] { ls::register_name(atom("b"), ls::self()); });
       }},
      {"send by name races register",
       [] {
         ls::spawn([] {
           ls::register_name(atom("inbox"), ls::self());
           ls::receive(ls::match(ls::_), 5);
         });
         ls::send(atom("inbox"), atom("nonode@nohost"), 1);
       }},
      {"unregister races whereis",
       [] {
         ls::register_name(atom("me"), ls::self());
         ls::spawn([] { ls::whereis(atom("me")); });
         ls::unregister_name(atom("me"));
       }},
      {"shared writes to one key",
       [] {
         auto v = std::make_shared<int>(0);
         for (int i = 1; i <= 2; ++i) {
           ls::spawn([v, i] {
             ls::nif_sync(atom("put"), {.object = 1, .key = 0, .whole_object = false, .write = true});
             *v = i;
           });
         }
         ls::nif_sync(atom("get"), {.object = 1, .key = 0, .whole_object = false, .write = false});
         ls::send(ls::self(), *v);
       }},
      {"shared writes to different keys commute",
       [] {
         for (std::uint64_t k = 0; k < 3; ++k) {
           ls::spawn([k] { ls::nif_sync(atom("put"), {.object = 1, .key = k, .whole_object = false, .write = true}); });
         }
       }},
      {"whole-object read sees key writes",
       [] {
         for (std::uint64_t k = 0; k < 2; ++k) {
           ls::spawn([k] { ls::nif_sync(atom("put"), {.object = 1, .key = k, .whole_object = false, .write = true}); });
         }
         ls::nif_sync(atom("size"), {.object = 1, .whole_object = true, .write = false});
       }},
      {"deadlock in one order only",
       [] {
         ls::Pid me = ls::self();
         ls::Pid a = ls::spawn([me] {
           ls::Term first = ls::receive();
           if (first == ls::Term(1)) ls::send(me, atom("done"));
         });
         ls::spawn([a] { ls::send(a, 1); });
         ls::spawn([a] { ls::send(a, 2); });
         ls::receive(ls::match(atom("done")));
       }},
      {"now is independent",
       [] {
         ls::spawn([] { ls::now(); });
         ls::spawn([] { ls::now(); });
       }},
  };
}

}  // namespace lockstep_test
