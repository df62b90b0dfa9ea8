/*
 * broker_waiters_test.c -- the parked-fetch registry (broker/waiters.c).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "evl_test.h"
#include "waiters.h"

struct probe {
	struct evld_waiter     w;
	struct evld_wait_entry e[4];
	int                    fired;
};

static void
probe_fire(struct evld_waiter *w, void *arg)
{
	struct probe *p = arg;
	(void) w;
	p->fired++;
}

static void
probe_init(struct probe *p, const char *topic, uint32_t part, uint64_t off)
{
	memset(p, 0, sizeof(*p));
	p->e[0].topic     = topic;
	p->e[0].topic_len = strlen(topic);
	p->e[0].partition = part;
	p->e[0].offset    = off;
	p->w.fire         = probe_fire;
	p->w.arg          = p;
	p->w.entries      = p->e;
	p->w.n            = 1;
}

static void
probe_also(struct probe *p, const char *topic, uint32_t part, uint64_t off)
{
	struct evld_wait_entry *e = &p->e[p->w.n++];
	e->topic                  = topic;
	e->topic_len              = strlen(topic);
	e->partition              = part;
	e->offset                 = off;
}

Test(broker_waiters, fires_on_head_past_offset_only)
{
	struct evld_waiters ws;
	struct probe        p;
	evld_gauge          g = { 0 };
	evl_assert_ok(evld_waiters_init(&ws, 64, &g));
	probe_init(&p, "orders", 1, 10);
	evl_assert_ok(evld_waiters_add(&ws, &p.w));
	cr_assert_eq(evld_gauge_get(&g), 1);

	evld_waiters_notify(&ws, "orders", 1, 10); /* head == offset */
	evld_waiters_notify(&ws, "orders", 0, 99); /* other partition */
	evld_waiters_notify(&ws, "order", 1, 99);  /* other topic */
	evld_waiters_notify(&ws, "orders2", 1, 99);
	cr_assert_eq(p.fired, 0);
	cr_assert_eq(evld_waiters_count(&ws), 1);

	evld_waiters_notify(&ws, "orders", 1, 11);
	cr_assert_eq(p.fired, 1);
	cr_assert_eq(evld_waiters_count(&ws), 0);
	cr_assert_eq(evld_gauge_get(&g), 0);
	/* Fired once: a later append finds nobody. */
	evld_waiters_notify(&ws, "orders", 1, 12);
	cr_assert_eq(p.fired, 1);
	cr_assert_not(evld_waiters_remove(&ws, &p.w));
	evld_waiters_fini(&ws);
}

Test(broker_waiters, any_partition_fires_the_whole_waiter)
{
	struct evld_waiters ws;
	struct probe        p;
	evl_assert_ok(evld_waiters_init(&ws, 16, NULL));
	probe_init(&p, "a", 0, 5);
	probe_also(&p, "b", 3, 7);
	probe_also(&p, "a", 1, 0);
	evl_assert_ok(evld_waiters_add(&ws, &p.w));
	evld_waiters_notify(&ws, "b", 3, 8);
	cr_assert_eq(p.fired, 1);
	cr_assert_eq(evld_waiters_count(&ws), 0);
	/* Every entry was unlinked with it. */
	evld_waiters_notify(&ws, "a", 0, 100);
	evld_waiters_notify(&ws, "a", 1, 100);
	cr_assert_eq(p.fired, 1);
	/* And it can be registered again. */
	evl_assert_ok(evld_waiters_add(&ws, &p.w));
	evld_waiters_notify(&ws, "a", 1, 1);
	cr_assert_eq(p.fired, 2);
	evld_waiters_fini(&ws);
}

Test(broker_waiters, remove_wins_over_later_notify)
{
	struct evld_waiters ws;
	struct probe        p;
	evl_assert_ok(evld_waiters_init(&ws, 16, NULL));
	probe_init(&p, "t", 0, 0);
	evl_assert_ok(evld_waiters_add(&ws, &p.w));
	cr_assert(evld_waiters_remove(&ws, &p.w));
	cr_assert_not(evld_waiters_remove(&ws, &p.w));
	evld_waiters_notify(&ws, "t", 0, 1);
	cr_assert_eq(p.fired, 0);
	evld_waiters_fini(&ws);
}

