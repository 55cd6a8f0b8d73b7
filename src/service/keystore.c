/*
 * Durable key sets: <state>/keys/<id>.bin (the uploaded evaluation keys) and <id>.meta (model, owner,
 * BLAKE2b hash of the bearer token). The .bin is renamed into place first and the .meta last, each
 * after an fsync; a key set exists only once its .meta exists, so a crash leaves nothing half-visible.
 * Uploads stream into <state>/tmp, which is emptied at start.
 */
#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/service-impl.h"

static veil_status mkdir_p(const char *dir) {
  if (mkdir(dir, 0700) == 0 || errno == EEXIST)
    return VEIL_OK;
  return veil_fail(VEIL_ERR_IO, "cannot create directory %s: %s", dir, strerror(errno));
}

static void hex(const unsigned char *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static bool unhex(const char *s, unsigned char *out, size_t n) {
  if (strlen(s) != 2 * n)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1)
      return false;
    out[i] = (unsigned char)v;
  }
  return true;
}

static void token_hash(const char *token, unsigned char out[32]) {
  crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

static char *meta_path(const veil__store *s, const char *id) { return veil__strdupf("%s/%s.meta", s->dir, id); }

char *veil__store_key_path(const veil__store *s, const char *id) { return veil__strdupf("%s/%s.bin", s->dir, id); }

/* Parses "model M\nowner O\ntoken_hash H\n" into @p ks. */
static bool meta_parse(const char *text, veil__keyset *ks) {
  char th[80] = "";
  if (sscanf(text, "model %127s\nowner %63s\ntoken_hash %79s", ks->model, ks->owner, th) != 3)
    return false;
  return veil__name_ok(ks->model) && unhex(th, ks->token_hash, sizeof ks->token_hash);
}

static void store_add(veil__store *s, veil__keyset *ks) {
  ks->next = s->head;
  s->head = ks;
  s->count++;
}

/* Loads one key set from its .meta file name (ignored with a warning if unusable). */
static void recover_one(veil__store *s, const char *fname) {
  size_t n = strlen(fname);
  if (n != VEIL__ID_HEX + 5 || strcmp(fname + VEIL__ID_HEX, ".meta") != 0)
    return;
  veil__keyset *ks = calloc(1, sizeof *ks);
  if (!ks)
    return;
  memcpy(ks->id, fname, VEIL__ID_HEX);
  char *mp = meta_path(s, ks->id), *kp = veil__store_key_path(s, ks->id);
  uint8_t *text = NULL;
  size_t len = 0;
  struct stat st;
  bool ok = mp && kp && veil_file_read(mp, 4096, &text, &len) == VEIL_OK && stat(kp, &st) == 0;
  char buf[4097] = "";
  if (ok) {
    memcpy(buf, text, len);
    ok = meta_parse(buf, ks);
  }
  if (ok)
    store_add(s, ks);
  else {
    veil_log(VEIL_LOG_WARN, "service: ignoring unreadable key set %s", ks->id);
    free(ks);
  }
  veil_free(text);
  free(mp);
  free(kp);
}

/* Empties tmp/ (interrupted uploads) and registers every complete key set in keys/. */
static veil_status recover(veil__store *s) {
  DIR *d = opendir(s->tmpdir);
  if (!d)
    return veil_fail(VEIL_ERR_IO, "cannot read %s: %s", s->tmpdir, strerror(errno));
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    char *p = veil__strdupf("%s/%s", s->tmpdir, e->d_name);
    if (p)
      unlink(p);
    free(p);
  }
  closedir(d);
  d = opendir(s->dir);
  if (!d)
    return veil_fail(VEIL_ERR_IO, "cannot read %s: %s", s->dir, strerror(errno));
  for (struct dirent *e; (e = readdir(d));)
    recover_one(s, e->d_name);
  closedir(d);
  return VEIL_OK;
}

veil_status veil__store_open(veil__store *s, const char *state_dir) {
  *s = (veil__store){0};
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_init(&s->load_mu, NULL);
  s->dir = veil__strdupf("%s/keys", state_dir);
  s->tmpdir = veil__strdupf("%s/tmp", state_dir);
  if (!s->dir || !s->tmpdir)
    return veil_fail(VEIL_ERR_NOMEM, "key store: out of memory");
  VEIL_TRY(mkdir_p(state_dir));
  VEIL_TRY(mkdir_p(s->dir));
  VEIL_TRY(mkdir_p(s->tmpdir));
  return recover(s);
}

void veil__store_free(veil__store *s, const veil_service_engine *e) {
  if (!s)
    return;
  for (veil__keyset *ks = s->head, *next; ks; ks = next) {
    next = ks->next;
    if (ks->keys)
      e->keys_close(ks->keys);
    free(ks);
  }
  free(s->dir);
  free(s->tmpdir);
  pthread_mutex_destroy(&s->mu);
  pthread_mutex_destroy(&s->load_mu);
  *s = (veil__store){0};
}

veil_status veil__store_tmp(veil__store *s, int *fd, char **path) {
  *path = veil__strdupf("%s/up-XXXXXX", s->tmpdir);
  if (!*path)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  *fd = mkstemp(*path);
  if (*fd < 0) {
    veil_status st = veil_fail(VEIL_ERR_IO, "cannot create %s: %s", *path, strerror(errno));
    free(*path);
    *path = NULL;
    return st;
  }
  return VEIL_OK;
}

