/* The write pool: rows on the write connection (staff and supervisor pages, form posts,
 * sign-in) run on threads of their own, at a lower priority, while their connection is
 * suspended. The threads that answer scans never wait for the write lock, never run Argon2,
 * never sleep through a failed sign-in's delay: a slow office request costs a resident
 * nothing. The rows that check a password have a lane of their own (private.h), lower still,
 * so that a flood of sign-ins queues behind itself only, and runs no more Argon2id at once
 * (64 MiB each) than that lane has threads. Each job lives in its request (struct request)
 * until the connection is resumed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "motcham/office/office.h"
#include "motcham/public/pages.h"
#include "private.h"

#define SIGNIN_NICE 15 /* below the office: a sign-in is slow on a busy server anyway */
#define OFFICE_QUEUE_MAX 256
#define SIGNIN_QUEUE_MAX 64 /* more is a flood: refused (503) rather than held */
#define VALUES_MAX 128	    /* headers, cookies and query arguments copied for a job */
#define VALUES_BYTES 32768  /* more than the 16 KiB a connection may hold */

/* ---- the request's values, copied: the connection is not touched while suspended ---- */

struct copy_ctx {
	struct job *job;
	enum mc_request_kind kind;
};

static enum MHD_Result copy_value(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct copy_ctx *cc = cls;
	struct job *j = cc->job;
	size_t kn = key ? strlen(key) : 0, vn = value ? strlen(value) : 0;

	(void)kind;
	if (!key || j->nvalues == VALUES_MAX || j->values.len + kn + vn + 2 > VALUES_BYTES)
		return MHD_YES; /* more than any honest request has: the rest is not seen */
	j->value_kind[j->nvalues] = cc->kind;
	j->value_key[j->nvalues] = j->values.len;
	if (mc_buf_add(&j->values, key, kn + 1) != MC_OK)
		return MHD_NO;
	j->value_val[j->nvalues] = value ? j->values.len : SIZE_MAX;
	if (value && mc_buf_add(&j->values, value, vn + 1) != MC_OK)
		return MHD_NO;
	j->nvalues++;
	return MHD_YES;
}

static enum mc_err copy_values(struct job *j, struct MHD_Connection *conn)
{
	static const struct {
		enum MHD_ValueKind mhd;
		enum mc_request_kind kind;
	} kinds[] = {{MHD_HEADER_KIND, MC_REQ_HEADER},
		     {MHD_COOKIE_KIND, MC_REQ_COOKIE},
		     {MHD_GET_ARGUMENT_KIND, MC_REQ_ARG}};

	mc_buf_init(&j->values);
	if (mc_buf_reserve(&j->values, 4096) != MC_OK)
		return MC_ERR_NOMEM;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct copy_ctx cc = {j, kinds[i].kind};

		MHD_get_connection_values(conn, kinds[i].mhd, copy_value, &cc);
	}
	return MC_OK;
}

/* As libmicrohttpd looks values up: the first of that name, without regard to case. */
static const char *lookup_copy(const struct mc_request *rq, enum mc_request_kind kind,
			       const char *name)
{
	const struct job *j = rq->conn;

	for (size_t i = 0; i < j->nvalues; i++)
		if (j->value_kind[i] == kind && !strcasecmp(j->values.data + j->value_key[i], name))
			return j->value_val[i] == SIZE_MAX ? NULL
							   : j->values.data + j->value_val[i];
	return NULL;
}

/* ---- the threads ---------------------------------------------------------------------- */

static void job_done(struct job *j)
{
	j->done = true;
	MHD_resume_connection(j->conn);
}

/* A failed sign-in is answered late: the timer thread resumes it when its time comes. */
static void job_delay(struct mc_http *h, struct job *j)
{
	struct pool *p = &h->pool;
	struct timespec *t = &j->resume_at;

	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += j->r.delay_ms / 1000;
	t->tv_nsec += (long)(j->r.delay_ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		job_done(j);
		return;
	}
	j->next = p->delayed;
	p->delayed = j;
	pthread_cond_signal(&p->timer_wake);
	pthread_mutex_unlock(&p->lock);
}

