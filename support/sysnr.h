/* SPDX-License-Identifier: MIT */
/*
 * sysnr.h - the syscall a libc blocks in when the arch lacks the classic
 * one, for tables that recognise "blocked in X" through /proc/<tid>/syscall
 * (support/blockers.c).  The asm-generic arches (aarch64, riscv64) never
 * had poll, select, epoll_wait, pause or accept: glibc makes them ppoll,
 * pselect6, epoll_pwait, ppoll (pause is ppoll(NULL, 0, NULL, NULL) there)
 * and accept4.  i386 has no accept
 * syscall either; glibc reaches it through socketcall(2).  Include after
 * <sys/syscall.h>.
 */
#ifndef SUPPORT_SYSNR_H
#define SUPPORT_SYSNR_H

#include <sys/syscall.h>

#ifndef SYS_poll
#define SYS_poll SYS_ppoll
#endif
#ifndef SYS_select
#define SYS_select SYS_pselect6
#endif
#ifndef SYS_epoll_wait
#define SYS_epoll_wait SYS_epoll_pwait
#endif
#ifndef SYS_pause
#define SYS_pause SYS_ppoll
#endif
#ifndef SYS_accept
#ifdef SYS_socketcall
#define SYS_accept SYS_socketcall
#else
#define SYS_accept SYS_accept4
#endif
#endif

#endif
