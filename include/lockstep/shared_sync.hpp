// nif_sync: the generic sync point behind lockstep's shared-state models (ETS, atomics,
// persistent terms). The calling process stops; when it is scheduled again the caller
// performs its operation on the shared object before any other process runs, so the
// operation is atomic. `kind` is recorded in the trace as `{:nif, pid, kind}`; `access`
// tells the explorer which object and key the operation touches and whether it writes.
#pragma once

#include <cstdint>

#include "lockstep/term.hpp"

namespace lockstep {

struct SharedAccess {
  std::uint64_t object = 0;  // which table / array / term store (0: unknown, conflicts with all)
  std::uint64_t key = 0;     // which key or index within it
  bool whole_object = true;  // the operation reads or writes the whole object (size, to_list)
  bool write = true;         // false for pure reads
  // A key write only (whole_object false): non-zero when two writes of the key that carry the
  // same value commute: in either order the object ends the same, and neither returns, or
  // keeps, anything that depends on what it met (a blind write). The explorer then does not
  // order them. Make it a hash of the operation and of what makes its writes commute: an ETS
  // insert of one object with that object, an atomics put with its value; atomics adds, which
  // commute whatever they add, with the operation alone. Never for a write that returns what
  // it found (update_counter, exchange, add_get).
  std::uint64_t commutes = 0;
};

void nif_sync(Term kind, SharedAccess access = {});

}  // namespace lockstep
