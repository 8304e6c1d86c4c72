#ifndef MOTCHAM_CLI_H
#define MOTCHAM_CLI_H

/* Runs `motcham ARGS...` and returns the process exit status: 0 success, 1 failure,
 * 2 usage error (unknown command or flag, missing value). Only main exits. */
int mc_cli_main(int argc, char **argv);

#endif
