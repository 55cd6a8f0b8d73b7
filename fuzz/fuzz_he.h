/* Shared body of the HE file loader fuzz targets. A fixed small context (CKKS logN 10, insecure test
 * set) with one key pair; valid template files are written once. The first input byte picks the mode:
 * 0: the rest of the input is the whole file; 1: a template with the input overwriting it at an
 * offset (next 4 bytes); 2: a template truncated (next 4 bytes) then overwritten. Loaders may only
 * fail with FORMAT, MISMATCH, INSECURE or NOMEM (IO only if the temporary file vanished). */
#ifndef VEIL_FUZZ_HE_H
#define VEIL_FUZZ_HE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "veil/he.h"

typedef struct fuzz_he {
  veil_he_plan plan; /* parameters only: enough for the key file writers */
  veil_he_client cl;
  veil_he_server sv;
  char path[64], tmpl[3][64];
} fuzz_he;

static void fuzz_he_must(veil_status st) {
  if (st) fprintf(stderr, "fuzz setup: %s\n", veil_error_detail()), abort();
}

static fuzz_he *fuzz_he_get(void) {
  static fuzz_he f;
  static int ready;
  if (ready) return &f;
  veil_ckks_params_lit lit = {.logn = 10, .nq = 3, .q_bits = {30, 25, 25}, .np = 1, .p_bits = {30}, .log_scale = 25,
                              .insecure_test_only = true};
  char dir[] = "/tmp/veil_fuzz_he_XXXXXX";
  if (!mkdtemp(dir)) abort();
  fuzz_he_must(veil_ckks_params_resolve(&lit, &f.plan.params));
  f.plan.has_params = true, f.plan.nbase = 1, f.plan.lit = lit;
  f.plan.needs_relin = true;
  fuzz_he_must(veil_he_keygen(&f.plan, &f.cl, &f.sv));
  snprintf(f.path, sizeof f.path, "%s/in", dir);
  const char *names[3] = {"secret.key", "eval.keys", "t.ct"};
  for (int i = 0; i < 3; i++) snprintf(f.tmpl[i], sizeof f.tmpl[i], "%s/%s", dir, names[i]);
  fuzz_he_must(veil_he_client_save(f.tmpl[0], &f.plan, &f.cl));
  fuzz_he_must(veil_he_server_save(f.tmpl[1], &f.plan, &f.sv));
  veil_rlwe_pt pt;
  veil_he_tensor t = {.count = 2, .n_images = 3};
  t.ct = calloc(2, sizeof *t.ct);
  memcpy(t.key_id, f.cl.key_id, sizeof t.key_id);
  fuzz_he_must(veil_rlwe_pt_init(&f.cl.ctx, &pt, 2));
  pt.scale = 1 << 25;
  for (int i = 0; i < 2; i++) fuzz_he_must(veil_rlwe_encrypt_sk(&f.cl.ctx, &f.cl.sk, &pt, &t.ct[i]));
  fuzz_he_must(veil_he_tensor_save(f.tmpl[2], &f.cl.ctx, &t));
  veil_rlwe_pt_free(&pt);
  veil_he_tensor_free(&t);
  ready = 1;
  return &f;
}

static uint32_t fuzz_u32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* Writes the input file for @p data per the mode byte (template @p which). */
static void fuzz_he_file(fuzz_he *f, int which, const uint8_t *data, size_t size) {
  uint8_t *t = NULL;
  size_t tn = 0;
  if (size && data[0] % 3 && size >= 5) {
    if (veil_file_read(f->tmpl[which], (size_t)1 << 26, &t, &tn)) abort();
    uint32_t x = fuzz_u32(data + 1);
    if (data[0] % 3 == 2) tn = x % (tn + 1), x = 0;
    size_t off = tn ? x % tn : 0, k = size - 5 < tn - off ? size - 5 : tn - off;
    memcpy(t + off, data + 5, k);
  }
  FILE *o = fopen(f->path, "wb");
  if (!o) abort();
  if (t) fwrite(t, 1, tn, o);
  else if (size > 1) fwrite(data + 1, 1, size - 1, o);
  fclose(o);
  veil_free(t);
}

static void fuzz_he_verdict(veil_status st) {
  if (st != VEIL_OK && st != VEIL_ERR_FORMAT && st != VEIL_ERR_MISMATCH && st != VEIL_ERR_INSECURE &&
      st != VEIL_ERR_NOMEM)
    abort();
}

#endif
