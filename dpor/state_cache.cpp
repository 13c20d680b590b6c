#include "dpor/state_cache.hpp"

#include <algorithm>
#include <tuple>

namespace lockstep::dpor {

namespace {
auto key(const Summary::Touch& t) {
  return std::tuple(t.access.kind, t.access.object, t.access.mode, t.pid, t.access.peer.pid, t.access.peer.index);
}
bool before(const Summary::Touch& a, const Summary::Touch& b) { return key(a) < key(b); }
bool same(const Summary::Touch& a, const Summary::Touch& b) { return key(a) == key(b); }

bool subset(std::span<const std::uint32_t> small, std::span<const std::uint32_t> large) {
  return std::includes(large.begin(), large.end(), small.begin(), small.end());
}
}  // namespace

void Summary::add(const core::EventRecord& event) {
  auto keep = [&](core::Access a) {
    a.causes = 0;
    a.commutes = 0;  // one write stands for all its values: conflicting with each is safe
    Touch t{event.id.pid, a};
    auto at = std::lower_bound(touches_.begin(), touches_.end(), t, before);
    if (at == touches_.end() || !same(*at, t)) touches_.insert(at, t);
  };
  for (const core::Access& a : event.accesses) keep(a);
  // What decided its consequences was read, even where no access says so.
  for (const core::Access& c : event.conditions) keep(c);
  for (std::uint32_t child : event.spawned) {
    std::pair entry{child, event.id.pid};
    auto at = std::lower_bound(spawns_.begin(), spawns_.end(), entry);
    if (at == spawns_.end() || *at != entry) spawns_.insert(at, entry);
  }
}

void Summary::merge(const Summary& other) {
  // Sibling subtrees mostly touch the same things: a merge that adds nothing copies nothing.
  if (!std::includes(touches_.begin(), touches_.end(), other.touches_.begin(), other.touches_.end(), before)) {
    std::vector<Touch> touches;
    touches.reserve(touches_.size() + other.touches_.size());
    std::set_union(touches_.begin(), touches_.end(), other.touches_.begin(), other.touches_.end(),
                   std::back_inserter(touches), before);
    touches_ = std::move(touches);
  }
  if (!std::includes(spawns_.begin(), spawns_.end(), other.spawns_.begin(), other.spawns_.end())) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> spawns;
    std::set_union(spawns_.begin(), spawns_.end(), other.spawns_.begin(), other.spawns_.end(),
                   std::back_inserter(spawns));
    spawns_ = std::move(spawns);
  }
}

std::span<const Summary::Touch> Summary::touching(core::ObjectKind kind, std::uint64_t object) const {
  auto by_object = [](const Touch& t) { return std::pair(t.access.kind, t.access.object); };
  auto lo = std::partition_point(touches_.begin(), touches_.end(),
                                 [&](const Touch& t) { return by_object(t) < std::pair(kind, object); });
  auto hi = std::partition_point(lo, touches_.end(),
                                 [&](const Touch& t) { return by_object(t) == std::pair(kind, object); });
  return {lo, hi};
}

std::uint32_t Summary::spawner(std::uint32_t pid) const {
  auto at = std::lower_bound(spawns_.begin(), spawns_.end(), std::pair{pid, std::uint32_t{0}});
  return at != spawns_.end() && at->first == pid ? at->second : 0;
}

std::size_t Summary::bytes() const {
  return sizeof(Summary) + touches_.capacity() * sizeof(Touch) + spawns_.capacity() * sizeof(spawns_[0]);
}

Covered StateCache::covering(std::uint64_t state, std::span<const std::uint32_t> sleeping) {
  lookups_.fetch_add(1, std::memory_order_relaxed);
  Shard& s = shard(state);
  std::lock_guard lock(s.mutex);
  auto found = s.visits.find(state);
  if (found == s.visits.end()) return {};
  for (const Visit& v : found->second) {
    if (subset(v.sleeping, sleeping)) return {true, v.summary, v.work};
  }
  return {};
}

void StateCache::insert(std::uint64_t state, std::vector<std::uint32_t> sleeping,
                        std::shared_ptr<const Summary> summary, std::uint64_t work) {
  std::size_t cost = sizeof(std::uint64_t) + sizeof(Visit) + 32 + sleeping.capacity() * sizeof(std::uint32_t) +
                     (summary ? summary->bytes() : 0);
  if (full_.load(std::memory_order_relaxed)) return;
  if (bytes_.load(std::memory_order_relaxed) + cost > max_bytes_) {
    full_.store(true, std::memory_order_relaxed);
    return;
  }
  Shard& s = shard(state);
  std::lock_guard lock(s.mutex);
  auto& visits = s.visits[state];
  bool fresh = visits.empty();
  // A visit with a subset of the new sleep set already covers everything the new one would.
  for (const Visit& v : visits) {
    if (subset(v.sleeping, sleeping)) return;
  }
  // The new visit covers those whose sleep sets contain its own.
  std::erase_if(visits, [&](const Visit& v) { return subset(sleeping, v.sleeping); });
  if (fresh) states_.fetch_add(1, std::memory_order_relaxed);
  visits.push_back(Visit{std::move(sleeping), std::move(summary), work});
  bytes_.fetch_add(cost, std::memory_order_relaxed);
}

void StateCache::retire(std::uint64_t executions) {
  retired_after_.store(executions, std::memory_order_relaxed);
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    s.visits = {};
  }
  bytes_.store(0, std::memory_order_relaxed);
}

StateCacheStats StateCache::stats() const {
  return StateCacheStats{states_.load(), lookups_.load(), hits_.load(), bytes_.load(),
                         full_.load(),   saved_.load(),   retired_after_.load()};
}

}  // namespace lockstep::dpor
