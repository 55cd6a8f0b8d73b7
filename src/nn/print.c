/** @file print.c @brief Human and JSON summaries of a graph (`veil inspect`). */
#include <string.h>

#include "nn/nn-impl.h"

/* "3x32x32" into @p buf. */
static const char *shape_str(const veil_node *n, char *buf, size_t len) {
  size_t o = 0;
  buf[0] = 0;
  for (int d = 0; d < n->ndim && o < len; d++) o += (size_t)snprintf(buf + o, len - o, d ? "x%lld" : "%lld", (long long)n->shape[d]);
  return buf;
}

/* "1,4" (input indices) or "-". */
static const char *inputs_str(const veil_node *n, char *buf, size_t len) {
  size_t o = 0;
  snprintf(buf, len, "-");
  for (int k = 0; k < n->ninputs && o < len; k++) o += (size_t)snprintf(buf + o, len - o, k ? ",%d" : "%d", n->inputs[k]);
  return buf;
}

/* Uses @p info or computes one into @p own. */
static veil_status get_info(const veil_graph *g, const veil_graph_info *info, veil_graph_info *own, const veil_graph_info **use) {
  memset(own, 0, sizeof *own);
  *use = info;
  if (info) return info->nnodes == g->nnodes ? VEIL_OK : veil_fail(VEIL_ERR_MISMATCH, "graph print: info is for another graph");
  VEIL_TRY(veil_graph_analyze(g, own));
  *use = own;
  return VEIL_OK;
}

veil_status veil_graph_print(const veil_graph *g, const veil_graph_info *info, FILE *out) {
  veil_graph_info own;
  const veil_graph_info *in;
  VEIL_TRY(get_info(g, info, &own, &in));
  char sb[64], ib[64], mb[64];
  fprintf(out, "model '%s': %d nodes, output node %d\n", g->name, g->nnodes, g->output);
  fprintf(out, "%4s  %-24s %-14s %-10s %-14s %10s %6s %6s\n", "#", "name", "op", "inputs", "output", "params", "depth", "total");
  for (int i = 0; i < g->nnodes; i++) {
    const veil_node *n = &g->nodes[i];
    const veil_node_info *ni = &in->nodes[i];
    fprintf(out, "%4d  %-24s %-14s %-10s %-14s %10lld %6d %6d%s\n", i, n->name, veil_op_name(n->op), inputs_str(n, ib, sizeof ib),
            shape_str(n, sb, sizeof sb), (long long)ni->params, ni->depth, ni->depth_total, ni->client ? "  (client round)" : "");
  }
  fprintf(out, "parameters: %lld\n", (long long)in->params);
  fprintf(out, "multiplicative depth: %d (between client rounds)\n", in->depth);
  fprintf(out, "client rounds: %d\n", in->client_rounds);
  fprintf(out, "encrypted modes: %s\n", veil_graph_modes_str(in->modes, mb, sizeof mb));
  if (in->why_not_batch[0]) fprintf(out, "not batch mode: %s\n", in->why_not_batch);
  if (in->softmax_dropped) fprintf(out, "softmax: the output softmax is applied by the client after decryption\n");
  veil_graph_info_free(&own);
  return ferror(out) ? veil_fail(VEIL_ERR_IO, "graph print: write failed") : VEIL_OK;
}

static void json_node(veil_json *j, const veil_graph *g, int i, const veil_node_info *ni) {
  const veil_node *n = &g->nodes[i];
  veil_json_object_begin(j, NULL);
  veil_json_int(j, "index", i);
  veil_json_str(j, "name", n->name);
  veil_json_str(j, "op", veil_op_name(n->op));
  veil_json_array_begin(j, "inputs");
  for (int k = 0; k < n->ninputs; k++) veil_json_array_int(j, n->inputs[k]);
  veil_json_array_end(j);
  veil_json_array_begin(j, "shape");
  for (int d = 0; d < n->ndim; d++) veil_json_array_int(j, n->shape[d]);
  veil_json_array_end(j);
  veil_json_int(j, "params", ni->params);
  veil_json_int(j, "depth", ni->depth);
  veil_json_int(j, "depth_total", ni->depth_total);
  veil_json_bool(j, "client", ni->client);
  veil_json_object_end(j);
}

veil_status veil_graph_print_json(const veil_graph *g, const veil_graph_info *info, FILE *out) {
  veil_graph_info own;
  const veil_graph_info *in;
  VEIL_TRY(get_info(g, info, &own, &in));
  veil_json j;
  veil_json_begin(&j, out);
  veil_json_str(&j, "name", g->name);
  veil_json_int(&j, "nodes", g->nnodes);
  veil_json_int(&j, "output", g->output);
  veil_json_int(&j, "params", in->params);
  veil_json_int(&j, "depth", in->depth);
  veil_json_int(&j, "client_rounds", in->client_rounds);
  veil_json_array_begin(&j, "modes");
  if (in->modes & VEIL_MODE_BATCH) veil_json_str(&j, NULL, "batch");
  if (in->modes & VEIL_MODE_CLIENT_AIDED) veil_json_str(&j, NULL, "client-aided");
  veil_json_array_end(&j);
  veil_json_str(&j, "why_not_batch", in->why_not_batch);
  veil_json_bool(&j, "softmax_dropped", in->softmax_dropped);
  veil_json_array_begin(&j, "layers");
  for (int i = 0; i < g->nnodes; i++) json_node(&j, g, i, &in->nodes[i]);
  veil_json_array_end(&j);
  veil_json_end(&j);
  veil_graph_info_free(&own);
  return ferror(out) ? veil_fail(VEIL_ERR_IO, "graph print: write failed") : VEIL_OK;
}
