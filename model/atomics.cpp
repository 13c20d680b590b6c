// Atomics arrays on the generic shared-state sync point: the sync point comes first, then
// the operation, which runs before any other process can (the caller holds the turn).
#include "lockstep/atomics.hpp"

#include <string>

#include "core/controller.hpp"
#include "core/mix.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/process.hpp"
#include "lockstep/shared_sync.hpp"
#include "lockstep/term.hpp"
#include "model/returned.hpp"

namespace lockstep::atomics {

struct Array::Storage {
  std::uint64_t object;  // stable per execution: derived from the creator's ref
  std::vector<std::int64_t> values;
};

namespace {
// The arrays of an execution, so that their values are part of the visible state.
struct Arrays {
  std::vector<std::shared_ptr<const Array::Storage>> all;
  void fingerprint(core::Fingerprint& f) const {
    f.add(all.size());
    for (const auto& a : all) {
      f.add(a->object).add(a->values.size());
      for (std::int64_t v : a->values) f.add(static_cast<std::uint64_t>(v));
    }
  }
};

[[noreturn, gnu::cold]] void out_of_range(const Array::Storage& s, std::size_t i, const char* op) {
  throw BadArg(std::string("atomics ") + op + ": index " + std::to_string(i) + " out of range (size " +
               std::to_string(s.values.size()) + ")");
}
inline std::int64_t& slot(Array::Storage& s, std::size_t i, const char* op) {
  if (i >= s.values.size()) [[unlikely]] out_of_range(s, i, op);
  return s.values[i];
}

// `op` is an atom made once per operation (atom() takes the atom table's lock).
// Inline: each frame between the scenario and the switch costs (core/fiber.hpp).
// `commutes`: SharedAccess::commutes, for the blind writes (put, add, sub).
[[gnu::always_inline]] inline void sync(const Array::Storage& s, const Term& op, std::size_t i, bool write,
                                        std::uint64_t commutes = 0) {
  core::shared_sync(op, static_cast<std::int64_t>(i),
                    SharedAccess{.object = s.object, .key = i, .whole_object = false, .write = write,
                                 .commutes = commutes});
}
// Adds and subs commute whatever they add; puts commute with puts of the same value.
constexpr std::uint64_t kAdds = 0x6164647375627331ULL;
std::uint64_t put_of(std::int64_t v) { return core::mix(0x7075747075747331ULL, static_cast<std::uint64_t>(v)) | 1; }
}  // namespace

Array new_array(std::size_t n) {
  Ref r = make_ref();
  Array a;
  a.storage_ = std::make_shared<Array::Storage>();
  a.storage_->object = (std::uint64_t{r.owner} << 32 | r.seq) * 0x9e3779b97f4a7c15ULL | 1;
  a.storage_->values.assign(n, 0);
  core::Controller& c = *core::Controller::current("atomics::new_array").controller;
  c.execution_local<Arrays>().all.push_back(a.storage_);
  c.hashes_contents_of(a.storage_->object);
  return a;
}

std::size_t Array::size() const { return storage_->values.size(); }

std::int64_t Array::get(std::size_t i) const {
  static const Term op = atom("atomics_get");
  sync(*storage_, op, i, false);
  return model::returned(slot(*storage_, i, "get"));
}
void Array::put(std::size_t i, std::int64_t v) const {
  static const Term op = atom("atomics_put");
  sync(*storage_, op, i, true, put_of(v));
  slot(*storage_, i, "put") = v;
}
// add and sub return nothing: blind, so they commute with one another (add_get does not).
void Array::add(std::size_t i, std::int64_t d) const {
  static const Term op = atom("atomics_add");
  sync(*storage_, op, i, true, kAdds);
  slot(*storage_, i, "add") += d;
}
void Array::sub(std::size_t i, std::int64_t d) const {
  static const Term op = atom("atomics_sub");
  sync(*storage_, op, i, true, kAdds);
  slot(*storage_, i, "sub") -= d;
}
std::int64_t Array::add_get(std::size_t i, std::int64_t d) const {
  static const Term op = atom("atomics_add");
  sync(*storage_, op, i, true);
  return model::returned(slot(*storage_, i, "add") += d);
}
std::int64_t Array::sub_get(std::size_t i, std::int64_t d) const {
  static const Term op = atom("atomics_sub");
  sync(*storage_, op, i, true);
  return model::returned(slot(*storage_, i, "sub") -= d);
}
std::int64_t Array::exchange(std::size_t i, std::int64_t v) const {
  static const Term op = atom("atomics_exchange");
  sync(*storage_, op, i, true);
  std::int64_t& s = slot(*storage_, i, "exchange");
  std::int64_t old = s;
  s = v;
  return model::returned(old);
}
std::int64_t Array::compare_exchange(std::size_t i, std::int64_t expected, std::int64_t desired) const {
  static const Term op = atom("atomics_compare_exchange");
  sync(*storage_, op, i, true);
  std::int64_t& s = slot(*storage_, i, "compare_exchange");
  std::int64_t old = s;
  if (old == expected) s = desired;
  return model::returned(old);
}

}  // namespace lockstep::atomics
