/* SPDX-License-Identifier: MIT */
/*
 * strategies.h - libcp's cancellation strategies: the one list.
 *
 * Each line is CP_STRATEGY(name, kind, decide, retry, "what it does"); the
 * first line is the default.
 *
 *   kind    correct: the library may ship it, and it must pass every case;
 *           flawed: a design rejected on purpose, kept (in the test build
 *           only) so that the suite shows it catches it.
 *   decide  how the cancel signal's handler judges the interrupted context:
 *           window     act when the PC is inside the cancellable routine's
 *                      window (up to and including the syscall
 *                      instruction: the kernel has not run the call);
 *           pcsyscall  act when the thread is inside a cancellation point
 *                      and the PC is on a syscall instruction;
 *           async      asynchronous cancellation around the syscall: act
 *                      wherever the signal lands during the call.
 *   retry   what becomes of a request declined because a signal handler
 *           runs on top of a cancellation point:
 *           reraise    re-raised with the cancel signal kept blocked, so it
 *                      fires when that handler returns;
 *           timer      re-sent by a per-thread timer every millisecond;
 *           none       left for the next cancellation point.
 *
 * Readers: C includes this file with its own CP_STRATEGY defined (an
 * X-macro: there is no include guard on purpose); CMake
 * (cmake/tables.cmake) and the runner (runner/cpstorm_lib/tables.py)
 * parse the lines that start with "CP_STRATEGY(", so keep one strategy a
 * line, in exactly this shape, with no double quote inside the text.
 * Which cases each flawed strategy must fail is cases/expected.txt;
 * docs/adding.md says what a new strategy needs.
 */

/*          name       kind     decide     retry    what it does (runner --help, the report) */
CP_STRATEGY(reraise,   correct, window,    reraise, "the new approach: act only with the PC in the syscall window; a request that lands while a handler runs on top of a cancellation point is re-raised with the cancel signal kept blocked")
CP_STRATEGY(timer,     correct, window,    timer,   "the new approach, retrying a declined request with a per-thread timer that re-sends it every millisecond")
CP_STRATEGY(noretry,   flawed,  window,    none,    "the syscall window with no retry: a request that lands while a handler runs on top of a blocked call is never seen again")
CP_STRATEGY(async,     flawed,  async,     none,    "classic glibc (2.40 and earlier): asynchronous cancellation switched on around the syscall")
CP_STRATEGY(pcsyscall, flawed,  pcsyscall, none,    "an 'inside a cancellation point' flag plus 'the PC is on the syscall instruction'")
