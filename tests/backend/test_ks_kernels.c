/* The bconv and dot2 kernels of every table against exact 128-bit arithmetic (each product reduced
 * with the compiler's u128 remainder, then summed modulo q), and every optimized table bit-exact with
 * the reference table on the same inputs: sizes around the vector width, source counts across the
 * fold points, moduli on both sides of the IFMA bound, inputs up to 2^61 - 1. */
#include "backend/backend-impl.h"
#include "vtest.h"

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
  return rng_state;
}

/* An odd modulus of exactly @p bits bits. */
static uint64_t odd_modulus(int bits) { return (1ull << (bits - 1)) | rnd() >> (65 - bits) | 1; }

static uint64_t exact_sum(const uint64_t *xv, const uint64_t *wv, int cnt, uint64_t q) {
  veil_u128 s = 0;
  for (int i = 0; i < cnt; i++)
    s = (s + (veil_u128)xv[i] * wv[i] % q) % q;
  return (uint64_t)s;
}

typedef struct kcase {
  int cnt;
  size_t n;
  veil_modulus m;
  uint64_t *xs, *as, *bs, *w, *r0, *r1, *e0, *e1;
  uint32_t *perm;
  const uint64_t *x[80], *a[80], *b[80];
} kcase;

static void case_init(kcase *k, int cnt, size_t n, int qbits, bool permuted) {
  *k = (kcase){.cnt = cnt, .n = n};
  veil_modulus_init(&k->m, odd_modulus(qbits));
  size_t words = (size_t)cnt * n;
  k->xs = veil_malloc(words * 8), k->as = veil_malloc(words * 8), k->bs = veil_malloc(words * 8);
  k->w = veil_malloc((size_t)cnt * 8);
  k->r0 = veil_malloc(n * 8), k->r1 = veil_malloc(n * 8), k->e0 = veil_malloc(n * 8), k->e1 = veil_malloc(n * 8);
  k->perm = permuted ? veil_malloc(n * sizeof(uint32_t)) : NULL;
  uint64_t q = k->m.q;
  for (size_t j = 0; j < words; j++) {
    k->xs[j] = j % 5 == 0 ? (1ull << 61) - 1 - j % 3 : rnd() >> 3; /* bconv inputs: any value < 2^61 */
    k->as[j] = j % 7 == 0 ? q - 1 : rnd() % q;
    k->bs[j] = rnd() % q;
  }
  for (int i = 0; i < cnt; i++) {
    k->w[i] = i % 4 == 0 ? q - 1 : rnd() % q;
    k->x[i] = k->xs + (size_t)i * n, k->a[i] = k->as + (size_t)i * n, k->b[i] = k->bs + (size_t)i * n;
  }
  for (size_t c = 0; permuted && c < n; c++)
    k->perm[c] = (uint32_t)c;
  for (size_t c = n; permuted && c > 1; c--) { /* Fisher-Yates */
    size_t j = rnd() % c;
    uint32_t t = k->perm[c - 1];
    k->perm[c - 1] = k->perm[j], k->perm[j] = t;
  }
}

static void case_free(kcase *k) {
  uint64_t *bufs[] = {k->xs, k->as, k->bs, k->w, k->r0, k->r1, k->e0, k->e1};
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
    veil_free(bufs[i]);
  veil_free(k->perm);
}

/* bconv: every table against the exact sum. */
static int check_bconv(const veil_kernels *t, kcase *k) {
  uint64_t xv[80];
  int bad = 0;
  t->bconv(k->r0, k->x, k->w, k->cnt, k->n, &k->m);
  for (size_t c = 0; c < k->n; c++) {
    for (int i = 0; i < k->cnt; i++)
      xv[i] = k->x[i][c];
    bad += k->r0[c] != exact_sum(xv, k->w, k->cnt, k->m.q);
  }
  return bad;
}

/* dot2: every table against the exact sums, then the reference's words against this table's. */
static int check_dot2(const veil_kernels *t, kcase *k) {
  uint64_t xv[80], av[80], bv[80], q = k->m.q;
  int bad = 0;
  for (int i = 0; i < k->cnt; i++) /* dot2 inputs are residues */
    for (size_t c = 0; c < k->n; c++)
      k->xs[(size_t)i * k->n + c] %= q;
  t->dot2(k->r0, k->r1, k->x, k->a, k->b, k->cnt, k->perm, k->n, &k->m);
  veil_kernels_ref()->dot2(k->e0, k->e1, k->x, k->a, k->b, k->cnt, k->perm, k->n, &k->m);
  for (size_t c = 0; c < k->n; c++) {
    size_t p = k->perm ? k->perm[c] : c;
    for (int i = 0; i < k->cnt; i++)
      xv[i] = k->x[i][p], av[i] = k->a[i][c], bv[i] = k->b[i][c];
    bad += k->r0[c] != exact_sum(xv, av, k->cnt, q) || k->r1[c] != exact_sum(xv, bv, k->cnt, q);
    bad += k->r0[c] != k->e0[c] || k->r1[c] != k->e1[c];
  }
  return bad;
}

