// The exploration tree that an exploration's workers share (ExplorationTree), its nodes
// (Explorer::TreeNode: a prefix, the processes enabled after it and the branches claimed
// there) and the wakeup trees of optimal DPOR hanging off them (Explorer::WakeupNode).
// Private to dpor/: explorer.cpp walks and grows the tree, race_analysis.cpp reads it, and
// exploration_tree.cpp inserts reversed races into its wakeup trees.
//
// Thread-safety: the tree and its nodes are shared by the workers under
// ExplorationTree::mutex, except the nodes of a worker's own region (docs/exploration.md,
// "Own regions"), which only that worker touches until it hands the region over.
#pragma once

#include <algorithm>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dpor/block_cache.hpp"
#include "dpor/explorer.hpp"

namespace lockstep::dpor {

using core::EventRecord;

inline constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// A test-and-test-and-set lock that yields the core after a while spinning.
class SpinMutex {
 public:
  void lock() {
    for (int spins = 0;; ++spins) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins > 64) {
          std::this_thread::yield();
          spins = 0;
        } else {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause();
#endif
        }
      }
    }
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// Drops from a branch's sleepers the processes its wakeup node exempts (ExplorationTree::insert).
template <typename Sleepers, typename Wakeup>
void without_exempt(Sleepers& sleepers, const Wakeup& w) {
  for (std::uint32_t pid : w.exempt) {
    sleepers.erase(std::remove_if(sleepers.begin(), sleepers.end(), [&](const auto& s) { return s.first == pid; }),
                   sleepers.end());
  }
}

// The pids of a sleep set, sorted (how the state cache compares sleep sets).
template <typename Sleepers>
std::vector<std::uint32_t> sorted_pids(const Sleepers& sleepers) {
  std::vector<std::uint32_t> pids;
  for (const auto& s : sleepers) pids.push_back(s.first);
  std::sort(pids.begin(), pids.end());
  return pids;
}

// The wakeup tree: an ordered tree of processes (with the event each performed or will
// perform). Tree node k's `wakeup` points at the wakeup node for its prefix; its children
// are the branches to explore from there, leftmost first. A claimed child is being (or has
// been) explored by some worker; a finished one is removed.
struct Explorer::WakeupNode {
  // Leaves come and go by the thousand: from the per-thread block cache.
  static void* operator new([[maybe_unused]] std::size_t size) {
    assert(size == sizeof(WakeupNode));
    return BlockCache<sizeof(WakeupNode)>::allocate();
  }
  static void operator delete(void* p) noexcept { BlockCache<sizeof(WakeupNode)>::deallocate(p); }
  // User-provided, so that make_unique does not zero the whole node (the inline event
  // included) before the member initializers run: a `rep stos` per leaf.
  WakeupNode() {}  // NOLINT(modernize-use-equals-default)
  // Small, and what an insertion's walk reads of each child (pid, event, children) in its
  // first cache line: a walk down a long sequence is a miss a node, not two.
  std::uint32_t pid = 0;
  bool claimed = false;
  // Set on the wakeup node of the root of a worker's own region (Explorer::region_root_):
  // what lies below is that worker's alone until it hands the region over
  // (Explorer::release_region), and an insertion that reaches here is handed to it
  // (Explorer::DeferredInsert).
  Explorer* owner = nullptr;
  // What pid does here: the claim's published record once it ran (shared, not copied), an
  // inserted sequence's record, or null while not known (an unknown event).
  std::shared_ptr<const EventRecord> event;
  core::InlineVector<std::unique_ptr<WakeupNode>, 2> children;
  // Parallel exploration: the tree node this branch leads to, once a worker has created it.
  TreeNode* node = nullptr;
  // Processes that must not sleep for this branch although claimed before it: a sequence
  // was inserted here that they are weak initials of, and they could not take it (they had
  // finished, or their event was not known yet). See ExplorationTree::insert.
  std::vector<std::uint32_t> exempt;  // nearly always empty: no inline storage
  const EventRecord& record() const { return event ? *event : unknown_record(); }
  static const EventRecord& unknown_record() {
    static const EventRecord unknown = [] {
      EventRecord r;
      r.unknown = true;
      return r;
    }();
    return unknown;
  }
};

