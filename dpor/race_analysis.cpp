// The race analysis of source and optimal DPOR: the members of Explorer that read a finished
// execution. Pass 1 orders its events (happens-before, from the access index of
// touch_index.hpp) and finds the races and the disables; pass 2 turns each race into the
// sequence v the tree takes (notdep(e).e'), with the record an event moved before its race
// would have, or a probe that learns it. Here too: the weak-initial test that wakeup-tree
// insertion and sleep sets rest on, and what a cut at a visited state owes the prefix.
// Abdulla, Aronis, Jonsson, Sagonas, "Source Sets: A Foundation for Optimal Dynamic Partial
// Order Reduction", JACM 2017; docs/exploration.md, "How one execution is analysed".
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <vector>

#include "dpor/dependency.hpp"
#include "dpor/exploration_tree.hpp"

namespace lockstep::dpor {

namespace {
// Whether an event does the same wherever it runs, given its process's history: an operation
// on shared objects (atomics, ETS, persistent terms: what it touches is named by the call)
// and nothing else. Any other record may be the state it met: a `stop_node` records only
// the read of a process's life when that process was already dead, and kills it when moved
// before its exit, with no condition recorded to say so.
bool same_anywhere(const EventRecord& e) {
  if (e.unknown || e.barrier || !e.conditions.empty() || !e.killed.empty() || !e.spawned.empty()) return false;
  return std::all_of(e.accesses.begin(), e.accesses.end(), [&](const core::Access& a) {
    switch (a.kind) {
      case core::ObjectKind::shared_object:
      case core::ObjectKind::shared_key:
      case core::ObjectKind::shared_any: return true;
      case core::ObjectKind::life: return a.mode == core::AccessMode::read && a.object == e.id.pid;  // its own
      default: return false;
    }
  });
}

// Whether access `a` of an event of process `pid` is its read of its own life, which every
// event makes (Controller::run). The access index leaves these out: before a process's
// events the only write of its life is its spawn, which program order puts first anyway,
// and a later one (a kill) finds its latest event through Order::last_of_pid instead.
bool own_life_read(const core::Access& a, std::uint32_t pid) {
  return a.kind == core::ObjectKind::life && a.object == pid && a.mode == core::AccessMode::read;
}

// The objects an event may touch, as footprint bits (every bit when not known).
std::uint64_t may_touch(const EventRecord& e) {
  return e.unknown || e.barrier || e.footprint == 0 ? ~std::uint64_t{0} : e.footprint;
}

// Happens-before of one execution: row i is the set of events that happen before event i,
// one flat bit matrix of `width` words a row (reused across executions: no allocation per
// event). Rows are built in order, each from zero (clear_row).
class HappensBefore {
 public:
  HappensBefore(std::vector<std::uint64_t>& words, std::size_t width) : words_(words), width_(width) {}
  void clear_row(std::size_t i) {
    if (words_.size() < (i + 1) * width_) words_.resize((i + 1) * width_);
    std::fill_n(row(i), width_, 0);
  }
  void set(std::size_t i, std::size_t j) { row(i)[j / 64] |= std::uint64_t{1} << (j % 64); }
  bool test(std::size_t i, std::size_t j) const { return test(words_, width_, i, j); }
  // Whether j happens before i, read off a matrix nobody is building (Explorer::happens_before).
  static bool test(const std::vector<std::uint64_t>& words, std::size_t width, std::size_t i, std::size_t j) {
    return (words[i * width + j / 64] >> (j % 64)) & 1;
  }
  void merge(std::size_t i, std::size_t from) {
    for (std::size_t w = 0; w < width_; ++w) row(i)[w] |= row(from)[w];
  }
  void set_below(std::size_t i) {
    for (std::size_t j = 0; j < i; ++j) set(i, j);
  }

