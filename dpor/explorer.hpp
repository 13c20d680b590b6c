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
// Parallel exploration: the exploration tree (ExplorationTree) is shared; each worker is
// an Explorer with its own controller, holding a path from the root. A branch taken at a
// node is a *claim*; a worker that finishes its branch takes the node's next unclaimed
// branch, or leaves the node to the workers still below it and steals an unclaimed branch
// elsewhere. Claims are ordered per node: a branch sleeps on the branches claimed before
// it, as a later sibling sleeps on the earlier ones in sequential depth-first order
// (docs/exploration.md, "Parallel exploration").
//
// Thread-safety: one Explorer per worker thread; the tree is shared under one mutex, but
// for each worker's own region (docs/exploration.md, "Own regions").
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/strategy.hpp"
#include "dpor/block_cache.hpp"
#include "dpor/sequence_key.hpp"
#include "dpor/state_cache.hpp"
#include "dpor/touch_index.hpp"
#include "lockstep/options.hpp"
#include "lockstep/result.hpp"

namespace lockstep::dpor {

struct ExplorerStats {
  std::uint64_t executions = 0;  // complete executions
  std::uint64_t blocked = 0;     // executions abandoned because sleep sets covered them
  std::uint64_t events = 0;
  std::uint64_t max_depth = 0;
  std::uint64_t peak_nodes = 0;  // exploration tree + wakeup tree nodes, at most
  std::uint64_t probes = 0;      // partial executions run to learn what a moved event does
  std::uint64_t expansions = 0;  // nodes fully expanded for races with a cached subtree
  std::uint64_t deferred = 0;    // insertions handed to another worker's own region
  std::uint64_t repeats = 0;     // reversals not inserted: the same sequence was, at their node
  std::string incomplete;        // non-empty: a bound was hit (what, and which option)
  StateCacheStats cache;         // the state cache's (zero without one)
};

// What one exploration is: plain data, from Options (ExplorerConfig::from).
struct ExplorerConfig {
  DporMode mode = DporMode::optimal;
  std::uint64_t max_executions = 0;  // 0: unbounded
  std::uint64_t max_depth = 0;       // 0: unbounded
  bool stop_at_bug = false;          // the first counterexample stops every worker
  std::uint64_t state_cache_bytes = 0;  // 0: no state cache
  // With a cache: it retires, for the rest of the exploration, at the end of the first window
  // of executions in which it saved less than kCachePays times the executions run in it
  // (docs/exploration.md, "When the cache retires"). The first window is cache_first_window
  // executions long (0: cache_window), each next one twice the last, up to cache_window.
  // cache_window 0: it stays on.
  std::uint64_t cache_window = 0;
  std::uint64_t cache_first_window = 0;
  static constexpr std::uint64_t kCachePays = 4;
  // Options::state_cache_adaptive. A cache costs about twice the instructions of an execution
  // without it (readers, lastzero, indexer), so a tree where it does not pay should learn so
  // early: windows of 64 executions, then 128, 256, 512, and 1024 from then on.
  static constexpr std::uint64_t kAdaptiveCacheWindow = 1024;
  static constexpr std::uint64_t kAdaptiveFirstWindow = 64;
  // A worker alone on the tree keys its reversals (sequence_key.hpp) from this many
  // executions on (Explorer::keying); tests set 0, so that small explorations key too.
  std::uint64_t alone_keying_from = 256;
  static ExplorerConfig from(const Options& options);
};

class ExplorationTree;

class Explorer final : public core::Strategy {
 public:
  // A sequential explorer with a tree of its own.
  explicit Explorer(const ExplorerConfig& config);
  // One worker of a parallel exploration.
  explicit Explorer(std::shared_ptr<ExplorationTree> tree);
  ~Explorer() override;

  // A tree for several Explorers (workers).
  static std::shared_ptr<ExplorationTree> make_tree(const ExplorerConfig& config);
  // Stops every worker of the tree (e.g. one of them failed).
  static void stop(ExplorationTree& tree);

