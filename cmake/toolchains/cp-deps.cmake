# SPDX-License-Identifier: MIT
# Shared by the arch toolchain files: where pkg-config finds the target's
# liburing, libseccomp and Check.  runner/cpstorm test --arch unpacks the
# arch's Debian packages into CP_DEPS_ROOT (runner/cpstorm_lib/deps.py);
# the host's own .pc files are never searched, so a missing package is
# missing (its tests SKIP) rather than silently the x86_64 one.
# try_compile projects read this file again, in the same process: hand
# them CP_DEPS_ROOT, or they would reset the environment below.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CP_DEPS_ROOT)
if(NOT CP_DEPS_ROOT)
  set(CP_DEPS_ROOT /nonexistent-cp-deps-root)
endif()
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${CP_DEPS_ROOT})
set(ENV{PKG_CONFIG_LIBDIR}
  "${CP_DEPS_ROOT}/usr/lib/${CP_DEB_MULTIARCH}/pkgconfig:${CP_DEPS_ROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
