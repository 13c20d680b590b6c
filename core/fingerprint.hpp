// Fingerprint: a 64-bit XXH3 hash of a buffer of fields. The controller builds one of the
// visible state after each step (Controller::visible_state, for the explorer's state cache
// and its end states); each part of the state adds its fields in a fixed order. Hashing a
// buffer at once is ~4x cheaper per field than streaming (DESIGN.md).
//
// Thread-safety: a value type; one per use.
#pragma once

#include <cstdint>
#include <vector>

namespace lockstep::core {

class Fingerprint {
 public:
  Fingerprint& add(std::uint64_t field) {
    fields_.push_back(field);
    return *this;
  }
  // Sets of fields (links, monitors): their order is not state. Adds the commutative sum of
  // the members' mixes, and the count.
  template <typename Range, typename Hash>
  Fingerprint& add_set(const Range& members, Hash&& hash) {
    std::uint64_t sum = 0, count = 0;
    for (const auto& m : members) {
      sum += spread(hash(m));
      ++count;
    }
    return add(sum).add(count);
  }
  std::uint64_t value() const;  // XXH3 of the fields
  void clear() { fields_.clear(); }
  static std::uint64_t spread(std::uint64_t x);  // a bijective mixer, for sums of members

 private:
  std::vector<std::uint64_t> fields_;
};

}  // namespace lockstep::core