  bool begin_execution() override;
  std::size_t pick(const core::Choice& choice) override;
  bool observes_events() const override { return true; }
  // With a state cache, or for an oracle that compares end states (on_execution).
  bool observes_states() const override;
  void observe(const core::EventRecord& event) override;
  core::EventRecord* event_buffer() override { return &events_.open(); }
  std::span<const std::uint32_t> replayed_prefix() override { return replay_; }
  void end_execution(const core::ExecutionSummary& summary) override;
  void set_probe(core::Probe probe) override { probe_ = std::move(probe); }

  ExplorerStats stats() const;  // of the whole tree (every worker)
  // For oracle tests: called after every execution with its events (barriers included).
  std::function<void(const std::vector<core::EventRecord>&, const core::ExecutionSummary&)> on_execution;

 private:
  friend class ExplorationTree;
  struct TreeNode;
  struct WakeupNode;
  struct DeferredInsert;
  // A sleeping process and what it did when explored.
  // The record is a claim's published event, at the node or an ancestor: it lives as long as
  // any node whose sleep set can hold it (nodes keep their ancestors alive). A plain pointer:
  // sleep sets are copied at every step, and counted references to the records several
  // workers share bounced between their cores.
  using Sleeper = std::pair<std::uint32_t, const core::EventRecord*>;
  // Sleep sets are small and copied at every new node: inline, off the heap.
  using Sleepers = core::InlineVector<Sleeper, 4>;
  using Sequence = std::vector<const core::EventRecord*>;
  struct PathEntry {
    PathEntry() {}  // NOLINT(modernize-use-equals-default): not zeroed first (a step each)
    std::shared_ptr<TreeNode> node;
    std::uint32_t chosen = 0;
    std::uint64_t seq = 0;  // the claim of `chosen` at node
    // Who sleeps for this branch (taken when it was entered, so that replaying the prefix
    // needs no lock), and whether its event is published in the tree yet.
    Sleepers sleepers;
    bool published = false;
    // A node not made yet (lazy_from_): its enabled processes and the index of its event in
    // the execution, to make it from if something needs it.
    core::InlineVector<std::uint32_t, 16> enabled;
    std::size_t event = static_cast<std::size_t>(-1);
  };
  PathEntry enter(std::shared_ptr<TreeNode> node, std::uint32_t chosen, std::uint64_t seq, bool published) const;
  // A reversal found in the current execution, applied to the tree under its lock.
  struct Reversal {
    std::size_t node;
    Sequence v;
    std::optional<SequenceKey> key;  // optimal mode, while keying_: key_of(v)
  };

  bool steal();
  std::size_t pick_new_node(const core::Choice& choice, std::size_t k, bool after_barrier);
  // The race reversals of the finished execution, into reversals_, for end_execution to
  // apply to the tree.
  void analyse_races();
  // Reversal sequences are made by the dozen per execution and used up by insertion: their
  // buffers go round (a fresh vector each was a quarter of an execution's allocations).
  Sequence spare_sequence();
  void recycle(Sequence& v);
  static constexpr std::size_t kMaxSpareSequences = 256;
  void publish();
  void order_events();
  void keep_order(std::size_t keep);
  void forget_indexed();
  void index_event(std::size_t i, const std::size_t* slots = nullptr);
  // The execution stopped at a visited state: the events of the cached subtree would have
  // come next, and those racing with this prefix's events would have put backtrack points
  // on it (the pitfall of Yang et al., SPIN 2008). The summary knows what they touched, not
  // in which order: the path nodes of the prefix events one of them could race with, each
  // once (first_only: one of them, for whether there is any). Needs order_events() over
  // the prefix.
  std::vector<std::size_t> nodes_racing(const Summary& cached, bool first_only = false);
  void reverse_race(std::size_t node, Sequence& v, const std::optional<SequenceKey>& key);  // v is used up
  bool weak_initial(std::uint32_t pid, const core::EventRecord& event, const Sequence& v) const;
  // What tells v from every other sequence (sequence_key.hpp); its events of this execution
  // are hashed once each (identities_).
  SequenceKey key_of(const Sequence& v);
  // Whether reversals get keys: while one in kKeyedWindow of them at least is a repeat (on
  // lastzero and filesystem none is, and keys cost 3-10% of an execution). Alone on the tree,
  // a repeat only costs its walk down the wakeup tree, so a worker that is alone starts after
  // ExplorerConfig::alone_keying_from executions: small explorations never pay. With others,
  // a repeat can be a branch explored twice, so they start at once. Keys only save work.
  bool keying_ = true;
  std::uint64_t keyed_ = 0, repeats_ = 0;  // in the current window
  std::uint64_t analysed_ = 0;             // executions analysed
  static constexpr std::uint64_t kKeyedWindow = 1024, kRepeatsWanted = kKeyedWindow / 16;
  bool keying() const;
  void count_keyed(bool repeat);
  // An event of the current execution that the race analysis ordered: its index (else npos).
  std::size_t ordered_index(const core::EventRecord* e) const;
  bool happens_before(std::size_t earlier, std::size_t later) const;  // both ordered
  static std::vector<std::uint32_t> initials(const Sequence& v);
  static core::EventRecord without_consequences_of(const core::EventRecord& moved,
                                                   const std::vector<const core::EventRecord*>& overtaken);
  // What process `pid` does next after the prefix of path node `node` followed by `v`,
  // found by running it; unknown if it cannot be run.
  core::EventRecord probe_next(std::size_t node, const Sequence& v, std::uint32_t pid);

