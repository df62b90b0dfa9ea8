/*
 * quota.c -- see quota.h.
 *
 * A bucket's credit is kept in micro-bytes (bytes x 10^6), so that a
 * refill of rate bytes/s over e microseconds is the exact integer
 * rate * e: no floating point and no rounding drift at low rates.  The
 * limits keep every sum inside int64_t: rates are at most 2^40 bytes/s
 * (a full bucket is then under 1.1 x 10^18), one charge counts at most
 * 2^40 bytes, and debt stops growing at -2^62.
 *
 * The table is a fixed array of chains.  Entries are complete before
 * they are published (a release store of the chain head), never change
 * their name or next pointer afterwards and are never removed, so a
 * lookup walks its chain without a lock; only adding a user takes the
 * chain's striped mutex (and walks again under it, so that two threads
 * seeing a user first add it once).  Each entry has its own mutex for its
 * buckets: two users never wait on each other, and a user without limits
 * takes no lock at all.
 */
#include <evlog/evlog.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "alloc.h"
#include "quota.h"

#define STRIPES    16
#define CHAINS     256 /* a multiple of STRIPES */
#define US_PER_S   1000000u
#define CHARGE_MAX ((uint64_t) 1 << 40)
#define DEBT_FLOOR (-((int64_t) 1 << 62))

struct bucket {
	uint64_t rate;    /* bytes/s; 0 = unlimited */
	int64_t  credit;  /* micro-bytes; < 0 is debt */
	uint64_t last_us; /* when credit was last brought up to date */
};

struct evld_quota_user {
	struct evld_quota_user *next; /* in its chain */
	pthread_mutex_t         mu;   /* guards b */
	struct bucket           b[EVLD_QUOTA_NDIR];
	_Atomic uint64_t        bytes[EVLD_QUOTA_NDIR];
	_Atomic uint64_t        throttled;
	_Atomic uint64_t        throttle_ms;
	char                    name[EVLD_QUOTA_USER_MAX + 1];
};

struct evld_quotas {
	uint64_t                def[EVLD_QUOTA_NDIR];
	struct evld_quota_rule *rules;
	size_t                  nrules;
	pthread_mutex_t         stripe[STRIPES];
	/* Chain heads: read without a lock (acquire), written under their
	 * stripe's lock (release). */
	struct evld_quota_user *_Atomic chain[CHAINS];
};

int
evld_quotas_alloc(struct evld_quotas **out, uint64_t produce, uint64_t fetch,
    const struct evld_quota_rule *rules, size_t n)
{
	struct evld_quotas *q;

	if (produce > EVLD_QUOTA_RATE_MAX || fetch > EVLD_QUOTA_RATE_MAX)
		return EVL_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (rules[i].produce > EVLD_QUOTA_RATE_MAX
		    || rules[i].fetch > EVLD_QUOTA_RATE_MAX)
			return EVL_EINVAL;
	if (EVLP_ALLOC_STRUCT(q) == NULL)
		return EVL_ENOMEM;
	if (n > 0) {
		if ((q->rules = evlp_alloc(n * sizeof(*rules))) == NULL) {
			evlp_free(q);
			return EVL_ENOMEM;
		}
		memcpy(q->rules, rules, n * sizeof(*rules));
	}
	q->nrules = n;
	q->def[EVLD_QUOTA_PRODUCE] = produce;
	q->def[EVLD_QUOTA_FETCH] = fetch;
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_init(&q->stripe[i], NULL);
	for (size_t i = 0; i < CHAINS; i++)
		atomic_init(&q->chain[i], NULL);
	*out = q;
	return 0;
}

void
evld_quotas_free(struct evld_quotas *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < CHAINS; i++) {
		struct evld_quota_user *u = atomic_load(&q->chain[i]), *next;
		for (; u != NULL; u = next) {
			next = u->next;
			pthread_mutex_destroy(&u->mu);
			evlp_free(u);
		}
	}
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&q->stripe[i]);
	evlp_free(q->rules);
	evlp_free(q);
}

