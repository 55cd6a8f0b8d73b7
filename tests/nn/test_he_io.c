/* HE files (secret.key, eval.keys, tensor files): round trips that still decrypt to the float64
 * reference, the seeded input size, refusals (other keys, other parameters, other model, wrong
 * kind), and a malformed corpus (every truncation at frame boundaries and a stride inside, bit
 * flips, garbage, an old-format file) that must fail with a clean error naming the file. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/he/he-impl.h"
#include "nntest.h"
#include "veil/model.h"
#include "vtest.h"

static veil_status net(veil_graph *g, double scale) {
  veil_model m;
  float d1[4 * 6], b1[4] = {0.1f, -0.1f, 0.05f, 0}, d2[2 * 4], b2[2] = {0, 0.1f};
  nt_fill(d1, 24, -0.5, 0.5), nt_fill(d2, 8, -0.5, 0.5);
  d2[0] = (float)scale;
  veil_status st = veil_model_init(&m, "t", 1, 2, 3);
  if (!st) st = veil_model_dense(&m, 4, d1, b1);
  if (!st) st = veil_model_square(&m);
  if (!st) st = veil_model_dense(&m, 2, d2, b2);
  if (!st) veil_model_take(&m, g);
  veil_model_free(&m);
  return st;
}

typedef struct fx {
  veil_graph g;
  veil_he_plan p;
  veil_he_client cl;
  veil_he_server sv;
} fx;

static veil_status fx_init(fx *f, int logn, double scale) {
  VEIL_TRY(net(&f->g, scale));
  VEIL_TRY(veil_graph_optimize(&f->g, NULL));
  veil_he_opts o = {.logn = logn, .insecure_test_only = true};
  VEIL_TRY(veil_he_plan_compile(&f->g, &o, &f->p));
  VEIL_TRY(veil_he_plan_choose(&f->p, &o, NULL, 0));
  return veil_he_keygen(&f->p, &f->cl, &f->sv);
}

static void fx_free(fx *f) {
  veil_he_client_free(&f->cl), veil_he_server_free(&f->sv), veil_he_plan_free(&f->p), veil_graph_free(&f->g);
}

static char dir[64];

static const char *at(const char *name) {
  static char buf[4][128];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static long file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) ? -1 : (long)sb.st_size;
}

enum { NI = 5 };
static double x[NI * 6];

/* Keys and tensors through files, then the whole pipeline against the float64 graph. */
static void test_round_trip(void) {
  fx f;
  VT_OK(fx_init(&f, 10, 0.3));
  VT_OK(veil_he_keys_save(dir, &f.p, &f.cl, &f.sv));
  struct stat sb;
  VT_CHECK(stat(at("secret.key"), &sb) == 0 && (sb.st_mode & 0777) == 0600);
  veil_ckks_params_lit lit;
  int nbase;
  uint8_t mfp[32];
  veil_he_client cl;
  veil_he_server sv;
  VT_OK(veil_he_client_load(at("secret.key"), &lit, &nbase, mfp, &cl));
  VT_CHECK(nbase == f.p.nbase && !memcmp(mfp, f.p.model_fp, 32) && !memcmp(cl.key_id, f.cl.key_id, 16));
  VT_CHECK(!memcmp(cl.sk.s.c, f.cl.sk.s.c, (size_t)(cl.ctx.nq + cl.ctx.np) * cl.ctx.n * 8));
  VT_OK(veil_he_server_load(at("eval.keys"), &lit, &nbase, mfp, &sv));
  VT_CHECK(sv.has_rlk == f.sv.has_rlk && sv.has_rlk);
  VT_CHECK(!memcmp(sv.rlk.a[0].c, f.sv.rlk.a[0].c, (size_t)(sv.ctx.nq + sv.ctx.np) * sv.ctx.n * 8));
  /* the literal re-resolves to the same parameters */
  veil_ckks_params cp;
  VT_OK(veil_ckks_params_resolve(&lit, &cp));
  VT_CHECK(!memcmp(cp.fingerprint, f.p.params.fingerprint, 32));
  veil_he_tensor in, in2, out, out2;
  VT_OK(veil_he_encrypt(&f.p, &cl, x, NI, &in));
  VT_OK(veil_he_tensor_save(at("in.ct"), &cl.ctx, &in));
  VT_OK(veil_he_tensor_load_checked(at("in.ct"), &sv.ctx, sv.key_id, f.p.model_fp, &in2));
  VT_CHECK(in2.count == in.count && in2.n_images == NI && in2.ct[0].seeded);
  /* seeded input: c0 packed plus a 32-byte seed per ciphertext, about half of two components */
  long per_ct = (file_size(at("in.ct")) - 8 - 113) / in.count;
  size_t full = 0;
  for (int i = 0; i < sv.ctx.nq; i++) full += 2 * sv.ctx.n * (size_t)(64 - __builtin_clzll(sv.ctx.mod[i].q)) / 8;
  VT_CHECK_MSG(per_ct > (long)full / 2 && per_ct < (long)full / 2 + 128, "%ld bytes per ciphertext, %zu unseeded", per_ct, full);
  VT_OK(veil_he_infer(&f.p, &sv, &in2, &out));
  VT_OK(veil_he_tensor_save(at("out.ct"), &sv.ctx, &out));
  VT_OK(veil_he_tensor_load_checked(at("out.ct"), &cl.ctx, cl.key_id, f.p.model_fp, &out2));
  double y[NI * 2], *ref = nt_run(&f.g, x, NI), err = 0;
  VT_REQUIRE(ref);
  VT_OK(veil_he_decrypt(&f.p, &cl, &out2, y));
  for (int i = 0; i < NI * 2; i++) err = fmax(err, fabs(y[i] - ref[i]));
  VT_CHECK_MSG(err < 1.0 / 4096, "max error %g", err);
  free(ref);
  veil_he_tensor_free(&in), veil_he_tensor_free(&in2), veil_he_tensor_free(&out), veil_he_tensor_free(&out2);
  veil_he_client_free(&cl), veil_he_server_free(&sv);
  fx_free(&f);
}

