/**
 * @file he.h
 * @brief Encrypted inference with batch packing (nGraph-HE2 style): a graph is compiled into a CKKS
 *        plan in which slot i of every ciphertext holds image i and each tensor element is one
 *        ciphertext. Layer nn (it sees ckks and rlwe below it).
 *
 * Compilation (veil_he_plan_compile) cuts the graph into steps:
 *  - LINEAR: every maximal region of linear nodes (conv, dense, pools, affine, batchnorm, flatten,
 *    reshape, pad, slice, concat, adds of one region) becomes one sparse affine map out = W x + b,
 *    extracted exactly with the float64 executor on basis vectors. Chains of linear layers therefore
 *    cost one level; zero weights are skipped (activation sparsification).
 *  - POLY: c0 + c1 x + c2 x^2 (SQUARE is 0, 0, 1). When x is the exclusive output of a LINEAR step,
 *    sqrt|c2| is folded into that step's rows so the square itself needs no constant multiply:
 *    depth 1 for any degree-2 polynomial.
 *  - ADD: residual adds between regions (levels aligned by dropping limbs, scales made equal).
 *  - NORM: relinearize (size 3 -> 2) and rescale pending values (inserted by the scheduler).
 *
 * Scheduling: a POLY output is left lazy (size 3, scale Delta^2, not rescaled); the LINEAR step
 * after it multiply-accumulates on the three components and relinearizes and rescales once per
 * output (lazy relinearization and lazy rescaling). Every LINEAR output has scale exactly Delta =
 * 2^log_scale: its integer weights round(w * Delta_w) use Delta_w = Delta * (dropped primes) / scale_in
 * (depth-aware encoding; biases are encoded at the pre-rescale scale and level).
 *
 * Ciphertext x scalar products use integer weights (|w * Delta_w| < 2^31) applied to residues of
 * primes < 2^31 with int64 accumulation over many products and one reduction per output
 * (veil__he_mac; an AVX-512 variant is picked at run time).
 */
#ifndef VEIL_HE_H
#define VEIL_HE_H

#include "veil/ckks_params.h"
#include "veil/nn.h"
#include "veil/rlwe.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A sparse affine map out[j] = sum_k w[k] in[col[k]] + b[j], k in [row[j], row[j+1]). */
typedef struct veil_he_lin {
  int64_t nin, nout, nnz;
  int64_t *row; /**< nout + 1 */
  int32_t *col; /**< nnz */
  double *w;    /**< nnz */
  double *b;    /**< nout */
} veil_he_lin;

typedef enum veil_he_kind {
  VEIL_HE_LINEAR = 0,
  VEIL_HE_POLY = 1,
  VEIL_HE_ADD = 2,
  VEIL_HE_NORM = 3,
  VEIL_HE_CLIENT = 4, /**< client-aided mode: an activation the client evaluates (one round trip) */
} veil_he_kind;

/** Activation of a CLIENT step. */
typedef enum veil_he_act {
  VEIL_HE_ACT_RELU = 0,    /**< max(x, 0) per element */
  VEIL_HE_ACT_CLIP = 1,    /**< min(max(x, lo), hi) per element (sent unmasked: see docs/service.md) */
  VEIL_HE_ACT_MAXPOOL = 2, /**< max over each window of `group` inputs */
} veil_he_act;

/** One step of a plan; every step reads value(s) and writes a new value. */
typedef struct veil_he_step {
  veil_he_kind kind;
  int in[2];            /**< input value ids (in[1] only for ADD) */
  int out;              /**< output value id */
  int node;             /**< graph node whose output this step produces */
  veil_he_lin lin;      /**< LINEAR */
  double c[3];          /**< POLY coefficients c0, c1, c2 (c2 in {-1, 0, 1} after folding) */
  /* schedule (veil_he_plan_schedule) */
  bool relin;           /**< LINEAR / NORM: relinearize outputs (input has 3 components) */
  int nrescale;         /**< LINEAR / NORM: rescales at the end */
  double wscale;        /**< LINEAR: Delta_w */
  int32_t *wi;          /**< LINEAR: integer weights round(w * wscale), nnz (set with parameters) */
  int mac_chunk;        /**< LINEAR: products accumulated before a reduction */
  /* client-aided mode (zero otherwise) */
  veil_he_act act;      /**< CLIENT: the activation */
  double clip[2];       /**< CLIENT, VEIL_HE_ACT_CLIP: lo, hi */
  int group;            /**< CLIENT: inputs per output (window size for max pooling, else 1) */
  int32_t *gather;      /**< CLIENT max pooling: nout * group input indices (short windows repeat one) */
  int round;            /**< the round (0-based segment between CLIENT steps) the step runs in */
} veil_he_step;

