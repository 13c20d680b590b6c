#include "dpor/explorer.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "dpor/dependency.hpp"

namespace lockstep::dpor {

using core::EventRecord;

namespace {
constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// A set of event indices of one execution.
class Bits {
 public:
  explicit Bits(std::size_t n = 0) : words_((n + 63) / 64, 0) {}
  void set(std::size_t i) { words_[i / 64] |= std::uint64_t{1} << (i % 64); }
  bool test(std::size_t i) const { return (words_[i / 64] >> (i % 64)) & 1; }
  void merge(const Bits& o) {
    for (std::size_t w = 0; w < o.words_.size() && w < words_.size(); ++w) words_[w] |= o.words_[w];
  }
  void set_below(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) set(i);
  }

 private:
  std::vector<std::uint64_t> words_;
};
}  // namespace

// The wakeup tree: an ordered tree of processes (with the event each performed or will
// perform). Node k of the stack points at the tree node for its prefix; its children are
// the sequences still to explore from there, leftmost first.
struct Explorer::WakeupNode {
  std::uint32_t pid = 0;
  EventRecord event;
  std::vector<std::unique_ptr<WakeupNode>> children;
};

Explorer::Explorer(DporMode mode, std::uint64_t max_executions, std::uint64_t max_depth)
    : mode_(mode), max_executions_(max_executions), max_depth_(max_depth) {}

Explorer::~Explorer() = default;

bool Explorer::begin_execution() {
  if (started_) {
    if (!next_branch()) return false;
  } else {
    started_ = true;
    root_ = std::make_unique<WakeupNode>();
  }
  if (max_executions_ != 0 && stats_.executions + stats_.blocked >= max_executions_) {
    stats_.incomplete = "stopped after " + std::to_string(max_executions_) +
                        " executions (--max-executions); raise it to explore further";
    return false;
  }
  events_.clear();
  event_node_.clear();
  pending_sleep_.clear();
  next_node_ = 0;
  cut_ = false;
  return true;
}

bool Explorer::sleeping(const Node& n, std::uint32_t pid) const {
  bool found = false;
  for_each_sleeper(n, [&](const Sleeper& s) { found = found || s.first == pid; });
  return found;
}

Explorer::WakeupNode* Explorer::child(WakeupNode* at, std::uint32_t pid) const {
  for (auto& c : at->children) {
    if (c->pid == pid) return c.get();
  }
  return nullptr;
}

std::size_t Explorer::pick(const core::Choice& choice) {
  std::size_t k = next_node_++;
  auto index_of = [&](std::uint32_t pid) -> std::size_t {
    for (std::size_t i = 0; i < choice.enabled.size(); ++i) {
      if (choice.enabled[i].pid.id == pid) return i;
    }
    throw std::logic_error("nondeterministic scenario: re-running the same prefix, " +
                           Pid{pid, 0}.to_string() + " cannot run at step " +
                           std::to_string(choice.step) + " as it could before");
  };
  if (k < stack_.size()) return index_of(stack_[k].chosen);  // replaying the prefix

  if (max_depth_ != 0 && k >= max_depth_) {
    cut_ = true;
    stats_.incomplete = "executions were cut at depth " + std::to_string(max_depth_) +
                        " (--max-depth); raise it, or shrink the scenario, to explore fully";
    return core::kAbandon;
  }
  Node n;
  for (const auto& c : choice.enabled) n.enabled.push_back(c.pid.id);
  n.sleep = pending_sleep_;
  auto first_awake = [&]() -> std::uint32_t {
    for (std::uint32_t pid : n.enabled) {
      if (!sleeping(n, pid)) return pid;
    }
    return 0;
  };
  switch (mode_) {
    case DporMode::none:
      n.chosen = n.enabled.front();
      n.backtrack = n.enabled;
      break;
    case DporMode::source:
      n.chosen = first_awake();
      if (n.chosen == 0) return core::kAbandon;  // sleep-set blocked
      n.backtrack = {n.chosen};
      break;
    case DporMode::optimal: {
      n.wakeup = k == 0 ? root_.get() : child(stack_[k - 1].wakeup, stack_[k - 1].chosen);
      if (!n.wakeup->children.empty()) {
        n.chosen = n.wakeup->children.front()->pid;
      } else {
        n.chosen = first_awake();
        if (n.chosen == 0) return core::kAbandon;  // sleep-set blocked
        auto leaf = std::make_unique<WakeupNode>();
        leaf->pid = n.chosen;
        leaf->event.unknown = true;
        n.wakeup->children.push_back(std::move(leaf));
        ++wakeup_nodes_;
      }
      break;
    }
  }
  std::uint32_t chosen = n.chosen;
  stack_.push_back(std::move(n));
  stats_.peak_nodes = std::max<std::uint64_t>(stats_.peak_nodes, stack_.size() + wakeup_nodes_);
  return index_of(chosen);
}

