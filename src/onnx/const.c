/* Constant tensors: initializers, Constant nodes, and folding of the shape arithmetic that exporters
 * emit (Shape, Gather, Unsqueeze, Squeeze, Concat, Reshape, Slice, Transpose, Cast, ConstantOfShape,
 * Flatten, elementwise arithmetic) when every input is known at import time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx-impl.h"

typedef veil__ox_const ox_const;

veil_status veil__ox_const_alloc(ox_const *k, int rank, const int64_t *dims, bool isint) {
  *k = (ox_const){.rank = rank, .isint = isint, .numel = 1};
  if (rank < 0 || rank > VEIL__OX_MAX_RANK)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "constant of rank %d (at most %d)", rank, VEIL__OX_MAX_RANK);
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0 || (dims[i] > 0 && k->numel > VEIL__OX_MAX_NUMEL / dims[i]))
      return veil_fail(VEIL_ERR_FORMAT, "constant dimension %d is %lld (negative or too large)", i,
                       (long long)dims[i]);
    k->dims[i] = dims[i];
    k->numel *= dims[i];
  }
  k->v = calloc((size_t)k->numel + 1, sizeof(double));
  if (!k->v)
    return veil_fail(VEIL_ERR_NOMEM, "constant of %lld values", (long long)k->numel);
  return VEIL_OK;
}

void veil__ox_const_free(ox_const *k) {
  free(k->v);
  *k = (ox_const){0};
}

int64_t veil__ox_const_int(const ox_const *k, int64_t i) {
  double x = k->v[i];
  if (!(x == x))
    return 0;
  if (x >= 9.2e18)
    return INT64_MAX;
  if (x <= -9.2e18)
    return INT64_MIN;
  return (int64_t)x;
}

/* ---- TensorProto ---- */

static int ox_elem_size(int dt) {
  switch (dt) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return 4;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return 8;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return 2;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return 1;
  default: return 0;
  }
}

static double ox_raw_value(const uint8_t *p, int dt) {
  float f; double d; int64_t l; int32_t w; int16_t h;
  switch (dt) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: memcpy(&f, p, 4); return f;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: memcpy(&d, p, 8); return d;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: memcpy(&l, p, 8); return (double)l;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: memcpy(&w, p, 4); return w;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: memcpy(&h, p, 2); return h;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return (int8_t)p[0];
  default: return p[0];
  }
}

/* Copies the typed repeated field matching @p dt; returns the number of values it holds. */
static size_t ox_typed_values(const Onnx__TensorProto *t, int dt, double *v, int64_t numel) {
  size_t n = 0;
  if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    n = t->n_float_data;
  else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
    n = t->n_double_data;
  else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
    n = t->n_int64_data;
  else
    n = t->n_int32_data;
  if (n != (size_t)numel)
    return n;
  for (size_t i = 0; i < n; i++)
    v[i] = dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT    ? t->float_data[i]
           : dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ? t->double_data[i]
           : dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64  ? (double)t->int64_data[i]
                                                         : t->int32_data[i];
  return n;
}

veil_status veil__ox_const_from_proto(const Onnx__TensorProto *t, ox_const *k, const char *what) {
  *k = (ox_const){0};
  int dt = t->data_type;
  int es = ox_elem_size(dt);
  if (!es)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: tensor '%s' has data type %d (supported: float, double, "
                     "int8..int64, uint8, bool)", what, dt);
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: tensor '%s' uses external data", what);
  if (t->segment)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: tensor '%s' is segmented", what);
  if (t->n_dims > VEIL__OX_MAX_RANK)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "onnx: tensor '%s' has rank %zu", what, t->n_dims);
  bool isint = dt != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && dt != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
  veil_status st = veil__ox_const_alloc(k, (int)t->n_dims, t->dims, isint);
  if (st != VEIL_OK)
    return veil_fail(st, "onnx: tensor '%s': dims out of range", what);
  size_t have;
  if (t->has_raw_data) {
    have = t->raw_data.len / (size_t)es;
    if (t->raw_data.len % (size_t)es == 0 && have == (size_t)k->numel)
      for (int64_t i = 0; i < k->numel; i++)
        k->v[i] = ox_raw_value(t->raw_data.data + i * es, dt);
  } else {
    have = ox_typed_values(t, dt, k->v, k->numel);
  }
  if (have != (size_t)k->numel) {
    veil__ox_const_free(k);
    return veil_fail(VEIL_ERR_FORMAT, "onnx: tensor '%s' holds %zu values but its dims need %lld", what, have,
                     (long long)k->numel);
  }
  return VEIL_OK;
}

