/** @file exec.c @brief Float64 reference executor (the plaintext ground truth of encrypted runs). */
#include <math.h>
#include <string.h>

#include "nn/nn-impl.h"

/** Inputs of one node during execution: per-input value blocks and the image count. */
typedef struct run_args {
  const veil_graph *g;
  const veil_node *n;
  const double *in[VEIL_NODE_MAX_INPUTS];
  int64_t nimg;
  int64_t in_numel;  /**< per-image values of input 0 */
  int64_t out_numel; /**< per-image values of the output */
  double *out;
} run_args;

#define PAR_IF(work) if ((work) > 4096) num_threads(veil_threads())

static const veil_node *arg_in(const run_args *a, int k) { return &a->g->nodes[a->n->inputs[k]]; }

static void run_conv(const run_args *a) {
  const veil_node *n = a->n, *x = arg_in(a, 0);
  const int64_t ci_n = x->shape[0], ih = x->shape[1], iw = x->shape[2];
  const int64_t co_n = n->shape[0], oh = n->shape[1], ow = n->shape[2];
  const int64_t cpg = n->weight.shape[1], kh = n->weight.shape[2], kw = n->weight.shape[3];
  const int64_t opg = co_n / n->attrs.conv.groups;
  const int sh = n->attrs.conv.stride[0], sw = n->attrs.conv.stride[1];
  const int dh = n->attrs.conv.dilation[0], dw = n->attrs.conv.dilation[1];
  const int pt = n->attrs.conv.pad[0], pl = n->attrs.conv.pad[1];
#pragma omp parallel for collapse(2) schedule(static) PAR_IF(a->nimg * co_n * oh * ow * cpg * kh * kw)
  for (int64_t b = 0; b < a->nimg; b++)
    for (int64_t co = 0; co < co_n; co++) {
      double *o = a->out + (b * co_n + co) * oh * ow;
      double bias = n->bias.data ? n->bias.data[co] : 0.0;
      for (int64_t p = 0; p < oh * ow; p++) o[p] = bias;
      for (int64_t c = 0; c < cpg; c++) {
        const double *xin = a->in[0] + (b * ci_n + (co / opg) * cpg + c) * ih * iw;
        for (int64_t ky = 0; ky < kh; ky++)
          for (int64_t kx = 0; kx < kw; kx++) {
            double w = n->weight.data[((co * cpg + c) * kh + ky) * kw + kx];
            for (int64_t oy = 0; oy < oh; oy++) {
              int64_t iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= ih) continue;
              for (int64_t ox = 0; ox < ow; ox++) {
                int64_t ix = ox * sw - pl + kx * dw;
                if (ix >= 0 && ix < iw) o[oy * ow + ox] += w * xin[iy * iw + ix];
              }
            }
          }
      }
    }
}

static void run_dense(const run_args *a) {
  const veil_node *n = a->n;
  const int64_t fi = a->in_numel, fo = a->out_numel;
#pragma omp parallel for collapse(2) schedule(static) PAR_IF(a->nimg * fo * fi)
  for (int64_t b = 0; b < a->nimg; b++)
    for (int64_t o = 0; o < fo; o++) {
      const float *w = n->weight.data + o * fi;
      const double *x = a->in[0] + b * fi;
      double acc = n->bias.data ? n->bias.data[o] : 0.0;
      for (int64_t i = 0; i < fi; i++) acc += w[i] * x[i];
      a->out[b * fo + o] = acc;
    }
}

/* BATCHNORM, AFFINE and the element-wise unary ops: one value in, one out. */
static double unary_value(const veil_node *n, double x, int64_t numel, int64_t per_ch, int64_t e) {
  switch (n->op) {
  case VEIL_OP_BATCHNORM: {
    int64_t c = e / per_ch;
    return (x - n->mean.data[c]) / sqrt((double)n->var.data[c] + n->attrs.bn.eps) * n->weight.data[c] + n->bias.data[c];
  }
  case VEIL_OP_AFFINE: return x * veil__bcast(&n->weight, 1.0, numel, per_ch, e) + veil__bcast(&n->bias, 0.0, numel, per_ch, e);
  case VEIL_OP_RELU: return x > 0 ? x : 0.0;
  case VEIL_OP_CLIP: return x < n->attrs.clip.lo ? n->attrs.clip.lo : x > n->attrs.clip.hi ? n->attrs.clip.hi : x;
  case VEIL_OP_SQUARE: return x * x;
  case VEIL_OP_POLY: {
    double y = 0;
    for (int d = n->attrs.poly.degree; d >= 0; d--) y = y * x + n->attrs.poly.coeffs[d];
    return y;
  }
  default: return x; /* identity, flatten, reshape */
  }
}

