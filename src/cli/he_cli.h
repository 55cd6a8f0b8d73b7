/* Shared by the encrypted-inference commands (keygen, encrypt, infer, decrypt, run, eval --encrypted,
 * demo, bench cryptonets): model -> plan, inputs from .npy or a dataset, calibration, reports. */
#ifndef VEIL_HE_CLI_H
#define VEIL_HE_CLI_H

#include "cli_data.h"
#include "veil/he.h"

/** Options of the commands that pick parameters. */
#define VEIL_HE_PARAM_OPTS                                                                         \
  {"security", "S", "security level in bits: 128 (default), 192 or 256"},                         \
  {"logn", "L", "ring dimension 2^L (default: chosen from the plan)"},                            \
  {"scale-bits", "B", "log2 of the CKKS scale, 22..28 (default: largest that fits)"},             \
  {"batch", "N", "at least N images per ciphertext (raises the ring dimension)"},                   \
  {"calib", "N", "calibration images for the value ranges (default 1000)"},                       \
  {"test-insecure-logn", "L", "TESTS ONLY: ring 2^L without the security check"}

typedef struct he_model {
  veil_graph g;        /**< as loaded (the plaintext reference) */
  veil_graph opt;      /**< optimized */
  veil_he_plan plan;
  veil_prep prep;
  char prep_src[4096];
  char path[4096];
} he_model;

/** Loads, optimizes and compiles @p path (and its preprocessing when @p prep: the command declares
 * VEIL_CLI_PREP_OPTS); prints errors; returns an exit code. */
int veil__he_model_load(const veil_cli_args *a, const char *path, bool prep, he_model *m);
void veil__he_model_free(he_model *m);

/** Parses --security/--logn/--scale-bits into @p o (returns false after printing an error). */
bool veil__he_opts(const veil_cli_args *a, veil_he_opts *o);

/**
 * Chooses parameters: calibration on the first --calib images of the model's dataset (its sidecar
 * names it) or on @p x; honours --batch. Returns an exit code.
 */
int veil__he_choose(const veil_cli_args *a, he_model *m, const double *x, int64_t n);

/**
 * Inputs: --input X.npy (already preprocessed, [N, ...] or one image) or --dataset NAME [--count N]
 * (preprocessed by the sidecar; labels returned when @p labels is not NULL). @p x is veil_malloc'd.
 */
int veil__he_inputs(const veil_cli_args *a, he_model *m, int64_t max, double **x, int64_t *n, uint8_t **labels);

/** Preprocessed images [first, first+n) of a loaded dataset as float64. */
veil_status veil__he_dataset_x(const he_model *m, const veil_dataset *ds, int64_t first, int64_t n, double *x);

/** Loads the named dataset's test split (count 0 = all). Returns an exit code. */
int veil__he_dataset(const veil_cli_args *a, const char *name, int64_t count, veil_dataset *ds);

/** Prints "complex packing: ..." and the parameters to @p out. */
void veil__he_report_plan(const veil_he_plan *p, FILE *out);

/** Encrypted evaluation on a dataset (veil eval --encrypted). */
int veil__he_eval(veil_cli_args *a);

#endif

/** One full batch of the shipped CryptoNets on MNIST (veil demo, veil bench cryptonets). */
typedef struct he_cn_result {
  int64_t batch, correct, plain_correct, disagree;
  int logn, security;
  double log_qp, keygen_s, server_s, server_cpu_s, enc_s, dec_s, peak_rss_mb; /**< server_cpu_s: process CPU time */
  char complex_why[160];
} he_cn_result;

/** Runs it (@p logn 0: automatic; @p reps server runs, the median is reported). Prints errors. */
int veil__he_cryptonets(const char *cmd, int logn, int reps, he_cn_result *r);