/* ---- folding helpers ---- */

static veil_status ox_out_const(veil__ox_ctx *c, ox_const *r) { return veil__ox_set_const(c, 0, r); }

static int64_t ox_norm_axis(int64_t a, int rank) { return a < 0 ? a + rank : a; }

static veil_status ox_axis(veil__ox_ctx *c, int64_t a, int rank, int64_t *out) {
  *out = ox_norm_axis(a, rank);
  if (*out < 0 || *out >= rank)
    return veil__ox_err(c, VEIL_ERR_FORMAT, "axis %lld out of range for rank %d", (long long)a, rank);
  return VEIL_OK;
}

static void ox_strides(const ox_const *k, int64_t *s) {
  int64_t acc = 1;
  for (int i = k->rank - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= k->dims[i];
  }
}

/* Reads the axes of Squeeze/Unsqueeze/ReduceX (attribute before opset 13, input from 13). */
static veil_status ox_axes_list(veil__ox_ctx *c, size_t in, int64_t *axes, int *n) {
  *n = 0;
  if (c->opset < 13)
    return veil__ox_attr_ints(c, "axes", -VEIL__OX_MAX_RANK, NULL, axes, n);
  if (!veil__ox_has_input(c->cur, in))
    return VEIL_OK;
  const ox_const *k;
  VEIL_TRY(veil__ox_in_const(c, in, &k));
  if (k->numel > VEIL__OX_MAX_RANK)
    return veil__ox_err(c, VEIL_ERR_FORMAT, "too many axes (%lld)", (long long)k->numel);
  for (int64_t i = 0; i < k->numel; i++)
    axes[i] = veil__ox_const_int(k, i);
  *n = (int)k->numel;
  return VEIL_OK;
}

/* ---- individual folds (all inputs constant) ---- */

static veil_status ox_fold_binary(veil__ox_ctx *c, const ox_const *a, const ox_const *b, int op) {
  int rank = a->rank > b->rank ? a->rank : b->rank;
  int64_t dims[VEIL__OX_MAX_RANK], ia[VEIL__OX_MAX_RANK], ib[VEIL__OX_MAX_RANK];
  for (int i = 0; i < rank; i++) {
    int ja = i - (rank - a->rank), jb = i - (rank - b->rank);
    int64_t da = ja >= 0 ? a->dims[ja] : 1, db = jb >= 0 ? b->dims[jb] : 1;
    if (da != db && da != 1 && db != 1)
      return veil__ox_err(c, VEIL_ERR_FORMAT, "shapes do not broadcast at axis %d (%lld vs %lld)", i,
                          (long long)da, (long long)db);
    dims[i] = da > db ? da : db;
  }
  ox_const r;
  VEIL_TRY(veil__ox_const_alloc(&r, rank, dims, a->isint && b->isint));
  int64_t sa[VEIL__OX_MAX_RANK], sb[VEIL__OX_MAX_RANK], sr[VEIL__OX_MAX_RANK];
  ox_strides(a, sa);
  ox_strides(b, sb);
  ox_strides(&r, sr);
  for (int64_t e = 0; e < r.numel; e++) {
    int64_t oa = 0, ob = 0;
    for (int i = 0; i < rank; i++) {
      int64_t idx = (e / sr[i]) % dims[i];
      int ja = i - (rank - a->rank), jb = i - (rank - b->rank);
      ia[i] = ja >= 0 && a->dims[ja] > 1 ? idx : 0;
      ib[i] = jb >= 0 && b->dims[jb] > 1 ? idx : 0;
      oa += ja >= 0 ? ia[i] * sa[ja] : 0;
      ob += jb >= 0 ? ib[i] * sb[jb] : 0;
    }
    double x = a->v[oa], y = b->v[ob];
    double z = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
    if (op == '/' && r.isint)
      z = y == 0 ? 0 : floor(x / y);
    r.v[e] = z;
  }
  return ox_out_const(c, &r);
}

