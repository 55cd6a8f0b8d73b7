/**
 * @file data.h
 * @brief Datasets and input preprocessing for the plaintext runtime (layer nn): MNIST IDX files
 *        (gzipped or not), CIFAR-10 binary batches, PNG images, the "weights text" format used for
 *        the shipped CryptoNets weights, and a per-model preprocessing spec (::veil_prep) read from a
 *        small sidecar file.
 *
 * Readers return raw pixel values (0..255) as float32 in NCHW order; preprocessing is a separate,
 * explicit step so that no dataset carries a hidden normalization:
 *
 * @code
 *   veil_dataset ds;
 *   veil_prep prep;
 *   veil_prep_default(&prep);
 *   VEIL_TRY(veil_prep_load("models/cryptonets.prep", &prep));
 *   VEIL_TRY(veil_mnist_load_dir("data/mnist", "t10k", 0, &ds));
 *   veil_tensor x;   // [N,1,28,28] with x = pixel/256
 *   VEIL_TRY(veil_prep_apply(&prep, &ds.images, 0, ds.count, &x));
 *   ...
 *   veil_tensor_free(&x);
 *   veil_dataset_free(&ds);
 * @endcode
 */
#ifndef VEIL_DATA_H
#define VEIL_DATA_H

#include "veil/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- datasets -------------------------------------------------------------------------------- */

/** Labelled images: raw pixels 0..255 as float32 [N,C,H,W] plus one label (0..nclasses-1) each. */
typedef struct veil_dataset {
  veil_tensor images; /**< [count, C, H, W], values 0..255 */
  uint8_t *labels;    /**< count labels (veil_malloc'd) */
  int64_t count;
  int nclasses;
} veil_dataset;

/** Frees images and labels and zeroes @p ds; NULL or an already freed dataset is a no-op. */
void veil_dataset_free(veil_dataset *ds);

/**
 * Reads an MNIST pair of IDX files (gzip-compressed or plain; zlib detects which).
 * @param[in] images_path  IDX3 file: magic 0x00000803, count, rows, cols, then count*rows*cols bytes
 * @param[in] labels_path  IDX1 file: magic 0x00000801, count, then count bytes (each 0..9)
 * @param[in] max_count    read at most this many images (0 = all)
 * @param[out] ds          [N,1,rows,cols] dataset with 10 classes
 * @return VEIL_ERR_IO (missing/unreadable file), VEIL_ERR_FORMAT (bad magic, dims, counts that differ,
 *         truncated data, corrupt gzip, label > 9), VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_mnist_load(const char *images_path, const char *labels_path, int64_t max_count,
                                     veil_dataset *ds);

/**
 * Reads split @p split ("t10k" or "train") from directory @p dir, which holds
 * `<split>-images-idx3-ubyte[.gz]` and `<split>-labels-idx1-ubyte[.gz]`.
 * @return as veil_mnist_load(); VEIL_ERR_NOT_FOUND if neither name exists.
 */
VEIL_WUR veil_status veil_mnist_load_dir(const char *dir, const char *split, int64_t max_count,
                                         veil_dataset *ds);

/** Bytes of one CIFAR-10 binary record: 1 label byte, then 1024 R, 1024 G, 1024 B bytes (32x32 each). */
#define VEIL_CIFAR10_RECORD 3073

/**
 * Reads a CIFAR-10 binary batch holding any whole number (>= 1) of 3073-byte records.
 * @param[in] max_count  read at most this many records (0 = all)
 * @param[out] ds        [N,3,32,32] dataset with 10 classes
 * @return VEIL_ERR_IO, VEIL_ERR_FORMAT (empty, size not a multiple of 3073, label > 9), VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_cifar10_load(const char *path, int64_t max_count, veil_dataset *ds);

/**
 * Reads the CIFAR-10 test batch from @p dir: `test_batch.bin`, or else `test_batch.first1000.bin`.
 * @return as veil_cifar10_load(); VEIL_ERR_NOT_FOUND if neither file exists.
 */
VEIL_WUR veil_status veil_cifar10_load_dir(const char *dir, int64_t max_count, veil_dataset *ds);

/* ---- images ---------------------------------------------------------------------------------- */

/**
 * Reads an 8-bit grayscale or RGB PNG (palette and gray+alpha / RGBA are converted: palette to RGB,
 * alpha dropped; 16-bit input is rejected) into @p img as float32 [1,C,H,W] with values 0..255.
 * @return VEIL_ERR_IO (cannot open), VEIL_ERR_FORMAT (not a PNG, corrupt or truncated data),
 *         VEIL_ERR_UNSUPPORTED (16-bit samples), VEIL_ERR_LIMIT (larger than 8192x8192), VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_png_load(const char *path, veil_tensor *img);

/* ---- preprocessing --------------------------------------------------------------------------- */

#define VEIL_PREP_MAX_CHANNELS 4