static void run_unary(const run_args *a) {
  const int64_t numel = a->in_numel, per_ch = numel / veil__node_channels(a->g, a->n->inputs[0]);
#pragma omp parallel for schedule(static) PAR_IF(a->nimg * numel)
  for (int64_t b = 0; b < a->nimg; b++)
    for (int64_t e = 0; e < numel; e++) a->out[b * numel + e] = unary_value(a->n, a->in[0][b * numel + e], numel, per_ch, e);
}

static void run_binary(const run_args *a) {
  const int64_t total = a->nimg * a->out_numel;
  const bool mul = a->n->op == VEIL_OP_MUL;
#pragma omp parallel for schedule(static) PAR_IF(total)
  for (int64_t i = 0; i < total; i++) a->out[i] = mul ? a->in[0][i] * a->in[1][i] : a->in[0][i] + a->in[1][i];
}

/* One pooling window: average (with the divisor rule) or maximum. */
static double pool_window(const veil_node *n, const double *x, int64_t ih, int64_t iw, int64_t oy, int64_t ox) {
  const int kh = n->attrs.pool.kernel[0], kw = n->attrs.pool.kernel[1];
  const int64_t y0 = oy * n->attrs.pool.stride[0] - n->attrs.pool.pad[0];
  const int64_t x0 = ox * n->attrs.pool.stride[1] - n->attrs.pool.pad[1];
  const bool is_max = n->op == VEIL_OP_MAXPOOL;
  double acc = is_max ? -INFINITY : 0.0;
  int count = 0;
  for (int64_t y = y0; y < y0 + kh; y++)
    for (int64_t xx = x0; xx < x0 + kw; xx++) {
      if (y < 0 || y >= ih || xx < 0 || xx >= iw) continue;
      double v = x[y * iw + xx];
      acc = is_max ? (v > acc ? v : acc) : acc + v;
      count++;
    }
  if (is_max) return acc;
  return acc / (n->attrs.pool.count_include_pad ? kh * kw : count);
}

static void run_pool(const run_args *a) {
  const veil_node *n = a->n, *x = arg_in(a, 0);
  const int64_t c_n = x->shape[0], ih = x->shape[1], iw = x->shape[2], oh = n->shape[1], ow = n->shape[2];
#pragma omp parallel for collapse(2) schedule(static) PAR_IF(a->nimg * a->out_numel * 4)
  for (int64_t b = 0; b < a->nimg; b++)
    for (int64_t c = 0; c < c_n; c++)
      for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++)
          a->out[((b * c_n + c) * oh + oy) * ow + ox] = pool_window(n, a->in[0] + (b * c_n + c) * ih * iw, ih, iw, oy, ox);
}

static void run_gap(const run_args *a) {
  const int64_t c_n = a->out_numel, hw = a->in_numel / c_n;
#pragma omp parallel for collapse(2) schedule(static) PAR_IF(a->nimg * a->in_numel)
  for (int64_t b = 0; b < a->nimg; b++)
    for (int64_t c = 0; c < c_n; c++) {
      const double *x = a->in[0] + (b * c_n + c) * hw;
      double s = 0;
      for (int64_t i = 0; i < hw; i++) s += x[i];
      a->out[b * c_n + c] = s / (double)hw;
    }
}

/* Expands a shape of 1..3 dims to 3 (trailing 1s). */
static void shape3(const veil_node *x, int64_t s[3]) {
  for (int d = 0; d < 3; d++) s[d] = d < x->ndim ? x->shape[d] : 1;
}

static void run_pad(const run_args *a) {
  const veil_node *n = a->n;
  int64_t is[3], os[3], bf[3] = {0, 0, 0};
  shape3(arg_in(a, 0), is);
  shape3(n, os);
  for (int d = 0; d < n->ndim; d++) bf[d] = n->attrs.pad.before[d];
#pragma omp parallel for schedule(static) PAR_IF(a->nimg * a->out_numel)
  for (int64_t b = 0; b < a->nimg; b++) {
    double *o = a->out + b * a->out_numel;
    for (int64_t i = 0; i < a->out_numel; i++) o[i] = n->attrs.pad.value;
    for (int64_t c = 0; c < is[0]; c++)
      for (int64_t y = 0; y < is[1]; y++)
        memcpy(o + ((c + bf[0]) * os[1] + y + bf[1]) * os[2] + bf[2], a->in[0] + b * a->in_numel + (c * is[1] + y) * is[2],
               (size_t)is[2] * sizeof(double));
  }
}