void Explorer::observe(const EventRecord& event) {
  events_.push_back(event);
  if (event.barrier) {
    event_node_.push_back(kNone);
    pending_sleep_.clear();  // a timer firing is ordered with everything
    return;
  }
  std::size_t k = next_node_ - 1;
  event_node_.push_back(k);
  Node& n = stack_[k];
  n.event = std::make_shared<const EventRecord>(event);
  if (mode_ == DporMode::optimal) {
    if (WakeupNode* c = child(n.wakeup, n.chosen)) c->event = event;
  }
  // A sleeping process stays asleep past events independent of what it would do.
  pending_sleep_.clear();
  for_each_sleeper(n, [&](const Sleeper& s) {
    if (s.first != event.id.pid && !dependent(event, *s.second)) pending_sleep_.push_back(s);
  });
}

void Explorer::end_execution(const core::ExecutionSummary& summary) {
  if (summary.abandoned) {
    if (!cut_) ++stats_.blocked;
  } else {
    ++stats_.executions;
  }
  stats_.events += events_.size();
  stats_.max_depth = std::max<std::uint64_t>(stats_.max_depth, next_node_);
  if (mode_ != DporMode::none) analyse_races();
  if (on_execution) on_execution(events_, summary);
}

void Explorer::analyse_races() {
  std::size_t n = events_.size();
  std::vector<Bits> hb(n, Bits(n));
  std::vector<std::size_t> last_of_pid;
  std::vector<std::size_t> spawned_by;
  auto at = [](std::vector<std::size_t>& v, std::uint32_t pid) -> std::size_t& {
    if (v.size() <= pid) v.resize(pid + 1, kNone);
    return v[pid];
  };
  struct Race {
    std::size_t j, i;
  };
  struct Disable {
    std::size_t kill;
    std::uint32_t victim;
  };
  std::vector<Race> races;
  std::vector<Disable> disables;
  auto e_pid = [&](std::size_t i) { return events_[i].id.pid; };
  std::size_t last_barrier = kNone;
  std::vector<std::size_t> direct, deps;
  std::unordered_map<std::uint64_t, std::vector<std::pair<std::size_t, const core::Access*>>> by_object;
  std::vector<std::size_t> seen(n, 0);  // seen[j] == i + 1: j already found for event i
  auto object_key = [](const core::Access& a) {
    return (a.object * 0x9e3779b97f4a7c15ULL) ^ static_cast<std::uint64_t>(a.kind);
  };
  // Pass 1: happens-before and the races.
  for (std::size_t i = 0; i < n; ++i) {
    const EventRecord& e = events_[i];
    if (e.barrier) {
      hb[i].set_below(i);
      last_barrier = i;
      by_object.clear();
      continue;
    }
    direct.clear();
    deps.clear();
    std::size_t prev = at(last_of_pid, e.id.pid);
    if (prev == kNone) prev = at(spawned_by, e.id.pid);
    if (prev != kNone) direct.push_back(prev);
    if (last_barrier != kNone) direct.push_back(last_barrier);
    // Earlier events touching the same objects (the index is reset at each barrier, which
    // orders everything before it anyway).
    for (const core::Access& a : e.accesses) {
      auto found = by_object.find(object_key(a));
      if (found == by_object.end()) continue;
      for (const auto& [j, b] : found->second) {
        if (seen[j] == i + 1 || events_[j].id.pid == e.id.pid) continue;
        if (b->kind == a.kind && b->object == a.object && conflicts(*b, events_[j].id, a)) {
          seen[j] = i + 1;
          deps.push_back(j);
        }
      }
    }
    std::sort(deps.begin(), deps.end());
    for (const core::Access& a : e.accesses) by_object[object_key(a)].emplace_back(i, &a);
    for (const auto* preds : {&direct, &deps}) {
      for (std::size_t d : *preds) {
        hb[i].merge(hb[d]);
        hb[i].set(d);
      }
    }
    // j races with i when j -> i is not implied by another predecessor of i.
    for (std::size_t j : deps) {
      // Not races: a receive and the send it had to wait for; a spawn and its child's start.
      if (reads_from(events_[j], e)) continue;
      if (std::find(direct.begin(), direct.end(), j) != direct.end()) continue;
      bool implied = false;
      for (const auto* preds : {&direct, &deps}) {
        for (std::size_t d : *preds) {
          if (d != j && hb[d].test(j)) implied = true;
        }
      }
      if (!implied) races.push_back({j, i});
    }
    at(last_of_pid, e.id.pid) = i;
    for (std::uint32_t child : e.spawned) at(spawned_by, child) = i;
    for (std::uint32_t victim : e.killed) disables.push_back({i, victim});
  }
  // The events after `j` that do not happen after it: they can run before j's event. Both
  // modes take them from the whole execution, as the papers define notdep(e, E): stopping
  // at the race (as some implementations do for source sets) loses the events after it
  // whose footprint the reversal changes (docs/exploration.md).
  auto notdep = [&](std::size_t j, std::size_t skip) {
    Sequence v;
    for (std::size_t k = j + 1; k < n; ++k) {
      if (k != skip && !events_[k].barrier && !hb[k].test(j)) v.push_back(&events_[k]);
    }
    return v;
  };
  // Pass 2: reverse each race.
  std::vector<EventRecord> moved;  // stable storage for the reversed events of this pass
  moved.reserve(races.size() + disables.size());
  for (const Race& r : races) {
    Sequence v = notdep(r.j, r.i);
    // Moved before j, event i no longer sees what j wrote (see without_consequences_of);
    // when its record cannot be adjusted, run it there to see what it does.
    // Overtaken: j and the events between j and i that happen after j (they move after i).
    std::vector<const EventRecord*> overtaken{&events_[r.j]};
    for (std::size_t k = r.j + 1; k < r.i; ++k) {
      if (!events_[k].barrier && hb[k].test(r.j)) overtaken.push_back(&events_[k]);
    }
    EventRecord reversed = without_consequences_of(events_[r.i], overtaken);
    if (reversed.unknown && mode_ == DporMode::optimal) reversed = probe_next(event_node_[r.j], v, e_pid(r.i));
    moved.push_back(std::move(reversed));
    v.push_back(&moved.back());
    reverse_race(event_node_[r.j], std::move(v));
  }
  // A kill disables the victim's pending operation, which therefore never appears in the
  // execution: it races with the kill as if it ran at the end (its record from the sleep
  // set if the victim sleeps there, otherwise unknown).
  for (const Disable& d : disables) {
    std::size_t node = event_node_[d.kill];
    const Node& at_kill = stack_[node];
    if (!std::binary_search(at_kill.enabled.begin(), at_kill.enabled.end(), d.victim)) continue;
    Sequence v = notdep(d.kill, n);
    EventRecord pending;
    pending.id = core::EventId{d.victim, 0};
    pending.unknown = true;
    bool known = false;
    for_each_sleeper(at_kill, [&](const Sleeper& s) {
      if (s.first == d.victim) {
        pending = *s.second;
        known = true;
      }
    });
    if (!known && mode_ == DporMode::optimal) pending = probe_next(node, v, d.victim);
    moved.push_back(std::move(pending));
    v.push_back(&moved.back());
    reverse_race(node, std::move(v));
  }
}

