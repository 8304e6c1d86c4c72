#ifndef MOTCHAM_DATE_H
#define MOTCHAM_DATE_H

#include <stdbool.h>
#include <time.h>

/* Dates are ISO-8601 "YYYY-MM-DD" text in the ward's local day (UTC+7, no DST). */
#define MC_DATE_LEN 10

/* Writes the ward-local date of t into out[MC_DATE_LEN + 1]. */
void mc_date_of(time_t t, char out[MC_DATE_LEN + 1]);
/* Writes today's ward-local date into out. */
void mc_date_today(char out[MC_DATE_LEN + 1]);
/* True when s is a real calendar date written as YYYY-MM-DD (years 1900-2199). */
bool mc_date_valid(const char *s);

/* Writes the date iso begins with the Vietnamese way, DD/MM/YYYY, into out; false (out
 * empty) when iso does not begin with a valid date. */
bool mc_date_vn(const char *iso, char out[MC_DATE_LEN + 1]);

/* The number of days from 1970-01-01 to iso, a valid date; false otherwise. */
bool mc_date_days(const char *iso, long *days);
/* Writes the date days after iso (before, for a negative number) into out; false when iso
 * is not a valid date or the result falls outside mc_date_valid's years. */
bool mc_date_add(const char *iso, long days, char out[MC_DATE_LEN + 1]);

#endif
