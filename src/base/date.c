#include "motcham/base/date.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Vietnam has no daylight saving time, so a fixed offset is exact. */
#define WARD_UTC_OFFSET (7 * 3600)

/* Largest time_t, assuming it is a signed integer as on every platform we build on. */
#define TIME_MAX ((time_t)(((uintmax_t)1 << (sizeof(time_t) * CHAR_BIT - 1)) - 1))

bool mc_date_local(time_t t, struct tm *out)
{
	time_t local;

	if (t > TIME_MAX - WARD_UTC_OFFSET)
		return false;
	local = t + WARD_UTC_OFFSET;
	return gmtime_r(&local, out) != NULL;
}

void mc_date_of(time_t t, char out[MC_DATE_LEN + 1])
{
	struct tm tm;
	unsigned y, m, d;

	/* Timestamps that cannot be a ward date get an impossible date rather than a crash. */
	if (!mc_date_local(t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		goto fail;
	y = (unsigned)(tm.tm_year + 1900) % 10000;
	m = (unsigned)(tm.tm_mon + 1) % 100;
	d = (unsigned)tm.tm_mday % 100;
	snprintf(out, MC_DATE_LEN + 1, "%04u-%02u-%02u", y, m, d);
	return;
fail:
	memcpy(out, "0000-00-00", MC_DATE_LEN + 1);
}

void mc_date_today(char out[MC_DATE_LEN + 1])
{
	mc_date_of(time(NULL), out);
}

static int digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

bool mc_date_valid(const char *s)
{
	int y, m, d;

	if (!s || strnlen(s, MC_DATE_LEN + 1) != MC_DATE_LEN || s[4] != '-' || s[7] != '-')
		return false;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days_in_month(y, m);
}

bool mc_date_vn(const char *iso, char out[MC_DATE_LEN + 1])
{
	char day[MC_DATE_LEN + 1];

	out[0] = '\0';
	if (!iso || strlen(iso) < MC_DATE_LEN)
		return false;
	memcpy(day, iso, MC_DATE_LEN);
	day[MC_DATE_LEN] = '\0';
	if (!mc_date_valid(day))
		return false;
	snprintf(out, MC_DATE_LEN + 1, "%.2s/%.2s/%.4s", day + 8, day + 5, day);
	return true;
}
