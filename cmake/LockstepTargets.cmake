# One place that sets warnings and sanitizer flags for every lockstep target.
include_guard(GLOBAL)

function(lockstep_configure_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                         -Wno-missing-field-initializers)  # designated initialisers rely on defaults
  # liblockstep.so's own calls (Controller::find, Fiber::yield, ...) bind locally and can be
  # inlined: nobody interposes lockstep's symbols, and a step crosses a dozen such calls.
  target_compile_options(${target} PRIVATE -fno-semantic-interposition)
  if(LOCKSTEP_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(LOCKSTEP_SANITIZE_THREAD)
    # Fibers tell TSan of each stack switch themselves (core/fiber.hpp), on either backend.
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  endif()
  # Both passes name the profile directory: a profile's file name is derived from its
  # object's path, the same in both passes of one build directory. Atomic counters: the
  # training run explores on several workers.
  if(LOCKSTEP_PGO STREQUAL "generate")
    target_compile_options(${target} PRIVATE -fprofile-generate -fprofile-update=atomic
                                             -fprofile-dir=${LOCKSTEP_PGO_DIR})
    target_link_options(${target} PRIVATE -fprofile-generate)
  elseif(LOCKSTEP_PGO STREQUAL "use")
    # Code the training never ran is optimised as without profiles (partial training), and
    # objects it never loaded have none (no warning for those).
    target_compile_options(${target} PRIVATE -fprofile-use -fprofile-partial-training -Wno-missing-profile
                                             -fprofile-dir=${LOCKSTEP_PGO_DIR})
  endif()
endfunction()

# A scenario shared library: build/examples/<name>.so (or another directory), linking the runtime.
function(lockstep_add_scenario_library target)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE lockstep::lockstep)
  set_target_properties(${target} PROPERTIES PREFIX "" SUFFIX ".so"
                        LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  lockstep_configure_target(${target})
endfunction()

# A component of the runtime built on core (model, cluster): object files that go into
# liblockstep.so, reaching core's private headers as "core/...".
function(lockstep_add_runtime_part name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(lockstep_${name} OBJECT ${ARG_SOURCES})
  add_library(lockstep::${name} ALIAS lockstep_${name})
  target_link_libraries(lockstep_${name} PUBLIC lockstep_core_interface Boost::headers)
  target_include_directories(lockstep_${name} PRIVATE ${PROJECT_SOURCE_DIR})
  if(LOCKSTEP_SANITIZE)
    target_compile_definitions(lockstep_${name} PRIVATE BOOST_USE_UCONTEXT BOOST_USE_ASAN)
  endif()
  lockstep_configure_target(lockstep_${name})
endfunction()

# An executable that explores (lockstep-check, lockstep-bench): malloc and new are oneTBB's
# scalable allocator for the whole process, scenario code included. Parallel exploration
# frees on one worker much of what another allocated (tree nodes, records of insertions
# into its region); glibc's per-thread arenas handle that poorly (measured, docs/performance.md:
# +7-13% on 2 workers, +3-9% on one). Not under the sanitizers, which bring their own.
function(lockstep_use_scalable_malloc target)
  if(NOT LOCKSTEP_SANITIZE AND NOT LOCKSTEP_SANITIZE_THREAD AND TARGET TBB::tbbmalloc_proxy)
    # Nothing references the proxy's symbols: keep it needed, so it loads before anything
    # allocates.
    target_link_options(${target} PRIVATE -Wl,--push-state,--no-as-needed)
    target_link_libraries(${target} PRIVATE TBB::tbbmalloc_proxy)
    target_link_options(${target} PRIVATE -Wl,--pop-state)
  endif()
endfunction()
