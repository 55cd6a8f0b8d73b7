/* Request counters and a latency histogram, exposed in the Prometheus text format (GET /v1/metrics). */
#include "service/service-impl.h"

/* Upper bounds of the latency buckets, seconds. */
static const double bucket_le[VEIL__NBUCKETS] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300};

void veil__metrics_record(veil__metrics *m, unsigned status, uint64_t in, uint64_t out, uint64_t ns) {
  atomic_fetch_add(&m->requests, 1);
  if (status >= 400 && status < 500)
    atomic_fetch_add(&m->errors_4xx, 1);
  if (status >= 500)
    atomic_fetch_add(&m->errors_5xx, 1);
  if (status == 503)
    atomic_fetch_add(&m->rejected_busy, 1);
  atomic_fetch_add(&m->bytes_in, in);
  atomic_fetch_add(&m->bytes_out, out);
  double s = (double)ns * 1e-9;
  int b = 0;
  while (b < VEIL__NBUCKETS && s > bucket_le[b])
    b++;
  atomic_fetch_add(&m->latency_bucket[b], 1);
  atomic_fetch_add(&m->latency_sum_us, ns / 1000);
}

static void counter(veil_wbuf *w, const char *name, const char *help, const char *labels, uint64_t v) {
  veil__wbuf_printf(w, "# HELP %s %s\n# TYPE %s counter\n%s%s %llu\n", name, help, name, name, labels,
                    (unsigned long long)v);
}

static void gauge(veil_wbuf *w, const char *name, const char *help, long long v) {
  veil__wbuf_printf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, v);
}

void veil__metrics_write(const veil__metrics *m, veil_wbuf *w, int keysets, int queued, int workers) {
  uint64_t req = atomic_load(&m->requests);
  counter(w, "veil_requests_total", "HTTP requests answered", "", req);
  veil__wbuf_printf(w, "# HELP veil_errors_total HTTP error responses by class\n# TYPE veil_errors_total counter\n");
  veil__wbuf_printf(w, "veil_errors_total{class=\"4xx\"} %llu\nveil_errors_total{class=\"5xx\"} %llu\n",
                    (unsigned long long)atomic_load(&m->errors_4xx),
                    (unsigned long long)atomic_load(&m->errors_5xx));
  counter(w, "veil_rejected_busy_total", "requests refused with 503 (over capacity)", "",
          atomic_load(&m->rejected_busy));
  counter(w, "veil_bytes_in_total", "request body bytes received", "", atomic_load(&m->bytes_in));
  counter(w, "veil_bytes_out_total", "response body bytes sent", "", atomic_load(&m->bytes_out));
  veil__wbuf_printf(w, "# HELP veil_request_duration_seconds request latency\n"
                       "# TYPE veil_request_duration_seconds histogram\n");
  uint64_t cum = 0;
  for (int b = 0; b <= VEIL__NBUCKETS; b++) {
    cum += atomic_load(&m->latency_bucket[b]);
    if (b < VEIL__NBUCKETS)
      veil__wbuf_printf(w, "veil_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bucket_le[b],
                        (unsigned long long)cum);
    else
      veil__wbuf_printf(w, "veil_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
  }
  veil__wbuf_printf(w, "veil_request_duration_seconds_sum %.6f\nveil_request_duration_seconds_count %llu\n",
                    (double)atomic_load(&m->latency_sum_us) * 1e-6, (unsigned long long)cum);
  gauge(w, "veil_jobs_inflight", "HE jobs running or queued", atomic_load(&m->inflight_jobs));
  gauge(w, "veil_jobs_queued", "HE jobs waiting for a worker", queued);
  gauge(w, "veil_workers", "worker threads", workers);
  gauge(w, "veil_key_sets", "stored key sets", keysets);
}
