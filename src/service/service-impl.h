/* Internal interfaces of the service layer: worker pool, key store, metrics, request state. */
#ifndef VEIL_SERVICE_IMPL_H
#define VEIL_SERVICE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "veil/service.h"

/* ---- worker pool ------------------------------------------------------------------------------- */

typedef struct veil__job {
  void (*run)(struct veil__job *j);
  struct veil__job *next;
  uint64_t enqueued_ns;
} veil__job;

typedef struct veil__pool {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t *threads;
  int nthreads, max_queue, queued, running;
  bool stopping;
  veil__job *head, *tail;
} veil__pool;

VEIL_WUR veil_status veil__pool_init(veil__pool *p, int threads, int max_queue);
/** Queues @p j; VEIL_ERR_LIMIT when the queue is full (the caller answers 503). */
VEIL_WUR veil_status veil__pool_submit(veil__pool *p, veil__job *j);
/** Runs queued jobs to completion, joins the threads. */
void veil__pool_free(veil__pool *p);

/* ---- metrics ----------------------------------------------------------------------------------- */

#define VEIL__NBUCKETS 12
typedef struct veil__metrics {
  atomic_uint_fast64_t requests, errors_4xx, errors_5xx, bytes_in, bytes_out, rejected_busy;
  atomic_uint_fast64_t latency_bucket[VEIL__NBUCKETS + 1]; /* last = +Inf */
  atomic_uint_fast64_t latency_sum_us;
  atomic_int inflight_jobs;
} veil__metrics;

void veil__metrics_record(veil__metrics *m, unsigned status, uint64_t in, uint64_t out, uint64_t ns);
/** Appends the Prometheus text exposition to @p w. */
void veil__metrics_write(const veil__metrics *m, veil_wbuf *w, int keysets, int queued, int workers);

/* ---- key store --------------------------------------------------------------------------------- */

#define VEIL__ID_HEX 32    /* 16 random bytes */
#define VEIL__TOKEN_HEX 64 /* 32 random bytes */

typedef struct veil__keyset {
  char id[VEIL__ID_HEX + 1];
  char model[128];
  char owner[64];                /* source address that uploaded it */
  unsigned char token_hash[32];  /* BLAKE2b-256 of the token */
  void *keys;                    /* engine handle, loaded lazily; NULL if not loaded */
  int refs;                      /* in-flight jobs using @c keys */
  bool deleted;
  struct veil__keyset *next;
} veil__keyset;

typedef struct veil__store {
  pthread_mutex_t mu;
  char *dir;     /* <state>/keys */
  char *tmpdir;  /* <state>/tmp */
  veil__keyset *head;
  int count;
  pthread_mutex_t load_mu; /* serializes lazy loading of key sets */
} veil__store;

struct veil__model;
VEIL_WUR veil_status veil__store_open(veil__store *s, const char *state_dir);
void veil__store_free(veil__store *s, const veil_service_engine *e);
/** Creates a temporary upload file in the state directory; returns its fd and path. */
VEIL_WUR veil_status veil__store_tmp(veil__store *s, int *fd, char **path);
/** Counts key sets (stored + pending) of @p owner. Caller holds no lock. */
int veil__store_count_owner(veil__store *s, const char *owner);
/**
 * Commits an uploaded, validated key file: fsyncs it, renames it to keys/<id>.bin, writes the meta
 * file atomically, and registers the key set with its loaded @p keys. Writes the new id and token.
 */
VEIL_WUR veil_status veil__store_commit(veil__store *s, const char *tmp_path, const char *model,
                                        const char *owner, void *keys, char id[VEIL__ID_HEX + 1],
                                        char token[VEIL__TOKEN_HEX + 1]);
/**
 * Finds key set @p id and checks @p token in constant time. On success takes a reference (release
 * with veil__store_release). Errors: NOT_FOUND (no such id), INVALID_ARG (token wrong: 403).
 */
VEIL_WUR veil_status veil__store_acquire(veil__store *s, const char *id, const char *token, veil__keyset **ks);
void veil__store_release(veil__store *s, veil__keyset *ks, const veil_service_engine *e);
/** Deletes key set @p id after checking @p token; its files are removed at once. */
VEIL_WUR veil_status veil__store_delete(veil__store *s, const char *id, const char *token,
                                        const veil_service_engine *e);
/** Path of a key set's key file (caller frees). */
char *veil__store_key_path(const veil__store *s, const char *id);

/* ---- small helpers ----------------------------------------------------------------------------- */

