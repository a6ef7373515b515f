// SPDX-License-Identifier: MIT
// Description: cleanup-order-cxx — acting on a cancellation inside a cp_
// (or libc) call unwinds C++ frames: a catch (...) that rethrows sees the
// forced unwind, destructors of every object alive across the call run
// innermost first, interleaved in order with pthread_cleanup_push handlers,
// then the TSD destructor; pthread_join returns PTHREAD_CANCELED.
//
// The race: the C++ ABI unwinds a cancelled thread with a forced unwind
// (abi::__forced_unwind).  An acting path the unwinder cannot walk (a
// landing pad without CFI, a signal frame it cannot step through, a
// thread exit that does not unwind) skips destructors: RAII locks stay
// held and resources leak.  The unwinder must walk out of the cancellable
// routine (landing pad, EINTR path) and, for the async and pcsyscall
// strategies and glibc, out of the cancel signal's handler frame.
//
// The interleaving: as cleanup-order (support/order.c): pending before the
// call, blocked in read, blocked in poll (EINTR path).  The target builds
// object A, pushes cleanup X, calls a nested frame that builds object B and
// blocks inside try { } catch (...) { note R; throw; }.
//
// Correct: the log reads R, B, X, A, then T (TSD); joined PTHREAD_CANCELED.
#include <pthread.h>

// The harness headers are C11: _Noreturn is C's spelling of [[noreturn]].
#define _Noreturn [[noreturn]]
extern "C" {
#include <order.h>
}

namespace {

struct Note {
	order_run *r;
	char c;
	~Note() { order_note(r, c); }
};

void note_x(void *p)
{
	order_note(static_cast<order_run *>(p), 'X');
}

__attribute__((noinline)) void inner(order_run *r)
{
	Note b{r, 'B'};

	try {
		order_block(r);
	} catch (...) {
		order_note(r, 'R');
		throw;   // the unwind is forced: it must go on
	}
	r->br.be->testcancel();
}

void *body(void *p)
{
	order_run *r = static_cast<order_run *>(p);
	Note a{r, 'A'};

	pthread_cleanup_push(note_x, r);
	inner(r);
	pthread_cleanup_pop(0);
	return nullptr;
}

} // namespace

int main(int argc, char **argv)
{
	order_case(argc, argv, "cleanup-order-cxx", body, "RBXA",
		   "pending, blocked in read, EINTR from poll: catch(...) "
		   "rethrew, destructors and cleanup ran B X A, then the TSD "
		   "destructor; joined PTHREAD_CANCELED");
}