static void test_kernels_exact(void) {
  static const int qbits[] = {3, 20, 40, 49, 50, 51, 52, 60, 61};
  static const int cnts[] = {1, 2, 6, 16, 17, 65, 70};
  static const size_t ns[] = {1, 7, 8, 13, 64};
  const veil_kernels *all[8];
  int nt = veil_kernels_all(all, 8);
  for (int ti = 0; ti < nt; ti++)
    for (size_t qi = 0; qi < sizeof qbits / sizeof *qbits; qi++)
      for (size_t ci = 0; ci < sizeof cnts / sizeof *cnts; ci++)
        for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
          kcase k;
          case_init(&k, cnts[ci], ns[ni], qbits[qi], ni % 2 == 1);
          int bad = check_bconv(all[ti], &k);
          bad += check_dot2(all[ti], &k);
          VT_CHECK_MSG(bad == 0, "%s: q %d bits, %d terms, n %zu: %d wrong", all[ti]->name, qbits[qi],
                       cnts[ci], ns[ni], bad);
          case_free(&k);
        }
}

/* A larger block through every table, compared word for word with the reference. */
static void test_kernels_match_ref(void) {
  const veil_kernels *all[8];
  int nt = veil_kernels_all(all, 8);
  static const int qbits[] = {30, 50, 61};
  for (size_t qi = 0; qi < sizeof qbits / sizeof *qbits; qi++) {
    int qb = qbits[qi];
    kcase k;
    case_init(&k, 6, 1024, qb, true);
    veil_kernels_ref()->bconv(k.e0, k.x, k.w, k.cnt, k.n, &k.m);
    for (int ti = 1; ti < nt; ti++) {
      all[ti]->bconv(k.r0, k.x, k.w, k.cnt, k.n, &k.m);
      VT_CHECK_MSG(memcmp(k.r0, k.e0, k.n * 8) == 0, "%s bconv differs from ref at %d bits", all[ti]->name, qb);
    }
    case_free(&k);
  }
}

static uint32_t brv(uint32_t x, int bits) {
  uint32_t r = 0;
  for (int b = 0; b < bits; b++)
    r |= ((x >> b) & 1u) << (bits - 1 - b);
  return r;
}

/* permute on automorphism indices (slot i of bit-reversed evaluations at psi^(2 brv(i) + 1) takes
 * the slot of exponent g (2 brv(i) + 1)) and on random permutations, against the definition. */
static void test_permute(void) {
  const veil_kernels *all[8];
  int nt = veil_kernels_all(all, 8);
  for (int logn = 0; logn <= 10; logn++) {
    uint32_t n = 1u << logn, mask = 2 * n - 1;
    uint32_t *perm = veil_malloc(n * sizeof *perm);
    uint64_t *a = veil_malloc(n * 8), *r = veil_malloc(n * 8);
    for (uint32_t i = 0; i < n; i++)
      a[i] = rnd();
    for (int kind = 0; kind < 3; kind++) {
      uint32_t g = kind == 0 ? 5 : kind == 1 ? (uint32_t)(2 * n - 1) : 0;
      for (uint32_t i = 0; i < n; i++)
        perm[i] = g ? brv((((g * (2 * brv(i, logn) + 1)) & mask) - 1) >> 1, logn) : i;
      for (uint32_t i = n; !g && i > 1; i--) { /* kind 2: random */
        uint32_t j = (uint32_t)(rnd() % i), t = perm[i - 1];
        perm[i - 1] = perm[j], perm[j] = t;
      }
      for (int ti = 0; ti < nt; ti++) {
        all[ti]->permute(r, a, perm, n);
        int bad = 0;
        for (uint32_t i = 0; i < n; i++)
          bad += r[i] != a[perm[i]];
        VT_CHECK_MSG(bad == 0, "%s permute, n %u, kind %d: %d wrong", all[ti]->name, n, kind, bad);
      }
    }
    veil_free(perm);
    veil_free(a);
    veil_free(r);
  }
}

int main(void) {
  VT_RUN(test_permute);
  VT_RUN(test_kernels_exact);
  VT_RUN(test_kernels_match_ref);
  VT_DONE();
}
