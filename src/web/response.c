#include "motcham/web/response.h"

#include <unistd.h>

#define HTML_TYPE "text/html; charset=utf-8"

void mc_response_init(struct mc_response *r)
{
	r->status = 200;
	r->content_type = HTML_TYPE;
	r->cache = NULL;
	r->csp = NULL;
	r->referrer = NULL;
	r->etag[0] = '\0';
	r->location[0] = '\0';
	r->cookie[0] = '\0';
	r->disposition[0] = '\0';
	r->code_id = 0;
	r->scan_miss = 0;
	r->delay_ms = 0;
	r->signin_locked = false;
	r->prebuilt = NULL;
	r->vary = false;
	mc_buf_init(&r->body);
	r->fd = -1;
	r->fd_size = 0;
}

void mc_response_finish(struct mc_response *r)
{
	if (!r)
		return;
	mc_buf_finish(&r->body);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
