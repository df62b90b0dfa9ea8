/*
 * evld_quotas (broker/quota.c): the token bucket on a fake clock --
 * burst, debt, the back-off it announces, the rate it converges to --
 * per-user rules over the defaults, users kept apart, the metrics, and
 * the cost of one check and charge.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "evl_test.h"
#include "metrics.h"
#include "quota.h"

#define MB (1024u * 1024u)
#define S  1000000u /* microseconds */

static struct evld_quotas *q;

static void
teardown(void)
{
	evld_quotas_free(q);
	q = NULL;
}

TestSuite(quota, .fini = teardown);

static struct evld_quota_rule
rule(const char *user, bool hp, uint64_t p, bool hf, uint64_t f)
{
	struct evld_quota_rule r;
	memset(&r, 0, sizeof(r));
	snprintf(r.user, sizeof(r.user), "%s", user);
	r.has_produce = hp;
	r.produce = p;
	r.has_fetch = hf;
	r.fetch = f;
	return r;
}

Test(quota, unlimited_by_default_but_counted)
{
	struct evld_quota_stats st;
	uint32_t                wait = 0;

	evl_assert_ok(evld_quotas_alloc(&q, 0, 0, NULL, 0));
	struct evld_quota_user *u = evld_quota_user(q, "");
	cr_assert_not_null(u);
	cr_assert_eq(evld_quota_user(q, ""), u, "one entry per user");
	for (int i = 0; i < 100; i++) {
		evld_quota_charge(u, EVLD_QUOTA_PRODUCE, 10 * MB, 0);
		evl_assert_ok(
		    evld_quota_check(u, EVLD_QUOTA_PRODUCE, 0, &wait));
	}
	evld_quota_charge(u, EVLD_QUOTA_FETCH, 7, 0);
	cr_assert(evld_quota_stats_get(q, "", &st));
	cr_assert_eq(st.bytes[EVLD_QUOTA_PRODUCE], 1000ull * MB);
	cr_assert_eq(st.bytes[EVLD_QUOTA_FETCH], 7);
	cr_assert_eq(st.throttled, 0);
	cr_assert_not(evld_quota_stats_get(q, "nobody", &st));
	/* NULL (no table, or no memory) is unmetered. */
	cr_assert_null(evld_quota_user(NULL, "x"));
	evl_assert_ok(evld_quota_check(NULL, EVLD_QUOTA_FETCH, 0, &wait));
	evld_quota_charge(NULL, EVLD_QUOTA_FETCH, 1, 0);
}

Test(quota, burst_then_debt_then_exact_backoff)
{
	uint32_t wait = 0;
	uint64_t t = 5 * S;

	evl_assert_ok(evld_quotas_alloc(&q, 1 * MB, 0, NULL, 0));
	struct evld_quota_user *u = evld_quota_user(q, "");
	/* A full bucket: one second's worth goes at once. */
	evl_assert_ok(evld_quota_check(u, EVLD_QUOTA_PRODUCE, t, &wait));
	evld_quota_charge(u, EVLD_QUOTA_PRODUCE, MB, t);
	/* Exactly empty is not debt. */
	evl_assert_ok(evld_quota_check(u, EVLD_QUOTA_PRODUCE, t, &wait));
	/* Charged after serving: a request may overdraw. */
	evld_quota_charge(u, EVLD_QUOTA_PRODUCE, MB / 2, t);
	evl_assert_err(
	    evld_quota_check(u, EVLD_QUOTA_PRODUCE, t, &wait), EVL_ETHROTTLED);
	cr_assert_eq(wait, 500, "half a MB at 1 MB/s: %u ms", wait);
	/* 100 ms later 100 ms less to wait. */
	evl_assert_err(
	    evld_quota_check(u, EVLD_QUOTA_PRODUCE, t + S / 10, &wait),
	    EVL_ETHROTTLED);
	cr_assert_eq(wait, 400);
	/* One microsecond short of paid: still 1 ms (never 0). */
	evl_assert_err(
	    evld_quota_check(u, EVLD_QUOTA_PRODUCE, t + S / 2 - 1, &wait),
	    EVL_ETHROTTLED);
	cr_assert_eq(wait, 1);
	evl_assert_ok(
	    evld_quota_check(u, EVLD_QUOTA_PRODUCE, t + S / 2, &wait));
	/* The other direction has no limit: never throttled. */
	evld_quota_charge(u, EVLD_QUOTA_FETCH, 100 * MB, t);
	evl_assert_ok(evld_quota_check(u, EVLD_QUOTA_FETCH, t, &wait));

	struct evld_quota_stats st;
	cr_assert(evld_quota_stats_get(q, "", &st));
	cr_assert_eq(st.throttled, 3);
	cr_assert_eq(st.throttle_ms, 500 + 400 + 1);
}

