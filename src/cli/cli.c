#define _POSIX_C_SOURCE 200809L /* setenv, execv */
#include "cli.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CMDS 64
static const veil_cli_cmd *commands[MAX_CMDS];
static int ncommands;

void veil_cli_register(const veil_cli_cmd *cmd) {
  VEIL_ASSERT(ncommands < MAX_CMDS);
  int i = ncommands++;
  while (i > 0 && strcmp(commands[i - 1]->name, cmd->name) > 0) {
    commands[i] = commands[i - 1];
    i--;
  }
  commands[i] = cmd;
}

static int edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 40 || lb > 40)
    return 99;
  int d[41][41];
  for (size_t i = 0; i <= la; i++)
    d[i][0] = (int)i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = (int)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
      d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
  return d[la][lb];
}

/* The closest of @p names to @p word, or NULL if none is close. */
static const char *closest(const char *word, const char *const *names, int n) {
  const char *best = NULL;
  int best_d = 4;
  for (int i = 0; i < n; i++) {
    int d = edit_distance(word, names[i]);
    if (strncmp(word, names[i], strlen(word)) == 0 && strlen(word) >= 2)
      d = 1;
    if (d < best_d) {
      best_d = d;
      best = names[i];
    }
  }
  return best;
}

static int opt_index(const veil_cli_cmd *cmd, const char *name, size_t len) {
  for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
    if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, name, len) == 0)
      return i;
  return -1;
}

const char *veil_cli_get(const veil_cli_args *a, const char *name) {
  int i = opt_index(a->cmd, name, strlen(name));
  VEIL_ASSERT(i >= 0);
  return a->val[i];
}

bool veil_cli_has(const veil_cli_args *a, const char *name) { return veil_cli_get(a, name) != NULL; }

bool veil_cli_int(const veil_cli_args *a, const char *name, int64_t lo, int64_t hi, int64_t *out) {
  const char *v = veil_cli_get(a, name);
  if (!v)
    return true;
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (errno || end == v || *end || x < lo || x > hi) {
    veil_cli_usage_error(a, "--%s expects an integer in [%lld, %lld], got '%s'", name, (long long)lo,
                         (long long)hi, v);
    return false;
  }
  *out = x;
  return true;
}

bool veil_cli_double(const veil_cli_args *a, const char *name, double *out) {
  const char *v = veil_cli_get(a, name);
  if (!v)
    return true;
  char *end;
  double x = strtod(v, &end);
  if (end == v || *end) {
    veil_cli_usage_error(a, "--%s expects a number, got '%s'", name, v);
    return false;
  }
  *out = x;
  return true;
}

const char *veil_cli_model(const veil_cli_args *a) {
  int i = opt_index(a->cmd, "model", 5);
  if (i >= 0 && a->val[i])
    return a->val[i];
  return a->npos > 0 ? a->pos[0] : NULL;
}

int veil_cli_fail(const veil_cli_args *a, veil_status st) {
  const char *d = veil_error_detail();
  fprintf(stderr, "veil %s: error: %s%s%s\n", a->cmd->name, veil_status_str(st), *d ? ": " : "", d);
  return 1;
}

int veil_cli_usage_error(const veil_cli_args *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "veil %s: ", a->cmd->name);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nRun 'veil %s --help' for usage.\n", a->cmd->name);
  va_end(ap);
  return 2;
}

static void print_command_help(const veil_cli_cmd *cmd) {
  printf("%s\n\nUsage: %s\n", cmd->summary, cmd->usage);
  if (cmd->description)
    printf("\n%s\n", cmd->description);
  printf("\nOptions:\n");
  for (int i = 0; cmd->opts && cmd->opts[i].name; i++) {
    char lhs[64];
    snprintf(lhs, sizeof lhs, "--%s%s%s", cmd->opts[i].name, cmd->opts[i].arg ? " " : "",
             cmd->opts[i].arg ? cmd->opts[i].arg : "");
    printf("  %-26s %s\n", lhs, cmd->opts[i].help);
  }
  printf("  %-26s %s\n", "-h, --help", "show this help");
}

static void print_main_help(void) {
  printf("veil %s: neural-network inference on homomorphically encrypted data\n\n", VEIL_VERSION);
  printf("Usage: veil <command> [options]\n\nCommands:\n");
  for (int i = 0; i < ncommands; i++)
    printf("  %-12s %s\n", commands[i]->name, commands[i]->summary);
  printf("\nRun 'veil <command> --help' for a command's options.\n"
         "Environment: VEIL_THREADS (threads, default all cores), VEIL_FORCE_REF=1 (reference "
         "kernels only),\n             VEIL_LOG=error|warn|info|debug.\n");
}

static const veil_cli_cmd *find_command(const char *name) {
  for (int i = 0; i < ncommands; i++)
    if (!strcmp(commands[i]->name, name))
      return commands[i];
  return NULL;
}

