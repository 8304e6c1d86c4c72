#ifndef MOTCHAM_DEMO_H
#define MOTCHAM_DEMO_H

#include <stdio.h>

#include "motcham/base/err.h"

struct mc_store;

/* Loads the sample ward (Phường 7, Quận 8, marked as sample data) from data_dir: ward.csv,
 * procedures.csv, announcements.csv, permits.csv, inspections.csv, through the same import
 * path as `motcham import`, and makes sure every record and the ward have a code. Running it
 * again updates the records and keeps their codes. Problems go to errs. */
enum mc_err mc_demo_load(struct mc_store *s, const char *data_dir, FILE *errs);

#endif
