/* The log's parsers on arbitrary bytes (a witness and the log read each other's notes): a
 * signed note, a checkpoint text and a tile path. Nothing is read past the input; what is
 * accepted is canonical (a tile path writes back to the very same bytes, a checkpoint to
 * its first three lines) and a note's parts lie inside it. */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "motcham/log/checkpoint.h"
#include "motcham/log/note.h"
#include "motcham/log/tile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct mc_checkpoint c;
	struct mc_tile t;
	struct mc_note *n = malloc(sizeof(*n));
	struct mc_buf out;
	char *s;

	FUZZ_CHECK(n != NULL);
	mc_buf_init(&out);
	if (mc_note_parse(p, size, n) == MC_OK) {
		FUZZ_CHECK(n->text == p && n->text_len < size && p[n->text_len - 1] == '\n');
		FUZZ_CHECK(n->nsig >= 1 && n->nsig <= MC_NOTE_SIGS_MAX);
		for (size_t i = 0; i < n->nsig; i++) {
			FUZZ_CHECK(n->sig[i].line >= p + n->text_len &&
				   n->sig[i].line + n->sig[i].line_len <= p + size);
			FUZZ_CHECK(n->sig[i].line[n->sig[i].line_len - 1] == '\n');
		}
	}
	/* A checkpoint writes back as the first three lines it was read from. */
	if (mc_checkpoint_parse(p, size, &c) == MC_OK && mc_checkpoint_format(&c, &out) == MC_OK)
		FUZZ_CHECK(out.len <= size && !memcmp(out.data, p, out.len));
	if ((s = malloc(size + 1))) {
		memcpy(s, data, size);
		s[size] = '\0';
		mc_buf_reset(&out);
		if (mc_tile_parse(s, &t) == MC_OK) {
			FUZZ_CHECK(mc_tile_path(&t, &out) == MC_OK);
			FUZZ_CHECK(!strcmp(out.data, s));
		}
		free(s);
	}
	mc_buf_finish(&out);
	free(n);
	return 0;
}