/* FNV-1a: user names are short, and not chosen by an attacker who has
 * not logged in already. */
static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s != '\0'; s++) {
		h ^= (uint8_t) *s;
		h *= 16777619u;
	}
	return h;
}

static void
user_limits(const struct evld_quotas *q, struct evld_quota_user *u)
{
	for (int d = 0; d < EVLD_QUOTA_NDIR; d++)
		u->b[d].rate = q->def[d];
	for (size_t i = 0; i < q->nrules; i++) {
		const struct evld_quota_rule *r = &q->rules[i];
		if (strcmp(r->user, u->name) != 0)
			continue;
		if (r->has_produce)
			u->b[EVLD_QUOTA_PRODUCE].rate = r->produce;
		if (r->has_fetch)
			u->b[EVLD_QUOTA_FETCH].rate = r->fetch;
	}
	/* A new user starts with a full bucket: one second's burst.
	 * last_us 0 is "long ago", which a refill caps at full. */
	for (int d = 0; d < EVLD_QUOTA_NDIR; d++) {
		u->b[d].credit = (int64_t) (u->b[d].rate * US_PER_S);
		u->b[d].last_us = 0;
	}
}

static struct evld_quota_user *
chain_find(struct evld_quotas *q, uint32_t c, const char *user)
{
	struct evld_quota_user *u
	    = atomic_load_explicit(&q->chain[c], memory_order_acquire);
	for (; u != NULL; u = u->next)
		if (strcmp(u->name, user) == 0)
			return u;
	return NULL;
}

struct evld_quota_user *
evld_quota_user(struct evld_quotas *q, const char *user)
{
	struct evld_quota_user *u;
	size_t                  len;
	uint32_t                c;
	pthread_mutex_t        *mu;

	if (q == NULL || user == NULL
	    || (len = strlen(user)) > EVLD_QUOTA_USER_MAX)
		return NULL;
	c = name_hash(user) % CHAINS;
	if ((u = chain_find(q, c, user)) != NULL)
		return u; /* the request path: no lock */
	mu = &q->stripe[c % STRIPES];
	pthread_mutex_lock(mu);
	if ((u = chain_find(q, c, user)) != NULL)
		goto out;
	if (EVLP_ALLOC_STRUCT(u) == NULL)
		goto out;
	pthread_mutex_init(&u->mu, NULL);
	memcpy(u->name, user, len + 1);
	user_limits(q, u);
	u->next = atomic_load_explicit(&q->chain[c], memory_order_relaxed);
	atomic_store_explicit(&q->chain[c], u, memory_order_release);
out:
	pthread_mutex_unlock(mu);
	return u;
}

/* Brings b's credit up to now_us.  Caller holds the user's lock. */
static void
refill(struct bucket *b, uint64_t now_us)
{
	int64_t  cap = (int64_t) (b->rate * US_PER_S);
	uint64_t e, need;

	if (now_us <= b->last_us)
		return; /* a clock read before another thread's */
	e = now_us - b->last_us;
	b->last_us = now_us;
	if (b->credit >= cap)
		return;
	/* cap - credit, which the limits above keep under 2^63. */
	need = (uint64_t) cap - (uint64_t) b->credit;
	if (e >= need / b->rate + 1)
		b->credit = cap;
	else
		b->credit += (int64_t) (e * b->rate);
}

int
evld_quota_check(struct evld_quota_user *u, enum evld_quota_dir d,
    uint64_t now_us, uint32_t *wait_ms)
{
	struct bucket *b;
	uint64_t       debt, us, ms;

	if (u == NULL || u->b[d].rate == 0)
		return 0;
	b = &u->b[d];
	pthread_mutex_lock(&u->mu);
	refill(b, now_us);
	if (b->credit >= 0) {
		pthread_mutex_unlock(&u->mu);
		return 0;
	}
	debt = (uint64_t) -b->credit;
	pthread_mutex_unlock(&u->mu);
	us = (debt + b->rate - 1) / b->rate;
	ms = (us + 999) / 1000;
	if (ms > UINT32_MAX)
		ms = UINT32_MAX;
	*wait_ms = (uint32_t) ms;
	atomic_fetch_add_explicit(&u->throttled, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&u->throttle_ms, ms, memory_order_relaxed);
	return EVL_ETHROTTLED;
}

