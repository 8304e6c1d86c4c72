/* Placeholder until the staff side lands: every staff request is answered 404. */
#include "motcham/staff.h"

#include <stdlib.h>

#include "motcham/pages.h"

struct mc_staff {
	struct mc_pages *pages;
};

enum mc_err mc_staff_create(const struct mc_staff_config *cfg, struct mc_staff **out)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return MC_ERR_NOMEM;
	(*out)->pages = cfg->pages;
	return MC_OK;
}

void mc_staff_destroy(struct mc_staff *st)
{
	free(st);
}

enum mc_err mc_staff_handle(struct mc_staff *st, struct mc_store *wr, const struct mc_request *rq,
			    struct mc_response *r)
{
	(void)wr;
	(void)rq;
	return mc_pages_error(st->pages, 404, r);
}

enum mc_err mc_staff_report(struct mc_staff *st, struct mc_store *wr, const struct mc_request *rq,
			    const char *slug, long long permit_id, struct mc_response *r)
{
	(void)wr;
	(void)rq;
	(void)slug;
	(void)permit_id;
	return mc_pages_error(st->pages, 404, r);
}

enum mc_err mc_staff_public_file(struct mc_staff *st, struct mc_store *rd,
				 const struct mc_request *rq, const char *sha256,
				 struct mc_response *r)
{
	(void)rd;
	(void)rq;
	(void)sha256;
	return mc_pages_error(st->pages, 404, r);
}
