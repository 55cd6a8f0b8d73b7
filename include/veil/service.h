/**
 * @file service.h
 * @brief The veil inference server (layer service): HTTP/1.1 over libmicrohttpd, models loaded from a
 *        directory at start, evaluation-key sets stored durably in a state directory, a bounded worker
 *        pool, Prometheus metrics and an access log. Protocol and threat model: docs/service.md.
 *
 * The HTTP layer treats keys and ciphertexts as opaque blobs; a ::veil_service_engine validates and
 * evaluates them (the HE engine from veil_service_engine_he(), or a test fixture).
 *
 * @code
 *   veil_service_opts o;
 *   veil_service_opts_default(&o);
 *   o.models_dir = "models"; o.state_dir = "state"; o.listen = "127.0.0.1:0";
 *   veil_service *s;
 *   VEIL_TRY(veil_service_start(&o, &s));
 *   printf("listening on port %u\n", veil_service_port(s));
 *   ...
 *   veil_service_stop(s);
 * @endcode
 */
#ifndef VEIL_SERVICE_H
#define VEIL_SERVICE_H

#include "veil/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Cancellation for long engine calls: returns true once the request's time is up. */
typedef struct veil_service_deadline {
  uint64_t at_ns; /**< veil_now_ns() value after which work should stop; 0 = none */
} veil_service_deadline;

/** True when @p d has passed. */
bool veil_service_deadline_passed(const veil_service_deadline *d);

/** What the client evaluates in the next round of a client-aided session (docs/service.md). */
typedef struct veil_service_round {
  bool done;        /**< the body is the model's output; the session is over */
  int round;        /**< the round the client answers next (POST /v1/sessions/{id}/rounds/{round}) */
  char act[16];     /**< "relu", "clip" or "maxpool" */
  int group;        /**< ciphertexts per output (pooling window), else 1 */
  double clip[2];   /**< "clip": lo, hi */
  int64_t outputs;  /**< ciphertexts the client returns */
} veil_service_round;

/**
 * What the server needs from a model implementation. Every function may be called from several
 * worker threads at once on the same model (implementations keep per-call scratch); a key handle
 * is used by one call at a time only if the engine says so through its own locking.
 */
typedef struct veil_service_engine {
  const char *name;      /**< reported in /v1/health */
  const char *model_ext; /**< file extension of model files, with dot (".onnx") */
  /** Loads the model at @p path (named @p name). Errors: FORMAT, UNSUPPORTED, NOMEM, IO. */
  VEIL_WUR veil_status (*model_load)(const struct veil_service_engine *e, const char *path, const char *name,
                                     void **model);
  void (*model_free)(void *model);
  /** Appends the model's public plan as members of a JSON object (no braces) to @p out. */
  VEIL_WUR veil_status (*model_describe)(void *model, veil_wbuf *out);
  /** Appends the binary plan a client needs to build keys and ciphertexts (may be empty). */
  VEIL_WUR veil_status (*model_plan)(void *model, veil_wbuf *out);
  /**
   * Validates and loads an evaluation-key set from the file @p path.
   * Errors: FORMAT (malformed or truncated), MISMATCH (other parameters), NOMEM.
   */
  VEIL_WUR veil_status (*keys_open)(void *model, const char *path, void **keys);
  void (*keys_close)(void *keys);
  /**
   * Evaluates the model on the ciphertexts in file @p in, writing result ciphertexts to file @p out.
   * Errors: FORMAT, MISMATCH (wrong parameters / keys), LIMIT (deadline), NOMEM, INTERNAL.
   */
  VEIL_WUR veil_status (*infer)(void *model, void *keys, const char *in, const char *out,
                                const veil_service_deadline *deadline);
  void *user; /**< engine-wide data (options) */
  /**
   * Client-aided sessions (NULL when the engine has none). Starts a session on the input ciphertexts
   * in file @p in: runs the server's steps up to the first client round and writes that round's
   * masked ciphertexts (or, for a model without activations, the output) to file @p out, and what
   * to do in @p next. @p dir is the session's own directory for temporary files (removed by the
   * server when the session ends). Errors: UNSUPPORTED (the model is not client-aided), FORMAT,
   * MISMATCH, NOMEM.
   */
  VEIL_WUR veil_status (*session_start)(void *model, void *keys, const char *in, const char *out, const char *dir,
                                        void **sess, veil_service_round *next);
  /** Hands the client's answer (file @p in) to the session and writes the next round or the output. */
  VEIL_WUR veil_status (*session_round)(void *sess, const char *in, const char *out, veil_service_round *next);
  void (*session_free)(void *sess);
} veil_service_engine;

