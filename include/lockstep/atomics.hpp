// lockstep::atomics: arrays of signed 64-bit integers shared between processes (Erlang's
// `atomics`). Every operation is a sync point (nif_sync) on one index, so the explorer
// sees which index it reads or writes; operations on different indices commute.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace lockstep::atomics {

// A handle: cheap to copy; operations change the shared array, never the handle (const).
class Array {
 public:
  std::int64_t get(std::size_t i) const;
  void put(std::size_t i, std::int64_t v) const;
  void add(std::size_t i, std::int64_t d) const;
  std::int64_t add_get(std::size_t i, std::int64_t d) const;
  void sub(std::size_t i, std::int64_t d) const;
  std::int64_t sub_get(std::size_t i, std::int64_t d) const;
  std::int64_t exchange(std::size_t i, std::int64_t v) const;  // returns the old value
  // Stores `desired` if the value is `expected`; returns the value found (Erlang returns
  // `ok` or the actual value: here the old value, equal to `expected` on success).
  std::int64_t compare_exchange(std::size_t i, std::int64_t expected, std::int64_t desired) const;
  std::size_t size() const;  // (local)

  struct Storage;  // the values and the explorer's object id (model/atomics.cpp)

 private:
  friend Array new_array(std::size_t n);
  std::shared_ptr<Storage> storage_;
};

// (local) A new array of n zeros, owned by whoever holds a copy.
Array new_array(std::size_t n);

}  // namespace lockstep::atomics
