/* HTTP for the witness, through libcurl: a GET and a form POST, answers capped in size. */
#include "private.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <string.h>

#define TIMEOUT_S 20L

struct sink {
	struct mc_buf *body;
	size_t max;
	bool over;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *k = ctx;
	size_t len = size * n;

	if (k->body->len + len > k->max || mc_buf_add(k->body, p, len) != MC_OK) {
		k->over = true;
		return 0; /* libcurl stops the transfer */
	}
	return len;
}

static enum mc_err perform(CURL *h, const char *url, struct mc_buf *body, size_t max, long *status,
			   struct mc_buf *why)
{
	struct sink k = {.body = body, .max = max};
	CURLcode rc;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "motcham-witness");
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		mc_buf_printf(why, "%s: %s", url,
			      k.over ? "answer too long" : curl_easy_strerror(rc));
		return k.over ? MC_ERR_TOOBIG : MC_ERR_IO;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return MC_OK;
}

enum mc_err fetch_get(const char *url, size_t max, struct mc_buf *body, long *status,
		      struct mc_buf *why)
{
	CURL *h = curl_easy_init();
	enum mc_err err;

	if (!h)
		return MC_ERR_NOMEM;
	err = perform(h, url, body, max, status, why);
	curl_easy_cleanup(h);
	return err;
}

enum mc_err fetch_post_form(const char *url, const char *field, const char *value, size_t max,
			    struct mc_buf *body, long *status, struct mc_buf *why)
{
	CURL *h = curl_easy_init();
	struct mc_buf form;
	char *escaped = NULL;
	enum mc_err err = MC_ERR_NOMEM;

	mc_buf_init(&form);
	if (!h || !(escaped = curl_easy_escape(h, value, (int)strlen(value))) ||
	    mc_buf_printf(&form, "%s=%s", field, escaped) != MC_OK)
		goto out;
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)form.len);
	err = perform(h, url, body, max, status, why);
out:
	curl_free(escaped);
	curl_easy_cleanup(h);
	mc_buf_finish(&form);
	return err;
}
