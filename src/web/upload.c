#include "motcham/web/upload.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "motcham/base/auth.h"
#include "motcham/base/utf8.h"
#include "motcham/domain/check.h"
#include "motcham/store/store.h"
#include "motcham/web/response.h"

#define NAME_MAX_BYTES 200

const char *mc_upload_sniff(const void *data, size_t len)
{
	static const unsigned char png[8] = {0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A};
	static const unsigned char jpeg[3] = {0xFF, 0xD8, 0xFF};
	const unsigned char *d = data;

	if (!d)
		return NULL;
	if (len >= 5 && memcmp(d, "%PDF-", 5) == 0)
		return MC_MIME_PDF;
	if (len >= sizeof(jpeg) && memcmp(d, jpeg, sizeof(jpeg)) == 0)
		return MC_MIME_JPEG;
	if (len >= sizeof(png) && memcmp(d, png, sizeof(png)) == 0)
		return MC_MIME_PNG;
	return NULL;
}

static enum mc_err write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return MC_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return MC_OK;
}

enum mc_err mc_upload_save(struct mc_store *s, const char *dir, const void *data, size_t len,
			   char sha[65])
{
	char path[4096], tmp[4096 + 16];
	struct stat st;
	enum mc_err err;
	int fd;

	mc_auth_sha256_hex(data, len, sha);
	if (s && mc_store_keeps_files(s))
		return mc_store_blob_put(s, sha, data, len);
	if (!dir)
		return MC_ERR_INTERNAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, sha) >= sizeof(path))
		return MC_ERR_IO;
	/* Same content, same name: an existing file already holds these bytes. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len)
		return MC_OK;
	snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", dir);
	if ((fd = mkstemp(tmp)) < 0)
		return MC_ERR_IO;
	err = write_all(fd, data, len);
	if (err == MC_OK && fsync(fd) != 0)
		err = MC_ERR_IO;
	if (close(fd) != 0 && err == MC_OK)
		err = MC_ERR_IO;
	if (err == MC_OK && (chmod(tmp, 0640) != 0 || rename(tmp, path) != 0))
		err = MC_ERR_IO;
	if (err != MC_OK)
		unlink(tmp);
	return err;
}

enum mc_err mc_upload_load(struct mc_store *s, const char *dir, const char *sha, size_t max,
			   struct mc_buf *out)
{
	char path[4096], chunk[16384];
	enum mc_err err = MC_OK;
	FILE *f;
	size_t n;

	if (!mc_auth_hex64(sha))
		return MC_ERR_INVALID;
	if (s && mc_store_keeps_files(s))
		return mc_store_blob_get(s, sha, max, out);
	if (!dir)
		return MC_ERR_INTERNAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, sha) >= sizeof(path))
		return MC_ERR_IO;
	if (!(f = fopen(path, "rb")))
		return errno == ENOENT ? MC_ERR_NOTFOUND : MC_ERR_IO;
	while (err == MC_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = out->len + n > max ? MC_ERR_TOOBIG : mc_buf_add(out, chunk, n);
	if (err == MC_OK && ferror(f))
		err = MC_ERR_IO;
	fclose(f);
	return err;
}

enum mc_err mc_upload_copy(const char *from_dir, const char *to_dir, const char *sha)
{
	char from[4096], to[4096], tmp[4096 + 16], chunk[65536], got[65];
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state state;
	enum mc_err err = MC_OK;
	ssize_t n;
	int in, out;

	if (!mc_auth_hex64(sha))
		return MC_ERR_INVALID;
	if ((size_t)snprintf(from, sizeof(from), "%s/%s", from_dir, sha) >= sizeof(from) ||
	    (size_t)snprintf(to, sizeof(to), "%s/%s", to_dir, sha) >= sizeof(to))
		return MC_ERR_IO;
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? MC_ERR_NOTFOUND : MC_ERR_IO;
	snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", to_dir);
	if ((out = mkostemp(tmp, O_CLOEXEC)) < 0) {
		close(in);
		return MC_ERR_IO;
	}
	crypto_hash_sha256_init(&state);
	while (err == MC_OK && (n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = MC_ERR_IO;
		else if ((err = write_all(out, chunk, (size_t)n)) == MC_OK)
			crypto_hash_sha256_update(&state, (const unsigned char *)chunk, (size_t)n);
	}
	close(in);
	crypto_hash_sha256_final(&state, h);
	sodium_bin2hex(got, sizeof(got), h, sizeof(h));
	/* A copy that is not what its name says is no backup of it. */
	if (err == MC_OK && strcmp(got, sha))
		err = MC_ERR_CHECK;
	if (err == MC_OK && fsync(out) != 0)
		err = MC_ERR_IO;
	if (close(out) != 0 && err == MC_OK)
		err = MC_ERR_IO;
	if (err == MC_OK && (chmod(tmp, 0640) != 0 || rename(tmp, to) != 0))
		err = MC_ERR_IO;
	if (err != MC_OK)
		unlink(tmp);
	return err;
}