static void *worker_main(void *arg)
{
	struct lane *l = arg;
	struct mc_http *h = l->h;
	struct pool *p = &h->pool;
	struct job *j;

	/* Niceness is per thread on Linux; raising it needs no privilege. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), l->nice) != 0)
		errno = 0;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!l->head && !p->stopping)
			pthread_cond_wait(&l->wake, &p->lock);
		j = l->head;
		if (j && !(l->head = j->next))
			l->tail = NULL;
		if (j)
			l->queued--;
		pthread_mutex_unlock(&p->lock);
		if (!j)
			return NULL;
		j->err = request_run_writer(h, &j->call, j->row);
		if (j->err == MC_OK && j->r.delay_ms)
			job_delay(h, j);
		else
			job_done(j);
	}
}

static bool due(const struct timespec *t, const struct timespec *now)
{
	return t->tv_sec < now->tv_sec || (t->tv_sec == now->tv_sec && t->tv_nsec <= now->tv_nsec);
}

static void *timer_main(void *arg)
{
	struct pool *p = &((struct mc_http *)arg)->pool;
	struct timespec now, next;
	struct job **jp, *j, *ready;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		bool any = false;

		ready = NULL;
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (jp = &p->delayed; (j = *jp) != NULL;) {
			if (p->stopping || due(&j->resume_at, &now)) {
				*jp = j->next;
				j->next = ready;
				ready = j;
				continue;
			}
			if (!any || !due(&next, &j->resume_at))
				next = j->resume_at;
			any = true;
			jp = &j->next;
		}
		if (ready) {
			/* Resumed without the lock: libmicrohttpd takes locks of its own. */
			pthread_mutex_unlock(&p->lock);
			for (j = ready; j; j = ready) {
				ready = j->next;
				job_done(j);
			}
			pthread_mutex_lock(&p->lock);
			continue;
		}
		if (p->workers_gone && !p->delayed)
			break;
		if (any)
			pthread_cond_timedwait(&p->timer_wake, &p->lock, &next);
		else
			pthread_cond_wait(&p->timer_wake, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* ---- the pool's life -------------------------------------------------------------------- */

static enum mc_err lane_start(struct mc_http *h, struct lane *l, unsigned threads, int nice,
			      size_t queue_max)
{
	l->h = h;
	l->nice = nice;
	l->queue_max = queue_max;
	if (threads < 1 || threads > POOL_MAX)
		threads = threads < 1 ? 1 : POOL_MAX;
	for (; l->nthreads < threads; l->nthreads++)
		if (pthread_create(&l->threads[l->nthreads], NULL, worker_main, l) != 0)
			return MC_ERR_NOMEM;
	return MC_OK;
}

enum mc_err pool_start(struct mc_http *h, unsigned office_threads, unsigned signin_threads)
{
	struct pool *p = &h->pool;
	pthread_condattr_t ca;
	enum mc_err err;

	if (pthread_mutex_init(&p->lock, NULL) != 0)
		return MC_ERR_NOMEM;
	p->made = true;
	for (size_t i = 0; i < LANES; i++)
		pthread_cond_init(&p->lanes[i].wake, NULL);
	/* The timer waits on the monotonic clock, as job_delay measures. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->timer_wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&p->timer, NULL, timer_main, h) != 0)
		return MC_ERR_NOMEM;
	p->timer_made = true;
	if ((err = lane_start(h, &p->lanes[LANE_OFFICE], office_threads, MC_HTTP_BATCH_NICE,
			      OFFICE_QUEUE_MAX)) != MC_OK)
		return err;
	return lane_start(h, &p->lanes[LANE_SIGNIN], signin_threads, SIGNIN_NICE, SIGNIN_QUEUE_MAX);
}

void pool_stop(struct mc_http *h)
{
	struct pool *p = &h->pool;

	if (!p->made)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	for (size_t i = 0; i < LANES; i++)
		pthread_cond_broadcast(&p->lanes[i].wake);
	pthread_cond_signal(&p->timer_wake);
	pthread_mutex_unlock(&p->lock);
	/* The workers finish what is queued (each resumes its connection), then the timer
	 * resumes every delayed answer at once. */
	for (size_t i = 0; i < LANES; i++) {
		struct lane *l = &p->lanes[i];

		for (size_t t = 0; t < l->nthreads; t++)
			pthread_join(l->threads[t], NULL);
		l->nthreads = 0;
	}
	if (p->timer_made) {
		pthread_mutex_lock(&p->lock);
		p->workers_gone = true;
		pthread_cond_signal(&p->timer_wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->timer, NULL);
		p->timer_made = false;
	}
}

void pool_destroy(struct mc_http *h)
{
	struct pool *p = &h->pool;

	if (!p->made)
		return;
	pool_stop(h);
	for (size_t i = 0; i < LANES; i++)
		pthread_cond_destroy(&p->lanes[i].wake);
	pthread_cond_destroy(&p->timer_wake);
	pthread_mutex_destroy(&p->lock);
	p->made = false;
}

enum mc_err pool_submit(struct mc_http *h, struct MHD_Connection *conn, struct request *req,
			const char *url, const char *method)
{
	struct pool *p = &h->pool;
	struct lane *l =
	    &p->lanes[req->match.route->flags & MC_ROUTE_PASSWORD ? LANE_SIGNIN : LANE_OFFICE];
	struct job *j = &req->job;
	enum mc_err err;

	j->conn = conn;
	j->row = req->match.route;
	if ((err = copy_values(j, conn)) != MC_OK)
		return err;
	client_key(h, req, j->key);
	snprintf(j->method, sizeof(j->method), "%s", method);
	if (!(j->path = strdup(url)))
		return MC_ERR_NOMEM;
	j->rq = (struct mc_request){.method = j->method,
				    .path = j->path,
				    .form = req->post ? &req->form : NULL,
				    .client_key = j->key,
				    .client = &req->client,
				    .https = h->https || req->https,
				    .lookup = lookup_copy,
				    .conn = j};
	mc_response_init(&j->r);
	j->call = (struct mc_call){.site = &h->site,
				   .rq = &j->rq,
				   .r = &j->r,
				   .slug = req->match.has_slug ? req->match.slug : NULL,
				   .id = req->match.id,
				   .arg = req->match.has_arg ? req->match.arg : NULL,
				   .wrong_method = req->match.wrong_method};
	/* A place is taken first, then the connection suspended, then the job made visible:
	 * so a worker's resume never comes before the suspension, and no libmicrohttpd call is
	 * made while the pool's lock is held. */
	pthread_mutex_lock(&p->lock);
	if (p->stopping || l->queued >= l->queue_max) {
		pthread_mutex_unlock(&p->lock);
		return MC_ERR_BUSY;
	}
	l->queued++;
	pthread_mutex_unlock(&p->lock);
	j->queued = true;
	MHD_suspend_connection(conn);
	pthread_mutex_lock(&p->lock);
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&p->lock);
	return MC_OK;
}

void pool_job_finish(struct job *j)
{
	if (!j)
		return;
	if (j->queued)
		mc_response_finish(&j->r);
	mc_buf_finish(&j->values);
	free(j->path);
	j->path = NULL;
}
