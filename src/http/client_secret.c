/* The secret that keys client addresses (client_key, client.c). It is never in the
 * database: a copy of the database (a backup, a migrated copy, a stolen file) then cannot
 * be turned back into addresses by hashing every address there is, as IPv4 has only 2^32.
 * It is kept in a file of its own (serve --client-key; by default PATH.client-key beside a
 * SQLite database) so that throttles and rate limits outlast a restart, or, without one, in
 * memory. And it changes every period (a day): each period's secret is SHA-256 of the one
 * before it, and the old one is forgotten, in the file too, so whoever later takes the file
 * holds the secret of that day only, not the one that keyed older reports. A client's key
 * changes with it, which starts its counts afresh once a day. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "private.h"

#define MAGIC "motcham-client-key 1"
#define RATCHET "motcham client key ratchet"
/* Further behind than this, the chain is not walked: a new random secret does as well. */
#define RATCHET_MAX 4096

static void to_hex(struct client_secret *cs)
{
	sodium_bin2hex(cs->hex, sizeof(cs->hex), cs->key, sizeof(cs->key));
}

static void ratchet(unsigned char key[32])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)RATCHET, strlen(RATCHET));
	crypto_hash_sha256_update(&st, key, 32);
	crypto_hash_sha256_final(&st, key);
}

/* Writes the file anew, readable by its owner only: a temporary beside it, renamed over it,
 * or (first) linked to its name, so that of two nodes making it at once one wins and the
 * other is told (MC_ERR_EXISTS) to read what the winner wrote. */
static enum mc_err save(const struct client_secret *cs, bool first)
{
	char tmp[4200];
	FILE *f;
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", cs->path, (long)getpid()) >= (int)sizeof(tmp))
		return MC_ERR_INVALID;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return MC_ERR_IO;
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		unlink(tmp);
		return MC_ERR_IO;
	}
	rc = fprintf(f, "%s %lld %s\n", MAGIC, cs->n, cs->hex);
	if (fflush(f) != 0 || fsync(fd) != 0)
		rc = -1;
	if (fclose(f) != 0 || rc < 0) {
		unlink(tmp);
		return MC_ERR_IO;
	}
	if (first) {
		rc = link(tmp, cs->path);
		unlink(tmp);
		return rc == 0 ? MC_OK : errno == EEXIST ? MC_ERR_EXISTS : MC_ERR_IO;
	}
	if (rename(tmp, cs->path) != 0) {
		unlink(tmp);
		return MC_ERR_IO;
	}
	return MC_OK;
}

/* Reads the file: MC_ERR_NOTFOUND when there is none, MC_ERR_INVALID when it is not one. */
static enum mc_err load(struct client_secret *cs)
{
	char line[160], hex[65];
	long long n;
	size_t len;
	FILE *f = fopen(cs->path, "re");

	if (!f)
		return errno == ENOENT ? MC_ERR_NOTFOUND : MC_ERR_IO;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, MAGIC " %lld %64[0-9a-f]", &n, hex) != 2 || strlen(hex) != 64 ||
	    sodium_hex2bin(cs->key, sizeof(cs->key), hex, 64, NULL, &len, NULL) != 0 ||
	    len != sizeof(cs->key)) {
		fclose(f);
		return MC_ERR_INVALID;
	}
	fclose(f);
	cs->n = n;
	return MC_OK;
}

/* Brings the secret to period n, the lock held; saves it when it changed. */
static void advance(struct client_secret *cs, long long n)
{
	if (n <= cs->n)
		return;
	if (n - cs->n > RATCHET_MAX) {
		randombytes_buf(cs->key, sizeof(cs->key));
	} else {
		for (long long i = cs->n; i < n; i++)
			ratchet(cs->key);
	}
	cs->n = n;
	to_hex(cs);
	if (cs->path && save(cs, false) != MC_OK)
		fprintf(stderr,
			"motcham: cannot write the client key file %s (%s); the new key "
			"is kept in memory\n",
			cs->path, strerror(errno));
}

enum mc_err client_secret_start(struct client_secret *cs, const char *path, long long period,
				long long now, struct mc_buf *errs)
{
	enum mc_err err;

	memset(cs, 0, sizeof(*cs));
	if (pthread_mutex_init(&cs->lock, NULL) != 0)
		return MC_ERR_NOMEM;
	cs->made = true;
	cs->period = period > 0 ? period : CLIENT_SECRET_PERIOD;
	if (path && !(cs->path = strdup(path)))
		return MC_ERR_NOMEM;
	if (!cs->path) {
		fprintf(stderr, "motcham: the client key is kept in memory: give every node the "
				"same --client-key FILE to share throttles and rate limits\n");
		err = MC_ERR_NOTFOUND;
	} else {
		err = load(cs);
	}
	if (err == MC_ERR_NOTFOUND) {
		randombytes_buf(cs->key, sizeof(cs->key));
		cs->n = now / cs->period;
		to_hex(cs);
		if (!cs->path || (err = save(cs, true)) == MC_OK)
			return MC_OK;
		if (err == MC_ERR_EXISTS) {
			err = load(cs); /* another node made it first */
		} else {
			fprintf(stderr,
				"motcham: cannot create the client key file %s (%s); the key is "
				"kept in memory, and throttles start afresh at each restart\n",
				cs->path, strerror(errno));
			return MC_OK;
		}
	}
	if (err != MC_OK) {
		mc_buf_printf(errs, "--client-key %s: %s", cs->path,
			      err == MC_ERR_INVALID ? "not a motcham client key file"
						    : strerror(errno));
		return err;
	}
	advance(cs, now / cs->period);
	to_hex(cs);
	return MC_OK;
}

void client_secret_hex(struct client_secret *cs, long long now, char out[65])
{
	pthread_mutex_lock(&cs->lock);
	advance(cs, now / cs->period);
	memcpy(out, cs->hex, 65);
	pthread_mutex_unlock(&cs->lock);
}

void client_secret_finish(struct client_secret *cs)
{
	if (!cs->made)
		return;
	sodium_memzero(cs->key, sizeof(cs->key));
	sodium_memzero(cs->hex, sizeof(cs->hex));
	pthread_mutex_destroy(&cs->lock);
	free(cs->path);
	cs->path = NULL;
	cs->made = false;
}
