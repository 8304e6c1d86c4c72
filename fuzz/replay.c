/* Feeds saved inputs to a fuzz target's LLVMFuzzerTestOneInput in an ordinary build, so
 * every corpus entry and every crash ever found runs as a regression test under gcc too.
 * Arguments are files or directories (every regular file in them, hidden ones skipped,
 * in name order). A broken property aborts, which fails the test. */

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX (16 * 1024 * 1024)

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	long n;
	int rc = -1;

	if (!f) {
		fprintf(stderr, "replay: %s: cannot open\n", path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > REPLAY_MAX ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: cannot size, or over %d bytes\n", path, REPLAY_MAX);
		goto done;
	}
	/* Exactly n bytes (at least one to malloc), so ASan sees any read past the end. */
	if (!(data = malloc(n ? (size_t)n : 1)) || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		goto done;
	}
	LLVMFuzzerTestOneInput(data, (size_t)n);
	rc = 0;
done:
	free(data);
	fclose(f);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of files run, or -1 on an error. */
static long run_dir(const char *dir)
{
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;
	long count = 0;
	DIR *dp = opendir(dir);

	if (!dp) {
		fprintf(stderr, "replay: %s: cannot open directory\n", dir);
		return -1;
	}
	while ((e = readdir(dp)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*v));
			if (!v)
				abort();
			names = v;
		}
		if (!(names[n++] = strdup(e->d_name)))
			abort();
	}
	closedir(dp);
	if (n) /* qsort wants a non-NULL array even for zero items */
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			count = count < 0 || run_file(path) < 0 ? -1 : count + 1;
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	long total = 0, k;
	struct stat st;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
			return 1;
		}
		k = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]) == 0 ? 1 : -1;
		if (k < 0)
			return 1;
		printf("replay: %s: %ld inputs\n", argv[i], k);
		total += k;
	}
	printf("replay: %ld inputs, OK\n", total);
	return 0;
}