static bool refused(veil_status st, veil_status want, const char *needle, const char *path) {
  const char *d = veil_error_detail();
  return st == want && strstr(d, needle) && strstr(d, path);
}

/* A tensor under other keys / other parameters / for another model, and a file of the wrong kind. */
static void test_refusals(void) {
  fx a, b, c, d;
  VT_OK(fx_init(&a, 10, 0.3));
  VT_OK(fx_init(&b, 10, 0.3));  /* same model and parameters, other keys */
  VT_OK(fx_init(&c, 11, 0.3));  /* other parameters */
  VT_OK(fx_init(&d, 10, -0.7)); /* another model */
  veil_he_tensor t, u;
  VT_OK(veil_he_encrypt(&a.p, &a.cl, x, NI, &t));
  VT_OK(veil_he_tensor_save(at("a.ct"), &a.cl.ctx, &t));
  const char *p = at("a.ct");
  VT_CHECK(refused(veil_he_tensor_load_checked(p, &b.sv.ctx, b.sv.key_id, b.p.model_fp, &u), VEIL_ERR_MISMATCH, "other keys", p));
  VT_CHECK(refused(veil_he_tensor_load_checked(p, &c.sv.ctx, c.sv.key_id, c.p.model_fp, &u), VEIL_ERR_MISMATCH, "other parameters", p));
  VT_CHECK(memcmp(a.p.model_fp, d.p.model_fp, 32) != 0);
  VT_CHECK(refused(veil_he_tensor_load_checked(p, &a.sv.ctx, a.sv.key_id, d.p.model_fp, &u), VEIL_ERR_MISMATCH, "another model", p));
  VT_OK(veil_he_tensor_load(p, &a.sv.ctx, a.sv.key_id, &u)); /* the unchecked loader ignores the model */
  veil_he_tensor_free(&u);
  veil_ckks_params_lit lit;
  int nbase;
  uint8_t mfp[32];
  veil_he_client cl;
  veil_he_server sv;
  VT_OK(veil_he_keys_save(dir, &a.p, &a.cl, &a.sv));
  VT_CHECK(refused(veil_he_client_load(at("eval.keys"), &lit, &nbase, mfp, &cl), VEIL_ERR_MISMATCH, "expected a secret key", "eval.keys"));
  VT_CHECK(refused(veil_he_server_load(at("secret.key"), &lit, &nbase, mfp, &sv), VEIL_ERR_MISMATCH, "expected evaluation keys", "secret.key"));
  VT_CHECK(refused(veil_he_server_load(p, &lit, &nbase, mfp, &sv), VEIL_ERR_MISMATCH, "object type 9", p));
  VT_CHECK(refused(veil_he_server_load(at("missing"), &lit, &nbase, mfp, &sv), VEIL_ERR_IO, "cannot read", "missing"));
  veil_he_tensor_free(&t);
  fx_free(&a), fx_free(&b), fx_free(&c), fx_free(&d);
}

static veil_status load_kind(int kind, const char *path, const fx *f) {
  veil_ckks_params_lit lit;
  int nbase;
  uint8_t mfp[32];
  veil_status st;
  if (kind == 0) {
    veil_he_client cl;
    if (!(st = veil_he_client_load(path, &lit, &nbase, mfp, &cl))) veil_he_client_free(&cl);
  } else if (kind == 1) {
    veil_he_server sv;
    if (!(st = veil_he_server_load(path, &lit, &nbase, mfp, &sv))) veil_he_server_free(&sv);
  } else {
    veil_he_tensor t;
    if (!(st = veil_he_tensor_load_checked(path, &f->sv.ctx, f->sv.key_id, f->p.model_fp, &t))) veil_he_tensor_free(&t);
  }
  return st;
}

