#include "motcham/http/scans.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "motcham/base/date.h"
#include "motcham/store/store.h"

#define QUEUE_CAP 65536
#define BATCH_MAX 1000
#define FLUSH_MS 100
#define RETRY_MS 1000
#define PEND_MAX 262144 /* distinct (code, day) counts kept while the database is away */
/* The writer would rather keep its counts and try again than wait for a write lock held by
 * an import: while it waits it does not empty the queue, and a full queue drops scans. */
#define LOCK_WAIT_MS 100
#define STOP_WAIT_MS 10000

/* A queued scan: a code id, or -1 / -2 for an unknown / mistyped token. */
struct item {
	int64_t code_id;
	char day[MC_DATE_LEN + 1];
};

/* Scans of one code on one day, waiting to be written. */
struct count {
	struct item it;
	long long n;
};

struct mc_scans {
	struct mc_store *db;
	struct count *pend; /* waiting to be written, by (code, day); the writer's own */
	size_t npend;
	pthread_t writer;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	struct item *ring;
	size_t head, len; /* ring[head .. head + len) modulo QUEUE_CAP */
	struct mc_scans_stats stats;
};

static void push(struct mc_scans *sc, int64_t code_id)
{
	struct item it = {.code_id = code_id};

	mc_date_today(it.day);
	pthread_mutex_lock(&sc->lock);
	if (sc->len == QUEUE_CAP) {
		sc->stats.dropped++;
	} else {
		sc->ring[(sc->head + sc->len) % QUEUE_CAP] = it;
		sc->len++;
		sc->stats.queued++;
		if (sc->len >= BATCH_MAX)
			pthread_cond_signal(&sc->wake);
	}
	pthread_mutex_unlock(&sc->lock);
}

void mc_scans_hit(struct mc_scans *sc, int64_t code_id)
{
	if (sc && code_id > 0)
		push(sc, code_id);
}

void mc_scans_miss(struct mc_scans *sc, enum mc_scan_miss why)
{
	if (sc)
		push(sc, why == MC_SCAN_MISTYPED ? -2 : -1);
}

void mc_scans_stats(struct mc_scans *sc, struct mc_scans_stats *out)
{
	pthread_mutex_lock(&sc->lock);
	*out = sc->stats;
	pthread_mutex_unlock(&sc->lock);
}

static int by_code_day(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->code_id != y->code_id)
		return x->code_id < y->code_id ? -1 : 1;
	return strcmp(x->day, y->day);
}

static int by_count(const void *a, const void *b)
{
	return by_code_day(&((const struct count *)a)->it, &((const struct count *)b)->it);
}

/* Folds a batch into the counts waiting to be written: one per (code, day), sorted. What does
 * not fit is dropped and counted as such. */
static void fold(struct mc_scans *sc, struct item *v, size_t n)
{
	size_t i, j, k, before = sc->npend;

	qsort(v, n, sizeof(*v), by_code_day);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !by_code_day(&v[i], &v[j]); j++)
			;
		if (sc->npend == PEND_MAX) {
			pthread_mutex_lock(&sc->lock);
			sc->stats.dropped += j - i;
			pthread_mutex_unlock(&sc->lock);
			continue;
		}
		sc->pend[sc->npend++] = (struct count){.it = v[i], .n = (long long)(j - i)};
	}
	if (!before)
		return; /* nothing was waiting: already one per (code, day), sorted */
	qsort(sc->pend, sc->npend, sizeof(*sc->pend), by_count);
	for (i = 0, k = 0; i < sc->npend; i++) {
		if (k && !by_count(&sc->pend[k - 1], &sc->pend[i]))
			sc->pend[k - 1].n += sc->pend[i].n;
		else
			sc->pend[k++] = sc->pend[i];
	}
	sc->npend = k;
}

/* Writes the waiting counts in one transaction, one upsert each. */
static enum mc_err write_counts(struct mc_store *db, const struct count *v, size_t n)
{
	enum mc_err err;

	if ((err = mc_store_begin(db)) != MC_OK)
		return err;
	for (size_t i = 0; err == MC_OK && i < n; i++) {
		if (v[i].it.code_id > 0)
			err = mc_store_scan_add(db, v[i].it.code_id, v[i].it.day, v[i].n);
		else
			err = mc_store_scan_miss_add(db, v[i].it.day,
						     v[i].it.code_id == -2 ? "mistyped" : "unknown",
						     v[i].n);
	}
	if (err == MC_OK)
		return mc_store_commit(db);
	mc_store_rollback(db);
	return err;
}

