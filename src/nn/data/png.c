/* PNG reader through libpng's simplified API: 8-bit gray or RGB to float32 [1,C,H,W], values 0..255. */
#include "data-impl.h"

#include <png.h>
#include <string.h>

#define MAX_SIDE 8192u

static veil_status check_header(const char *path, const png_image *im) {
  if (im->format & PNG_FORMAT_FLAG_LINEAR)
    return veil_fail(VEIL_ERR_UNSUPPORTED, "%s: 16-bit PNG samples are not supported (need 8-bit)", path);
  if (im->width == 0 || im->height == 0 || im->width > MAX_SIDE || im->height > MAX_SIDE)
    return veil_fail(VEIL_ERR_LIMIT, "%s: PNG size %ux%u outside 1..%u", path, im->width, im->height, MAX_SIDE);
  return VEIL_OK;
}

/* Converts interleaved 8-bit pixels (HWC) to planar float (CHW). */
static void to_chw(const uint8_t *px, int64_t c, int64_t h, int64_t w, float *out) {
  for (int64_t k = 0; k < c; k++)
    for (int64_t i = 0; i < h * w; i++)
      out[k * h * w + i] = px[i * c + k];
}

static veil_status finish(const char *path, png_image *im, veil_tensor *img) {
  int64_t c = (im->format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
  im->format = c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  size_t bytes = PNG_IMAGE_SIZE(*im);
  uint8_t *px = veil_calloc(bytes, 1);
  if (!px)
    return veil_fail(VEIL_ERR_NOMEM, "%s: %zu bytes for pixels", path, bytes);
  png_color black = {0, 0, 0};
  if (!png_image_finish_read(im, &black, px, 0, NULL)) {
    veil_status st = veil_fail(VEIL_ERR_FORMAT, "%s: corrupt PNG (%s)", path, im->message);
    veil_free(px);
    return st;
  }
  int64_t shape[4] = {1, c, im->height, im->width};
  veil_status st = veil_tensor_init(img, 4, shape);
  if (!st)
    to_chw(px, c, im->height, im->width, img->data);
  veil_free(px);
  return st;
}

veil_status veil_png_load(const char *path, veil_tensor *img) {
  memset(img, 0, sizeof *img);
  if (!veil__file_exists(path))
    return veil_fail(VEIL_ERR_IO, "cannot open %s: no such file", path);
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&im, path))
    return veil_fail(VEIL_ERR_FORMAT, "%s: not a readable PNG (%s)", path, im.message);
  veil_status st = check_header(path, &im);
  if (!st)
    return finish(path, &im, img);
  png_image_free(&im);
  return st;
}
