/*
 * The veil binary format: "VEIL", u32 version, u32 object type, 32-byte parameter fingerprint, then
 * the object's contents, all little-endian. Polynomials are written limb by limb, each residue in
 * exactly bitlen(q_i) bits (format version 2; version 1 used u64 words); seeded
 * components (the a of public and key-switching keys, c1 of fresh symmetric ciphertexts) as their
 * 32-byte seed. Loaders validate every field and fail with a detail naming it.
 */
#include <math.h>
#include <string.h>

#include "rlwe-impl.h"

static const uint8_t magic[4] = {'V', 'E', 'I', 'L'};

void veil_rlwe_header_write(veil_wbuf *w, veil_rlwe_obj type, const uint8_t fp[VEIL_RLWE_FP_BYTES]) {
  veil_wbuf_bytes(w, magic, 4);
  veil_wbuf_u32(w, VEIL_FORMAT_VERSION);
  veil_wbuf_u32(w, (uint32_t)type);
  veil_wbuf_bytes(w, fp, VEIL_RLWE_FP_BYTES);
}

static veil_status truncated(const char *what) {
  return veil_fail(VEIL_ERR_FORMAT, "truncated input while reading %s", what);
}

veil_status veil_rlwe_header_peek(veil_rbuf *r, veil_rlwe_obj type, uint8_t f[VEIL_RLWE_FP_BYTES]) {
  uint8_t m[4];
  uint32_t version, t;
  if (!veil_rbuf_bytes(r, m, 4) || !veil_rbuf_u32(r, &version) || !veil_rbuf_u32(r, &t) ||
      !veil_rbuf_bytes(r, f, VEIL_RLWE_FP_BYTES))
    return truncated("the header");
  if (memcmp(m, magic, 4) != 0)
    return veil_fail(VEIL_ERR_FORMAT, "not a veil object (magic bytes differ from \"VEIL\")");
  if (version != VEIL_FORMAT_VERSION)
    return veil_fail(VEIL_ERR_FORMAT, "format version %u is not supported (expected %d)", version,
                     VEIL_FORMAT_VERSION);
  if (t != (uint32_t)type)
    return veil_fail(VEIL_ERR_MISMATCH, "object type %u where type %d was expected", t, (int)type);
  return VEIL_OK;
}

veil_status veil_rlwe_header_read(veil_rbuf *r, veil_rlwe_obj type, const uint8_t fp[VEIL_RLWE_FP_BYTES]) {
  uint8_t f[VEIL_RLWE_FP_BYTES];
  VEIL_TRY(veil_rlwe_header_peek(r, type, f));
  if (memcmp(f, fp, VEIL_RLWE_FP_BYTES) != 0)
    return veil_fail(VEIL_ERR_MISMATCH, "parameter fingerprint differs from the context's");
  return VEIL_OK;
}

/* Residues are bit-packed: limb i (over QP-list prime i, b_i = bit length of q_i) is N values of
 * b_i bits, least significant first, as a little-endian bit stream padded to whole bytes. */
static int limb_bits(const veil_rlwe_ctx *c, int i) { return 64 - __builtin_clzll(c->mod[i].q); }

static size_t limb_bytes(const veil_rlwe_ctx *c, int i) { return (c->n * (size_t)limb_bits(c, i) + 7) / 8; }

/* Bytes of a packed polynomial over the first @p nlimbs primes. */
static size_t poly_bytes(const veil_rlwe_ctx *c, int nlimbs) {
  size_t b = 0;
  for (int i = 0; i < nlimbs; i++)
    b += limb_bytes(c, i);
  return b;
}

static void poly_write(const veil_rlwe_ctx *c, veil_wbuf *w, const uint64_t *v, int nlimbs) {
  uint8_t out[256];
  size_t len = 0;
  for (int i = 0; i < nlimbs; i++) {
    int bits = limb_bits(c, i), have = 0;
    unsigned __int128 acc = 0;
    for (size_t k = 0; k < c->n; k++) {
      acc |= (unsigned __int128)v[(size_t)i * c->n + k] << have;
      for (have += bits; have >= 8; have -= 8, acc >>= 8) {
        out[len++] = (uint8_t)acc;
        if (len == sizeof out)
          veil_wbuf_bytes(w, out, len), len = 0;
      }
    }
    if (have)
      out[len++] = (uint8_t)acc;
    veil_wbuf_bytes(w, out, len), len = 0;
  }
}