static veil_status ox_fold_gather(veil__ox_ctx *c, const ox_const *d, const ox_const *idx) {
  int64_t axis;
  VEIL_TRY(veil__ox_attr_int(c, "axis", 0, &axis));
  VEIL_TRY(ox_axis(c, axis, d->rank, &axis));
  if (d->rank + idx->rank - 1 > VEIL__OX_MAX_RANK)
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED, "result rank too large");
  int64_t dims[VEIL__OX_MAX_RANK];
  int r = 0;
  for (int i = 0; i < axis; i++)
    dims[r++] = d->dims[i];
  for (int i = 0; i < idx->rank; i++)
    dims[r++] = idx->dims[i];
  for (int i = (int)axis + 1; i < d->rank; i++)
    dims[r++] = d->dims[i];
  ox_const o;
  VEIL_TRY(veil__ox_const_alloc(&o, r, dims, d->isint));
  int64_t outer = 1, inner = 1, n = d->dims[axis];
  for (int i = 0; i < axis; i++)
    outer *= d->dims[i];
  for (int i = (int)axis + 1; i < d->rank; i++)
    inner *= d->dims[i];
  int64_t e = 0;
  for (int64_t a = 0; a < outer; a++)
    for (int64_t j = 0; j < idx->numel; j++) {
      int64_t g = veil__ox_const_int(idx, j);
      g = g < 0 ? g + n : g;
      if (g < 0 || g >= n) {
        veil__ox_const_free(&o);
        return veil__ox_err(c, VEIL_ERR_FORMAT, "index %lld out of range [0, %lld)", (long long)g,
                            (long long)n);
      }
      for (int64_t b = 0; b < inner; b++)
        o.v[e++] = d->v[(a * n + g) * inner + b];
    }
  return ox_out_const(c, &o);
}

/* Same values, new dims (Reshape, Flatten, Squeeze, Unsqueeze of constants). */
static veil_status ox_fold_redim(veil__ox_ctx *c, const ox_const *d, int rank, const int64_t *dims) {
  ox_const o;
  VEIL_TRY(veil__ox_const_alloc(&o, rank, dims, d->isint));
  if (o.numel != d->numel) {
    veil__ox_const_free(&o);
    return veil__ox_err(c, VEIL_ERR_FORMAT, "cannot reshape %lld values into %lld", (long long)d->numel,
                        (long long)o.numel);
  }
  memcpy(o.v, d->v, (size_t)d->numel * sizeof(double));
  return ox_out_const(c, &o);
}

static veil_status ox_fold_unsqueeze(veil__ox_ctx *c, const ox_const *d, bool squeeze) {
  int64_t axes[VEIL__OX_MAX_RANK], dims[VEIL__OX_MAX_RANK];
  int na;
  VEIL_TRY(ox_axes_list(c, 1, axes, &na));
  int rank = squeeze ? d->rank : d->rank + na;
  if (rank > VEIL__OX_MAX_RANK)
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED, "result rank %d is too large", rank);
  bool mark[VEIL__OX_MAX_RANK + 1] = {0};
  for (int i = 0; i < na; i++) {
    int64_t a;
    VEIL_TRY(ox_axis(c, axes[i], rank, &a));
    mark[a] = true;
  }
  int r = 0;
  for (int i = 0, j = 0; i < rank && r < VEIL__OX_MAX_RANK; i++) {
    if (squeeze) {
      if (!(mark[i] || (na == 0 && d->dims[i] == 1)))
        dims[r++] = d->dims[i];
    } else {
      dims[r++] = mark[i] ? 1 : d->dims[j++];
    }
  }
  return ox_fold_redim(c, d, r, dims);
}

static veil_status ox_fold_reshape(veil__ox_ctx *c, const ox_const *d, const ox_const *s) {
  int64_t dims[VEIL__OX_MAX_RANK], known = 1;
  int neg = -1;
  if (s->numel > VEIL__OX_MAX_RANK)
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED, "reshape to rank %lld", (long long)s->numel);
  for (int i = 0; i < s->numel; i++) {
    dims[i] = veil__ox_const_int(s, i);
    if (dims[i] == 0 && i < d->rank)
      dims[i] = d->dims[i];
    if (dims[i] == -1 && neg < 0)
      neg = i;
    else if (dims[i] < 0)
      return veil__ox_err(c, VEIL_ERR_FORMAT, "bad reshape dimension %lld", (long long)dims[i]);
    else
      known *= dims[i];
  }
  if (neg >= 0)
    dims[neg] = known ? d->numel / known : 0;
  return ox_fold_redim(c, d, (int)s->numel, dims);
}

