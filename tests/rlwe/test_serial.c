/* Serialization: round trips of every object, seeded sizes, and a corpus of malformed inputs
 * (every truncation, bit flips, wrong fingerprint/type/version, huge counts) that must fail cleanly. */
#include "rlwe_test_util.h"

typedef veil_status (*loader)(const veil_rlwe_ctx *, const void *, size_t, void *);

typedef struct fix {
  veil_rlwe_ctx c;
  veil_rlwe_sk sk;
  veil_rlwe_pk pk;
  veil_rlwe_swk rlk;
  veil_rlwe_gks gks;
} fix;

static veil_status fix_init(fix *f) {
  int steps[] = {1, 3};
  VEIL_TRY(vt_rlwe_ctx(&f->c, 10, 3, 40, 1, 45, 3, 0));
  VEIL_TRY(veil_rlwe_sk_gen(&f->c, &f->sk));
  VEIL_TRY(veil_rlwe_pk_gen(&f->c, &f->sk, &f->pk));
  VEIL_TRY(veil_rlwe_relin_key_gen(&f->c, &f->sk, &f->rlk));
  return veil_rlwe_gks_gen(&f->c, &f->sk, steps, 2, false, &f->gks);
}

static void fix_free(fix *f) {
  veil_rlwe_gks_free(&f->gks);
  veil_rlwe_swk_free(&f->rlk);
  veil_rlwe_pk_free(&f->pk);
  veil_rlwe_sk_free(&f->sk);
  veil_rlwe_ctx_free(&f->c);
}

static bool same_words(const uint64_t *a, const uint64_t *b, size_t words) {
  return memcmp(a, b, words * sizeof(uint64_t)) == 0;
}

/* Bytes of a bit-packed polynomial over the first @p limbs primes: N * bitlen(q_i) bits per limb. */
static size_t packed_bytes(const veil_rlwe_ctx *c, int limbs) {
  size_t b = 0;
  for (int i = 0; i < limbs; i++)
    b += (c->n * (size_t)(64 - __builtin_clzll(c->mod[i].q)) + 7) / 8;
  return b;
}

/* Bit @p j of a little-endian bit stream. */
static unsigned bit_at(const uint8_t *p, size_t j) { return (p[j / 8] >> (j % 8)) & 1u; }

/* The secret key object decoded bit by bit (independent of the packer): header, u32 limb count, then
 * limb 0 as N values of bitlen(q_0) bits. */
static void test_packing_layout(void) {
  fix f;
  VT_OK(fix_init(&f));
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil_rlwe_sk_save(&f.c, &f.sk, &w);
  int qp = f.c.nq + f.c.np, bits = 64 - __builtin_clzll(f.c.mod[0].q);
  VT_CHECK_EQ_U64(w.len, 44 + 4 + packed_bytes(&f.c, qp));
  int bad = 0;
  for (size_t k = 0; k < f.c.n; k++) {
    uint64_t v = 0;
    for (int b = 0; b < bits; b++)
      v |= (uint64_t)bit_at(w.data + 48, k * (size_t)bits + (size_t)b) << b;
    bad += v != f.sk.s.c[k];
  }
  VT_CHECK_MSG(bad == 0, "%d coefficients of limb 0 differ from the bit-level decoding", bad);
  veil_wbuf_free(&w);
  fix_free(&f);
}

