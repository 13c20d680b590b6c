// receive_within: selective receive with an OTP-style timeout, where a negative timeout
// (gen_server::kInfinity) means wait forever.
#pragma once

#include <cstdint>
#include <optional>

#include "lockstep/process.hpp"

namespace lockstep::model {

inline std::optional<Term> receive_within(Matcher m, std::int64_t timeout_ms) {
  if (timeout_ms < 0) return receive(std::move(m));
  return receive(std::move(m), timeout_ms);
}

}  // namespace lockstep::model
