# SPDX-License-Identifier: MIT
# i386 on an x86_64 Debian host: the native gcc with -m32, Debian 12's
# libc6-dev-i386, lib32gcc-12-dev and lib32stdc++-12-dev (not gcc-multilib:
# it conflicts with the cross compilers the other ports need).  The test
# binaries run natively when the kernel can execute them.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i386)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_CXX_COMPILER g++)
# libc6-dev-i386 puts bi-arch glibc headers in /usr/include, but the
# kernel's asm/ headers only exist under the amd64 multiarch directory
# (gcc-multilib would add an /usr/include/asm link); they are bi-arch too
# (asm/unistd.h picks unistd_32.h for __i386__), so search them last.
set(CP_I386_FLAGS "-m32 -idirafter /usr/include/x86_64-linux-gnu")
set(CMAKE_C_FLAGS_INIT ${CP_I386_FLAGS})
set(CMAKE_CXX_FLAGS_INIT ${CP_I386_FLAGS})
set(CMAKE_ASM_FLAGS_INIT ${CP_I386_FLAGS})
set(CP_DEB_MULTIARCH i386-linux-gnu)
# Some x86_64 kernels cannot (CONFIG_IA32_EMULATION off, ia32_emulation=0,
# or a PVM guest): probe with the i386 dynamic loader, itself an i386
# executable, and fall back to qemu-i386 (then ptrace, seccomp and the
# kernel's own signal delivery are out of reach, as on the other ports).
# In a full-system VM (CP_RUN_IN_VM) the guest's x86_64 kernel runs them.
execute_process(COMMAND /lib32/ld-linux.so.2 --version
  RESULT_VARIABLE CP_I386_NATIVE OUTPUT_QUIET ERROR_QUIET)
if(NOT CP_I386_NATIVE EQUAL 0 AND NOT CP_RUN_IN_VM)
  set(CMAKE_CROSSCOMPILING_EMULATOR sh ${CMAKE_CURRENT_LIST_DIR}/qemu-run.sh qemu-i386 --)
endif()
include(${CMAKE_CURRENT_LIST_DIR}/cp-deps.cmake)
