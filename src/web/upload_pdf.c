/* A PDF is refused when it can run something or carries other files. Every name in its
 * objects is read (with #-escapes decoded), skipping strings, comments and stream data, and
 * the compressed object streams where PDF 1.5 keeps objects are inflated and read the same
 * way. What cannot be read (an object stream in another encoding, encrypted or too large)
 * is refused too: a file we cannot check is not one we keep. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "motcham/web/upload.h"

#define INFLATE_MAX (32u << 20) /* bytes an object stream may inflate to, all of them */
#define NAME_MAX_LEN 127

static const char msg_script[] =
    "Tệp PDF có chứa mã lệnh (JavaScript hoặc lệnh tự chạy) nên không được nhận. Vui lòng in "
    "tệp ra PDF mới (chọn “In” rồi “Lưu thành PDF”) và tải lại.";
static const char msg_files[] =
    "Tệp PDF có đính kèm tệp khác bên trong nên không được nhận. Vui lòng tải riêng từng tệp, "
    "hoặc in tệp ra PDF mới rồi tải lại.";
static const char msg_unreadable[] =
    "Không kiểm tra được nội dung tệp PDF này (tệp có mật khẩu, bị mã hoá hoặc bị hỏng). "
    "Vui lòng in tệp ra PDF mới rồi tải lại.";

/* What the scan has seen in the object it is in, and overall. */
struct scan {
	bool objstm, flate, other_filter, predictor; /* the current object's dictionary */
	size_t inflated;
	const char *why;
};

