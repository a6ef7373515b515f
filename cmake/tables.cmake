# SPDX-License-Identifier: MIT
# The project's two tables, read at configure time: the strategies
# (lib/strategies.h) and the expected verdict of each case per strategy
# (cases/expected.txt).  The runner reads the same files
# (runner/cpstorm_lib/tables.py) and checks the parts CMake does not use:
# the reasons of cases/expected.txt (ctest runner.tables).

set(CP_STRATEGY_TABLE ${CMAKE_SOURCE_DIR}/lib/strategies.h)
set(CP_EXPECTED_TABLE ${CMAKE_SOURCE_DIR}/cases/expected.txt)
# Editing a table reconfigures.
set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY
  CMAKE_CONFIGURE_DEPENDS ${CP_STRATEGY_TABLE} ${CP_EXPECTED_TABLE})

# The lines of a file as a CMake list, with the characters a list cannot
# hold (; [ ]) replaced: neither table needs them in what CMake reads.
function(cp_table_lines file out)
  file(READ ${file} text)
  string(REGEX REPLACE "[][;]" "_" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

# CP_STRATEGIES: every strategy, the default first; CP_STRATEGY_KIND_<name>:
# correct or flawed.
function(cp_read_strategies)
  cp_table_lines(${CP_STRATEGY_TABLE} lines)
  set(names "")
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "^CP_STRATEGY\\(")
      continue()
    endif()
    if(NOT line MATCHES "^CP_STRATEGY\\(([a-z0-9_]+), *(correct|flawed), *(window|pcsyscall|async), *(reraise|timer|none), *\"[^\"]*\"\\)$")
      message(FATAL_ERROR "lib/strategies.h: not CP_STRATEGY(name, correct|flawed, window|pcsyscall|async, reraise|timer|none, \"text\"): ${line}")
    endif()
    list(APPEND names ${CMAKE_MATCH_1})
    set(CP_STRATEGY_KIND_${CMAKE_MATCH_1} ${CMAKE_MATCH_2} PARENT_SCOPE)
  endforeach()
  if(NOT names)
    message(FATAL_ERROR "lib/strategies.h names no strategy")
  endif()
  set(CP_STRATEGIES ${names} PARENT_SCOPE)
endfunction()

# The grid's column for the cp-preload backend (the libc backend's programs
# under the drop-in library, dropin/): not a strategy, but judged like a
# correct one (pass where it has no column).
set(CP_PRELOAD_COLUMN preload)

# Reads the grid of cases/expected.txt (up to its "why" line) after
# cp_read_strategies.  CP_EXPECTED_CASES: the rows; CP_EXPECT_<case>_<strategy>:
# pass, fail or any for every strategy (see the file's header for a
# strategy without a column).
function(cp_read_expected)
  cp_table_lines(${CP_EXPECTED_TABLE} lines)
  set(columns "")
  set(cases "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(line STREQUAL "why")
      break()
    endif()
    if(line STREQUAL "" OR line MATCHES "^#")
      continue()
    endif()
    string(REGEX REPLACE "[ \t]+" ";" cells "${line}")
    list(POP_FRONT cells first)
    if(first STREQUAL "case")
      foreach(s IN LISTS cells)
        if(NOT s IN_LIST CP_STRATEGIES AND NOT s STREQUAL CP_PRELOAD_COLUMN)
          message(FATAL_ERROR "cases/expected.txt: column '${s}' is not a strategy of lib/strategies.h (${CP_STRATEGIES}) or ${CP_PRELOAD_COLUMN}")
        endif()
      endforeach()
      set(columns ${cells})
      continue()
    endif()
    list(LENGTH cells got)
    list(LENGTH columns want)
    if(NOT want OR NOT got EQUAL want)
      message(FATAL_ERROR "cases/expected.txt: row '${first}' has ${got} verdicts for ${want} columns")
    endif()
    if(first IN_LIST cases)
      message(FATAL_ERROR "cases/expected.txt: case '${first}' has two rows")
    endif()
    list(APPEND cases ${first})
    foreach(s v IN ZIP_LISTS columns cells)
      string(TOLOWER "${v}" v)
      if(NOT v MATCHES "^(pass|fail|any)$")
        message(FATAL_ERROR "cases/expected.txt: ${first}/${s} is '${v}', not pass, FAIL or any")
      endif()
      set(CP_EXPECT_${first}_${s} ${v} PARENT_SCOPE)
    endforeach()
  endforeach()
  foreach(s IN LISTS CP_STRATEGIES CP_PRELOAD_COLUMN)
    if(s IN_LIST columns)
      continue()
    endif()
    if(s STREQUAL CP_PRELOAD_COLUMN OR CP_STRATEGY_KIND_${s} STREQUAL "correct")
      set(v pass)
    else()
      set(v any)
      message(WARNING "cases/expected.txt has no column for the flawed strategy '${s}': its case verdicts are not judged until it has one")
    endif()
    foreach(c IN LISTS cases)
      set(CP_EXPECT_${c}_${s} ${v} PARENT_SCOPE)
    endforeach()
  endforeach()
  set(CP_EXPECTED_CASES ${cases} PARENT_SCOPE)
endfunction()