// One node of the exploration tree: a prefix, the processes enabled after it, and the
// branches taken from it (claims, in the order they were taken).
struct Explorer::TreeNode {
  TreeNode() {}  // NOLINT(modernize-use-equals-default): see WakeupNode()
  struct Claim {
    std::uint32_t pid = 0;
    std::shared_ptr<const EventRecord> event;  // what pid did here (null until it ran)
    bool finished = false;
  };
  // Inline storage for the usual sizes: one allocation per node.
  core::InlineVector<std::uint32_t, 16> enabled;   // sorted pids
  Sleepers sleep;                                  // inherited sleep set
  core::InlineVector<Claim, 2> claims;             // index = the claim's sequence number
  core::InlineVector<std::uint32_t, 4> backtrack;  // none / source: the branches to take
  WakeupNode* wakeup = nullptr;          // optimal: the wakeup tree rooted here
  std::shared_ptr<TreeNode> parent;
  std::uint32_t parent_pid = 0;          // the branch of the parent that leads here
  std::uint64_t parent_seq = 0;
  std::size_t depth = 0;
  std::size_t active = 0;                // claims not finished
  bool done = false;
  // State caching: the visible state here (0: not cached), what the events of this node's
  // subtree touched (grown as its branches run), and whether a timer fired between the
  // parent's event and this node (then nothing below races with what came before).
  std::uint64_t state = 0;
  std::shared_ptr<Summary> summary;
  bool after_barrier = false;
  std::uint64_t effort_before = 0;  // the tree's `effort` when the node was made
  // Optimal DPOR: the sequences inserted into the wakeup tree here (see sequence_key.hpp),
  // at most kMaxInserted of them (past that, insertions are checked but not recorded).
  static constexpr std::size_t kMaxInserted = 1 << 14;
  std::unique_ptr<std::unordered_set<SequenceKey, SequenceKeyHash>> inserted;
  bool inserted_before(const SequenceKey& key) const { return inserted && inserted->contains(key); }
  void record_insertion(const SequenceKey& key) {
    if (!inserted) inserted = std::make_unique<std::unordered_set<SequenceKey, SequenceKeyHash>>();
    if (inserted->size() < kMaxInserted) inserted->insert(key);
  }

  // Calls f(sleeper) for each process asleep for the branch claimed `seq`-th here: the
  // inherited ones and the branches claimed before it (explored first in depth-first order).
  template <typename F>
  void for_each_sleeper(std::uint64_t seq, F&& f) const {
    for (const Sleeper& s : sleep) f(s);
    for (std::uint64_t c = 0; c < seq && c < claims.size(); ++c) {
      if (claims[c].event) f(Sleeper{claims[c].pid, claims[c].event.get()});
    }
  }
  bool sleeping(std::uint64_t seq, std::uint32_t pid) const {
    bool found = false;
    for_each_sleeper(seq, [&](const Sleeper& s) { found = found || s.first == pid; });
    return found;
  }
  bool claimed(std::uint32_t pid) const {
    return std::any_of(claims.begin(), claims.end(), [&](const Claim& c) { return c.pid == pid; });
  }
};

// What every worker of one exploration shares, under `mutex`.
class ExplorationTree {
 public:
  using TreeNode = Explorer::TreeNode;
  using WakeupNode = Explorer::WakeupNode;
  using Sequence = std::vector<const EventRecord*>;

  explicit ExplorationTree(const ExplorerConfig& c)
      : mode(c.mode), max_executions(c.max_executions), max_depth(c.max_depth), stop_at_bug(c.stop_at_bug),
        alone_keying_from(c.alone_keying_from),
        cache(c.state_cache_bytes != 0 ? std::make_unique<StateCache>(c.state_cache_bytes) : nullptr),
        cache_window(c.cache_window), caching(cache != nullptr),
        window_size(c.cache_first_window != 0 ? std::min(c.cache_first_window, c.cache_window) : c.cache_window) {}

