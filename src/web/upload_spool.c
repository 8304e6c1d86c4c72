/* A node's own copies of the files the database keeps (PostgreSQL), so that a download is
 * sent from disk: read from the database once, a piece at a time, into an unnamed file that
 * gets its name (the content's SHA-256) only once it is whole and its hash checks. A crash or
 * a failed read leaves nothing under a name, so every named file is whole. The least
 * recently sent files go first when the directory outgrows its size. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "motcham/base/auth.h"
#include "motcham/store/store.h"
#include "motcham/web/upload.h"

#define READING 16	  /* files read from the database at once, each by one thread */
#define STALE_SECONDS 600 /* a named temporary file this old was left by a crash */
/* A file not sent for a day goes: another node may have erased it (a resident's photo), and
 * what this one keeps is then only on this disk. The directory is looked over this often. */
#define IDLE_SECONDS (24 * 3600)
#define SWEEP_SECONDS 600

struct mc_upload_spool {
	char *dir;
	int dirfd;
	long long max;
	pthread_mutex_t lock;
	pthread_cond_t read;	   /* a file being read is done, or failed */
	char reading[READING][65]; /* the hashes being read now ("": a free slot) */
	long long used;		   /* bytes in the directory, as of the last count and since */
	time_t swept;		   /* the last count (evict) */
};

struct entry {
	struct timespec sent; /* last sent (its mtime) */
	long long size;
	char name[65];
};

static int by_age(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->sent.tv_sec != y->sent.tv_sec)
		return x->sent.tv_sec < y->sent.tv_sec ? -1 : 1;
	if (x->sent.tv_nsec != y->sent.tv_nsec)
		return x->sent.tv_nsec < y->sent.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Counts the directory again and removes the files not sent for IDLE_SECONDS, then the least
 * recently sent until it fits, and any named temporary file a crash left. Called with the lock
 * held. Another server may share the directory: a file it sends stays readable through its
 * descriptor. */
static void evict(struct mc_upload_spool *sp)
{
	struct entry *v = NULL, *grown;
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	struct stat st;
	long long total = 0;
	time_t now = time(NULL);
	int fd = openat(sp->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (fstatat(sp->dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (!strncmp(e->d_name, ".dl-", 4) && st.st_mtime + STALE_SECONDS < now) {
			unlinkat(sp->dirfd, e->d_name, 0);
			continue;
		}
		if (!mc_auth_hex64(e->d_name))
			continue;
		if (st.st_mtime + IDLE_SECONDS < now) {
			unlinkat(sp->dirfd, e->d_name, 0);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(grown = realloc(v, cap * sizeof(*v))))
				break;
			v = grown;
		}
		v[n].sent = st.st_mtim;
		v[n].size = (long long)st.st_size;
		memcpy(v[n].name, e->d_name, sizeof(v[n].name)); /* 64 hex digits and the NUL */
		total += v[n++].size;
	}
	closedir(d);
	if (total > sp->max && n > 0)
		qsort(v, n, sizeof(*v), by_age);
	for (i = 0; i < n && total > sp->max; i++)
		if (unlinkat(sp->dirfd, v[i].name, 0) == 0 || errno == ENOENT)
			total -= v[i].size;
	sp->used = total;
	sp->swept = now;
	free(v);
}

enum mc_err mc_upload_spool_create(const char *dir, long long max, struct mc_upload_spool **out)
{
	struct mc_upload_spool *sp;
	struct stat st;
	enum mc_err err = MC_ERR_NOMEM;

	*out = NULL;
	if (!dir || max < 0)
		return MC_ERR_INVALID;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return MC_ERR_IO;
	if (!(sp = calloc(1, sizeof(*sp))))
		return MC_ERR_NOMEM;
	sp->max = max;
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* Files are sent from here as they are: nobody else may put one in. */
	if (sp->dirfd < 0 || fstat(sp->dirfd, &st) != 0 || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		err = MC_ERR_IO;
		goto fail;
	}
	if (!(sp->dir = strdup(dir)) || pthread_mutex_init(&sp->lock, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&sp->read, NULL) != 0) {
		pthread_mutex_destroy(&sp->lock);
		goto fail;
	}
	evict(sp);
	*out = sp;
	return MC_OK;
fail:
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->dir);
	free(sp);
	return err;
}

void mc_upload_spool_destroy(struct mc_upload_spool *sp)
{
	if (!sp)
		return;
	pthread_cond_destroy(&sp->read);
	pthread_mutex_destroy(&sp->lock);
	close(sp->dirfd);
	free(sp->dir);
	free(sp);
}

/* The spooled copy of sha, when there is one of the length the database has: MC_OK with *fd
 * (or -1, none), MC_ERR_NOTFOUND when the database has no such file any more. */
