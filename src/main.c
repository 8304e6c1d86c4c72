#include <malloc.h>

#include "motcham/cli/cli.h"

int main(int argc, char **argv)
{
	/* SQLite's statement journals take a 64 KiB block for each statement of a transaction
	 * that may have to undo itself (every audited write) and give it back when the
	 * statement ends. With glibc's default 128 KiB trim threshold that block sat on top
	 * of the heap: each statement grew and shrank the heap by a system call and faulted
	 * fresh zeroed pages back in, four times a row of an import. Keeping a few MiB mapped
	 * ends that churn. */
	mallopt(M_TOP_PAD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	return mc_cli_main(argc, argv);
}