static veil_status poly_read(const veil_rlwe_ctx *c, veil_rbuf *r, uint64_t *out, int nlimbs, const char *what) {
  if (veil_rbuf_left(r) < poly_bytes(c, nlimbs))
    return truncated(what);
  for (int i = 0; i < nlimbs; i++) {
    int bits = limb_bits(c, i), have = 0;
    uint64_t q = c->mod[i].q, mask = ~0ull >> (64 - bits), *o = out + (size_t)i * c->n;
    const uint8_t *in = veil_rbuf_take(r, limb_bytes(c, i)); /* length checked above */
    unsigned __int128 acc = 0;
    for (size_t k = 0; k < c->n; k++) {
      for (; have < bits; have += 8)
        acc |= (unsigned __int128)*in++ << have;
      o[k] = (uint64_t)acc & mask;
      acc >>= bits, have -= bits;
      if (o[k] >= q)
        return veil_fail(VEIL_ERR_FORMAT, "%s: coefficient %zu of limb %d is %llu, not below q = %llu", what, k,
                         i, (unsigned long long)o[k], (unsigned long long)q);
    }
    if (acc)
      return veil_fail(VEIL_ERR_FORMAT, "%s: nonzero padding bits after limb %d", what, i);
  }
  return VEIL_OK;
}

static veil_status read_u32_eq(veil_rbuf *r, uint32_t want, const char *what) {
  uint32_t v;
  if (!veil_rbuf_u32(r, &v))
    return truncated(what);
  if (v != want)
    return veil_fail(VEIL_ERR_MISMATCH, "%s is %u, the context has %u", what, v, want);
  return VEIL_OK;
}

static veil_status finish(veil_rbuf *r) {
  if (veil_rbuf_left(r))
    return veil_fail(VEIL_ERR_FORMAT, "%zu trailing bytes after the object", veil_rbuf_left(r));
  return VEIL_OK;
}

static int qp(const veil_rlwe_ctx *c) { return c->nq + c->np; }

/* ---- parameter sets ------------------------------------------------------------------------------ */

void veil_rlwe_params_save(const veil_rlwe_paramset *s, veil_wbuf *w) {
  veil_rlwe_header_write(w, VEIL_OBJ_PARAMS, s->fingerprint);
  veil_wbuf_u32(w, (uint32_t)s->logn);
  veil_wbuf_u32(w, (uint32_t)s->nq);
  for (int i = 0; i < s->nq; i++)
    veil_wbuf_u64(w, s->q[i]);
  veil_wbuf_u32(w, (uint32_t)s->np);
  for (int i = 0; i < s->np; i++)
    veil_wbuf_u64(w, s->p[i]);
  veil_wbuf_u32(w, (uint32_t)s->dnum);
  veil_wbuf_u32(w, (uint32_t)s->log_scale);
  veil_wbuf_u32(w, (uint32_t)s->hamming_weight);
  veil_wbuf_u32(w, (uint32_t)s->security);
  veil_wbuf_u8(w, s->insecure ? 1 : 0);
}

/* A u32 count in [lo, hi] into an int. */
static veil_status read_count(veil_rbuf *r, int lo, int hi, int *out, const char *what) {
  uint32_t v;
  if (!veil_rbuf_u32(r, &v))
    return truncated(what);
  if (v < (uint32_t)lo || v > (uint32_t)hi)
    return veil_fail(VEIL_ERR_FORMAT, "%s %u outside [%d, %d]", what, v, lo, hi);
  *out = (int)v;
  return VEIL_OK;
}

static veil_status read_primes(veil_rbuf *r, uint64_t *v, int *count, int most, const char *what) {
  VEIL_TRY(read_count(r, 1, most, count, what));
  for (int i = 0; i < *count; i++)
    if (!veil_rbuf_u64(r, &v[i]))
      return truncated(what);
  return VEIL_OK;
}

static veil_status params_fields(veil_rbuf *r, veil_rlwe_paramset *s) {
  uint8_t insecure;
  VEIL_TRY(read_count(r, 1, 17, &s->logn, "params logn"));
  VEIL_TRY(read_primes(r, s->q, &s->nq, VEIL_RLWE_MAX_PRIMES - 1, "params Q primes"));
  VEIL_TRY(read_primes(r, s->p, &s->np, VEIL_RLWE_MAX_PRIMES - s->nq, "params P primes"));
  VEIL_TRY(read_count(r, 1, s->nq, &s->dnum, "params dnum"));
  VEIL_TRY(read_count(r, 0, 60, &s->log_scale, "params log_scale"));
  VEIL_TRY(read_count(r, 0, 1 << s->logn, &s->hamming_weight, "params Hamming weight"));
  VEIL_TRY(read_count(r, 128, 256, &s->security, "params security"));
  if (!veil_rbuf_u8(r, &insecure))
    return truncated("the params insecure flag");
  if (insecure > 1)
    return veil_fail(VEIL_ERR_FORMAT, "params insecure flag %u is not 0 or 1", insecure);
  s->insecure = insecure;
  return finish(r);
}

