# SPDX-License-Identifier: MIT
# riscv64 cross build with Debian's gcc-riscv64-linux-gnu and
# libc6-dev-riscv64-cross; the test binaries run under qemu-user with the
# cross sysroot as its library prefix (no binfmt registration needed), or
# in a VM.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER riscv64-linux-gnu-g++)
# qemu-run.sh decides what is trustworthy under qemu-user (see there).
# In a full-system VM (runner/cpstorm test --vm, CP_RUN_IN_VM) the tests
# run natively on the guest's kernel: no emulator in front of them.
if(NOT CP_RUN_IN_VM)
  set(CMAKE_CROSSCOMPILING_EMULATOR sh ${CMAKE_CURRENT_LIST_DIR}/qemu-run.sh
    qemu-riscv64 -L /usr/riscv64-linux-gnu --)
endif()
set(CP_DEB_MULTIARCH riscv64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/cp-deps.cmake)
