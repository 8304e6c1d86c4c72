/* Matching a path against the route table. The rules are written once, in routes.h, and
 * kept here: every path segment of every route goes through seg_match. */
#include "motcham/http/routes.h"

#include <string.h>
#include <strings.h>

#include "motcham/domain/check.h"

#define ID_DIGITS 18

/* One segment of a path: [p, p + n). */
struct seg {
	const char *p;
	size_t n;
};

static bool lit_eq(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && strncasecmp(a, b, an) == 0;
}

static bool is_id(const char *s, size_t n)
{
	if (n == 0 || n > ID_DIGITS || s[0] < '1' || s[0] > '9')
		return false;
	for (size_t i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Matches one pattern segment [pat, pat + pn) against one path segment, filling m's
 * variables when it does. */
static bool seg_match(const char *pat, size_t pn, struct seg s, struct mc_route_match *m)
{
	const char *close;
	size_t vn, suffix, n;

	if (pn == 0 || pat[0] != '{')
		return lit_eq(pat, pn, s.p, s.n);
	close = memchr(pat, '}', pn);
	if (!close)
		return false;
	vn = (size_t)(close - pat) + 1;
	suffix = pn - vn;
	if (s.n <= suffix || !lit_eq(close + 1, suffix, s.p + s.n - suffix, suffix))
		return false;
	n = s.n - suffix;
	if (lit_eq(pat, vn, "{id}", 4)) {
		if (!is_id(s.p, n))
			return false;
		m->id = 0;
		for (size_t i = 0; i < n; i++)
			m->id = m->id * 10 + (s.p[i] - '0');
		return true;
	}
	if (lit_eq(pat, vn, "{slug}", 6)) {
		/* Letter case never matters in a path: the slug is the ward's once lower-cased. */
		if (n > MC_ROUTE_SLUG_MAX)
			return false;
		for (size_t i = 0; i < n; i++)
			m->slug[i] =
			    (s.p[i] >= 'A' && s.p[i] <= 'Z') ? (char)(s.p[i] + 32) : s.p[i];
		m->slug[n] = '\0';
		return (m->has_slug = mc_check_slug(m->slug));
	}
	if (n > MC_ROUTE_ARG_MAX)
		return false;
	memcpy(m->arg, s.p, n);
	m->arg[n] = '\0';
	m->has_arg = true;
	return true;
}

/* Splits path into segments, ignoring one trailing '/'. False for a path no pattern can
 * match: not starting with '/', an empty segment, or more segments than any route has. */
static bool split(const char *path, struct seg *segs, size_t max, size_t *nsegs)
{
	const char *p = path, *end;
	size_t n = 0;

	if (*p != '/')
		return false;
	p++;
	while (*p) {
		end = strchr(p, '/');
		if (n == max)
			return false;
		segs[n].p = p;
		segs[n].n = end ? (size_t)(end - p) : strlen(p);
		if (segs[n].n == 0)
			return false;
		n++;
		if (!end)
			break;
		p = end + 1;
	}
	*nsegs = n;
	return true;
}

/* What a catch-all's "**" takes: the segments from i on, joined by '/' (for the handler that
 * reads them and the page cache's key); too long to copy, it is marked so. */
static void rest_of(const struct seg *segs, size_t nsegs, size_t i, struct mc_route_match *m)
{
	size_t len = 0;

	m->rest[0] = '\0';
	m->rest_too_long = false;
	for (; i < nsegs; i++) {
		if (len + segs[i].n + 2 > sizeof(m->rest)) {
			m->rest_too_long = true;
			m->rest[0] = '\0';
			return;
		}
		if (len)
			m->rest[len++] = '/';
		memcpy(m->rest + len, segs[i].p, segs[i].n);
		len += segs[i].n;
		m->rest[len] = '\0';
	}
}

/* Matches a whole pattern; *prefix is set when it ends in "**". */
static bool pattern_match(const char *pattern, const struct seg *segs, size_t nsegs,
			  struct mc_route_match *m, bool *catch_all)
{
	const char *p = pattern + 1, *end;
	size_t i = 0, pn;

	*catch_all = false;
	while (*p) {
		end = strchr(p, '/');
		pn = end ? (size_t)(end - p) : strlen(p);
		if (pn == 2 && p[0] == '*' && p[1] == '*') {
			*catch_all = true;
			rest_of(segs, nsegs, i, m);
			return true;
		}
		if (i == nsegs || !seg_match(p, pn, segs[i], m))
			return false;
		i++;
		if (!end)
			break;
		p = end + 1;
	}
	return i == nsegs;
}

static bool method_ok(const char *want, const char *method)
{
	if (!strcmp(want, "*"))
		return true;
	if (!strcmp(want, method))
		return true;
	return !strcmp(want, "GET") && !strcmp(method, "HEAD");
}

void mc_routes_match(const char *method, const char *path, struct mc_route_match *m)
{
	struct seg segs[16];
	size_t n, nsegs, fallback = SIZE_MAX;
	const struct mc_route *rows = mc_routes(&n);
	struct mc_route_match scratch;
	bool all;

	memset(m, 0, sizeof(*m));
	m->index = SIZE_MAX;
	if (!split(path, segs, sizeof(segs) / sizeof(segs[0]), &nsegs))
		return;
	for (size_t i = 0; i < n; i++) {
		scratch = (struct mc_route_match){0};
		if (!pattern_match(rows[i].pattern, segs, nsegs, &scratch, &all))
			continue;
		if (all) {
			if (fallback == SIZE_MAX && method_ok(rows[i].method, method))
				fallback = i;
			continue;
		}
		if (!method_ok(rows[i].method, method)) {
			m->wrong_method = true;
			continue;
		}
		scratch.route = &rows[i];
		scratch.index = i;
		*m = scratch;
		return;
	}
	if (fallback != SIZE_MAX) {
		bool wrong = m->wrong_method;

		*m = (struct mc_route_match){0};
		pattern_match(rows[fallback].pattern, segs, nsegs, m, &all);
		m->route = &rows[fallback];
		m->index = fallback;
		m->wrong_method = wrong;
	}
}

/* True when row i is the first to use its label ("other" after the table). */
static bool first_use(const struct mc_route *rows, size_t n, size_t i)
{
	const char *label = i < n ? rows[i].label : "other";

	for (size_t j = 0; j < i && j < n; j++)
		if (!strcmp(rows[j].label, label))
			return false;
	return true;
}

size_t mc_routes_labels(const char **labels, size_t max)
{
	size_t n, count = 0;
	const struct mc_route *rows = mc_routes(&n);

	for (size_t i = 0; i <= n; i++) {
		if (!first_use(rows, n, i))
			continue;
		if (count < max)
			labels[count] = i < n ? rows[i].label : "other";
		count++;
	}
	return count;
}

size_t mc_routes_label_of(size_t row)
{
	size_t n, pos = 0;
	const struct mc_route *rows = mc_routes(&n);
	const char *label = row < n ? rows[row].label : "other";

	for (size_t i = 0; i <= n; i++) {
		if (!first_use(rows, n, i))
			continue;
		if (!strcmp(i < n ? rows[i].label : "other", label))
			return pos;
		pos++;
	}
	return pos;
}
