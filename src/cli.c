#include "motcham/cli.h"

int mc_cli_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
