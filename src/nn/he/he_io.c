/** @file he_io.c @brief Files of the client/server split (secret key, evaluation keys, encrypted
 * tensors) on the veil binary format; layout in include/veil/he.h. Frames are streamed through raw
 * file descriptors (no stdio buffers holding secrets), one object in memory at a time. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/he/he-impl.h"

enum { KIND_SECRET = 1, KIND_EVAL = 2, FLAG_RLK = 1, FLAG_CONJ = 2, HDR_MAX = 256 };

/* Re-raises the current error as @p st with the file name and @p what (may be "") in front. */
static veil_status in_file(const char *path, const char *what, veil_status st) {
  char d[512];
  snprintf(d, sizeof d, "%s", veil_error_detail());
  return veil_fail(st, "%s: %s%s", path, what, d);
}

/* ---- frame output: temporary file, frames, fsync, rename ------------------------------------------- */

typedef struct fout {
  const char *path;
  char *tmp;
  int fd;
  veil_wbuf w;   /**< the object being built; wiped and emptied after each frame */
  veil_status st;
} fout;

static bool write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k, n -= (size_t)k;
  }
  return true;
}

static veil_status fout_open(fout *f, const char *path, unsigned mode) {
  *f = (fout){.path = path, .fd = -1};
  veil_wbuf_init(&f->w);
  size_t n = strlen(path) + 16;
  if (!(f->tmp = malloc(n))) return f->st = veil_fail(VEIL_ERR_NOMEM, "%s: file name", path);
  snprintf(f->tmp, n, "%s.tmpXXXXXX", path);
  f->fd = mkstemp(f->tmp);
  if (f->fd < 0 || fchmod(f->fd, (mode_t)mode))
    f->st = veil_fail(VEIL_ERR_IO, "cannot create %s: %s", f->tmp, strerror(errno));
  return f->st;
}

/* Capacity for an object of @p n bytes before it is built (secret objects never reallocate). */
static void fout_reserve(fout *f, size_t n) {
  if (f->st || f->w.cap >= n) return;
  veil_memzero(f->w.data, f->w.cap);
  free(f->w.data);
  f->w = (veil_wbuf){.data = malloc(n), .cap = n};
  if (!f->w.data) f->w.cap = 0, f->w.failed = true;
}

/* Writes the object in f->w as one frame (u64 length, bytes), then wipes and empties the buffer. */
static void fout_frame(fout *f) {
  uint8_t len[8];
  for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)f->w.len >> (8 * i));
  if (!f->st && f->w.failed) f->st = veil_fail(VEIL_ERR_NOMEM, "%s: object buffer", f->path);
  if (!f->st && (!write_all(f->fd, len, 8) || !write_all(f->fd, f->w.data, f->w.len)))
    f->st = veil_fail(VEIL_ERR_IO, "writing %s: %s", f->path, strerror(errno));
  if (f->w.data) veil_memzero(f->w.data, f->w.len);
  f->w.len = 0;
}

static veil_status fout_close(fout *f) {
  bool ok = !f->st && f->fd >= 0 && fsync(f->fd) == 0;
  if (f->fd >= 0) ok = close(f->fd) == 0 && ok;
  ok = ok && rename(f->tmp, f->path) == 0;
  if (!ok && !f->st) f->st = veil_fail(VEIL_ERR_IO, "cannot write %s: %s", f->path, strerror(errno));
  if (!ok && f->fd >= 0) unlink(f->tmp);
  if (f->w.data) veil_memzero(f->w.data, f->w.cap);
  veil_wbuf_free(&f->w);
  free(f->tmp);
  return f->st;
}

/* ---- frame input ------------------------------------------------------------------------------------ */

typedef struct fin {
  const char *path;
  int fd;
  uint64_t left;   /**< bytes not yet read */
  uint8_t *buf;    /**< the current frame */
  size_t cap, len;
  bool secret;     /**< wipe buffers */
} fin;

