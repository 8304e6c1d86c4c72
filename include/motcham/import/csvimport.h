#ifndef MOTCHAM_CSVIMPORT_H
#define MOTCHAM_CSVIMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "motcham/base/err.h"

struct mc_store;

/* Counts of what an import did. */
struct mc_import_stats {
	long rows;     /* data rows read */
	long created;  /* records created */
	long updated;  /* records updated */
	long rejected; /* rows rejected (each reported) */
};

/* Imports procedure guides, permits, announcements, inspections or wards from a CSV file (libcsv),
 * the kind told apart by its header row; UTF-8 with or without BOM, text normalised to NFC. Every
 * rejected row is reported to errs as "FILE:LINE: reason". All-or-nothing: one transaction,
 * rolled back if any row is rejected (MC_ERR_INVALID) or the database fails. New records get
 * a code at once. ward_slug names the ward for files without a ward column (NULL: the only
 * ward, an error when there are several). stats may be NULL. */
enum mc_err mc_csvimport_file(struct mc_store *s, const char *path, const char *ward_slug,
			      struct mc_import_stats *stats, FILE *errs);

/* Like mc_csvimport_file, but runs inside a transaction the caller opened and must commit
 * or roll back (roll back on any error: rows before a rejected one may have been written),
 * so that several files can be loaded all-or-nothing together. For a ward file, *last_ward
 * (may be NULL) receives the id of the last ward row, else 0. */
enum mc_err mc_csvimport_in_tx(struct mc_store *s, const char *path, const char *ward_slug,
			       struct mc_import_stats *stats, FILE *errs, int64_t *last_ward);

/* Like mc_csvimport_in_tx, with every date cell moved by shift_days days (after it is
 * checked; a date moved out of range rejects its row). */
enum mc_err mc_csvimport_shifted(struct mc_store *s, const char *path, const char *ward_slug,
				 long shift_days, struct mc_import_stats *stats, FILE *errs,
				 int64_t *last_ward);

#endif