static void test_round_trips(void) {
  fix f;
  VT_OK(fix_init(&f));
  size_t n = f.c.n, qp = (size_t)(f.c.nq + f.c.np);
  veil_wbuf w;
  /* secret key */
  veil_wbuf_init(&w);
  veil_rlwe_sk_save(&f.c, &f.sk, &w);
  veil_rlwe_sk sk2;
  VT_OK(veil_rlwe_sk_load(&f.c, w.data, w.len, &sk2));
  VT_CHECK(same_words(sk2.s.c, f.sk.s.c, qp * n));
  veil_rlwe_sk_free(&sk2);
  veil_wbuf_free(&w);
  /* public key: seeded, about half of two polynomials */
  veil_wbuf_init(&w);
  veil_rlwe_pk_save(&f.c, &f.pk, &w);
  VT_CHECK(w.len < 2 * packed_bytes(&f.c, f.c.nq) * 6 / 10);
  veil_rlwe_pk pk2;
  VT_OK(veil_rlwe_pk_load(&f.c, w.data, w.len, &pk2));
  VT_CHECK(same_words(pk2.a.c, f.pk.a.c, (size_t)f.c.nq * n) && same_words(pk2.b.c, f.pk.b.c, (size_t)f.c.nq * n));
  veil_rlwe_pk_free(&pk2);
  veil_wbuf_free(&w);
  /* relinearization key: seeded, about half */
  veil_wbuf_init(&w);
  veil_rlwe_swk_save(&f.c, &f.rlk, &w);
  size_t full = (size_t)f.rlk.dnum * 2 * packed_bytes(&f.c, (int)qp);
  VT_CHECK_MSG(w.len > full / 2 && w.len < full / 2 + 128, "rlk %zu bytes vs expanded %zu", w.len, full);
  veil_rlwe_swk k2;
  VT_OK(veil_rlwe_swk_load(&f.c, w.data, w.len, &k2));
  for (int j = 0; j < f.rlk.dnum; j++)
    VT_CHECK(same_words(k2.a[j].c, f.rlk.a[j].c, qp * n) && same_words(k2.b[j].c, f.rlk.b[j].c, qp * n));
  veil_rlwe_swk_free(&k2);
  veil_wbuf_free(&w);
  /* Galois keys with their permutations */
  veil_wbuf_init(&w);
  veil_rlwe_gks_save(&f.c, &f.gks, &w);
  veil_rlwe_gks g2;
  VT_OK(veil_rlwe_gks_load(&f.c, w.data, w.len, &g2));
  VT_CHECK(g2.count == f.gks.count);
  for (int i = 0; i < g2.count && i < f.gks.count; i++) {
    VT_CHECK(g2.keys[i].galois == f.gks.keys[i].galois);
    VT_CHECK(memcmp(g2.keys[i].perm, f.gks.keys[i].perm, n * sizeof(uint32_t)) == 0);
    VT_CHECK(same_words(g2.keys[i].b[1].c, f.gks.keys[i].b[1].c, qp * n));
  }
  veil_rlwe_gks_free(&g2);
  veil_wbuf_free(&w);
  fix_free(&f);
}

static void test_ct_pt_seeded(void) {
  fix f;
  VT_OK(fix_init(&f));
  static int64_t m[1024];
  static __int128 exp[1024];
  vt_rand_int_poly(m, f.c.n, 1000);
  for (size_t k = 0; k < f.c.n; k++)
    exp[k] = m[k];
  veil_rlwe_pt pt, pt2, dec = {0};
  veil_rlwe_ct ct = {0}, ct2;
  VT_OK(veil_rlwe_pt_init(&f.c, &pt, 2));
  vt_pt_set_int(&f.c, &pt, m);
  pt.scale = 12345.5;
  veil_wbuf w, w2;
  veil_wbuf_init(&w);
  veil_rlwe_pt_save(&f.c, &pt, &w);
  VT_OK(veil_rlwe_pt_load(&f.c, w.data, w.len, &pt2));
  VT_CHECK(pt2.level == 2 && pt2.scale == 12345.5 && same_words(pt2.m.c, pt.m.c, 3 * f.c.n));
  veil_rlwe_pt_free(&pt2);
  veil_wbuf_free(&w);
  /* a fresh symmetric ciphertext is stored as c0 + seed: about half of a public-key one */
  VT_OK(veil_rlwe_encrypt_sk(&f.c, &f.sk, &pt, &ct));
  veil_wbuf_init(&w);
  veil_rlwe_ct_save(&f.c, &ct, &w);
  VT_OK(veil_rlwe_ct_load(&f.c, w.data, w.len, &ct2));
  VT_CHECK(ct2.seeded && ct2.level == 2 && ct2.scale == 12345.5);
  VT_CHECK(same_words(ct2.c[1].c, ct.c[1].c, 3 * f.c.n) && same_words(ct2.c[0].c, ct.c[0].c, 3 * f.c.n));
  VT_OK(veil_rlwe_decrypt(&f.c, &f.sk, &ct2, &dec));
  VT_CHECK(vt_pt_max_err(&f.c, &dec, exp) < 60);
  VT_OK(veil_rlwe_encrypt_pk(&f.c, &f.pk, &pt, &ct));
  veil_wbuf_init(&w2);
  veil_rlwe_ct_save(&f.c, &ct, &w2);
  VT_CHECK_MSG(w.len * 2 < w2.len + 200 && w.len * 2 > w2.len, "seeded %zu vs full %zu", w.len, w2.len);
  veil_rlwe_ct_free(&ct2);
  VT_OK(veil_rlwe_ct_load(&f.c, w2.data, w2.len, &ct2));
  VT_CHECK(!ct2.seeded);
  VT_OK(veil_rlwe_decrypt(&f.c, &f.sk, &ct2, &dec));
  VT_CHECK(vt_pt_max_err(&f.c, &dec, exp) < 4000);
  veil_wbuf_free(&w);
  veil_wbuf_free(&w2);
  veil_rlwe_ct_free(&ct);
  veil_rlwe_ct_free(&ct2);
  veil_rlwe_pt_free(&pt);
  veil_rlwe_pt_free(&dec);
  fix_free(&f);
}

