/* CryptoNets (Gilad-Bachrach et al., ICML 2016) assembled from the microsoft/CryptoNets weights. */
#include "data-impl.h"
#include "veil/model.h"

#include <string.h>

#define MAPS 5
#define K 5
#define FLAT (MAPS * 13 * 13)
#define HIDDEN 100
#define CLASSES 10

typedef struct cn_arrays {
  const veil_tensor *conv_w, *conv_b, *fc1_w, *fc1_b, *fc2_w, *fc2_b;
} cn_arrays;

static veil_status get_arrays(const veil_weights *w, cn_arrays *a) {
  VEIL_TRY(veil_weights_get(w, "conv_w", 3, (const int64_t[]){MAPS, K, K}, &a->conv_w));
  VEIL_TRY(veil_weights_get(w, "conv_b", 1, (const int64_t[]){MAPS}, &a->conv_b));
  VEIL_TRY(veil_weights_get(w, "fc1_w", 2, (const int64_t[]){FLAT, HIDDEN}, &a->fc1_w));
  VEIL_TRY(veil_weights_get(w, "fc1_b", 1, (const int64_t[]){HIDDEN}, &a->fc1_b));
  VEIL_TRY(veil_weights_get(w, "fc2_w", 2, (const int64_t[]){CLASSES, HIDDEN}, &a->fc2_w));
  return veil_weights_get(w, "fc2_b", 1, (const int64_t[]){CLASSES}, &a->fc2_b);
}

/* The layers after the input; fc1t is fc1_w transposed to the [out][in] layout of dense layers. */
static veil_status add_layers(veil_model *m, const cn_arrays *a, const float *fc1t) {
  veil_conv2d_opts conv = {.cout = MAPS, .kh = K, .kw = K, .stride = {2, 2}, .pad = {0, 0, 1, 1}};
  VEIL_TRY(veil_model_conv2d_ex(m, &conv, a->conv_w->data, a->conv_b->data));
  VEIL_TRY(veil_model_name(m, "conv"));
  VEIL_TRY(veil_model_square(m));
  VEIL_TRY(veil_model_name(m, "square1"));
  VEIL_TRY(veil_model_flatten(m));
  VEIL_TRY(veil_model_dense(m, HIDDEN, fc1t, a->fc1_b->data));
  VEIL_TRY(veil_model_name(m, "fc1"));
  VEIL_TRY(veil_model_square(m));
  VEIL_TRY(veil_model_name(m, "square2"));
  VEIL_TRY(veil_model_dense(m, CLASSES, a->fc2_w->data, a->fc2_b->data));
  return veil_model_name(m, "fc2");
}

static veil_status build(const veil_weights *w, veil_graph *g) {
  cn_arrays a;
  VEIL_TRY(get_arrays(w, &a));
  float *fc1t = veil_malloc(sizeof(float) * FLAT * HIDDEN);
  if (!fc1t)
    return veil_fail(VEIL_ERR_NOMEM, "cryptonets: fc1 weights");
  for (int i = 0; i < FLAT; i++)
    for (int j = 0; j < HIDDEN; j++)
      fc1t[j * FLAT + i] = a.fc1_w->data[i * HIDDEN + j];
  veil_model m;
  veil_status st = veil_model_init(&m, "cryptonets", 1, 28, 28);
  if (!st)
    st = add_layers(&m, &a, fc1t);
  if (!st)
    veil_model_take(&m, g);
  veil_model_free(&m);
  veil_free(fc1t);
  return st;
}

veil_status veil_cryptonets_build(const char *weights_path, veil_graph *g) {
  veil_weights w;
  VEIL_TRY(veil_weights_load(weights_path, &w));
  veil_status st = build(&w, g);
  veil_weights_free(&w);
  return st;
}