static veil_status ox_fold_flatten(veil__ox_ctx *c, const ox_const *d) {
  int64_t axis;
  VEIL_TRY(veil__ox_attr_int(c, "axis", 1, &axis));
  axis = ox_norm_axis(axis, d->rank);
  if (axis < 0 || axis > d->rank)
    return veil__ox_err(c, VEIL_ERR_FORMAT, "axis out of range");
  int64_t dims[2] = {1, 1};
  for (int i = 0; i < d->rank; i++)
    dims[i >= axis] *= d->dims[i];
  return ox_fold_redim(c, d, 2, dims);
}

static veil_status ox_fold_concat(veil__ox_ctx *c) {
  const ox_const *first;
  VEIL_TRY(veil__ox_in_const(c, 0, &first));
  int64_t axis, dims[VEIL__OX_MAX_RANK];
  VEIL_TRY(veil__ox_attr_int(c, "axis", 0, &axis));
  VEIL_TRY(ox_axis(c, axis, first->rank, &axis));
  memcpy(dims, first->dims, sizeof dims);
  dims[axis] = 0;
  bool isint = true;
  for (size_t i = 0; i < c->cur->n_input; i++) {
    const ox_const *k;
    VEIL_TRY(veil__ox_in_const(c, i, &k));
    for (int a = 0; a < first->rank; a++)
      if (k->rank != first->rank || (a != axis && k->dims[a] != first->dims[a]))
        return veil__ox_err(c, VEIL_ERR_FORMAT, "input %zu has a mismatching shape", i);
    dims[axis] += k->dims[axis];
    isint = isint && k->isint;
  }
  ox_const o;
  VEIL_TRY(veil__ox_const_alloc(&o, first->rank, dims, isint));
  int64_t outer = 1;
  for (int i = 0; i < axis; i++)
    outer *= dims[i];
  int64_t e = 0;
  for (int64_t a = 0; a < outer; a++)
    for (size_t i = 0; i < c->cur->n_input; i++) {
      const ox_const *k = &veil__ox_find(c, c->cur->input[i])->c;
      int64_t chunk = outer ? k->numel / outer : 0;
      memcpy(o.v + e, k->v + a * chunk, (size_t)chunk * sizeof(double));
      e += chunk;
    }
  return ox_out_const(c, &o);
}

static veil_status ox_fold_transpose(veil__ox_ctx *c, const ox_const *d) {
  int64_t perm[VEIL__OX_MAX_RANK], dims[VEIL__OX_MAX_RANK], def[VEIL__OX_MAX_RANK];
  for (int i = 0; i < d->rank; i++)
    def[i] = d->rank - 1 - i;
  VEIL_TRY(veil__ox_attr_ints(c, "perm", d->rank, def, perm, NULL));
  for (int i = 0; i < d->rank; i++) {
    if (perm[i] < 0 || perm[i] >= d->rank)
      return veil__ox_err(c, VEIL_ERR_FORMAT, "bad perm");
    dims[i] = d->dims[perm[i]];
  }
  ox_const o;
  VEIL_TRY(veil__ox_const_alloc(&o, d->rank, dims, d->isint));
  int64_t sd[VEIL__OX_MAX_RANK], so[VEIL__OX_MAX_RANK];
  ox_strides(d, sd);
  ox_strides(&o, so);
  for (int64_t e = 0; e < o.numel; e++) {
    int64_t src = 0;
    for (int i = 0; i < d->rank; i++)
      src += ((e / so[i]) % dims[i]) * sd[perm[i]];
    o.v[e] = d->v[src];
  }
  return ox_out_const(c, &o);
}

/* ONNX Slice clamping for one axis; steps may be negative. */
static void ox_slice_range(int64_t dim, int64_t step, int64_t *start, int64_t *end) {
  int64_t s = *start < 0 ? *start + dim : *start, e = *end < 0 ? *end + dim : *end;
  int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? dim : dim - 1;
  *start = s < 0 ? 0 : s > hi ? hi : s;
  *end = e < lo ? lo : e > hi ? hi : e;
}

