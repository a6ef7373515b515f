/* SPDX-License-Identifier: MIT */
/*
 * landings.h - where a cancel signal can find a thread: the landing sites
 * that libcp's test build counts for the storm's coverage (coverage.c),
 * one list.
 *
 * Each line is CP_LANDING(name, "where"); C includes this file with its
 * own CP_LANDING defined (an X-macro: no include guard on purpose).  The
 * order is the handler's: the first line that applies names the site.
 * Only deliveries of libcp's signal with a request pending are counted.
 */

/*         name                  where the signal interrupted the thread */
CP_LANDING(disabled,             "cancellation disabled: the thread is already acting (cp_act waits for the signal in flight) or in a disabled region")
CP_LANDING(async,                "asynchronous type: acted on at once, wherever the thread is")
CP_LANDING(before_syscall,       "in the window, before the syscall instruction: the kernel was never entered")
CP_LANDING(at_syscall,           "on the syscall instruction: the kernel rewound the PC to restart the call (or the call was about to enter)")
CP_LANDING(after_syscall,        "in the routine after the syscall instruction: the call completed, the wrapper acts after it")
CP_LANDING(routine_bookkeeping,  "in the routine outside the window: publishing the call on entry, the landing pad, or a fenced slow path's entry")
CP_LANDING(handler_on_call,      "in a signal handler on top of a cancellation point that will enter the kernel again: a retry")
CP_LANDING(handler_on_completed, "in a signal handler on top of a call that completed")
CP_LANDING(abandoned,            "a call is recorded but no signal frame stands on it: a handler left it by siglongjmp (or the landing pad has just jumped into cp_act)")
CP_LANDING(ordinary,             "no call recorded: ordinary code, or libcp after the call (waiting for the signal in flight)")
