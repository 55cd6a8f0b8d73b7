/* Seeded ChaCha20 stream (libsodium) and the samplers built on it. */
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "rlwe-impl.h"

void veil__prng_init(veil__prng *g, const uint8_t seed[32], uint64_t domain) {
  memcpy(g->key, seed, 32);
  memset(g->nonce, 0, sizeof g->nonce);
  for (int i = 0; i < 8; i++)
    g->nonce[i] = (uint8_t)(domain >> (8 * i));
  g->block = 0;
  g->pos = sizeof g->buf;
}

void veil__prng_wipe(veil__prng *g) { veil_memzero(g, sizeof *g); }

static void refill(veil__prng *g) {
  memset(g->buf, 0, sizeof g->buf);
  crypto_stream_chacha20_ietf_xor_ic(g->buf, g->buf, sizeof g->buf, g->nonce, g->block, g->key);
  g->block += (uint32_t)(sizeof g->buf / 64);
  g->pos = 0;
}

void veil__prng_bytes(veil__prng *g, void *out, size_t n) {
  uint8_t *o = out;
  while (n) {
    if (g->pos == sizeof g->buf)
      refill(g);
    size_t take = sizeof g->buf - g->pos;
    if (take > n)
      take = n;
    memcpy(o, g->buf + g->pos, take);
    g->pos += take;
    o += take;
    n -= take;
  }
}

uint64_t veil__prng_u64(veil__prng *g) {
  uint8_t b[8];
  veil__prng_bytes(g, b, 8);
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | b[i];
  return v;
}

void veil__sample_uniform(veil__prng *g, const veil_modulus *m, uint64_t *out, size_t n) {
  uint64_t mask = m->bits >= 64 ? ~0ull : (1ull << m->bits) - 1;
  for (size_t i = 0; i < n; i++) {
    uint64_t v;
    do
      v = veil__prng_u64(g) & mask;
    while (v >= m->q);
    out[i] = v;
  }
}

/* Uniform index in [0, n) by rejection. */
static size_t uniform_index(veil__prng *g, size_t n) {
  uint64_t mask = 1;
  while (mask < n)
    mask <<= 1;
  mask--;
  uint64_t v;
  do
    v = veil__prng_u64(g) & mask;
  while (v >= n);
  return (size_t)v;
}

void veil__sample_ternary(veil__prng *g, int8_t *out, size_t n, int h) {
  if (h <= 0) {
    for (size_t i = 0; i < n; i++) {
      uint8_t b;
      do
        veil__prng_bytes(g, &b, 1);
      while (b >= 243); /* 243 = 3^5: unbiased mod 3 */
      out[i] = (int8_t)(b % 3) - 1;
    }
    return;
  }
  memset(out, 0, n);
  for (int k = 0; k < h && (size_t)k < n; k++) {
    size_t idx;
    do
      idx = uniform_index(g, n);
    while (out[idx]);
    out[idx] = (veil__prng_u64(g) & 1) ? 1 : -1;
  }
}

#define GAUSS_SIGMA 3.2
#define GAUSS_TAIL 41 /* 13 sigma */

void veil__sample_gauss(veil__prng *g, int8_t *out, size_t n) {
  /* Cumulative distribution of |X| scaled to 2^63: cdt[i] = P(|X| <= i). */
  uint64_t cdt[GAUSS_TAIL + 1];
  double w[GAUSS_TAIL + 1], total = 0;
  for (int i = 0; i <= GAUSS_TAIL; i++) {
    w[i] = exp(-(double)i * i / (2 * GAUSS_SIGMA * GAUSS_SIGMA)) * (i ? 2.0 : 1.0);
    total += w[i];
  }
  double run = 0;
  for (int i = 0; i <= GAUSS_TAIL; i++) {
    run += w[i];
    cdt[i] = (uint64_t)fmin(ldexp(run / total, 63), ldexp(1.0, 63));
  }
  cdt[GAUSS_TAIL] = 1ull << 63;
  for (size_t k = 0; k < n; k++) {
    uint64_t r = veil__prng_u64(g);
    uint64_t u = r >> 1;
    int x = 0;
    for (int i = 0; i <= GAUSS_TAIL; i++)
      x += u >= cdt[i]; /* constant number of comparisons */
    out[k] = (int8_t)((r & 1) && x ? -x : x);
  }
}

void veil__expand_uniform(const veil_rlwe_ctx *c, const uint8_t seed[32], int comp, uint64_t *out,
                          int nlimbs) {
  VEIL__OMP_LIMBS
  for (int i = 0; i < nlimbs; i++) {
    veil__prng g;
    veil__prng_init(&g, seed, veil__dom_uniform(comp, i));
    veil__sample_uniform(&g, &c->mod[i], out + (size_t)i * c->n, c->n);
  }
}

void veil__small_to_ntt(const veil_rlwe_ctx *c, const int8_t *v, uint64_t *out, int nlimbs) {
  VEIL__OMP_LIMBS
  for (int i = 0; i < nlimbs; i++) {
    uint64_t q = c->mod[i].q, *o = out + (size_t)i * c->n;
    for (size_t k = 0; k < c->n; k++)
      o[k] = v[k] < 0 ? q - (uint64_t)(-v[k]) : (uint64_t)v[k];
    c->rq.k->ntt_fwd(c->tab[i], o);
  }
}

veil_status veil__poly_alloc(const veil_rlwe_ctx *c, veil_poly *p, int nlimbs) {
  *p = (veil_poly){0};
  p->c = veil_calloc((size_t)nlimbs * c->n, sizeof(uint64_t));
  if (!p->c)
    return veil_fail(VEIL_ERR_NOMEM, "polynomial of %d x %zu words", nlimbs, c->n);
  p->nlimbs = nlimbs;
  p->n = c->n;
  p->is_ntt = true;
  return VEIL_OK;
}

veil_status veil__sample_small_ntt(const veil_rlwe_ctx *c, uint64_t *out, int nlimbs, veil__small kind) {
  int8_t *v = veil_malloc(c->n);
  if (!v)
    return veil_fail(VEIL_ERR_NOMEM, "sampling buffer");
  uint8_t seed[32];
  veil_random_bytes(seed, sizeof seed);
  veil__prng g;
  veil__prng_init(&g, seed, kind == VEIL__SMALL_GAUSS ? VEIL__DOM_ERR : VEIL__DOM_SECRET);
  if (kind == VEIL__SMALL_GAUSS)
    veil__sample_gauss(&g, v, c->n);
  else
    veil__sample_ternary(&g, v, c->n, kind == VEIL__SMALL_SECRET ? c->hamming_weight : 0);
  veil__small_to_ntt(c, v, out, nlimbs);
  veil__prng_wipe(&g);
  veil_memzero(seed, sizeof seed);
  veil_free_secret(v, c->n);
  return VEIL_OK;
}
