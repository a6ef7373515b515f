# SPDX-License-Identifier: MIT
# x86_64: cp_arch_window_call (cp_arch.h) calls into the window from inline
# asm; the call's return address would overwrite red-zone data below %rsp.
set(CP_ARCH_C_FLAGS -mno-red-zone)
