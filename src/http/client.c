/* Who is asking. The peer of the TCP connection, unless it is a proxy the operator trusts
 * (--trust-proxy): then the client is the right-most address of the forwarding chain that
 * is not one of those proxies, and the scheme is what the proxy says it was. From any other
 * peer the forwarding headers are ignored, so nobody can pick their own rate-limit key or
 * reach /metrics by writing a header. The address itself is never stored: rate limits and
 * the access log see a keyed hash of it. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <sodium.h>

#include "motcham/base/auth.h"
#include "motcham/base/buf.h"
#include "private.h"

#define CHAIN_MAX 4096 /* bytes of forwarding headers looked at */
#define HOPS_MAX 32

/* One hop of a forwarding chain: its address text and, for Forwarded, its proto. */
struct hop {
	const char *addr;
	size_t addr_len;
	const char *proto;
	size_t proto_len;
};

/* One forwarding header's values joined, and whether some were left out. */
struct chain {
	struct mc_buf b;
	bool cut; /* longer than CHAIN_MAX: its right-most part, the proxy's own, is missing */
};

struct gather {
	struct chain xff, fwd, proto;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	struct gather *g = cls;
	struct chain *c = !strcasecmp(key, "X-Forwarded-For")	  ? &g->xff
			  : !strcasecmp(key, "Forwarded")	  ? &g->fwd
			  : !strcasecmp(key, "X-Forwarded-Proto") ? &g->proto
								  : NULL;

	(void)kind;
	if (!c || !value)
		return MHD_YES;
	/* Several headers of one name are one list, in order (RFC 9110, 5.3). */
	if (c->cut || c->b.len + strlen(value) + 1 >= CHAIN_MAX ||
	    mc_buf_printf(&c->b, "%s%s", c->b.len ? "," : "", value) != MC_OK)
		c->cut = true;
	return MHD_YES;
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Splits at commas outside quoted strings, keeping the right-most max items in order: the
 * hops nearest to us are the ones a trusted proxy wrote, whatever a client put before them. */
static size_t split_list(const char *s, size_t len, const char **item, size_t *ilen, size_t max)
{
	const char *ring[HOPS_MAX];
	size_t ring_len[HOPS_MAX], total = 0, start = 0, n, first;
	bool quoted = false;

	if (max > HOPS_MAX)
		max = HOPS_MAX;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] == '"')
			quoted = !quoted;
		if (i == len || (s[i] == ',' && !quoted)) {
			ring[total % max] = s + start;
			ring_len[total % max] = i - start;
			trim(&ring[total % max], &ring_len[total % max]);
			total++;
			start = i + 1;
		}
	}
	n = total < max ? total : max;
	first = total < max ? 0 : total % max;
	for (size_t k = 0; k < n; k++) {
		item[k] = ring[(first + k) % max];
		ilen[k] = ring_len[(first + k) % max];
	}
	return n;
}

/* for=192.0.2.1, for="[2001:db8::1]:4711", for="192.0.2.1:80" (RFC 7239, 6): the address
 * without quotes, brackets and port. */
static void node_address(const char **v, size_t *n)
{
	const char *colon;

	if (*n >= 2 && (*v)[0] == '"' && (*v)[*n - 1] == '"') {
		(*v)++;
		*n -= 2;
	}
	if (*n && (*v)[0] == '[') {
		const char *close = memchr(*v, ']', *n);

		if (close) {
			*n = (size_t)(close - *v) - 1;
			(*v)++;
		}
		return;
	}
	colon = memchr(*v, ':', *n);
	if (colon && !memchr(colon + 1, ':', *n - (size_t)(colon - *v) - 1))
		*n = (size_t)(colon - *v); /* IPv4 with a port */
}

/* The for= and proto= parameters of one Forwarded element ("for=x;proto=https;by=y"). */
static void forwarded_element(const char *s, size_t len, struct hop *h)
{
	const char *p = s, *end = s + len;

	h->addr = NULL;
	h->addr_len = 0;
	h->proto = NULL;
	h->proto_len = 0;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t n = semi ? (size_t)(semi - p) : (size_t)(end - p);
		const char *k = p, *eq = memchr(p, '=', n);

		if (eq) {
			size_t kn = (size_t)(eq - k), vn = n - kn - 1;
			const char *v = eq + 1;

			trim(&k, &kn);
			trim(&v, &vn);
			if (kn == 3 && !strncasecmp(k, "for", 3)) {
				node_address(&v, &vn);
				h->addr = v;
				h->addr_len = vn;
			} else if (kn == 5 && !strncasecmp(k, "proto", 5)) {
				if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
					v++;
					vn -= 2;
				}
				h->proto = v;
				h->proto_len = vn;
			}
		}
		p += n + 1;
	}
}

