#ifndef MOTCHAM_LOG_CHECKPOINT_H
#define MOTCHAM_LOG_CHECKPOINT_H

/* C2SP checkpoints (c2sp.org/tlog-checkpoint): the text of a signed note made of the
 * origin line, the tree size in decimal and the base64 root hash, each ending in a newline,
 * then optional non-empty extension lines (kept, but this log writes none). */

#include <stddef.h>
#include <stdint.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"
#include "motcham/base/merkle.h"
#include "motcham/log/note.h"

struct mc_checkpoint {
	char origin[MC_NOTE_NAME_MAX + 1];
	int64_t size;
	unsigned char root[MC_MERKLE_HASH];
};

/* Appends the checkpoint's text (three lines). MC_ERR_INVALID for an origin that is empty
 * or has a control character or a newline, or a negative size. */
enum mc_err mc_checkpoint_format(const struct mc_checkpoint *c, struct mc_buf *text);
/* Reads a checkpoint's text (a note's text: ends in a newline). MC_ERR_INVALID unless the
 * origin is non-empty without control characters, the size is decimal without leading zeros and
 * fits int64, the root is base64 of 32 bytes, and any further line is non-empty. */
enum mc_err mc_checkpoint_parse(const char *text, size_t len, struct mc_checkpoint *c);

/* Reads a signed checkpoint: parses note[0 .. len) into *n (which points into it), checks
 * that v (the log's key) signed it and reads its text into *c. MC_ERR_INVALID for a
 * malformed note or checkpoint, MC_ERR_CHECK for a signature of v that does not verify,
 * MC_ERR_NOTFOUND when v did not sign it. */
enum mc_err mc_checkpoint_open(const char *note, size_t len, const struct mc_note_verifier *v,
			       struct mc_note *n, struct mc_checkpoint *c);

#endif