/** fsync of a directory (after a rename into it). */
VEIL_WUR veil_status veil__fsync_dir(const char *dir);
/** malloc'd printf. */
char *veil__strdupf(const char *fmt, ...) VEIL_PRINTF(1, 2);
/** Appends printf output to @p w. */
void veil__wbuf_printf(veil_wbuf *w, const char *fmt, ...) VEIL_PRINTF(2, 3);
/** Appends @p s as a JSON string literal. */
void veil__wbuf_json_str(veil_wbuf *w, const char *s);
/** True if @p s is a valid model / key-set name: 1..127 of [A-Za-z0-9._-], not starting with '.'. */
bool veil__name_ok(const char *s);

#endif

/* ---- server and request state (server.c, routes.c) --------------------------------------------- */

struct MHD_Daemon;
struct MHD_Connection;

typedef struct veil__model {
  char name[128];
  void *impl; /* engine model */
} veil__model;

/* ---- client-aided sessions (sessions.c) -------------------------------------------------------- */

typedef struct veil__session {
  char id[VEIL__ID_HEX + 1];
  char owner[64];
  veil__model *model;
  veil__keyset *ks; /* reference held for the session's life (released when it ends) */
  void *impl;       /* engine session */
  char *dir;        /* STATE/tmp/sess-ID: the engine's temporary files */
  int next_round;   /* the round the client answers next */
  bool busy;        /* a request is using it */
  uint64_t last_ns; /* end of the last request (idle timeout) */
  struct veil__session *next;
} veil__session;

typedef struct veil__sessions {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  veil__session *head;
  int count;
  pthread_t reaper;
  bool inited, running, stop;
} veil__sessions;

struct veil_service;
/** Starts the reaper thread (deletes sessions idle longer than the session timeout). */
VEIL_WUR veil_status veil__sessions_init(struct veil_service *s);
/** Stops the reaper and ends every session. */
void veil__sessions_free(struct veil_service *s);
/**
 * Registers a new session of @p owner (busy, with its directory created). Errors: LIMIT (server
 * full), INVALID_ARG (the owner's limit), IO.
 */
VEIL_WUR veil_status veil__sessions_add(struct veil_service *s, const char *owner, veil__session **out);
/** Finds session @p id and marks it busy. Errors: NOT_FOUND, LIMIT (busy). */
VEIL_WUR veil_status veil__sessions_acquire(struct veil_service *s, const char *id, veil__session **out);
/** Ends a request on @p x: idle again, or removed and destroyed when @p end. */
void veil__sessions_release(struct veil_service *s, veil__session *x, bool end);

struct veil_service {
  veil_service_opts opts;
  const veil_service_engine *engine;
  struct MHD_Daemon *daemon;
  unsigned port;
  veil__model *models;
  int nmodels;
  veil__store store;
  veil__pool pool;
  veil__metrics metrics;
  pthread_mutex_t log_mu;
  veil__sessions sessions;
};

typedef enum veil__rstate { VEIL__R_BODY, VEIL__R_JOB, VEIL__R_DONE } veil__rstate;
struct veil__req;
typedef void (*veil__job_fn)(struct veil__req *r);

/** One HTTP request from first header to completion. */
typedef struct veil__req {
  veil_service *srv;
  struct MHD_Connection *conn;
  veil__rstate state;
  char method[8];
  char *url;
  char addr[64];
  uint64_t start_ns, bytes_in, bytes_out;
  /* request body, streamed to a temporary file */
  int body_fd;
  char *body_path;
  veil__job_fn job_fn; /* work to run on the pool once the body is complete (NULL = none) */
  veil__job job;
  veil__model *model;
  veil__keyset *keyset; /* acquired (token checked) for the request's duration */
  /* response */
  unsigned status;
  veil_wbuf resp;
  const char *ctype;
  int resp_fd; /* streamed from this file when >= 0 */
  uint64_t resp_size;
  bool queued; /* response handed to libmicrohttpd */
  /* client-aided sessions */
  veil__session *sess;     /* acquired (busy) for the request's duration */
  bool sess_end;           /* destroy the session when the request ends */
  bool has_round;          /* send the X-Veil-* round headers */
  char sess_id[VEIL__ID_HEX + 1];
  veil_service_round round;
} veil__req;

/** Sets a JSON error response {"error":{"code":..,"message":..}}. */
void veil__req_error(veil__req *r, unsigned status, const char *code, const char *fmt, ...) VEIL_PRINTF(4, 5);
/** Sets the error response for a failing status (HTTP status and code chosen from @p st). */
void veil__req_fail(veil__req *r, veil_status st, const char *what);
/** Sets a JSON response from @p json (takes the buffer). */
void veil__req_json(veil__req *r, unsigned status, veil_wbuf *json);
/** Routes a request after its headers arrive: answers at once, or prepares a body sink and job. */
void veil__route(veil__req *r, const char *url, const char *method);
/** Frees resources a request holds (temp files, key-set reference). */
void veil__req_release(veil__req *r);

/** The server URL a client talks to (client.c). */
struct veil_client;
const char *veil__client_base(const struct veil_client *c);
