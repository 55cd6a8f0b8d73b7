/** @file he_io.c @brief Files of the client/server split: secret key, evaluation keys, encrypted tensors.
 *
 * Key files: "VEILHEK1", u32 kind (1 secret, 2 evaluation), the parameter literal, u32 nbase, the
 * model fingerprint (32), the key id (16), then length-prefixed rlwe objects (which carry the
 * parameter fingerprint themselves). Tensor files: "VEILHECT", u32 version 1, parameter fingerprint,
 * key id, u64 count, u64 images, u8 complex packing, then count length-prefixed ciphertexts.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/he/he-impl.h"

#define KEY_MAGIC "VEILHEK1"
#define CT_MAGIC "VEILHECT"
#define MAX_FILE ((size_t)1 << 36)

static void lit_write(veil_wbuf *w, const veil_ckks_params_lit *l, int nbase, const uint8_t fp[32]) {
  veil_wbuf_u32(w, (uint32_t)l->logn), veil_wbuf_u32(w, (uint32_t)l->nq);
  for (int i = 0; i < l->nq; i++) veil_wbuf_u32(w, (uint32_t)l->q_bits[i]);
  veil_wbuf_u32(w, (uint32_t)l->np);
  for (int i = 0; i < l->np; i++) veil_wbuf_u32(w, (uint32_t)l->p_bits[i]);
  veil_wbuf_u32(w, (uint32_t)l->dnum), veil_wbuf_u32(w, (uint32_t)l->log_scale), veil_wbuf_u32(w, (uint32_t)l->security);
  veil_wbuf_u8(w, l->insecure_test_only), veil_wbuf_u32(w, (uint32_t)nbase);
  veil_wbuf_bytes(w, fp, 32);
}

static bool u32_in(veil_rbuf *r, int lo, int hi, int *out) {
  uint32_t v;
  if (!veil_rbuf_u32(r, &v) || (int64_t)v < lo || (int64_t)v > hi) return r->failed = true, false;
  return *out = (int)v, true;
}

static veil_status lit_read(veil_rbuf *r, veil_ckks_params_lit *l, int *nbase, uint8_t fp[32]) {
  memset(l, 0, sizeof *l);
  uint8_t ins = 0;
  bool ok = u32_in(r, VEIL_CKKS_LOGN_MIN, VEIL_CKKS_LOGN_MAX, &l->logn) && u32_in(r, 1, VEIL_CKKS_MAX_Q, &l->nq);
  for (int i = 0; ok && i < l->nq; i++) ok = u32_in(r, 0, 64, &l->q_bits[i]);
  ok = ok && u32_in(r, 1, VEIL_CKKS_MAX_P, &l->np);
  for (int i = 0; ok && i < l->np; i++) ok = u32_in(r, 0, 64, &l->p_bits[i]);
  ok = ok && u32_in(r, 0, 64, &l->dnum) && u32_in(r, 0, 64, &l->log_scale) && u32_in(r, 0, 256, &l->security);
  ok = ok && veil_rbuf_u8(r, &ins) && u32_in(r, 1, 8, nbase) && veil_rbuf_bytes(r, fp, 32);
  l->insecure_test_only = ins != 0;
  return ok ? VEIL_OK : veil_fail(VEIL_ERR_FORMAT, "key file: truncated or invalid parameters");
}


/* ---- raw polynomials (every prime of a batch-mode context is < 2^32: 4 bytes per residue) ---- */

static const veil_modulus *mod_of(const veil_rlwe_ctx *c, int i) { return &c->mod[i]; }

static void poly_write(veil_wbuf *w, const veil_poly *p, int nl) {
  for (size_t k = 0; k < (size_t)nl * p->n; k++) veil_wbuf_u32(w, (uint32_t)p->c[k]);
}

static veil_status poly_read(veil_rbuf *r, const veil_rlwe_ctx *c, int first, int nl, veil_poly *p) {
  *p = (veil_poly){.nlimbs = nl, .n = c->n, .is_ntt = true, .cap = nl};
  if (!(p->c = veil_calloc((size_t)nl * c->n, sizeof *p->c))) return veil_fail(VEIL_ERR_NOMEM, "polynomial of %d limbs", nl);
  for (int i = 0; i < nl; i++)
    for (size_t k = 0; k < c->n; k++) {
      uint32_t v;
      if (!veil_rbuf_u32(r, &v)) return veil_fail(VEIL_ERR_FORMAT, "truncated polynomial");
      if (v >= mod_of(c, first + i)->q) return veil_fail(VEIL_ERR_FORMAT, "coefficient %u not below its prime", v);
      p->c[(size_t)i * c->n + k] = v;
    }
  return VEIL_OK;
}

