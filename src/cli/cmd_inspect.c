/* veil inspect: a model's layers, shapes, parameters, depth and supported encrypted modes. */
#include <stdio.h>

#include "cli_data.h"

static const veil_cli_opt opts[] = {
    {"model", "FILE", "ONNX model (or give it as the first argument)"},
    {"json", NULL, "print one JSON object instead of the table"},
    {"no-optimize", NULL, "show the graph as imported (default: after veil_graph_optimize)"},
    {0}};

static int report(const veil_cli_args *a, const char *path, int nchanged, const veil_graph *g) {
  veil_graph_info info;
  veil_status st = veil_graph_analyze(g, &info);
  if (st)
    return veil_cli_fail(a, st);
  if (veil_cli_has(a, "json")) {
    st = veil_graph_print_json(g, &info, stdout);
  } else {
    printf("model: %s (%d rewrites by veil_graph_optimize)\n", path, nchanged);
    st = veil_graph_print(g, &info, stdout);
  }
  veil_graph_info_free(&info);
  return st ? veil_cli_fail(a, st) : 0;
}

static int run(veil_cli_args *a) {
  const char *path = veil_cli_model(a);
  if (!path)
    return veil_cli_usage_error(a, "missing the model file (veil inspect MODEL.onnx)");
  if (a->npos > (veil_cli_has(a, "model") ? 0 : 1))
    return veil_cli_usage_error(a, "unexpected argument '%s'", a->pos[a->npos - 1]);
  veil_graph g;
  int rc = veil__cli_load_model(a, path, &g);
  if (rc)
    return rc;
  int nchanged = 0;
  veil_status st = veil_cli_has(a, "no-optimize") ? VEIL_OK : veil_graph_optimize(&g, &nchanged);
  if (st)
    rc = veil_cli_fail(a, st);
  else
    rc = report(a, path, nchanged, &g);
  veil_graph_free(&g);
  return rc;
}

VEIL_CLI_COMMAND(inspect, "inspect", "show a model's layers, shapes, parameters, depth and HE modes",
                 "veil inspect [--json] MODEL.onnx", NULL, opts, run)
