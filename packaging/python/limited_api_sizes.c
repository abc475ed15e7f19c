/* The macOS wheels are compiled here against this machine's Python
 * headers (Linux's pyconfig.h), for the stable ABI alone
 * (Py_LIMITED_API): `make python-wheel PLATFORM=<cpu>-apple-darwin`
 * compiles this file first for the Mac (`zig cc -target <cpu>-macos.11.0
 * -c`), so that the build stops if a size those headers use
 * differs on the Mac. pymacconfig.h (included by Python.h under
 * __APPLE__) sets the Mac's own long, size_t, void *, time_t, uintptr_t,
 * pthread_t and _Bool; the others come from pyconfig.h and are checked
 * here against the Mac's types. Of the sizes that differ between 64-bit
 * Linux and macOS (fpos_t, long double on arm64, pthread_key_t), no
 * header but pyconfig.h names SIZEOF_FPOS_T, SIZEOF_LONG_DOUBLE or
 * SIZEOF_PTHREAD_KEY_T. A debug or trace-refs build's headers change
 * PyObject's layout: refused too. */
#include <Python.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <wchar.h>

#define SAME_SIZE(type, macro) _Static_assert(sizeof(type) == macro, #macro " is not sizeof(" #type ") on this target")
SAME_SIZE(short, SIZEOF_SHORT);
SAME_SIZE(int, SIZEOF_INT);
SAME_SIZE(long, SIZEOF_LONG);
SAME_SIZE(long long, SIZEOF_LONG_LONG);
SAME_SIZE(float, SIZEOF_FLOAT);
SAME_SIZE(double, SIZEOF_DOUBLE);
SAME_SIZE(size_t, SIZEOF_SIZE_T);
SAME_SIZE(void *, SIZEOF_VOID_P);
SAME_SIZE(uintptr_t, SIZEOF_UINTPTR_T);
SAME_SIZE(pid_t, SIZEOF_PID_T);
SAME_SIZE(wchar_t, SIZEOF_WCHAR_T);
SAME_SIZE(time_t, SIZEOF_TIME_T);
SAME_SIZE(off_t, SIZEOF_OFF_T);
SAME_SIZE(_Bool, SIZEOF__BOOL);
_Static_assert(sizeof(Py_ssize_t) == sizeof(size_t), "Py_ssize_t is not size_t's size");
_Static_assert(sizeof(Py_hash_t) == sizeof(size_t), "Py_hash_t is not size_t's size");
#if PY_LITTLE_ENDIAN != 1
#error "the headers say big-endian"
#endif
#if defined(Py_DEBUG) || defined(Py_TRACE_REFS) || defined(Py_REF_DEBUG)
#error "a debug or trace-refs Python's headers: PyObject's layout differs from a release build's"
#endif
