/* mc_utf8_valid / nfc / fold / mask_name on arbitrary bytes. Each function appends to a
 * buffer that already holds a prefix: on error the buffer must be left as it was, on
 * success the result must be valid UTF-8 and stable when the function is applied again. */

#include <string.h>

#include "fuzz.h"
#include "motcham/base/buf.h"
#include "motcham/base/utf8.h"

#define PREFIX "pre:"
#define PLEN (sizeof PREFIX - 1)

typedef enum mc_err (*conv_fn)(const char *s, size_t len, struct mc_buf *out);

/* Runs fn on s into a buffer holding PREFIX; returns the error, the result in out. */
static enum mc_err run(conv_fn fn, const char *s, size_t len, struct mc_buf *out)
{
	enum mc_err err;

	mc_buf_reset(out);
	FUZZ_CHECK(mc_buf_puts(out, PREFIX) == MC_OK);
	err = fn(s, len, out);
	FUZZ_CHECK(out->len >= PLEN && memcmp(out->data, PREFIX, PLEN) == 0);
	FUZZ_CHECK(out->data[out->len] == '\0');
	if (err != MC_OK)
		FUZZ_CHECK(out->len == PLEN);
	return err;
}

/* fn must accept exactly the valid inputs, give valid output and be idempotent. */
static void check_conv(conv_fn fn, const char *s, size_t len, bool valid)
{
	struct mc_buf a, b;
	enum mc_err err;

	mc_buf_init(&a);
	mc_buf_init(&b);
	err = run(fn, s, len, &a);
	FUZZ_CHECK(valid ? err == MC_OK : err == MC_ERR_INVALID);
	if (err == MC_OK) {
		FUZZ_CHECK(mc_utf8_valid(a.data + PLEN, a.len - PLEN));
		FUZZ_CHECK(run(fn, a.data + PLEN, a.len - PLEN, &b) == MC_OK);
		FUZZ_CHECK(b.len == a.len && memcmp(a.data, b.data, a.len) == 0);
	}
	mc_buf_finish(&a);
	mc_buf_finish(&b);
}

/* A search key: no leading, trailing or doubled spaces and no ASCII capitals. */
static void check_key(const char *s, size_t len)
{
	struct mc_buf k;

	mc_buf_init(&k);
	if (run(mc_utf8_fold, s, len, &k) == MC_OK) {
		const char *key = k.data + PLEN;
		size_t n = k.len - PLEN;

		FUZZ_CHECK(n == 0 || (key[0] != ' ' && key[n - 1] != ' '));
		FUZZ_CHECK(strstr(key, "  ") == NULL);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(!(key[i] >= 'A' && key[i] <= 'Z'));
	}
	mc_buf_finish(&k);
}

/* The masked name keeps the first word of the NFC name whole. */
static void check_mask(const char *s, size_t len)
{
	struct mc_buf m, nfc;
	char *z = malloc(len + 1);
	size_t zlen, w = 0, lead = 0;
	enum mc_err err;

	FUZZ_CHECK(z != NULL);
	memcpy(z, s, len);
	z[len] = '\0';
	zlen = strlen(z);
	mc_buf_init(&m);
	mc_buf_init(&nfc);
	FUZZ_CHECK(mc_buf_puts(&m, PREFIX) == MC_OK);
	err = mc_utf8_mask_name(z, &m);
	FUZZ_CHECK(err == (mc_utf8_valid(z, zlen) ? MC_OK : MC_ERR_INVALID));
	FUZZ_CHECK(m.len >= PLEN && memcmp(m.data, PREFIX, PLEN) == 0);
	if (err != MC_OK) {
		FUZZ_CHECK(m.len == PLEN);
		goto done;
	}
	FUZZ_CHECK(mc_utf8_valid(m.data + PLEN, m.len - PLEN));
	FUZZ_CHECK(mc_utf8_nfc(z, zlen, &nfc) == MC_OK);
	lead = strspn(nfc.data, " \t\r\n");
	w = strcspn(nfc.data + lead, " \t\r\n");
	/* No-break spaces also end a word: only compare when there are none. */
	if (!strstr(nfc.data, "\xc2\xa0")) {
		FUZZ_CHECK(m.len - PLEN >= w);
		FUZZ_CHECK(memcmp(m.data + PLEN, nfc.data + lead, w) == 0);
	}
done:
	mc_buf_finish(&m);
	mc_buf_finish(&nfc);
	free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	bool valid = mc_utf8_valid(s, size);

	/* A valid string has no NUL, so it is also a C string of the same length. */
	if (valid)
		FUZZ_CHECK(memchr(s, '\0', size) == NULL);
	check_conv(mc_utf8_nfc, s, size, valid);
	check_conv(mc_utf8_fold, s, size, valid);
	check_key(s, size);
	check_mask(s, size);
	return 0;
}