Test(quota, refill_caps_at_one_second)
{
	uint32_t wait = 0;

	evl_assert_ok(evld_quotas_alloc(&q, 0, 1000, NULL, 0));
	struct evld_quota_user *u = evld_quota_user(q, "");
	/* An hour idle still leaves one second's worth, not an hour's. */
	evld_quota_charge(u, EVLD_QUOTA_FETCH, 1000, 0);
	evld_quota_charge(u, EVLD_QUOTA_FETCH, 1001, 3600ull * S);
	evl_assert_err(
	    evld_quota_check(u, EVLD_QUOTA_FETCH, 3600ull * S, &wait),
	    EVL_ETHROTTLED);
	cr_assert_eq(wait, 1);
	/* A clock read that lags another thread's changes nothing. */
	evl_assert_err(
	    evld_quota_check(u, EVLD_QUOTA_FETCH, 3599ull * S, &wait),
	    EVL_ETHROTTLED);
}

/*
 * A client that sends 64 KiB whenever it is not in debt and waits the
 * announced back-off otherwise moves, over 10 simulated seconds after
 * the burst, the rate within one request.
 */
Test(quota, converges_to_the_rate)
{
	const uint64_t rate = 1 * MB, req = 64 * 1024;
	uint64_t       t = 0, sent = 0, start;
	uint32_t       wait;

	evl_assert_ok(evld_quotas_alloc(&q, rate, 0, NULL, 0));
	struct evld_quota_user *u = evld_quota_user(q, "");
	/* Spend the burst first. */
	while (evld_quota_check(u, EVLD_QUOTA_PRODUCE, t, &wait) == 0)
		evld_quota_charge(u, EVLD_QUOTA_PRODUCE, req, t);
	t += (uint64_t) wait * 1000u;
	start = t;
	while (t < start + 10 * S) {
		if (evld_quota_check(u, EVLD_QUOTA_PRODUCE, t, &wait) != 0) {
			t += (uint64_t) wait * 1000u;
			continue;
		}
		evld_quota_charge(u, EVLD_QUOTA_PRODUCE, req, t);
		sent += req;
		t += 200; /* the request's own time */
	}
	cr_assert(sent >= 10 * rate - req && sent <= 10 * rate + req,
	    "%llu bytes in 10 s at %llu/s", (unsigned long long) sent,
	    (unsigned long long) rate);
}

