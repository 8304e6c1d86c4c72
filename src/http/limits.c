/* Connections per client: one address may hold at most so many open connections, so that a
 * thousand connections trickling a byte every few seconds from one machine (a slow-loris)
 * fill that machine's share, not the server. The reverse proxies of --trust-proxy are not
 * counted: every client behind them shares their address. Counted by TCP peer, before any
 * byte is read (libmicrohttpd's accept policy), in a small open-addressing table. */
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

enum MHD_Result limits_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct mc_http *h = cls;
	struct mc_addr a;
	struct limit_slot *s;
	bool ok;

	(void)len;
	mc_addr_of_sockaddr(sa, &a);
	if (!counted(h, &a))
		return MHD_YES;
	pthread_mutex_lock(&h->limits.lock);
	s = find(&h->limits, &a);
	ok = s && (!s->count || s->count < h->per_client);
	pthread_mutex_unlock(&h->limits.lock);
	return ok ? MHD_YES : MHD_NO;
}

void limits_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		   enum MHD_ConnectionNotificationCode toe)
{
	struct mc_http *h = cls;
	const union MHD_ConnectionInfo *ci;
	struct mc_addr a, *kept = *socket_context;
	struct limit_slot *s;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		mc_addr_of_sockaddr(ci ? ci->client_addr : NULL, &a);
		if (!counted(h, &a) || !(kept = malloc(sizeof(*kept))))
			return;
		*kept = a;
		pthread_mutex_lock(&h->limits.lock);
		if ((s = find(&h->limits, &a)) != NULL) {
			s->addr = a;
			s->count++;
			*socket_context = kept;
			kept = NULL;
		}
		pthread_mutex_unlock(&h->limits.lock);
		free(kept);
		return;
	}
	if (!kept)
		return;
	pthread_mutex_lock(&h->limits.lock);
	if ((s = find(&h->limits, kept)) != NULL && s->count && --s->count == 0)
		remove_at(&h->limits, (size_t)(s - h->limits.slots));
	pthread_mutex_unlock(&h->limits.lock);
	free(kept);
	*socket_context = NULL;
}