  // The branch to take next at `n` (0 if none): the first unclaimed wakeup child, or the
  // first backtrack entry neither claimed nor asleep.
  std::uint32_t next_unclaimed(const TreeNode& n) const {
    if (mode == DporMode::optimal) {
      for (const auto& c : n.wakeup->children) {
        if (!c->claimed) return c->pid;
      }
      return 0;
    }
    for (std::uint32_t p : n.backtrack) {
      if (!n.claimed(p) && !n.sleeping(n.claims.size(), p)) return p;
    }
    return 0;
  }
  std::uint64_t claim(TreeNode& n, std::uint32_t pid) {
    if (mode == DporMode::optimal) {
      for (auto& c : n.wakeup->children) {
        if (c->pid == pid) c->claimed = true;
      }
    }
    n.claims.push_back({pid, nullptr, false});
    ++n.active;
    return n.claims.size() - 1;
  }
  // Marks a node that may have work nobody has claimed, for idle workers.
  void offer(const std::shared_ptr<TreeNode>& n) {
    if (next_unclaimed(*n) == 0) return;
    open.emplace(std::pair{n->depth, n.get()}, n);
    if (idle != 0) work.notify_all();  // a notify costs a lock and a syscall: only for sleepers
  }
  // The wakeup nodes in w's subtree, w included. This runs at every finished branch: the
  // stack is the thread's, reused (a fresh one was an allocation per step; recursion could
  // overflow on a sequence as long as an execution).
  static std::uint64_t subtree_size(const WakeupNode& w) {
    thread_local std::vector<const WakeupNode*> stack;
    stack.assign(1, &w);
    std::uint64_t n = 0;
    while (!stack.empty()) {
      const WakeupNode* top = stack.back();
      stack.pop_back();
      ++n;
      for (const auto& k : top->children) stack.push_back(k.get());
    }
    return n;
  }
  // Returns how many wakeup nodes the finished branch's subtree held (now gone).
  std::uint64_t finish_claim(TreeNode& n, std::uint64_t seq) {
    std::uint64_t removed = 0;
    TreeNode::Claim& c = n.claims[seq];
    c.finished = true;
    --n.active;
    if (mode == DporMode::optimal) {
      auto& kids = n.wakeup->children;
      auto it = std::find_if(kids.begin(), kids.end(), [&](const auto& k) { return k->pid == c.pid; });
      if (it != kids.end()) {
        removed = subtree_size(**it);  // what the finished subtree held
        kids.erase(it);
      }
    }
    return removed;
  }
  // `checked`: the sleepers the race analysis checked v against (the path's, at `at`).
  // `leaves` counts the wakeup nodes made: wakeup_nodes under the lock, or the worker's own
  // count for an insertion into its own region (`locked` false: Explorer::end_execution).
  void insert(Explorer& self, TreeNode& at, Sequence& v, const std::optional<SequenceKey>& key,
              const Explorer::Sleepers& checked, std::uint64_t& leaves, bool locked = true);
  // Where an insertion goes on: at the top (`at`, its path's checked sleepers), or resumed
  // at a wakeup node below it (a DeferredInsert).
  struct InsertState {
    WakeupNode* node = nullptr;
    TreeNode* tree_node = nullptr;  // the tree node of `node`, if one exists
    bool checking = false;          // above every unclaimed branch (see insert)
    bool claimed_offended = false;
    // The walk's first step did not take a child for commuting with v on a predicted record
    // (EventRecord::predicted): then the sequence's key is recorded at the top (sequence_key.hpp).
    bool solid = true;
    core::InlineVector<std::pair<std::uint32_t, const EventRecord*>, 8> inherited;
  };
  // False if it stopped where it would defer to another worker's region without the tree
  // locked (`locked` false): st and v are where it stopped, to go on with the lock.
  bool continue_insert(Explorer& self, InsertState& st, Sequence& v, const TreeNode* at,
                       const Explorer::Sleepers* checked, std::uint64_t& leaves, bool locked);
  // continue_insert, and with the lock where it stopped for want of it.
  void go_on(Explorer& self, InsertState& st, Sequence& v, const TreeNode* at, const Explorer::Sleepers* checked,
             std::uint64_t& leaves, bool locked) {
    if (continue_insert(self, st, v, at, checked, leaves, locked)) return;
    std::lock_guard lock(mutex);
    continue_insert(self, st, v, at, checked, leaves, true);
  }
  // A deferred insertion, applied by the region's owner: with the tree locked, or (`locked`
  // false) outside the lock, counted in `leaves`.
  void resume(Explorer& self, Explorer::DeferredInsert& d, Sequence& scratch, std::uint64_t& leaves,
              bool locked);
  // A node whose every branch is explored: its state goes into the cache with the sleep set
  // it was explored with, and its subtree's summary into its parent's.
  void seal(TreeNode& n) {
    if (!cache) return;
    if (n.state != 0 && caching.load(std::memory_order_relaxed)) {
      cache->insert(n.state, sorted_pids(n.sleep), n.summary, effort.load(std::memory_order_relaxed) - n.effort_before);
    }
    // A node made after the cache retired has no summary, and its children none either.
    if (n.summary && n.parent && n.parent->summary && !n.after_barrier) n.parent->summary->merge(*n.summary);
    n.summary.reset();
  }
  // After each execution, with the lock: `executions` is the work it did (1, or 0 for one
  // cut at a visited state, whose saving was counted at the hit). Retires an adaptive cache
  // at the end of a window in which it did not pay.
  void weigh_cache(std::uint64_t executions) {
    effort.fetch_add(executions, std::memory_order_relaxed);
    if (cache_window == 0 || !caching.load(std::memory_order_relaxed)) return;
    window_runs += executions;
    if (window_runs < window_size) return;
    if (window_saved < ExplorerConfig::kCachePays * window_runs) {
      caching.store(false, std::memory_order_relaxed);
      cache->retire(stats.executions + stats.blocked);
    }
    window_runs = window_saved = 0;
    window_size = std::min(2 * window_size, cache_window);
  }
  void count_hit(std::uint64_t saved) {
    cache->count_hit(saved);
    effort.fetch_add(saved, std::memory_order_relaxed);
    window_saved += saved;
  }
  void stop_all() {
    stopped = true;
    work.notify_all();
  }
  void note_size() { stats.peak_nodes = std::max<std::uint64_t>(stats.peak_nodes, live_nodes + wakeup_nodes); }

