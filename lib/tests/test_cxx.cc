// SPDX-License-Identifier: MIT
// test_cxx.cc - acting on a cancellation inside a cp_ call unwinds C++
// frames: destructors run, and a catch (...) that rethrows lets the forced
// unwind go on (abi::__forced_unwind).  Twice: a request pending before the
// call (inline check), and one that interrupts the blocked call (the
// handler redirects the PC to the landing pad; the unwinder must walk out
// through the asm routine's CFI).  Exit 0 pass, 1 fail, 2 setup broke.
#include <cp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

static int pipefd[2];

struct Run {
	bool cancel_first;
	volatile pid_t tid;
	volatile int destroyed, rethrown;
};

struct Guard {
	Run *r;
	~Guard() { r->destroyed = 1; }
};

static void *target(void *p)
{
	Run *r = static_cast<Run *>(p);
	Guard g{r};
	char c;

	r->tid = (pid_t)syscall(SYS_gettid);
	try {
		if (r->cancel_first)
			cp_cancel(pthread_self());
		cp_read(pipefd[0], &c, 1);
	} catch (...) {
		r->rethrown = 1;
		throw;   // must be rethrown: the unwind is forced
	}
	return nullptr;
}

// Poll /proc until the thread sits in read(2): waiting for a state.
static bool blocked_in_read(pid_t tid)
{
	char path[64], line[32] = "";
	std::snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
	for (int i = 0; i < 50000; i++) {
		if (FILE *f = std::fopen(path, "r")) {
			/* The first field is the syscall number: this arch's
			 * read (0 on x86_64, 3 on i386, 63 on aarch64). */
			bool in_read = std::fgets(line, sizeof line, f) &&
				       std::atol(line) == SYS_read &&
				       std::strchr(line, ' ');
			std::fclose(f);
			if (in_read)
				return true;
		}
		timespec ts{0, 100000};
		nanosleep(&ts, nullptr);
	}
	return false;
}

static bool run(bool cancel_first)
{
	Run r{cancel_first, 0, 0, 0};
	pthread_t th;
	void *ret = nullptr;

	if (pthread_create(&th, nullptr, target, &r)) {
		std::puts("error: pthread_create");
		std::exit(2);
	}
	if (!cancel_first) {
		while (!r.tid)
			sched_yield();
		/* Under qemu-user /proc shows host syscall numbers: the request
		 * is then made without the wait (before or during the call;
		 * either way the unwind goes through libcp's frames). */
		if (!std::getenv("CP_UNDER_QEMU_USER") && !blocked_in_read(r.tid)) {
			std::puts("error: target never blocked in read");
			std::exit(2);
		}
		cp_cancel(th);
	}
	pthread_join(th, &ret);
	bool ok = ret == PTHREAD_CANCELED && r.destroyed && r.rethrown;
	std::printf("%s: %s: joined %s, destructor %s, catch(...) %s\n",
		    ok ? "pass" : "fail",
		    cancel_first ? "pending before the call" : "blocked call",
		    ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "something else",
		    r.destroyed ? "ran" : "did not run",
		    r.rethrown ? "saw the forced unwind" : "was skipped");
	return ok;
}

int main()
{
	if (pipe2(pipefd, O_CLOEXEC)) {
		std::puts("error: pipe2");
		return 2;
	}
	bool a = run(true), b = run(false);
	return a && b ? 0 : 1;
}