static bool read_all(int fd, uint8_t *p, size_t n) {
  while (n) {
    ssize_t k = read(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k, n -= (size_t)k;
  }
  return true;
}

static veil_status fin_open(fin *f, const char *path, bool secret) {
  *f = (fin){.path = path, .secret = secret};
  struct stat sb;
  f->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (f->fd < 0 || fstat(f->fd, &sb) || !S_ISREG(sb.st_mode))
    return veil_fail(VEIL_ERR_IO, "cannot read %s: %s", path, f->fd < 0 ? strerror(errno) : "not a regular file");
  f->left = (uint64_t)sb.st_size;
  return VEIL_OK;
}

static void fin_drop(fin *f) {
  if (f->buf && f->secret) veil_memzero(f->buf, f->cap);
  veil_free(f->buf);
  f->buf = NULL, f->cap = 0;
}

/* Reads the next frame (at most @p max bytes) into *buf (grown as needed, capacity *cap), its length
 * into *len; @p what names it in errors. */
static veil_status fin_frame(fin *f, size_t max, const char *what, uint8_t **buf, size_t *cap, size_t *len) {
  uint8_t b[8];
  uint64_t n = 0;
  if (f->left < 8) return veil_fail(VEIL_ERR_FORMAT, "%s: truncated before %s", f->path, what);
  if (!read_all(f->fd, b, 8)) return veil_fail(VEIL_ERR_IO, "reading %s: %s", f->path, strerror(errno));
  f->left -= 8;
  for (int i = 0; i < 8; i++) n |= (uint64_t)b[i] << (8 * i);
  if (!memcmp(b, "VEILHE", 6))
    return veil_fail(VEIL_ERR_FORMAT, "%s: an older veil file format (before the versioned objects): make it again", f->path);
  if (n > f->left)
    return veil_fail(VEIL_ERR_FORMAT, "%s: truncated in %s (%llu bytes announced, %llu left)", f->path, what,
                     (unsigned long long)n, (unsigned long long)f->left);
  if (n > max) return veil_fail(VEIL_ERR_FORMAT, "%s: %s of %llu bytes (at most %zu)", f->path, what, (unsigned long long)n, max);
  if (n > *cap) {
    if (*buf && f->secret) veil_memzero(*buf, *cap);
    veil_free(*buf);
    *cap = 0;
    if (!(*buf = veil_malloc((size_t)n))) return veil_fail(VEIL_ERR_NOMEM, "%s: %s", f->path, what);
    *cap = (size_t)n;
  }
  if (!read_all(f->fd, *buf, (size_t)n)) return veil_fail(VEIL_ERR_IO, "reading %s: %s", f->path, strerror(errno));
  f->left -= n, *len = (size_t)n;
  return VEIL_OK;
}

static veil_status fin_next(fin *f, size_t max, const char *what) {
  return fin_frame(f, max, what, &f->buf, &f->cap, &f->len);
}

/* Closes; a successful read must have consumed the whole file. */
static veil_status fin_close(fin *f, veil_status st) {
  if (!st && f->left) st = veil_fail(VEIL_ERR_FORMAT, "%s: %llu trailing bytes", f->path, (unsigned long long)f->left);
  fin_drop(f);
  if (f->fd >= 0) close(f->fd);
  return st;
}

/* Largest object of each kind for a context (bounds the frames before anything is allocated). */
static size_t poly_bytes(const veil_rlwe_ctx *c, int limbs) { return (size_t)limbs * c->n * 8; }
static size_t max_ct(const veil_rlwe_ctx *c) { return HDR_MAX + 3 * poly_bytes(c, c->nq); }
static size_t max_swk(const veil_rlwe_ctx *c) { return HDR_MAX + (size_t)c->dnum * poly_bytes(c, c->nq + c->np); }
static size_t max_sk(const veil_rlwe_ctx *c) { return HDR_MAX + poly_bytes(c, c->nq + c->np); }

/* ---- parameters --------------------------------------------------------------------------------------- */

/* The literal that resolves to @p s: prime sizes rounded from the primes (scale primes sit within a
 * fraction of a bit of 2^log_scale, the others just below 2^bits); resolving it must give exactly
 * these primes, so the plan rebuilt from the literal runs under the file's parameters. */
static veil_status lit_of(const char *path, const veil_rlwe_paramset *s, veil_ckks_params_lit *l) {
  memset(l, 0, sizeof *l);
  if (s->nq > VEIL_CKKS_MAX_Q || s->np > VEIL_CKKS_MAX_P)
    return veil_fail(VEIL_ERR_FORMAT, "%s: %d + %d primes, more than CKKS allows", path, s->nq, s->np);
  *l = (veil_ckks_params_lit){.logn = s->logn, .nq = s->nq, .np = s->np, .dnum = s->dnum, .log_scale = s->log_scale,
                              .secret = s->hamming_weight ? VEIL_SECRET_SPARSE : VEIL_SECRET_TERNARY,
                              .hamming_weight = s->hamming_weight, .security = s->security,
                              .insecure_test_only = s->insecure};
  for (int i = 0; i < s->nq; i++) l->q_bits[i] = (int)lround(log2((double)s->q[i]));
  for (int i = 0; i < s->np; i++) l->p_bits[i] = (int)lround(log2((double)s->p[i]));
  veil_ckks_params cp;
  veil_status st = veil_ckks_params_resolve(l, &cp);
  if (st) return in_file(path, "not a CKKS parameter set: ", VEIL_ERR_FORMAT);
  if (memcmp(cp.fingerprint, s->fingerprint, sizeof cp.fingerprint))
    return veil_fail(VEIL_ERR_FORMAT, "%s: the primes are not the ones veil chooses for these sizes", path);
  return VEIL_OK;
}

static veil_status params_read(fin *f, veil_ckks_params_lit *lit, veil_rlwe_ctx *ctx) {
  veil_rlwe_paramset s;
  veil_rlwe_params rp;
  VEIL_TRY(fin_next(f, HDR_MAX + 16 * VEIL_RLWE_MAX_PRIMES, "the parameters"));
  veil_status st = veil_rlwe_params_load(f->buf, f->len, &s);
  if (st) return in_file(f->path, "", st);
  VEIL_TRY(lit_of(f->path, &s, lit));
  veil_rlwe_paramset_view(&s, &rp);
  return veil_rlwe_ctx_init(ctx, &rp);
}

/* ---- key files ---------------------------------------------------------------------------------------- */

typedef struct keyhdr {
  uint32_t kind, flags;
  int nbase;
  uint8_t model_fp[32], key_id[VEIL_HE_KEYID_BYTES];
} keyhdr;

static void keyhdr_write(veil_wbuf *w, const uint8_t fp[VEIL_RLWE_FP_BYTES], const keyhdr *h) {
  veil_rlwe_header_write(w, VEIL_OBJ_HE_KEYS, fp);
  veil_wbuf_u32(w, h->kind), veil_wbuf_u32(w, (uint32_t)h->nbase);
  veil_wbuf_bytes(w, h->model_fp, 32), veil_wbuf_bytes(w, h->key_id, VEIL_HE_KEYID_BYTES);
  veil_wbuf_u32(w, h->flags);
}

static const char *kind_name(uint32_t k) { return k == KIND_SECRET ? "a secret key" : "evaluation keys"; }

static veil_status keyhdr_read(fin *f, const veil_rlwe_ctx *c, uint32_t kind, keyhdr *h) {
  veil_rbuf r;
  uint32_t nbase;
  VEIL_TRY(fin_next(f, HDR_MAX, "the key header"));
  veil_rbuf_init(&r, f->buf, f->len);
  veil_status st = veil_rlwe_header_read(&r, VEIL_OBJ_HE_KEYS, c->fingerprint);
  if (st) return in_file(f->path, "", st);
  if (!veil_rbuf_u32(&r, &h->kind) || !veil_rbuf_u32(&r, &nbase) || !veil_rbuf_bytes(&r, h->model_fp, 32) ||
      !veil_rbuf_bytes(&r, h->key_id, VEIL_HE_KEYID_BYTES) || !veil_rbuf_u32(&r, &h->flags) || veil_rbuf_left(&r))
    return veil_fail(VEIL_ERR_FORMAT, "%s: key header of %zu bytes is malformed", f->path, f->len);
  if (h->kind != kind)
    return veil_fail(VEIL_ERR_MISMATCH, "%s: holds %s (kind %u), expected %s", f->path, kind_name(h->kind), h->kind,
                     kind_name(kind));
  if (nbase < 1 || nbase > (uint32_t)c->nq)
    return veil_fail(VEIL_ERR_FORMAT, "%s: %u base primes outside [1, %d]", f->path, nbase, c->nq);
  uint32_t allowed = kind == KIND_EVAL ? FLAG_RLK | FLAG_CONJ : 0;
  if (h->flags & ~allowed) return veil_fail(VEIL_ERR_FORMAT, "%s: unknown key flags 0x%x", f->path, h->flags);
  h->nbase = (int)nbase;
  return VEIL_OK;
}

/* Opens a key file: parameters (into lit and the context), then the key header. */
static veil_status key_open(fin *f, const char *path, uint32_t kind, veil_ckks_params_lit *lit, veil_rlwe_ctx *ctx,
                            keyhdr *h) {
  VEIL_TRY(fin_open(f, path, kind == KIND_SECRET));
  VEIL_TRY(params_read(f, lit, ctx));
  return keyhdr_read(f, ctx, kind, h);
}

static void key_begin(fout *f, const veil_he_plan *p, const veil_rlwe_ctx *c, const keyhdr *h) {
  veil_rlwe_paramset s;
  veil_ckks_params_paramset(&p->params, &s);
  veil_rlwe_params_save(&s, &f->w);
  fout_frame(f);
  keyhdr_write(&f->w, c->fingerprint, h);
  fout_frame(f);
}

static veil_status need_params(const veil_he_plan *p) {
  return p->has_params ? VEIL_OK : veil_fail(VEIL_ERR_INVALID_ARG, "he key files: plan without parameters");
}

veil_status veil_he_client_save(const char *path, const veil_he_plan *p, const veil_he_client *cl) {
  VEIL_TRY(need_params(p));
  keyhdr h = {.kind = KIND_SECRET, .nbase = p->nbase};
  memcpy(h.model_fp, p->model_fp, 32), memcpy(h.key_id, cl->key_id, VEIL_HE_KEYID_BYTES);
  fout f;
  if (!fout_open(&f, path, 0600)) {
    key_begin(&f, p, &cl->ctx, &h);
    fout_reserve(&f, max_sk(&cl->ctx));
    veil_rlwe_sk_save(&cl->ctx, &cl->sk, &f.w);
    fout_frame(&f);
  }
  return fout_close(&f);
}

veil_status veil_he_server_save(const char *path, const veil_he_plan *p, const veil_he_server *sv) {
  VEIL_TRY(need_params(p));
  keyhdr h = {.kind = KIND_EVAL, .nbase = p->nbase, .flags = (sv->has_rlk ? FLAG_RLK : 0) | (sv->has_conj ? FLAG_CONJ : 0)};
  memcpy(h.model_fp, p->model_fp, 32), memcpy(h.key_id, sv->key_id, VEIL_HE_KEYID_BYTES);
  fout f;
  if (!fout_open(&f, path, 0644)) {
    key_begin(&f, p, &sv->ctx, &h);
    if (sv->has_rlk) veil_rlwe_swk_save(&sv->ctx, &sv->rlk, &f.w), fout_frame(&f);
    if (sv->has_conj) veil_rlwe_swk_save(&sv->ctx, &sv->conj, &f.w), fout_frame(&f);
  }
  return fout_close(&f);
}

veil_status veil_he_keys_save(const char *dir, const veil_he_plan *p, const veil_he_client *cl, const veil_he_server *sv) {
  char path[4096];
  snprintf(path, sizeof path, "%s/secret.key", dir);
  VEIL_TRY(veil_he_client_save(path, p, cl));
  snprintf(path, sizeof path, "%s/eval.keys", dir);
  VEIL_TRY(veil_he_server_save(path, p, sv));
  snprintf(path, sizeof path, "%s/plan.txt", dir);
  FILE *f = fopen(path, "w");
  if (!f) return veil_fail(VEIL_ERR_IO, "cannot write %s", path);
  veil_he_plan_print(p, f);
  return fclose(f) ? veil_fail(VEIL_ERR_IO, "writing %s", path) : VEIL_OK;
}

static void key_out(const keyhdr *h, int *nbase, uint8_t model_fp[32], uint8_t key_id[VEIL_HE_KEYID_BYTES]) {
  *nbase = h->nbase;
  memcpy(model_fp, h->model_fp, 32), memcpy(key_id, h->key_id, VEIL_HE_KEYID_BYTES);
}

veil_status veil_he_client_load(const char *path, veil_ckks_params_lit *lit, int *nbase, uint8_t model_fp[32], veil_he_client *cl) {
  memset(cl, 0, sizeof *cl);
  fin f;
  keyhdr h;
  veil_status st = key_open(&f, path, KIND_SECRET, lit, &cl->ctx, &h);
  if (!st) st = fin_next(&f, max_sk(&cl->ctx), "the secret key");
  if (!st && (st = veil_rlwe_sk_load(&cl->ctx, f.buf, f.len, &cl->sk))) st = in_file(path, "", st);
  st = fin_close(&f, st);
  if (!st) key_out(&h, nbase, model_fp, cl->key_id);
  veil_memzero(&h, sizeof h);
  if (st) veil_he_client_free(cl);
  return st;
}

static veil_status swk_next(fin *f, const veil_rlwe_ctx *c, bool conj, veil_rlwe_swk *k) {
  const char *what = conj ? "the conjugation key" : "the relinearization key";
  VEIL_TRY(fin_next(f, max_swk(c), what));
  veil_status st = veil_rlwe_swk_load(c, f->buf, f->len, k);
  if (st) return in_file(f->path, "", st);
  if (k->galois != (conj ? veil_rlwe_galois_conj(c) : 0))
    st = veil_fail(VEIL_ERR_FORMAT, "%s: %s has Galois element %llu", f->path, what, (unsigned long long)k->galois);
  if (st) veil_rlwe_swk_free(k);
  return st;
}

veil_status veil_he_server_load(const char *path, veil_ckks_params_lit *lit, int *nbase, uint8_t model_fp[32], veil_he_server *sv) {
  memset(sv, 0, sizeof *sv);
  fin f;
  keyhdr h;
  veil_status st = key_open(&f, path, KIND_EVAL, lit, &sv->ctx, &h);
  if (!st && (h.flags & FLAG_RLK) && !(st = swk_next(&f, &sv->ctx, false, &sv->rlk))) sv->has_rlk = true;
  if (!st && (h.flags & FLAG_CONJ) && !(st = swk_next(&f, &sv->ctx, true, &sv->conj))) sv->has_conj = true;
  st = fin_close(&f, st);
  if (!st) key_out(&h, nbase, model_fp, sv->key_id);
  if (st) veil_he_server_free(sv);
  return st;
}

/* ---- tensor files ------------------------------------------------------------------------------------- */

veil_status veil_he_tensor_save(const char *path, const veil_rlwe_ctx *ctx, const veil_he_tensor *t) {
  fout f;
  if (!fout_open(&f, path, 0644)) {
    veil_rlwe_header_write(&f.w, VEIL_OBJ_HE_TENSOR, ctx->fingerprint);
    veil_wbuf_bytes(&f.w, t->key_id, VEIL_HE_KEYID_BYTES), veil_wbuf_bytes(&f.w, t->model_fp, 32);
    veil_wbuf_u64(&f.w, (uint64_t)t->count), veil_wbuf_u64(&f.w, (uint64_t)t->n_images);
    veil_wbuf_u8(&f.w, t->complex_packing);
    fout_frame(&f);
    for (int64_t i = 0; i < t->count && !f.st; i++) veil_rlwe_ct_save(ctx, &t->ct[i], &f.w), fout_frame(&f);
  }
  return fout_close(&f);
}

typedef struct tenshdr {
  uint8_t fp[VEIL_RLWE_FP_BYTES], key_id[VEIL_HE_KEYID_BYTES], model_fp[32], cplx;
  uint64_t count, images;
} tenshdr;

static veil_status tenshdr_read(fin *f, tenshdr *h) {
  veil_rbuf r;
  VEIL_TRY(fin_next(f, HDR_MAX, "the tensor header"));
  veil_rbuf_init(&r, f->buf, f->len);
  veil_status st = veil_rlwe_header_peek(&r, VEIL_OBJ_HE_TENSOR, h->fp);
  if (st) return in_file(f->path, "", st);
  if (!veil_rbuf_bytes(&r, h->key_id, sizeof h->key_id) || !veil_rbuf_bytes(&r, h->model_fp, 32) ||
      !veil_rbuf_u64(&r, &h->count) || !veil_rbuf_u64(&r, &h->images) || !veil_rbuf_u8(&r, &h->cplx) || veil_rbuf_left(&r))
    return veil_fail(VEIL_ERR_FORMAT, "%s: tensor header of %zu bytes is malformed", f->path, f->len);
  return VEIL_OK;
}

/* The header against what the reader holds; counts against the context and the file size. */
static veil_status tenshdr_check(const fin *f, const tenshdr *h, const veil_rlwe_ctx *ctx, const uint8_t *key_id,
                                 const uint8_t *model_fp) {
  if (memcmp(h->fp, ctx->fingerprint, sizeof h->fp))
    return veil_fail(VEIL_ERR_MISMATCH, "%s: made under other parameters (fingerprint differs from the keys')", f->path);
  if (memcmp(h->key_id, key_id, sizeof h->key_id))
    return veil_fail(VEIL_ERR_MISMATCH, "%s: made under other keys (key id differs)", f->path);
  if (model_fp && memcmp(h->model_fp, model_fp, 32))
    return veil_fail(VEIL_ERR_MISMATCH, "%s: made for another model (model fingerprint differs from the keys')", f->path);
  if (h->cplx > 1) return veil_fail(VEIL_ERR_FORMAT, "%s: complex packing flag %u is not 0 or 1", f->path, h->cplx);
  uint64_t most = h->cplx ? ctx->n : ctx->n / 2;
  if (h->images < 1 || h->images > most)
    return veil_fail(VEIL_ERR_FORMAT, "%s: %llu images outside [1, %llu]", f->path, (unsigned long long)h->images,
                     (unsigned long long)most);
  if (h->count < 1 || h->count > f->left / (8 + 44)) /* each ciphertext frame holds at least a length and a header */
    return veil_fail(VEIL_ERR_FORMAT, "%s: %llu ciphertexts do not fit the %llu bytes left", f->path,
                     (unsigned long long)h->count, (unsigned long long)f->left);
  return VEIL_OK;
}

/* Ciphertexts read per parallel step: frames are read in order, then loaded (and their seeds expanded)
 * on all threads. Memory: CT_CHUNK frames. */
enum { CT_CHUNK = 32 };

typedef struct ct_chunk {
  uint8_t *buf[CT_CHUNK];
  size_t cap[CT_CHUNK], len[CT_CHUNK];
} ct_chunk;

/* Loads @p k frames of @p ch into ct[0..k); on failure the first failing one is reloaded on this
 * thread for its error detail (details are per thread). */
static veil_status ct_chunk_load(const fin *f, const veil_rlwe_ctx *ctx, ct_chunk *ch, int k, uint64_t first, veil_rlwe_ct *ct) {
  veil_status st[CT_CHUNK];
#pragma omp parallel for num_threads(veil_threads()) schedule(dynamic)
  for (int j = 0; j < k; j++) st[j] = veil_rlwe_ct_load(ctx, ch->buf[j], ch->len[j], &ct[j]);
  for (int j = 0; j < k; j++) {
    if (!st[j]) continue;
    char what[48];
    snprintf(what, sizeof what, "ciphertext %llu: ", (unsigned long long)(first + (uint64_t)j));
    veil_rlwe_ct again;
    if (!veil_rlwe_ct_load(ctx, ch->buf[j], ch->len[j], &again)) veil_rlwe_ct_free(&again);
    return in_file(f->path, what, st[j]);
  }
  return VEIL_OK;
}

static veil_status tensor_cts(fin *f, const veil_rlwe_ctx *ctx, uint64_t count, veil_he_tensor *t) {
  ct_chunk ch = {0};
  veil_status st = VEIL_OK;
  for (uint64_t i = 0; !st && i < count; i += CT_CHUNK) {
    int k = count - i < CT_CHUNK ? (int)(count - i) : CT_CHUNK;
    for (int j = 0; !st && j < k; j++) st = fin_frame(f, max_ct(ctx), "a ciphertext", &ch.buf[j], &ch.cap[j], &ch.len[j]);
    if (!st) st = ct_chunk_load(f, ctx, &ch, k, i, &t->ct[i]);
    t->count = (int64_t)(i + (uint64_t)k);
  }
  for (int j = 0; j < CT_CHUNK; j++) veil_free(ch.buf[j]);
  return st;
}

static veil_status tensor_read(fin *f, const veil_rlwe_ctx *ctx, const uint8_t *key_id, const uint8_t *model_fp,
                               veil_he_tensor *t) {
  tenshdr h;
  VEIL_TRY(tenshdr_read(f, &h));
  VEIL_TRY(tenshdr_check(f, &h, ctx, key_id, model_fp));
  if (!(t->ct = veil_calloc((size_t)h.count, sizeof *t->ct)))
    return veil_fail(VEIL_ERR_NOMEM, "%s: %llu ciphertexts", f->path, (unsigned long long)h.count);
  t->n_images = (int64_t)h.images, t->complex_packing = h.cplx;
  memcpy(t->key_id, h.key_id, sizeof t->key_id), memcpy(t->model_fp, h.model_fp, 32);
  return tensor_cts(f, ctx, h.count, t);
}

veil_status veil_he_tensor_load_checked(const char *path, const veil_rlwe_ctx *ctx, const uint8_t key_id[VEIL_HE_KEYID_BYTES],
                                        const uint8_t model_fp[32], veil_he_tensor *t) {
  memset(t, 0, sizeof *t);
  fin f;
  veil_status st = fin_open(&f, path, false);
  if (!st) st = tensor_read(&f, ctx, key_id, model_fp, t);
  st = fin_close(&f, st);
  if (st) veil_he_tensor_free(t);
  return st;
}

veil_status veil_he_tensor_load(const char *path, const veil_rlwe_ctx *ctx, const uint8_t key_id[VEIL_HE_KEYID_BYTES], veil_he_tensor *t) {
  return veil_he_tensor_load_checked(path, ctx, key_id, NULL, t);
}