/** A tensor of ciphertexts (one per element) as scheduled. */
typedef struct veil_he_value {
  int64_t count;  /**< ciphertexts */
  int depth;      /**< rescales done before it (its level is top - depth) */
  int size;       /**< components: 2, or 3 when relinearization is pending */
  int pending;    /**< rescales pending (lazy): 0 or 1 */
  bool exact;     /**< scale is exactly Delta (the input and LINEAR outputs) */
  double scale;   /**< exact scale (after veil_he_plan_set_params) */
} veil_he_value;

/** Choices for compilation and parameter selection. Zero-initialize for the defaults. */
typedef struct veil_he_opts {
  int security;          /**< 128 (default), 192 or 256 */
  int logn;              /**< 0: automatic */
  int log_scale;         /**< 0: automatic (largest that fits, 22..28) */
  int precision_bits;    /**< 0: from calibration (max |value| of every step) */
  bool insecure_test_only; /**< allow small rings (tests) */
  bool no_lazy_relin;    /**< relinearize every square (for comparison) */
  bool client_aided;     /**< ReLU / Clip / MaxPool become CLIENT steps (rounds with the client) */
  int mask_bits;         /**< client-aided: masks r = 2^u, u uniform in [-mask_bits/2, mask_bits/2]; 0: 2 */
} veil_he_opts;

/** A compiled plan. */
typedef struct veil_he_plan {
  int nsteps, cap;
  veil_he_step *steps;
  int nvalues, vcap;
  veil_he_value *values;
  int input, output;      /**< value ids */
  int in_shape_ndim;
  int64_t in_shape[4];
  int depth;              /**< rescales along the longest path */
  bool needs_relin;       /**< a square is evaluated */
  int npoly;              /**< POLY steps */
  /* parameters (veil_he_plan_set_params) */
  bool has_params;
  veil_ckks_params params;
  veil_ckks_params_lit lit;
  int nbase;              /**< primes never dropped (q_0 .. q_{nbase-1}) */
  bool complex_packing;   /**< two images per slot (real, imaginary) */
  double complex_cost;    /**< estimated cost factor of complex packing per image (< 1 is a win) */
  char complex_why[160];  /**< human reason for the decision */
  double max_abs;         /**< largest |value| seen in calibration (0 if none) */
  uint8_t model_fp[32];   /**< BLAKE2b of the graph */
  bool client_aided;      /**< compiled with veil_he_opts.client_aided */
  int nrounds;            /**< CLIENT steps (round trips with the client) */
  int mask_bits;          /**< client-aided mask range (see veil_he_opts) */
} veil_he_plan;

/**
 * Compiles an optimized graph (veil_graph_optimize first) into a plan (structure only; no
 * parameters). @p plan is initialized here.
 * With o->client_aided, ReLU / Clip / MaxPool become CLIENT steps (see veil_he_aided_start) and
 * identity LINEAR steps are inserted so that every value sent to the client, every residual-add
 * input and the output are computed in the round that uses them (fresh masks per round).
 * @return VEIL_OK; VEIL_ERR_UNSUPPORTED for ReLU / Clip / MaxPool without client_aided ("client-aided
 *         mode or polynomial approximation"), squares with client_aided, polynomials of degree > 2, products of two different tensors,
 *         or a linear map too large to extract; VEIL_ERR_FORMAT (graph without shapes); NOMEM.
 */
