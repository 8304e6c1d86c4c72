/* Calling a page handler in a unit test as the route table would: a request whose only
 * query argument ("q" or "t") is given, and the path's variables. */
#ifndef MOTCHAM_TEST_CALL_H
#define MOTCHAM_TEST_CALL_H

#include <string.h>

#include "motcham/public/pages.h"
#include "motcham/web/call.h"
#include "motcham/web/request.h"

struct fake_request {
	struct mc_request rq;
	const char *q;
};

static inline const char *fake_lookup(const struct mc_request *rq, enum mc_request_kind kind,
				      const char *name)
{
	const struct fake_request *fr = (const struct fake_request *)rq;

	return kind == MC_REQ_ARG && (!strcmp(name, "q") || !strcmp(name, "t")) ? fr->q : NULL;
}

static inline enum mc_err page_call(struct mc_pages *p, struct mc_response *r, mc_handler_fn fn,
				    struct mc_store *s, const char *slug, long long id,
				    const char *arg, const char *q)
{
	struct mc_site site = {.pages = p};
	struct fake_request fr = {.rq = {.method = "GET", .path = "/", .lookup = fake_lookup},
				  .q = q};
	struct mc_call c = {
	    .site = &site, .s = s, .rq = &fr.rq, .r = r, .slug = slug, .id = id, .arg = arg};

	return fn(&c);
}

/* The only absolute addresses a page may carry are its own site's (the canonical URL, the
 * link preview's): nothing on another host. */
static inline void assert_only_own_urls(const char *b, const char *base)
{
	const char *p = b;

	while ((p = strstr(p, "http")) != NULL) {
		if (!strncmp(p, "http://", 7) || !strncmp(p, "https://", 8)) {
			assert_memory_equal(p, base, strlen(base));
			assert_int_equal(p[strlen(base)], '/');
		}
		p += 4;
	}
}

#endif