/**
 * How raw pixels p (0..255) become model input: x[c] = (p * scale - mean[c]) / std[c], then zero
 * padding of the spatial dims by pad = {top, left, bottom, right}. With nchannels == 0 there is no
 * mean/std; with nchannels == 1 the one mean/std applies to every channel.
 */
typedef struct veil_prep {
  double scale;
  int pad[4];
  int nchannels;
  double mean[VEIL_PREP_MAX_CHANNELS], std[VEIL_PREP_MAX_CHANNELS];
  char dataset[16]; /**< optional default dataset name ("mnist", "cifar10"); "" if none */
} veil_prep;

/** Sets @p p to the identity on 0..255 scaled by 1/255: scale 1/255, no padding, no mean/std. */
void veil_prep_default(veil_prep *p);

/**
 * Reads a preprocessing sidecar: text lines `key value...`, '#' starts a comment. Keys:
 *   - `scale S` where S is a number or a fraction `A/B` (e.g. `1/256`)
 *   - `pad T L B R` (non-negative integers, at most 64)
 *   - `mean M...` and `std S...` (1..4 numbers each, same count; std > 0)
 *   - `dataset NAME`
 * Keys absent from the file keep the values already in @p p.
 * @return VEIL_ERR_IO, VEIL_ERR_FORMAT naming the file, line and key.
 */
VEIL_WUR veil_status veil_prep_load(const char *path, veil_prep *p);

/**
 * Writes @p p as a sidecar file that veil_prep_load() reads back exactly (numbers with %.17g),
 * preceded by @p comment lines (may be NULL; each line gets a "# " prefix).
 * @return VEIL_ERR_IO.
 */
VEIL_WUR veil_status veil_prep_save(const char *path, const veil_prep *p, const char *comment);

/** Formats @p p on one line ("scale 0.00390625, pad 0 0 1 1, mean ..., std ...") into @p buf; returns buf. */
const char *veil_prep_str(const veil_prep *p, char *buf, size_t len);

/** Parses one sidecar-style value for @p key (as in a sidecar line) into @p p. @p where names the source. */
VEIL_WUR veil_status veil_prep_set(veil_prep *p, const char *key, const char *value, const char *where);

/**
 * Preprocesses images [first, first+count) of @p images ([N,C,H,W], 0..255) into a new tensor
 * [count, C, H+top+bottom, W+left+right].
 * @return VEIL_ERR_INVALID_ARG (range outside N, not 4-D), VEIL_ERR_MISMATCH (mean/std count is not 1
 *         or C), VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_prep_apply(const veil_prep *p, const veil_tensor *images, int64_t first,
                                     int64_t count, veil_tensor *out);

/* ---- weights text ---------------------------------------------------------------------------- */

/** One named array from a weights text file. */
typedef struct veil_named_array {
  char name[64];
  veil_tensor t;
} veil_named_array;

/** The arrays of a weights text file, in file order. */
typedef struct veil_weights {
  int n;
  veil_named_array *arrays;
} veil_weights;

/**
 * Reads a weights text file: lines starting with '#' are comments; then per array a line
 * `name d0 d1 ...` (1..6 positive dims) followed by one line of prod(d) numbers, row-major.
 * @return VEIL_ERR_IO, VEIL_ERR_FORMAT (bad header, wrong value count, non-number; names the array
 *         and line), VEIL_ERR_LIMIT (file over 256 MiB or more than 1024 arrays), VEIL_ERR_NOMEM.
 */
VEIL_WUR veil_status veil_weights_load(const char *path, veil_weights *w);

/**
 * Finds array @p name and checks its shape against @p ndim / @p shape.
 * @return VEIL_ERR_NOT_FOUND (no such array), VEIL_ERR_MISMATCH (shape differs; names both shapes).
 */
VEIL_WUR veil_status veil_weights_get(const veil_weights *w, const char *name, int ndim, const int64_t *shape,
                                      const veil_tensor **t);

/** Frees all arrays; NULL is a no-op. */
void veil_weights_free(veil_weights *w);

/* ---- models assembled from weights ----------------------------------------------------------- */

/**
 * Builds CryptoNets (Gilad-Bachrach et al. 2016, weights from microsoft/CryptoNets) from a weights text
 * file with arrays conv_w [5][5][5], conv_b [5], fc1_w [845][100] (input-major), fc1_b [100],
 * fc2_w [10][100], fc2_b [10]. The graph takes x = pixel/256 as [1,28,28]; the zero padding of one row
 * at the bottom and one column at the right is part of the convolution (pads 0,0,1,1):
 * conv 5x5 stride 2 (5 maps) + bias -> square -> flatten (map,y,x) -> dense 845->100 + bias -> square
 * -> dense 100->10 + bias. @p g must be freshly initialized.
 * @return errors of veil_weights_load() / veil_weights_get(), or of graph construction.
 */
VEIL_WUR veil_status veil_cryptonets_build(const char *weights_path, veil_graph *g);

#ifdef __cplusplus
}
#endif
#endif
