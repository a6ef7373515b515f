# SPDX-License-Identifier: MIT
# GCC 12 for riscv64 emits no unwind tables for C by default (other Linux
# targets do): without them pthread_exit's forced unwind stops at the first
# libcp frame, so C++ destructors and catch(...) above a cancellation point
# are skipped (unit.cxx).  libcp's frames must be unwindable.
set(CP_ARCH_C_FLAGS -fasynchronous-unwind-tables)
