/* The operator's routes: /healthz for load balancers and /metrics for monitoring. */
#include "motcham/http/metrics.h"
#include "motcham/http/scans.h"
#include "motcham/public/pages.h"
#include "motcham/store/store.h"
#include "motcham/web/request.h"
#include "private.h"

enum mc_err ops_health(struct mc_call *c)
{
	int n;
	enum mc_err err;

	/* One real query: "ok" means the database answers, not just the process. */
	if ((err = mc_store_ward_count(c->s, &n)) != MC_OK)
		return err;
	c->r->status = 200;
	c->r->content_type = "text/plain; charset=utf-8";
	return mc_buf_puts(&c->r->body, "ok\n");
}

enum mc_err ops_metrics(struct mc_call *c)
{
	struct mc_http *h = c->site->http;
	struct mc_scans_stats st;

	if (!mc_addr_list_has(&h->metrics_allow, c->rq->client))
		return mc_pages_error(c->site->pages, 403, c->r);
	if (h->scans)
		mc_scans_stats(h->scans, &st);
	c->r->status = 200;
	c->r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return mc_metrics_render(h->metrics, h->scans ? &st : NULL, &c->r->body);
}
