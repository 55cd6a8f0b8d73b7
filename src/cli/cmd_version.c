#include "cli.h"

#include <stdio.h>

static const veil_cli_opt opts[] = {{0}};

static int run(veil_cli_args *a) {
  (void)a;
  printf("veil %s\n", VEIL_VERSION);
  return 0;
}

VEIL_CLI_COMMAND(version, "version", "print the version", "veil version", NULL, opts, run)