// The record `moved` would have if it ran before the `overtaken` events (the racing event
// and those that happen after it): consequences decided by state they wrote are dropped
// when the other branch is known to do nothing more (a link or monitor of a process that
// was not yet dead); otherwise the event is unknown (and optimal mode probes it).
EventRecord Explorer::without_consequences_of(const EventRecord& moved,
                                              const std::vector<const EventRecord*>& overtaken) {
  EventRecord out = moved;
  // A receive with an expired timeout that took an overtaken event's message times out.
  for (core::Access& a : out.accesses) {
    if (a.mode != core::AccessMode::consume_due) continue;
    for (const EventRecord* o : overtaken) {
      if (a.peer == o->id) {
        a.mode = core::AccessMode::timeout;
        a.peer = {};
        break;
      }
    }
  }
  if (moved.conditions.empty()) return out;
  std::uint64_t stale = 0;  // conditions an overtaken event wrote
  for (std::size_t c = 0; c < moved.conditions.size(); ++c) {
    for (const EventRecord* o : overtaken) {
      bool hit = std::any_of(o->accesses.begin(), o->accesses.end(), [&](const core::Access& a) {
        return conflicts(a, o->id, moved.conditions[c]);
      });
      if (hit) {
        stale |= std::uint64_t{1} << (c < 63 ? c : 63);
        break;
      }
    }
  }
  if (stale == 0) return out;
  if ((stale & ~moved.plain_alternative) != 0) {
    // The moved event may take another branch and touch what its record does not show:
    // it stands for anything (dependent with everything), which can only add exploration.
    out.accesses.clear();
    out.unknown = true;
    return out;
  }
  std::erase_if(out.accesses, [&](const core::Access& a) { return (a.causes & stale) != 0; });
  return out;
}

