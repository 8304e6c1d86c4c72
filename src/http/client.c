/* Who is asking: the client's address, never stored as it is. */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>

#include "motcham/base/auth.h"
#include "motcham/base/buf.h"
#include "private.h"

/* True when the client's IPv4 address is in the --metrics-allow list. */
bool client_may_read_metrics(struct mc_http *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	struct in_addr a;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return false;
	a = ((const struct sockaddr_in *)ci->client_addr)->sin_addr;
	for (size_t i = 0; i < h->nallow; i++)
		if (h->allow[i].s_addr == a.s_addr)
			return true;
	return false;
}

/* A keyed hash of the client's address: enough to rate-limit a client, useless to anyone
 * who copies the database. */
void client_key(struct mc_http *h, struct MHD_Connection *conn, char out[65])
{
	const union MHD_ConnectionInfo *ci;
	char addr[INET6_ADDRSTRLEN + 1] = "?";
	struct mc_buf b;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr,
			  sizeof(addr));
	else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr,
			  addr, sizeof(addr));
	mc_buf_init(&b);
	if (mc_buf_printf(&b, "%s|%s", h->secret, addr) == MC_OK)
		mc_auth_sha256_hex(b.data, b.len, out);
	else
		snprintf(out, 65, "%s", "unknown");
	mc_buf_finish(&b);
}
