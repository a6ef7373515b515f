/* SPDX-License-Identifier: MIT */
/*
 * strategies.h - libcp's cancellation strategies: the one list.
 *
 * Each line is CP_STRATEGY(name, kind, "what it does").  The first line is
 * the default.  kind is "correct" (the library may ship it: it must pass
 * every case) or "flawed" (a design rejected on purpose, kept so the suite
 * shows that it catches it; built into the test library only).
 *
 * Readers: C includes this file with its own CP_STRATEGY defined (an
 * X-macro; there is no include guard on purpose); CMake (cmake/tables.cmake)
 * and the runner (runner/cpstorm_lib/tables.py) parse the lines that start
 * with "CP_STRATEGY(", so keep one strategy a line, in exactly this shape.
 * Which case each flawed strategy must fail is cases/expected.txt.
 * docs/adding.md says what else a new strategy needs (its code in lib/).
 */

/*          name       kind     what it does (runner --help, the report) */
CP_STRATEGY(reraise,   correct, "the new approach: act only with the PC in the syscall window; a request that lands while a handler runs on top of a cancellation point is re-raised with the cancel signal kept blocked")
CP_STRATEGY(timer,     correct, "the new approach, retrying a declined request with a per-thread timer that re-sends it every millisecond")
CP_STRATEGY(noretry,   flawed,  "the syscall window with no retry: a request that lands while a handler runs on top of a blocked call is never seen again")
CP_STRATEGY(async,     flawed,  "classic glibc (2.40 and earlier): asynchronous cancellation switched on around the syscall")
CP_STRATEGY(pcsyscall, flawed,  "an 'inside a cancellation point' flag plus 'the PC is on the syscall instruction'")