EventRecord Explorer::probe_next(std::size_t node, const Sequence& v, std::uint32_t pid) {
  EventRecord unknown;
  unknown.id = core::EventId{pid, 0};
  unknown.unknown = true;
  if (!probe_) return unknown;
  std::vector<std::uint32_t> pids;
  for (std::size_t k = 0; k < node; ++k) pids.push_back(stack_[k].chosen);
  for (const EventRecord* e : v) pids.push_back(e->id.pid);
  pids.push_back(pid);
  ++stats_.probes;
  const EventRecord* found = probe_(pids);
  return found != nullptr ? *found : unknown;
}

std::vector<std::uint32_t> Explorer::initials(const Sequence& v) {
  std::vector<std::uint32_t> out;
  std::vector<std::uint32_t> seen;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t pid = v[i]->id.pid;
    if (std::find(seen.begin(), seen.end(), pid) != seen.end()) continue;
    seen.push_back(pid);
    bool first = true;
    for (std::size_t k = 0; k < i && first; ++k) {
      if (dependent(*v[k], *v[i])) first = false;
    }
    if (first) out.push_back(pid);
  }
  return out;
}

bool Explorer::weak_initial(std::uint32_t pid, const EventRecord& event, const Sequence& v) const {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i]->id.pid != pid) continue;
    for (std::size_t k = 0; k < i; ++k) {
      if (dependent(*v[k], *v[i])) return false;
    }
    return true;
  }
  // An event that kills a process disables that process's pending operation, so even if it
  // commutes with every event of v it does not cover v: executions where the victim runs
  // first are not reachable after it.
  if (event.unknown || !event.killed.empty()) return false;
  // Nor does an event whose other branch does more (a link or monitor of a live process,
  // which had the target died first would cascade): after events that are not in v, such
  // as that death, the process may do the heavier thing, which v's reversal must reach.
  if (event.heavier_alternative) return false;
  return std::none_of(v.begin(), v.end(), [&](const EventRecord* e) { return dependent(event, *e); });
}

void Explorer::reverse_race(std::size_t node, Sequence v) {
  Node& n = stack_[node];
  if (mode_ == DporMode::source) {
    auto init = initials(v);
    bool covered = std::any_of(init.begin(), init.end(), [&](std::uint32_t p) {
      return std::find(n.backtrack.begin(), n.backtrack.end(), p) != n.backtrack.end();
    });
    if (!covered && !init.empty()) n.backtrack.push_back(init.front());
    return;
  }
  // optimal: skip if a sleeping process already covers v, else insert v into wut(node).
  bool covered = false;
  for_each_sleeper(n, [&](const Sleeper& s) { covered = covered || weak_initial(s.first, *s.second, v); });
  if (!covered) insert(n.wakeup, std::move(v));
}

void Explorer::insert(WakeupNode* at, Sequence v) {
  WakeupNode* node = at;
  while (!v.empty()) {
    if (node != at && node->children.empty()) return;  // a leaf already covers v
    WakeupNode* next = nullptr;
    for (auto& c : node->children) {
      if (weak_initial(c->pid, c->event, v)) {
        next = c.get();
        break;
      }
    }
    if (next == nullptr) {
      for (const EventRecord* e : v) {
        auto leaf = std::make_unique<WakeupNode>();
        leaf->pid = e->id.pid;
        leaf->event = *e;
        WakeupNode* raw = leaf.get();
        node->children.push_back(std::move(leaf));
        ++wakeup_nodes_;
        node = raw;
      }
      return;
    }
    // v minus the first event of next's process (if v has none, next commutes with v).
    auto it = std::find_if(v.begin(), v.end(), [&](const EventRecord* e) { return e->id.pid == next->pid; });
    if (it != v.end()) v.erase(it);
    node = next;
  }
}

bool Explorer::next_branch() {
  while (!stack_.empty()) {
    std::size_t k = stack_.size() - 1;
    Node& n = stack_[k];
    n.explored.emplace_back(n.chosen, n.event);
    std::uint32_t next = 0;
    switch (mode_) {
      case DporMode::none:
      case DporMode::source:
        for (std::uint32_t p : n.backtrack) {
          if (!sleeping(n, p)) {
            next = p;
            break;
          }
        }
        break;
      case DporMode::optimal: {
        auto& kids = n.wakeup->children;
        auto done = std::find_if(kids.begin(), kids.end(), [&](const auto& c) { return c->pid == n.chosen; });
        if (done != kids.end()) {
          std::vector<WakeupNode*> stack{done->get()};
          while (!stack.empty()) {  // count what the finished subtree held
            WakeupNode* w = stack.back();
            stack.pop_back();
            --wakeup_nodes_;
            for (auto& c : w->children) stack.push_back(c.get());
          }
          kids.erase(done);
        }
        if (!kids.empty()) next = kids.front()->pid;
        break;
      }
    }
    if (next != 0) {
      n.chosen = next;
      return true;
    }
    stack_.pop_back();
  }
  return false;
}

}  // namespace lockstep::dpor
