/* An upload checked by its content before it is kept: its type by its magic bytes, an
 * image read to its end (nothing may hide after it: a page, a script, an archive that a
 * browser or an unzip tool would find), a PDF without scripts or files inside. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <zlib.h>

#include "motcham/base/auth.h"
#include "motcham/web/form.h"
#include "motcham/web/upload.h"

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Chunk after chunk, each with its CRC, from IHDR to IEND. */
static enum mc_err png_end(const unsigned char *d, size_t len, size_t *end)
{
	size_t p = 8;
	bool first = true;

	while (len >= 12 && p <= len - 12) {
		uint32_t n = be32(d + p);
		const unsigned char *type = d + p + 4;

		if (n > 0x7FFFFFFFu || n > len - p - 12)
			return MC_ERR_CHECK;
		if (first && memcmp(type, "IHDR", 4))
			return MC_ERR_CHECK;
		first = false;
		if (crc32(0, type, (uInt)n + 4) != be32(d + p + 8 + n))
			return MC_ERR_CHECK;
		p += 12 + (size_t)n;
		if (!memcmp(type, "IEND", 4)) {
			*end = p;
			return n == 0 ? MC_OK : MC_ERR_CHECK;
		}
	}
	return MC_ERR_CHECK;
}

static bool standalone(unsigned m)
{
	return m == 0x01 || (m >= 0xD0 && m <= 0xD7);
}

/* Segment after segment from SOI to EOI; after each SOS, the entropy-coded data up to the
 * next marker (a 0xFF not followed by a stuffed 0x00 or a restart marker). */
static enum mc_err jpeg_end(const unsigned char *d, size_t len, size_t *end)
{
	size_t p = 2, n;
	unsigned m;

	for (;;) {
		if (p >= len || d[p] != 0xFF)
			return MC_ERR_CHECK;
		while (p < len && d[p] == 0xFF)
			p++;
		if (p >= len)
			return MC_ERR_CHECK;
		m = d[p++];
		if (m == 0xD9) {
			*end = p;
			return MC_OK;
		}
		if (m == 0x00 || m == 0xD8)
			return MC_ERR_CHECK;
		if (standalone(m))
			continue;
		if (len - p < 2 || (n = (size_t)d[p] << 8 | d[p + 1]) < 2 || n > len - p)
			return MC_ERR_CHECK;
		p += n;
		if (m != 0xDA)
			continue;
		while (p + 1 < len && !(d[p] == 0xFF && d[p + 1] != 0x00 && d[p + 1] != 0xFF &&
					!(d[p + 1] >= 0xD0 && d[p + 1] <= 0xD7)))
			p++;
		if (p + 1 >= len)
			return MC_ERR_CHECK;
	}
}

enum mc_err mc_upload_image_end(const void *image, size_t len, const char *mime, size_t *end)
{
	const unsigned char *d = image;
	const char *type = mc_upload_sniff(d, len);
	enum mc_err err;
	size_t i;

	*end = 0;
	if (!type || !mime || strcmp(type, mime) || !strcmp(mime, MC_MIME_PDF))
		return MC_ERR_CHECK;
	err = !strcmp(mime, MC_MIME_PNG) ? png_end(d, len, end) : jpeg_end(d, len, end);
	if (err != MC_OK || *end == len)
		return err;
	/* What may follow and be cut off: another JPEG (a phone's second picture, a depth or
	 * gain map), or zero padding. */
	if (!strcmp(mime, MC_MIME_JPEG) && len - *end >= 3 && d[*end] == 0xFF &&
	    d[*end + 1] == 0xD8 && d[*end + 2] == 0xFF)
		return MC_OK;
	for (i = *end; i < len && d[i] == 0; i++)
		;
	return i == len ? MC_OK : MC_ERR_CHECK;
}

static void refuse(struct mc_upload *u, int status, const char *why)
{
	u->status = status;
	u->why = why;
}

static void check_content(const unsigned char *d, bool image_only, struct mc_upload *u)
{
	const char *why = NULL;
	size_t end = 0;

	u->mime = mc_upload_sniff(d, u->size);
	if (!u->mime || (image_only && !strcmp(u->mime, MC_MIME_PDF))) {
		u->mime = NULL;
		refuse(u, 415,
		       image_only
			   ? "Ảnh phải là tệp JPEG hoặc PNG."
			   : "Chỉ nhận tệp PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp).");
	} else if (!strcmp(u->mime, MC_MIME_PDF)) {
		if (mc_upload_pdf_check(d, u->size, &why) != MC_OK)
			refuse(u, 422, why);
	} else if (mc_upload_image_end(d, u->size, u->mime, &end) != MC_OK) {
		refuse(u, 422,
		       "Ảnh bị hỏng hoặc có dữ liệu lạ sau phần ảnh nên không được nhận. Vui lòng "
		       "lưu lại ảnh (hoặc chụp lại) rồi gửi lại.");
	} else {
		u->size = end;
	}
	if (!u->why)
		mc_auth_sha256_hex(d, u->size, u->sha);
}

enum mc_err mc_upload_check(const struct mc_form_field *f, bool image_only, struct mc_upload *u)
{
	size_t max = image_only ? MC_UPLOAD_PHOTO_MAX : MC_UPLOAD_MAX;
	void *map;

	memset(u, 0, sizeof(*u));
	u->size = f->size;
	if (f->size == 0 || f->size > max) {
		refuse(u, 413,
		       image_only ? "Ảnh quá lớn: tối đa 5 MB." : "Tệp quá lớn: tối đa 10 MB.");
		return MC_OK;
	}
	if (f->fd < 0) {
		check_content((const unsigned char *)f->value.data, image_only, u);
		return MC_OK;
	}
	/* The spooled file is read where it lies: its pages are the kernel's cache, not this
	 * process's heap, and are let go once it is checked. */
	if ((map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, f->fd, 0)) == MAP_FAILED)
		return MC_ERR_IO;
	check_content(map, image_only, u);
	munmap(map, f->size);
	return MC_OK;
}