/* Takes up to BATCH_MAX items off the ring, waiting up to FLUSH_MS for work. */
static size_t take(struct mc_scans *sc, struct item *batch, bool *stop)
{
	struct timespec until;
	size_t n = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += FLUSH_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&sc->lock);
	while (!sc->stopping && sc->len < BATCH_MAX &&
	       pthread_cond_timedwait(&sc->wake, &sc->lock, &until) == 0)
		;
	while (n < BATCH_MAX && sc->len) {
		batch[n++] = sc->ring[sc->head];
		sc->head = (sc->head + 1) % QUEUE_CAP;
		sc->len--;
	}
	*stop = sc->stopping && sc->len == 0;
	pthread_mutex_unlock(&sc->lock);
	return n;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Counts that could not be written (the database stopped, or unreachable) wait and are
 * tried again every RETRY_MS, folded with the new ones: an outage costs memory for the
 * distinct (code, day) pairs, not for every scan. */
static void *writer_main(void *arg)
{
	struct mc_scans *sc = arg;
	struct item batch[BATCH_MAX];
	long long retry_at = 0, hits;
	bool stop = false, failing = false;
	enum mc_err err;

	while (!stop) {
		size_t n = take(sc, batch, &stop);

		if (n)
			fold(sc, batch, n);
		if (!sc->npend || (!stop && now_ms() < retry_at))
			continue;
		hits = 0;
		for (size_t i = 0; i < sc->npend; i++)
			hits += sc->pend[i].n;
		if (stop) /* the last chance: worth waiting for */
			mc_store_set_wait(sc->db, STOP_WAIT_MS);
		err = write_counts(sc->db, sc->pend, sc->npend);
		pthread_mutex_lock(&sc->lock);
		if (err == MC_OK)
			sc->stats.written += (unsigned long long)hits;
		else
			sc->stats.db_errors++;
		pthread_mutex_unlock(&sc->lock);
		if (err == MC_OK) {
			if (failing)
				fprintf(stderr, "motcham: %lld scans counted late\n", hits);
			sc->npend = 0;
			failing = false;
		} else if (stop) {
			fprintf(stderr, "motcham: %lld scans not counted: %s\n", hits,
				mc_strerror(err));
		} else {
			if (!failing)
				fprintf(stderr, "motcham: scans wait to be counted: %s\n",
					mc_strerror(err));
			failing = true;
			retry_at = now_ms() + RETRY_MS;
		}
	}
	return NULL;
}

enum mc_err mc_scans_create(const char *db_path, struct mc_scans **out)
{
	struct mc_scans *sc;
	enum mc_err err;

	*out = NULL;
	if (!(sc = calloc(1, sizeof(*sc))) || !(sc->ring = calloc(QUEUE_CAP, sizeof(*sc->ring))) ||
	    !(sc->pend = calloc(PEND_MAX, sizeof(*sc->pend)))) {
		if (sc)
			free(sc->ring);
		free(sc);
		return MC_ERR_NOMEM;
	}
	pthread_mutex_init(&sc->lock, NULL);
	pthread_cond_init(&sc->wake, NULL);
	if ((err = mc_store_open(db_path, 0, &sc->db)) != MC_OK)
		goto fail;
	mc_store_set_actor(sc->db, 0, "scans");
	mc_store_set_wait(sc->db, LOCK_WAIT_MS);
	if (pthread_create(&sc->writer, NULL, writer_main, sc) != 0) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	sc->started = true;
	*out = sc;
	return MC_OK;
fail:
	mc_scans_destroy(sc);
	return err;
}

void mc_scans_destroy(struct mc_scans *sc)
{
	if (!sc)
		return;
	if (sc->started) {
		pthread_mutex_lock(&sc->lock);
		sc->stopping = true;
		pthread_cond_signal(&sc->wake);
		pthread_mutex_unlock(&sc->lock);
		pthread_join(sc->writer, NULL);
	}
	mc_store_destroy(sc->db);
	pthread_cond_destroy(&sc->wake);
	pthread_mutex_destroy(&sc->lock);
	free(sc->ring);
	free(sc->pend);
	free(sc);
}
