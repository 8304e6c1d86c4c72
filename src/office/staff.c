/* The office side's configuration (staff.h): the pages it renders with, the directory
 * uploaded files are kept in and the limits on uploads, made once when the server starts. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "motcham/office/staff.h"
#include "private.h"

/* Uploads a crash cut short, where the file system has no unnamed temporary files (form.c):
 * no server is reading them any more. */
static void clear_spool(const char *dir)
{
	char path[4096];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)) != NULL)
		if (!strncmp(e->d_name, ".up-", 4) &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path))
			unlink(path);
	if (d)
		closedir(d);
}

enum mc_err mc_staff_create(const struct mc_staff_config *cfg, struct mc_staff **out)
{
	struct mc_staff *st;

	*out = NULL;
	if (!cfg->pages)
		return MC_ERR_INVALID;
	if (cfg->files_dir && mkdir(cfg->files_dir, 0750) != 0 && errno != EEXIST)
		return MC_ERR_IO;
	if (!(st = calloc(1, sizeof(*st))))
		return MC_ERR_NOMEM;
	st->pages = cfg->pages;
	if (cfg->files_dir && !(st->files_dir = strdup(cfg->files_dir))) {
		free(st);
		return MC_ERR_NOMEM;
	}
	if (st->files_dir)
		clear_spool(st->files_dir);
	st->uploads.ward_quota = cfg->upload_quota;
	st->uploads.disk_reserve = cfg->disk_reserve;
	st->uploads.downloads = cfg->downloads;
	/* On the files' own file system, a kept upload is a link, not a copy; /var/tmp rather
	 * than /tmp, which is often memory. */
	st->uploads.spool_dir = st->files_dir	   ? st->files_dir
				: getenv("TMPDIR") ? getenv("TMPDIR")
						   : "/var/tmp";
	*out = st;
	return MC_OK;
}

void mc_staff_destroy(struct mc_staff *st)
{
	if (!st)
		return;
	free(st->files_dir);
	free(st);
}

const char *mc_staff_files_dir(const struct mc_staff *st)
{
	return st ? st->files_dir : NULL;
}

const struct mc_upload_limits *mc_staff_uploads(const struct mc_staff *st)
{
	return st ? &st->uploads : NULL;
}
