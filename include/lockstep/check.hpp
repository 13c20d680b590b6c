// check(): run a scenario under the controller with the strategy the options name, in
// this process. This is what unit tests call; lockstep-check calls it for a loaded .so.
#pragma once

#include <functional>
#include <string_view>

#include "lockstep/options.hpp"
#include "lockstep/result.hpp"

namespace lockstep {

Result check(std::function<void()> root, const Options& options = {});
Result check(std::string_view scenario, const Options& options);  // a registered scenario

}  // namespace lockstep
