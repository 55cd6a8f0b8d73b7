/** @file analyze.c @brief Graph analysis for the compilers: parameters, depth, modes, calibration ranges. */
#include <math.h>
#include <string.h>

#include "nn/nn-impl.h"

static bool is_client_op(veil_op op) { return op == VEIL_OP_RELU || op == VEIL_OP_CLIP || op == VEIL_OP_MAXPOOL; }

/* Levels node @p n consumes (ciphertext x plaintext and ciphertext x ciphertext products). */
static int node_depth(const veil_node *n) {
  switch (n->op) {
  case VEIL_OP_CONV2D:
  case VEIL_OP_DENSE:
  case VEIL_OP_BATCHNORM:
  case VEIL_OP_AVGPOOL:
  case VEIL_OP_GLOBALAVGPOOL:
  case VEIL_OP_SQUARE:
  case VEIL_OP_MUL: return 1;
  case VEIL_OP_AFFINE:
    for (int64_t k = 0; k < veil__tensor_count(&n->weight); k++)
      if (n->weight.data[k] != 1.0f) return 1;
    return 0;
  case VEIL_OP_POLY: {
    int d = 0;
    while ((1 << d) < n->attrs.poly.degree + 1) d++;
    return d;
  }
  default: return 0;
  }
}

static int64_t node_params(const veil_node *n) {
  int64_t p = veil__tensor_count(&n->weight) + veil__tensor_count(&n->bias) + veil__tensor_count(&n->mean) +
              veil__tensor_count(&n->var);
  return n->op == VEIL_OP_POLY ? p + n->attrs.poly.degree + 1 : p;
}

static void analyze_node(const veil_graph *g, int i, veil_graph_info *info) {
  const veil_node *n = &g->nodes[i];
  veil_node_info *ni = &info->nodes[i];
  int below = 0;
  for (int k = 0; k < n->ninputs; k++) {
    const veil_node_info *in = &info->nodes[n->inputs[k]];
    below = in->depth_total > below ? in->depth_total : below;
  }
  ni->params = node_params(n);
  ni->client = is_client_op(n->op);
  ni->depth = node_depth(n);
  ni->depth_total = ni->client ? 0 : below + ni->depth;
}

/* Longest chain of client rounds ending at each node. */
static int client_rounds(const veil_graph *g, const veil_graph_info *info, int *rounds) {
  int best = 0;
  for (int i = 0; i < g->nnodes; i++) {
    int r = 0;
    for (int k = 0; k < g->nodes[i].ninputs; k++) r = rounds[g->nodes[i].inputs[k]] > r ? rounds[g->nodes[i].inputs[k]] : r;
    rounds[i] = r + info->nodes[i].client;
    best = rounds[i] > best ? rounds[i] : best;
  }
  return best;
}

/* Decides which modes fit and why batch mode does not. */
static void decide_modes(const veil_graph *g, veil_graph_info *info) {
  bool softmax_ok = true;
  const veil_node *first_client = NULL;
  for (int i = 0; i < g->nnodes; i++) {
    const veil_node *n = &g->nodes[i];
    if (n->op == VEIL_OP_SOFTMAX && i != g->output) {
      softmax_ok = false;
      snprintf(info->why_not_batch, sizeof info->why_not_batch, "node '%s' (softmax) is not the output", n->name);
    }
    if (info->nodes[i].client && !first_client) first_client = n;
  }
  info->softmax_dropped = g->nodes[g->output].op == VEIL_OP_SOFTMAX;
  if (!softmax_ok) return;
  info->modes = VEIL_MODE_CLIENT_AIDED;
  if (first_client)
    snprintf(info->why_not_batch, sizeof info->why_not_batch, "node '%s' (%s) is not a polynomial", first_client->name,
             veil_op_name(first_client->op));
  else
    info->modes |= VEIL_MODE_BATCH;
}

veil_status veil_graph_analyze(const veil_graph *g, veil_graph_info *info) {
  memset(info, 0, sizeof *info);
  for (int i = 0; i < g->nnodes; i++)
    if (g->nodes[i].ndim < 1)
      return veil_fail(VEIL_ERR_FORMAT, "graph '%s': node '%s' has no shape (infer shapes first)", g->name, g->nodes[i].name);
  if (g->nnodes < 1 || g->output < 0 || g->output >= g->nnodes) return veil_fail(VEIL_ERR_FORMAT, "graph '%s' is empty", g->name);
  info->nodes = veil_calloc((size_t)g->nnodes, sizeof *info->nodes);
  int *rounds = veil_calloc((size_t)g->nnodes, sizeof *rounds);
  if (!info->nodes || !rounds) {
    veil_free(rounds);
    veil_graph_info_free(info);
    return veil_fail(VEIL_ERR_NOMEM, "graph analysis: %d nodes", g->nnodes);
  }
  info->nnodes = g->nnodes;
  for (int i = 0; i < g->nnodes; i++) {
    analyze_node(g, i, info);
    info->params += info->nodes[i].params;
    info->depth = info->nodes[i].depth_total > info->depth ? info->nodes[i].depth_total : info->depth;
  }
  info->client_rounds = client_rounds(g, info, rounds);
  veil_free(rounds);
  decide_modes(g, info);
  return VEIL_OK;
}

void veil_graph_info_free(veil_graph_info *info) {
  if (!info) return;
  veil_free(info->nodes);
  memset(info, 0, sizeof *info);
}

const char *veil_graph_modes_str(unsigned modes, char *buf, size_t len) {
  snprintf(buf, len, "%s%s%s", modes & VEIL_MODE_BATCH ? "batch" : "",
           (modes & VEIL_MODE_BATCH) && (modes & VEIL_MODE_CLIENT_AIDED) ? ", " : "",
           modes & VEIL_MODE_CLIENT_AIDED ? "client-aided" : "");
  if (!modes) snprintf(buf, len, "none");
  return buf;
}

/* ---- calibration ranges ------------------------------------------------------------------------------ */

typedef struct range_ctx {
  double *lo, *hi;
} range_ctx;

static void range_visit(void *ctx, int node, const double *v, int64_t per, int64_t nimg) {
  range_ctx *r = ctx;
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < per * nimg; i++) {
    lo = v[i] < lo ? v[i] : lo;
    hi = v[i] > hi ? v[i] : hi;
  }
  r->lo[node] = lo;
  r->hi[node] = hi;
}

veil_status veil_graph_ranges(const veil_graph *g, const veil_tensor *calib, double *lo, double *hi) {
  double *out = veil_malloc((size_t)g->nnodes * 2 * sizeof *out);
  if (!out) return veil_fail(VEIL_ERR_NOMEM, "graph ranges: %d nodes", g->nnodes);
  range_ctx r = {out, out + g->nnodes};
  veil_status st = veil_graph_run_trace(g, calib, range_visit, &r);
  for (int i = 0; !st && i < g->nnodes; i++) {
    int src = g->nodes[i].ninputs ? g->nodes[i].inputs[0] : i;
    lo[i] = r.lo[src];
    hi[i] = r.hi[src];
  }
  veil_free(out);
  return st;
}
