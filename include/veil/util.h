/**
 * @file util.h
 * @brief veil's lowest layer: status codes, error details, aligned allocation, threads, timing,
 *        progress display, JSON output and bounds-checked byte streams for serialization.
 *
 * Every fallible call in veil returns a ::veil_status (0 = ok, negative = failure). The failing call
 * also records a human-readable detail for the calling thread, read with veil_error_detail():
 *
 * @code
 *   veil_status st = veil_something(...);
 *   if (st) fprintf(stderr, "error: %s: %s\n", veil_status_str(st), veil_error_detail());
 * @endcode
 */
#ifndef VEIL_UTIL_H
#define VEIL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VEIL_WUR __attribute__((warn_unused_result))
#define VEIL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define VEIL_LIKELY(x) __builtin_expect(!!(x), 1)
#define VEIL_UNLIKELY(x) __builtin_expect(!!(x), 0)

/** Status codes. 0 is success; every failure is negative. */
typedef enum veil_status {
  VEIL_OK = 0,
  VEIL_ERR_INVALID_ARG = -1,  /**< an argument is out of range or inconsistent */
  VEIL_ERR_NOMEM = -2,        /**< allocation failed or a size limit was hit */
  VEIL_ERR_IO = -3,           /**< reading or writing a file or socket failed */
  VEIL_ERR_FORMAT = -4,       /**< malformed input (file, message, model) */
  VEIL_ERR_UNSUPPORTED = -5,  /**< valid input that veil does not support */
  VEIL_ERR_MISMATCH = -6,     /**< objects made under different parameters, keys, levels or scales */
  VEIL_ERR_INSECURE = -7,     /**< parameters below the requested security level */
  VEIL_ERR_PRECISION = -8,    /**< result would exceed the modulus or lose all precision */
  VEIL_ERR_NOT_FOUND = -9,    /**< a named object does not exist */
  VEIL_ERR_LIMIT = -10,       /**< a configured limit (size, count, time) was exceeded */
  VEIL_ERR_INTERNAL = -11,    /**< an invariant failed: a bug in veil */
} veil_status;

/** @return a short static name for @p st, e.g. "invalid argument". */
const char *veil_status_str(veil_status st);

/** @return the calling thread's detail message for the last failure ("" if none). */
const char *veil_error_detail(void);

/** Records a detail message for the calling thread and returns @p st (for `return veil_fail(...)`). */
veil_status veil_fail(veil_status st, const char *fmt, ...) VEIL_PRINTF(2, 3);

/** Clears the calling thread's detail message. */
void veil_error_clear(void);

/** Propagates a failing status from an expression. */
#define VEIL_TRY(expr)                     \
  do {                                     \
    veil_status veil__st = (expr);         \
    if (VEIL_UNLIKELY(veil__st != VEIL_OK)) \
      return veil__st;                     \
  } while (0)