veil_status veil_rlwe_params_load(const void *data, size_t len, veil_rlwe_paramset *s) {
  veil_rbuf r;
  veil_rbuf_init(&r, data, len);
  veil_rlwe_paramset t = {0};
  uint8_t fp[VEIL_RLWE_FP_BYTES];
  VEIL_TRY(veil_rlwe_header_peek(&r, VEIL_OBJ_PARAMS, t.fingerprint));
  VEIL_TRY(params_fields(&r, &t));
  VEIL_TRY(veil_rlwe_paramset_check(&t));
  veil_rlwe_paramset_fingerprint(&t, fp);
  if (memcmp(fp, t.fingerprint, sizeof fp) != 0)
    return veil_fail(VEIL_ERR_FORMAT, "params: the header's fingerprint does not match the stored parameters "
                                      "(corrupted or edited)");
  *s = t;
  return VEIL_OK;
}

/* ---- secret and public keys ---------------------------------------------------------------------- */

void veil_rlwe_sk_save(const veil_rlwe_ctx *c, const veil_rlwe_sk *sk, veil_wbuf *w) {
  veil_rlwe_header_write(w, VEIL_OBJ_SK, c->fingerprint);
  veil_wbuf_u32(w, (uint32_t)qp(c));
  poly_write(c, w, sk->s.c, qp(c));
}

veil_status veil_rlwe_sk_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_sk *sk) {
  veil_rbuf r;
  veil_rbuf_init(&r, data, len);
  *sk = (veil_rlwe_sk){0};
  VEIL_TRY(veil_rlwe_header_read(&r, VEIL_OBJ_SK, c->fingerprint));
  VEIL_TRY(read_u32_eq(&r, (uint32_t)qp(c), "secret key limb count"));
  VEIL_TRY(veil__poly_alloc(c, &sk->s, qp(c)));
  veil_status st = poly_read(c, &r, sk->s.c, qp(c), "secret key");
  if (st == VEIL_OK)
    st = finish(&r);
  if (st != VEIL_OK)
    veil_rlwe_sk_free(sk);
  return st;
}

void veil_rlwe_pk_save(const veil_rlwe_ctx *c, const veil_rlwe_pk *pk, veil_wbuf *w) {
  veil_rlwe_header_write(w, VEIL_OBJ_PK, c->fingerprint);
  veil_wbuf_u32(w, (uint32_t)c->nq);
  veil_wbuf_bytes(w, pk->seed, VEIL_RLWE_SEED_BYTES);
  poly_write(c, w, pk->b.c, c->nq);
}

veil_status veil_rlwe_pk_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_pk *pk) {
  veil_rbuf r;
  veil_rbuf_init(&r, data, len);
  *pk = (veil_rlwe_pk){0};
  VEIL_TRY(veil_rlwe_header_read(&r, VEIL_OBJ_PK, c->fingerprint));
  VEIL_TRY(read_u32_eq(&r, (uint32_t)c->nq, "public key limb count"));
  if (!veil_rbuf_bytes(&r, pk->seed, VEIL_RLWE_SEED_BYTES))
    return truncated("the public key seed");
  veil_status st = veil__poly_alloc(c, &pk->b, c->nq);
  if (st == VEIL_OK)
    st = poly_read(c, &r, pk->b.c, c->nq, "public key b");
  if (st == VEIL_OK)
    st = finish(&r);
  if (st == VEIL_OK)
    st = veil__poly_alloc(c, &pk->a, c->nq);
  if (st != VEIL_OK) {
    veil_rlwe_pk_free(pk);
    return st;
  }
  veil__expand_uniform(c, pk->seed, 0, pk->a.c, c->nq);
  return VEIL_OK;
}

/* ---- key-switching keys -------------------------------------------------------------------------- */

static void swk_body_write(const veil_rlwe_ctx *c, const veil_rlwe_swk *k, veil_wbuf *w) {
  veil_wbuf_u64(w, k->galois);
  veil_wbuf_u32(w, (uint32_t)k->dnum);
  veil_wbuf_u32(w, (uint32_t)qp(c));
  veil_wbuf_bytes(w, k->seed, VEIL_RLWE_SEED_BYTES);
  for (int j = 0; j < k->dnum; j++)
    poly_write(c, w, k->b[j].c, qp(c));
}