static bool small_primes(const veil_rlwe_ctx *c) {
  for (int i = 0; i < c->nq + c->np; i++)
    if (c->mod[i].q >> 32) return false;
  return true;
}

static void ct_write(veil_wbuf *w, const veil_rlwe_ct *ct) {
  veil_wbuf_u32(w, (uint32_t)ct->size), veil_wbuf_u32(w, (uint32_t)ct->level), veil_wbuf_f64(w, ct->scale);
  for (int k = 0; k < ct->size; k++) poly_write(w, &ct->c[k], ct->level + 1);
}

static veil_status ct_read(veil_rbuf *r, const veil_rlwe_ctx *c, veil_rlwe_ct *ct) {
  uint32_t size, level;
  double scale;
  if (!veil_rbuf_u32(r, &size) || !veil_rbuf_u32(r, &level) || !veil_rbuf_f64(r, &scale) || size < 2 || size > 3 ||
      level >= (uint32_t)c->nq || !(scale > 0))
    return veil_fail(VEIL_ERR_FORMAT, "ciphertext header (size, level, scale) invalid");
  *ct = (veil_rlwe_ct){.size = (int)size, .level = (int)level, .cap = (int)level + 1, .scale = scale};
  for (int k = 0; k < (int)size; k++) VEIL_TRY(poly_read(r, c, 0, (int)level + 1, &ct->c[k]));
  return VEIL_OK;
}

static void blob_begin(veil_wbuf *w, size_t *at) {
  *at = w->len;
  veil_wbuf_u64(w, 0);
}

static void blob_end(veil_wbuf *w, size_t at) {
  if (w->failed) return;
  uint64_t n = w->len - at - 8;
  for (int i = 0; i < 8; i++) w->data[at + i] = (uint8_t)(n >> (8 * i));
}

static const uint8_t *blob_read(veil_rbuf *r, size_t *len) {
  uint64_t n;
  if (!veil_rbuf_u64(r, &n) || n > veil_rbuf_left(r)) return r->failed = true, NULL;
  *len = (size_t)n;
  return veil_rbuf_take(r, (size_t)n);
}

static veil_status write_file(const char *path, veil_wbuf *w, unsigned mode) {
  veil_status st = w->failed ? veil_fail(VEIL_ERR_NOMEM, "writing %s", path) : veil_file_write_atomic(path, w->data, w->len, mode);
  veil_wbuf_free(w);
  return st;
}

static void key_header(veil_wbuf *w, uint32_t kind, const veil_he_plan *p, const uint8_t key_id[16]) {
  veil_wbuf_bytes(w, KEY_MAGIC, 8), veil_wbuf_u32(w, kind);
  lit_write(w, &p->lit, p->nbase, p->model_fp);
  veil_wbuf_bytes(w, key_id, VEIL_HE_KEYID_BYTES);
}

veil_status veil_he_keys_save(const char *dir, const veil_he_plan *p, const veil_he_client *cl, const veil_he_server *sv) {
  char path[4096];
  veil_wbuf w;
  size_t at;
  if (!small_primes(&cl->ctx)) return veil_fail(VEIL_ERR_UNSUPPORTED, "key files: batch-mode keys need primes below 2^32");
  veil_wbuf_init(&w);
  key_header(&w, 1, p, cl->key_id);
  poly_write(&w, &cl->sk.s, cl->ctx.nq + cl->ctx.np);
  (void)at;
  snprintf(path, sizeof path, "%s/secret.key", dir);
  veil_status st = write_file(path, &w, 0600);
  if (st) return st;
  veil_wbuf_init(&w);
  key_header(&w, 2, p, sv->key_id);
  veil_wbuf_u8(&w, sv->has_rlk);
  if (sv->has_rlk) {
    veil_wbuf_u32(&w, (uint32_t)sv->rlk.dnum);
    for (int j = 0; j < sv->rlk.dnum; j++)
      poly_write(&w, &sv->rlk.b[j], sv->ctx.nq + sv->ctx.np), poly_write(&w, &sv->rlk.a[j], sv->ctx.nq + sv->ctx.np);
  }
  snprintf(path, sizeof path, "%s/eval.keys", dir);
  VEIL_TRY(write_file(path, &w, 0644));
  snprintf(path, sizeof path, "%s/plan.txt", dir);
  FILE *f = fopen(path, "w");
  if (!f) return veil_fail(VEIL_ERR_IO, "cannot write %s", path);
  veil_he_plan_print(p, f);
  return fclose(f) ? veil_fail(VEIL_ERR_IO, "writing %s", path) : VEIL_OK;
}

