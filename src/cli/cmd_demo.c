/* `veil demo`: encrypted MNIST inference of the shipped CryptoNets on one batch of test images. */
#include <stdio.h>

#include "he_cli.h"

static const veil_cli_opt opts[] = {
    {"logn", "L", "ring dimension 2^L (default: chosen from the plan)"},
    {"threads", "T", "threads (default: all cores)"},
    {0}};

static int run(veil_cli_args *a) {
  int64_t logn = 0, threads = 0;
  if (!veil_cli_int(a, "logn", 12, 17, &logn) || !veil_cli_int(a, "threads", 1, 1024, &threads)) return 2;
  if (threads) veil_threads_set((int)threads);
  printf("veil demo: CryptoNets (models/cryptonets.onnx) on encrypted MNIST test images, batch packing\n");
  fflush(stdout);
  he_cn_result r;
  int rc = veil__he_cryptonets("demo", (int)logn, 1, &r);
  if (rc) return rc;
  printf("ring 2^%d, log2(QP) %.0f, %d-bit security; complex packing: %s\n", r.logn, r.log_qp, r.security, r.complex_why);
  printf("images: %lld (one ciphertext batch), threads: %d\n", (long long)r.batch, veil_threads());
  printf("accuracy encrypted: %.2f%%  plaintext: %.2f%%  (%lld images classified differently)\n", 100.0 * (double)r.correct / (double)r.batch,
         100.0 * (double)r.plain_correct / (double)r.batch, (long long)r.disagree);
  printf("server inference: %.2f s = %.0f images/s (CPU time %.2f s over %d threads)\n", r.server_s, (double)r.batch / r.server_s, r.server_cpu_s, veil_threads());
  printf("client: keygen %.2f s, encrypt %.2f s, decrypt %.2f s; peak memory %.0f MiB\n", r.keygen_s, r.enc_s, r.dec_s, r.peak_rss_mb);
  return 0;
}

VEIL_CLI_COMMAND(demo, "demo", "encrypted MNIST inference demo (CryptoNets, batch packing)", "veil demo [--threads T]", NULL, opts, run)
