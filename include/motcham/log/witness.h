#ifndef MOTCHAM_LOG_WITNESS_H
#define MOTCHAM_LOG_WITNESS_H

/* A witness of another log (c2sp.org/tlog-witness's duty, pulled rather than pushed): it
 * fetches the log's checkpoint, checks the log's signature, checks that the checkpoint
 * extends the one it kept (a consistency proof made from the log's tiles, verified against
 * both roots), keeps the new one, cosigns it (c2sp.org/tlog-cosignature, Ed25519) and
 * posts the cosignature to the log's POST <prefix>/add-cosignature. A checkpoint that does
 * not extend the kept one is refused: both are kept as evidence and nothing is signed.
 *
 * State, in the state directory, per log origin (a file-safe name NAME): NAME.checkpoint
 * (the last checkpoint cosigned, as the log served it), NAME.lock, and for each refusal
 * NAME.refused-UNIXTIME.{kept,offered,why}. */

#include <stdint.h>

#include "motcham/base/err.h"
#include "motcham/log/note.h"

struct mc_witness_config {
	const char *log_url; /* the log's prefix (".../log"), or its server ("http://host:port") */
	const struct mc_note_verifier *log_key; /* its name is the log's origin */
	const struct mc_note_signer *key;	/* the witness's cosignature key (type 0x04) */
	const char *state_dir;			/* under 400 bytes */
};

enum mc_witness_verdict {
	MC_WITNESS_COSIGNED, /* consistent: kept, cosigned and the cosignature delivered */
	MC_WITNESS_REFUSED,  /* the log showed a checkpoint that does not extend the kept one */
};

struct mc_witness_result {
	enum mc_witness_verdict verdict;
	int64_t kept_size;    /* the size kept before this round (-1: none) */
	int64_t offered_size; /* the size the log showed */
	char message[512];    /* for a human, in every case */
	char evidence[600];   /* after a refusal: the path prefix of the evidence files */
};

/* One round. MC_OK with out->verdict when the round came to a verdict; otherwise the error
 * (MC_ERR_IO: the log could not be reached or answered otherwise than expected;
 * MC_ERR_CHECK: its checkpoint is not signed by log_key; MC_ERR_BUSY: another witness
 * process holds the state) with out->message saying what went wrong. */
enum mc_err mc_witness_round(const struct mc_witness_config *c, struct mc_witness_result *out);

#endif
