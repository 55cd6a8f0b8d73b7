/* veil serve: the encrypted-inference HTTP server (docs/service.md). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_data.h"
#include "veil/service.h"

static const veil_cli_opt opts[] = {
    {"models", "DIR", "models to serve: DIR/NAME.onnx (+ NAME.prep), named NAME (required)"},
    {"state", "DIR", "key sets and temporary uploads, kept across restarts (required)"},
    {"listen", "HOST:PORT", "IPv4 address and port (default 127.0.0.1:8750; port 0 = any free port)"},
    {"max-body-mb", "MB", "largest request body in MiB (default 4096)"},
    {"max-keysets-per-client", "N", "key sets one source address may hold (default 4)"},
    {"max-keysets", "N", "key sets in total (default 256)"},
    {"workers", "N", "worker threads for HE work (default: cores)"},
    {"queue", "N", "requests waiting for a worker before 503 (default 2 x workers)"},
    {"max-connections", "N", "open connections (default 256)"},
    {"request-timeout", "S", "seconds one request may wait and run (default 600)"},
    {"idle-timeout", "S", "seconds before an idle connection is closed (default 60)"},
    {"session-timeout", "S", "seconds before an idle client-aided session is deleted (default 300)"},
    {"max-sessions-per-client", "N", "open client-aided sessions per source address (default 2)"},
    {"max-sessions", "N", "open client-aided sessions in total (default 16)"},
    {"data-dir", "DIR", "datasets for calibration (DIR/mnist, DIR/cifar10; default: shipped data/)"},
    {"calib-count", "N", "calibration images per model (default 64)"},
    {"precision-bits", "B", "integer bits of precision instead of calibration"},
    {"access-log", "FILE", "append one line per request to FILE (default: stderr; '-' for stdout)"},
    {"no-access-log", NULL, "no access log"},
    {"insecure-test-params", NULL, "TESTS ONLY: allow rings below 128-bit security (every output says so)"},
    {0}};

static const char desc[] =
    "Serves the models in --models over HTTP/1.1. Clients fetch a model's plan, upload evaluation keys\n"
    "(POST /v1/keys), and send ciphertexts (POST /v1/models/NAME/infer); the server never sees a\n"
    "secret key or a plaintext. Runs until SIGINT or SIGTERM. Protocol and limits: docs/service.md.";

static const char insecure_banner[] =
    "INSECURE TEST PARAMETERS: --insecure-test-params allows rings below 128-bit security; never use for real data";

static bool limits(const veil_cli_args *a, veil_service_limits *L) {
  int64_t body_mb = (int64_t)(L->max_body_bytes >> 20), kpc = L->max_keysets_per_client, ks = L->max_keysets,
          w = L->workers, q = -1, conn = L->max_connections, rt = L->request_timeout_s, it = L->idle_timeout_s,
          so = L->session_timeout_s, spc = L->max_sessions_per_client, sm = L->max_sessions;
  if (!veil_cli_int(a, "max-body-mb", 1, 1 << 20, &body_mb) || !veil_cli_int(a, "max-keysets-per-client", 1, 1 << 20, &kpc) ||
      !veil_cli_int(a, "max-keysets", 1, 1 << 20, &ks) || !veil_cli_int(a, "workers", 1, 4096, &w) ||
      !veil_cli_int(a, "queue", 0, 1 << 20, &q) || !veil_cli_int(a, "max-connections", 1, 1 << 16, &conn) ||
      !veil_cli_int(a, "request-timeout", 1, 1 << 24, &rt) || !veil_cli_int(a, "idle-timeout", 1, 1 << 24, &it) ||
      !veil_cli_int(a, "session-timeout", 1, 1 << 24, &so) || !veil_cli_int(a, "max-sessions-per-client", 1, 1 << 16, &spc) ||
      !veil_cli_int(a, "max-sessions", 1, 1 << 16, &sm))
    return false;
  *L = (veil_service_limits){(uint64_t)body_mb << 20, (int)kpc, (int)ks, (int)w, q < 0 ? 2 * (int)w : (int)q,
                             (int)conn, (int)rt, (int)it, (int)so, (int)spc, (int)sm};
  return true;
}

static FILE *open_log(const veil_cli_args *a) {
  const char *f = veil_cli_get(a, "access-log");
  if (veil_cli_has(a, "no-access-log"))
    return NULL;
  if (!f)
    return stderr;
  return strcmp(f, "-") == 0 ? stdout : fopen(f, "a");
}

static int serve(veil_cli_args *a, veil_service_opts *o) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts: only sigwait sees them */
  signal(SIGPIPE, SIG_IGN);
  veil_service *s;
  veil_status st = veil_service_start(o, &s);
  if (st)
    return veil_cli_fail(a, st);
  if (o->banner)
    fprintf(stderr, "veil serve: WARNING: %s\n", o->banner);
  printf("veil serve: listening on http://%.*s:%u (%s)\n", (int)(strrchr(o->listen, ':') - o->listen), o->listen,
         veil_service_port(s), o->banner ? "INSECURE TEST PARAMETERS" : "128-bit parameters");
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "veil serve: signal %d, stopping\n", sig);
  veil_service_stop(s);
  return 0;
}

static int run(veil_cli_args *a) {
  veil_service_opts o;
  veil_service_opts_default(&o);
  o.models_dir = veil_cli_get(a, "models");
  o.state_dir = veil_cli_get(a, "state");
  if (!o.models_dir || !o.state_dir)
    return veil_cli_usage_error(a, "--models DIR and --state DIR are required");
  if (veil_cli_has(a, "listen"))
    o.listen = veil_cli_get(a, "listen");
  if (!limits(a, &o.limits))
    return 2;
  int64_t calib = 0, prec = 0;
  if (!veil_cli_int(a, "calib-count", 1, 1 << 16, &calib) || !veil_cli_int(a, "precision-bits", 1, 60, &prec))
    return 2;
  veil_service_he_opts ho = {.insecure_test_params = veil_cli_has(a, "insecure-test-params"),
                             .data_dir = veil_cli_get(a, "data-dir"), .calib_count = (int)calib,
                             .precision_bits = (int)prec};
  char shipped[4096];
  if (!ho.data_dir && veil__cli_find_shipped("data", shipped, sizeof shipped))
    ho.data_dir = shipped;
  o.banner = ho.insecure_test_params ? insecure_banner : NULL;
  o.access_log = open_log(a);
  if (veil_cli_get(a, "access-log") && !o.access_log)
    return veil_cli_usage_error(a, "cannot open access log %s", veil_cli_get(a, "access-log"));
  veil_service_engine e;
  veil_status st = veil_service_engine_he(&ho, &e);
  if (st)
    return veil_cli_fail(a, st);
  o.engine = &e;
  int rc = serve(a, &o);
  veil_service_engine_he_free(&e);
  if (o.access_log && o.access_log != stderr && o.access_log != stdout)
    fclose(o.access_log);
  return rc;
}

VEIL_CLI_COMMAND(serve, "serve", "serve encrypted inference over HTTP",
                 "veil serve --models DIR --state DIR [--listen 127.0.0.1:8750] [limits...]", desc, opts, run)
