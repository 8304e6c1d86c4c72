#ifndef MOTCHAM_BASE_ADDR_H
#define MOTCHAM_BASE_ADDR_H

/* IP addresses and lists of address ranges, for the options that name trusted peers
 * (--trust-proxy, --metrics-allow). IPv4 and IPv6; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is the IPv4 address it maps, so a rule written either way matches. */

#include <stdbool.h>
#include <stddef.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

struct sockaddr;

#define MC_ADDR_TEXT_MAX 46 /* INET6_ADDRSTRLEN */
#define MC_ADDR_LIST_MAX 32

struct mc_addr {
	int family; /* AF_INET, AF_INET6, or 0 for none */
	unsigned char bytes[16];
};

struct mc_addr_range {
	struct mc_addr addr;
	unsigned prefix; /* leading bits that must match: up to 32 (IPv4) or 128 (IPv6) */
};

/* Caller-owned; a zeroed list is empty. */
struct mc_addr_list {
	struct mc_addr_range v[MC_ADDR_LIST_MAX];
	size_t n;
};

/* Parses one address literal of exactly n bytes of s (no port, no brackets). MC_ERR_INVALID
 * when it is not one. */
enum mc_err mc_addr_parse(const char *s, size_t n, struct mc_addr *out);
/* Parses "ADDR[/BITS],ADDR[/BITS],..." (spaces around items allowed; NULL or "" is the empty
 * list) into out. MC_ERR_INVALID with a one-line reason in errs for a bad item or more than
 * MC_ADDR_LIST_MAX items; out is then empty. */
enum mc_err mc_addr_list_parse(const char *text, struct mc_addr_list *out, struct mc_buf *errs);
/* True when a is in one of the list's ranges. */
bool mc_addr_list_has(const struct mc_addr_list *l, const struct mc_addr *a);
/* The address of a socket peer (AF_INET or AF_INET6); family 0 for anything else or NULL. */
void mc_addr_of_sockaddr(const struct sockaddr *sa, struct mc_addr *out);
/* Writes the address in its usual text form (or "?" for none). */
void mc_addr_format(const struct mc_addr *a, char out[MC_ADDR_TEXT_MAX]);

#endif
