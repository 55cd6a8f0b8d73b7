/* Evaluation plans: the split tree of a Chebyshev polynomial at optimal depth (see poly.h). */
#include <string.h>

#include "veil/poly.h"

enum { NODE_CONST, NODE_LEAF, NODE_SPLIT };

/* ceil(log2 i) for i >= 1: the depth of T_i in the power basis. */
static int ilog2_ceil(int i) {
  int k = 0;
  while ((1 << k) < i)
    k++;
  return k;
}

static bool is_pow2(int i) { return i > 0 && (i & (i - 1)) == 0; }

static int true_degree(const double *c, int d) {
  while (d > 0 && c[d] == 0.0)
    d--;
  return d;
}

typedef struct builder {
  veil_poly_plan *pl;
  int cap;
} builder;

static veil_status new_node(builder *b, int *id) {
  veil_poly_plan *pl = b->pl;
  if (pl->nnodes == b->cap) {
    int cap = b->cap ? 2 * b->cap : 16;
    veil_poly_node *nn = veil_calloc((size_t)cap, sizeof *nn);
    if (!nn)
      return veil_fail(VEIL_ERR_NOMEM, "polynomial plan nodes (%d)", cap);
    if (pl->nodes)
      memcpy(nn, pl->nodes, (size_t)pl->nnodes * sizeof *nn);
    veil_free(pl->nodes);
    pl->nodes = nn;
    b->cap = cap;
  }
  *id = pl->nnodes++;
  return VEIL_OK;
}

/* T_i is in the power basis (baby step or a power of two) and leaves room for one more level. */
static bool leaf_term_ok(const veil_poly_plan *pl, int i, int budget) {
  return (i <= (1 << pl->logsplit) || is_pow2(i)) && ilog2_ceil(i) <= budget - 1;
}

/* Marks T_i and, recursively, what computing it needs: T_a, T_b, T_{a-b}, a = 2^(ceil log2 i - 1). */
static void mark_need(veil_poly_plan *pl, int i) {
  if (i < 1 || pl->need[i])
    return;
  pl->need[i] = true;
  if (i == 1)
    return;
  int a = 1 << (ilog2_ceil(i) - 1), b = i - a;
  pl->nmul++;
  mark_need(pl, a);
  mark_need(pl, b);
  mark_need(pl, a - b);
}

static veil_status make_leaf(builder *b, const double *c, int d, int budget, int id) {
  veil_poly_node *nd = &b->pl->nodes[id];
  nd->kind = d == 0 ? NODE_CONST : NODE_LEAF;
  nd->budget = budget;
  nd->c0 = c[0];
  if (d == 0)
    return VEIL_OK;
  nd->idx = veil_malloc((size_t)d * sizeof(int));
  nd->c = veil_malloc((size_t)d * sizeof(double));
  if (!nd->idx || !nd->c)
    return veil_fail(VEIL_ERR_NOMEM, "polynomial plan leaf (degree %d)", d);
  for (int i = 1; i <= d; i++)
    if (c[i] != 0.0) {
      nd->idx[nd->nterms] = i;
      nd->c[nd->nterms++] = c[i];
      mark_need(b->pl, i);
    }
  return VEIL_OK;
}

static veil_status build(builder *b, const double *c, int d, int budget, int *out);

/* p = q T_g + r with T_n T_g = (T_{n+g} + T_{|n-g|}) / 2: q_0 = c_g, q_j = 2 c_{g+j}, r_{g-j} -= c_{g+j}. */
static veil_status split(builder *b, const double *c, int d, int budget, int id) {
  int g = 1 << (ilog2_ceil(d + 1) - 1), qd = d - g;
  double *q = veil_calloc((size_t)d + 1, sizeof(double)), *r = q ? veil_calloc((size_t)g, sizeof(double)) : NULL;
  veil_status st = VEIL_OK;
  if (!q || !r) {
    st = veil_fail(VEIL_ERR_NOMEM, "polynomial split (degree %d)", d);
    goto done;
  }
  memcpy(r, c, (size_t)g * sizeof(double));
  q[0] = c[g];
  for (int j = 1; j <= qd; j++) {
    q[j] = 2.0 * c[g + j];
    r[g - j] -= c[g + j];
  }
  mark_need(b->pl, g);
  b->pl->nmul += true_degree(q, qd) > 0;
  int qi, ri;
  if ((st = build(b, q, true_degree(q, qd), budget - 1, &qi)) || (st = build(b, r, true_degree(r, g - 1), budget, &ri)))
    goto done;
  veil_poly_node *nd = &b->pl->nodes[id]; /* after the children: nodes may have moved */
  nd->kind = NODE_SPLIT;
  nd->budget = budget;
  nd->g = g;
  nd->q = qi;
  nd->r = ri;
done:
  veil_free(q);
  veil_free(r);
  return st;
}

static veil_status build(builder *b, const double *c, int d, int budget, int *out) {
  VEIL_ASSERT(ilog2_ceil(d + 1) <= budget || d == 0);
  VEIL_TRY(new_node(b, out));
  bool leaf = true;
  for (int i = 1; i <= d && leaf; i++)
    leaf = c[i] == 0.0 || leaf_term_ok(b->pl, i, budget);
  return leaf ? make_leaf(b, c, d, budget, *out) : split(b, c, d, budget, *out);
}

void veil_poly_plan_free(veil_poly_plan *pl) {
  if (!pl)
    return;
  for (int i = 0; i < pl->nnodes; i++) {
    veil_free(pl->nodes[i].idx);
    veil_free(pl->nodes[i].c);
  }
  veil_free(pl->nodes);
  veil_free(pl->need);
  veil_cheb_free(&pl->poly);
  memset(pl, 0, sizeof *pl);
}

veil_status veil_poly_plan_init(veil_poly_plan *pl, const veil_cheb *p) {
  memset(pl, 0, sizeof *pl);
  int d = veil_cheb_true_degree(p);
  if (d < 1 || d > 1023)
    return veil_fail(VEIL_ERR_INVALID_ARG, "polynomial plan: degree %d outside 1..1023", d);
  VEIL_TRY(veil_cheb_copy(&pl->poly, p));
  pl->degree = d;
  pl->depth = ilog2_ceil(d + 1);
  pl->logsplit = pl->depth / 2 > 1 ? pl->depth / 2 : 1;
  pl->need = veil_calloc((size_t)d + 1, sizeof(bool));
  builder b = {.pl = pl};
  veil_status st = pl->need ? build(&b, p->c, d, pl->depth, &pl->root)
                            : veil_fail(VEIL_ERR_NOMEM, "polynomial plan (degree %d)", d);
  if (st)
    veil_poly_plan_free(pl);
  return st;
}
