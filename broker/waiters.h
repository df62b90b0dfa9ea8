/*
 * waiters.h -- parked long-poll fetches, woken when a partition head moves.
 *
 * A fetch that finds nothing new registers a waiter: one entry per
 * (topic, partition, offset) it asked for.  The store's writer thread
 * calls evld_waiters_notify after an append became visible; every waiter
 * with an entry on that partition whose offset is below the new head is
 * fired exactly once and unregistered (all its entries at once).  A
 * waiter is also unregistered by its owner (max-wait elapsed) or fired by
 * evld_waiters_close (shutdown), whichever comes first: the registry
 * decides the winner under its lock, so a waiter is fired at most once
 * per registration and never after evld_waiters_remove returned (the
 * fire callback may run a second time, from evld_waiters_arm: see
 * there).
 *
 * The registry knows nothing of NNG.  A waiter armed with a token and a
 * wake callback is woken by notify on the notifying thread, after the
 * lock is released: the broker answers the fetch right there, on the
 * store's writer thread, rather than handing it to an NNG thread (one
 * thread hand-off less between an append and the follower; on a machine
 * where each hand-off waits for a CPU, that was 13% of the median
 * end-to-end latency, docs/PERFORMANCE.md).  Everything else (close, a
 * fire before the owner armed) goes through the fire callback, under the
 * lock, which only cancels a sleep.
 *
 * Entries hash (topic, partition) into a fixed table of chained buckets,
 * so a notify costs one lock and one bucket walk however many topics
 * exist, and nothing when nobody waits on that partition.
 */
#ifndef EVLD_WAITERS_H
#define EVLD_WAITERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

struct evld_waiter;

/*
 * Fires a waiter.  Called with the registry's lock held (from notify,
 * close, or evld_waiters_arm), so it must not block nor call back into
 * the registry; the broker's only cancels an aio.
 */
typedef void (*evld_waiter_fire_fn)(struct evld_waiter *w, void *arg);

/*
 * Wakes a waiter that notify fired, with no lock held, on notify's
 * thread; token is the waiter's token when it fired.  The registry no
 * longer knows the waiter by then, and its owner may already have reused
 * it (a sleep that ended at the same moment): the token tells the owner
 * whether the wake is still for its current park.
 */
typedef void (*evld_waiter_wake_fn)(void *arg, uint64_t token);

/* One watched partition.  topic is borrowed while registered. */
struct evld_wait_entry {
	struct evld_waiter     *w;
	const char             *topic;
	size_t                  topic_len;
	uint32_t                partition;
	uint64_t                offset; /* fire once the head passes it */
	uint32_t                hash;
	struct evld_wait_entry *prev, *next; /* bucket chain */
};

/*
 * A waiter, embedded in its owner (a REP context) and reused: the owner
 * sets fire, arg and its entries, then adds it.  The registry owns the
 * bucket links while the waiter is registered; everything else is the
 * owner's.
 */
struct evld_waiter {
	evld_waiter_fire_fn     fire;
	evld_waiter_wake_fn     wake; /* optional: notify's wake */
	void                   *arg;
	struct evld_wait_entry *entries; /* borrowed array of n */
	size_t                  n;
	/* Registry lock: 0 from add until the owner's arm callback sets
	 * it; notify wakes through wake only a waiter with a token. */
	uint64_t token;
	bool     registered; /* registry lock */
	bool     fired;      /* registry lock */
};

struct evld_waiters {
	pthread_mutex_t          mu;
	struct evld_wait_entry **buckets;
	size_t                   mask;
	size_t                   count; /* registered waiters */
	bool                     closed;
	evld_gauge              *gauge; /* borrowed; may be NULL */
};

/*
 * evld_waiters_init prepares ws with nbuckets (rounded up to a power of
 * two, at least 16) buckets; gauge (borrowed, may be NULL) follows the
 * number of registered waiters.  Errors: EVL_ENOMEM.
 */
int evld_waiters_init(
    struct evld_waiters *ws, size_t nbuckets, evld_gauge *gauge);

/* evld_waiters_fini releases ws; no waiter may be registered. */
void evld_waiters_fini(struct evld_waiters *ws);

/*
 * evld_waiters_add registers w (its entries borrowed until it is
 * unregistered).  Errors: EVL_ESHUTDOWN after evld_waiters_close (w is
 * then not registered); EVL_EINVAL for a waiter already registered or
 * without entries.
 */
int evld_waiters_add(struct evld_waiters *ws, struct evld_waiter *w);

/*
 * evld_waiters_arm runs arm(arg) under the registry's lock and then, if
 * w was fired in the meantime (between add and here), fires it again.
 * This closes the window between registering and starting the sleep that
 * the fire callback cancels: a fire that came before the sleep started
 * would otherwise be lost.  arm must not block or call into the registry.
 */
void evld_waiters_arm(struct evld_waiters *ws, struct evld_waiter *w,
    void (*arm)(void *arg), void *arg);

/*
 * evld_waiters_remove unregisters w if it still is registered, without
 * firing it.  Returns true when it was registered (it had not fired).
 */
bool evld_waiters_remove(struct evld_waiters *ws, struct evld_waiter *w);

/*
 * evld_waiters_notify fires every waiter with an entry on (topic,
 * partition) whose offset is below next_offset.  Any thread, holding no
 * lock the wake callbacks take; the store calls it on its writer thread.
 * Waiters with a wake callback and a token are woken through it after
 * the registry's lock is released (up to NOTIFY_WAKE_MAX per call; the
 * rest, and waiters without, are fired under the lock).
 */
void evld_waiters_notify(struct evld_waiters *ws, const char *topic,
    uint32_t partition, uint64_t next_offset);

/*
 * evld_waiters_close fires every registered waiter and makes later adds
 * fail with EVL_ESHUTDOWN.
 */
void evld_waiters_close(struct evld_waiters *ws);

/* The number of registered waiters. */
size_t evld_waiters_count(struct evld_waiters *ws);

#endif /* EVLD_WAITERS_H */
