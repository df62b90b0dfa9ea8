/*
 * retention.c -- the background job that applies every topic's retention
 * (age and bytes) every --retention-check-interval, and counts what it
 * removed into the metrics.
 *
 * One thread that mostly sleeps on a condition variable, so stopping it
 * is immediate rather than a wait for the next tick.  The store's trims
 * are safe against concurrent appends and reads (retention.h).
 */
#include <errno.h>
#include <time.h>

#include <evlog/evlog.h>

#include "broker.h"

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
evld_retention_pass(struct evld_broker *b)
{
	evls_retention_stats st = { 0, 0, 0 };
	int rv = evls_retention_run(b->store, now_ms(), &st);
	if (b->bm_ok) {
		evld_counter_add(b->bm.retention_records, st.records_removed);
		evld_counter_add(b->bm.retention_bytes, st.bytes_removed);
	}
	if (rv != 0)
		evld_log_error(&b->log, "retention: %s", evl_strerror(rv));
	else if (st.records_removed > 0 || st.ids_expired > 0)
		evld_log_info(&b->log,
		    "retention removed %llu records (%llu bytes), "
		    "expired %llu evlog-ids",
		    (unsigned long long) st.records_removed,
		    (unsigned long long) st.bytes_removed,
		    (unsigned long long) st.ids_expired);
	return rv;
}

static void *
retention_main(void *arg)
{
	struct evld_broker    *b  = arg;
	struct evld_retention *rt = &b->retention;
	uint32_t               ms = b->cfg->retention_check_interval_ms;

	pthread_mutex_lock(&rt->mu);
	while (!rt->stop) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += ms / 1000;
		until.tv_nsec += (long) (ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!rt->stop &&
		    pthread_cond_timedwait(&rt->cv, &rt->mu, &until) != ETIMEDOUT)
			;
		if (rt->stop)
			break;
		pthread_mutex_unlock(&rt->mu);
		(void) evld_retention_pass(b);
		pthread_mutex_lock(&rt->mu);
		rt->runs++;
	}
	pthread_mutex_unlock(&rt->mu);
	return NULL;
}

int
evld_retention_start(struct evld_broker *b)
{
	struct evld_retention *rt = &b->retention;
	pthread_condattr_t     ca;

	pthread_mutex_init(&rt->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rt->cv, &ca);
	pthread_condattr_destroy(&ca);
	rt->stop = false;
	if (b->cfg->retention_check_interval_ms == 0) {
		rt->running = false; /* 0 turns the job off */
		return 0;
	}
	if (pthread_create(&rt->thread, NULL, retention_main, b) != 0) {
		pthread_cond_destroy(&rt->cv);
		pthread_mutex_destroy(&rt->mu);
		return EVL_ENOMEM;
	}
	rt->running = true;
	return 0;
}

void
evld_retention_stop(struct evld_broker *b)
{
	struct evld_retention *rt = &b->retention;
	if (rt->running) {
		pthread_mutex_lock(&rt->mu);
		rt->stop = true;
		pthread_cond_signal(&rt->cv);
		pthread_mutex_unlock(&rt->mu);
		pthread_join(rt->thread, NULL);
		rt->running = false;
	}
	pthread_cond_destroy(&rt->cv);
	pthread_mutex_destroy(&rt->mu);
}