Test(quota, rules_override_defaults_per_direction)
{
	struct evld_quota_rule rules[] = {
		rule("alice", true, 100, false, 0),
		rule("bob", true, 0, true, 0), /* unlimited */
	};
	uint32_t wait;

	evl_assert_ok(evld_quotas_alloc(&q, 1000, 2000, rules, 2));
	struct evld_quota_user *a = evld_quota_user(q, "alice");
	struct evld_quota_user *b = evld_quota_user(q, "bob");
	struct evld_quota_user *c = evld_quota_user(q, "carol");
	cr_assert(a != NULL && b != NULL && c != NULL && a != b && b != c);

	/* alice: produce 100 (hers), fetch 2000 (the default). */
	evld_quota_charge(a, EVLD_QUOTA_PRODUCE, 101, 0);
	evl_assert_err(
	    evld_quota_check(a, EVLD_QUOTA_PRODUCE, 0, &wait), EVL_ETHROTTLED);
	cr_assert_eq(wait, 10, "1 byte at 100 B/s is 10 ms, got %u", wait);
	evld_quota_charge(a, EVLD_QUOTA_FETCH, 2000, 0);
	evl_assert_ok(evld_quota_check(a, EVLD_QUOTA_FETCH, 0, &wait));
	evld_quota_charge(a, EVLD_QUOTA_FETCH, 1, 0);
	evl_assert_err(
	    evld_quota_check(a, EVLD_QUOTA_FETCH, 0, &wait), EVL_ETHROTTLED);
	/* bob: both unlimited. */
	evld_quota_charge(b, EVLD_QUOTA_PRODUCE, 1ull << 40, 0);
	evld_quota_charge(b, EVLD_QUOTA_FETCH, 1ull << 40, 0);
	evl_assert_ok(evld_quota_check(b, EVLD_QUOTA_PRODUCE, 0, &wait));
	evl_assert_ok(evld_quota_check(b, EVLD_QUOTA_FETCH, 0, &wait));
	/* carol: the defaults, untouched by alice's debt. */
	evld_quota_charge(c, EVLD_QUOTA_PRODUCE, 1000, 0);
	evl_assert_ok(evld_quota_check(c, EVLD_QUOTA_PRODUCE, 0, &wait));
}

