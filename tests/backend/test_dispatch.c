/* Kernel selection: VEIL_FORCE_REF parsing and its effect on veil_kernels_best(). */
#include <stdlib.h>

#include "backend/backend-impl.h"
#include "vtest.h"

static void test_force_ref_parsing(void) {
  VT_CHECK(!veil__force_ref(NULL));
  VT_CHECK(!veil__force_ref(""));
  VT_CHECK(!veil__force_ref("0"));
  VT_CHECK(veil__force_ref("1"));
  VT_CHECK(veil__force_ref("yes"));
}

static void test_force_ref_env(void) {
  VT_REQUIRE(setenv("VEIL_FORCE_REF", "1", 1) == 0);
  VT_CHECK(veil_kernels_best() == veil_kernels_ref());
  VT_REQUIRE(setenv("VEIL_FORCE_REF", "0", 1) == 0);
  const veil_kernels *all[8];
  int n = veil_kernels_all(all, 8);
  VT_CHECK(veil_kernels_best() == all[n - 1]);
  VT_CHECK(n == 1 || veil_kernels_best() != veil_kernels_ref());
  VT_REQUIRE(unsetenv("VEIL_FORCE_REF") == 0);
  VT_CHECK(veil_kernels_best() == all[n - 1]);
}

#ifdef VEIL_TODO_AVX
/* The AVX-512 tables are offered exactly when the CPU has the features they need. */
static void test_tables_match_cpu(void) {
  const veil_kernels *all[8];
  int n = veil_kernels_all(all, 8);
  VT_CHECK_EQ_U64(n, 2 + veil__cpu_has_avx512() + veil__cpu_has_ifma());
  VT_CHECK((veil_kernels_find("avx512") != NULL) == veil__cpu_has_ifma());
  VT_CHECK((veil_kernels_find("avx512dq") != NULL) == veil__cpu_has_avx512());
  VT_CHECK(veil_kernels_all(all, 1) == 1 && all[0] == veil_kernels_ref());
}
#endif

int main(void) {
  VT_RUN(test_force_ref_parsing);
  VT_RUN(test_force_ref_env);
#ifdef VEIL_TODO_AVX
  VT_RUN(test_tables_match_cpu);
#endif
  VT_DONE();
}
