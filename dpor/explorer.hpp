// Explorer: exhaustive exploration as a Strategy, a peer of random and PCT. It re-runs
// the scenario from the start for every execution (stateless model checking), replaying a
// prefix and then choosing, and analyses each finished execution's races.
//
// Modes (docs/exploration.md):
//  - none: depth-first over every enabled choice at every step: the oracle.
//  - source: source-DPOR with sleep sets (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014,
//    "Optimal Dynamic Partial Order Reduction", Algorithm 1; JACM 2017 "Source Sets").
//  - optimal: optimal-DPOR with wakeup trees (same papers, Algorithm 2): one execution
//    per Mazurkiewicz trace of the dependency relation in dpor/dependency.hpp.
//
// Happens-before is computed per execution from the events' access records; races are
// the pairs of dependent events of different processes with no event between them in
// happens-before, except a receive and the send it received (not reversible). A kill that
// disables another process's enabled operation is a race with that operation.
//
// Thread-safety: one Explorer per worker thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/strategy.hpp"
#include "lockstep/options.hpp"

namespace lockstep::dpor {

struct ExplorerStats {
  std::uint64_t executions = 0;  // complete executions
  std::uint64_t blocked = 0;     // executions abandoned because sleep sets covered them
  std::uint64_t events = 0;
  std::uint64_t max_depth = 0;
  std::uint64_t peak_nodes = 0;  // exploration stack + wakeup tree nodes, at most
  std::uint64_t probes = 0;      // partial executions run to learn what a moved event does
  std::string incomplete;        // non-empty: a bound was hit (what, and which option)
};

class Explorer final : public core::Strategy {
 public:
  Explorer(DporMode mode, std::uint64_t max_executions, std::uint64_t max_depth);
  ~Explorer() override;

  bool begin_execution() override;
  std::size_t pick(const core::Choice& choice) override;
  bool observes_events() const override { return true; }
  void observe(const core::EventRecord& event) override;
  void end_execution(const core::ExecutionSummary& summary) override;
  void set_probe(core::Probe probe) override { probe_ = std::move(probe); }

  const ExplorerStats& stats() const { return stats_; }
  // For oracle tests: called after every execution with its events (barriers included).
  std::function<void(const std::vector<core::EventRecord>&, const core::ExecutionSummary&)> on_execution;

 private:
  struct WakeupNode;
  // A sleeping process and what it did when explored (shared: sleep sets copy it often).
  using Sleeper = std::pair<std::uint32_t, std::shared_ptr<const core::EventRecord>>;
  using Sequence = std::vector<const core::EventRecord*>;
  struct Node {
    std::vector<std::uint32_t> enabled;  // sorted pids
    std::uint32_t chosen = 0;
    std::shared_ptr<const core::EventRecord> event;  // what `chosen` did here in the current execution
    std::vector<Sleeper> sleep;          // inherited sleep set
    std::vector<Sleeper> explored;       // branches already finished here
    std::vector<std::uint32_t> backtrack;  // none / source
    WakeupNode* wakeup = nullptr;          // optimal: the wakeup tree rooted at this node
  };

  bool next_branch();
  // Calls f(sleeper) for each process asleep at n: inherited, and explored there already.
  template <typename F>
  static void for_each_sleeper(const Node& n, F&& f) {
    for (const Sleeper& s : n.sleep) f(s);
    for (const Sleeper& s : n.explored) f(s);
  }
  bool sleeping(const Node& n, std::uint32_t pid) const;
  void analyse_races();
  void reverse_race(std::size_t node, Sequence v);
  bool weak_initial(std::uint32_t pid, const core::EventRecord& event, const Sequence& v) const;
  static std::vector<std::uint32_t> initials(const Sequence& v);
  static core::EventRecord without_consequences_of(const core::EventRecord& moved,
                                                   const std::vector<const core::EventRecord*>& overtaken);
  // What process `pid` does next after the prefix of stack node `node` followed by `v`,
  // found by running it; unknown if it cannot be run.
  core::EventRecord probe_next(std::size_t node, const Sequence& v, std::uint32_t pid);
  void insert(WakeupNode* at, Sequence v);
  WakeupNode* child(WakeupNode* at, std::uint32_t pid) const;

  core::Probe probe_;
  DporMode mode_;
  std::uint64_t max_executions_;
  std::uint64_t max_depth_;
  ExplorerStats stats_;
  std::vector<Node> stack_;
  std::vector<core::EventRecord> events_;  // current execution, barriers included
  std::vector<std::size_t> event_node_;    // node of each event (npos for barriers)
  std::vector<Sleeper> pending_sleep_;     // sleep set for the next new node
  std::unique_ptr<WakeupNode> root_;
  std::uint64_t wakeup_nodes_ = 0;
  std::size_t next_node_ = 0;
  bool started_ = false;
  bool cut_ = false;  // the current execution hit --max-depth
};

}  // namespace lockstep::dpor
