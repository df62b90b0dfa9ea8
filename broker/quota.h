/*
 * quota.h -- per-user produce and fetch byte rates (docs/SECURITY.md,
 * "Quotas").
 *
 * Every user (r->user; "" is the anonymous user, who is every client
 * when authentication is off) has one token bucket per direction,
 * produce and fetch, filled at the user's rate in bytes per second and
 * holding at most one second's worth (the burst).  The rule is Kafka's:
 * a request is charged after it is served, so the bucket may go into
 * debt (one large fetch can take it far below zero), and a request that
 * arrives while the bucket is in debt is refused with EVL_ETHROTTLED and
 * the milliseconds until the debt is paid, before it has any effect.
 * Over any long interval a user so gets its rate, plus at most the burst
 * and one request.
 *
 * Cost on the request path: one hash lookup without a lock to find the
 * user, then the user's own lock for a few integer operations per check
 * and per charge (none for a user without limits).  Users
 * never share a lock for long, and nothing is held while a request is
 * served.  Users are never forgotten: principals come from the users
 * file (bounded), and without authentication there is one.
 *
 * Times are microseconds on a monotonic clock, passed in by the caller
 * (evld_now_us in the broker, a fake clock in tests).
 */
#ifndef EVLD_QUOTA_H
#define EVLD_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "metrics.h"

enum evld_quota_dir {
	EVLD_QUOTA_PRODUCE = 0, /* PRODUCE: the batch's bytes */
	EVLD_QUOTA_FETCH = 1,   /* FETCH: the whole response's bytes */
	EVLD_QUOTA_NDIR = 2,
};

struct evld_quotas;
struct evld_quota_user;

/*
 * evld_quotas_alloc makes the table.  produce and fetch are the default
 * rates in bytes/s (0 = unlimited, at most EVLD_QUOTA_RATE_MAX); rules
 * (n of them, copied) override them per user for the directions they
 * name.  Caller frees with evld_quotas_free.  Errors: EVL_EINVAL (a rate
 * over EVLD_QUOTA_RATE_MAX), EVL_ENOMEM.
 */
int evld_quotas_alloc(struct evld_quotas **out, uint64_t produce,
    uint64_t fetch, const struct evld_quota_rule *rules, size_t n);

/* evld_quotas_free releases the table and every user in it.  NULL does
 * nothing. */
void evld_quotas_free(struct evld_quotas *q);

/*
 * evld_quota_user finds user's entry (a C string, at most
 * EVLD_QUOTA_USER_MAX bytes), adding it on first sight with a full
 * bucket.  The entry is borrowed and valid until evld_quotas_free.
 * Returns NULL when q is NULL or memory ran out: the request is then
 * served unmetered, which is better than refusing it for our lack.
 */
struct evld_quota_user *evld_quota_user(
    struct evld_quotas *q, const char *user);

/*
 * evld_quota_check decides whether a request of u in direction d may be
 * served at now_us: 0, or EVL_ETHROTTLED with *wait_ms the milliseconds
 * until u's debt is paid (at least 1).  A throttled answer is counted in
 * u's metrics.  A NULL u, or no limit in d, is always 0.
 */
int evld_quota_check(struct evld_quota_user *u, enum evld_quota_dir d,
    uint64_t now_us, uint32_t *wait_ms);

/* evld_quota_charge takes bytes from u's bucket in d (which may go into
 * debt) and counts them.  NULL u does nothing. */
void evld_quota_charge(struct evld_quota_user *u, enum evld_quota_dir d,
    uint64_t bytes, uint64_t now_us);

/* What the table has counted for user, for tests; false when the user
 * was never seen. */
struct evld_quota_stats {
	uint64_t bytes[EVLD_QUOTA_NDIR]; /* charged */
	uint64_t throttled;              /* requests refused */
	uint64_t throttle_ms;            /* sum of their waits */
};
bool evld_quota_stats_get(
    struct evld_quotas *q, const char *user, struct evld_quota_stats *out);

/*
 * evld_quotas_collect is a metrics collector (metrics.h) emitting, per
 * user seen, evlog_throttle_seconds_total{user},
 * evlog_throttled_requests_total{user} and
 * evlog_quota_bytes_total{user,direction}.  arg is the table.
 */
void evld_quotas_collect(void *arg, evld_metrics_writer *w);

#endif /* EVLD_QUOTA_H */