  const DporMode mode;
  const std::uint64_t max_executions;
  const std::uint64_t max_depth;
  const bool stop_at_bug;
  const std::uint64_t alone_keying_from;
  const std::unique_ptr<StateCache> cache;  // null: no state caching
  const std::uint64_t cache_window;         // ExplorerConfig::cache_window
  std::atomic<bool> caching;                // a cache that has not retired
  // Executions run, plus what every hit saved (the work of the subtree it cut off): a node's
  // subtree took `effort` at its seal minus `effort_before`. Windowed counts, with the lock.
  std::atomic<std::uint64_t> effort{0};
  std::uint64_t window_size;  // of the current window: the first, doubled up to cache_window
  std::uint64_t window_runs = 0, window_saved = 0;
  // Held for short spells (at every new node, outside the own regions): spinning beats
  // parking the thread (a futex sleep and wake-up cost more than the critical section).
  SpinMutex mutex;
  std::condition_variable_any work;  // open work appeared, or the exploration ended
  std::atomic<unsigned> idle{0};     // workers waiting on `work` (read without the lock too)
  ExplorerStats stats;
  std::unique_ptr<WakeupNode> root_wakeup = std::make_unique<WakeupNode>();
  std::shared_ptr<TreeNode> root;
  unsigned workers = 0;   // Explorers sharing the tree (set before any starts)
  bool started = false;   // some worker took the first execution
  std::atomic<bool> stopped{false};  // a bound, a counterexample or a failure ends the exploration
  std::uint64_t live_nodes = 0;
  std::uint64_t wakeup_nodes = 0;
  // Nodes that may hold unclaimed branches, shallowest first (largest subtrees).
  std::map<std::pair<std::size_t, const TreeNode*>, std::shared_ptr<TreeNode>> open;
};

// An insertion that reached another worker's own region: what is left of its sequence
// (copied: the inserter's buffers are reused), and where and how it goes on. The sleepers'
// records live in the owner's path, above the region.
struct Explorer::DeferredInsert {
  std::vector<EventRecord> v;
  ExplorationTree::InsertState at;
};

// Called once a reversal's sequence is done with, from explorer.cpp and race_analysis.cpp:
// inline here rather than a call across files.
inline void Explorer::recycle(Sequence& v) {
  if (v.capacity() == 0 || spare_sequences_.size() >= kMaxSpareSequences) return;
  v.clear();
  spare_sequences_.push_back(std::move(v));
}

}  // namespace lockstep::dpor