VEIL_WUR veil_status veil_he_plan_compile(const veil_graph *g, const veil_he_opts *o, veil_he_plan *plan);
void veil_he_plan_free(veil_he_plan *plan);

/**
 * Runs the plan in float64 (no encryption, exact real arithmetic, float64 weights) on @p n images
 * @p x (n * input count values, image-major) into @p y (n * output count). Optionally records the
 * largest |value| of every step in @p max_abs (NULL to skip). For tests of the compiler and for
 * calibration. Errors: NOMEM.
 */
VEIL_WUR veil_status veil_he_plan_simulate(const veil_he_plan *plan, const double *x, int64_t n, double *y,
                                           double *max_abs);

/**
 * Chooses CKKS parameters for the plan: log_scale, base primes from the precision needed (largest
 * |value| over calibration images @p calib, n_calib of them; or o->precision_bits), ring degree and
 * the security bound, then calls veil_he_plan_set_params().
 * Errors: VEIL_ERR_INSECURE (no ring fits), VEIL_ERR_INVALID_ARG, NOMEM.
 */
VEIL_WUR veil_status veil_he_plan_choose(veil_he_plan *plan, const veil_he_opts *o, const double *calib,
                                         int64_t n_calib);

/**
 * Fixes the parameters (from veil_he_plan_choose, or read from a key file): resolves @p lit, computes
 * every exact scale, the integer weights and their accumulation bound, the complex-packing decision.
 * Errors: VEIL_ERR_INVALID_ARG / INSECURE (resolve), VEIL_ERR_PRECISION (a weight too large for the
 * integer encoding), VEIL_ERR_UNSUPPORTED (a prime >= 2^31).
 */
VEIL_WUR veil_status veil_he_plan_set_params(veil_he_plan *plan, const veil_ckks_params_lit *lit, int nbase);

/** Images per batch (slots; twice with complex packing). Requires parameters. */
int64_t veil_he_plan_batch(const veil_he_plan *plan);

/** Prints the plan (steps, levels, scales, parameters, complex packing decision). */
void veil_he_plan_print(const veil_he_plan *plan, FILE *out);

/** BLAKE2b-256 of a graph's structure and constants (identifies the model in key files). */
void veil_he_graph_fingerprint(const veil_graph *g, uint8_t out[32]);

/* ---- keys and encrypted execution ------------------------------------------------------------ */

#define VEIL_HE_KEYID_BYTES 16

/** The client's material: context, secret key, key id. */
typedef struct veil_he_client {
  veil_rlwe_ctx ctx;
  veil_rlwe_sk sk;
  uint8_t key_id[VEIL_HE_KEYID_BYTES];
} veil_he_client;

/** The server's material: context and the evaluation keys the plan needs (no secret). */
typedef struct veil_he_server {
  veil_rlwe_ctx ctx;
  bool has_rlk, has_conj;
  veil_rlwe_swk rlk, conj;
  uint8_t key_id[VEIL_HE_KEYID_BYTES];
} veil_he_server;

/** Encrypted tensor: count ciphertexts holding n_images images (batch packing). */
typedef struct veil_he_tensor {
  int64_t count, n_images;
  bool complex_packing;
  veil_rlwe_ct *ct;
  uint8_t key_id[VEIL_HE_KEYID_BYTES];
  uint8_t model_fp[32];  /**< the plan's model fingerprint (set by encrypt and infer; stored in files) */
} veil_he_tensor;

/**
 * Key generation for a plan with parameters: secret key, and only the evaluation keys the plan needs
 * (relinearization if it squares; conjugation if complex packing squares). Both outputs initialized.
 */
VEIL_WUR veil_status veil_he_keygen(const veil_he_plan *plan, veil_he_client *cl, veil_he_server *sv);
void veil_he_client_free(veil_he_client *cl);
void veil_he_server_free(veil_he_server *sv);

/** Encodes and encrypts @p n images (plan input count values each, image-major) with the secret key. */
VEIL_WUR veil_status veil_he_encrypt(const veil_he_plan *plan, const veil_he_client *cl, const double *x,
                                     int64_t n, veil_he_tensor *out);