int veil__store_count_owner(veil__store *s, const char *owner) {
  pthread_mutex_lock(&s->mu);
  int n = 0;
  for (veil__keyset *ks = s->head; ks; ks = ks->next)
    n += !ks->deleted && strcmp(ks->owner, owner) == 0;
  pthread_mutex_unlock(&s->mu);
  return n;
}

static veil_status write_meta(const veil__store *s, const veil__keyset *ks) {
  char th[65];
  hex(ks->token_hash, 32, th);
  char *mp = meta_path(s, ks->id);
  char *text = veil__strdupf("model %s\nowner %s\ntoken_hash %s\n", ks->model, ks->owner, th);
  veil_status st = mp && text ? veil_file_write_atomic(mp, text, strlen(text), 0600)
                              : veil_fail(VEIL_ERR_NOMEM, "out of memory");
  free(mp);
  free(text);
  return st;
}

veil_status veil__store_commit(veil__store *s, const char *tmp_path, const char *model, const char *owner,
                               void *keys, char id[VEIL__ID_HEX + 1], char token[VEIL__TOKEN_HEX + 1]) {
  veil__keyset *ks = calloc(1, sizeof *ks);
  if (!ks)
    return veil_fail(VEIL_ERR_NOMEM, "out of memory");
  unsigned char rid[VEIL__ID_HEX / 2], rtok[VEIL__TOKEN_HEX / 2];
  veil_random_bytes(rid, sizeof rid);
  veil_random_bytes(rtok, sizeof rtok);
  hex(rid, sizeof rid, ks->id);
  hex(rtok, sizeof rtok, token);
  veil_memzero(rtok, sizeof rtok);
  snprintf(ks->model, sizeof ks->model, "%s", model);
  snprintf(ks->owner, sizeof ks->owner, "%s", owner);
  token_hash(token, ks->token_hash);
  char *kp = veil__store_key_path(s, ks->id);
  veil_status st = kp ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "out of memory");
  if (!st && rename(tmp_path, kp) != 0)
    st = veil_fail(VEIL_ERR_IO, "cannot rename %s to %s: %s", tmp_path, kp, strerror(errno));
  if (!st)
    st = veil__fsync_dir(s->dir);
  if (!st)
    st = write_meta(s, ks);
  if (!st)
    st = veil__fsync_dir(s->dir);
  if (st) {
    if (kp)
      unlink(kp);
    free(kp);
    free(ks);
    veil_memzero(token, VEIL__TOKEN_HEX + 1);
    return st;
  }
  free(kp);
  ks->keys = keys;
  memcpy(id, ks->id, VEIL__ID_HEX + 1);
  pthread_mutex_lock(&s->mu);
  store_add(s, ks);
  pthread_mutex_unlock(&s->mu);
  return VEIL_OK;
}

/* Finds @p id and checks the token; caller holds s->mu. */
static veil_status find_auth(veil__store *s, const char *id, const char *token, veil__keyset **out) {
  veil__keyset *ks = s->head;
  while (ks && (ks->deleted || strcmp(ks->id, id) != 0))
    ks = ks->next;
  if (!ks)
    return veil_fail(VEIL_ERR_NOT_FOUND, "no key set '%s'", id);
  unsigned char h[32];
  token_hash(token ? token : "", h);
  if (!token || sodium_memcmp(h, ks->token_hash, 32) != 0)
    return veil_fail(VEIL_ERR_INVALID_ARG, "wrong token for key set '%s'", id);
  *out = ks;
  return VEIL_OK;
}

veil_status veil__store_acquire(veil__store *s, const char *id, const char *token, veil__keyset **out) {
  pthread_mutex_lock(&s->mu);
  veil_status st = find_auth(s, id, token, out);
  if (!st)
    (*out)->refs++;
  pthread_mutex_unlock(&s->mu);
  return st;
}

/* Unlinks and frees a deleted key set with no users; caller holds s->mu. */
static void reap(veil__store *s, veil__keyset *ks, const veil_service_engine *e) {
  if (!ks->deleted || ks->refs > 0)
    return;
  veil__keyset **pp = &s->head;
  while (*pp != ks)
    pp = &(*pp)->next;
  *pp = ks->next;
  s->count--;
  if (ks->keys)
    e->keys_close(ks->keys);
  free(ks);
}

void veil__store_release(veil__store *s, veil__keyset *ks, const veil_service_engine *e) {
  pthread_mutex_lock(&s->mu);
  ks->refs--;
  reap(s, ks, e);
  pthread_mutex_unlock(&s->mu);
}

veil_status veil__store_delete(veil__store *s, const char *id, const char *token, const veil_service_engine *e) {
  pthread_mutex_lock(&s->mu);
  veil__keyset *ks = NULL;
  veil_status st = find_auth(s, id, token, &ks);
  if (!st) {
    char *mp = meta_path(s, id), *kp = veil__store_key_path(s, id);
    /* The .meta goes first: without it the key set no longer exists, even if the .bin survives a crash. */
    if (mp)
      unlink(mp);
    if (kp)
      unlink(kp);
    free(mp);
    free(kp);
    ks->deleted = true;
    reap(s, ks, e);
  }
  pthread_mutex_unlock(&s->mu);
  return st;
}
