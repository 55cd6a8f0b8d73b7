/*
 * Seeded sampling. The generator is ChaCha20 (libsodium crypto_stream_chacha20: 256-bit key = seed,
 * 64-bit nonce = stream number, 64-bit block counter), buffered 512 bytes at a time; its output
 * depends only on (seed, stream) and the sequence of calls.
 */
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "ring/ring-impl.h"

static void refill(veil_prng *g) {
  uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
  for (int i = 0; i < 8; i++)
    nonce[i] = (uint8_t)(g->stream >> (8 * i));
  memset(g->buf, 0, sizeof g->buf);
  crypto_stream_chacha20_xor_ic(g->buf, g->buf, sizeof g->buf, nonce, g->block, g->key);
  g->block += sizeof g->buf / 64;
  g->pos = 0;
}

void veil_prng_init(veil_prng *g, const uint8_t seed[VEIL_SEED_BYTES], uint64_t stream) {
  VEIL_ASSERT(veil_crypto_init() == VEIL_OK);
  memset(g, 0, sizeof *g);
  memcpy(g->key, seed, VEIL_SEED_BYTES);
  g->stream = stream;
  g->pos = sizeof g->buf; /* refilled on first use */
}

void veil_prng_init_random(veil_prng *g, uint8_t seed_out[VEIL_SEED_BYTES]) {
  uint8_t seed[VEIL_SEED_BYTES];
  veil_random_bytes(seed, sizeof seed);
  veil_prng_init(g, seed, 0);
  if (seed_out)
    memcpy(seed_out, seed, sizeof seed);
  veil_memzero(seed, sizeof seed);
}

void veil_prng_free(veil_prng *g) {
  if (g)
    veil_memzero(g, sizeof *g);
}

void veil_prng_bytes(veil_prng *g, void *out, size_t n) {
  uint8_t *o = out;
  while (n) {
    if (g->pos == sizeof g->buf)
      refill(g);
    size_t take = sizeof g->buf - g->pos;
    take = take < n ? take : n;
    memcpy(o, g->buf + g->pos, take);
    g->pos += take;
    o += take;
    n -= take;
  }
}

/* Little-endian 64-bit word from the buffer (fast path) or across a refill. */
static inline uint64_t next_u64(veil_prng *g) {
  uint8_t b[8];
  if (VEIL_LIKELY(g->pos + 8 <= sizeof g->buf)) {
    memcpy(b, g->buf + g->pos, 8);
    g->pos += 8;
  } else {
    veil_prng_bytes(g, b, 8);
  }
  uint64_t v;
  memcpy(&v, b, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

static inline uint8_t next_u8(veil_prng *g) {
  if (VEIL_UNLIKELY(g->pos == sizeof g->buf))
    refill(g);
  return g->buf[g->pos++];
}

uint64_t veil_prng_u64(veil_prng *g) { return next_u64(g); }

static inline uint64_t below_masked(veil_prng *g, uint64_t bound, uint64_t mask) {
  uint64_t v;
  do
    v = next_u64(g) & mask;
  while (v >= bound);
  return v;
}

/* Uniform in [0, bound) by masking to the bit length of bound - 1 and rejecting. */
uint64_t veil_prng_below(veil_prng *g, uint64_t bound) {
  VEIL_ASSERT(bound >= 1);
  if (bound == 1)
    return 0;
  return below_masked(g, bound, ~0ull >> __builtin_clzll(bound - 1));
}

veil_status veil_sample_uniform(veil_prng *g, const veil_ring *r, veil_poly *p) {
  VEIL_TRY(veil__poly_check(r, p, "sample_uniform"));
  for (int i = 0; i < p->nlimbs; i++) {
    uint64_t *d = veil_poly_limb(p, i), q = r->mods[i].q, mask = ~0ull >> __builtin_clzll(q - 1);
    for (size_t j = 0; j < r->n; j++)
      d[j] = below_masked(g, q, mask);
  }
  p->is_ntt = true;
  return VEIL_OK;
}

void veil_sample_ternary(veil_prng *g, int8_t *out, size_t n) {
  for (size_t j = 0; j < n; j++) {
    uint8_t b;
    do
      b = next_u8(g);
    while (b == 255); /* 255 = 3 * 85: accept 0..254, each residue mod 3 exactly 85 times */
    out[j] = (int8_t)(b % 3) - 1;
  }
}

veil_status veil_sample_ternary_hw(veil_prng *g, int8_t *out, size_t n, size_t h) {
  if (h > n)
    return veil_fail(VEIL_ERR_INVALID_ARG, "ternary with Hamming weight %zu in %zu coefficients", h, n);
  if (n > UINT32_MAX)
    return veil_fail(VEIL_ERR_INVALID_ARG, "ternary of %zu coefficients", n);
  uint32_t *pos = veil_malloc((n ? n : 1) * sizeof *pos);
  if (!pos)
    return veil_fail(VEIL_ERR_NOMEM, "positions for %zu coefficients", n);
  for (size_t j = 0; j < n; j++) {
    pos[j] = (uint32_t)j;
    out[j] = 0;
  }
  for (size_t i = 0; i < h; i++) { /* partial Fisher-Yates: pos[0..h) is a uniform h-subset */
    size_t k = i + (size_t)veil_prng_below(g, n - i);
    uint32_t t = pos[i];
    pos[i] = pos[k];
    pos[k] = t;
    out[pos[i]] = (veil_prng_u64(g) & 1) ? 1 : -1;
  }
  veil_free_secret(pos, (n ? n : 1) * sizeof *pos);
  return VEIL_OK;
}

/* cdt[k] = round(2^63 * P(|e| <= k)) for k in [0, bound); |e| = #{k : u >= cdt[k]} for u uniform 63-bit. */
static void gaussian_cdt(double sigma, int bound, uint64_t *cdt) {
  long double s = 1.0L, acc = 0.0L;
  for (int k = 1; k <= bound; k++)
    s += 2.0L * expl(-(long double)k * k / (2.0L * sigma * sigma));
  for (int k = 0; k < bound; k++) {
    acc += (k ? 2.0L : 1.0L) * expl(-(long double)k * k / (2.0L * sigma * sigma)) / s;
    long double v = ldexpl(acc, 63) + 0.5L, top = ldexpl(1.0L, 63) - 1.0L;
    cdt[k] = v >= top ? (uint64_t)top : (uint64_t)v;
  }
}

veil_status veil_sample_gaussian(veil_prng *g, int64_t *out, size_t n, double sigma) {
  if (!(sigma > 0 && sigma <= 64))
    return veil_fail(VEIL_ERR_INVALID_ARG, "gaussian sigma %g outside (0, 64]", sigma);
  int bound = (int)floor(6 * sigma);
  uint64_t cdt[385];
  gaussian_cdt(sigma, bound, cdt);
  for (size_t j = 0; j < n; j++) {
    uint64_t u = next_u64(g), sign = u >> 63, mag = 0;
    u &= ~0ull >> 1;
    for (int k = 0; k < bound; k++)
      mag += (u >= cdt[k]);
    out[j] = (int64_t)((mag ^ (0 - sign)) + sign); /* mag or -mag without a branch */
  }
  return VEIL_OK;
}