  std::shared_ptr<ExplorationTree> tree_;
  core::Probe probe_;
  // What each probed schedule's last event did (nullopt: the schedule cannot be followed).
  struct PidsHash {
    std::size_t operator()(const std::vector<std::uint32_t>& pids) const noexcept {
      std::uint64_t h = 0xcbf29ce484222325ULL;
      for (std::uint32_t p : pids) h = (h ^ p) * 0x100000001b3ULL;
      return static_cast<std::size_t>(h);
    }
  };
  static constexpr std::size_t kMaxProbed = 20000;
  std::unordered_map<std::vector<std::uint32_t>, std::optional<core::EventRecord>, PidsHash> probed_;
  std::vector<PathEntry> path_;
  // The current execution's events, barriers included. Each record is shared (not copied)
  // with the tree nodes and wakeup leaves that take it, and is built where it lies (the
  // controller writes it there: event_buffer); a record nobody else holds keeps its buffers
  // from one execution to the next, so that once warmed up, recording an event allocates
  // nothing but where the tree kept the last record in its place. The first `keep` records
  // of the next execution repeat the last one's (a replay of its prefix is deterministic).
  class EventLog {
   public:
    using Record = std::shared_ptr<core::EventRecord>;
    // The next execution: its first `keep` events are the last one's.
    void restart(std::size_t keep) { size_ = std::min(keep, items_.size()); }
    // The record the next event is to be built in (push_back then takes it as it is).
    core::EventRecord& open() {
      if (size_ == items_.size()) items_.emplace_back();
      Record& slot = items_[size_];
      if (slot && slot.use_count() == 1) {
        // Nobody else holds it (another worker's last reference went before this load: what
        // it read of the record happened before it is written again).
        std::atomic_thread_fence(std::memory_order_acquire);
      } else {
        slot = std::allocate_shared<core::EventRecord>(PoolAllocator<core::EventRecord>{});
      }
      return *slot;
    }
    void push_back(const core::EventRecord& e) {
      if (size_ == items_.size() || items_[size_].get() != &e) open() = e;  // built elsewhere
      items_[size_]->log_index = static_cast<std::uint32_t>(size_);
      ++size_;
    }
    std::size_t size() const { return size_; }
    // The index of a record of this log, or npos for any other record.
    std::size_t index_of(const core::EventRecord* e) const {
      std::size_t x = e->log_index;
      return x < size_ && items_[x].get() == e ? x : static_cast<std::size_t>(-1);
    }
    const core::EventRecord& operator[](std::size_t i) const { return *items_[i]; }
    // Record i, for the tree to hold (it is not written again while anybody does).
    std::shared_ptr<const core::EventRecord> share(std::size_t i) const { return items_[i]; }
    // The records with their buffers, for another log (Explorer::Spare); this one is empty.
    std::vector<Record> take() {
      size_ = 0;
      return std::move(items_);
    }
    void adopt(std::vector<Record>&& items) {
      items_ = std::move(items);
      size_ = 0;
    }
    std::size_t capacity() const { return items_.size(); }  // records kept, in use or not
    std::vector<core::EventRecord> copy() const {
      std::vector<core::EventRecord> out;
      out.reserve(size_);
      for (std::size_t i = 0; i < size_; ++i) out.push_back(*items_[i]);
      return out;
    }

