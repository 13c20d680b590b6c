// EventRecord: what one executed step did, as the explorer sees it: which process, its
// how-manieth event, and the abstract objects it touched with how (read, write, append to
// a mailbox, consume a given message, ...). The dependency relation (dpor/dependency.hpp,
// docs/dependencies.md) is defined over these records. Recorded only when the strategy
// asks for it (Strategy::observes_events), so sampling runs pay nothing.
#pragma once

#include <cstdint>

#include <boost/container/small_vector.hpp>

namespace lockstep::core {

// Identifies an event across executions: the index-th event (0-based) of process pid.
// Timer firings are barrier events of the pseudo-process 0.
struct EventId {
  std::uint32_t pid = 0;
  std::uint32_t index = 0;
  friend bool operator==(EventId, EventId) = default;
};

enum class ObjectKind : std::uint8_t {
  life,        // whether a process is alive (every event of P reads life(P))
  trap,        // P's trap_exit flag
  links,       // P's link set
  monitors,    // the monitors on P
  mailbox,     // P's mailbox
  own_name,    // the name P is registered under
  name,        // a registry name (by term hash)
  name_set,    // the set of registered names (registered())
  timer,       // one timer (by ref)
  pid_counter, // pid numbering: spawns
  shared_object,  // a nif_sync object as a whole
  shared_key,     // a nif_sync (object, key)
  shared_any,     // every nif_sync object (for accesses with unknown object)
  network,        // the cluster: nodes up, partitions (read by every cross-node delivery)
};

enum class AccessMode : std::uint8_t {
  read,
  write,
  member_read,   // reads one member of a collection (key of a table, name of the set)
  member_write,  // writes one member: commutes with other member accesses
  append,        // a message appended to a mailbox
  consume,       // a receive took the message appended by `peer`
  consume_due,   // likewise, but its timeout had expired: it could have run without it
  timeout,       // a receive found no matching message and timed out
  clear,         // messages removed from a mailbox other than by receive (demonitor flush)
};

struct Access {
  ObjectKind kind;
  AccessMode mode;
  // Non-zero for a consequence: an access the event made only because of the state it met
  // (a kill and its cascade, where a named send landed). Bit i names the i-th entry of
  // EventRecord::conditions that decided it (cause_bit); bit 31 stands for "some condition
  // past 30". 32 bits, so that the record stays 32 bytes with `commutes`.
  std::uint32_t causes = 0;
  std::uint64_t object;  // pid, name hash, ref, ...
  EventId peer;          // consume: the event that sent the message
  // A write only: non-zero when the write commutes with every other write of the object that
  // carries the same value (SharedAccess::commutes: an ETS insert of one object, atomics
  // adds). 0: an ordinary write, ordered with every other.
  std::uint64_t commutes = 0;
};
static_assert(sizeof(Access) == 32, "records copy accesses by the dozen: keep them at half a cache line");

// The bit of Access::causes (and EventRecord::plain_alternative) that names condition i.
inline std::uint32_t cause_bit(std::size_t i) { return std::uint32_t{1} << (i < 31 ? i : 31); }

// Reads (of the whole object or of one member) commute with reads; member accesses commute
// with member accesses (dpor/dependency.cpp has the full relation). The footprints and the
// explorer's access index are filtered by these two classes.
inline bool reading(AccessMode m) { return m == AccessMode::read || m == AccessMode::member_read; }
inline bool member_access(AccessMode m) { return m == AccessMode::member_read || m == AccessMode::member_write; }

// The bit an access to (kind, object) sets in EventRecord::footprint.
inline std::uint64_t footprint_bit(ObjectKind kind, std::uint64_t object) {
  std::uint64_t h = (object + static_cast<std::uint64_t>(kind)) * 0x9e3779b97f4a7c15ULL;
  return std::uint64_t{1} << (h >> 58);
}

// Records are copied often (wakeup trees, sleep sets, reversed races): the usual handful of
// accesses, and the rare spawn, kill or condition, live inline rather than on the heap.
template <typename T, std::size_t N>
using InlineVector = boost::container::small_vector<T, N>;

// The fields the dependency check reads first (id, the flags, the footprints) come first:
// one cache line decides most pairs, which wakeup-tree insertion checks by the thousand.
struct EventRecord {
  // User-provided: a value-initialized record (emplace_back()) is not zeroed whole first,
  // inline buffers included, before the member initializers run.
  EventRecord() {}  // NOLINT(modernize-use-equals-default)
  EventId id;
  bool barrier = false;                   // a timer firing: ordered with everything
  bool unknown = false;                   // not executed yet: dependent with everything
  // The event took a branch that does less than its other one would (a link or monitor of a
  // live process: had the target died first, it would cascade). A sleeping process whose
  // recorded event is such is not assumed to commute past sequences it is absent from.
  bool heavier_alternative = false;
  // Not what the event did but what the explorer works out it would do elsewhere (a reversed
  // race's event moved before the one it raced with): run there, it may do more. An
  // insertion that rests on such a record is provisional (dpor/sequence_key.hpp).
  bool predicted = false;
  // Where an explorer's event log holds the record (dpor/explorer.hpp, EventLog): it is shared,
  // not copied, into the exploration tree, and found again by this. Meaningless elsewhere.
  std::uint32_t log_index = 0;
  // One bit per object accessed (footprint_bit): two events whose footprints share no bit
  // touch no common object, so the dependency check can stop there. 0: not computed.
  std::uint64_t footprint = 0;
  // The same bits split by how the object is accessed, so that most pairs that touch a common
  // object are found independent without looking at their accesses: two events conflict on
  // an object only if one of them writes it (write, append, consume, ...: write_footprint),
  // or one writes a member of it and the other reads it whole (member_write_footprint,
  // read_footprint). Members commute with members, reads with reads.
  std::uint64_t write_footprint = 0;
  std::uint64_t member_write_footprint = 0;
  std::uint64_t read_footprint = 0;
  std::uint64_t label = 0;                // hash of what the event did and returned (0 unless
                                          // the strategy observes states)
  InlineVector<Access, 6> accesses;
  InlineVector<std::uint32_t, 2> spawned;   // pids created by this event (spawn; fault actors)
  // A process's exit has three (its name, monitors and links): inline, as copies are many.
  InlineVector<Access, 3> conditions;       // the state (kind, object) that decided consequences
  // Bit i set: had condition i gone the other way, the event would have done only its
  // unconditional accesses (e.g. `link` to a live process instead of a dead one).
  std::uint32_t plain_alternative = 0;
  InlineVector<std::uint32_t, 2> killed;    // processes this event killed (other than itself)
};

}  // namespace lockstep::core
