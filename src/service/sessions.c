/*
 * Client-aided sessions of the server: a registry with per-client and total limits, one request at
 * a time per session, an idle timeout enforced by a reaper thread, and cleanup (engine state, the
 * session's temporary directory, its key-set reference) on completion, timeout, delete or stop.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "service/service-impl.h"

static void rm_dir(const char *dir) {
  DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *p = veil__strdupf("%s/%s", dir, e->d_name);
    if (p) unlink(p);
    free(p);
  }
  if (d) closedir(d);
  rmdir(dir);
}

static void session_destroy(veil_service *s, veil__session *x) {
  if (x->impl) s->engine->session_free(x->impl);
  if (x->dir) rm_dir(x->dir);
  if (x->ks) veil__store_release(&s->store, x->ks, s->engine);
  free(x->dir);
  free(x);
}

/* Unlinks expired idle sessions (or all with @p all); caller destroys them outside the lock. */
static veil__session *collect(veil__sessions *ss, bool all, uint64_t now, uint64_t timeout_ns) {
  veil__session *dead = NULL;
  for (veil__session **pp = &ss->head; *pp;) {
    veil__session *x = *pp;
    if (!x->busy && (all || now - x->last_ns > timeout_ns)) {
      *pp = x->next, ss->count--;
      x->next = dead, dead = x;
    } else {
      pp = &x->next;
    }
  }
  return dead;
}

static void destroy_list(veil_service *s, veil__session *x) {
  while (x) {
    veil__session *n = x->next;
    veil_log(VEIL_LOG_INFO, "session %s ended", x->id);
    session_destroy(s, x);
    x = n;
  }
}

static void *reaper(void *arg) {
  veil_service *s = arg;
  veil__sessions *ss = &s->sessions;
  uint64_t timeout = (uint64_t)s->opts.limits.session_timeout_s * 1000000000ull;
  pthread_mutex_lock(&ss->mu);
  while (!ss->stop) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    pthread_cond_timedwait(&ss->cv, &ss->mu, &ts);
    veil__session *dead = collect(ss, false, veil_now_ns(), timeout);
    pthread_mutex_unlock(&ss->mu);
    destroy_list(s, dead);
    pthread_mutex_lock(&ss->mu);
  }
  pthread_mutex_unlock(&ss->mu);
  return NULL;
}

veil_status veil__sessions_init(veil_service *s) {
  veil__sessions *ss = &s->sessions;
  pthread_mutex_init(&ss->mu, NULL);
  pthread_cond_init(&ss->cv, NULL);
  ss->inited = true;
  if (pthread_create(&ss->reaper, NULL, reaper, s) != 0) return veil_fail(VEIL_ERR_INTERNAL, "cannot start the session reaper");
  ss->running = true;
  return VEIL_OK;
}

void veil__sessions_free(veil_service *s) {
  veil__sessions *ss = &s->sessions;
  if (!ss->inited) return;
  if (ss->running) {
    pthread_mutex_lock(&ss->mu);
    ss->stop = true;
    pthread_cond_broadcast(&ss->cv);
    pthread_mutex_unlock(&ss->mu);
    pthread_join(ss->reaper, NULL);
  }
  pthread_mutex_lock(&ss->mu);
  veil__session *dead = collect(ss, true, 0, 0);
  pthread_mutex_unlock(&ss->mu);
  destroy_list(s, dead);
  pthread_cond_destroy(&ss->cv);
  pthread_mutex_destroy(&ss->mu);
}

veil_status veil__sessions_add(veil_service *s, const char *owner, veil__session **out) {
  veil__sessions *ss = &s->sessions;
  veil__session *x = calloc(1, sizeof *x);
  if (!x) return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  uint8_t raw[16];
  veil_random_bytes(raw, sizeof raw);
  for (int i = 0; i < 16; i++) snprintf(x->id + 2 * i, 3, "%02x", raw[i]);
  snprintf(x->owner, sizeof x->owner, "%s", owner);
  x->busy = true, x->last_ns = veil_now_ns();
  x->dir = veil__strdupf("%s/sess-%s", s->store.tmpdir, x->id);
  if (!x->dir || mkdir(x->dir, 0700) != 0) {
    free(x->dir), free(x);
    return veil_fail(VEIL_ERR_IO, "cannot create a session directory in %s", s->store.tmpdir);
  }
  pthread_mutex_lock(&ss->mu);
  int mine = 0;
  for (veil__session *y = ss->head; y; y = y->next) mine += !strcmp(y->owner, owner);
  veil_status st = ss->count >= s->opts.limits.max_sessions ? veil_fail(VEIL_ERR_LIMIT, "the server holds %d sessions (the limit)", ss->count)
                   : mine >= s->opts.limits.max_sessions_per_client
                       ? veil_fail(VEIL_ERR_INVALID_ARG, "address %s already holds %d sessions (the limit)", owner, mine)
                       : VEIL_OK;
  if (!st) x->next = ss->head, ss->head = x, ss->count++;
  pthread_mutex_unlock(&ss->mu);
  if (st) rm_dir(x->dir), free(x->dir), free(x);
  else *out = x;
  return st;
}

veil_status veil__sessions_acquire(veil_service *s, const char *id, veil__session **out) {
  veil__sessions *ss = &s->sessions;
  pthread_mutex_lock(&ss->mu);
  veil__session *x = ss->head;
  while (x && strcmp(x->id, id)) x = x->next;
  veil_status st = !x ? veil_fail(VEIL_ERR_NOT_FOUND, "no session '%s' (finished, deleted or timed out)", id)
                   : x->busy ? veil_fail(VEIL_ERR_LIMIT, "session %s is busy with another request", id) : VEIL_OK;
  if (!st) x->busy = true, *out = x;
  pthread_mutex_unlock(&ss->mu);
  return st;
}

void veil__sessions_release(veil_service *s, veil__session *x, bool end) {
  veil__sessions *ss = &s->sessions;
  pthread_mutex_lock(&ss->mu);
  x->busy = false, x->last_ns = veil_now_ns();
  if (end)
    for (veil__session **pp = &ss->head; *pp; pp = &(*pp)->next)
      if (*pp == x) {
        *pp = x->next, ss->count--;
        break;
      }
  pthread_mutex_unlock(&ss->mu);
  if (end) x->next = NULL, destroy_list(s, x);
}