/* Reads a key file's header; the rlwe context is built from its parameters. */
static veil_status key_open(const char *path, uint32_t kind, uint8_t **data, veil_rbuf *r, veil_ckks_params_lit *lit, int *nbase,
                            uint8_t fp[32], uint8_t key_id[16], veil_rlwe_ctx *ctx) {
  size_t len;
  VEIL_TRY(veil_file_read(path, MAX_FILE, data, &len));
  veil_rbuf_init(r, *data, len);
  char magic[8];
  uint32_t k;
  if (!veil_rbuf_bytes(r, magic, 8) || memcmp(magic, KEY_MAGIC, 8) || !veil_rbuf_u32(r, &k))
    return veil_fail(VEIL_ERR_FORMAT, "%s: not a veil key file", path);
  if (k != kind) return veil_fail(VEIL_ERR_MISMATCH, "%s: a %s file, expected %s", path, k == 1 ? "secret key" : "evaluation key", kind == 1 ? "a secret key" : "evaluation keys");
  VEIL_TRY(lit_read(r, lit, nbase, fp));
  if (!veil_rbuf_bytes(r, key_id, VEIL_HE_KEYID_BYTES)) return veil_fail(VEIL_ERR_FORMAT, "%s: truncated", path);
  veil_ckks_params cp;
  VEIL_TRY(veil_ckks_params_resolve(lit, &cp));
  veil_rlwe_params rp = {.logn = cp.logn, .nq = cp.nq, .q = cp.q, .np = cp.np, .p = cp.p, .dnum = cp.dnum, .hamming_weight = cp.h};
  memcpy(rp.fingerprint, cp.fingerprint, sizeof rp.fingerprint);
  return veil_rlwe_ctx_init(ctx, &rp);
}

veil_status veil_he_client_load(const char *path, veil_ckks_params_lit *lit, int *nbase, uint8_t model_fp[32], veil_he_client *cl) {
  memset(cl, 0, sizeof *cl);
  uint8_t *data = NULL;
  veil_rbuf r;
  veil_status st = key_open(path, 1, &data, &r, lit, nbase, model_fp, cl->key_id, &cl->ctx);
  if (!st) st = poly_read(&r, &cl->ctx, 0, cl->ctx.nq + cl->ctx.np, &cl->sk.s);
  if (!st && veil_rbuf_left(&r)) st = veil_fail(VEIL_ERR_FORMAT, "%s: trailing bytes", path);
  if (data) veil_free_secret(data, r.len);
  if (st) veil_he_client_free(cl);
  return st;
}

static veil_status swk_read(veil_rbuf *r, const veil_rlwe_ctx *c, veil_rlwe_swk *k) {
  uint32_t dnum;
  if (!veil_rbuf_u32(r, &dnum) || (int)dnum != c->dnum) return veil_fail(VEIL_ERR_FORMAT, "relinearization key: %u digits, the context has %d", dnum, c->dnum);
  *k = (veil_rlwe_swk){.dnum = (int)dnum};
  k->b = veil_calloc(dnum, sizeof *k->b), k->a = veil_calloc(dnum, sizeof *k->a);
  if (!k->a || !k->b) return veil_fail(VEIL_ERR_NOMEM, "relinearization key");
  for (int j = 0; j < (int)dnum; j++) {
    VEIL_TRY(poly_read(r, c, 0, c->nq + c->np, &k->b[j]));
    VEIL_TRY(poly_read(r, c, 0, c->nq + c->np, &k->a[j]));
  }
  return VEIL_OK;
}

veil_status veil_he_server_load(const char *path, veil_ckks_params_lit *lit, int *nbase, uint8_t model_fp[32], veil_he_server *sv) {
  memset(sv, 0, sizeof *sv);
  uint8_t *data = NULL, has = 0;
  veil_rbuf r;
  veil_status st = key_open(path, 2, &data, &r, lit, nbase, model_fp, sv->key_id, &sv->ctx);
  if (!st && !veil_rbuf_u8(&r, &has)) st = veil_fail(VEIL_ERR_FORMAT, "%s: truncated", path);
  if (!st && has) st = swk_read(&r, &sv->ctx, &sv->rlk), sv->has_rlk = true;
  if (!st && veil_rbuf_left(&r)) st = veil_fail(VEIL_ERR_FORMAT, "%s: trailing bytes", path);
  veil_free(data);
  if (st) veil_he_server_free(sv);
  return st;
}