static bool is_space(unsigned char c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static bool is_delim(unsigned char c)
{
	return strchr("()<>[]{}/%", c) != NULL && c != 0;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void object_start(struct scan *s)
{
	s->objstm = s->flate = s->other_filter = s->predictor = false;
}

static void saw_name(struct scan *s, const char *n)
{
	static const char *const scripts[] = {"JS",  "JavaScript", "Launch",	 "RichMedia",
					      "XFA", "SubmitForm", "ImportData", NULL};
	static const char *const files[] = {"EmbeddedFile", "EmbeddedFiles", "FileAttachment",
					    NULL};
	static const char *const filters[] = {"ASCIIHexDecode",
					      "ASCII85Decode",
					      "LZWDecode",
					      "RunLengthDecode",
					      "Crypt",
					      "AHx",
					      "A85",
					      "LZW",
					      "RL",
					      NULL};

	for (size_t i = 0; scripts[i]; i++)
		if (!strcmp(n, scripts[i]) && !s->why)
			s->why = msg_script;
	for (size_t i = 0; files[i]; i++)
		if (!strcmp(n, files[i]) && !s->why)
			s->why = msg_files;
	for (size_t i = 0; filters[i]; i++)
		s->other_filter = s->other_filter || !strcmp(n, filters[i]);
	s->objstm = s->objstm || !strcmp(n, "ObjStm");
	s->flate = s->flate || !strcmp(n, "FlateDecode") || !strcmp(n, "Fl");
	s->predictor = s->predictor || !strcmp(n, "Predictor");
}

/* Reads the name at d[*i] (just after its '/'), decoded; *i moves past it. */
static void read_name(struct scan *s, const unsigned char *d, size_t len, size_t *i)
{
	char n[NAME_MAX_LEN + 1];
	size_t k = 0, p = *i;
	int hi, lo;

	while (p < len && !is_space(d[p]) && !is_delim(d[p])) {
		unsigned char c = d[p++];

		if (c == '#' && p + 1 < len && (hi = hexval(d[p])) >= 0 &&
		    (lo = hexval(d[p + 1])) >= 0) {
			c = (unsigned char)(hi * 16 + lo);
			p += 2;
		}
		if (k < NAME_MAX_LEN)
			n[k++] = c ? (char)c : '?';
	}
	n[k] = '\0';
	*i = p;
	saw_name(s, n);
}

static size_t skip_string(const unsigned char *d, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		if (d[i] == '\\')
			i++;
		else if (d[i] == '(')
			depth++;
		else if (d[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

static void scan(struct scan *s, const unsigned char *d, size_t len, bool top);

/* An object stream's objects, inflated (capped) and read like the file's own. */
static void inflate_scan(struct scan *s, const unsigned char *d, size_t len)
{
	z_stream z = {0};
	unsigned char *out = NULL;
	size_t cap = 0, n = 0;
	int rc;

	if (s->other_filter || s->predictor || !s->flate || inflateInit(&z) != Z_OK) {
		s->why = s->why ? s->why : msg_unreadable;
		return;
	}
	z.next_in = (unsigned char *)d;
	z.avail_in = (uInt)len;
	for (;;) {
		if (n == cap) {
			unsigned char *grown;

			cap = cap ? cap * 2 : 64 * 1024;
			if (s->inflated + cap > INFLATE_MAX || !(grown = realloc(out, cap))) {
				rc = Z_MEM_ERROR;
				break;
			}
			out = grown;
		}
		z.next_out = out + n;
		z.avail_out = (uInt)(cap - n);
		rc = inflate(&z, Z_NO_FLUSH);
		n = cap - z.avail_out;
		if (rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_out == 0))
			continue;
		/* Data that ends before the stream's end: what there is is read. */
		if (rc == Z_BUF_ERROR && z.avail_in == 0)
			rc = Z_STREAM_END;
		break;
	}
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		s->why = s->why ? s->why : msg_unreadable;
	} else {
		s->inflated += n;
		scan(s, out, n, false);
	}
	free(out);
}

/* At d[i], just after the keyword "stream": skips the data to "endstream" (reading an
 * object stream's on the way) and returns where to go on. */
static size_t stream_data(struct scan *s, const unsigned char *d, size_t len, size_t i, bool top)
{
	const unsigned char *e;
	size_t start = i;

	if (start < len && d[start] == '\r')
		start++;
	if (start < len && d[start] == '\n')
		start++;
	e = memmem(d + start, len - start, "endstream", 9);
	if (top && s->objstm)
		inflate_scan(s, d + start, (e ? (size_t)(e - d) : len) - start);
	object_start(s);
	return e ? (size_t)(e - d) + 9 : len;
}

static void scan(struct scan *s, const unsigned char *d, size_t len, bool top)
{
	size_t i = 0, k;

	while (i < len && !s->why) {
		unsigned char c = d[i];

		if (c == '%') {
			while (i < len && d[i] != '\r' && d[i] != '\n')
				i++;
		} else if (c == '(') {
			i = skip_string(d, len, i);
		} else if (c == '<' && i + 1 < len && d[i + 1] == '<') {
			i += 2; /* a dictionary */
		} else if (c == '<') {
			const unsigned char *gt = memchr(d + i, '>', len - i);

			i = gt ? (size_t)(gt - d) + 1 : len;
		} else if (c == '/') {
			i++;
			read_name(s, d, len, &i);
		} else if (is_space(c) || is_delim(c)) {
			i++;
		} else {
			for (k = i; k < len && !is_space(d[k]) && !is_delim(d[k]); k++)
				;
			if ((k - i == 3 && !memcmp(d + i, "obj", 3)) ||
			    (k - i == 6 && !memcmp(d + i, "endobj", 6)))
				object_start(s);
			if (k - i == 6 && !memcmp(d + i, "stream", 6))
				k = stream_data(s, d, len, k, top);
			i = k;
		}
	}
}

enum mc_err mc_upload_pdf_check(const void *pdf, size_t len, const char **why)
{
	struct scan s = {0};

	*why = NULL;
	if (!pdf || len < 5 || memcmp(pdf, "%PDF-", 5)) {
		*why = msg_unreadable;
		return MC_ERR_CHECK;
	}
	scan(&s, pdf, len, true);
	*why = s.why;
	return s.why ? MC_ERR_CHECK : MC_OK;
}
