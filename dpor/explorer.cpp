// Explorer as a Strategy: the path it follows through the shared exploration tree, what it
// picks at each step (replayed, followed from a wakeup tree, or a new node), what it keeps of
// each event, and the bookkeeping between executions (the next branch, steals, own regions,
// applying reversals). The race analysis is in race_analysis.cpp, the tree and wakeup-tree
// insertion in exploration_tree.hpp and .cpp.
#include "dpor/explorer.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <mutex>

#include "dpor/block_cache.hpp"
#include "dpor/dependency.hpp"
#include "dpor/exploration_tree.hpp"

namespace lockstep::dpor {

using core::EventRecord;

ExplorerConfig ExplorerConfig::from(const Options& options) {
  ExplorerConfig c;
  c.mode = options.dpor;
  c.max_executions = options.max_executions;
  c.max_depth = options.max_depth;
  c.stop_at_bug = !options.keep_going;
  if (options.state_cache) {
    c.state_cache_bytes = options.max_memory;
    if (c.state_cache_bytes == 0) {  // half the machine's memory
      long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
      c.state_cache_bytes = pages > 0 && page > 0 ? std::uint64_t(pages) * std::uint64_t(page) / 2 : (1ULL << 31);
    }
    if (options.state_cache_adaptive) {
      c.cache_window = kAdaptiveCacheWindow;
      c.cache_first_window = kAdaptiveFirstWindow;
    }
  }
  return c;
}

struct Explorer::Spare {
  std::vector<EventLog::Record> events;
  std::vector<PathEntry> path;
  std::vector<std::uint64_t> hb_words;
  TouchIndex touches;
  Order order;
  std::vector<std::size_t> event_node, seen;
  std::vector<std::uint32_t> replay;
  std::vector<EventRecord> moved;
  std::vector<Reversal> reversals;
  std::vector<Sequence> sequences;
  bool filled = false;
  // Past this many records a buffer is not kept: a thread should not hold on to the memory
  // of one long exploration for the rest of its life.
  static constexpr std::size_t kMaxRecords = 4096;
};

Explorer::Spare& Explorer::thread_spare() {
  thread_local Spare spare;
  return spare;
}

void Explorer::adopt_spare() {
  Spare& spare = thread_spare();
  if (!spare.filled) return;
  spare.filled = false;
  events_.adopt(std::move(spare.events));
  path_ = std::move(spare.path);
  hb_words_ = std::move(spare.hb_words);
  touches_ = std::move(spare.touches);
  touches_.clear();
  order_ = std::move(spare.order);
  order_.done = 0;  // ordered nothing of this exploration yet: its first pass starts over
  event_node_ = std::move(spare.event_node);
  event_node_.clear();
  seen_ = std::move(spare.seen);
  seen_.clear();
  replay_ = std::move(spare.replay);
  moved_ = std::move(spare.moved);
  reversals_ = std::move(spare.reversals);
  spare_sequences_ = std::move(spare.sequences);  // empty, with their buffers
}

void Explorer::return_spare() {
  Spare& spare = thread_spare();
  if (spare.filled || events_.capacity() > Spare::kMaxRecords) return;
  clear_path();  // its nodes belong to this exploration's tree
  spare.events = events_.take();
  spare.path = std::move(path_);
  spare.hb_words = std::move(hb_words_);
  spare.touches = std::move(touches_);
  spare.order = std::move(order_);
  spare.event_node = std::move(event_node_);
  spare.seen = std::move(seen_);
  replay_.clear();
  spare.replay = std::move(replay_);
  moved_.clear();
  spare.moved = std::move(moved_);
  reversals_.clear();  // (their sequences were recycled as they were applied)
  spare.reversals = std::move(reversals_);
  spare.sequences = std::move(spare_sequences_);
  spare.filled = true;
}

Explorer::Explorer(const ExplorerConfig& config) : tree_(make_tree(config)) { adopt_spare(); }

Explorer::Explorer(std::shared_ptr<ExplorationTree> tree) : tree_(std::move(tree)) {
  ++tree_->workers;
  adopt_spare();
}

Explorer::~Explorer() { return_spare(); }

std::shared_ptr<ExplorationTree> Explorer::make_tree(const ExplorerConfig& config) {
  return std::make_shared<ExplorationTree>(config);
}

void Explorer::stop(ExplorationTree& tree) {
  std::lock_guard lock(tree.mutex);
  tree.stop_all();
}

ExplorerStats Explorer::stats() const {
  std::lock_guard lock(tree_->mutex);
  ExplorerStats st = tree_->stats;
  if (tree_->cache) st.cache = tree_->cache->stats();
  return st;
}

bool Explorer::observes_states() const { return caching_ || static_cast<bool>(on_execution); }

bool Explorer::begin_execution() {
  ExplorationTree& t = *tree_;
  // The whole execution sees one answer to each (a cache that retires meanwhile is only
  // seen by the next): caching_ goes from true to false once, and private paths with it.
  caching_ = t.caching.load(std::memory_order_relaxed);
  private_paths_ = t.mode == DporMode::optimal && !caching_;
  persistent_regions_ = private_paths_ && t.max_executions == 0;
  bool ready = false;
  bool continued = false;  // the path is the last execution's, up to its last entry
  std::size_t same_events = 0;  // events this execution repeats from the last one
  drain_deferred(false);
  // Within the own region, the next branch is taken without the lock.
  if (persistent_regions_ && region_root_ != kNoRegion && !t.stopped.load(std::memory_order_relaxed) &&
      !deferred_pending_.load(std::memory_order_relaxed)) {
    ready = continued = next_branch(false) == 1;
  }
  std::unique_lock lock(t.mutex, std::defer_lock);
  if (!ready) {
    lock.lock();
    drain_deferred(true);
    if (t.idle.load(std::memory_order_relaxed) != 0) release_region();
    if (!t.started) {
      t.started = true;  // this worker runs the first execution and grows the root
      ready = true;
    } else if (!path_.empty() && next_branch(true) == 1) {
      ready = continued = true;
    } else {
      release_region();
      clear_path();
      // Idle: take an unclaimed branch anywhere, or wait for one (or for the end).
      for (;;) {
        if (t.stopped || (t.root && t.root->done)) break;
        if (steal()) {
          ready = true;
          break;
        }
        ++t.idle;
        t.work.wait(lock);
        --t.idle;
      }
    }
    if (!ready || t.stopped) {
      flush_own();
      return false;
    }
    if (t.max_executions != 0 && t.stats.executions + t.stats.blocked >= t.max_executions) {
      t.stats.incomplete = "stopped after " + std::to_string(t.max_executions) +
                           " executions (--max-executions); raise it to explore further";
      t.stop_all();
      flush_own();
      return false;
    }
    lock.unlock();  // the rest is this worker's own bookkeeping
  }
  if (continued) {
    // The path below its last entry is the last execution's: so are the events before the
    // first one at that node (a replay is deterministic).
    std::size_t node = path_.size() - 1;
    while (same_events < event_node_.size() &&
           (event_node_[same_events] == kNone || event_node_[same_events] < node)) {
      ++same_events;
    }
  }
  keep_order(same_events);
  // The controller runs those events' steps without reporting them (replayed_prefix): what
  // observe() made of them stays as the last execution left it, and the path's first
  // entries are where they led.
  replay_.clear();
  event_node_.resize(same_events);
  for (std::size_t node : event_node_) {
    if (node != kNone) replay_.push_back(path_[node].chosen);
  }
  assert(replay_.size() < path_.size() || replay_.empty());
  events_.restart(same_events);
  pending_sleep_.clear();
  next_node_ = replay_.size();
  cut_ = false;
  barrier_since_node_ = same_events != 0 && event_node_.back() == kNone;  // a timer fired since
  hit_.reset();
  return true;
}

// After an execution: the deepest branch is finished. Take the next branch at the deepest
// node that has one, finishing nodes on the way up; leave a node that other workers are
// still below. 1: took one; 0: nothing left on this path (the caller steals); -1 (only
// without the lock): the next step up needs the lock, at or above the own region's root
// (insertions deferred to the region stop at its root, and may add branches there).
int Explorer::next_branch(bool locked) {
  ExplorationTree& t = *tree_;
  if (!locked) {
    // Only if a node below the region's root has a branch left: nothing is finished
    // otherwise. A deferred insertion applied while the path's claims below the root are
    // finished but the root's is not would take the root's explored branch, now childless,
    // for a leaf still to be explored, and stop there ("a leaf already covers v").
    bool below_root = false;
    for (std::size_t i = path_.size(); i-- > 0 && owns(i) && i != region_root_;) {
      if (path_[i].node && t.next_unclaimed(*path_[i].node) != 0) {
        below_root = true;
        break;
      }
    }
    if (!below_root) return -1;
  }
  while (!path_.empty()) {
    std::size_t index = path_.size() - 1;
    bool own = owns(index);
    if (!locked && (!own || index == region_root_)) return -1;
    PathEntry& e = path_.back();
    if (!e.node) {  // never made: nothing was inserted there, its one branch is done
      path_.pop_back();
      if (path_.size() == lazy_from_) {
        lazy_from_ = kNoLazy;
        lazy_leaf_ = nullptr;
      }
      continue;
    }
    TreeNode& n = *e.node;
    std::uint64_t gone = t.finish_claim(n, e.seq);
    if (own) {
      own_.wakeup_gone += gone;
    } else {
      t.wakeup_nodes -= gone;
    }
    if (std::uint32_t next = t.next_unclaimed(n); next != 0) {
      e = enter(e.node, next, t.claim(n, next), false);
      if (!own) t.offer(path_.back().node);
      return 1;
    }
    if (n.active != 0) return 0;  // the workers still below will finish this node
    n.done = true;
    t.seal(n);
    if (own) {
      ++own_.nodes_done;
      if (index == region_root_) {  // the region is finished
        n.wakeup->owner = nullptr;
        region_root_ = kNoRegion;
      }
    } else {
      --t.live_nodes;
      t.open.erase({n.depth, &n});
    }
    path_.pop_back();
  }
  t.work.notify_all();  // the root is done
  return 0;
}

// Claims the shallowest unclaimed branch in the tree and takes the path to it.
bool Explorer::steal() {
  ExplorationTree& t = *tree_;
  // A branch claimed at a node while an earlier claim there has not run its first event yet
  // does not sleep on it, and may explore what that sibling covers: prefer the shallowest
  // node with no such claim, else the shallowest at all (measured on indexer(15), 2 workers:
  // the redundancy had outliers of 1.5-5x the executions).
  auto settled = [](const TreeNode& n) {
    return std::all_of(n.claims.begin(), n.claims.end(), [](const TreeNode::Claim& c) { return c.finished || c.event; });
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (auto it = t.open.begin(); it != t.open.end();) {
      std::shared_ptr<TreeNode> node = it->second;
      std::uint32_t next = node->done ? 0 : t.next_unclaimed(*node);
      if (next == 0) {
        it = t.open.erase(it);
        continue;
      }
      if (pass == 0 && !settled(*node)) {
        ++it;
        continue;
      }
      std::uint64_t seq = t.claim(*node, next);
      clear_path();
      for (std::shared_ptr<TreeNode> up = node; up->parent; up = up->parent) {
        path_.push_back(enter(up->parent, up->parent_pid, up->parent_seq, true));
      }
      std::reverse(path_.begin(), path_.end());
      path_.push_back(enter(node, next, seq, false));
      if (t.next_unclaimed(*node) == 0) t.open.erase(it);
      return true;
    }
  }
  return false;
}

// Called with the tree locked. A sibling claimed before this branch whose first event has
// not run yet is not asleep here: a little redundancy, never a lost trace.
Explorer::PathEntry Explorer::enter(std::shared_ptr<TreeNode> node, std::uint32_t chosen, std::uint64_t seq,
                                    bool published) const {
  PathEntry e;
  e.node = std::move(node);
  e.chosen = chosen;
  e.seq = seq;
  e.published = published;
  e.node->for_each_sleeper(seq, [&](const Sleeper& s) { e.sleepers.push_back(s); });
  if (tree_->mode == DporMode::optimal) {
    for (const auto& c : e.node->wakeup->children) {
      if (c->pid == chosen) without_exempt(e.sleepers, *c);
    }
  }
  return e;
}

std::size_t Explorer::pick(const core::Choice& choice) {
  std::size_t k = next_node_++;
  bool after_barrier = barrier_since_node_;
  barrier_since_node_ = false;
  auto index_of = [&](std::uint32_t pid) { return core::rerun_index(choice.enabled, pid, choice.step); };
  // Within the path: its last node (the steps before it ran as replayed_prefix).
  if (k < path_.size()) return index_of(path_[k].chosen);
  if (tree_->max_depth != 0 && k >= tree_->max_depth) {
    cut_ = true;
    std::lock_guard lock(tree_->mutex);
    tree_->stats.incomplete = "executions were cut at depth " + std::to_string(tree_->max_depth) +
                              " (--max-depth); raise it, or shrink the scenario, to explore fully";
    return core::kAbandon;
  }
  std::size_t chosen = pick_new_node(choice, k, after_barrier);
  return chosen == core::kAbandon || chosen == core::kPrune ? chosen : index_of(static_cast<std::uint32_t>(chosen));
}

// Grows the tree by one node at depth k and claims its first branch; returns its pid, or
// kAbandon when every enabled process sleeps.
std::size_t Explorer::pick_new_node(const core::Choice& choice, std::size_t k, bool after_barrier) {
  ExplorationTree& t = *tree_;
  std::uint64_t state = 0;
  if (caching_ && k > 0 && choice.states != nullptr) {
    state = choice.states->visible_state();
    Covered covered = t.cache->covering(state, sorted_pids(pending_sleep_));
    if (covered.found && t.mode == DporMode::optimal) {
      // Optimal DPOR cannot make up for a race of the prefix with the cached subtree (a
      // full expansion does not fit wakeup trees): it cuts only where there is none.
      order_events();
      covered.found = nodes_racing(*covered.summary, /*first_only=*/true).empty();
    }
    if (covered.found) {
      // Explored before with no more sleepers: stop here. The parent's subtree summary gets
      // what the cached subtree touched, and end_execution races this prefix against it
      // (plain enumeration summarizes nothing: it races nothing).
      std::lock_guard lock(t.mutex);
      t.count_hit(covered.work);
      publish();
      TreeNode& parent = *path_[k - 1].node;
      if (parent.summary && covered.summary && !after_barrier) parent.summary->merge(*covered.summary);
      hit_ = std::move(covered.summary);
      return core::kPrune;
    }
  }
  if (lazy_node(k)) {
    // Its wakeup node: the branch it takes is that node's one child, else (a leaf) the first
    // process awake. One with more children has branches left after this one: it is made.
    WakeupNode* w = lazy_from_ == kNoLazy ? leaf_below(k - 1) : lazy_wakeup_;
    if (w != nullptr && (w->children.size() > 1 || (w->children.size() == 1 && !w->children.front()->exempt.empty()))) {
      materialize_through(k - 1);  // a node's parent is made before it
    } else {
      publish();
      PathEntry& entry = path_.emplace_back();
      pids_of(choice, entry.enabled);
      WakeupNode* next = w != nullptr && !w->children.empty() ? w->children.front().get() : nullptr;
      entry.chosen = next != nullptr ? next->pid : first_awake(entry.enabled, pending_sleep_);
      if (entry.chosen == 0) {  // sleep-set blocked
        path_.pop_back();
        return core::kAbandon;
      }
      entry.sleepers = pending_sleep_;
      entry.published = true;  // the event goes into the node when it is made
      if (lazy_from_ == kNoLazy) {
        lazy_from_ = k;
        lazy_leaf_ = w;
      }
      lazy_wakeup_ = next;
      return entry.chosen;
    }
  }
  // The node is built before the lock is taken (nobody else sees it until it is linked):
  // the critical section is only what other workers read.
  auto n = new_node(k, pending_sleep_);
  n->state = state;
  n->after_barrier = after_barrier;
  if (caching_ && t.mode != DporMode::none) n->summary = std::make_shared<Summary>();
  n->effort_before = t.effort.load(std::memory_order_relaxed);
  pids_of(choice, n->enabled);
  std::uint32_t first_awake = Explorer::first_awake(n->enabled, n->sleep);
  std::uint32_t chosen = 0;
  if (t.mode == DporMode::none) {
    chosen = n->enabled.front();
    n->backtrack = n->enabled;
  } else if (t.mode == DporMode::source) {
    chosen = first_awake;
    n->backtrack = {chosen};
  }
  // A leaf for the wakeup tree, in case the branch taken is new there (spare_leaf_); the path
  // entry (its sleepers are the node's own: nothing was claimed before the first branch).
  if (t.mode == DporMode::optimal && !spare_leaf_) spare_leaf_ = std::make_unique<WakeupNode>();
  // Made in place (a temporary entry was zeroed and moved at every step); taken off again if
  // the node turns out to be sleep-set blocked.
  assert(path_.size() == k);
  PathEntry& entry = path_.emplace_back();
  entry.node = n;
  entry.sleepers = n->sleep;
  auto blocked = [&] {
    path_.pop_back();
    return core::kAbandon;
  };
  if (region_root_ != kNoRegion) {
    // In this worker's own region: the parent and its wakeup node are its alone (an
    // insertion that reaches them waits in deferred_), so no lock.
    publish();
    chosen = follow_wakeup(*n, k, entry, first_awake, own_.wakeup_made);
    if (chosen == 0) return blocked();  // sleep-set blocked
    ++own_.nodes_made;
    return chosen;
  }
  std::lock_guard lock(t.mutex);
  publish();
  if (t.mode == DporMode::source && chosen == 0) return blocked();  // sleep-set blocked
  if (t.mode == DporMode::optimal) {
    chosen = follow_wakeup(*n, k, entry, first_awake, t.wakeup_nodes);
    if (chosen == 0) return blocked();  // sleep-set blocked
  } else {
    entry.chosen = chosen;
    entry.seq = t.claim(*n, chosen);
  }
  assert(entry.seq == 0);
  if (k == 0) t.root = n;
  ++t.live_nodes;
  t.note_size();
  if (private_paths_) {
    // This worker's own region from here down: made without the lock, offered to thieves
    // when it is handed over.
    n->wakeup->owner = this;
    region_root_ = k;
    return chosen;
  }
  t.offer(n);
  return chosen;
}

// Optimal mode: links new node n (at depth k) to its wakeup node and claims its branch, the
// first of the sequences inserted there or else its first process awake (a new leaf,
// counted in `leaves`). 0 if every process sleeps. With the tree locked, or in the own region.
std::uint32_t Explorer::follow_wakeup(TreeNode& n, std::size_t k, PathEntry& entry, std::uint32_t first_awake,
                                      std::uint64_t& leaves) {
  ExplorationTree& t = *tree_;
  n.wakeup = k == 0 ? t.root_wakeup.get() : leaf_below(k - 1);
  std::uint32_t chosen = first_awake;
  if (!n.wakeup->children.empty()) {
    chosen = n.wakeup->children.front()->pid;
    without_exempt(entry.sleepers, *n.wakeup->children.front());
  } else {
    if (chosen == 0) return 0;
    spare_leaf_->pid = chosen;
    spare_leaf_->event.reset();  // not run yet
    n.wakeup->children.push_back(std::move(spare_leaf_));
    ++leaves;
  }
  entry.chosen = chosen;
  entry.seq = t.claim(n, chosen);
  n.wakeup->node = &n;  // linked now: insert may walk to it
  return chosen;
}

// A tree node at depth k below the path, not linked yet, with its inherited sleepers.
std::shared_ptr<Explorer::TreeNode> Explorer::new_node(std::size_t k, const Sleepers& sleep) const {
  auto n = std::allocate_shared<TreeNode>(PoolAllocator<TreeNode>{});
  n->sleep = sleep;
  n->depth = k;
  if (k > 0) {
    n->parent = path_[k - 1].node;
    n->parent_pid = path_[k - 1].chosen;
    n->parent_seq = path_[k - 1].seq;
  }
  return n;
}

void Explorer::pids_of(const core::Choice& choice, core::InlineVector<std::uint32_t, 16>& out) {
  out.resize(choice.enabled.size(), boost::container::default_init);  // written just below
  std::uint32_t* to = out.data();
  for (const core::Candidate& c : choice.enabled) *to++ = c.pid.id;
}

// The first of the enabled processes that does not sleep (0: all do).
std::uint32_t Explorer::first_awake(const core::InlineVector<std::uint32_t, 16>& enabled, const Sleepers& sleep) {
  for (std::uint32_t pid : enabled) {
    if (std::none_of(sleep.begin(), sleep.end(), [&](const Sleeper& s) { return s.first == pid; })) return pid;
  }
  return 0;
}

// The wakeup node that path entry k's branch leads to (entry k has its node).
Explorer::WakeupNode* Explorer::leaf_below(std::size_t k) const {
  for (auto& c : path_[k].node->wakeup->children) {
    if (c->pid == path_[k].chosen) return c.get();
  }
  return nullptr;
}

// A new node at depth k of the own region, below its root, needs nothing but its path entry
// until an insertion reaches it, if it has one branch to take (pick_new_node).
bool Explorer::lazy_node(std::size_t k) const {
  return region_root_ != kNoRegion && k > region_root_ && persistent_regions_;
}

// Makes the node of path entry lazy_from_ as pick_new_node would have: linked to its wakeup
// node, its branch claimed (the node's one child, or a new leaf), its event published.
void Explorer::materialize_next() {
  std::size_t k = lazy_from_;
  assert(k != kNoLazy && k > 0 && path_[k - 1].node);
  PathEntry& entry = path_[k];
  auto n = new_node(k, entry.sleepers);
  n->enabled = entry.enabled;
  if (!spare_leaf_) spare_leaf_ = std::make_unique<WakeupNode>();
  entry.node = n;
  [[maybe_unused]] std::uint32_t chosen = follow_wakeup(*n, k, entry, entry.chosen, own_.wakeup_made);
  assert(chosen == entry.chosen && entry.seq == 0 && n->wakeup == lazy_leaf_);
  ++own_.nodes_made;
  WakeupNode* leaf = leaf_below(k);
  if (entry.event != kNone) {
    std::shared_ptr<const EventRecord> record = events_.share(entry.event);
    n->claims[0].event = record;
    leaf->event = std::move(record);
  }
  if (++lazy_from_ == path_.size()) {
    lazy_from_ = kNoLazy;
    lazy_leaf_ = nullptr;
  } else {
    lazy_leaf_ = leaf;
  }
}

void Explorer::materialize_through(std::size_t k) {
  while (lazy_from_ != kNoLazy && lazy_from_ <= k) materialize_next();
}

void Explorer::clear_path() {
  path_.clear();
  lazy_from_ = kNoLazy;
  lazy_leaf_ = nullptr;
}

const core::InlineVector<std::uint32_t, 16>& Explorer::enabled_at(std::size_t k) const {
  return path_[k].node ? path_[k].node->enabled : path_[k].enabled;
}

void Explorer::flush_own() {
  ExplorationTree& t = *tree_;
  t.live_nodes += own_.nodes_made;
  t.live_nodes -= own_.nodes_done;
  t.wakeup_nodes += own_.wakeup_made;
  t.wakeup_nodes -= own_.wakeup_gone;
  ExplorerStats& st = t.stats;
  st.executions += own_.executions;
  st.blocked += own_.blocked;
  st.events += own_.events;
  st.max_depth = std::max(st.max_depth, own_.max_depth);
  st.repeats += own_.repeats;
  own_ = {};
  t.note_size();
}

// What others inserted into the region goes in now, from where they stopped, as if they had
// come later (the region's root wakeup node: their state is valid there). Resuming may defer
// again, into another worker's region, never into this one's. Without the lock held
// (`locked` false), it is taken only to take the list: below the region's root nobody else
// reads or writes the tree (on indexer(16), 2 workers, applying the insertions under the lock
// was over half of the time it was held, and the other worker waited).
void Explorer::drain_deferred(bool locked) {
  if (!deferred_pending_.load(std::memory_order_relaxed) || (!locked && region_root_ == kNoRegion)) return;
  {
    std::unique_lock lock(tree_->mutex, std::defer_lock);
    if (!locked) lock.lock();
    draining_.swap(deferred_);
    deferred_pending_.store(false, std::memory_order_relaxed);
  }
  for (DeferredInsert& d : draining_) {
    tree_->resume(*this, d, resumed_, locked ? tree_->wakeup_nodes : own_.wakeup_made, locked);
  }
  draining_.clear();
}

void Explorer::release_region() {
  flush_own();
  if (region_root_ == kNoRegion) return;
  drain_deferred(true);
  if (!path_.empty()) materialize_through(path_.size() - 1);  // the others may walk them now
  ExplorationTree& t = *tree_;
  path_[region_root_].node->wakeup->owner = nullptr;
  for (std::size_t k = region_root_; k < path_.size(); ++k) t.offer(path_[k].node);
  region_root_ = kNoRegion;
}

void Explorer::observe(const EventRecord& event) {
  events_.push_back(event);
  if (event.barrier) {
    event_node_.push_back(kNone);
    barrier_since_node_ = true;
    pending_sleep_.clear();  // a timer firing is ordered with everything
    return;
  }
  std::size_t k = next_node_ - 1;
  event_node_.push_back(k);
  PathEntry& e = path_[k];
  if (!e.node) e.event = events_.size() - 1;  // for the node, if it is made
  if (!e.published) {  // the branch's first run: later siblings sleep on what it did
    // Published under the next lock this worker takes anyway (the next node, or the end of
    // the execution): one lock per step. Until then a sibling does not sleep on it, and a
    // wakeup-tree insertion sees it as unknown: redundancy at worst, never a lost trace.
    unpublished_ = events_.share(events_.size() - 1);
    unpublished_node_ = k;
    e.published = true;
  }
  // A sleeping process stays asleep past events independent of what it would do. Only the
  // next new node takes this sleep set: while the prefix replays, there is none to make.
  pending_sleep_.clear();
  if (next_node_ < path_.size()) return;
  for (const Sleeper& s : e.sleepers) {
    if (s.first != event.id.pid && !dependent(event, *s.second)) pending_sleep_.push_back(s);
  }
}

// Called with the tree locked: what observe() left to publish.
void Explorer::publish() {
  if (!unpublished_) return;
  const PathEntry& e = path_[unpublished_node_];
  TreeNode& n = *e.node;
  n.claims[e.seq].event = unpublished_;
  if (n.summary) n.summary->add(*unpublished_);
  if (tree_->mode == DporMode::optimal) {
    for (auto& c : n.wakeup->children) {
      if (c->pid == e.chosen) c->event = unpublished_;
    }
  }
  unpublished_.reset();
}

void Explorer::end_execution(const core::ExecutionSummary& summary) {
  // The races are analysed outside the lock; what they change in the tree is applied with
  // the execution's bookkeeping, under one lock.
  ExplorationTree& t = *tree_;
  std::vector<Reversal>& reversals = reversals_;
  reversals.clear();
  if (t.mode != DporMode::none) analyse_races();
  if (region_root_ != kNoRegion) {
    // Reversals at nodes of the own region go in without the lock: everything below such a
    // node is this worker's alone.
    if (unpublished_ && unpublished_node_ >= region_root_) publish();
    std::erase_if(reversals, [&](Reversal& r) {
      if (r.node < region_root_) return false;
      materialize_through(r.node);
      t.insert(*this, *path_[r.node].node, r.v, r.key, path_[r.node].sleepers, own_.wakeup_made, false);
      recycle(r.v);
      return true;
    });
    drain_deferred(false);
  }
  if (summary.abandoned) {
    if (!cut_ && !summary.pruned) ++own_.blocked;
  } else {
    ++own_.executions;
  }
  own_.events += events_.size();
  own_.max_depth = std::max<std::uint64_t>(own_.max_depth, next_node_);
  // The lock, unless nothing here concerns anyone else: no reversal outside the region, no
  // event to publish outside it, nobody waiting for work, no insertion deferred to it.
  bool alone = region_root_ != kNoRegion && persistent_regions_ && reversals.empty() && !unpublished_ &&
               !summary.counterexample && !path_.empty() && t.idle.load(std::memory_order_relaxed) == 0 &&
               !deferred_pending_.load(std::memory_order_relaxed);
  if (!alone) {
    std::lock_guard lock(t.mutex);
    publish();
    drain_deferred(true);
    if (!persistent_regions_ || t.idle.load(std::memory_order_relaxed) != 0) {
      release_region();
    } else {
      flush_own();
    }
    for (Reversal& r : reversals) {
      reverse_race(r.node, r.v, r.key);
      recycle(r.v);
    }
    if (t.cache) t.weigh_cache(summary.pruned ? 0 : 1);
    if (summary.counterexample && t.stop_at_bug) t.stop_all();
    if (path_.empty()) t.stop_all();  // no step had a choice to make: nothing to explore
  }
  if (on_execution) on_execution(events_.copy(), summary);
}

// Called with the tree locked.
void Explorer::reverse_race(std::size_t node, Sequence& v, const std::optional<SequenceKey>& key) {
  ExplorationTree& t = *tree_;
  const PathEntry& e = path_[node];
  TreeNode& n = *e.node;
  if (t.mode == DporMode::source) {
    auto init = initials(v);
    bool covered = std::any_of(init.begin(), init.end(), [&](std::uint32_t p) {
      return std::find(n.backtrack.begin(), n.backtrack.end(), p) != n.backtrack.end();
    });
    if (!covered && !init.empty()) {
      n.backtrack.push_back(init.front());
      t.offer(e.node);
    }
    return;
  }
  // optimal: insert v into wut(node) (sleepers that cover it were checked by the caller).
  t.insert(*this, n, v, key, e.sleepers, t.wakeup_nodes);
  t.note_size();
  t.offer(e.node);
}

}  // namespace lockstep::dpor
