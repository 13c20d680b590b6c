// A generator of small random actor programs over every sync point, seeded and
// deterministic, for the DPOR oracles. The root spawns the workers (pids 2..), then every
// process runs its own script; values a process observes (messages, names, liveness,
// shared values) fold into an accumulator it sends to itself at the end, so that a missed
// interleaving shows up as a missing end state.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "core/strategies/rng.hpp"
#include "support.hpp"

namespace lockstep_test {

struct RandomOp {
  enum Kind {
    send, receive_any, receive_value, register_self, unregister, whereis, monitor, link,
    exit_signal, trap_exit, alive, shared_read, shared_write, shared_size, send_after, now,
    send_named, demonitor_flush, kinds,
    // With Family::cluster programs only (so that the plain programs stay as they were): ETS
    // and the cluster. Workers alternate between :nonode@nohost and :a@host.
    ets_write = kinds, ets_read, ets_size, partition, heal, stop_node, start_node, extended_kinds,
    // With Family::shared programs only: blind writes, which commute with their like
    // (SharedAccess::commutes), among the reads and ordinary writes of the same objects.
    atomics_put = extended_kinds, atomics_add, atomics_get, atomics_add_get, ets_delete, blind_write,
    shared_kinds
  };
  Kind kind;
  int a = 0;  // target process index / name / object / value
  int b = 0;  // value / key / reason
};

// Which operations a generated program draws from.
enum class Family {
  plain,    // messages, names, links, monitors, exits, timers, a user's nif_sync object
  cluster,  // those, ETS and the cluster
  shared,   // shared state: ETS, an atomics array and a user's object, with blind writes
};
inline const char* describe(Family f) {
  return f == Family::plain ? "" : f == Family::cluster ? " (ETS and cluster)" : " (shared state)";
}

struct RandomProgram {
  std::vector<std::vector<RandomOp>> scripts;  // [0] is the root's
  Family family = Family::plain;
  std::string describe() const {
    static const char* names[] = {"send", "receive", "receive_value", "register", "unregister",
                                  "whereis", "monitor", "link", "exit", "trap_exit", "alive",
                                  "shared_read", "shared_write", "shared_size", "send_after",
                                  "now", "send_named", "demonitor_flush", "ets_write", "ets_read",
                                  "ets_size", "partition", "heal", "stop_node", "start_node",
                                  "atomics_put", "atomics_add", "atomics_get", "atomics_add_get",
                                  "ets_delete", "blind_write"};
    std::string out;
    for (std::size_t p = 0; p < scripts.size(); ++p) {
      out += "P" + std::to_string(p + 1) + ":";
      for (const auto& op : scripts[p]) {
        out += std::string(" ") + names[op.kind] + "(" + std::to_string(op.a) + "," + std::to_string(op.b) + ")";
      }
      out += "\n";
    }
    return out;
  }
};

inline RandomProgram generate_program(std::uint64_t seed, int max_workers = 2, int max_ops = 3,
                                      Family family = Family::plain) {
  // The shared-state family: its own operations, and the shared ones of the others.
  static const RandomOp::Kind shared_ops[] = {
      RandomOp::shared_read, RandomOp::shared_write, RandomOp::shared_size, RandomOp::ets_write,
      RandomOp::ets_read,    RandomOp::ets_size,     RandomOp::atomics_put, RandomOp::atomics_add,
      RandomOp::atomics_get, RandomOp::atomics_add_get, RandomOp::ets_delete, RandomOp::blind_write,
      RandomOp::send,        RandomOp::receive_any};
  lockstep::core::Rng rng(seed);
  RandomProgram prog;
  prog.family = family;
  int procs = 2 + static_cast<int>(rng.below(static_cast<std::uint64_t>(max_workers)));
  for (int p = 0; p < procs; ++p) {
    std::vector<RandomOp> script;
    int ops = 1 + static_cast<int>(rng.below(static_cast<std::uint64_t>(max_ops)));
    for (int i = 0; i < ops; ++i) {
      RandomOp op;
      if (family == Family::shared) {
        op.kind = shared_ops[rng.below(std::size(shared_ops))];
      } else {
        op.kind = static_cast<RandomOp::Kind>(
            rng.below(family == Family::cluster ? RandomOp::extended_kinds : RandomOp::kinds));
      }
      op.a = static_cast<int>(rng.below(static_cast<std::uint64_t>(procs)));
      op.b = static_cast<int>(rng.below(3));
      script.push_back(op);
    }
    prog.scripts.push_back(std::move(script));
  }
  return prog;
}

namespace detail {
inline ls::Term name_of(int i) { return ls::atom(i % 2 ? "beta" : "alpha"); }

inline const ls::Term& node_a() {
  static const ls::Term a = ls::atom("a@host");
  return a;
}

// The objects of the families beyond the plain one.
struct Objects {
  std::optional<ls::ets::Table> table;
  std::optional<ls::atomics::Array> array;
};

// The ETS, cluster and atomics operations; false if `op` is not one.
inline bool run_extended(const RandomOp& op, const Objects& objects, const std::function<void(std::int64_t)>& fold) {
  namespace cl = ls::cluster;
  const std::optional<ls::ets::Table>& table = objects.table;
  try {
    switch (op.kind) {
      case RandomOp::atomics_put: objects.array->put(static_cast<std::size_t>(op.b), op.a); return true;
      case RandomOp::atomics_add: objects.array->add(static_cast<std::size_t>(op.b), op.a + 1); return true;
      case RandomOp::atomics_get: fold(objects.array->get(static_cast<std::size_t>(op.b))); return true;
      case RandomOp::atomics_add_get: fold(objects.array->add_get(static_cast<std::size_t>(op.b), 1)); return true;
      case RandomOp::ets_delete: table->remove(op.b); return true;
      case RandomOp::ets_write: table->insert(ls::tuple(op.b, op.a)); return true;
      case RandomOp::ets_read: {
        auto found = table->lookup(op.b);
        fold(found.empty() ? -1 : found.front()[1].as_int());
        return true;
      }
      case RandomOp::ets_size: fold(static_cast<std::int64_t>(table->size())); return true;
      case RandomOp::partition:
        cl::partition({node_a()}, {ls::atom("nonode@nohost")}, op.b == 0 ? cl::Mode::drop : cl::Mode::defer);
        return true;
      case RandomOp::heal: cl::heal(); return true;
      case RandomOp::stop_node: cl::stop_node(node_a()); return true;
      case RandomOp::start_node: cl::start_node(node_a()); return true;
      default: return false;
    }
  } catch (const ls::BadArg&) {
    fold(-7);  // the table is gone (its owner, the root, exited)
    return true;
  }
}

inline void run_script(const std::vector<RandomOp>& script, std::map<int, std::int64_t>& shared,
                       const Objects& objects = {}) {
  std::int64_t acc = 0;
  auto fold = [&acc](std::int64_t v) { acc = acc * 31 + v + 1; };
  auto pid = [](int i) { return ls::Pid{static_cast<std::uint32_t>(i + 1), 0}; };
  std::vector<ls::Ref> monitors;
  for (const RandomOp& op : script) {
    switch (op.kind) {
      case RandomOp::send: ls::send(pid(op.a), op.b); break;
      case RandomOp::receive_any: {
        auto m = ls::receive(ls::match(ls::_), 5);
        fold(m ? static_cast<std::int64_t>(m->hash() % 97) : -1);
        break;
      }
      case RandomOp::receive_value: {
        auto m = ls::receive(ls::match(ls::Term(op.b)), 5);
        fold(m ? 1 : 0);
        break;
      }
      case RandomOp::register_self: fold(ls::register_name(name_of(op.b), ls::self())); break;
      case RandomOp::unregister: ls::unregister_name(name_of(op.b)); break;
      case RandomOp::whereis: {
        auto w = ls::whereis(name_of(op.b));
        fold(w ? w->id : 0);
        break;
      }
      case RandomOp::monitor: monitors.push_back(ls::monitor(pid(op.a))); break;
      case RandomOp::link: ls::link(pid(op.a)); break;
      case RandomOp::exit_signal: {
        static const char* reasons[] = {"normal", "kill", "boom"};
        ls::exit(pid(op.a), ls::atom(reasons[op.b]));
        break;
      }
      case RandomOp::trap_exit: fold(ls::trap_exit(op.b != 0)); break;
      case RandomOp::alive: fold(ls::alive(pid(op.a))); break;
      case RandomOp::shared_read:
        ls::nif_sync(ls::atom("read"), {.object = 1, .key = static_cast<std::uint64_t>(op.b),
                                        .whole_object = false, .write = false});
        fold(shared[op.b]);
        break;
      case RandomOp::shared_write:
        ls::nif_sync(ls::atom("write"), {.object = 1, .key = static_cast<std::uint64_t>(op.b),
                                         .whole_object = false, .write = true});
        shared[op.b] = op.a + 1;
        break;
      case RandomOp::blind_write:  // the same, declared blind: writes of one value commute
        ls::nif_sync(ls::atom("blind_write"), {.object = 1, .key = static_cast<std::uint64_t>(op.b),
                                               .whole_object = false, .write = true,
                                               .commutes = static_cast<std::uint64_t>(op.a + 1)});
        shared[op.b] = op.a + 1;
        break;
      case RandomOp::shared_size: {
        ls::nif_sync(ls::atom("size"), {.object = 1, .whole_object = true, .write = false});
        std::int64_t nonzero = 0;
        for (const auto& [k, v] : shared) nonzero += v != 0;
        fold(nonzero);
        break;
      }
      case RandomOp::send_after: ls::send_after(pid(op.a), op.b, 3); break;
      case RandomOp::now: fold(ls::now()); break;
      case RandomOp::send_named: ls::send(name_of(op.b), ls::atom("nonode@nohost"), op.a); break;
      case RandomOp::demonitor_flush:
        if (!monitors.empty()) ls::demonitor(monitors.back(), true);
        break;
      default: run_extended(op, objects, fold); break;
    }
  }
  ls::send(ls::self(), ls::tuple(ls::atom("acc"), acc));
}
}  // namespace detail

inline std::function<void()> as_scenario(const RandomProgram& prog) {
  return [prog] {
    auto shared = std::make_shared<std::map<int, std::int64_t>>();
    detail::Objects objects;
    if (prog.family == Family::cluster) ls::cluster::add_node(detail::node_a());
    if (prog.family != Family::plain) {
      objects.table = ls::ets::new_table(ls::atom("t"), {.access = ls::ets::Access::public_});
    }
    if (prog.family == Family::shared) objects.array = ls::atomics::new_array(3);
    for (std::size_t w = 1; w < prog.scripts.size(); ++w) {
      ls::Term node = prog.family == Family::cluster && w % 2 == 1 ? detail::node_a() : ls::Term();
      ls::spawn([script = prog.scripts[w], shared, objects] { detail::run_script(script, *shared, objects); },
                {.node = node});
    }
    detail::run_script(prog.scripts[0], *shared, objects);
  };
}

}  // namespace lockstep_test