/** Aborts with file, line and message: for invariants only, never for bad input. */
#define VEIL_ASSERT(cond)                                                   \
  do {                                                                      \
    if (VEIL_UNLIKELY(!(cond)))                                             \
      veil__assert_fail(#cond, __FILE__, __LINE__);                         \
  } while (0)
_Noreturn void veil__assert_fail(const char *expr, const char *file, int line);

/* ---- memory ---------------------------------------------------------------------------------- */

/** 64-byte aligned allocation (cache line, AVX-512 vector). Returns NULL on failure or size 0. */
void *veil_malloc(size_t bytes);
/** As veil_malloc, zero-filled; fails (NULL) if count*size overflows. */
void *veil_calloc(size_t count, size_t size);
/** Frees memory from veil_malloc/veil_calloc; NULL is a no-op. */
void veil_free(void *p);
/** Wipes @p bytes at @p p so the compiler cannot elide it (for secrets). */
void veil_memzero(void *p, size_t bytes);
/** Wipes then frees (for secret material). */
void veil_free_secret(void *p, size_t bytes);

/** Peak resident set size of this process in MiB (from /proc; 0 if unknown). */
double veil_peak_rss_mb(void);

/* ---- threads --------------------------------------------------------------------------------- */

/** Thread count used by parallel kernels: VEIL_THREADS if set, else all cores. */
int veil_threads(void);
/** Overrides the thread count for this process (n >= 1). */
void veil_threads_set(int n);

/* ---- time and statistics --------------------------------------------------------------------- */

/** Monotonic clock in nanoseconds. */
uint64_t veil_now_ns(void);
/** Median of @p n doubles (sorts a copy; n >= 1). */
double veil_median(const double *v, size_t n);

/* ---- progress -------------------------------------------------------------------------------- */

/** A progress bar on stderr, drawn only when stderr is a terminal (silent otherwise). */
typedef struct veil_progress {
  const char *label;
  uint64_t total, done;
  uint64_t start_ns, last_draw_ns;
  bool tty;
} veil_progress;

void veil_progress_init(veil_progress *p, const char *label, uint64_t total);
void veil_progress_add(veil_progress *p, uint64_t n);
void veil_progress_finish(veil_progress *p);

/* ---- logging --------------------------------------------------------------------------------- */

typedef enum veil_log_level { VEIL_LOG_ERROR, VEIL_LOG_WARN, VEIL_LOG_INFO, VEIL_LOG_DEBUG } veil_log_level;
/** Messages at or below this level are written to stderr (VEIL_LOG=error|warn|info|debug; default warn). */
void veil_log(veil_log_level lvl, const char *fmt, ...) VEIL_PRINTF(2, 3);

/* ---- JSON output ----------------------------------------------------------------------------- */

/**
 * A minimal streaming JSON writer for one-line objects (benchmarks, CLI --json output).
 * @code
 *   veil_json j; veil_json_begin(&j, stdout);
 *   veil_json_str(&j, "op", "ntt_fwd"); veil_json_int(&j, "logn", 16); veil_json_end(&j);
 * @endcode
 */
typedef struct veil_json {
  FILE *out;
  int depth;
  bool need_comma[16];
} veil_json;

void veil_json_begin(veil_json *j, FILE *out);
void veil_json_end(veil_json *j); /**< closes the object and writes a newline */
void veil_json_str(veil_json *j, const char *key, const char *v);
void veil_json_int(veil_json *j, const char *key, int64_t v);
void veil_json_num(veil_json *j, const char *key, double v);
void veil_json_bool(veil_json *j, const char *key, bool v);
void veil_json_array_begin(veil_json *j, const char *key);
void veil_json_array_end(veil_json *j);
void veil_json_array_num(veil_json *j, double v);
void veil_json_array_int(veil_json *j, int64_t v);
void veil_json_object_begin(veil_json *j, const char *key); /**< key NULL inside an array */
void veil_json_object_end(veil_json *j);
/** Writes @p s as a JSON string literal with escapes. */
void veil_json_write_string(FILE *out, const char *s);

/* ---- byte streams (serialization primitives) --------------------------------------------------- */

/** A growable little-endian output buffer. */
typedef struct veil_wbuf {
  uint8_t *data;
  size_t len, cap;
  bool failed; /**< set if an allocation failed; later writes are ignored */
} veil_wbuf;

void veil_wbuf_init(veil_wbuf *w);
void veil_wbuf_free(veil_wbuf *w);
void veil_wbuf_bytes(veil_wbuf *w, const void *p, size_t n);
void veil_wbuf_u8(veil_wbuf *w, uint8_t v);
void veil_wbuf_u32(veil_wbuf *w, uint32_t v);
void veil_wbuf_u64(veil_wbuf *w, uint64_t v);
void veil_wbuf_f64(veil_wbuf *w, double v);

/** A bounds-checked little-endian reader: reads past the end fail and latch @c failed. */
typedef struct veil_rbuf {
  const uint8_t *data;
  size_t len, pos;
  bool failed;
} veil_rbuf;

void veil_rbuf_init(veil_rbuf *r, const void *data, size_t len);
bool veil_rbuf_bytes(veil_rbuf *r, void *out, size_t n);
bool veil_rbuf_u8(veil_rbuf *r, uint8_t *v);
bool veil_rbuf_u32(veil_rbuf *r, uint32_t *v);
bool veil_rbuf_u64(veil_rbuf *r, uint64_t *v);
bool veil_rbuf_f64(veil_rbuf *r, double *v);
/** @return a pointer to the next @p n bytes and advances, or NULL (and failed) if fewer remain. */
const uint8_t *veil_rbuf_take(veil_rbuf *r, size_t n);
static inline size_t veil_rbuf_left(const veil_rbuf *r) { return r->len - r->pos; }

/** Reads a whole file (at most @p max_bytes) into a veil_malloc'd buffer. */
VEIL_WUR veil_status veil_file_read(const char *path, size_t max_bytes, uint8_t **data, size_t *len);
/** Writes a file atomically: temporary file in the same directory, fsync, rename. @p mode e.g. 0600. */
VEIL_WUR veil_status veil_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* ---- randomness ------------------------------------------------------------------------------ */

/** Fills @p out with bytes from the OS-seeded CSPRNG (libsodium). */
void veil_random_bytes(void *out, size_t n);
/** Initializes libsodium once; called implicitly by veil_random_bytes. Returns VEIL_OK or an error. */
VEIL_WUR veil_status veil_crypto_init(void);

#ifdef __cplusplus
}
#endif
#endif