Test(quota, bad_rates_refused)
{
	struct evld_quota_rule r
	    = rule("a", true, EVLD_QUOTA_RATE_MAX + 1, false, 0);
	evl_assert_err(
	    evld_quotas_alloc(&q, EVLD_QUOTA_RATE_MAX + 1, 0, NULL, 0),
	    EVL_EINVAL);
	evl_assert_err(evld_quotas_alloc(&q, 0, 0, &r, 1), EVL_EINVAL);
	cr_assert_null(q);
	/* The extremes stay in range: the largest rate, the largest charge,
	 * a debt at the floor. */
	evl_assert_ok(evld_quotas_alloc(&q, EVLD_QUOTA_RATE_MAX, 1, NULL, 0));
	struct evld_quota_user *u = evld_quota_user(q, "u");
	uint32_t                wait;
	for (int i = 0; i < 10; i++)
		evld_quota_charge(u, EVLD_QUOTA_FETCH, UINT64_MAX, 0);
	evl_assert_err(
	    evld_quota_check(u, EVLD_QUOTA_FETCH, 0, &wait), EVL_ETHROTTLED);
	cr_assert_eq(wait, UINT32_MAX);
	evld_quota_charge(u, EVLD_QUOTA_PRODUCE, UINT64_MAX, 0); /* empty */
	evld_quota_charge(u, EVLD_QUOTA_PRODUCE, UINT64_MAX, 0); /* 1 s due */
	evl_assert_err(
	    evld_quota_check(u, EVLD_QUOTA_PRODUCE, 0, &wait), EVL_ETHROTTLED);
	evl_assert_ok(evld_quota_check(u, EVLD_QUOTA_PRODUCE, 2 * S, &wait));
	/* Names longer than a user name are no user. */
	char big[EVLD_QUOTA_USER_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_null(evld_quota_user(q, big));
}

Test(quota, metrics)
{
	evld_metrics          *m;
	char                  *text;
	size_t                 len;
	uint32_t               wait;
	struct evld_quota_rule r = rule("al\"ice", true, 1000, false, 0);

	evl_assert_ok(evld_metrics_alloc(&m));
	evl_assert_ok(evld_quotas_alloc(&q, 0, 0, &r, 1));
	evl_assert_ok(evld_metrics_collector_add(m, evld_quotas_collect, q));
	struct evld_quota_user *a = evld_quota_user(q, "al\"ice");
	struct evld_quota_user *n = evld_quota_user(q, "");
	evld_quota_charge(a, EVLD_QUOTA_PRODUCE, 2500, 0);
	evl_assert_err(
	    evld_quota_check(a, EVLD_QUOTA_PRODUCE, 0, &wait), EVL_ETHROTTLED);
	evl_assert_err(evld_quota_check(a, EVLD_QUOTA_PRODUCE, S / 2, &wait),
	    EVL_ETHROTTLED);
	evld_quota_charge(n, EVLD_QUOTA_FETCH, 42, 0);
	evl_assert_ok(evld_metrics_render(m, &text, &len));
	static const char *const want[] = {
		"# TYPE evlog_throttle_seconds_total counter\n",
		"evlog_throttle_seconds_total{user=\"al\\\"ice\"} 2.5\n",
		"evlog_throttle_seconds_total{user=\"\"} 0\n",
		"# TYPE evlog_throttled_requests_total counter\n",
		"evlog_throttled_requests_total{user=\"al\\\"ice\"} 2\n",
		"evlog_throttled_requests_total{user=\"\"} 0\n",
		"evlog_quota_bytes_total{user=\"al\\\"ice\",direction="
		"\"produce\"} 2500\n",
		"evlog_quota_bytes_total{user=\"\",direction=\"fetch\"} 42\n",
		"evlog_quota_bytes_total{user=\"\",direction=\"produce\"} 0\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert(strstr(text, want[i]) != NULL, "no %s in\n%s",
		    want[i], text);
	evlp_free(text);
	evl_assert_ok(
	    evld_metrics_collector_remove(m, evld_quotas_collect, q));
	evld_metrics_free(m);
}

/* ---- the cost on the request path ---------------------------------- */

struct hammer {
	const char *user;
	uint64_t    ns;
	uint32_t    n;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* What a produce does: look up, check, charge (with a real clock). */
static void *
hammer(void *arg)
{
	struct hammer *h = arg;
	uint64_t       t0 = now_ns();
	uint32_t       wait;
	for (uint32_t i = 0; i < h->n; i++) {
		struct evld_quota_user *u = evld_quota_user(q, h->user);
		uint64_t                us = now_ns() / 1000u;
		(void) evld_quota_check(u, EVLD_QUOTA_PRODUCE, us, &wait);
		evld_quota_charge(u, EVLD_QUOTA_PRODUCE, 1024, us);
	}
	h->ns = now_ns() - t0;
	return NULL;
}

/*
 * Prints the per-request cost, alone and with 4 threads (2 users); the
 * bound is loose (sanitizers, shared machines) but catches a lock held
 * too long or a lookup gone linear.
 */
Test(quota, cost_per_request)
{
	struct hammer h[4] = { { "alice", 0, 200000 }, { "bob", 0, 200000 },
		{ "alice", 0, 200000 }, { "bob", 0, 200000 } };
	pthread_t     th[4];

	evl_assert_ok(evld_quotas_alloc(&q, 1ull << 40, 0, NULL, 0));
	/* 100 other users in the table, as with a users file. */
	for (int i = 0; i < 100; i++) {
		char name[16];
		snprintf(name, sizeof(name), "user%d", i);
		cr_assert_not_null(evld_quota_user(q, name));
	}
	hammer(&h[0]);
	double alone = (double) h[0].ns / h[0].n;
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, hammer, &h[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	double four = 0;
	for (int i = 0; i < 4; i++)
		four += (double) h[i].ns / h[i].n / 4;
	cr_log_info("quota lookup+check+charge: %.0f ns alone, %.0f ns with "
	            "4 threads on 2 users",
	    alone, four);
	fprintf(stderr,
	    "quota lookup+check+charge: %.0f ns alone, %.0f ns with 4 "
	    "threads on 2 users\n",
	    alone, four);
	cr_assert(alone < 20000, "%.0f ns per request", alone);
}
