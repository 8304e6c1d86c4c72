#ifndef MOTCHAM_SCANS_H
#define MOTCHAM_SCANS_H

/* Scan counting that never slows an answer: workers push (code, day) into a bounded queue
 * and go on; one writer thread drains it every ~100 ms or ~1000 items into scan_daily with
 * one transaction per batch, adding to what other nodes count. When the queue is full a scan
 * is dropped and counted as such, rather than making a resident wait. Counts the database
 * did not take (stopped, unreachable) are kept and written when it is back. Stopping writes
 * whatever is queued. */

#include <stdint.h>

#include "motcham/base/err.h"

struct mc_scans;

enum mc_scan_miss { MC_SCAN_UNKNOWN, MC_SCAN_MISTYPED };

struct mc_scans_stats {
	unsigned long long queued;    /* accepted into the queue */
	unsigned long long written;   /* committed to the database */
	unsigned long long dropped;   /* refused because the queue was full */
	unsigned long long db_errors; /* batches the database did not take (kept, tried again) */
};

/* Opens its own read-write connection to db_path and starts the writer thread. *out owned
 * by the caller. MC_ERR_DB / MC_ERR_NOMEM on failure. */
enum mc_err mc_scans_create(const char *db_path, struct mc_scans **out);
/* Counts one scan of a code (today, ward-local). Never blocks on the database. */
void mc_scans_hit(struct mc_scans *sc, int64_t code_id);
/* Counts one scan of a code that does not exist or was mistyped. */
void mc_scans_miss(struct mc_scans *sc, enum mc_scan_miss why);
/* A snapshot of the counters. */
void mc_scans_stats(struct mc_scans *sc, struct mc_scans_stats *out);
/* Writes everything queued, stops the writer and frees everything. Accepts NULL. */
void mc_scans_destroy(struct mc_scans *sc);

#endif
