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
};

void nif_sync(Term kind, SharedAccess access = {});

}  // namespace lockstep