/* Loads @p data with the loader for @p type; frees the object on success. */
static veil_status load_any(const veil_rlwe_ctx *c, veil_rlwe_obj type, const uint8_t *data, size_t len) {
  veil_status st;
  switch (type) {
  case VEIL_OBJ_CT: {
    veil_rlwe_ct o;
    if ((st = veil_rlwe_ct_load(c, data, len, &o)) == VEIL_OK)
      veil_rlwe_ct_free(&o);
    return st;
  }
  case VEIL_OBJ_PT: {
    veil_rlwe_pt o;
    if ((st = veil_rlwe_pt_load(c, data, len, &o)) == VEIL_OK)
      veil_rlwe_pt_free(&o);
    return st;
  }
  case VEIL_OBJ_SWK: {
    veil_rlwe_swk o;
    if ((st = veil_rlwe_swk_load(c, data, len, &o)) == VEIL_OK)
      veil_rlwe_swk_free(&o);
    return st;
  }
  case VEIL_OBJ_GKS: {
    veil_rlwe_gks o;
    if ((st = veil_rlwe_gks_load(c, data, len, &o)) == VEIL_OK)
      veil_rlwe_gks_free(&o);
    return st;
  }
  case VEIL_OBJ_PK: {
    veil_rlwe_pk o;
    if ((st = veil_rlwe_pk_load(c, data, len, &o)) == VEIL_OK)
      veil_rlwe_pk_free(&o);
    return st;
  }
  default: {
    veil_rlwe_sk o;
    if ((st = veil_rlwe_sk_load(c, data, len, &o)) == VEIL_OK)
      veil_rlwe_sk_free(&o);
    return st;
  }
  }
}

static bool clean_error(veil_status st) {
  return (st == VEIL_ERR_FORMAT || st == VEIL_ERR_MISMATCH) && veil_error_detail()[0] != '\0';
}

/* Every truncation fails cleanly; bit flips either load or fail cleanly (ASan checks the rest). */
static void corpus(const veil_rlwe_ctx *c, veil_rlwe_obj type, const uint8_t *data, size_t len, size_t stride) {
  uint8_t *buf = malloc(len + 16);
  int bad = 0;
  for (size_t cut = 0; cut < len; cut += (cut < 200 ? 1 : stride)) {
    memcpy(buf, data, cut);
    veil_error_clear();
    bad += !clean_error(load_any(c, type, buf, cut));
  }
  VT_CHECK_MSG(bad == 0, "type %d: %d truncations did not fail cleanly", type, bad);
  memcpy(buf, data, len);
  buf[len] = 0;
  VT_CHECK(load_any(c, type, buf, len + 1) == VEIL_ERR_FORMAT); /* trailing byte */
  bad = 0;
  for (size_t bit = 0; bit < 8 * len; bit += (bit < 8 * 60 ? 1 : 8 * stride + 5 + 8 * 61 * (stride == 1))) {
    memcpy(buf, data, len);
    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    veil_status st = load_any(c, type, buf, len);
    bad += st != VEIL_OK && !clean_error(st);
    if (bit / 8 < 44) /* header: magic, version, type, fingerprint must all be rejected */
      bad += st == VEIL_OK;
  }
  VT_CHECK_MSG(bad == 0, "type %d: %d bit flips were not rejected cleanly", type, bad);
  free(buf);
}

