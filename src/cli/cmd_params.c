/* veil params: automatic CKKS parameter selection and key sizes. */
#include <stdio.h>

#include "cli.h"
#include "veil/ckks_params.h"

static const veil_cli_opt opts[] = {
    {"depth", "D", "multiplicative depth (rescalings), 0..63"},
    {"scale-bits", "S", "log2 of the scale, 20..59 (default 40)"},
    {"slots", "K", "complex slots needed (default 1: smallest N)"},
    {"precision", "B", "bits before the point kept at level 0: q_0 = S + B, max 60 (default 20)"},
    {"security", "BITS", "128 (default), 192 or 256"},
    {"json", NULL, "print one JSON object"},
    {0}};

static const char desc[] =
    "Chooses the smallest ring degree N (N >= 2 * slots) whose modulus chain fits the security\n"
    "bound (Homomorphic Encryption Standard 2018 table): q_0 of S + B bits, D primes near 2^S and\n"
    "special primes of max(q) bits, with the fewest key-switching digits (dnum) that fit.\n"
    "Key sizes are at the top level; 'seeded' stores the uniform halves as a 32-byte seed.";

static double mb(uint64_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

static void bits_array(veil_json *j, const char *key, const uint64_t *v, int n) {
  veil_json_array_begin(j, key);
  for (int i = 0; i < n; i++)
    veil_json_array_int(j, 64 - __builtin_clzll(v[i]));
  veil_json_array_end(j);
}

static void print_json(const veil_ckks_params *p, int slots, const char *bound_text) {
  veil_ckks_key_sizes ks;
  veil_ckks_params_key_sizes(p, &ks);
  char fp[2 * VEIL_CKKS_FINGERPRINT_BYTES + 1];
  for (int i = 0; i < VEIL_CKKS_FINGERPRINT_BYTES; i++)
    snprintf(fp + 2 * i, 3, "%02x", p->fingerprint[i]);
  veil_json j;
  veil_json_begin(&j, stdout);
  veil_json_int(&j, "logn", p->logn);
  veil_json_int(&j, "n", (int64_t)p->n);
  veil_json_int(&j, "slots", slots);
  veil_json_int(&j, "max_slots", (int64_t)p->max_slots);
  veil_json_int(&j, "depth", p->nq - 1);
  veil_json_int(&j, "log_scale", p->log_scale);
  bits_array(&j, "q_bits", p->q, p->nq);
  bits_array(&j, "p_bits", p->p, p->np);
  veil_json_int(&j, "dnum", p->dnum);
  veil_json_num(&j, "log_qp", p->log_qp);
  veil_json_int(&j, "bound", p->qp_bound);
  veil_json_int(&j, "security", p->security);
  veil_json_str(&j, "bound_text", bound_text);
  veil_json_num(&j, "pk_mb", mb(ks.pk));
  veil_json_num(&j, "pk_seeded_mb", mb(ks.pk_seeded));
  veil_json_num(&j, "rlk_mb", mb(ks.rlk));
  veil_json_num(&j, "rlk_seeded_mb", mb(ks.rlk_seeded));
  veil_json_num(&j, "galois_mb", mb(ks.galois));
  veil_json_num(&j, "galois_seeded_mb", mb(ks.galois_seeded));
  veil_json_str(&j, "fingerprint", fp);
  veil_json_end(&j);
}

static void print_text(const veil_ckks_params *p, int slots, const char *bound_text) {
  veil_ckks_key_sizes ks;
  veil_ckks_params_key_sizes(p, &ks);
  char line[1024];
  printf("%s\n", veil_ckks_params_describe(p, line, sizeof line));
  printf("slots used      %d of %zu\n", slots, p->max_slots);
  printf("log2(QP)        %.1f <= %s\n", p->log_qp, bound_text);
  printf("public key      %8.2f MiB (seeded %.2f MiB)\n", mb(ks.pk), mb(ks.pk_seeded));
  printf("relin key       %8.2f MiB (seeded %.2f MiB)\n", mb(ks.rlk), mb(ks.rlk_seeded));
  printf("one Galois key  %8.2f MiB (seeded %.2f MiB)\n", mb(ks.galois), mb(ks.galois_seeded));
}

static int run(veil_cli_args *a) {
  int64_t depth = -1, scale = 40, slots = 1, prec = 20, sec = 128;
  if (!veil_cli_int(a, "depth", 0, 100000, &depth) || !veil_cli_int(a, "scale-bits", 0, 1000, &scale) ||
      !veil_cli_int(a, "slots", 1, 1 << 30, &slots) || !veil_cli_int(a, "precision", 0, 1000, &prec) ||
      !veil_cli_int(a, "security", 0, 1000, &sec))
    return 2;
  if (depth < 0)
    return veil_cli_usage_error(a, "--depth is required");
  veil_ckks_params_lit lit;
  veil_status st = veil_ckks_params_select((int)depth, (int)scale, (int)prec, (int)slots, (int)sec, &lit);
  veil_ckks_params p;
  if (!st)
    st = veil_ckks_params_resolve(&lit, &p);
  if (st)
    return veil_cli_fail(a, st);
  int used = 1;
  while (used < slots)
    used <<= 1;
  char bound_text[96];
  snprintf(bound_text, sizeof bound_text, "%d at %d-bit for N=2^%d", p.qp_bound, p.security, p.logn);
  if (veil_cli_has(a, "json"))
    print_json(&p, used, bound_text);
  else
    print_text(&p, used, bound_text);
  return 0;
}

VEIL_CLI_COMMAND(params, "params", "choose CKKS parameters for a depth, scale and slot count",
                 "veil params --depth D [--scale-bits S] [--slots K] [--precision B] "
                 "[--security 128|192|256] [--json]",
                 desc, opts, run)