   private:
    std::vector<Record> items_;
    std::size_t size_ = 0;
  };
  // A record for the tree to hold: shared if it is one of this execution's, else a copy.
  std::shared_ptr<const core::EventRecord> hold(const core::EventRecord& e) const;
  EventLog events_;
  // The buffers that grow with an execution's length (events, path, happens-before rows, the
  // access index, the order's tables), handed from one Explorer to the next on the same
  // thread: explorations of a few executions otherwise spend a tenth of their time growing
  // them again.
  struct Spare;
  static Spare& thread_spare();
  void adopt_spare();
  void return_spare();
  std::vector<std::size_t> event_node_;    // node of each event (npos for barriers)
  std::vector<std::uint32_t> replay_;      // the pids of the steps the controller replays
  Sleepers pending_sleep_;                 // sleep set for the next new node
  // Race analysis buffers, reused across executions: the happens-before bit matrix, the
  // earlier accesses by object, and which earlier events the current one already depends on.
  std::vector<std::uint64_t> hb_words_;
  std::vector<core::EventRecord> moved_;            // reversed events (analyse_races)
  std::vector<Reversal> reversals_;                 // analyse_races' result
  std::vector<Sequence> spare_sequences_;
  Sequence resumed_;                                // drain_deferred's sequence
  std::vector<const core::EventRecord*> overtaken_;  // scratch
  std::vector<std::uint64_t> identities_;           // by event index: event_identity (0: not yet)
  std::vector<std::uint64_t> key_words_;            // scratch
  // nodes_racing's scratch: it runs at each lookup that finds a visited state.
  struct RacingScratch {
    std::vector<std::uint32_t> future_pids;
    std::vector<std::uint8_t> is_source, expanded;
    static constexpr std::size_t kUnset = static_cast<std::size_t>(-2);
    std::vector<std::size_t> frontier;  // by pid: kUnset, npos (none), or the event index
  } racing_;
  TouchIndex touches_;
  std::vector<std::size_t> seen_;
  // What order_events() found (with hb_words_): kept for the passes after it.
  struct Order {
    struct Race {
      std::size_t j, i;
    };
    struct Disable {
      std::size_t kill;
      std::uint32_t victim;
    };
    std::vector<std::size_t> last_of_pid, spawned_by;  // by pid: event index, or npos
    std::vector<std::size_t> previous_of_pid;  // by event: its process's event before it, or npos
    std::vector<Race> races;
    std::vector<Disable> disables;
    std::size_t last_barrier = static_cast<std::size_t>(-1);
    std::size_t done = 0;   // events ordered so far (0: start over)
    std::size_t width = 0;  // words per happens-before row
    std::vector<std::size_t> direct, deps, slots;  // scratch
  };
  Order order_;
  std::size_t next_node_ = 0;
  bool cut_ = false;  // the current execution hit --max-depth
  bool caching_ = false;  // the state cache is on for the current execution (not retired)
  // Optimal DPOR without a cache, or once it retired: this worker has a region of the tree of
  // its own, below the first node it makes (region_root_), explored without the lock (a
  // cache's summaries and inserts need the lock). Read once an execution, in begin_execution.
  bool private_paths_ = false;
  // ... kept across executions, except under an execution bound, which must see every
  // execution counted when the next one starts (there a region lasts one execution).
  bool persistent_regions_ = false;
  bool barrier_since_node_ = false;  // a timer fired since the last node's event
  // The first event of a newly taken branch, not yet in the tree (see observe).
  std::shared_ptr<const core::EventRecord> unpublished_;
  std::size_t unpublished_node_ = 0;
  // The current execution stopped at a visited state: what its subtree touched.
  std::shared_ptr<const Summary> hit_;
  // A wakeup leaf made outside the lock for the next new node that needs one (most follow a
  // wakeup sequence and need none): made again only once used.
  std::unique_ptr<WakeupNode> spare_leaf_;
  // Below the own region's root, a new node with one branch to take (its wakeup node a leaf,
  // or with one child: a wakeup sequence it follows) would be, unless an insertion reaches it,
  // finished as soon as the execution ends (filesystem(14): 55 of an execution's 63 new nodes
  // leave the wakeup tree; indexer(12): 31,800 of 56,200 follow a sequence). Such path entries
  // get no node (PathEntry::node null) from lazy_from_ to the end of the path; materialize_next
  // makes the first of them when an insertion walks into lazy_leaf_, a reversal is inserted at
  // it, a node with more branches comes below it, or the region is handed over. Their wakeup
  // nodes stay as they are (no walk reaches one before its node is made) and go with the
  // subtree of the made node above them.
  static constexpr std::size_t kNoLazy = static_cast<std::size_t>(-1);
  std::size_t lazy_from_ = kNoLazy;
  WakeupNode* lazy_leaf_ = nullptr;    // the wakeup node of path_[lazy_from_ - 1]'s branch
  WakeupNode* lazy_wakeup_ = nullptr;  // the wakeup node of the next new node (null: none)
  std::shared_ptr<TreeNode> new_node(std::size_t k, const Sleepers& sleep) const;
  static void pids_of(const core::Choice& choice, core::InlineVector<std::uint32_t, 16>& out);
  static std::uint32_t first_awake(const core::InlineVector<std::uint32_t, 16>& enabled, const Sleepers& sleep);
  WakeupNode* leaf_below(std::size_t k) const;
  bool lazy_node(std::size_t k) const;  // whether the new node at depth k can wait
  void materialize_next();
  void materialize_through(std::size_t k);  // every path entry up to k has its node
  void clear_path();
  const core::InlineVector<std::uint32_t, 16>& enabled_at(std::size_t k) const;
  // This worker's own region (ExplorationTree::private_paths; docs/exploration.md, "Own
  // regions"): path_[region_root_] is a node it made under the lock and marked as its own;
  // what lies below it, it made, claims, publishes, inserts into and finishes without the
  // lock, and nobody else sees it: an insertion by another worker that reaches it waits in
  // deferred_. The region is handed over (release_region) when a worker is idle, when its
  // root is finished, or at every execution's end under an execution bound. The counts of
  // what it did meanwhile are added to the tree's the next time it takes the lock.
  static constexpr std::size_t kNoRegion = static_cast<std::size_t>(-1);
  std::size_t region_root_ = kNoRegion;
  struct OwnCounts {
    std::uint64_t nodes_made = 0, nodes_done = 0, wakeup_made = 0, wakeup_gone = 0;
    std::uint64_t executions = 0, blocked = 0, events = 0, max_depth = 0, repeats = 0;
  } own_;
  std::vector<DeferredInsert> deferred_;  // pushed by other workers under the tree's lock
  std::vector<DeferredInsert> draining_;  // taken from deferred_, being applied
  std::atomic<bool> deferred_pending_{false};
  bool owns(std::size_t index) const { return region_root_ != kNoRegion && index >= region_root_; }
  // With the tree locked: add own_ to the tree; hand the region over (offer its nodes to
  // thieves). drain_deferred applies the insertions deferred to the region (`locked` false:
  // taking the lock only to take them).
  void flush_own();
  void drain_deferred(bool locked);
  void release_region();
  // The next branch up the path; without the lock (`locked` false) only within the own
  // region, short of its root: -1 if the lock is needed.
  int next_branch(bool locked);
  std::uint32_t follow_wakeup(TreeNode& n, std::size_t k, PathEntry& entry, std::uint32_t first_awake,
                              std::uint64_t& leaves);
};

// Explores on `workers` threads sharing one tree, each worker an Explorer on its own
// controller; `setup` sees each Explorer before it starts (tests attach on_execution, which
// is then called from several threads). Counterexamples come back sorted by signature and
// schedule; without keep_going, the first of them.
Result explore_parallel(const std::function<void()>& root, const Options& options, unsigned workers,
                        const std::function<void(Explorer&)>& setup = {});
// The same with the tree's configuration given (tests set what Options does not reach).
Result explore_parallel(const std::function<void()>& root, const Options& options, const ExplorerConfig& config,
                        unsigned workers, const std::function<void(Explorer&)>& setup = {});

}  // namespace lockstep::dpor
