/* Evaluator clones: one per thread, used concurrently, give bit-identical results to the original. */
#include <omp.h>

#include "eval_test_util.h"

/* out = rotate(rescale(a * b), 1) */
static veil_status pipeline(veil_ckks_eval *ev, const veil_ckks_ct *a, const veil_ckks_ct *b, veil_ckks_ct *out) {
  veil_ckks_ct t = {0};
  VEIL_TRY(veil_ckks_mul(ev, &t, a, b));
  veil_status st = veil_ckks_rescale(ev, &t);
  if (!st)
    st = veil_ckks_rotate(ev, out, &t, 1);
  veil_rlwe_ct_free(&t);
  return st;
}

static bool same_ct(const veil_ckks_ct *x, const veil_ckks_ct *y) {
  if (x->size != y->size || x->level != y->level || x->scale != y->scale)
    return false;
  for (int c = 0; c < x->size; c++)
    if (memcmp(x->c[c].c, y->c[c].c, (size_t)x->c[c].nlimbs * x->c[c].n * sizeof(uint64_t)) != 0)
      return false;
  return true;
}

static void test_clones_concurrently(void) {
  enum { TASKS = 4 };
  vt_fix f;
  int steps[] = {1};
  VT_OK(vt_fix_init(&f, 12, 3, 1, 3, steps, 1)); /* N = 2^12 takes the parallel limb paths too */
  double complex *va = malloc(f.slots * sizeof *va), *vb = malloc(f.slots * sizeof *vb);
  veil_ckks_ct a = {0}, b = {0}, ref = {0}, got[TASKS] = {{0}};
  VT_OK(vt_enc_pair(&f, va, vb, &a, &b));
  VT_OK(pipeline(&f.ev, &a, &b, &ref));
  veil_ckks_eval clones[2];
  VT_OK(veil_ckks_eval_clone(&clones[0], &f.ev));
  VT_OK(veil_ckks_eval_clone(&clones[1], &f.ev));
  veil_status st[TASKS];
#pragma omp parallel for num_threads(2) schedule(static, 1)
  for (int t = 0; t < TASKS; t++)
    st[t] = pipeline(&clones[omp_get_thread_num()], &a, &b, &got[t]);
  for (int t = 0; t < TASKS; t++) {
    VT_CHECK_MSG(st[t] == VEIL_OK, "task %d: %s", t, veil_error_detail());
    VT_CHECK_MSG(st[t] != VEIL_OK || same_ct(&got[t], &ref), "task %d differs from the original evaluator", t);
    veil_rlwe_ct_free(&got[t]);
  }
  /* and the result is right: rotate(a * b, 1) within CKKS precision */
  double complex *want = malloc(f.slots * sizeof *want);
  for (size_t i = 0; i < f.slots; i++)
    want[i] = va[(i + 1) % f.slots] * vb[(i + 1) % f.slots];
  VT_CHECK_MSG(vt_err(&f, &ref, want) < 1e-6, "max error %g", vt_err(&f, &ref, want));
  veil_ckks_eval_free(&clones[0]);
  veil_ckks_eval_free(&clones[1]);
  veil_rlwe_ct_free(&a), veil_rlwe_ct_free(&b), veil_rlwe_ct_free(&ref);
  free(va), free(vb), free(want);
  vt_fix_free(&f);
}

int main(void) {
  VT_RUN(test_clones_concurrently);
  VT_DONE();
}