static veil_status swk_body_read(const veil_rlwe_ctx *c, veil_rbuf *r, veil_rlwe_swk *k) {
  uint64_t g;
  *k = (veil_rlwe_swk){0};
  if (!veil_rbuf_u64(r, &g))
    return truncated("the Galois element");
  VEIL_TRY(read_u32_eq(r, (uint32_t)c->dnum, "key-switching key dnum"));
  VEIL_TRY(read_u32_eq(r, (uint32_t)qp(c), "key-switching key limb count"));
  if (!veil_rbuf_bytes(r, k->seed, VEIL_RLWE_SEED_BYTES))
    return truncated("the key seed");
  if (veil_rbuf_left(r) / poly_bytes(c, qp(c)) < (size_t)c->dnum)
    return truncated("key-switching key components");
  if (g != 0 && (!(g & 1) || g >= 2 * c->n || g == 1))
    return veil_fail(VEIL_ERR_FORMAT, "Galois element %llu is not odd in [3, 2N)", (unsigned long long)g);
  veil_status st = veil__swk_alloc(c, k);
  if (st == VEIL_OK && g)
    st = veil__swk_set_galois(c, k, g);
  for (int j = 0; st == VEIL_OK && j < c->dnum; j++)
    st = poly_read(c, r, k->b[j].c, qp(c), "key-switching key b");
  if (st != VEIL_OK)
    veil_rlwe_swk_free(k);
  return st;
}

void veil_rlwe_swk_save(const veil_rlwe_ctx *c, const veil_rlwe_swk *k, veil_wbuf *w) {
  veil_rlwe_header_write(w, VEIL_OBJ_SWK, c->fingerprint);
  swk_body_write(c, k, w);
}

veil_status veil_rlwe_swk_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_swk *k) {
  veil_rbuf r;
  veil_rbuf_init(&r, data, len);
  *k = (veil_rlwe_swk){0};
  VEIL_TRY(veil_rlwe_header_read(&r, VEIL_OBJ_SWK, c->fingerprint));
  VEIL_TRY(swk_body_read(c, &r, k));
  veil_status st = finish(&r);
  if (st != VEIL_OK)
    veil_rlwe_swk_free(k);
  return st;
}

void veil_rlwe_gks_save(const veil_rlwe_ctx *c, const veil_rlwe_gks *g, veil_wbuf *w) {
  veil_rlwe_header_write(w, VEIL_OBJ_GKS, c->fingerprint);
  veil_wbuf_u32(w, (uint32_t)g->count);
  for (int i = 0; i < g->count; i++)
    swk_body_write(c, &g->keys[i], w);
}

veil_status veil_rlwe_gks_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_gks *g) {
  veil_rbuf r;
  veil_rbuf_init(&r, data, len);
  *g = (veil_rlwe_gks){0};
  uint32_t count;
  VEIL_TRY(veil_rlwe_header_read(&r, VEIL_OBJ_GKS, c->fingerprint));
  if (!veil_rbuf_u32(&r, &count))
    return truncated("the Galois key count");
  size_t key_bytes = (size_t)c->dnum * poly_bytes(c, qp(c));
  if (count > c->n || veil_rbuf_left(&r) / key_bytes < count)
    return veil_fail(VEIL_ERR_FORMAT, "Galois key count %u does not fit the %zu bytes left", count,
                     veil_rbuf_left(&r));
  if (count && !(g->keys = veil_calloc(count, sizeof *g->keys)))
    return veil_fail(VEIL_ERR_NOMEM, "Galois key set of %u keys", count);
  veil_status st = VEIL_OK;
  for (uint32_t i = 0; st == VEIL_OK && i < count; i++) {
    st = swk_body_read(c, &r, &g->keys[i]);
    if (st == VEIL_OK && veil_rlwe_gks_find(g, g->keys[i].galois))
      st = veil_fail(VEIL_ERR_FORMAT, "Galois element %llu appears twice", (unsigned long long)g->keys[i].galois);
    if (st == VEIL_OK && g->keys[i].galois == 0)
      st = veil_fail(VEIL_ERR_FORMAT, "Galois key %u has no Galois element", i);
    if (st == VEIL_OK || g->keys[i].dnum)
      g->count++;
  }
  if (st == VEIL_OK)
    st = finish(&r);
  if (st != VEIL_OK)
    veil_rlwe_gks_free(g);
  return st;
}

/* ---- plaintexts and ciphertexts ------------------------------------------------------------------ */

