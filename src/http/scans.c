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

/* A queued scan: a code id, or -1 / -2 for an unknown / mistyped token. */
struct item {
	int64_t code_id;
	char day[MC_DATE_LEN + 1];
};

struct mc_scans {
	struct mc_store *db;
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

/* Writes a batch in one transaction, one upsert per distinct (code, day). */
static enum mc_err write_batch(struct mc_store *db, struct item *v, size_t n)
{
	enum mc_err err;

	qsort(v, n, sizeof(*v), by_code_day);
	if ((err = mc_store_begin(db)) != MC_OK)
		return err;
	for (size_t i = 0, j; err == MC_OK && i < n; i = j) {
		for (j = i + 1; j < n && !by_code_day(&v[i], &v[j]); j++)
			;
		if (v[i].code_id > 0)
			err = mc_store_scan_add(db, v[i].code_id, v[i].day, (long long)(j - i));
		else
			err = mc_store_scan_miss_add(db, v[i].day,
						     v[i].code_id == -2 ? "mistyped" : "unknown",
						     (long long)(j - i));
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

static void *writer_main(void *arg)
{
	struct mc_scans *sc = arg;
	struct item batch[BATCH_MAX];
	bool stop = false;

	while (!stop) {
		size_t n = take(sc, batch, &stop);
		enum mc_err err;

		if (!n)
			continue;
		err = write_batch(sc->db, batch, n);
		pthread_mutex_lock(&sc->lock);
		if (err == MC_OK)
			sc->stats.written += n;
		else
			sc->stats.db_errors++;
		pthread_mutex_unlock(&sc->lock);
		if (err != MC_OK)
			fprintf(stderr, "motcham: %zu scans not counted: %s\n", n,
				mc_strerror(err));
	}
	return NULL;
}

enum mc_err mc_scans_create(const char *db_path, struct mc_scans **out)
{
	struct mc_scans *sc;
	enum mc_err err;

	*out = NULL;
	if (!(sc = calloc(1, sizeof(*sc))) || !(sc->ring = calloc(QUEUE_CAP, sizeof(*sc->ring)))) {
		free(sc);
		return MC_ERR_NOMEM;
	}
	pthread_mutex_init(&sc->lock, NULL);
	pthread_cond_init(&sc->wake, NULL);
	if ((err = mc_store_open(db_path, 0, &sc->db)) != MC_OK)
		goto fail;
	mc_store_set_actor(sc->db, 0, "scans");
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
	free(sc);
}