 private:
  std::uint64_t* row(std::size_t i) { return words_.data() + i * width_; }
  const std::uint64_t* row(std::size_t i) const { return words_.data() + i * width_; }
  std::vector<std::uint64_t>& words_;
  std::size_t width_;
};
}  // namespace

// Inline, and here: only the race analysis calls it, once a race.
inline Explorer::Sequence Explorer::spare_sequence() {
  if (spare_sequences_.empty()) return {};
  Sequence v = std::move(spare_sequences_.back());
  spare_sequences_.pop_back();
  return v;
}

// Pass 1 of the race analysis, over the events so far: happens-before, each process's last
// event and who spawned it, the races and the disables (into the order_ buffers). Resumes
// where the last call left off: events are only ever appended during an execution.
void Explorer::order_events() {
  Order& o = order_;
  std::size_t n = events_.size();
  if (o.done > n || (n + 63) / 64 > o.width) {  // rows too narrow: start over
    o.done = 0;
    o.width = std::max<std::size_t>(o.width, (2 * n + 63) / 64);
  }
  if (o.done == 0) {
    o.races.clear();
    o.disables.clear();
    forget_indexed();
  }
  HappensBefore hb(hb_words_, o.width);
  std::vector<std::size_t>& direct = o.direct;
  std::vector<std::size_t>& deps = o.deps;
  std::vector<std::size_t>& slots = o.slots;
  seen_.resize(n, 0);  // seen_[j] == i + 1: j already found for event i
  for (std::size_t i = o.done; i < n; ++i) {
    const EventRecord& e = events_[i];
    hb.clear_row(i);
    if (e.barrier) {
      hb.set_below(i);
      index_event(i);
      continue;
    }
    direct.clear();
    deps.clear();
    std::size_t prev = e.id.pid < o.last_of_pid.size() ? o.last_of_pid[e.id.pid] : kNone;
    if (prev == kNone && e.id.pid < o.spawned_by.size()) prev = o.spawned_by[e.id.pid];
    if (prev != kNone) direct.push_back(prev);
    if (o.last_barrier != kNone) direct.push_back(o.last_barrier);
    // Earlier events touching the same objects: a probe of the index per access, its slot
    // kept for indexing the event afterwards.
    touches_.reserve(e.accesses.size());
    slots.clear();
    auto found = [&](const TouchIndex::Touch& t, const core::Access& a) {
      if (seen_[t.event] == i + 1 || t.id.pid == e.id.pid) return;
      if (conflicts(t.access, t.id, a)) {
        seen_[t.event] = i + 1;
        deps.push_back(t.event);
      }
    };
    for (const core::Access& a : e.accesses) {
      if (own_life_read(a, e.id.pid)) {
        slots.push_back(kNone);
        continue;
      }
      std::size_t at = touches_.slot(a.kind, a.object);
      slots.push_back(at);
      touches_.for_each_candidate(at, a, [&](const TouchIndex::Touch& t) { found(t, a); });
      if (a.kind == core::ObjectKind::life && !core::reading(a.mode) && a.object != e.id.pid) {
        // A write of another process's life (a kill) conflicts with each of its events,
        // which read their own life, left out of the index: the latest stands for the rest.
        std::size_t last = a.object < o.last_of_pid.size() ? o.last_of_pid[a.object] : kNone;
        if (last != kNone && (o.last_barrier == kNone || last > o.last_barrier) && seen_[last] != i + 1) {
          seen_[last] = i + 1;
          deps.push_back(last);
        }
      }
    }
    std::sort(deps.begin(), deps.end());
    for (const auto* preds : {&direct, &deps}) {
      for (std::size_t d : *preds) {
        hb.merge(i, d);
        hb.set(i, d);
      }
    }
    // j races with i when j -> i is not implied by another predecessor of i.
    bool receives = std::any_of(e.accesses.begin(), e.accesses.end(), [](const core::Access& a) {
      return a.kind == core::ObjectKind::mailbox && a.mode == core::AccessMode::consume;
    });
    for (std::size_t j : deps) {
      // Not races: a receive and the send it had to wait for; a spawn and its child's start.
      if (receives && reads_from(events_[j], e)) continue;
      if (std::find(direct.begin(), direct.end(), j) != direct.end()) continue;
      bool implied = false;
      for (const auto* preds : {&direct, &deps}) {
        for (std::size_t d : *preds) {
          if (d != j && hb.test(d, j)) implied = true;
        }
      }
      if (!implied) o.races.push_back({j, i});
    }
    index_event(i, slots.data());
    for (std::uint32_t victim : e.killed) o.disables.push_back({i, victim});
  }
  o.done = n;
}

// Forgets the events indexed so far (last events by pid, spawners, the access index).
void Explorer::forget_indexed() {
  order_.last_of_pid.clear();
  order_.spawned_by.clear();
  order_.last_barrier = kNone;
  touches_.clear();
  seen_.clear();  // seen_[j] == i + 1 marks j found for event i: stale marks would skip
}

// Indexes event i for the events after it: its process's last event, the children it
// spawned, its accesses (`slots`: theirs in the access index, if order_events looked them
// up); a barrier orders everything before it, so the access index starts afresh.
void Explorer::index_event(std::size_t i, const std::size_t* slots) {
  Order& o = order_;
  const EventRecord& e = events_[i];
  if (e.barrier) {
    o.last_barrier = i;
    touches_.forget();
    return;
  }
  auto at = [](std::vector<std::size_t>& v, std::uint32_t pid) -> std::size_t& {
    if (v.size() <= pid) v.resize(pid + 1, kNone);
    return v[pid];
  };
  if (slots == nullptr) touches_.reserve(e.accesses.size());
  for (std::size_t x = 0; x < e.accesses.size(); ++x) {
    const core::Access& a = e.accesses[x];
    std::size_t slot = slots != nullptr              ? slots[x]  // kNone: left out (own_life_read)
                       : own_life_read(a, e.id.pid) ? kNone
                                                    : touches_.slot(a.kind, a.object);
    if (slot != kNone) touches_.add(slot, i, e.id, a);
  }
  std::size_t& last = at(o.last_of_pid, e.id.pid);
  if (o.previous_of_pid.size() <= i) o.previous_of_pid.resize(i + 1, kNone);
  o.previous_of_pid[i] = last;
  last = i;
  for (std::uint32_t child : e.spawned) at(o.spawned_by, child) = i;
}

// The first `keep` events of the next execution repeat the last one's: pass 1's results for
// them stay (happens-before rows only depend on earlier events), the rest is dropped.
void Explorer::keep_order(std::size_t keep) {
  Order& o = order_;
  keep = std::min(keep, o.done);
  if (identities_.size() > keep) identities_.resize(keep);  // the later records change
  if (keep == 0) {
    o.done = 0;
    return;
  }
  while (!o.races.empty() && o.races.back().i >= keep) o.races.pop_back();
  while (!o.disables.empty() && o.disables.back().kill >= keep) o.disables.pop_back();
  // The index is rewound to the first `keep` events: what the dropped events changed is
  // undone, latest first (re-indexing the kept ones cost a hash insert per access each time).
  // A dropped barrier emptied the index: then it is rebuilt.
  bool barrier_dropped = o.last_barrier != kNone && o.last_barrier >= keep;
  if (barrier_dropped) {
    forget_indexed();
    for (std::size_t i = 0; i < keep; ++i) index_event(i);
  } else {
    touches_.truncate(keep);
    for (std::size_t i = o.done; i-- > keep;) {
      const EventRecord& e = events_[i];
      if (e.barrier) continue;
      o.last_of_pid[e.id.pid] = o.previous_of_pid[i];
      for (std::uint32_t child : e.spawned) o.spawned_by[child] = kNone;
    }
    seen_.clear();  // marks of the dropped events would pass for the new ones'
  }
  o.done = keep;
}

void Explorer::analyse_races() {
  const DporMode mode = tree_->mode;
  std::size_t n = events_.size();
  ++analysed_;
  order_events();
  HappensBefore hb(hb_words_, order_.width);
  const auto& races = order_.races;
  const auto& disables = order_.disables;
  auto e_pid = [&](std::size_t i) { return events_[i].id.pid; };
  // The events after `j` that do not happen after it: they can run before j's event. Both
  // modes take them from the whole execution, as the papers define notdep(e, E): stopping
  // at the race (as some implementations do for source sets) loses the events after it
  // whose footprint the reversal changes (docs/exploration.md).
  auto notdep = [&](std::size_t j, std::size_t skip) {
    Sequence v = spare_sequence();
    v.reserve(n - j);
    for (std::size_t k = j + 1; k < n; ++k) {
      if (k != skip && event_node_[k] != kNone && !hb.test(k, j)) v.push_back(&events_[k]);  // no barrier
    }
    return v;
  };
  // The nodes a cut at a visited state owes a full expansion (see nodes_racing).
  // Optimal DPOR cuts only where nothing races (pick_new_node checked): its wakeup trees
  // cannot take a full expansion (docs/exploration.md, "State caching").
  std::vector<std::size_t> expand;
  if (hit_ && mode != DporMode::optimal) expand = nodes_racing(*hit_);
  assert(mode != DporMode::optimal || !hit_ || nodes_racing(*hit_).empty());
  // Storage for the reversed events of this pass, reserved up front so that the sequences
  // can point into it.
  std::vector<EventRecord>& moved = moved_;
  moved.clear();
  std::size_t needed = races.size() + disables.size();
  for (std::size_t node : expand) needed += path_[node].node->enabled.size();
  moved.reserve(needed);
  std::vector<Reversal>& reversals = reversals_;  // applied to the tree by end_execution
  // Pass 2: reverse each race.
  for (const Order::Race& r : races) {
    Sequence v = notdep(r.j, r.i);
    // Moved before j, event i no longer sees what j wrote (see without_consequences_of);
    // when its record cannot be adjusted, run it there to see what it does.
    // Overtaken: j and the events between j and i that happen after j (they move after i).
    std::vector<const EventRecord*>& overtaken = overtaken_;
    overtaken.assign(1, &events_[r.j]);
    for (std::size_t k = r.j + 1; k < r.i; ++k) {
      if (event_node_[k] != kNone && hb.test(k, r.j)) overtaken.push_back(&events_[k]);  // no barrier
    }
    EventRecord reversed = without_consequences_of(events_[r.i], overtaken);
    if (reversed.unknown && mode == DporMode::optimal) reversed = probe_next(event_node_[r.j], v, e_pid(r.i));
    moved.push_back(std::move(reversed));
    v.push_back(&moved.back());
    reversals.push_back({event_node_[r.j], std::move(v)});
  }
  // A kill disables the victim's pending operation, which therefore never appears in the
  // execution: it races with the kill as if it ran at the end (its record from the sleep
  // set if the victim sleeps there, otherwise unknown).
  for (const Order::Disable& d : disables) {
    std::size_t node = event_node_[d.kill];
    EventRecord pending;
    pending.id = core::EventId{d.victim, 0};
    pending.unknown = true;
    bool known = false;
    // The node's enabled set never changes; its sleepers as this branch entered it (a
    // sibling's event published since is missed: the victim's record is then unknown, which
    // explores more, never less).
    const auto& enabled = enabled_at(node);
    if (!std::binary_search(enabled.begin(), enabled.end(), d.victim)) continue;
    for (const Sleeper& s : path_[node].sleepers) {
      if (s.first == d.victim) {
        pending = *s.second;
        known = true;
      }
    }
    Sequence v = notdep(d.kill, n);
    if (!known && mode == DporMode::optimal) pending = probe_next(node, v, d.victim);
    moved.push_back(std::move(pending));
    v.push_back(&moved.back());
    reversals.push_back({node, std::move(v)});
  }
  // A full expansion: every enabled process is a branch at each owed node.
  for (std::size_t node : expand) {
    for (std::uint32_t pid : path_[node].node->enabled) {
      EventRecord& any = moved.emplace_back();
      any.id = core::EventId{pid, 0};
      any.unknown = true;
      reversals.push_back({node, Sequence{&any}});
    }
  }
  if (!expand.empty()) {
    std::lock_guard lock(tree_->mutex);
    tree_->stats.expansions += expand.size();
  }
  assert(moved.size() <= needed && "the reversed events moved: sequences point into them");
  // A sleeping process that covers a reversal makes it redundant (optimal mode); checked
  // against this path's sleepers before taking the lock.
  if (mode == DporMode::optimal) {
    std::erase_if(reversals, [&](Reversal& r) {
      const auto& sleepers = path_[r.node].sleepers;
      bool covered = std::any_of(sleepers.begin(), sleepers.end(),
                                 [&](const Sleeper& s) { return weak_initial(s.first, *s.second, r.v); });
      if (!covered && keying()) {
        // Inserted at its node before (sequence_key.hpp): nothing to add. Read without the
        // lock at the own region's nodes only; ExplorationTree::insert checks the others.
        r.key = key_of(r.v);
        const TreeNode* node = path_[r.node].node.get();
        covered = node != nullptr && owns(r.node) && node->inserted_before(*r.key);
        if (covered) count_keyed(true);
      }
      if (covered) recycle(r.v);
      return covered;
    });
  }
}

// What a cut at a visited state owes the prefix: see the header. A future event of process q
// cannot race with a prefix event that happens before q's last event in the prefix (or, for
// a process not yet born, before its spawner's): program order. Source DPOR and plain
// enumeration fully expand the nodes returned (every enabled process becomes a branch: a
// superset of any source set; sleeping processes still cover theirs); optimal DPOR declines
// the hit if there is any (a full expansion does not fit wakeup trees).
std::vector<std::size_t> Explorer::nodes_racing(const Summary& cached, bool first_only) {
  const std::size_t n = events_.size();
  const Order& o = order_;
  HappensBefore hb(hb_words_, o.width);
  RacingScratch& r = racing_;
  // Each process's frontier is asked for once per touch: worked out once per call.
  constexpr std::size_t kUnset = RacingScratch::kUnset;
  r.frontier.assign(std::max(o.last_of_pid.size(), o.spawned_by.size()) + 1, kUnset);
  auto frontier_of = [&](std::uint32_t pid) -> std::size_t {
    for (int hops = 0; pid != 0 && hops < 64; ++hops) {
      std::size_t f = pid < o.last_of_pid.size() ? o.last_of_pid[pid] : kNone;
      if (f == kNone && pid < o.spawned_by.size()) f = o.spawned_by[pid];
      if (f != kNone) return f;
      pid = cached.spawner(pid);  // born in the cached subtree: after its spawner's events
    }
    return kNone;
  };
  auto frontier = [&](std::uint32_t pid) -> std::size_t {
    if (pid >= r.frontier.size()) return frontier_of(pid);
    std::size_t& f = r.frontier[pid];
    if (f == kUnset) f = frontier_of(pid);
    return f;
  };
  // Prefix event i happens before every event process q has in the cached subtree.
  auto before_future_of = [&](std::size_t i, std::uint32_t q) {
    std::size_t f = frontier(q);
    return f != kNone && (f == i || hb.test(f, i));
  };
  // Whether some process of the cached subtree has events there that do not happen after
  // prefix event i (they would be in notdep(i)).
  std::vector<std::uint32_t>& future_pids = r.future_pids;
  future_pids.clear();
  for (const Summary::Touch& t : cached.touches()) future_pids.push_back(t.pid);
  std::sort(future_pids.begin(), future_pids.end());
  future_pids.erase(std::unique(future_pids.begin(), future_pids.end()), future_pids.end());
  auto concurrent_future = [&](std::size_t i) {
    return std::any_of(future_pids.begin(), future_pids.end(), [&](std::uint32_t q) { return !before_future_of(i, q); });
  };
  // The first events of this prefix's own races and disables.
  r.is_source.assign(n, 0);
  for (const Order::Race& race : o.races) r.is_source[race.j] = 1;
  for (const Order::Disable& d : o.disables) r.is_source[d.kill] = 1;
  r.expanded.assign(path_.size(), 0);
  std::vector<std::size_t> out;
  // Whether event i races with the cached subtree (then its node is owed an expansion).
  auto races_with_subtree = [&](std::size_t i) {
    const EventRecord& e = events_[i];
    // A race of the prefix's own reverses into notdep(i), which would have held the
    // subtree's events too: its initials may be a process that runs only there.
    if (r.is_source[i] && concurrent_future(i)) return true;
    for (const core::Access& a : e.accesses) {
      for (const Summary::Touch& t : cached.touching(a.kind, a.object)) {
        if (t.pid == e.id.pid) continue;
        // A receive's record names the sender it took from in the cached subtree's own
        // prefix (a state does not say who sent what is in a mailbox): one whose timeout had
        // expired races with any send to that mailbox; one that had to wait races with none
        // (it received this send: reads-from; or another, which commutes with this one).
        bool due_receive = a.mode == core::AccessMode::append && t.access.mode == core::AccessMode::consume_due;
        if (!due_receive && (t.access.mode == core::AccessMode::consume || !conflicts(a, e.id, t.access))) continue;
        if (before_future_of(i, t.pid)) continue;
        return true;
      }
    }
    return false;
  };
  const std::size_t from = o.last_barrier == kNone ? 0 : o.last_barrier + 1;
  auto visit = [&](std::size_t i) {
    std::size_t node = event_node_[i];
    if (events_[i].barrier || node == kNone || r.expanded[node] || !races_with_subtree(i)) return false;
    r.expanded[node] = 1;
    out.push_back(node);
    return true;
  };
  if (first_only) {
    // Whether there is any: the latest events are the likeliest to be concurrent with the
    // subtree, so the search starts there.
    for (std::size_t i = n; i-- > from;) {
      if (visit(i)) break;
    }
  } else {
    for (std::size_t i = from; i < n; ++i) visit(i);
  }
  return out;
}

// The record `moved` would have if it ran before the `overtaken` events (the racing event
// and those that happen after it): consequences decided by state they wrote are dropped
// when the other branch is known to do nothing more (a link or monitor of a process that
// was not yet dead); otherwise the event is unknown (and optimal mode probes it).
EventRecord Explorer::without_consequences_of(const EventRecord& moved,
                                              const std::vector<const EventRecord*>& overtaken) {
  EventRecord out = moved;
  out.predicted = !same_anywhere(moved);
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
  std::uint32_t stale = 0;  // conditions an overtaken event wrote
  for (std::size_t c = 0; c < moved.conditions.size(); ++c) {
    for (const EventRecord* o : overtaken) {
      bool hit = std::any_of(o->accesses.begin(), o->accesses.end(), [&](const core::Access& a) {
        return conflicts(a, o->id, moved.conditions[c]);
      });
      if (hit) {
        stale |= core::cause_bit(c);
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
  out.accesses.erase(std::remove_if(out.accesses.begin(), out.accesses.end(),
                                    [&](const core::Access& a) { return (a.causes & stale) != 0; }),
                     out.accesses.end());
  return out;
}

EventRecord Explorer::probe_next(std::size_t node, const Sequence& v, std::uint32_t pid) {
  EventRecord unknown;
  unknown.id = core::EventId{pid, 0};
  unknown.unknown = true;
  if (!probe_) return unknown;
  std::vector<std::uint32_t> pids;
  for (std::size_t k = 0; k < node; ++k) pids.push_back(path_[k].chosen);
  for (const EventRecord* e : v) pids.push_back(e->id.pid);
  pids.push_back(pid);
  // The scenario is deterministic: the same schedule leads to the same event. Races found
  // in different executions often ask for the same one (measured: 9,446 probes, 3,864
  // distinct, on "cluster requests, 1 partition fault"), and a probe is a partial execution.
  if (auto known = probed_.find(pids); known != probed_.end()) return known->second ? *known->second : unknown;
  {
    std::lock_guard lock(tree_->mutex);
    ++tree_->stats.probes;
  }
  const EventRecord* found = probe_(pids);
  if (probed_.size() >= kMaxProbed) probed_.clear();  // a bound, not an eviction policy
  probed_.emplace(std::move(pids), found != nullptr ? std::optional<EventRecord>(*found) : std::nullopt);
  return found != nullptr ? *found : unknown;
}

std::vector<std::uint32_t> Explorer::initials(const Sequence& v) {
  std::vector<std::uint32_t> out;
  std::vector<std::uint32_t> seen;
  std::uint64_t before = 0;  // what the events of v before i may touch
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t pid = v[i]->id.pid;
    std::uint64_t touches = may_touch(*v[i]);
    if (std::find(seen.begin(), seen.end(), pid) == seen.end()) {
      seen.push_back(pid);
      bool first = true;
      if ((touches & before) != 0) {
        for (std::size_t k = 0; k < i && first; ++k) {
          if (dependent(*v[k], *v[i])) first = false;
        }
      }
      if (first) out.push_back(pid);
    }
    before |= touches;
  }
  return out;
}

// Whether event v[i] of a sequence depends on an event before it there is, for events of the
// current execution, whether one of them happens before it. A sequence from the race
// analysis holds events that do not happen after some event j, in execution order, less
// the weak initials insertion has taken off its front; its last event may be a reversed one
// (not of the execution). A chain of dependencies between two of its events passes only
// through its own: an event between them in the execution that is not in the sequence
// happens after j, and so would the later one; one taken off had no dependency before it.
// So among them happens-before is the closure of dependency within the sequence, and some
// event before v[i] depends on it exactly when some event before it happens before it.
std::size_t Explorer::ordered_index(const EventRecord* e) const {
  std::size_t x = events_.index_of(e);
  return x < order_.done ? x : kNone;
}

bool Explorer::happens_before(std::size_t earlier, std::size_t later) const {
  assert(earlier != kNone && later != kNone);
  return HappensBefore::test(hb_words_, order_.width, later, earlier);
}

bool Explorer::weak_initial(std::uint32_t pid, const EventRecord& event, const Sequence& v) const {
  std::uint64_t before = 0;  // what the events of v before i may touch
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i]->id.pid != pid) {
      before |= may_touch(*v[i]);
      continue;
    }
    if ((may_touch(*v[i]) & before) == 0) return true;  // no common object: no dependency
    auto depends_on_earlier = [&] {
      return std::any_of(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i),
                         [&](const EventRecord* e) { return dependent(*e, *v[i]); });
    };
    if (std::size_t x = ordered_index(v[i]); x != kNone) {
      // Events of this execution: happens-before answers it, a bit each (see ordered_index).
      bool ordered = std::any_of(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), [&](const EventRecord* e) {
        std::size_t y = ordered_index(e);
        return y != kNone ? happens_before(y, x) : dependent(*e, *v[i]);
      });
      assert(ordered == depends_on_earlier() && "happens-before within a reversal is its dependency closure");
      return !ordered;
    }
    return !depends_on_earlier();
  }
  // An event that kills a process disables that process's pending operation, so even if it
  // commutes with every event of v it does not cover v: executions where the victim runs
  // first are not reachable after it.
  if (event.unknown || !event.killed.empty()) return false;
  // Nor does an event whose other branch does more (a link or monitor of a live process,
  // which had the target died first would cascade): after events that are not in v, such
  // as that death, the process may do the heavier thing, which v's reversal must reach.
  if (event.heavier_alternative) return false;
  if (v.empty() || (may_touch(event) & before) == 0) return true;
  // The last event first: a reversed race, what a branch at the race's node conflicts with.
  if (dependent(event, *v.back())) return false;
  return std::none_of(v.begin(), v.end() - 1, [&](const EventRecord* e) { return dependent(event, *e); });
}

SequenceKey Explorer::key_of(const Sequence& v) {
  key_words_.clear();
  for (const EventRecord* e : v) {
    std::size_t x = ordered_index(e);
    if (x == kNone) {
      key_words_.push_back(event_identity(*e));
      continue;
    }
    if (identities_.size() <= x) identities_.resize(x + 1, 0);
    std::uint64_t& identity = identities_[x];
    if (identity == 0) identity = event_identity(*e);
    key_words_.push_back(identity);
  }
  return sequence_key(key_words_.data(), key_words_.size());
}

bool Explorer::keying() const {
  return keying_ && (tree_->workers > 1 || analysed_ > tree_->alone_keying_from);
}

void Explorer::count_keyed(bool repeat) {
  own_.repeats += repeat ? 1 : 0;
  repeats_ += repeat ? 1 : 0;
  if (++keyed_ < kKeyedWindow) return;
  if (repeats_ < kRepeatsWanted) keying_ = false;
  keyed_ = repeats_ = 0;
}

}  // namespace lockstep::dpor