static void run_slice(const run_args *a) {
  const veil_node *n = a->n;
  int64_t is[3], os[3], st[3] = {0, 0, 0}, sp[3] = {1, 1, 1};
  shape3(arg_in(a, 0), is);
  shape3(n, os);
  for (int d = 0; d < n->ndim; d++) {
    st[d] = n->attrs.slice.start[d];
    sp[d] = n->attrs.slice.step[d];
  }
#pragma omp parallel for schedule(static) PAR_IF(a->nimg * a->out_numel)
  for (int64_t b = 0; b < a->nimg; b++)
    for (int64_t c = 0; c < os[0]; c++)
      for (int64_t y = 0; y < os[1]; y++)
        for (int64_t x = 0; x < os[2]; x++)
          a->out[b * a->out_numel + (c * os[1] + y) * os[2] + x] =
              a->in[0][b * a->in_numel + ((st[0] + c * sp[0]) * is[1] + st[1] + y * sp[1]) * is[2] + st[2] + x * sp[2]];
}

static void run_concat(const run_args *a) {
  for (int64_t b = 0; b < a->nimg; b++) {
    double *o = a->out + b * a->out_numel;
    for (int k = 0; k < a->n->ninputs; k++) {
      int64_t m = veil_graph_node_numel(a->g, a->n->inputs[k]);
      memcpy(o, a->in[k] + b * m, (size_t)m * sizeof(double));
      o += m;
    }
  }
}

static void run_softmax(const run_args *a) {
  const int64_t c_n = a->n->shape[0], per = a->out_numel / c_n;
#pragma omp parallel for collapse(2) schedule(static) PAR_IF(a->nimg * a->out_numel * 8)
  for (int64_t b = 0; b < a->nimg; b++)
    for (int64_t p = 0; p < per; p++) {
      const double *x = a->in[0] + b * a->out_numel + p;
      double *o = a->out + b * a->out_numel + p, mx = -INFINITY, s = 0;
      for (int64_t c = 0; c < c_n; c++) mx = x[c * per] > mx ? x[c * per] : mx;
      for (int64_t c = 0; c < c_n; c++) s += o[c * per] = exp(x[c * per] - mx);
      for (int64_t c = 0; c < c_n; c++) o[c * per] /= s;
    }
}

static void run_node(const run_args *a) {
  switch (a->n->op) {
  case VEIL_OP_CONV2D: run_conv(a); break;
  case VEIL_OP_DENSE: run_dense(a); break;
  case VEIL_OP_ADD:
  case VEIL_OP_MUL: run_binary(a); break;
  case VEIL_OP_AVGPOOL:
  case VEIL_OP_MAXPOOL: run_pool(a); break;
  case VEIL_OP_GLOBALAVGPOOL: run_gap(a); break;
  case VEIL_OP_PAD: run_pad(a); break;
  case VEIL_OP_SLICE: run_slice(a); break;
  case VEIL_OP_CONCAT: run_concat(a); break;
  case VEIL_OP_SOFTMAX: run_softmax(a); break;
  default: run_unary(a); break;
  }
}

/* ---- driver --------------------------------------------------------------------------------------- */

static veil_status check_graph(const veil_graph *g) {
  if (g->nnodes < 1 || g->nodes[0].op != VEIL_OP_INPUT || g->output < 0 || g->output >= g->nnodes)
    return veil_fail(VEIL_ERR_FORMAT, "graph '%s': no input node or output out of range", g->name);
  for (int i = 0; i < g->nnodes; i++)
    if (g->nodes[i].ndim < 1) return veil_fail(VEIL_ERR_FORMAT, "graph '%s': node '%s' has no shape (infer shapes first)",
                                               g->name, g->nodes[i].name);
  return VEIL_OK;
}

/* Last node that reads each node's values (the output is kept to the end). */
static void last_uses(const veil_graph *g, int *last) {
  for (int i = 0; i < g->nnodes; i++) last[i] = i;
  for (int i = 0; i < g->nnodes; i++)
    for (int k = 0; k < g->nodes[i].ninputs; k++) last[g->nodes[i].inputs[k]] = i;
  last[g->output] = g->nnodes;
}