enum mc_err mc_upload_display_name(const char *client_name, struct mc_buf *out)
{
	const char *base = client_name ? client_name : "";
	const char *slash;
	struct mc_buf nfc;
	enum mc_err err = MC_OK;
	size_t len, i;

	/* Browsers on Windows may send the whole path: keep only the file's own name. */
	while ((slash = strpbrk(base, "/\\")) != NULL)
		base = slash + 1;
	len = strlen(base);
	mc_buf_init(&nfc);
	if (len > 0 && len <= 4 * NAME_MAX_BYTES && mc_utf8_valid(base, len) &&
	    mc_check_text(base, len, NULL))
		err = mc_utf8_nfc(base, len, &nfc);
	for (i = 0; err == MC_OK && nfc.data && i < nfc.len; i++)
		if (nfc.data[i] == '\t' || nfc.data[i] == '\n' || nfc.data[i] == '\r')
			nfc.data[i] = ' ';
	if (err == MC_OK && nfc.len > 0)
		err = mc_buf_add(out, nfc.data, mc_utf8_cut(nfc.data, nfc.len, NAME_MAX_BYTES));
	else if (err == MC_OK)
		err = mc_buf_puts(out, "tep");
	mc_buf_finish(&nfc);
	return err;
}

static bool safe_ascii(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

/* Appends the plain-ASCII look of one character: Vietnamese letters lose their marks
 * ("ả" gives "a"), anything else becomes '_'. */
static void ascii_of(const char *ch, size_t n, char *safe, size_t *len, size_t cap)
{
	struct mc_buf f;
	char c = '_';

	mc_buf_init(&f);
	if (n == 1 && safe_ascii((unsigned char)ch[0]))
		c = ch[0];
	else if (n > 1 && mc_utf8_fold(ch, n, &f) == MC_OK && f.len == 1 &&
		 safe_ascii((unsigned char)f.data[0]))
		c = f.data[0];
	mc_buf_finish(&f);
	if (*len + 1 < cap && !(c == '_' && *len > 0 && safe[*len - 1] == '_'))
		safe[(*len)++] = c;
}

void mc_upload_disposition(const char *name, char out[256])
{
	char safe[120];
	size_t i = 0, n = 0, k, w;

	while (name && name[i] && n + 1 < sizeof(safe)) {
		unsigned char c = (unsigned char)name[i];

		k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		if (strnlen(name + i, k) < k)
			break;
		ascii_of(name + i, k, safe, &n, sizeof(safe));
		i += k;
	}
	safe[n] = '\0';
	if (n == 0 || safe[0] == '.')
		snprintf(safe, sizeof(safe), "%s", "tep");
	w = (size_t)snprintf(out, 256, "attachment; filename=\"%s\"", safe);
	/* RFC 6266: the real name too, percent-encoded, when it fits. */
	if (name && w + 20 + 3 * strlen(name) < 256) {
		w += (size_t)snprintf(out + w, 256 - w, "; filename*=UTF-8''");
		for (i = 0; name[i]; i++)
			w += (size_t)(safe_ascii((unsigned char)name[i])
					  ? snprintf(out + w, 256 - w, "%c", name[i])
					  : snprintf(out + w, 256 - w, "%%%02X",
						     (unsigned char)name[i]));
	}
}

static const char *extension_of(const char *mime)
{
	if (!strcmp(mime, MC_MIME_PDF))
		return ".pdf";
	if (!strcmp(mime, MC_MIME_JPEG))
		return ".jpg";
	if (!strcmp(mime, MC_MIME_PNG))
		return ".png";
	return ".bin";
}

void mc_upload_download_name(const char *name, const char *mime, char out[256])
{
	const char *ext = extension_of(mime ? mime : "");
	const char *dot = name ? strrchr(name, '.') : NULL;
	size_t n = name ? (dot ? (size_t)(dot - name) : strlen(name)) : 0;
	size_t room = 255 - strlen(ext);

	/* Cut at a character's start, so that a long name stays valid UTF-8. */
	if (n > room)
		n = mc_utf8_cut(name, n, room);
	if (n == 0) {
		name = "tep";
		n = 3;
	}
	snprintf(out, 256, "%.*s%s", (int)n, name, ext);
}

/* Only the types an upload can have; anything else in the database is served as bytes. */
static const char *static_mime(const char *mime)
{
	if (!strcmp(mime, MC_MIME_PDF))
		return MC_MIME_PDF;
	if (!strcmp(mime, MC_MIME_JPEG))
		return MC_MIME_JPEG;
	if (!strcmp(mime, MC_MIME_PNG))
		return MC_MIME_PNG;
	return "application/octet-stream";
}

enum mc_err mc_upload_answer(struct mc_store *s, const char *dir, struct mc_upload_spool *spool,
			     const char *sha, const char *mime, const char *name, const char *cache,
			     struct mc_response *r)
{
	char download[256], path[4096];
	struct stat st;
	enum mc_err err = MC_OK;
	int fd;

	mc_buf_reset(&r->body);
	if (!mc_auth_hex64(sha))
		return MC_ERR_NOTFOUND;
	if (!(s && mc_store_keeps_files(s)) && dir) {
		/* Sent from the file: a thousand downloads at once cost no memory. */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, sha) >= sizeof(path))
			return MC_ERR_IO;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return errno == ENOENT ? MC_ERR_NOTFOUND : MC_ERR_IO;
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return MC_ERR_IO;
		}
		r->fd = fd;
		r->fd_size = (unsigned long long)st.st_size;
	} else if (spool && s && mc_store_keeps_files(s)) {
		/* From the database through the node's spool: bounded in memory the same way. */
		err = mc_upload_spool_open(spool, s, sha, MC_UPLOAD_MAX, &r->fd, &r->fd_size);
	} else {
		err = mc_upload_load(s, dir, sha, MC_UPLOAD_MAX, &r->body);
	}
	if (err != MC_OK) {
		mc_buf_reset(&r->body);
		return err == MC_ERR_INVALID ? MC_ERR_NOTFOUND
		       : err == MC_ERR_CHECK ? MC_ERR_DB
					     : err;
	}
	/* The content's hash is its tag: the same name, the same bytes. */
	snprintf(r->etag, sizeof(r->etag), "\"%.32s\"", sha);
	r->status = 200;
	r->content_type = static_mime(mime ? mime : "");
	r->cache = cache;
	/* Opened in the browser all the same (a PDF viewer, a tab), the file runs nothing and
	 * reaches nothing of the site's. */
	r->csp = "sandbox; default-src 'none'";
	mc_upload_download_name(name, r->content_type, download);
	mc_upload_disposition(download, r->disposition);
	return MC_OK;
}