static void test_malformed(void) {
  fix f;
  VT_OK(fix_init(&f));
  veil_rlwe_pt pt;
  veil_rlwe_ct ct = {0};
  VT_OK(veil_rlwe_pt_init(&f.c, &pt, 0));
  VT_OK(veil_rlwe_encrypt_sk(&f.c, &f.sk, &pt, &ct));
  veil_wbuf w[6];
  for (int i = 0; i < 6; i++)
    veil_wbuf_init(&w[i]);
  veil_rlwe_pt_save(&f.c, &pt, &w[0]);
  veil_rlwe_ct_save(&f.c, &ct, &w[1]);
  veil_rlwe_swk_save(&f.c, &f.rlk, &w[2]);
  veil_rlwe_gks_save(&f.c, &f.gks, &w[3]);
  veil_rlwe_pk_save(&f.c, &f.pk, &w[4]);
  veil_rlwe_sk_save(&f.c, &f.sk, &w[5]);
  veil_rlwe_obj types[6] = {VEIL_OBJ_PT, VEIL_OBJ_CT, VEIL_OBJ_SWK, VEIL_OBJ_GKS, VEIL_OBJ_PK, VEIL_OBJ_SK};
  for (int i = 0; i < 6; i++) {
    corpus(&f.c, types[i], w[i].data, w[i].len, i == 0 ? 1 : 997);
    /* the wrong type */
    VT_CHECK(load_any(&f.c, types[(i + 1) % 6], w[i].data, w[i].len) == VEIL_ERR_MISMATCH);
  }
  /* wrong fingerprint: a context with other parameters */
  veil_rlwe_ctx other;
  VT_OK(vt_rlwe_ctx(&other, 10, 3, 40, 1, 45, 2, 0));
  VT_CHECK(load_any(&other, VEIL_OBJ_CT, w[1].data, w[1].len) == VEIL_ERR_MISMATCH);
  VT_CHECK(strstr(veil_error_detail(), "fingerprint") != NULL);
  veil_rlwe_ctx_free(&other);
  /* huge counts: a Galois key set claiming 2^32 - 1 keys, a ciphertext of 7 components or level 99 */
  uint8_t *b = w[3].data;
  memset(b + 44, 0xff, 4);
  VT_CHECK(load_any(&f.c, VEIL_OBJ_GKS, b, w[3].len) == VEIL_ERR_FORMAT);
  b = w[1].data;
  b[44] = 7;
  VT_CHECK(load_any(&f.c, VEIL_OBJ_CT, b, w[1].len) == VEIL_ERR_FORMAT);
  b[44] = 2;
  b[48] = 99;
  VT_CHECK(load_any(&f.c, VEIL_OBJ_CT, b, w[1].len) == VEIL_ERR_FORMAT);
  VT_CHECK(strstr(veil_error_detail(), "level 99") != NULL);
  /* a coefficient >= q */
  b[48] = 0;
  memset(b + w[1].len - 8, 0xff, 8);
  VT_CHECK(load_any(&f.c, VEIL_OBJ_CT, b, w[1].len) == VEIL_ERR_FORMAT);
  VT_CHECK(strstr(veil_error_detail(), "not below q") != NULL);
  for (int i = 0; i < 6; i++)
    veil_wbuf_free(&w[i]);
  veil_rlwe_pt_free(&pt);
  veil_rlwe_ct_free(&ct);
  fix_free(&f);
}

int main(void) {
  VT_RUN(test_packing_layout);
  VT_RUN(test_round_trips);
  VT_RUN(test_ct_pt_seeded);
  VT_RUN(test_malformed);
  VT_DONE();
}