Test(broker_waiters, bad_adds)
{
	struct evld_waiters ws;
	struct probe        p;
	evl_assert_ok(evld_waiters_init(&ws, 16, NULL));
	probe_init(&p, "t", 0, 0);
	p.w.n = 0;
	evl_assert_err(evld_waiters_add(&ws, &p.w), EVL_EINVAL);
	p.w.n = 1;
	evl_assert_ok(evld_waiters_add(&ws, &p.w));
	evl_assert_err(evld_waiters_add(&ws, &p.w), EVL_EINVAL);
	cr_assert(evld_waiters_remove(&ws, &p.w));
	evld_waiters_fini(&ws);
}

Test(broker_waiters, many_waiters_sharing_buckets)
{
	struct evld_waiters ws;
	static struct probe p[300];
	evl_assert_ok(evld_waiters_init(&ws, 16, NULL));
	for (int i = 0; i < 300; i++) {
		probe_init(&p[i], i % 2 ? "odd" : "even", (uint32_t) (i % 7),
		    (uint64_t) i);
		evl_assert_ok(evld_waiters_add(&ws, &p[i].w));
	}
	/* Partition 3 of "odd", head 150: odd i with i % 7 == 3, i < 150. */
	evld_waiters_notify(&ws, "odd", 3, 150);
	size_t left = 300;
	for (int i = 0; i < 300; i++) {
		int want = (i % 2 == 1 && i % 7 == 3 && i < 150) ? 1 : 0;
		cr_assert_eq(p[i].fired, want, "waiter %d", i);
		left -= (size_t) want;
	}
	cr_assert_eq(evld_waiters_count(&ws), left);
	/* Removing in an arbitrary order keeps the chains consistent. */
	for (int i = 299; i >= 0; i -= 2)
		(void) evld_waiters_remove(&ws, &p[i].w);
	for (int i = 0; i < 300; i += 2)
		(void) evld_waiters_remove(&ws, &p[i].w);
	cr_assert_eq(evld_waiters_count(&ws), 0);
	evld_waiters_fini(&ws);
}

Test(broker_waiters, close_fires_all_and_refuses_new)
{
	struct evld_waiters ws;
	struct probe        p[3], q;
	evl_assert_ok(evld_waiters_init(&ws, 16, NULL));
	for (int i = 0; i < 3; i++) {
		probe_init(&p[i], "t", (uint32_t) i, 0);
		evl_assert_ok(evld_waiters_add(&ws, &p[i].w));
	}
	evld_waiters_close(&ws);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(p[i].fired, 1);
	probe_init(&q, "t", 0, 0);
	evl_assert_err(evld_waiters_add(&ws, &q.w), EVL_ESHUTDOWN);
	evld_waiters_fini(&ws);
}

struct armed {
	int armed;
};

static void
arm_cb(void *arg)
{
	((struct armed *) arg)->armed++;
}

Test(broker_waiters, arm_refires_a_waiter_fired_before_it)
{
	struct evld_waiters ws;
	struct probe        p;
	struct armed        a = { 0 };
	evl_assert_ok(evld_waiters_init(&ws, 16, NULL));
	probe_init(&p, "t", 0, 0);

	/* Not fired: arm only arms. */
	evl_assert_ok(evld_waiters_add(&ws, &p.w));
	evld_waiters_arm(&ws, &p.w, arm_cb, &a);
	cr_assert_eq(a.armed, 1);
	cr_assert_eq(p.fired, 0);
	cr_assert(evld_waiters_remove(&ws, &p.w));

	/* Fired between add and arm: the fire is repeated after arming,
	 * so the sleep it would have cancelled is cancelled. */
	evl_assert_ok(evld_waiters_add(&ws, &p.w));
	evld_waiters_notify(&ws, "t", 0, 1);
	cr_assert_eq(p.fired, 1);
	evld_waiters_arm(&ws, &p.w, arm_cb, &a);
	cr_assert_eq(a.armed, 2);
	cr_assert_eq(p.fired, 2);
	evld_waiters_fini(&ws);
}

/* A notifier thread racing adds and removes: every waiter is either
 * fired once or removed, never both, never twice. */
struct race {
	struct evld_waiters *ws;
	atomic_bool          stop;
};

static void *
notifier(void *arg)
{
	struct race *r = arg;
	uint64_t     h = 1;
	while (!atomic_load(&r->stop))
		evld_waiters_notify(r->ws, "race", (uint32_t) (h % 4), h), h++;
	return NULL;
}

