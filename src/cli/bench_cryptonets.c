/* `veil bench cryptonets`: the shipped CryptoNets on one full batch of MNIST, encrypted. */
#include <stdio.h>

#include "bench.h"
#include "he_cli.h"

int veil_bench_cryptonets(veil_cli_args *a, const veil_bench_cfg *cfg) {
  int64_t logn = 0;
  if (!veil_cli_int(a, "logn", 12, 17, &logn)) return 2;
  he_cn_result r;
  int rc = veil__he_cryptonets("bench", (int)logn, veil_cli_has(a, "reps") ? cfg->reps : 1, &r);
  if (rc) return rc;
  veil_json j;
  veil_json_begin(&j, stdout);
  veil_json_int(&j, "batch", r.batch), veil_json_int(&j, "logn", r.logn), veil_json_num(&j, "log_qp", r.log_qp);
  veil_json_int(&j, "security_bits", r.security), veil_json_int(&j, "threads", cfg->threads);
  veil_json_num(&j, "server_s", r.server_s), veil_json_num(&j, "server_cpu_s", r.server_cpu_s), veil_json_num(&j, "images_per_s", (double)r.batch / r.server_s);
  veil_json_num(&j, "client_encrypt_s", r.enc_s), veil_json_num(&j, "client_decrypt_s", r.dec_s);
  veil_json_int(&j, "disagree", r.disagree), veil_json_num(&j, "peak_rss_mb", r.peak_rss_mb);
  veil_json_end(&j);
  return 0;
}