/** Decrypts and decodes the output tensor into @p y (n_images * output count values). */
VEIL_WUR veil_status veil_he_decrypt(const veil_he_plan *plan, const veil_he_client *cl,
                                     const veil_he_tensor *t, double *y);
/**
 * Runs the plan on an encrypted input (server side, no secret key). OpenMP across outputs with one
 * scratch per thread. Errors: VEIL_ERR_MISMATCH (key id, parameters, count), NOMEM.
 */
VEIL_WUR veil_status veil_he_infer(const veil_he_plan *plan, const veil_he_server *sv, const veil_he_tensor *in,
                                   veil_he_tensor *out);
void veil_he_tensor_free(veil_he_tensor *t);

/* ---- client-aided mode (nGraph-HE2) ----------------------------------------------------------- */

/** What the client evaluates in one round. */
typedef struct veil_he_aided_round {
  int round;          /**< 0-based round number */
  veil_he_act act;    /**< activation */
  int group;          /**< inputs per output (window size for max pooling, else 1) */
  double clip[2];     /**< VEIL_HE_ACT_CLIP: lo, hi */
  int64_t nout;       /**< ciphertexts the client returns; it receives nout * group */
} veil_he_aided_round;

/** Server-side state of one client-aided inference (values between rounds, masks, permutations). */
typedef struct veil_he_aided veil_he_aided;

/**
 * Starts a client-aided inference of @p plan (compiled with client_aided, with parameters) on the
 * fresh input @p in, whose ciphertexts it takes over (@p in is emptied). Draws every round's masks
 * (positive factors, one per ciphertext, equal within pooling windows) and permutations.
 * Errors: INVALID_ARG (plan not client-aided), MISMATCH (input count, keys, level), NOMEM.
 */
VEIL_WUR veil_status veil_he_aided_start(const veil_he_plan *plan, const veil_he_server *sv, veil_he_tensor *in,
                                         veil_he_aided **out);
/**
 * Runs the server's steps up to the next CLIENT step or the end. Not done: @p send receives the
 * masked, permuted ciphertexts of the round (req->nout * req->group, dropped to level 0) and @p req
 * what to evaluate; call veil_he_aided_answer next. Done: @p send receives the output tensor.
 * Errors: INVALID_ARG (called while an answer is awaited or after the end), NOMEM, MISMATCH.
 */
VEIL_WUR veil_status veil_he_aided_step(veil_he_aided *a, bool *done, veil_he_tensor *send, veil_he_aided_round *req);
/**
 * Hands the client's answer (req.nout fresh ciphertexts at the top level, in the order received)
 * to the session, which takes its ciphertexts (@p reply is emptied on success).
 * Errors: INVALID_ARG (no round pending), MISMATCH (count, level, keys, scale).
 */
VEIL_WUR veil_status veil_he_aided_answer(veil_he_aided *a, veil_he_tensor *reply);
/** The round awaiting an answer (-1 when none), and the number of rounds the plan has. */
int veil_he_aided_pending(const veil_he_aided *a);
/** Frees the state; NULL is a no-op. */
void veil_he_aided_free(veil_he_aided *a);
/**
 * Client side of one round: decrypts @p in (req->nout * req->group ciphertexts), applies the
 * activation per group and image, and encrypts the results afresh at the top level into @p out.
 * Errors: MISMATCH (count, keys), INVALID_ARG (group < 1), NOMEM.
 */
VEIL_WUR veil_status veil_he_aided_client_round(const veil_he_plan *plan, const veil_he_client *cl,
                                                const veil_he_aided_round *req, const veil_he_tensor *in,
                                                veil_he_tensor *out);
/**
 * The whole protocol in one process (tests; both keys at hand): encrypts @p n images @p x, runs the
 * rounds, decrypts into @p y (n * output count). @p rounds (may be NULL) receives the round count.
 */
