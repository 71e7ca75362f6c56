dnl config.m4 for extension zmm (the PHP 5 Zend memory manager as PHP 8's request heap)

dnl Enabled by default: PIE runs a plain ./configure unless the user passes options.
PHP_ARG_ENABLE([zmm],
  [whether to enable zmm support],
  [AS_HELP_STRING([--enable-zmm],
    [Enable zmm, the PHP 5 memory manager as the request heap (default: yes)])],
  [yes])

PHP_ARG_ENABLE([zmm-debug],
  [whether to enable zmm debugging],
  [AS_HELP_STRING([--enable-zmm-debug],
    [zmm: enable test hooks (zmm_debug_*()), internal assertions and -Wall -Wextra])],
  [no],
  [no])

if test "$PHP_ZMM" != "no"; then
  ZMM_CFLAGS="-DZEND_ENABLE_STATIC_TSRMLS_CACHE=1"

  if test "$PHP_ZMM_DEBUG" != "no"; then
    AC_DEFINE([ZMM_DEBUG], [1], [Define to enable zmm test hooks and assertions])
    dnl Zend's own macros (INTERNAL_FUNCTION_PARAMETERS, ini handlers) leave parameters unused,
    dnl so that one warning is switched off again.
    for zmm_flag in -Wall -Wextra -Wno-unused-parameter; do
      AX_CHECK_COMPILE_FLAG([$zmm_flag], [ZMM_CFLAGS="$ZMM_CFLAGS $zmm_flag"], , [-Werror])
    done
  fi

  dnl Only get_module is exported (ZEND_DLEXPORT); hidden symbols let the handlers call the heap
  dnl directly instead of through the PLT.
  AX_CHECK_COMPILE_FLAG([-fvisibility=hidden], [ZMM_CFLAGS="$ZMM_CFLAGS -fvisibility=hidden"], , [-Werror])

  dnl Segment providers
  AC_CHECK_FUNCS([mmap munmap mremap madvise])
  AC_CHECK_HEADERS([sys/mman.h])

  dnl Optional annotations for memcheck
  AC_CHECK_HEADERS([valgrind/memcheck.h])

  dnl Non-upstream delayed-OOM API (Debian's patched PHP 8.2 builds): allocation failures are
  dnl recorded and raised later at a safe point instead of bailing out inside the allocator.
  dnl Everything must be present to use it; otherwise zmm uses the classic bailout path.
  zmm_old_CPPFLAGS=$CPPFLAGS
  CPPFLAGS="$CPPFLAGS $INCLUDES"
  zmm_delayed=yes
  for zmm_decl in zend_mm_delayed_error_or_panic zend_mm_is_fallible \
                  zend_alloc_in_memory_limit_error_reporting ZEND_HAS_OOM; do
    AC_CHECK_DECL([$zmm_decl], [], [zmm_delayed=no], [
#include "php.h"
#include "zend_alloc.h"
])
  done
  if test "$zmm_delayed" = "yes"; then
    AC_DEFINE([HAVE_ZMM_DELAYED_OOM], [1], [Define if zend_alloc.h has the delayed-OOM API])
  fi
  AC_CHECK_DECL([zend_set_memory_hard_limit_percent],
    [AC_DEFINE([HAVE_ZMM_HARD_LIMIT], [1], [Define if zend_alloc.h has zend_set_memory_hard_limit_percent])],
    [], [
#include "php.h"
#include "zend_alloc.h"
])
  CPPFLAGS=$zmm_old_CPPFLAGS
  AC_MSG_CHECKING([which out-of-memory path zmm uses])
  if test "$zmm_delayed" = "yes"; then
    AC_MSG_RESULT([delayed (zend_mm_delayed_error_or_panic)])
  else
    AC_MSG_RESULT([classic (bailout)])
  fi

  PHP_NEW_EXTENSION([zmm], [zmm.c zmm_heap.c zmm_storage.c], [$ext_shared],, [$ZMM_CFLAGS])
fi
