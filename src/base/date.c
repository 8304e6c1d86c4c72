#include "motcham/base/date.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Vietnam has no daylight saving time, so a fixed offset is exact. */
#define WARD_UTC_OFFSET (7 * 3600)

/* Largest time_t, assuming it is a signed integer as on every platform we build on. */
#define TIME_MAX ((time_t)(((uintmax_t)1 << (sizeof(time_t) * CHAR_BIT - 1)) - 1))

void mc_date_of(time_t t, char out[MC_DATE_LEN + 1])
{
	struct tm tm;
	unsigned y, m, d;
	time_t local;

	/* Timestamps that cannot be a ward date get an impossible date rather than a crash. */
	if (t > TIME_MAX - WARD_UTC_OFFSET)
		goto fail;
	local = t + WARD_UTC_OFFSET;
	if (!gmtime_r(&local, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
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

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, long *m, long *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp + (mp < 10 ? 3 : -9);
	*y = yoe + era * 400 + (*m <= 2);
}

bool mc_date_days(const char *iso, long *days)
{
	if (!mc_date_valid(iso))
		return false;
	*days = days_from_civil(digits(iso, 4), digits(iso + 5, 2), digits(iso + 8, 2));
	return true;
}

bool mc_date_add(const char *iso, long days, char out[MC_DATE_LEN + 1])
{
	long z, y, m, d;

	if (!mc_date_days(iso, &z))
		return false;
	out[0] = '\0';
	if (days < -1000000 || days > 1000000)
		return false;
	civil_from_days(z + days, &y, &m, &d);
	if (y < 1900 || y > 2199)
		return false;
	snprintf(out, MC_DATE_LEN + 1, "%04u-%02u-%02u", (unsigned)y % 10000, (unsigned)m % 100,
		 (unsigned)d % 100);
	return true;
}