static veil_status ox_fold_slice(veil__ox_ctx *c, const ox_const *d) {
  int64_t start[VEIL__OX_MAX_RANK], end[VEIL__OX_MAX_RANK], step[VEIL__OX_MAX_RANK], dims[VEIL__OX_MAX_RANK];
  VEIL_TRY(veil__ox_slice_params(c, d->rank, d->dims, start, end, step));
  for (int i = 0; i < d->rank; i++) {
    ox_slice_range(d->dims[i], step[i], &start[i], &end[i]);
    int64_t n = step[i] > 0 ? (end[i] - start[i] + step[i] - 1) / step[i]
                            : (start[i] - end[i] - step[i] - 1) / -step[i];
    dims[i] = n > 0 ? n : 0;
  }
  ox_const o;
  VEIL_TRY(veil__ox_const_alloc(&o, d->rank, dims, d->isint));
  int64_t sd[VEIL__OX_MAX_RANK], so[VEIL__OX_MAX_RANK];
  ox_strides(d, sd);
  ox_strides(&o, so);
  for (int64_t e = 0; e < o.numel; e++) {
    int64_t src = 0;
    for (int i = 0; i < d->rank; i++)
      src += (start[i] + ((e / so[i]) % dims[i]) * step[i]) * sd[i];
    o.v[e] = d->v[src];
  }
  return ox_out_const(c, &o);
}

static veil_status ox_fold_cast(veil__ox_ctx *c, const ox_const *d) {
  int64_t to;
  VEIL_TRY(veil__ox_attr_int(c, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, &to));
  if (!ox_elem_size((int)to))
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED, "attribute to=%lld is not supported", (long long)to);
  ox_const o;
  bool isint = to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && to != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
  VEIL_TRY(veil__ox_const_alloc(&o, d->rank, d->dims, isint));
  for (int64_t i = 0; i < d->numel; i++)
    o.v[i] = to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL ? (d->v[i] != 0)
             : isint                                    ? trunc(d->v[i])
             : to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ? (double)(float)d->v[i]
                                                          : d->v[i];
  return ox_out_const(c, &o);
}

static veil_status ox_fold_constant_of_shape(veil__ox_ctx *c, const ox_const *s) {
  int64_t dims[VEIL__OX_MAX_RANK];
  if (s->numel > VEIL__OX_MAX_RANK)
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED, "rank %lld", (long long)s->numel);
  for (int i = 0; i < s->numel; i++)
    dims[i] = veil__ox_const_int(s, i);
  const Onnx__AttributeProto *a = veil__ox_attr(c->cur, "value");
  ox_const val = {0};
  if (a && a->t)
    VEIL_TRY(veil__ox_const_from_proto(a->t, &val, "value"));
  ox_const o;
  veil_status st = veil__ox_const_alloc(&o, (int)s->numel, dims, a && a->t ? val.isint : false);
  if (st == VEIL_OK && val.v && val.numel != 1)
    st = veil__ox_err(c, VEIL_ERR_FORMAT, "attribute value must hold one element");
  if (st == VEIL_OK)
    for (int64_t i = 0; i < o.numel; i++)
      o.v[i] = val.v ? val.v[0] : 0;
  veil__ox_const_free(&val);
  if (st != VEIL_OK) {
    veil__ox_const_free(&o);
    return st;
  }
  return ox_out_const(c, &o);
}

/* Expand: numpy broadcast of the data onto a shape, as data * ones(shape). */
static veil_status ox_fold_expand(veil__ox_ctx *c, const ox_const *d, const ox_const *s) {
  int64_t dims[VEIL__OX_MAX_RANK];
  if (s->numel > VEIL__OX_MAX_RANK)
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED, "rank %lld", (long long)s->numel);
  for (int i = 0; i < s->numel; i++)
    dims[i] = veil__ox_const_int(s, i);
  ox_const ones;
  VEIL_TRY(veil__ox_const_alloc(&ones, (int)s->numel, dims, true));
  for (int64_t i = 0; i < ones.numel; i++)
    ones.v[i] = 1;
  veil_status st = ox_fold_binary(c, d, &ones, '*');
  veil__ox_const_free(&ones);
  return st;
}

/* ---- Constant, Shape and the fold dispatcher ---- */

