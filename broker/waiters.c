/*
 * waiters.c -- the registry of parked fetches (waiters.h).
 *
 * Every operation takes the one registry mutex.  That is deliberate: a
 * notify comes once per partition per group commit (a thousand records
 * or more), not per record, and a single lock makes "fired once, never
 * after remove" easy to see.  The fire callback runs under the lock;
 * the broker's cancels an aio, which NNG completes on its own taskq
 * thread, never inline.  notify's wake callbacks run after it, outside
 * the lock, since the broker's answers the fetch there (waiters.h).
 */
#include <assert.h>
#include <string.h>

#include <evlog/evlog.h>

#include "alloc.h"
#include "partition.h"
#include "waiters.h"

/* Waiters one notify wakes outside the lock; more are fired under it.
 * A notify that fires more than this many followers of one partition
 * at once is rare, and the rest are still woken, one hand-off later. */
#define NOTIFY_WAKE_MAX 16

static uint32_t
entry_hash(const char *topic, size_t len, uint32_t partition)
{
	uint32_t h = evlp_fnv1a32(topic, len);
	h ^= partition * 0x9e3779b1u;
	return h ^ (h >> 16);
}

int
evld_waiters_init(struct evld_waiters *ws, size_t nbuckets, evld_gauge *gauge)
{
	size_t n = 16;
	while (n < nbuckets && n < ((size_t) 1 << 24))
		n <<= 1;
	memset(ws, 0, sizeof(*ws));
	ws->buckets = evlp_zalloc(n * sizeof(ws->buckets[0]));
	if (ws->buckets == NULL)
		return EVL_ENOMEM;
	ws->mask  = n - 1;
	ws->gauge = gauge;
	pthread_mutex_init(&ws->mu, NULL);
	return 0;
}

void
evld_waiters_fini(struct evld_waiters *ws)
{
	if (ws->buckets == NULL)
		return;
	assert(ws->count == 0);
	pthread_mutex_destroy(&ws->mu);
	evlp_free(ws->buckets);
	ws->buckets = NULL;
}

/* Unlinks every entry of w.  Call with ws->mu held. */
static void
waiter_unlink(struct evld_waiters *ws, struct evld_waiter *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct evld_wait_entry *e = &w->entries[i];
		if (e->prev != NULL)
			e->prev->next = e->next;
		else
			ws->buckets[e->hash & ws->mask] = e->next;
		if (e->next != NULL)
			e->next->prev = e->prev;
		e->prev = e->next = NULL;
	}
	w->registered = false;
	ws->count--;
	evld_gauge_add(ws->gauge, -1);
}

/* Unregisters and fires w.  Call with ws->mu held. */
static void
waiter_fire(struct evld_waiters *ws, struct evld_waiter *w)
{
	waiter_unlink(ws, w);
	w->fired = true;
	w->fire(w, w->arg);
}

int
evld_waiters_add(struct evld_waiters *ws, struct evld_waiter *w)
{
	if (w->n == 0 || w->entries == NULL || w->fire == NULL)
		return EVL_EINVAL;
	pthread_mutex_lock(&ws->mu);
	if (w->registered) {
		pthread_mutex_unlock(&ws->mu);
		return EVL_EINVAL;
	}
	if (ws->closed) {
		pthread_mutex_unlock(&ws->mu);
		return EVL_ESHUTDOWN;
	}
	w->fired = false;
	for (size_t i = 0; i < w->n; i++) {
		struct evld_wait_entry *e = &w->entries[i];
		struct evld_wait_entry **b;
		e->w    = w;
		e->hash = entry_hash(e->topic, e->topic_len, e->partition);
		b       = &ws->buckets[e->hash & ws->mask];
		e->prev = NULL;
		e->next = *b;
		if (*b != NULL)
			(*b)->prev = e;
		*b = e;
	}
	w->registered = true;
	w->token      = 0;
	ws->count++;
	evld_gauge_add(ws->gauge, 1);
	pthread_mutex_unlock(&ws->mu);
	return 0;
}

void
evld_waiters_arm(struct evld_waiters *ws, struct evld_waiter *w,
    void (*arm)(void *arg), void *arg)
{
	pthread_mutex_lock(&ws->mu);
	arm(arg);
	if (w->fired)
		w->fire(w, w->arg);
	pthread_mutex_unlock(&ws->mu);
}

bool
evld_waiters_remove(struct evld_waiters *ws, struct evld_waiter *w)
{
	bool was;
	pthread_mutex_lock(&ws->mu);
	was = w->registered;
	if (was)
		waiter_unlink(ws, w);
	pthread_mutex_unlock(&ws->mu);
	return was;
}

void
evld_waiters_notify(struct evld_waiters *ws, const char *topic,
    uint32_t partition, uint64_t next_offset)
{
	struct {
		evld_waiter_wake_fn fn;
		void               *arg;
		uint64_t            token;
	} wake[NOTIFY_WAKE_MAX];
	size_t   nwake = 0;
	size_t   len   = strlen(topic);
	uint32_t h     = entry_hash(topic, len, partition);

	pthread_mutex_lock(&ws->mu);
	if (ws->count == 0) {
		pthread_mutex_unlock(&ws->mu);
		return;
	}
	/* Firing unlinks all of a waiter's entries, which may include the
	 * next one in this chain: start over after each fire.  Each fire
	 * removes at least one entry, so this ends. */
again:
	for (struct evld_wait_entry *e = ws->buckets[h & ws->mask]; e != NULL;
	     e = e->next) {
		if (e->hash == h && e->partition == partition &&
		    e->topic_len == len && e->offset < next_offset &&
		    memcmp(e->topic, topic, len) == 0) {
			struct evld_waiter *w = e->w;
			if (w->wake != NULL && w->token != 0 &&
			    nwake < NOTIFY_WAKE_MAX) {
				waiter_unlink(ws, w);
				w->fired     = true;
				wake[nwake].fn    = w->wake;
				wake[nwake].arg   = w->arg;
				wake[nwake].token = w->token;
				nwake++;
			} else {
				/* Not armed yet: evld_waiters_arm sees
				 * fired and fires it then. */
				waiter_fire(ws, w);
			}
			goto again;
		}
	}
	pthread_mutex_unlock(&ws->mu);
	for (size_t i = 0; i < nwake; i++)
		wake[i].fn(wake[i].arg, wake[i].token);
}

void
evld_waiters_close(struct evld_waiters *ws)
{
	pthread_mutex_lock(&ws->mu);
	ws->closed = true;
	for (size_t i = 0; i <= ws->mask; i++) {
		while (ws->buckets[i] != NULL)
			waiter_fire(ws, ws->buckets[i]->w);
	}
	assert(ws->count == 0);
	pthread_mutex_unlock(&ws->mu);
}

size_t
evld_waiters_count(struct evld_waiters *ws)
{
	size_t n;
	pthread_mutex_lock(&ws->mu);
	n = ws->count;
	pthread_mutex_unlock(&ws->mu);
	return n;
}
