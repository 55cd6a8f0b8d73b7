/**
 * @file vtest.h
 * @brief A tiny test harness: each tests/<layer>/test_*.c is one program of VT_TEST functions run
 *        from main with VT_RUN; failures print file:line and the program ends with
 *        "N passed, N failed" and a non-zero exit code if anything failed.
 */
#ifndef VEIL_VTEST_H
#define VEIL_VTEST_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int vt_checks_failed_in_test;
static int vt_passed, vt_failed;

#define VT_CHECK(cond)                                                            \
  do {                                                                            \
    if (!(cond)) {                                                                \
      fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
      vt_checks_failed_in_test++;                                                 \
    }                                                                             \
  } while (0)

#define VT_CHECK_MSG(cond, ...)                                                   \
  do {                                                                            \
    if (!(cond)) {                                                                \
      fprintf(stderr, "  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);           \
      fprintf(stderr, __VA_ARGS__);                                               \
      fputc('\n', stderr);                                                        \
      vt_checks_failed_in_test++;                                                 \
    }                                                                             \
  } while (0)

#define VT_CHECK_EQ_U64(a, b)                                                     \
  do {                                                                            \
    uint64_t vt_a = (a), vt_b = (b);                                              \
    VT_CHECK_MSG(vt_a == vt_b, "%" PRIu64 " != %" PRIu64, vt_a, vt_b);            \
  } while (0)

#define VT_CHECK_NEAR(a, b, tol)                                                  \
  do {                                                                            \
    double vt_a = (a), vt_b = (b), vt_t = (tol);                                  \
    VT_CHECK_MSG(fabs(vt_a - vt_b) <= vt_t, "%.17g vs %.17g (tol %g)", vt_a, vt_b, vt_t); \
  } while (0)

/** Stops the current test (after a failed precondition). */
#define VT_REQUIRE(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      fprintf(stderr, "  FAIL %s:%d: required %s\n", __FILE__, __LINE__, #cond);  \
      vt_checks_failed_in_test++;                                                 \
      return;                                                                     \
    }                                                                             \
  } while (0)

#define VT_OK(expr)                                                               \
  do {                                                                            \
    veil_status vt_st = (expr);                                                   \
    if (vt_st != VEIL_OK) {                                                       \
      fprintf(stderr, "  FAIL %s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #expr,  \
              veil_status_str(vt_st), veil_error_detail());                       \
      vt_checks_failed_in_test++;                                                 \
      return;                                                                     \
    }                                                                             \
  } while (0)

#define VT_RUN(fn)                                                                \
  do {                                                                            \
    vt_checks_failed_in_test = 0;                                                 \
    fn();                                                                         \
    if (vt_checks_failed_in_test) {                                               \
      vt_failed++;                                                                \
      fprintf(stderr, "not ok: %s\n", #fn);                                       \
    } else {                                                                      \
      vt_passed++;                                                                \
      fprintf(stderr, "ok: %s\n", #fn);                                           \
    }                                                                             \
  } while (0)

#define VT_DONE()                                                                 \
  do {                                                                            \
    printf("%d passed, %d failed\n", vt_passed, vt_failed);                       \
    return vt_failed ? 1 : 0;                                                     \
  } while (0)

/** Path of a file in the source tree (tests run with the repository root as working directory). */
static inline const char *vt_src(const char *rel) {
  static char buf[4096];
  const char *root = getenv("VEIL_SOURCE_DIR");
  snprintf(buf, sizeof buf, "%s/%s", root ? root : ".", rel);
  return buf;
}

#endif