/** Limits, all configurable from `veil serve` flags. */
typedef struct veil_service_limits {
  uint64_t max_body_bytes;    /**< largest request body (keys or ciphertexts); default 4 GiB */
  int max_keysets_per_client; /**< key sets one source address may hold; default 4 */
  int max_keysets;            /**< key sets in total; default 256 */
  int workers;                /**< worker threads for HE work; default = cores */
  int queue;                  /**< jobs waiting for a worker before 503; default 2 * workers */
  int max_connections;        /**< open connections before refusing; default 256 */
  int request_timeout_s;      /**< time for one job (queue wait + work); default 600 */
  int idle_timeout_s;         /**< a connection idle this long is closed; default 60 */
  int session_timeout_s;      /**< a client-aided session idle this long is deleted; default 300 */
  int max_sessions_per_client;/**< open client-aided sessions per source address; default 2 */
  int max_sessions;           /**< open client-aided sessions in total; default 16 */
} veil_service_limits;

/** Server options; fill with veil_service_opts_default() and override. */
typedef struct veil_service_opts {
  const char *models_dir; /**< required: models loaded at start, named by file name without extension */
  const char *state_dir;  /**< required: key sets and temporary uploads (created if missing) */
  const char *listen;     /**< "HOST:PORT" (IPv4 literal); port 0 = ephemeral; default 127.0.0.1:8750 */
  veil_service_limits limits;
  const veil_service_engine *engine; /**< required */
  FILE *access_log;                  /**< one line per request; NULL = none */
  const char *banner;                /**< extra text reported in /v1/health (e.g. insecure-params warning) */
} veil_service_opts;

/** Fills defaults (see ::veil_service_limits); pointers NULL except listen. */
void veil_service_opts_default(veil_service_opts *o);

typedef struct veil_service veil_service;

/**
 * Loads the models, recovers stored key sets, and starts serving on background threads.
 * @return VEIL_OK; INVALID_ARG (missing option, bad listen address); IO (directory, bind);
 *         FORMAT/UNSUPPORTED (a model failed to load; the detail names it); NOMEM.
 */
VEIL_WUR veil_status veil_service_start(const veil_service_opts *o, veil_service **out);
/** The TCP port the server listens on (useful with port 0). */
unsigned veil_service_port(const veil_service *s);
/** Stops accepting, finishes running jobs, frees everything; NULL is a no-op. */
void veil_service_stop(veil_service *s);

/** Options of the HE engine (layers nn/onnx below). */
typedef struct veil_service_he_opts {
  bool insecure_test_params; /**< TEST ONLY: small rings below the security bound, for fast tests */
  const char *data_dir;      /**< datasets for calibration: <data_dir>/<dataset of the model's .prep> */
  int calib_count;           /**< calibration images (default 64 when 0) */
  int precision_bits;        /**< bits of integer precision; 0 = from calibration */
} veil_service_he_opts;

/**
 * Fills @p e with the HE engine: models are ONNX files (with an optional .prep sidecar beside them)
 * compiled by the batch-packing HE compiler (veil/he.h) into a plan; parameters are chosen from
 * calibration images; key sets are the evaluation keys of veil_he_keys_save(); ciphertext bodies are
 * veil_he_tensor_save() files. @p o is copied.
 * @return VEIL_OK; VEIL_ERR_UNSUPPORTED when veil was built without the HE executor; NOMEM.
 */
VEIL_WUR veil_status veil_service_engine_he(const veil_service_he_opts *o, veil_service_engine *e);
/** Frees what veil_service_engine_he() allocated; NULL is a no-op. */
void veil_service_engine_he_free(veil_service_engine *e);

#ifdef __cplusplus
}
#endif
#endif