veil_status veil__ox_op_constant(veil__ox_ctx *c) {
  const Onnx__NodeProto *n = c->cur;
  if (n->n_attribute != 1)
    return veil__ox_err(c, VEIL_ERR_FORMAT, "expected exactly one attribute");
  const Onnx__AttributeProto *a = n->attribute[0];
  ox_const k;
  if (a->t && strcmp(a->name, "value") == 0) {
    VEIL_TRY(veil__ox_const_from_proto(a->t, &k, n->output[0]));
  } else if (strcmp(a->name, "value_float") == 0 || strcmp(a->name, "value_int") == 0) {
    bool isint = a->name[6] == 'i';
    VEIL_TRY(veil__ox_const_alloc(&k, 0, NULL, isint));
    k.v[0] = isint ? (double)a->i : a->f;
  } else if (strcmp(a->name, "value_floats") == 0 || strcmp(a->name, "value_ints") == 0) {
    bool isint = a->name[6] == 'i';
    int64_t dim = (int64_t)(isint ? a->n_ints : a->n_floats);
    VEIL_TRY(veil__ox_const_alloc(&k, 1, &dim, isint));
    for (int64_t i = 0; i < dim; i++)
      k.v[i] = isint ? (double)a->ints[i] : a->floats[i];
  } else {
    return veil__ox_err(c, VEIL_ERR_UNSUPPORTED, "attribute %s is not supported", a->name ? a->name : "?");
  }
  return ox_out_const(c, &k);
}

veil_status veil__ox_op_shape(veil__ox_ctx *c) {
  const veil__ox_value *v;
  VEIL_TRY(veil__ox_in(c, 0, &v));
  int64_t full[VEIL__OX_MAX_RANK];
  int rank;
  if (v->is_const) {
    rank = v->c.rank;
    memcpy(full, v->c.dims, sizeof full);
  } else {
    const veil_node *node = &c->g->nodes[v->node];
    rank = node->ndim + 1;
    full[0] = c->batch;
    for (int i = 0; i < node->ndim; i++)
      full[i + 1] = node->shape[i];
  }
  int64_t s, e;
  VEIL_TRY(veil__ox_attr_int(c, "start", 0, &s));
  VEIL_TRY(veil__ox_attr_int(c, "end", rank, &e));
  s = s < 0 ? s + rank : s;
  e = e < 0 ? e + rank : e;
  s = s < 0 ? 0 : s > rank ? rank : s;
  e = e < s ? s : e > rank ? rank : e;
  int64_t dim = e - s;
  ox_const o;
  VEIL_TRY(veil__ox_const_alloc(&o, 1, &dim, true));
  for (int64_t i = 0; i < dim; i++)
    o.v[i] = (double)full[s + i];
  return ox_out_const(c, &o);
}

static bool ox_all_const(veil__ox_ctx *c) {
  if (c->cur->n_input == 0)
    return false;
  for (size_t i = 0; i < c->cur->n_input; i++) {
    if (!c->cur->input[i][0])
      continue;
    const veil__ox_value *v = veil__ox_find(c, c->cur->input[i]);
    if (!v || !v->is_const)
      return false;
  }
  return true;
}

veil_status veil__ox_fold(veil__ox_ctx *c, bool *done) {
  *done = false;
  if (!ox_all_const(c))
    return VEIL_OK;
  const char *op = c->cur->op_type;
  const ox_const *a, *b;
  VEIL_TRY(veil__ox_in_const(c, 0, &a));
  *done = true;
  if (!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul") || !strcmp(op, "Div")) {
    VEIL_TRY(veil__ox_in_const(c, 1, &b));
    return ox_fold_binary(c, a, b, op[0] == 'A' ? '+' : op[0] == 'S' ? '-' : op[0] == 'M' ? '*' : '/');
  }
  if (!strcmp(op, "Gather")) {
    VEIL_TRY(veil__ox_in_const(c, 1, &b));
    return ox_fold_gather(c, a, b);
  }
  if (!strcmp(op, "Expand")) {
    VEIL_TRY(veil__ox_in_const(c, 1, &b));
    return ox_fold_expand(c, a, b);
  }
  if (!strcmp(op, "Reshape")) {
    VEIL_TRY(veil__ox_in_const(c, 1, &b));
    return ox_fold_reshape(c, a, b);
  }
  if (!strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze"))
    return ox_fold_unsqueeze(c, a, op[0] == 'S');
  if (!strcmp(op, "Concat"))
    return ox_fold_concat(c);
  if (!strcmp(op, "Flatten"))
    return ox_fold_flatten(c, a);
  if (!strcmp(op, "Transpose"))
    return ox_fold_transpose(c, a);
  if (!strcmp(op, "Slice"))
    return ox_fold_slice(c, a);
  if (!strcmp(op, "Cast"))
    return ox_fold_cast(c, a);
  if (!strcmp(op, "ConstantOfShape"))
    return ox_fold_constant_of_shape(c, a);
  if (!strcmp(op, "Identity") || !strcmp(op, "Dropout"))
    return ox_fold_redim(c, a, a->rank, a->dims);
  *done = false;
  return VEIL_OK;
}