static int unknown_option(veil_cli_args *a, const char *arg) {
  const char *names[VEIL_CLI_MAX_OPTS + 1];
  int n = 0;
  for (int i = 0; a->cmd->opts && a->cmd->opts[i].name; i++)
    names[n++] = a->cmd->opts[i].name;
  names[n++] = "help";
  const char *word = arg + 2;
  char buf[64];
  snprintf(buf, sizeof buf, "%.*s", (int)strcspn(word, "="), word);
  const char *hint = closest(buf, names, n);
  if (hint)
    return veil_cli_usage_error(a, "unknown option '%s' (did you mean '--%s'?)", arg, hint);
  return veil_cli_usage_error(a, "unknown option '%s'", arg);
}

static int parse_args(veil_cli_args *a, int argc, char **argv) {
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
      print_command_help(a->cmd);
      return -1;
    }
    if (!strcmp(arg, "--")) {
      for (i++; i < argc; i++) {
        if (a->npos == VEIL_CLI_MAX_POS)
          return veil_cli_usage_error(a, "too many arguments");
        a->pos[a->npos++] = argv[i];
      }
      break;
    }
    if (strncmp(arg, "--", 2) == 0) {
      const char *name = arg + 2, *eq = strchr(name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen(name);
      int k = opt_index(a->cmd, name, len);
      if (k < 0)
        return unknown_option(a, arg);
      const veil_cli_opt *o = &a->cmd->opts[k];
      if (!o->arg) {
        if (eq)
          return veil_cli_usage_error(a, "option '--%s' takes no value", o->name);
        a->val[k] = "";
      } else if (eq) {
        a->val[k] = eq + 1;
      } else if (i + 1 < argc) {
        a->val[k] = argv[++i];
      } else {
        return veil_cli_usage_error(a, "option '--%s' needs a value (%s)", o->name, o->arg);
      }
      continue;
    }
    if (arg[0] == '-' && arg[1] && !(arg[1] >= '0' && arg[1] <= '9') && arg[1] != '.')
      return veil_cli_usage_error(a, "unknown option '%s' (options are spelled --name)", arg);
    if (a->npos == VEIL_CLI_MAX_POS)
      return veil_cli_usage_error(a, "too many arguments");
    a->pos[a->npos++] = arg;
  }
  return 0;
}

/* libgomp's default wait policy spins at every barrier for ~10^5 iterations. On a machine whose cores
 * are shared with other jobs, the thread a spinner waits for is often descheduled, and the spinning
 * steals its core: `bench bootstrap --threads 2` ran 2.6x slower than --threads 1 at load ~4. A
 * passive policy (sleep at once) costs a futex wake per parallel region, which is small next to
 * per-limb work. libgomp reads OMP_WAIT_POLICY when it loads, so when it is unset we set it and
 * re-execute once (an explicit OMP_WAIT_POLICY or GOMP_SPINCOUNT is respected). */
static void omp_wait_passive(char **argv) {
  if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
    return;
  if (setenv("OMP_WAIT_POLICY", "passive", 1) == 0)
    execv("/proc/self/exe", argv); /* returns only on failure: then run with the default policy */
}

/* Ciphertexts at logN 16 are 15..45 MB and every homomorphic op allocates and frees a few: glibc
 * serves blocks above its mmap threshold (at most 32 MB) with fresh mmaps, so each op page-faulted
 * and zeroed its outputs anew (~11% of `bench bootstrap`). Keep big blocks on the heap and keep up
 * to 1 GiB of freed top memory instead of returning it at once. */
static void tune_malloc(void) {
#ifdef __GLIBC__
  (void)mallopt(M_MMAP_MAX, 0);
  (void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

int main(int argc, char **argv) {
  omp_wait_passive(argv);
  tune_malloc();
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    print_main_help();
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("veil %s\n", VEIL_VERSION);
    return 0;
  }
  if (!strcmp(argv[1], "help") && argc >= 3 && find_command(argv[2])) {
    print_command_help(find_command(argv[2]));
    return 0;
  }
  const veil_cli_cmd *cmd = find_command(argv[1]);
  if (!cmd) {
    const char *names[MAX_CMDS];
    for (int i = 0; i < ncommands; i++)
      names[i] = commands[i]->name;
    const char *hint = closest(argv[1], names, ncommands);
    fprintf(stderr, "veil: unknown command '%s'", argv[1]);
    if (hint)
      fprintf(stderr, " (did you mean '%s'?)", hint);
    fprintf(stderr, "\nRun 'veil --help' for the list of commands.\n");
    return 2;
  }
  veil_cli_args a = {.cmd = cmd};
  int rc = parse_args(&a, argc - 2, argv + 2);
  if (rc)
    return rc < 0 ? 0 : rc;
  const char *threads = getenv("VEIL_THREADS");
  if (threads)
    veil_threads_set(atoi(threads));
  return cmd->run(&a);
}
