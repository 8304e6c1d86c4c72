#include "motcham/base/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* ::ffff:a.b.c.d is a.b.c.d: a dual-stack socket reports IPv4 peers that way. */
static void unmap(struct mc_addr *a)
{
	if (a->family == AF_INET6 && !memcmp(a->bytes, v4_mapped, sizeof(v4_mapped))) {
		memmove(a->bytes, a->bytes + 12, 4);
		memset(a->bytes + 4, 0, 12);
		a->family = AF_INET;
	}
}

enum mc_err mc_addr_parse(const char *s, size_t n, struct mc_addr *out)
{
	char tmp[MC_ADDR_TEXT_MAX];

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(tmp))
		return MC_ERR_INVALID;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, out->bytes) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, tmp, out->bytes) == 1)
		out->family = AF_INET6;
	else
		return MC_ERR_INVALID;
	unmap(out);
	return MC_OK;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static enum mc_err parse_item(const char *s, size_t n, struct mc_addr_range *r)
{
	const char *slash = memchr(s, '/', n);
	size_t an = slash ? (size_t)(slash - s) : n;
	unsigned max;
	char *end;
	long bits;

	if (mc_addr_parse(s, an, &r->addr) != MC_OK)
		return MC_ERR_INVALID;
	max = r->addr.family == AF_INET ? 32 : 128;
	r->prefix = max;
	if (!slash)
		return MC_OK;
	if (n - an < 2 || n - an > 4)
		return MC_ERR_INVALID;
	{
		char digits[4] = {0};

		memcpy(digits, slash + 1, n - an - 1);
		if (digits[0] < '0' || digits[0] > '9')
			return MC_ERR_INVALID;
		bits = strtol(digits, &end, 10);
		if (*end || bits < 0 || (unsigned long)bits > max)
			return MC_ERR_INVALID;
	}
	r->prefix = (unsigned)bits;
	return MC_OK;
}

enum mc_err mc_addr_list_parse(const char *text, struct mc_addr_list *out, struct mc_buf *errs)
{
	const char *p = text;

	memset(out, 0, sizeof(*out));
	while (p && *p) {
		size_t n = strcspn(p, ",");
		const char *a = p, *b = p + n;

		while (a < b && is_space(*a))
			a++;
		while (b > a && is_space(b[-1]))
			b--;
		if (out->n == MC_ADDR_LIST_MAX) {
			mc_buf_printf(errs, "more than %d addresses or ranges", MC_ADDR_LIST_MAX);
			goto fail;
		}
		if (parse_item(a, (size_t)(b - a), &out->v[out->n]) != MC_OK) {
			mc_buf_printf(errs, "\"%.*s\" is not an IP address or ADDRESS/BITS range",
				      (int)(b - a > 60 ? 60 : b - a), a);
			goto fail;
		}
		out->n++;
		p += n + (p[n] == ',');
	}
	return MC_OK;
fail:
	memset(out, 0, sizeof(*out));
	return MC_ERR_INVALID;
}

static bool in_range(const struct mc_addr_range *r, const struct mc_addr *a)
{
	unsigned full = r->prefix / 8, rest = r->prefix % 8;

	if (r->addr.family != a->family)
		return false;
	if (memcmp(r->addr.bytes, a->bytes, full))
		return false;
	if (!rest)
		return true;
	return ((r->addr.bytes[full] ^ a->bytes[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

bool mc_addr_list_has(const struct mc_addr_list *l, const struct mc_addr *a)
{
	if (!a->family)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (in_range(&l->v[i], a))
			return true;
	return false;
}

void mc_addr_of_sockaddr(const struct sockaddr *sa, struct mc_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa && sa->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		out->family = AF_INET6;
		memcpy(out->bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		unmap(out);
	}
}

void mc_addr_format(const struct mc_addr *a, char out[MC_ADDR_TEXT_MAX])
{
	if (!a->family || !inet_ntop(a->family, a->bytes, out, MC_ADDR_TEXT_MAX))
		snprintf(out, MC_ADDR_TEXT_MAX, "?");
}
