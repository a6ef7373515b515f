# SPDX-License-Identifier: MIT
# CDash nightly for one soak shard: configure with -Werror, build, run the
# whole ctest suite and a soak over this machine's seed range, submit.
#
#   ctest -S runner/ctest-nightly.cmake -DSEED_RANGE=0:999 -DDURATION=8h \
#         -DSUBMIT_URL='https://cdash.example.org/submit.php?project=cancelstorm'
#
# Each machine takes its own SEED_RANGE (0:999, 1000:1999, ...); CDash shows
# one build per shard (BUILD_NAME ends in the range).  Variables (-D or the
# environment variable in brackets):
#   SEED_RANGE  seeds A:B, both included         [CPSTORM_SEED_RANGE] required
#   DURATION    soak length, 30s/10m/8h          [CPSTORM_DURATION]   8h
#   BACKENDS    A,B,.. or all                    [CPSTORM_BACKENDS]   all
#   SUBMIT_URL  CDash submit.php URL; unset: no submission, results stay
#               in BUILD_DIR/Testing              [CDASH_SUBMIT_URL]
#   BUILD_DIR   build tree                       [CPSTORM_BUILD_DIR]  build-nightly
#   MODEL       Nightly, Continuous or Experimental                   Nightly
#   LABELS      ctest label regex to run (e.g. soak)                  all tests
cmake_minimum_required(VERSION 3.25)

foreach(pair SEED_RANGE:CPSTORM_SEED_RANGE DURATION:CPSTORM_DURATION
             BACKENDS:CPSTORM_BACKENDS SUBMIT_URL:CDASH_SUBMIT_URL
             BUILD_DIR:CPSTORM_BUILD_DIR)
  string(REPLACE ":" ";" pair ${pair})
  list(GET pair 0 var)
  list(GET pair 1 env)
  if(NOT DEFINED ${var} AND DEFINED ENV{${env}})
    set(${var} "$ENV{${env}}")
  endif()
endforeach()
if(NOT SEED_RANGE MATCHES "^[0-9]+:[0-9]+$")
  message(FATAL_ERROR "give this shard's seeds: ctest -S runner/ctest-nightly.cmake -DSEED_RANGE=A:B (or CPSTORM_SEED_RANGE=A:B)")
endif()
if(NOT DURATION)
  set(DURATION 8h)
endif()
if(NOT BACKENDS)
  set(BACKENDS all)
endif()
if(NOT MODEL)
  set(MODEL Nightly)
endif()

get_filename_component(CTEST_SOURCE_DIRECTORY "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(BUILD_DIR)
  get_filename_component(CTEST_BINARY_DIRECTORY "${BUILD_DIR}" ABSOLUTE)
else()
  set(CTEST_BINARY_DIRECTORY "${CTEST_SOURCE_DIRECTORY}/build-nightly")
endif()
site_name(CTEST_SITE)
string(REPLACE ":" "-" range_name "${SEED_RANGE}")
set(CTEST_BUILD_NAME "linux-${CMAKE_HOST_SYSTEM_PROCESSOR}-soak-${range_name}")
set(CTEST_CMAKE_GENERATOR "Unix Makefiles")
set(CTEST_NIGHTLY_START_TIME "01:00:00 UTC")
if(SUBMIT_URL)
  set(CTEST_SUBMIT_URL "${SUBMIT_URL}")
endif()

# Last night's records must not mix into tonight's report.
file(REMOVE_RECURSE "${CTEST_BINARY_DIRECTORY}/soak")

ctest_start(${MODEL})
ctest_configure(OPTIONS "-DCP_WERROR=ON;-DCP_SOAK_SEED_RANGE=${SEED_RANGE};-DCP_SOAK_DURATION=${DURATION};-DCP_SOAK_BACKENDS=${BACKENDS}"
                RETURN_VALUE configure_status)
if(NOT configure_status EQUAL 0)
  message(WARNING "configure failed (status ${configure_status}); see ${CTEST_BINARY_DIRECTORY}/CMakeFiles/CMakeOutput.log")
endif()
ctest_build(PARALLEL_LEVEL 2 NUMBER_ERRORS build_errors)
if(LABELS)
  ctest_test(PARALLEL_LEVEL 2 INCLUDE_LABEL "${LABELS}" RETURN_VALUE test_status)
else()
  ctest_test(PARALLEL_LEVEL 2 RETURN_VALUE test_status)
endif()
if(CTEST_SUBMIT_URL)
  ctest_submit(RETURN_VALUE submit_status)
  if(NOT submit_status EQUAL 0)
    message(WARNING "submission to ${CTEST_SUBMIT_URL} failed; results are in ${CTEST_BINARY_DIRECTORY}/Testing")
  endif()
else()
  message(STATUS "no SUBMIT_URL: not submitted; results in ${CTEST_BINARY_DIRECTORY}/Testing and ${CTEST_BINARY_DIRECTORY}/soak")
endif()
if(NOT build_errors EQUAL 0 OR NOT test_status EQUAL 0)
  message(FATAL_ERROR "build errors: ${build_errors}; ctest status: ${test_status}")
endif()