static bool clean(veil_status st, const char *path) {
  return (st == VEIL_ERR_FORMAT || st == VEIL_ERR_MISMATCH || st == VEIL_ERR_INSECURE) && strstr(veil_error_detail(), path);
}

static void put(const char *path, const uint8_t *d, size_t n) {
  FILE *o = fopen(path, "wb");
  VT_REQUIRE(o);
  VT_CHECK(fwrite(d, 1, n, o) == n);
  fclose(o);
}

static uint64_t u64_at(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* Whether a flip of byte @p i must be refused: every byte of the leading frames (parameters, key
 * header; tensor header) except fields for which other in-range values are valid and that only the
 * consumer can judge: a key file's nbase, model fingerprint and key id (checked against the model by
 * the CLI), a tensor's image count and complex-packing flag. */
static bool must_refuse(int kind, const uint8_t *d, size_t i) {
  size_t f0 = 8 + (size_t)u64_at(d);
  if (kind == 2) return i < f0 && i < 108;
  size_t hdr = f0 + 8, f1 = hdr + (size_t)u64_at(d + f0);
  return i < f0 || (i < f1 && (i < hdr + 48 || i >= hdr + 100));
}

/* Truncations (every byte of the first 400, then a stride), bit flips in the headers and a stride
 * of the body, an appended byte: all refused cleanly; the intact file loads. */
static void corpus(int kind, const char *name, const fx *f) {
  uint8_t *d;
  size_t n;
  VT_OK(veil_file_read(at(name), (size_t)1 << 30, &d, &n));
  const char *bad = at("bad");
  int fails = 0;
  for (size_t cut = 0; cut < n; cut += cut < 400 ? 1 : 509) {
    put(bad, d, cut);
    fails += !clean(load_kind(kind, bad, f), bad);
  }
  VT_CHECK_MSG(fails == 0, "%s: %d truncations not refused cleanly", name, fails);
  for (size_t bit = 0; bit < 8 * n; bit += bit < 8 * 300 ? 1 : 8 * 997 + 3) {
    d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    put(bad, d, n);
    veil_status st = load_kind(kind, bad, f);
    d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    fails += st != VEIL_OK && !clean(st, bad);
    fails += st == VEIL_OK && must_refuse(kind, d, bit / 8);
  }
  VT_CHECK_MSG(fails == 0, "%s: %d bit flips not refused cleanly", name, fails);
  uint8_t *e = malloc(n + 1);
  memcpy(e, d, n), e[n] = 0;
  put(bad, e, n + 1);
  VT_CHECK(load_kind(kind, bad, f) == VEIL_ERR_FORMAT && strstr(veil_error_detail(), "trailing"));
  free(e);
  put(bad, d, n);
  VT_OK(load_kind(kind, bad, f));
  veil_free(d);
}

static void test_malformed(void) {
  fx f;
  VT_OK(fx_init(&f, 10, 0.3));
  VT_OK(veil_he_keys_save(dir, &f.p, &f.cl, &f.sv));
  veil_he_tensor t;
  VT_OK(veil_he_encrypt(&f.p, &f.cl, x, NI, &t));
  VT_OK(veil_he_tensor_save(at("t.ct"), &f.cl.ctx, &t));
  veil_he_tensor_free(&t);
  corpus(0, "secret.key", &f);
  corpus(1, "eval.keys", &f);
  corpus(2, "t.ct", &f);
  /* garbage, an empty file, an old-format file */
  uint8_t g[4096];
  for (size_t i = 0; i < sizeof g; i++) g[i] = (uint8_t)(i * 131 + 7);
  const char *bad = at("bad");
  for (int kind = 0; kind < 3; kind++) {
    put(bad, g, sizeof g);
    VT_CHECK(clean(load_kind(kind, bad, &f), bad));
    put(bad, g, 0);
    VT_CHECK(clean(load_kind(kind, bad, &f), bad));
    put(bad, (const uint8_t *)"VEILHECT\1\0\0\0", 12);
    VT_CHECK(load_kind(kind, bad, &f) == VEIL_ERR_FORMAT && strstr(veil_error_detail(), "older veil file format"));
  }
  fx_free(&f);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/veil_he_io_XXXXXX");
  if (!mkdtemp(dir)) return 1;
  for (int i = 0; i < NI * 6; i++) x[i] = nt_uniform(0, 1);
  VT_RUN(test_round_trip);
  VT_RUN(test_refusals);
  VT_RUN(test_malformed);
  const char *names[] = {"secret.key", "eval.keys", "plan.txt", "in.ct", "out.ct", "a.ct", "t.ct", "bad"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) unlink(at(names[i]));
  rmdir(dir);
  VT_DONE();
}
