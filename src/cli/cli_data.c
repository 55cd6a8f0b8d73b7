#include "cli_data.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "veil/onnx.h"

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

bool veil__cli_find_shipped(const char *sub, char *buf, size_t len) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return false;
  exe[n] = 0;
  const char *dir = dirname(exe);
  const char *rel[] = {"%s/../../%s", "%s/../share/veil/%s"};
  for (int i = 0; i < 2; i++) {
    int k = snprintf(buf, len, rel[i], dir, sub);
    if (k > 0 && (size_t)k < len && exists(buf))
      return true;
  }
  return false;
}

bool veil__cli_data_dir(const veil_cli_args *a, const char *dataset, char *buf, size_t len, int *rc) {
  const char *flag = veil_cli_get(a, "data-dir"), *env = getenv("VEIL_DATA_DIR");
  char sub[64];
  snprintf(sub, sizeof sub, "data/%s", dataset);
  if (flag)
    snprintf(buf, len, "%s", flag);
  else if (env && *env)
    snprintf(buf, len, "%s/%s", env, dataset);
  else if (!veil__cli_find_shipped(sub, buf, len)) {
    *rc = veil_cli_usage_error(a, "no data directory for '%s': pass --data-dir DIR or set VEIL_DATA_DIR",
                               dataset);
    return false;
  }
  return true;
}

/* The sidecar beside the model (same path, extension .prep) or models/<name>.prep shipped with veil. */
static bool find_sidecar(const char *model, char *buf, size_t len) {
  const char *base = strrchr(model, '/');
  base = base ? base + 1 : model;
  const char *dot = strrchr(base, '.');
  int stem = dot ? (int)(dot - model) : (int)strlen(model);
  snprintf(buf, len, "%.*s.prep", stem, model);
  if (exists(buf))
    return true;
  char models[4096];
  if (!veil__cli_find_shipped("models", models, sizeof models))
    return false;
  int nb = dot ? (int)(dot - base) : (int)strlen(base);
  snprintf(buf, len, "%s/%.*s.prep", models, nb, base);
  return exists(buf);
}

/* The value of a flag like --mean with commas turned into spaces, as a sidecar line would hold it. */
static int apply_flag(const veil_cli_args *a, const char *key, veil_prep *p) {
  const char *v = veil_cli_get(a, key);
  if (!v)
    return 0;
  char val[256], where[64];
  snprintf(val, sizeof val, "%s", v);
  for (char *c = val; *c; c++)
    if (*c == ',')
      *c = ' ';
  snprintf(where, sizeof where, "--%s", key);
  if (veil_prep_set(p, key, val, where))
    return veil_cli_usage_error(a, "%s", veil_error_detail());
  return 0;
}

int veil__cli_prep(const veil_cli_args *a, const char *model, veil_prep *p, char *source, size_t len) {
  static const char *const keys[] = {"scale", "pad", "mean", "std"};
  veil_prep_default(p);
  const char *flag = veil_cli_get(a, "prep");
  source[0] = 0;
  if (flag)
    snprintf(source, len, "%s", flag);
  else if (!find_sidecar(model, source, len))
    source[0] = 0;
  if (source[0]) {
    veil_status st = veil_prep_load(source, p);
    if (st)
      return veil_cli_fail(a, st);
  }
  bool any = false;
  for (int i = 0; i < 4; i++) {
    any |= veil_cli_has(a, keys[i]);
    int rc = apply_flag(a, keys[i], p);
    if (rc)
      return rc;
  }
  if (!source[0] && !any)
    fprintf(stderr, "veil %s: warning: no preprocessing sidecar for %s; using pixel/255 "
            "(pass --prep FILE or --scale/--mean/--std/--pad)\n", a->cmd->name, model);
  return 0;
}

int veil__cli_load_model(const veil_cli_args *a, const char *path, veil_graph *g) {
  veil_status st = veil_onnx_load(path, g);
  if (st)
    return veil_cli_fail(a, st);
  if (!g->name[0]) { /* unnamed ONNX graph: name it after the file */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(g->name, sizeof g->name, "%.*s", (int)strcspn(base, "."), base);
  }
  return 0;
}

int veil__cli_argmax(const float *v, int64_t n) {
  int best = 0;
  for (int64_t i = 1; i < n; i++)
    if (v[i] > v[best])
      best = (int)i;
  return best;
}
