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
    // With `extended` programs only (so that the default programs stay as they were): ETS
    // and the cluster. Workers alternate between :nonode@nohost and :a@host.
    ets_write = kinds, ets_read, ets_size, partition, heal, stop_node, start_node, extended_kinds
  };
  Kind kind;
  int a = 0;  // target process index / name / object / value
  int b = 0;  // value / key / reason
};

struct RandomProgram {
  std::vector<std::vector<RandomOp>> scripts;  // [0] is the root's
  bool extended = false;
  std::string describe() const {
    static const char* names[] = {"send", "receive", "receive_value", "register", "unregister",
                                  "whereis", "monitor", "link", "exit", "trap_exit", "alive",
                                  "shared_read", "shared_write", "shared_size", "send_after",
                                  "now", "send_named", "demonitor_flush", "ets_write", "ets_read",
                                  "ets_size", "partition", "heal", "stop_node", "start_node"};
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
                                      bool extended = false) {
  lockstep::core::Rng rng(seed);
  RandomProgram prog;
  prog.extended = extended;
  int procs = 2 + static_cast<int>(rng.below(static_cast<std::uint64_t>(max_workers)));
  for (int p = 0; p < procs; ++p) {
    std::vector<RandomOp> script;
    int ops = 1 + static_cast<int>(rng.below(static_cast<std::uint64_t>(max_ops)));
    for (int i = 0; i < ops; ++i) {
      RandomOp op;
      op.kind = static_cast<RandomOp::Kind>(rng.below(extended ? RandomOp::extended_kinds : RandomOp::kinds));
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

// The ETS and cluster operations of extended programs; false if `op` is not one.
inline bool run_extended(const RandomOp& op, const std::optional<ls::ets::Table>& table,
                         const std::function<void(std::int64_t)>& fold) {
  namespace cl = ls::cluster;
  try {
    switch (op.kind) {
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
                       const std::optional<ls::ets::Table>& table = std::nullopt) {
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
      default: run_extended(op, table, fold); break;
    }
  }
  ls::send(ls::self(), ls::tuple(ls::atom("acc"), acc));
}
}  // namespace detail

inline std::function<void()> as_scenario(const RandomProgram& prog) {
  return [prog] {
    auto shared = std::make_shared<std::map<int, std::int64_t>>();
    std::optional<ls::ets::Table> table;
    if (prog.extended) {
      ls::cluster::add_node(detail::node_a());
      table = ls::ets::new_table(ls::atom("t"), {.access = ls::ets::Access::public_});
    }
    for (std::size_t w = 1; w < prog.scripts.size(); ++w) {
      ls::Term node = prog.extended && w % 2 == 1 ? detail::node_a() : ls::Term();
      ls::spawn([script = prog.scripts[w], shared, table] { detail::run_script(script, *shared, table); },
                {.node = node});
    }
    detail::run_script(prog.scripts[0], *shared, table);
  };
}

}  // namespace lockstep_test
