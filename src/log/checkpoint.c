/* Checkpoint texts (checkpoint.h): the three lines every log client reads. */
#include "motcham/log/checkpoint.h"

#include <sodium.h>
#include <string.h>

#include "private.h"

enum mc_err mc_checkpoint_format(const struct mc_checkpoint *c, struct mc_buf *text)
{
	char b64[sodium_base64_ENCODED_LEN(MC_MERKLE_HASH, sodium_base64_VARIANT_ORIGINAL)];
	size_t n = strlen(c->origin);

	if (n == 0 || c->size < 0)
		return MC_ERR_INVALID;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)c->origin[i] < 0x20)
			return MC_ERR_INVALID;
	sodium_bin2base64(b64, sizeof(b64), c->root, MC_MERKLE_HASH,
			  sodium_base64_VARIANT_ORIGINAL);
	return mc_buf_printf(text, "%s\n%lld\n%s\n", c->origin, (long long)c->size, b64);
}

/* The line at *p (up to end), without its newline; moves *p past it. False when there is
 * no newline left. */
static bool next_line(const char **p, const char *end, const char **line, size_t *n)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (!nl)
		return false;
	*line = *p;
	*n = (size_t)(nl - *p);
	*p = nl + 1;
	return true;
}

static bool parse_size(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

enum mc_err mc_checkpoint_parse(const char *text, size_t len, struct mc_checkpoint *c)
{
	const char *p = text, *end = text + len, *line;
	size_t n, got = 0;

	memset(c, 0, sizeof(*c));
	if (!next_line(&p, end, &line, &n) || n == 0 || n > MC_NOTE_NAME_MAX)
		return MC_ERR_INVALID;
	/* No control character (a NUL would cut the origin short in C). */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20)
			return MC_ERR_INVALID;
	memcpy(c->origin, line, n);
	if (!next_line(&p, end, &line, &n) || !parse_size(line, n, &c->size))
		return MC_ERR_INVALID;
	if (!next_line(&p, end, &line, &n) || n != 44 ||
	    !b64_decode(line, n, c->root, MC_MERKLE_HASH, &got) || got != MC_MERKLE_HASH)
		return MC_ERR_INVALID;
	while (p < end)
		if (!next_line(&p, end, &line, &n) || n == 0)
			return MC_ERR_INVALID;
	return MC_OK;
}

enum mc_err mc_checkpoint_open(const char *note, size_t len, const struct mc_note_verifier *v,
			       struct mc_note *n, struct mc_checkpoint *c)
{
	enum mc_err err;

	if ((err = mc_note_parse(note, len, n)) != MC_OK)
		return err == MC_ERR_TOOBIG ? MC_ERR_INVALID : err;
	if ((err = mc_checkpoint_parse(n->text, n->text_len, c)) != MC_OK)
		return err;
	return mc_note_verify(n, v, NULL);
}
