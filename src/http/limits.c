/* Connections per client: one address may hold at most so many open connections, so that a
 * thousand connections trickling a byte every few seconds from one machine (a slow-loris)
 * fill that machine's share, not the server. The reverse proxies of --trust-proxy are not
 * counted: every client behind them shares their address. Counted by TCP peer, before any
 * byte is read, in a small open-addressing table; with them the connections of the whole
 * server.
 *
 * A connection is counted when the acceptor takes it (accept.c), in the acceptor's thread,
 * and let go when libmicrohttpd closes it. Counting later, when a worker starts it, would let
 * a burst through: the acceptor hands in hundreds before a worker starts the first. One
 * case stays counted: a connection libmicrohttpd took but could not start (its worker out of
 * memory for the connection's pool) is closed without a notice, so its count is never let
 * go. Each worker's own connection limit, the other such case, is set so that it never
 * refuses (server.c). */
#include <stdlib.h>
#include <string.h>

#include "private.h"

static size_t slot_of(const struct mc_addr *a)
{
	size_t h = 1469598103934665603u;

	for (size_t i = 0; i < sizeof(a->bytes); i++)
		h = (h ^ a->bytes[i]) * 1099511628211u;
	return (h ^ (size_t)a->family) % LIMIT_SLOTS;
}

static bool same(const struct mc_addr *a, const struct mc_addr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

/* The slot holding a, or the empty one where it goes; NULL when the table is full. */
static struct limit_slot *find(struct limits *l, const struct mc_addr *a)
{
	size_t i = slot_of(a);

	for (size_t n = 0; n < LIMIT_SLOTS; n++, i = (i + 1) % LIMIT_SLOTS)
		if (!l->slots[i].count || same(&l->slots[i].addr, a))
			return &l->slots[i];
	return NULL;
}

/* Removing from open addressing: the entries after the hole move back where a lookup will
 * find them (Knuth's algorithm R). */
static void remove_at(struct limits *l, size_t i)
{
	size_t j = i;

	l->slots[i].count = 0;
	for (;;) {
		size_t k;

		j = (j + 1) % LIMIT_SLOTS;
		if (!l->slots[j].count)
			return;
		k = slot_of(&l->slots[j].addr);
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		l->slots[i] = l->slots[j];
		l->slots[j].count = 0;
		i = j;
	}
}

static bool counted(struct mc_http *h, const struct mc_addr *a)
{
	return a->family && h->per_client && !mc_addr_list_has(&h->trusted, a);
}

bool limits_admit(struct mc_http *h, const struct sockaddr *sa)
{
	struct mc_addr a;
	struct limit_slot *s = NULL;
	bool ok;

	mc_addr_of_sockaddr(sa, &a);
	pthread_mutex_lock(&h->limits.lock);
	ok = h->limits.total < CONNECTIONS_MAX;
	if (ok && counted(h, &a)) {
		s = find(&h->limits, &a);
		ok = s && s->count < h->per_client;
	}
	if (ok) {
		h->limits.total++;
		if (s) {
			s->addr = a;
			s->count++;
		}
	}
	pthread_mutex_unlock(&h->limits.lock);
	return ok;
}

void limits_release(struct mc_http *h, const struct sockaddr *sa)
{
	struct mc_addr a;
	struct limit_slot *s;

	mc_addr_of_sockaddr(sa, &a);
	pthread_mutex_lock(&h->limits.lock);
	if (h->limits.total)
		h->limits.total--;
	if (counted(h, &a) && (s = find(&h->limits, &a)) != NULL && s->count && --s->count == 0)
		remove_at(&h->limits, (size_t)(s - h->limits.slots));
	pthread_mutex_unlock(&h->limits.lock);
}

bool limits_full(struct mc_http *h)
{
	bool full;

	pthread_mutex_lock(&h->limits.lock);
	full = h->limits.total >= CONNECTIONS_MAX;
	pthread_mutex_unlock(&h->limits.lock);
	return full;
}

void limits_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		   enum MHD_ConnectionNotificationCode toe)
{
	struct mc_http *h = cls;
	const union MHD_ConnectionInfo *ci;
	struct sockaddr_storage *kept = *socket_context;

	/* The address is kept from start to close, so that what is let go is what was counted
	 * whatever libmicrohttpd does with its own copy meanwhile. */
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (!ci || !ci->client_addr || !(kept = calloc(1, sizeof(*kept)))) {
			/* Uncounted from now rather than counted for ever. */
			limits_release(h, ci ? ci->client_addr : NULL);
			return;
		}
		memcpy(kept, ci->client_addr,
		       ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							      : sizeof(struct sockaddr_in));
		*socket_context = kept;
		return;
	}
	if (!kept)
		return;
	limits_release(h, (const struct sockaddr *)kept);
	free(kept);
	*socket_context = NULL;
}