/* Walks the chain from the right while the address at hand is a trusted proxy. Returns the
 * index of the hop taken as the client, or -1 when the peer itself is. */
static int walk(const struct mc_addr_list *trusted, const struct hop *hops, size_t n,
		struct mc_addr *client)
{
	int taken = -1;

	for (size_t i = n; i-- > 0;) {
		struct mc_addr a;

		if (!mc_addr_list_has(trusted, client))
			break;
		if (mc_addr_parse(hops[i].addr ? hops[i].addr : "", hops[i].addr_len, &a) != MC_OK)
			break; /* a hop we cannot read ("unknown", "_hidden"): stop at its proxy */
		*client = a;
		taken = (int)i;
	}
	return taken;
}

static bool says_https(const char *v, size_t n)
{
	trim(&v, &n);
	return n == 5 && !strncasecmp(v, "https", 5);
}

void client_resolve(struct mc_http *h, struct MHD_Connection *conn, struct request *req)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct gather g;
	const char *item[HOPS_MAX];
	size_t ilen[HOPS_MAX], n;
	struct hop hops[HOPS_MAX];
	int taken;

	mc_addr_of_sockaddr(ci ? ci->client_addr : NULL, &req->client);
	req->https = false;
	if (!h->trusted.n || !mc_addr_list_has(&h->trusted, &req->client))
		return;
	g = (struct gather){0};
	mc_buf_init(&g.xff.b);
	mc_buf_init(&g.fwd.b);
	mc_buf_init(&g.proto.b);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect, &g);
	/* A chain cut short has lost its right end, the hops our proxy wrote: what is left was
	 * chosen by the client, so the proxy itself stays the client. */
	if (g.fwd.b.len || g.fwd.cut) {
		if (!g.fwd.cut) {
			n = split_list(g.fwd.b.data, g.fwd.b.len, item, ilen, HOPS_MAX);
			for (size_t i = 0; i < n; i++)
				forwarded_element(item[i], ilen[i], &hops[i]);
			taken = walk(&h->trusted, hops, n, &req->client);
			if (taken >= 0 && hops[taken].proto)
				req->https = says_https(hops[taken].proto, hops[taken].proto_len);
		}
	} else if (g.xff.b.len && !g.xff.cut) {
		n = split_list(g.xff.b.data, g.xff.b.len, item, ilen, HOPS_MAX);
		for (size_t i = 0; i < n; i++)
			hops[i] = (struct hop){.addr = item[i], .addr_len = ilen[i]};
		walk(&h->trusted, hops, n, &req->client);
	}
	/* The proxy in front of us says how the client reached it; the last value is the one it
	 * set itself. */
	if (!req->https && g.proto.b.len && !g.proto.cut) {
		n = split_list(g.proto.b.data, g.proto.b.len, item, ilen, HOPS_MAX);
		req->https = n && says_https(item[n - 1], ilen[n - 1]);
	}
	mc_buf_finish(&g.xff.b);
	mc_buf_finish(&g.fwd.b);
	mc_buf_finish(&g.proto.b);
}

/* A keyed hash of the client's address: enough to rate-limit a client, useless to anyone
 * who copies the database, which does not hold the key (client_secret.c). */
void client_key(struct mc_http *h, const struct request *req, char out[65])
{
	char addr[MC_ADDR_TEXT_MAX], secret[65];
	struct mc_buf b;

	mc_addr_format(&req->client, addr);
	client_secret_hex(&h->secret, (long long)time(NULL), secret);
	mc_buf_init(&b);
	if (mc_buf_printf(&b, "%s|%s", secret, addr) == MC_OK)
		mc_auth_sha256_hex(b.data, b.len, out);
	else
		snprintf(out, 65, "%s", "unknown");
	sodium_memzero(secret, sizeof(secret));
	mc_buf_finish(&b);
}
