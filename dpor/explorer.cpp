#include "dpor/explorer.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include "dpor/block_cache.hpp"
#include "dpor/dependency.hpp"

namespace lockstep::dpor {

using core::EventRecord;

namespace {
constexpr std::size_t kNone = static_cast<std::size_t>(-1);

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

// An insertion that reached another worker's own region: what is left of its sequence
// (copied: the inserter's buffers are reused), and where and how it goes on. The sleepers'
// records live in the owner's path, above the region.
struct Explorer::DeferredInsert {
  std::vector<EventRecord> v;
  ExplorationTree::InsertState at;
};

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

std::shared_ptr<const EventRecord> Explorer::hold(const EventRecord& e) const {
  std::size_t x = events_.index_of(&e);
  if (x != kNone) return events_.share(x);
  return std::allocate_shared<const EventRecord>(PoolAllocator<EventRecord>{}, e);
}

Explorer::Sequence Explorer::spare_sequence() {
  if (spare_sequences_.empty()) return {};
  Sequence v = std::move(spare_sequences_.back());
  spare_sequences_.pop_back();
  return v;
}

void Explorer::recycle(Sequence& v) {
  if (v.capacity() == 0 || spare_sequences_.size() >= kMaxSpareSequences) return;
  v.clear();
  spare_sequences_.push_back(std::move(v));
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
