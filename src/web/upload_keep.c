/* A checked upload is kept: first whether there is room for it (the ward's quota, the disk's
 * reserve), then where the database keeps files or by linking its spooled file into the
 * files directory under its hash. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "motcham/store/store.h"
#include "motcham/web/form.h"
#include "motcham/web/upload.h"

enum mc_err mc_upload_room(struct mc_store *s, const char *dir,
			   const struct mc_upload_limits *limits, int64_t ward_id, size_t size,
			   const char **why)
{
	struct statvfs v;
	long long used = 0;
	enum mc_err err;

	*why = NULL;
	if (!limits)
		return MC_OK;
	/* Refused while there is still room: the database and its journal need the disk too. */
	if (dir && limits->disk_reserve > 0 && statvfs(dir, &v) == 0 &&
	    (unsigned long long)v.f_bavail * v.f_frsize <
		(unsigned long long)limits->disk_reserve + size) {
		*why = "Máy chủ sắp hết chỗ lưu trữ nên tạm thời không nhận tệp mới. Vui lòng thử "
		       "lại sau hoặc báo cho quản trị hệ thống của phường.";
		return MC_ERR_FULL;
	}
	if (limits->ward_quota <= 0)
		return MC_OK;
	if ((err = mc_store_upload_bytes(s, ward_id, &used)) != MC_OK)
		return err;
	if (used + (long long)size > limits->ward_quota) {
		*why = "Phường đã dùng hết dung lượng được cấp để lưu tệp nên không nhận thêm tệp "
		       "mới. Vui lòng báo cho quản trị hệ thống của phường.";
		return MC_ERR_FULL;
	}
	return MC_OK;
}

/* The spooled file's content, mapped, into the database or through mc_upload_save. */
static enum mc_err keep_mapped(struct mc_store *s, const char *dir, const struct mc_form_field *f,
			       const struct mc_upload *u)
{
	char sha[65];
	void *map;
	enum mc_err err;

	if ((map = mmap(NULL, u->size, PROT_READ, MAP_PRIVATE, f->fd, 0)) == MAP_FAILED)
		return MC_ERR_IO;
	if (s && mc_store_keeps_files(s))
		err = mc_store_blob_put(s, u->sha, map, u->size);
	else
		err = mc_upload_save(s, dir, map, u->size, sha);
	munmap(map, u->size);
	return err;
}

enum mc_err mc_upload_keep(struct mc_store *s, const char *dir, const struct mc_form_field *f,
			   const struct mc_upload *u)
{
	char path[4096], proc[64];
	struct stat st;
	char sha[65];

	if (u->why || !u->size || u->size > f->size)
		return MC_ERR_INTERNAL;
	if (f->fd < 0)
		return mc_upload_save(s, dir, f->value.data, u->size, sha);
	if (s && mc_store_keeps_files(s))
		return keep_mapped(s, dir, f, u);
	if (!dir)
		return MC_ERR_INTERNAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, u->sha) >= sizeof(path))
		return MC_ERR_IO;
	/* Same content, same name: an existing file already holds these bytes. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == u->size)
		return MC_OK;
	if ((u->size < f->size && ftruncate(f->fd, (off_t)u->size) != 0) || fsync(f->fd) != 0)
		return errno == ENOSPC ? MC_ERR_FULL : MC_ERR_IO;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd);
	if ((f->spool_path ? link(f->spool_path, path)
			   : linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW)) == 0 ||
	    errno == EEXIST)
		return MC_OK;
	/* No link across file systems, or no /proc: the bytes are copied instead. */
	return keep_mapped(NULL, dir, f, u);
}