void
evld_quota_charge(struct evld_quota_user *u, enum evld_quota_dir d,
    uint64_t bytes, uint64_t now_us)
{
	struct bucket *b;
	int64_t        sub;

	if (u == NULL)
		return;
	atomic_fetch_add_explicit(&u->bytes[d], bytes, memory_order_relaxed);
	b = &u->b[d];
	if (b->rate == 0) /* fixed at creation: no lock needed to read */
		return;
	sub = (int64_t) ((bytes < CHARGE_MAX ? bytes : CHARGE_MAX) * US_PER_S);
	pthread_mutex_lock(&u->mu);
	refill(b, now_us);
	b->credit -= sub;
	if (b->credit < DEBT_FLOOR)
		b->credit = DEBT_FLOOR;
	pthread_mutex_unlock(&u->mu);
}

bool
evld_quota_stats_get(
    struct evld_quotas *q, const char *user, struct evld_quota_stats *out)
{
	struct evld_quota_user *u
	    = chain_find(q, name_hash(user) % CHAINS, user);

	if (u == NULL)
		return false;
	for (int d = 0; d < EVLD_QUOTA_NDIR; d++)
		out->bytes[d] = atomic_load(&u->bytes[d]);
	out->throttled = atomic_load(&u->throttled);
	out->throttle_ms = atomic_load(&u->throttle_ms);
	return true;
}

/* ---- metrics -------------------------------------------------------- */

enum family { F_SECONDS, F_REQUESTS, F_BYTES };

static void
collect_user(evld_metrics_writer *w, enum family f, struct evld_quota_user *u)
{
	static const char *const dirs[EVLD_QUOTA_NDIR]
	    = { "produce", "fetch" };

	if (f == F_SECONDS) {
		const char *l[] = { "user", u->name, NULL };
		(void) evld_metrics_write_seconds(
		    w, l, atomic_load(&u->throttle_ms) * 1000u);
	} else if (f == F_REQUESTS) {
		const char *l[] = { "user", u->name, NULL };
		(void) evld_metrics_write_u64(
		    w, l, atomic_load(&u->throttled));
	} else {
		for (int d = 0; d < EVLD_QUOTA_NDIR; d++) {
			const char *l[]
			    = { "user", u->name, "direction", dirs[d], NULL };
			(void) evld_metrics_write_u64(
			    w, l, atomic_load(&u->bytes[d]));
		}
	}
}

void
evld_quotas_collect(void *arg, evld_metrics_writer *w)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		[F_SECONDS] = { "evlog_throttle_seconds_total",
		    "Time requests were told to back off by quotas" },
		[F_REQUESTS] = { "evlog_throttled_requests_total",
		    "Requests refused EVL_ETHROTTLED by quotas" },
		[F_BYTES] = { "evlog_quota_bytes_total",
		    "Bytes charged to quotas (produce: batches; fetch: "
		    "responses)" },
	};
	struct evld_quotas *q = arg;

	for (int f = F_SECONDS; f <= F_BYTES; f++) {
		if (evld_metrics_write_family(
		        w, fam[f].name, fam[f].help, EVLD_METRIC_COUNTER)
		    != 0)
			continue;
		for (size_t c = 0; c < CHAINS; c++) {
			struct evld_quota_user *u = atomic_load_explicit(
			    &q->chain[c], memory_order_acquire);
			for (; u != NULL; u = u->next)
				collect_user(w, (enum family) f, u);
		}
	}
}
