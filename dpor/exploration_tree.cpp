// Wakeup-tree insertion: optimal DPOR's insert[E](v, wut) (Abdulla, Aronis, Jonsson, Sagonas,
// JACM 2017, Algorithm 2), with what parallel exploration adds to it: a sequence may walk
// into branches other workers have claimed (their sleepers are checked on the way), or into
// another worker's own region (there it is deferred to that worker).
#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "dpor/dependency.hpp"
#include "dpor/exploration_tree.hpp"

namespace lockstep::dpor {

// Inline, and here: only insertion calls it, at every leaf it makes.
inline std::shared_ptr<const EventRecord> Explorer::hold(const EventRecord& e) const {
  std::size_t x = events_.index_of(&e);
  if (x != kNone) return events_.share(x);
  return std::allocate_shared<const EventRecord>(PoolAllocator<EventRecord>{}, e);
}

// Inserts v into the wakeup tree of tree node `at` (optimal DPOR's insert[E](v, wut)).
//
// Sequentially, an insertion only ever descends into branches nobody has explored yet, and
// every sleeper of the branch that will run v was checked not to be a weak initial of v
// (the wakeup tree invariant: no leaf has a sleeper among its weak initials; a leaf that
// breaks it explores with that process asleep, drops the races it would have reversed, and
// covers less than the sequences it absorbed). In parallel, v may descend into branches
// other workers have claimed, and meet, at their nodes, claims that finished (no longer in
// the tree, so v cannot go under them) or whose first event is not known yet. Such a claim
// is a sleeper of the branch v ends up in without having been checked, so where it may be a
// weak initial of what is left of v, the branch is exempted from sleeping on it (more
// exploration, never less); a claimed leaf, whose sleepers are fixed, does not absorb v.
// Below a branch nobody has claimed, the sequential argument holds again.
void ExplorationTree::insert(Explorer& self, TreeNode& at, Sequence& v, const std::optional<SequenceKey>& key,
                             const Explorer::Sleepers& checked, std::uint64_t& leaves, bool locked) {
  // The same sequence inserted here before, solidly: it placed the obligation this one would.
  if (key) {
    bool repeat = at.inserted_before(*key);
    self.count_keyed(repeat);
    if (repeat) return;
  }
  // Above any unclaimed branch. Alone on the tree, insertion only ever descends into
  // branches nobody has claimed, and the path's own sleepers were checked: nothing to do.
  // So it is in a worker's own region: the only claims there are its own path's, and the
  // branch of the path at the reversal's node races with v's last event.
  bool own = self.owns(at.depth);
  assert(!own || self.path_[self.region_root_].node->wakeup->owner == &self);
  InsertState st{at.wakeup, &at, workers > 1 && !own};
  if (st.checking) {
    for (const Explorer::Sleeper& s : at.sleep) st.inherited.push_back(s);
  }
  go_on(self, st, v, &at, &checked, leaves, locked);
  if (key && st.solid) at.record_insertion(*key);
}

void ExplorationTree::resume(Explorer& self, Explorer::DeferredInsert& d, Sequence& scratch,
                             std::uint64_t& leaves, bool locked) {
  InsertState st = d.at;
  scratch.clear();
  for (const EventRecord& e : d.v) scratch.push_back(&e);
  go_on(self, st, scratch, nullptr, nullptr, leaves, locked);
}

bool ExplorationTree::continue_insert(Explorer& self, InsertState& st, Sequence& v, const TreeNode* at,
                                      const Explorer::Sleepers* checked, std::uint64_t& leaves, bool locked) {
  using Candidate = std::pair<std::uint32_t, const EventRecord*>;  // null event: not known
  using Candidates = core::InlineVector<Candidate, 8>;
  const WakeupNode* top = at != nullptr ? at->wakeup : nullptr;
  WakeupNode*& node = st.node;
  TreeNode*& tree_node = st.tree_node;
  bool& checking = st.checking;
  Candidates& inherited = st.inherited;  // the sleepers every branch at `node` inherits
  bool& claimed_offended = st.claimed_offended;
  // The sleepers of a branch at `node`: inherited, and the claims at the tree node before
  // it (every claim, for a branch not claimed yet: it comes after them).
  auto sleepers_of = [&](const WakeupNode* branch) {
    Candidates out = inherited;
    if (tree_node == nullptr) return out;
    std::size_t end = tree_node->claims.size();
    if (branch != nullptr && branch->claimed) {
      for (std::size_t c = 0; c < tree_node->claims.size(); ++c) {
        if (tree_node->claims[c].pid == branch->pid) end = c;
      }
    }
    for (std::size_t c = 0; c < end; ++c) {
      const TreeNode::Claim& claim = tree_node->claims[c];
      out.push_back({claim.pid, claim.event.get()});
    }
    return out;
  };
  // Those that may be weak initials of what is left of v (an unknown event may be anything),
  // but for those already found not to be: at the top, the path's sleepers; at each node,
  // the children passed over. (A process's next event after a given prefix is one event,
  // whichever record of it was checked.)
  core::InlineVector<std::uint32_t, 8> passed;
  auto offends = [&](const Candidate& s) {
    if (s.second == nullptr) return true;
    if (std::find(passed.begin(), passed.end(), s.first) != passed.end()) return false;
    if (node == top &&
        std::any_of(checked->begin(), checked->end(), [&](const Explorer::Sleeper& c) { return c.first == s.first; })) {
      return false;
    }
    return self.weak_initial(s.first, *s.second, v);
  };
  // At a claimed branch only whether some sleeper offends matters, so the search stops at
  // the first, and asks first the one that offended a level up: a walk down another
  // worker's path meets the same inherited sleepers at every level.
  std::uint32_t last_offender = 0;
  auto offending = [&](const Candidates& sleepers, bool any) {
    std::vector<std::uint32_t> out;
    const Candidate* tried = nullptr;  // asked first, found not to offend
    if (any) {
      auto first = std::find_if(sleepers.begin(), sleepers.end(),
                                [&](const Candidate& s) { return s.first == last_offender; });
      if (first != sleepers.end()) {
        if (offends(*first)) {
          out.push_back(first->first);
          return out;
        }
        tried = &*first;
      }
    }
    for (const Candidate& s : sleepers) {
      if (&s == tried || !offends(s)) continue;
      out.push_back(s.first);
      if (any) break;
    }
    if (!out.empty()) last_offender = out.front();
    return out;
  };
  while (!v.empty()) {
    if (node->owner != nullptr && node->owner != &self) {
      // Another worker's own region: it goes on from here when that worker next takes the lock.
      if (!locked) return false;  // its list is shared
      ++stats.deferred;
      node->owner->deferred_pending_.store(true, std::memory_order_relaxed);
      Explorer::DeferredInsert& d = node->owner->deferred_.emplace_back();
      d.v.reserve(v.size());  // large records: no regrowth
      for (const EventRecord* e : v) d.v.push_back(*e);
      d.at = st;
      return true;
    }
    if (node != top && node->children.empty() && !(node->claimed && claimed_offended)) {
      return true;  // a leaf already covers v
    }
    WakeupNode* next = nullptr;
    passed.clear();
    for (auto& c : node->children) {
      if (self.weak_initial(c->pid, c->record(), v)) {
        next = c.get();
        break;
      }
      if (checking && c->event) passed.push_back(c->pid);
    }
    // The inserter's own path goes on below next, its nodes not made yet: make the next one.
    if (next != nullptr && next == self.lazy_leaf_) self.materialize_next();
    Candidates sleepers;
    std::vector<std::uint32_t> off;
    if (checking) {
      sleepers = sleepers_of(next);
      off = offending(sleepers, /*any=*/next != nullptr && next->claimed);
    }
    if (next == nullptr) {
      bool first = true;
      for (const EventRecord* e : v) {
        auto leaf = std::make_unique<WakeupNode>();
        leaf->pid = e->id.pid;
        if (!e->unknown) leaf->event = self.hold(*e);
        if (first) leaf->exempt = off;
        first = false;
        WakeupNode* raw = leaf.get();
        node->children.push_back(std::move(leaf));
        ++leaves;
        node = raw;
      }
      return true;
    }
    if (checking && !next->claimed) {
      for (std::uint32_t pid : off) {
        if (std::find(next->exempt.begin(), next->exempt.end(), pid) == next->exempt.end()) next->exempt.push_back(pid);
      }
      checking = false;
    } else if (checking) {
      // A claimed branch: below it, its own sleepers that `next`'s event does not wake.
      claimed_offended = !off.empty();
      inherited.clear();
      if (next->node != nullptr) {
        for (const Explorer::Sleeper& s : next->node->sleep) inherited.push_back(s);
      } else {
        for (const Candidate& s : sleepers) {
          if (s.first == next->pid) continue;
          if (s.second == nullptr || !next->event || !dependent(*next->event, *s.second)) inherited.push_back(s);
        }
      }
      tree_node = next->node;
    }
    // v minus the first event of next's process (if v has none, next commutes with v).
    auto it = std::find_if(v.begin(), v.end(), [&](const EventRecord* e) { return e->id.pid == next->pid; });
    // Taken for commuting with v by its record, which may not be what it will do.
    if (node == top && it == v.end() && next->record().predicted) st.solid = false;
    if (it != v.end()) v.erase(it);
    node = next;
  }
  return true;
}

}  // namespace lockstep::dpor
