#include "veil/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_threshold(void) {
  static int level = -1;
  if (level < 0) {
    const char *e = getenv("VEIL_LOG");
    level = VEIL_LOG_WARN;
    if (e) {
      if (!strcmp(e, "error")) level = VEIL_LOG_ERROR;
      else if (!strcmp(e, "info")) level = VEIL_LOG_INFO;
      else if (!strcmp(e, "debug")) level = VEIL_LOG_DEBUG;
    }
  }
  return level;
}

void veil_log(veil_log_level lvl, const char *fmt, ...) {
  static const char *names[] = {"error", "warning", "info", "debug"};
  if ((int)lvl > log_threshold())
    return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "veil: %s: ", names[lvl]);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

void veil_progress_init(veil_progress *p, const char *label, uint64_t total) {
  p->label = label;
  p->total = total;
  p->done = 0;
  p->start_ns = p->last_draw_ns = veil_now_ns();
  p->tty = isatty(STDERR_FILENO);
}

static void progress_draw(veil_progress *p, bool final) {
  double frac = p->total ? (double)p->done / (double)p->total : 1.0;
  int width = 30, fill = (int)(frac * width);
  double secs = (double)(veil_now_ns() - p->start_ns) * 1e-9;
  double eta = frac > 0 ? secs * (1 - frac) / frac : 0;
  fprintf(stderr, "\r%s [", p->label);
  for (int i = 0; i < width; i++)
    fputc(i < fill ? '#' : '.', stderr);
  fprintf(stderr, "] %llu/%llu %5.1f%% %.1fs", (unsigned long long)p->done,
          (unsigned long long)p->total, 100 * frac, secs);
  if (!final)
    fprintf(stderr, " eta %.1fs ", eta);
  else
    fputs("          \n", stderr);
  fflush(stderr);
}

void veil_progress_add(veil_progress *p, uint64_t n) {
  p->done += n;
  if (!p->tty)
    return;
  uint64_t now = veil_now_ns();
  if (now - p->last_draw_ns > 100000000ull || p->done >= p->total) {
    p->last_draw_ns = now;
    progress_draw(p, false);
  }
}

void veil_progress_finish(veil_progress *p) {
  if (p->tty)
    progress_draw(p, true);
}