veil_status veil_he_tensor_save(const char *path, const veil_rlwe_ctx *ctx, const veil_he_tensor *t) {
  if (!small_primes(ctx)) return veil_fail(VEIL_ERR_UNSUPPORTED, "tensor files: batch-mode ciphertexts need primes below 2^32");
  veil_wbuf w;
  veil_wbuf_init(&w);
  veil_wbuf_bytes(&w, CT_MAGIC, 8), veil_wbuf_u32(&w, 1);
  veil_wbuf_bytes(&w, ctx->fingerprint, VEIL_RLWE_FP_BYTES);
  veil_wbuf_bytes(&w, t->key_id, VEIL_HE_KEYID_BYTES);
  veil_wbuf_u64(&w, (uint64_t)t->count), veil_wbuf_u64(&w, (uint64_t)t->n_images), veil_wbuf_u8(&w, t->complex_packing);
  for (int64_t i = 0; i < t->count; i++) {
    size_t at;
    blob_begin(&w, &at), ct_write(&w, &t->ct[i]), blob_end(&w, at);
  }
  return write_file(path, &w, 0644);
}

static veil_status tensor_parse(const char *path, veil_rbuf *r, const veil_rlwe_ctx *ctx, const uint8_t key_id[16], veil_he_tensor *t) {
  char magic[8];
  uint8_t fp[VEIL_RLWE_FP_BYTES], kid[VEIL_HE_KEYID_BYTES], cplx;
  uint32_t ver;
  uint64_t count, n;
  if (!veil_rbuf_bytes(r, magic, 8) || memcmp(magic, CT_MAGIC, 8) || !veil_rbuf_u32(r, &ver) || ver != 1)
    return veil_fail(VEIL_ERR_FORMAT, "%s: not a veil encrypted tensor (version 1)", path);
  if (!veil_rbuf_bytes(r, fp, sizeof fp) || !veil_rbuf_bytes(r, kid, sizeof kid) || !veil_rbuf_u64(r, &count) ||
      !veil_rbuf_u64(r, &n) || !veil_rbuf_u8(r, &cplx) || count > (1u << 24) || n > (1u << 20))
    return veil_fail(VEIL_ERR_FORMAT, "%s: truncated header", path);
  if (memcmp(fp, ctx->fingerprint, sizeof fp))
    return veil_fail(VEIL_ERR_MISMATCH, "%s: made under other parameters (fingerprint differs from the keys')", path);
  if (memcmp(kid, key_id, sizeof kid))
    return veil_fail(VEIL_ERR_MISMATCH, "%s: made under other keys (key id differs)", path);
  memset(t, 0, sizeof *t);
  t->ct = veil_calloc(count ? (size_t)count : 1, sizeof *t->ct);
  if (!t->ct) return veil_fail(VEIL_ERR_NOMEM, "%s: %llu ciphertexts", path, (unsigned long long)count);
  t->n_images = (int64_t)n, t->complex_packing = cplx != 0;
  memcpy(t->key_id, kid, sizeof kid);
  for (uint64_t i = 0; i < count; i++) {
    size_t len;
    const uint8_t *b = blob_read(r, &len);
    if (!b) return veil_fail(VEIL_ERR_FORMAT, "%s: truncated at ciphertext %llu", path, (unsigned long long)i);
    veil_rbuf sub;
    veil_rbuf_init(&sub, b, len);
    t->count = (int64_t)i + 1;
    VEIL_TRY(ct_read(&sub, ctx, &t->ct[i]));
    if (veil_rbuf_left(&sub)) return veil_fail(VEIL_ERR_FORMAT, "%s: ciphertext %llu has trailing bytes", path, (unsigned long long)i);
    t->count = (int64_t)i + 1;
  }
  return veil_rbuf_left(r) ? veil_fail(VEIL_ERR_FORMAT, "%s: trailing bytes", path) : VEIL_OK;
}

veil_status veil_he_tensor_load(const char *path, const veil_rlwe_ctx *ctx, const uint8_t key_id[VEIL_HE_KEYID_BYTES], veil_he_tensor *t) {
  uint8_t *data;
  size_t len;
  memset(t, 0, sizeof *t);
  VEIL_TRY(veil_file_read(path, MAX_FILE, &data, &len));
  veil_rbuf r;
  veil_rbuf_init(&r, data, len);
  veil_status st = tensor_parse(path, &r, ctx, key_id, t);
  veil_free(data);
  if (st) veil_he_tensor_free(t);
  return st;
}