static veil_status eval(const veil_graph *g, const double *input, int64_t nimg, veil_graph_visit_fn visit, void *ctx,
                        double *output) {
  VEIL_TRY(check_graph(g));
  if (nimg < 1) return veil_fail(VEIL_ERR_INVALID_ARG, "graph run: %lld images", (long long)nimg);
  double **vals = veil_calloc((size_t)g->nnodes, sizeof *vals);
  int *last = veil_calloc((size_t)g->nnodes, sizeof *last);
  veil_status st = vals && last ? VEIL_OK : veil_fail(VEIL_ERR_NOMEM, "graph run: tables");
  if (!st) last_uses(g, last);
  for (int i = 0; i < g->nnodes && !st; i++) {
    const veil_node *n = &g->nodes[i];
    int64_t numel = veil_graph_node_numel(g, i);
    vals[i] = veil_malloc((size_t)(nimg * numel) * sizeof(double));
    if (!vals[i]) {
      st = veil_fail(VEIL_ERR_NOMEM, "graph run: node '%s' needs %lld doubles", n->name, (long long)(nimg * numel));
      break;
    }
    if (i == 0) {
      memcpy(vals[0], input, (size_t)(nimg * numel) * sizeof(double));
    } else {
      run_args a = {.g = g, .n = n, .nimg = nimg, .out_numel = numel, .out = vals[i]};
      for (int k = 0; k < n->ninputs; k++) a.in[k] = vals[n->inputs[k]];
      a.in_numel = veil_graph_node_numel(g, n->inputs[0]);
      run_node(&a);
    }
    if (visit) visit(ctx, i, vals[i], numel, nimg);
    for (int j = 0; j <= i; j++)
      if (vals[j] && last[j] <= i) {
        veil_free(vals[j]);
        vals[j] = NULL;
      }
  }
  if (!st && output) memcpy(output, vals[g->output], (size_t)(nimg * veil_graph_node_numel(g, g->output)) * sizeof(double));
  for (int i = 0; vals && i < g->nnodes; i++) veil_free(vals[i]);
  veil_free(vals);
  veil_free(last);
  return st;
}

veil_status veil_graph_run_f64(const veil_graph *g, const double *input, int64_t n_images, double *output) {
  return eval(g, input, n_images, NULL, NULL, output);
}

/* Checks @p t against the graph's input shape; sets the image count. */
static veil_status input_images(const veil_graph *g, const veil_tensor *t, int64_t *nimg) {
  VEIL_TRY(check_graph(g));
  const veil_node *x = &g->nodes[0];
  int batched = t->ndim == x->ndim + 1;
  bool ok = t->data && (batched || t->ndim == x->ndim);
  for (int d = 0; ok && d < x->ndim; d++) ok = t->shape[d + batched] == x->shape[d];
  if (!ok) return veil_fail(VEIL_ERR_MISMATCH, "graph '%s': input tensor shape does not match [N, per-image input shape]", g->name);
  *nimg = batched ? t->shape[0] : 1;
  return *nimg >= 1 ? VEIL_OK : veil_fail(VEIL_ERR_MISMATCH, "graph '%s': empty batch", g->name);
}

/* Converts a float32 tensor to a new float64 buffer. */
static veil_status to_f64(const veil_tensor *t, double **out) {
  int64_t m = veil_tensor_numel(t);
  *out = veil_malloc((size_t)m * sizeof(double));
  if (!*out) return veil_fail(VEIL_ERR_NOMEM, "graph run: input of %lld values", (long long)m);
  for (int64_t i = 0; i < m; i++) (*out)[i] = t->data[i];
  return VEIL_OK;
}

veil_status veil_graph_run_trace(const veil_graph *g, const veil_tensor *input, veil_graph_visit_fn visit, void *ctx) {
  int64_t nimg;
  double *x;
  VEIL_TRY(input_images(g, input, &nimg));
  VEIL_TRY(to_f64(input, &x));
  veil_status st = eval(g, x, nimg, visit, ctx, NULL);
  veil_free(x);
  return st;
}

veil_status veil_graph_run(const veil_graph *g, const veil_tensor *input, veil_tensor *output) {
  int64_t nimg, shape[VEIL_TENSOR_MAX_DIMS];
  double *x = NULL, *y = NULL;
  memset(output, 0, sizeof *output);
  VEIL_TRY(input_images(g, input, &nimg));
  const veil_node *o = &g->nodes[g->output];
  shape[0] = nimg;
  memcpy(shape + 1, o->shape, (size_t)o->ndim * sizeof *shape);
  VEIL_TRY(veil_tensor_init(output, o->ndim + 1, shape));
  int64_t m = veil_tensor_numel(output);
  veil_status st = to_f64(input, &x);
  if (!st && !(y = veil_malloc((size_t)m * sizeof(double)))) st = veil_fail(VEIL_ERR_NOMEM, "graph run: output");
  if (!st) st = eval(g, x, nimg, NULL, NULL, y);
  for (int64_t i = 0; !st && i < m; i++) output->data[i] = (float)y[i];
  veil_free(x);
  veil_free(y);
  if (st) veil_tensor_free(output);
  return st;
}
