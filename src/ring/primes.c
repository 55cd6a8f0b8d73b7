#include "veil/ring.h"

static uint64_t mulmod_slow(uint64_t a, uint64_t b, uint64_t m) {
  return (uint64_t)((veil_u128)a * b % m);
}

static uint64_t powmod_slow(uint64_t b, uint64_t e, uint64_t m) {
  uint64_t r = 1 % m;
  for (b %= m; e; e >>= 1) {
    if (e & 1)
      r = mulmod_slow(r, b, m);
    b = mulmod_slow(b, b, m);
  }
  return r;
}

bool veil_is_prime(uint64_t x) {
  static const uint64_t small[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
  if (x < 2)
    return false;
  for (int i = 0; i < 12; i++) {
    if (x == small[i])
      return true;
    if (x % small[i] == 0)
      return false;
  }
  uint64_t d = x - 1;
  int s = 0;
  while (!(d & 1)) {
    d >>= 1;
    s++;
  }
  /* These 12 witnesses are deterministic for all x < 3.3e24. */
  for (int i = 0; i < 12; i++) {
    uint64_t y = powmod_slow(small[i], d, x);
    if (y == 1 || y == x - 1)
      continue;
    bool composite = true;
    for (int r = 1; r < s && composite; r++) {
      y = mulmod_slow(y, y, x);
      composite = y != x - 1;
    }
    if (composite)
      return false;
  }
  return true;
}

static bool excluded(uint64_t q, const uint64_t *ex, int nex) {
  for (int i = 0; i < nex; i++)
    if (ex[i] == q)
      return true;
  return false;
}

veil_status veil_primes_ntt(int logn, int bits, int count, const uint64_t *exclude, int nexclude,
                            uint64_t *out) {
  if (logn < 1 || logn > 17)
    return veil_fail(VEIL_ERR_INVALID_ARG, "logn %d outside [1, 17]", logn);
  if (bits < logn + 2 || bits > VEIL_MAX_PRIME_BITS)
    return veil_fail(VEIL_ERR_INVALID_ARG, "prime size %d bits outside [%d, %d]", bits, logn + 2,
                     VEIL_MAX_PRIME_BITS);
  uint64_t step = 2ull << logn;
  uint64_t lo = 1ull << (bits - 1);
  /* Largest q < 2^bits with q = 1 mod 2N. */
  uint64_t q = ((1ull << bits) - 1) / step * step + 1;
  if (q >= (1ull << bits))
    q -= step;
  int found = 0;
  for (; found < count && q > lo; q -= step) {
    if (veil_is_prime(q) && !excluded(q, exclude, nexclude) && !excluded(q, out, found))
      out[found++] = q;
  }
  if (found < count)
    return veil_fail(VEIL_ERR_INVALID_ARG, "only %d primes of %d bits are 1 mod 2^%d, %d requested",
                     found, bits, logn + 1, count);
  return VEIL_OK;
}

veil_status veil_primitive_root_2n(uint64_t q, int logn, uint64_t *psi) {
  uint64_t two_n = 2ull << logn;
  if (!veil_is_prime(q) || (q - 1) % two_n != 0)
    return veil_fail(VEIL_ERR_INVALID_ARG, "%llu is not a prime = 1 mod %llu",
                     (unsigned long long)q, (unsigned long long)two_n);
  veil_modulus m;
  veil_modulus_init(&m, q);
  uint64_t root = 0;
  for (uint64_t x = 2; x < q && !root; x++) {
    uint64_t c = veil_mod_pow(x, (q - 1) / two_n, &m);
    if (veil_mod_pow(c, two_n >> 1, &m) == q - 1)
      root = c; /* order exactly 2N since 2N is a power of two */
  }
  if (!root)
    return veil_fail(VEIL_ERR_INTERNAL, "no primitive root found mod %llu", (unsigned long long)q);
  /* The primitive 2N-th roots are root^k for odd k: take the smallest, so the choice is canonical. */
  uint64_t best = root, sq = veil_mod_mul(root, root, &m), cur = root;
  for (uint64_t k = 3; k < two_n; k += 2) {
    cur = veil_mod_mul(cur, sq, &m);
    if (cur < best)
      best = cur;
  }
  *psi = best;
  return VEIL_OK;
}
