/* veil approx: polynomial approximations of activations, their depth and measured error. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "veil/approx.h"

static const veil_cli_opt opts[] = {
    {"interval", "A,B", "approximation interval (default -1,1)"},
    {"degrees", "D1,D2,..", "stage degrees: odd composite for sign/relu (default 15,15,27), one for others (31)"},
    {"eps", "E", "sign/relu gap relative to max|x| (default: sign 2^-8, relu optimized)"},
    {"remez", NULL, "smooth functions: minimax (Remez) instead of Chebyshev interpolation"},
    {"points", "P", "grid points for the error measurement (default 65537)"},
    {"coeffs", NULL, "include the stage coefficients (Chebyshev basis) in the output"},
    {"json", NULL, "print one JSON object"},
    {0}};

static const char desc[] =
    "FUNCTION is one of sign, relu, sigmoid, gelu, silu, exp, tanh.\n"
    "sign/relu compose odd minimax polynomials (Remez, MPFR) of sign on [-1,-eps] U [eps,1]\n"
    "(Lee et al., ePrint 2020/834); relu(x) = x (1 + sign(x)) / 2 on [A,B] by scaling with max|A|,|B|.\n"
    "Smooth functions use one Chebyshev interpolant (or --remez minimax) on [A,B].\n"
    "depth = sum ceil(log2(d_i + 1)) (+1 for relu's final multiplication by x). Errors are measured\n"
    "against the exact function on P equally spaced points (sign: skipping |x| < eps max|x|).";

/* Parses "a,b,c" into at most @p max numbers; returns the count or -1. */
static int parse_list(const char *s, double *out, int max) {
  int n = 0;
  while (s && *s) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || n == max || !isfinite(v))
      return -1;
    out[n++] = v;
    if (*end == ',')
      end++;
    else if (*end)
      return -1;
    s = end;
  }
  return n;
}

static void print_stages(veil_json *j, const veil_approx *ap) {
  veil_json_array_begin(j, "stages");
  for (int i = 0; i < ap->nstages; i++) {
    const veil_cheb *p = &ap->stage[i];
    veil_json_object_begin(j, NULL);
    veil_json_array_begin(j, "domain");
    veil_json_array_num(j, p->a);
    veil_json_array_num(j, p->b);
    veil_json_array_end(j);
    veil_json_array_begin(j, "chebyshev");
    for (int k = 0; k <= p->degree; k++)
      veil_json_array_num(j, p->c[k]);
    veil_json_array_end(j);
    veil_json_object_end(j);
  }
  veil_json_array_end(j);
}

static void print_json(const veil_approx *ap, const veil_approx_stats *st, bool coeffs) {
  veil_json j;
  veil_json_begin(&j, stdout);
  veil_json_str(&j, "function", veil_approx_fn_name(ap->fn));
  veil_approx_json_shape(ap, &j);
  veil_json_num(&j, "max_err", st->max_err);
  veil_json_num(&j, "mean_err", st->mean_err);
  veil_json_int(&j, "points", (int64_t)st->points);
  if (ap->fn == VEIL_APPROX_SIGN || ap->fn == VEIL_APPROX_RELU)
    veil_json_num(&j, "eps", ap->eps);
  if (coeffs)
    print_stages(&j, ap);
  veil_json_end(&j);
}

static void print_text(const veil_approx *ap, const veil_approx_stats *st) {
  printf("function   %s on [%g, %g]\n", veil_approx_fn_name(ap->fn), ap->lo, ap->hi);
  printf("degrees   ");
  for (int i = 0; i < ap->nstages; i++)
    printf(" %d", ap->degrees[i]);
  printf("\ndepth      %d\n", ap->depth);
  if (ap->fn == VEIL_APPROX_SIGN || ap->fn == VEIL_APPROX_RELU)
    printf("eps        %.6g (2^%.2f)\n", ap->eps, log2(ap->eps));
  printf("max error  %.6g (2^%.2f) at x = %.6g\n", st->max_err, log2(st->max_err), st->argmax);
  printf("mean error %.6g over %zu points\n", st->mean_err, st->points);
}

/* Reads --interval and --degrees (with per-function defaults). */
static bool parse_shape(veil_cli_args *a, veil_approx_fn fn, double iv[2], int *deg, int *nd) {
  double dv[VEIL_APPROX_MAX_STAGES + 1];
  const char *s = veil_cli_get(a, "interval");
  if (s && parse_list(s, iv, 2) != 2) {
    veil_cli_usage_error(a, "--interval wants A,B (two numbers), got '%s'", s);
    return false;
  }
  s = veil_cli_get(a, "degrees");
  bool composite = fn == VEIL_APPROX_SIGN || fn == VEIL_APPROX_RELU;
  if (!s)
    s = composite ? "15,15,27" : "31";
  *nd = parse_list(s, dv, VEIL_APPROX_MAX_STAGES + 1);
  if (*nd < 1 || *nd > VEIL_APPROX_MAX_STAGES) {
    veil_cli_usage_error(a, "--degrees wants 1..%d comma-separated integers, got '%s'", VEIL_APPROX_MAX_STAGES, s);
    return false;
  }
  for (int i = 0; i < *nd; i++) {
    if (dv[i] != floor(dv[i]) || fabs(dv[i]) > 1e6) {
      veil_cli_usage_error(a, "--degrees: %g is not an integer", dv[i]);
      return false;
    }
    deg[i] = (int)dv[i];
  }
  return true;
}

static int run(veil_cli_args *a) {
  if (a->npos != 1)
    return veil_cli_usage_error(a, "expected one FUNCTION (sign, relu, sigmoid, gelu, silu, exp, tanh)");
  veil_approx_fn fn;
  veil_status st = veil_approx_fn_parse(a->pos[0], &fn);
  if (st)
    return veil_cli_fail(a, st);
  double iv[2] = {-1, 1};
  int deg[VEIL_APPROX_MAX_STAGES], nd = 0;
  int64_t points = 65537;
  veil_approx_opts o = {.remez = veil_cli_has(a, "remez")};
  if (!parse_shape(a, fn, iv, deg, &nd) || !veil_cli_double(a, "eps", &o.eps) ||
      !veil_cli_int(a, "points", 2, 1 << 26, &points))
    return 2;
  veil_approx ap;
  if ((st = veil_approx_build(&ap, fn, iv[0], iv[1], deg, nd, &o)))
    return veil_cli_fail(a, st);
  veil_approx_stats ms;
  if ((st = veil_approx_measure(&ap, (size_t)points, &ms))) {
    veil_approx_free(&ap);
    return veil_cli_fail(a, st);
  }
  if (veil_cli_has(a, "json"))
    print_json(&ap, &ms, veil_cli_has(a, "coeffs"));
  else
    print_text(&ap, &ms);
  veil_approx_free(&ap);
  return 0;
}

VEIL_CLI_COMMAND(approx, "approx", "polynomial approximations of activations (minimax, Chebyshev)",
                 "veil approx FUNCTION [--interval A,B] [--degrees D1,D2,..] [options]", desc, opts, run)
