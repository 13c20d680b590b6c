// explore(): exhaustive exploration of a scenario with dynamic partial-order reduction
// (`options.dpor`: none, source or optimal). Lives in the dpor component (link
// lockstep::dpor); `lockstep-check --exhaustive` calls it.
#pragma once

#include <functional>
#include <string_view>

#include "lockstep/options.hpp"
#include "lockstep/result.hpp"

namespace lockstep {

Result explore(std::function<void()> root, const Options& options = {});
Result explore(std::string_view scenario, const Options& options);

}  // namespace lockstep