static enum mc_err spooled(struct mc_upload_spool *sp, struct mc_store *s, const char *sha, int *fd,
			   unsigned long long *size)
{
	struct stat st;
	long long len = 0;
	enum mc_err err;
	int f;

	*fd = -1;
	if ((f = openat(sp->dirfd, sha, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? MC_OK : MC_ERR_IO;
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(f);
		return MC_ERR_IO;
	}
	/* Only what the database still has is sent, and a copy of another length is broken. */
	if ((err = mc_store_blob_size(s, sha, &len)) != MC_OK || len != (long long)st.st_size) {
		close(f);
		if (err == MC_OK || err == MC_ERR_NOTFOUND)
			unlinkat(sp->dirfd, sha, 0);
		return err;
	}
	futimens(f, NULL); /* just sent: the last to go */
	*fd = f;
	*size = (unsigned long long)st.st_size;
	return MC_OK;
}

struct reading {
	int fd;
	crypto_hash_sha256_state hash;
	unsigned long long bytes;
};

static enum mc_err piece(void *ctx, const void *data, size_t len)
{
	struct reading *rd = ctx;
	const char *p = data;
	size_t left = len;

	while (left > 0) {
		ssize_t n = write(rd->fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 && (errno == ENOSPC || errno == EDQUOT) ? MC_ERR_FULL
									     : MC_ERR_IO;
		p += n;
		left -= (size_t)n;
	}
	crypto_hash_sha256_update(&rd->hash, data, len);
	rd->bytes += len;
	return MC_OK;
}

/* A file for the copy while it is read: unnamed where the file system can (O_TMPFILE), else
 * one named .dl-XXXXXX there, its path in tmp (a crash leaves it for evict to remove). */
static int scratch(const struct mc_upload_spool *sp, char tmp[4096])
{
	int fd;

	tmp[0] = '\0';
#ifdef O_TMPFILE
	if ((fd = openat(sp->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		return fd;
#endif
	if ((size_t)snprintf(tmp, 4096, "%s/.dl-XXXXXX", sp->dir) >= 4096) {
		tmp[0] = '\0';
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		tmp[0] = '\0';
	return fd;
}

/* Gives the whole, checked copy its name; another thread's copy of the same may be there
 * already (the same bytes). Without a name the copy is still sent, only not kept. */
static bool keep(struct mc_upload_spool *sp, int fd, const char *tmp, const char *sha)
{
	char proc[64];

	if (tmp[0])
		return renameat(AT_FDCWD, tmp, sp->dirfd, sha) == 0;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, sp->dirfd, sha, AT_SYMLINK_FOLLOW) == 0;
}

static enum mc_err fetch(struct mc_upload_spool *sp, struct mc_store *s, const char *sha,
			 size_t max, int *fd, unsigned long long *size)
{
	struct reading rd = {.fd = -1, .bytes = 0};
	unsigned char h[crypto_hash_sha256_BYTES];
	char tmp[4096], got[65];
	enum mc_err err;

	if ((rd.fd = scratch(sp, tmp)) < 0)
		return errno == ENOSPC || errno == EDQUOT ? MC_ERR_FULL : MC_ERR_IO;
	crypto_hash_sha256_init(&rd.hash);
	err = mc_store_blob_read(s, sha, max, piece, &rd);
	if (err == MC_OK) {
		crypto_hash_sha256_final(&rd.hash, h);
		sodium_bin2hex(got, sizeof(got), h, sizeof(h));
		if (strcmp(got, sha))
			err = MC_ERR_CHECK;
	}
	/* Said here, where it is known: the handler's answer can only be a 500 page. */
	if (err == MC_ERR_CHECK)
		fprintf(stderr,
			"motcham: the database's copy of file %s does not match its SHA-256: not "
			"sent\n",
			sha);
	/* On disk before it has a name: a power cut leaves no named file half written. */
	if (err == MC_OK && fsync(rd.fd) != 0)
		err = MC_ERR_IO;
	if (err == MC_OK && lseek(rd.fd, 0, SEEK_SET) != 0)
		err = MC_ERR_IO;
	if (err != MC_OK) {
		close(rd.fd);
		if (tmp[0])
			unlink(tmp);
		return err;
	}
	if (keep(sp, rd.fd, tmp, sha)) {
		pthread_mutex_lock(&sp->lock);
		sp->used += (long long)rd.bytes;
		if (sp->used > sp->max)
			evict(sp);
		pthread_mutex_unlock(&sp->lock);
	} else if (tmp[0]) {
		unlink(tmp);
	}
	*fd = rd.fd;
	*size = rd.bytes;
	return MC_OK;
}

/* Takes a slot for reading sha (*slot, or -1 when all are taken: it is read all the same);
 * false when another thread is reading it now (waited for: look in the spool again). */
static bool claim(struct mc_upload_spool *sp, const char *sha, int *slot)
{
	int i, free_slot = -1;

	*slot = -1;
	pthread_mutex_lock(&sp->lock);
	for (i = 0; i < READING; i++) {
		if (!strcmp(sp->reading[i], sha)) {
			pthread_cond_wait(&sp->read, &sp->lock);
			pthread_mutex_unlock(&sp->lock);
			return false;
		}
		if (!sp->reading[i][0] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0)
		snprintf(sp->reading[free_slot], 65, "%s", sha);
	*slot = free_slot;
	pthread_mutex_unlock(&sp->lock);
	return true;
}

static void release(struct mc_upload_spool *sp, int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&sp->lock);
	sp->reading[slot][0] = '\0';
	pthread_cond_broadcast(&sp->read);
	pthread_mutex_unlock(&sp->lock);
}

void mc_upload_spool_forget(struct mc_upload_spool *sp, const char *sha)
{
	if (sp && mc_auth_hex64(sha))
		unlinkat(sp->dirfd, sha, 0);
}

enum mc_err mc_upload_spool_open(struct mc_upload_spool *sp, struct mc_store *s, const char *sha,
				 size_t max, int *fd, unsigned long long *size)
{
	enum mc_err err;
	int slot;

	pthread_mutex_lock(&sp->lock);
	if (time(NULL) >= sp->swept + SWEEP_SECONDS)
		evict(sp);
	pthread_mutex_unlock(&sp->lock);

	*fd = -1;
	*size = 0;
	if (!mc_auth_hex64(sha))
		return MC_ERR_INVALID;
	/* One thread reads a file from the database; the others wait, then send its copy. */
	do {
		if ((err = spooled(sp, s, sha, fd, size)) != MC_OK || *fd >= 0)
			return err;
	} while (!claim(sp, sha, &slot));
	err = fetch(sp, s, sha, max, fd, size);
	release(sp, slot);
	return err;
}