Test(broker_waiters, fire_or_remove_exactly_once_under_race)
{
	struct evld_waiters ws;
	struct race         r;
	pthread_t           th;
	static struct probe p[64];
	evl_assert_ok(evld_waiters_init(&ws, 16, NULL));
	r.ws = &ws;
	atomic_init(&r.stop, false);
	pthread_create(&th, NULL, notifier, &r);
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 64; i++) {
			probe_init(&p[i], "race", (uint32_t) (i % 4), 0);
			evl_assert_ok(evld_waiters_add(&ws, &p[i].w));
		}
		for (int i = 0; i < 64; i++) {
			bool removed = evld_waiters_remove(&ws, &p[i].w);
			/* Read under the registry's lock via count below. */
			cr_assert(removed || p[i].fired == 1);
		}
	}
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	cr_assert_eq(evld_waiters_count(&ws), 0);
	for (int i = 0; i < 64; i++)
		cr_assert_leq(p[i].fired, 1);
	evld_waiters_fini(&ws);
}

/* notify's wake path: an armed waiter (token set) with a wake callback
 * is woken outside the registry's lock, with its token. */
struct waker {
	struct probe         p;
	struct evld_waiters *ws;
	uint64_t             token;
	int                  woken;
	bool                 lock_free; /* could call the registry from wake */
};

static void
waker_wake(void *arg, uint64_t token)
{
	struct waker *k = arg;
	k->woken++;
	k->token = token;
	/* Under the lock this would deadlock (the mutex is not
	 * recursive): a fetch's resume removes its waiter. */
	k->lock_free = !evld_waiters_remove(k->ws, &k->p.w) &&
	    evld_waiters_count(k->ws) == 0;
}

static void
waker_init(struct waker *k, struct evld_waiters *ws)
{
	probe_init(&k->p, "t", 0, 0);
	k->p.w.wake = waker_wake;
	k->p.w.arg  = k;
	k->ws       = ws;
	k->woken    = 0;
}

static void
arm_token(void *arg)
{
	((struct waker *) arg)->p.w.token = 42;
}

Test(broker_waiters, notify_wakes_an_armed_waiter_outside_the_lock)
{
	struct evld_waiters ws;
	struct waker        k;
	evl_assert_ok(evld_waiters_init(&ws, 16, NULL));
	waker_init(&k, &ws);
	evl_assert_ok(evld_waiters_add(&ws, &k.p.w));
	cr_assert_eq(k.p.w.token, 0);
	evld_waiters_arm(&ws, &k.p.w, arm_token, &k);

	evld_waiters_notify(&ws, "t", 0, 1);
	cr_assert_eq(k.woken, 1);
	cr_assert_eq(k.token, 42);
	cr_assert(k.lock_free);
	cr_assert_eq(k.p.fired, 0, "woken through wake, not fire");
	evld_waiters_notify(&ws, "t", 0, 2);
	cr_assert_eq(k.woken, 1, "once per registration");

	/* add clears the token: until armed again, notify fires (the
	 * sleep to cut short has not started) and arm fires again. */
	evl_assert_ok(evld_waiters_add(&ws, &k.p.w));
	cr_assert_eq(k.p.w.token, 0);
	evld_waiters_notify(&ws, "t", 0, 3);
	cr_assert_eq(k.woken, 1);
	cr_assert_eq(k.p.fired, 1);
	evld_waiters_arm(&ws, &k.p.w, arm_token, &k);
	cr_assert_eq(k.p.fired, 2);
	cr_assert_eq(k.woken, 1);
	evld_waiters_fini(&ws);
}

Test(broker_waiters, notify_past_its_wake_batch_fires_the_rest)
{
	struct evld_waiters  ws;
	static struct waker  k[40];
	int                  woken = 0, fired = 0;
	evl_assert_ok(evld_waiters_init(&ws, 16, NULL));
	for (int i = 0; i < 40; i++) {
		waker_init(&k[i], &ws);
		evl_assert_ok(evld_waiters_add(&ws, &k[i].p.w));
		evld_waiters_arm(&ws, &k[i].p.w, arm_token, &k[i]);
	}
	evld_waiters_notify(&ws, "t", 0, 1);
	for (int i = 0; i < 40; i++) {
		cr_assert_eq(k[i].woken + k[i].p.fired, 1, "waiter %d", i);
		woken += k[i].woken;
		fired += k[i].p.fired;
	}
	cr_assert_gt(woken, 0);
	cr_assert_gt(fired, 0, "more than one batch: the rest are fired");
	cr_assert_eq(evld_waiters_count(&ws), 0);
	evld_waiters_fini(&ws);
}
