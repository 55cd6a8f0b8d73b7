/**
 * @file client.h
 * @brief Client library of the veil inference service (layer service): talks HTTP/1.1 to `veil serve`
 *        (libcurl), uploads evaluation keys, sends ciphertexts and fetches results. Bodies stream from
 *        and to files, so multi-GiB key sets never sit in memory. Protocol: docs/service.md.
 *
 * @code
 *   veil_client *c;
 *   VEIL_TRY(veil_client_init("http://127.0.0.1:8750", &c));
 *   veil_client_keyset ks;
 *   VEIL_TRY(veil_client_keys_upload(c, "cryptonets", "keys/eval.keys", &ks));
 *   VEIL_TRY(veil_client_infer(c, "cryptonets", &ks, "x.ct", "y.ct"));
 *   veil_client_free(c);
 * @endcode
 * A failing call returns a status mapped from the server's answer (400 -> FORMAT, 401/403 ->
 * INVALID_ARG, 404 -> NOT_FOUND, 409/422 -> MISMATCH, 413/429/503 -> LIMIT, other 5xx or no answer ->
 * IO) with a detail that quotes the server's JSON error; veil_client_http_status() gives the code.
 */
#ifndef VEIL_CLIENT_H
#define VEIL_CLIENT_H

#include "veil/util.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct veil_client veil_client;

/** A key set held by the server, with the bearer token that authorizes its use (keep it secret). */
typedef struct veil_client_keyset {
  char id[33];
  char token[65];
} veil_client_keyset;

/**
 * Prepares a client for @p server_url ("http://HOST:PORT", no trailing path).
 * @return VEIL_OK; INVALID_ARG (not an http:// URL); NOMEM.
 */
VEIL_WUR veil_status veil_client_init(const char *server_url, veil_client **out);
/** Frees the client; NULL is a no-op. */
void veil_client_free(veil_client *c);
/** Draws a progress bar on stderr (if a terminal) for uploads larger than 1 MiB. Default off. */
void veil_client_set_progress(veil_client *c, bool on);
/** Per-request time limit in seconds (0 = none, default 0); connection attempts time out after 10 s. */
void veil_client_set_timeout(veil_client *c, long seconds);
/** HTTP status of the last request (0 if no answer). */
int veil_client_http_status(const veil_client *c);

/**
 * GETs @p path (e.g. "/v1/models/cryptonets") into @p body (initialized here; at most 256 MiB;
 * body->data is NUL-terminated after body->len bytes).
 * Errors: as the file comment says.
 */
VEIL_WUR veil_status veil_client_get(veil_client *c, const char *path, veil_wbuf *body);

/** Uploads the evaluation-key file @p key_file for @p model; fills @p ks. */
VEIL_WUR veil_status veil_client_keys_upload(veil_client *c, const char *model, const char *key_file,
                                             veil_client_keyset *ks);
/** Deletes a key set on the server. */
VEIL_WUR veil_status veil_client_keys_delete(veil_client *c, const veil_client_keyset *ks);

/**
 * Sends the ciphertext file @p in_file for inference with @p model under key set @p ks and writes
 * the result ciphertexts to @p out_file (written only on success).
 */
VEIL_WUR veil_status veil_client_infer(veil_client *c, const char *model, const veil_client_keyset *ks,
                                       const char *in_file, const char *out_file);

/* ---- client-aided sessions (docs/service.md) ---------------------------------------------------- */

/** What the server asks for next (from the X-Veil-* headers of its answer). */
typedef struct veil_client_round {
  char session[33]; /**< session id */
  bool done;        /**< the body is the model's output */
  int round;        /**< the round to answer next */
  char act[16];     /**< "relu", "clip" or "maxpool" */
  int group;        /**< ciphertexts per output (pooling window), else 1 */
  double clip[2];   /**< "clip": lo, hi */
  int64_t outputs;  /**< ciphertexts to return */
} veil_client_round;

/**
 * Starts a client-aided session of @p model with the input ciphertexts in @p in_file; the first
 * round's masked ciphertexts (or the output when @p next->done) are written to @p out_file.
 * Errors: as the file comment says; FORMAT when the answer lacks the round headers.
 */
VEIL_WUR veil_status veil_client_aided_start(veil_client *c, const char *model, const veil_client_keyset *ks,
                                             const char *in_file, const char *out_file, veil_client_round *next);
/** Answers round @p round of @p session with the ciphertexts in @p in_file; the next round or the output goes to @p out_file. */
VEIL_WUR veil_status veil_client_aided_round(veil_client *c, const veil_client_keyset *ks, const char *session, int round,
                                             const char *in_file, const char *out_file, veil_client_round *next);
/** Deletes a session (its server-side state and files). */
VEIL_WUR veil_status veil_client_aided_delete(veil_client *c, const veil_client_keyset *ks, const char *session);

/* ---- encrypted inference end to end ----------------------------------------------------------- */

/** A model session: the model's public plan, the client's secret key and its key set on the server. */
typedef struct veil_client_session veil_client_session;

/**
 * Opens a session for @p model: fetches its plan (GET /v1/models/{name}/plan); loads the secret key
 * from @p keys_dir, or on first use generates keys there (secret.key, mode 0600; eval.keys); uploads
 * the evaluation keys unless @p keys_dir records a key set on this server for them (keyset-<model>).
 * The secret key never leaves this process.
 * @return VEIL_OK; MISMATCH (keys in @p keys_dir were made for other parameters); errors of the
 *         requests; UNSUPPORTED when veil was built without the HE executor.
 */
VEIL_WUR veil_status veil_client_session_open(veil_client *c, const char *model, const char *keys_dir,
                                              veil_client_session **out);
void veil_client_session_free(veil_client_session *s);
/** Values per input image, values per output, images per request (batch). */
void veil_client_session_sizes(const veil_client_session *s, int64_t *in_count, int64_t *out_count,
                               int64_t *batch);
/** "client-aided" or "encrypted": how the server runs the model. */
const char *veil_client_session_mode(const veil_client_session *s);
/** Rounds of the last veil_client_session_run batch, and bytes sent plus received (all batches). */
void veil_client_session_traffic(const veil_client_session *s, int *rounds, uint64_t *bytes);
/** The preprocessing the server published for the model (text of a .prep sidecar; "" if none). */
const char *veil_client_session_prep(const veil_client_session *s);
/**
 * Encrypts @p n images @p x (n * in_count values, image-major, already preprocessed), has the server
 * evaluate them, decrypts into @p y (n * out_count). Splits into batches as needed; re-uploads the
 * evaluation keys once if the server no longer has the key set. A client-aided model (see
 * veil_client_session_mode) runs as a session whose rounds this function answers: decrypt, apply
 * the activation, re-encrypt at the top level.
 */
VEIL_WUR veil_status veil_client_session_run(veil_client_session *s, const double *x, int64_t n, double *y);

/**
 * Reads the string at @p path ("error.message", "key_set_id") of a JSON document; objects only, no
 * arrays in the path. @return VEIL_OK; NOT_FOUND (absent or not a string); FORMAT (malformed JSON);
 * LIMIT (longer than @p cap - 1).
 */
VEIL_WUR veil_status veil_json_get_str(const char *json, size_t len, const char *path, char *out, size_t cap);
/** As veil_json_get_str for a number. */
VEIL_WUR veil_status veil_json_get_num(const char *json, size_t len, const char *path, double *out);

#ifdef __cplusplus
}
#endif
#endif