static veil_status read_level_scale(const veil_rlwe_ctx *c, veil_rbuf *r, int *level, double *scale) {
  uint32_t l;
  if (!veil_rbuf_u32(r, &l) || !veil_rbuf_f64(r, scale))
    return truncated("level and scale");
  if (l >= (uint32_t)c->nq)
    return veil_fail(VEIL_ERR_FORMAT, "level %u outside [0, %d]", l, c->nq - 1);
  if (!isfinite(*scale) || *scale <= 0)
    return veil_fail(VEIL_ERR_FORMAT, "scale %g is not a positive finite number", *scale);
  *level = (int)l;
  return VEIL_OK;
}

void veil_rlwe_pt_save(const veil_rlwe_ctx *c, const veil_rlwe_pt *pt, veil_wbuf *w) {
  veil_rlwe_header_write(w, VEIL_OBJ_PT, c->fingerprint);
  veil_wbuf_u32(w, (uint32_t)pt->level);
  veil_wbuf_f64(w, pt->scale);
  poly_write(c, w, pt->m.c, pt->level + 1);
}

veil_status veil_rlwe_pt_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_pt *pt) {
  veil_rbuf r;
  veil_rbuf_init(&r, data, len);
  *pt = (veil_rlwe_pt){0};
  int level;
  double scale;
  VEIL_TRY(veil_rlwe_header_read(&r, VEIL_OBJ_PT, c->fingerprint));
  VEIL_TRY(read_level_scale(c, &r, &level, &scale));
  if (veil_rbuf_left(&r) < poly_bytes(c, level + 1))
    return truncated("the plaintext");
  VEIL_TRY(veil_rlwe_pt_init(c, pt, level));
  pt->scale = scale;
  veil_status st = poly_read(c, &r, pt->m.c, level + 1, "plaintext");
  if (st == VEIL_OK)
    st = finish(&r);
  if (st != VEIL_OK)
    veil_rlwe_pt_free(pt);
  return st;
}

void veil_rlwe_ct_save(const veil_rlwe_ctx *c, const veil_rlwe_ct *ct, veil_wbuf *w) {
  veil_rlwe_header_write(w, VEIL_OBJ_CT, c->fingerprint);
  veil_wbuf_u32(w, (uint32_t)ct->size);
  veil_wbuf_u32(w, (uint32_t)ct->level);
  veil_wbuf_f64(w, ct->scale);
  bool seeded = ct->seeded && ct->size == 2;
  veil_wbuf_u8(w, seeded);
  if (seeded)
    veil_wbuf_bytes(w, ct->seed, VEIL_RLWE_SEED_BYTES);
  for (int j = 0; j < (seeded ? 1 : ct->size); j++)
    poly_write(c, w, ct->c[j].c, ct->level + 1);
}

veil_status veil_rlwe_ct_load(const veil_rlwe_ctx *c, const void *data, size_t len, veil_rlwe_ct *ct) {
  veil_rbuf r;
  veil_rbuf_init(&r, data, len);
  *ct = (veil_rlwe_ct){0};
  uint32_t size;
  uint8_t seeded;
  int level;
  double scale;
  VEIL_TRY(veil_rlwe_header_read(&r, VEIL_OBJ_CT, c->fingerprint));
  if (!veil_rbuf_u32(&r, &size))
    return truncated("the ciphertext size");
  if (size < 2 || size > 3)
    return veil_fail(VEIL_ERR_FORMAT, "ciphertext with %u components (need 2 or 3)", size);
  VEIL_TRY(read_level_scale(c, &r, &level, &scale));
  if (!veil_rbuf_u8(&r, &seeded))
    return truncated("the seeded flag");
  if (seeded > 1 || (seeded && size != 2))
    return veil_fail(VEIL_ERR_FORMAT, "seeded flag %u invalid for %u components", seeded, size);
  uint8_t seed[VEIL_RLWE_SEED_BYTES];
  if (seeded && !veil_rbuf_bytes(&r, seed, sizeof seed))
    return truncated("the ciphertext seed");
  int stored = seeded ? 1 : (int)size;
  if (veil_rbuf_left(&r) / poly_bytes(c, level + 1) < (size_t)stored)
    return truncated("the ciphertext components");
  VEIL_TRY(veil_rlwe_ct_init(c, ct, (int)size, level));
  veil_status st = VEIL_OK;
  for (int j = 0; st == VEIL_OK && j < stored; j++)
    st = poly_read(c, &r, ct->c[j].c, level + 1, "ciphertext");
  if (st == VEIL_OK)
    st = finish(&r);
  if (st != VEIL_OK) {
    veil_rlwe_ct_free(ct);
    return st;
  }
  ct->scale = scale;
  if (seeded) {
    memcpy(ct->seed, seed, sizeof seed);
    veil__expand_uniform(c, seed, 0, ct->c[1].c, level + 1);
    ct->seeded = true;
  }
  return VEIL_OK;
}