VEIL_WUR veil_status veil_he_aided_run(const veil_he_plan *plan, const veil_he_client *cl, const veil_he_server *sv,
                                       const double *x, int64_t n, double *y, int *rounds);

/* ---- files -------------------------------------------------------------------------------------- */
/*
 * Files use the veil binary format (rlwe.h): a sequence of frames, each a u64 length and one veil
 * object ("VEIL", version, type, parameter fingerprint, contents). They are written and read frame
 * by frame (peak memory: one object), atomically (temporary file, fsync, rename).
 *  - secret.key (mode 0600): params object; key header (VEIL_OBJ_HE_KEYS: u32 kind 1, u32 nbase,
 *    model fingerprint[32], key id[16], u32 flags 0); secret key object. Buffers are wiped.
 *  - eval.keys: params object; key header (kind 2; flags bit 0 relinearization key, bit 1
 *    conjugation key); those key-switching key objects (a_j stored as a 32-byte seed).
 *  - tensor files: tensor header (VEIL_OBJ_HE_TENSOR: key id[16], model fingerprint[32], u64 count,
 *    u64 images, u8 complex packing); count ciphertext objects (fresh symmetric ones store c1 as
 *    its seed: about half size).
 * Loaders validate everything (params re-checked and re-resolved, fingerprints, key id, model,
 * counts, residue ranges, no trailing bytes) and name the file in every error.
 */

/** Writes DIR/secret.key (0600), DIR/eval.keys and DIR/plan.txt. Errors: IO, NOMEM. */
VEIL_WUR veil_status veil_he_keys_save(const char *dir, const veil_he_plan *plan, const veil_he_client *cl,
                                       const veil_he_server *sv);
/** Writes one secret key file (mode 0600) for a plan with parameters. Errors: IO, NOMEM. */
VEIL_WUR veil_status veil_he_client_save(const char *path, const veil_he_plan *plan, const veil_he_client *cl);
/** Writes one evaluation key file for a plan with parameters. Errors: IO, NOMEM. */
VEIL_WUR veil_status veil_he_server_save(const char *path, const veil_he_plan *plan, const veil_he_server *sv);
/**
 * Reads a secret key file: its parameters (into @p lit, @p nbase, @p model_fp) and the client.
 * Errors: VEIL_ERR_IO, VEIL_ERR_FORMAT, VEIL_ERR_MISMATCH, VEIL_ERR_INSECURE.
 */
VEIL_WUR veil_status veil_he_client_load(const char *path, veil_ckks_params_lit *lit, int *nbase,
                                         uint8_t model_fp[32], veil_he_client *cl);
/** Reads an evaluation key file (parameters and keys). Errors as veil_he_client_load. */
VEIL_WUR veil_status veil_he_server_load(const char *path, veil_ckks_params_lit *lit, int *nbase,
                                         uint8_t model_fp[32], veil_he_server *sv);
/** Writes an encrypted tensor file (with t->model_fp). Errors: IO, NOMEM. */
VEIL_WUR veil_status veil_he_tensor_save(const char *path, const veil_rlwe_ctx *ctx, const veil_he_tensor *t);
/**
 * Reads an encrypted tensor file made under context @p ctx and key id @p key_id (the model is not
 * checked: prefer veil_he_tensor_load_checked).
 * Errors: VEIL_ERR_MISMATCH ("made under other parameters" / "other keys"), FORMAT, IO, NOMEM.
 */
VEIL_WUR veil_status veil_he_tensor_load(const char *path, const veil_rlwe_ctx *ctx,
                                         const uint8_t key_id[VEIL_HE_KEYID_BYTES], veil_he_tensor *t);
/**
 * As veil_he_tensor_load, and refuses a tensor made for another model than @p model_fp
 * (VEIL_ERR_MISMATCH "made for another model").
 */
VEIL_WUR veil_status veil_he_tensor_load_checked(const char *path, const veil_rlwe_ctx *ctx,
                                                 const uint8_t key_id[VEIL_HE_KEYID_BYTES],
                                                 const uint8_t model_fp[32], veil_he_tensor *t);

#ifdef __cplusplus
}
#endif
#endif
