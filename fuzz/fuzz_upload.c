/* What an upload's content meets before it is kept, on arbitrary bytes: the image end
 * (mc_upload_image_end), the PDF check (mc_upload_pdf_check, the input also read as a
 * PDF's body) and, since a file's name and a record's text reach the CSV exports, the CSV
 * cell writer (mc_csv_cell).
 *
 * Properties: an image's end is within the input, and the image cut there is whole and ends
 * just there; a PDF check answers with a reason exactly when it refuses; a CSV cell, read by
 * a reader with any separator, starts no field that is a formula. */

#include <string.h>

#include "fuzz.h"
#include "motcham/base/buf.h"
#include "motcham/render/csv.h"
#include "motcham/web/upload.h"

static void check_image(const uint8_t *d, size_t n)
{
	const char *mime = mc_upload_sniff(d, n);
	size_t end = 0, again = 0;

	if (!mime || !strcmp(mime, MC_MIME_PDF))
		return;
	if (mc_upload_image_end(d, n, mime, &end) != MC_OK)
		return;
	FUZZ_CHECK(end > 0 && end <= n);
	FUZZ_CHECK(mc_upload_image_end(d, end, mime, &again) == MC_OK && again == end);
}

static void check_pdf(const uint8_t *d, size_t n)
{
	struct mc_buf b;
	const char *why = (const char *)1;
	enum mc_err err;

	mc_buf_init(&b);
	FUZZ_CHECK(mc_buf_add(&b, "%PDF-1.5\n", 9) == MC_OK && mc_buf_add(&b, d, n) == MC_OK);
	err = mc_upload_pdf_check(b.data, b.len, &why);
	FUZZ_CHECK(err == MC_OK || err == MC_ERR_CHECK);
	FUZZ_CHECK((err == MC_OK) == (why == NULL));
	mc_buf_finish(&b);
}

static bool trigger(const char *p)
{
	return (*p && strchr("=+-@", *p)) ||
	       ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBC &&
		((unsigned char)p[2] == 0x9D || (unsigned char)p[2] == 0x8B ||
		 (unsigned char)p[2] == 0x8D || (unsigned char)p[2] == 0xA0));
}

static void check_csv(const uint8_t *d, size_t n)
{
	struct mc_buf text, out;

	mc_buf_init(&text);
	mc_buf_init(&out);
	FUZZ_CHECK(mc_buf_add(&text, d, n) == MC_OK);
	FUZZ_CHECK(mc_csv_cell(&out, text.data, 0) == MC_OK);
	/* Where any reader may start a field: the start, and after a separator or a line
	 * break (the cell's own CRLF ends the output). */
	for (size_t i = 0; i < out.len; i++) {
		const char *p;

		if (i > 0 && !strchr(",;\t\r\n", out.data[i - 1]))
			continue;
		for (p = out.data + i; *p == ' ' || *p == '"'; p++)
			;
		FUZZ_CHECK(!trigger(p));
	}
	mc_buf_finish(&text);
	mc_buf_finish(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_image(data, size);
	check_pdf(data, size);
	if (!memchr(data, 0, size))
		check_csv(data, size);
	return 0;
}
