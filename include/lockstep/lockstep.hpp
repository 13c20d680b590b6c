// The umbrella header: everything a scenario author uses. `namespace ls = lockstep;`
#pragma once

#include "lockstep/atomics.hpp"
#include "lockstep/check.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/ets.hpp"
#include "lockstep/exits.hpp"
#include "lockstep/names.hpp"
#include "lockstep/options.hpp"
#include "lockstep/persistent_term.hpp"
#include "lockstep/process.hpp"
#include "lockstep/result.hpp"
#include "lockstep/scenario.hpp"
#include "lockstep/schedule.hpp"
#include "lockstep/shared_sync.hpp"
#include "lockstep/term.hpp"
