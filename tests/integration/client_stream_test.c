/*
 * client_stream_test.c -- per-key streams through libevlog against an
 * evlogd child: append with expected versions, reads forwards, backwards
 * and following, info, delete, snapshots; appenders on two clients
 * expecting one version (exactly one wins); the evl_stream_update retry
 * loop from two clients (no lost update); and an idempotent producer whose
 * batches in flight across a kill -9 and restart of the broker are
 * appended exactly once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#include "client_util.h"
#include "evl_test.h"

TestSuite(client_stream, .timeout = 240);

static evl_client *
connect_to(const char *url)
{
	evl_client_opts o;
	evl_client     *c;
	evl_client_opts_init(&o);
	o.url = url;
	evl_assert_ok(evl_client_open(&c, &o));
	return c;
}

static void
create_streams(evl_client *c, const char *topic, uint32_t partitions)
{
	evl_topic_config cfg;
	evl_topic_config_init(&cfg);
	cfg.partitions = partitions;
	cfg.key_index = 1;
	evl_assert_ok(evl_topic_create(c, topic, &cfg));
}

static evl_event
ev(const char *value)
{
	evl_event e = { .value = value, .value_len = strlen(value) };
	return e;
}

static bool
value_is(const evl_stream_event *e, const char *want)
{
	return e->value_len == strlen(want)
	    && memcmp(e->value, want, e->value_len) == 0;
}

Test(client_stream, append_read_info_delete)
{
	evlct_broker b;
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	evl_client *c = connect_to(b.url);
	create_streams(c, "account", 4);

	evl_append_result r;
	evl_header        h = { "kind", 4, "open", 4 };
	evl_event         e2[2] = { ev("opened"), ev("deposit 100") };
	e2[0].headers = &h;
	e2[0].header_count = 1;
	evl_assert_ok(evl_stream_append(
	    c, "account", "acct-1", 6, EVL_VERSION_NO_STREAM, e2, 2, &r));
	cr_assert_eq(r.version, 1, "two events: versions 0 and 1");
	evl_assert_err(evl_stream_append(c, "account", "acct-1", 6,
	                   EVL_VERSION_NO_STREAM, e2, 1, &r),
	    EVL_EWRONGVERSION);
	cr_assert_eq(r.version, 1, "the conflict tells the current version");
	evl_event w = ev("withdraw 30");
	evl_assert_ok(
	    evl_stream_append(c, "account", "acct-1", 6, 1, &w, 1, &r));
	cr_assert_eq(r.version, 2);

	evl_stream_page *p;
	evl_assert_ok(evl_stream_read(c, "account", "acct-1", 6, NULL, &p));
	cr_assert_eq(p->count, 3);
	cr_assert_eq(p->version, 2);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(p->events[i].version, (int64_t) i);
	cr_assert(value_is(&p->events[0], "opened"));
	cr_assert_eq(p->events[0].header_count, 1);
	cr_assert_eq(memcmp(p->events[0].headers[0].value, "open", 4), 0);
	cr_assert(value_is(&p->events[2], "withdraw 30"));
	evl_stream_page_free(p);

	evl_stream_read_opts o;
	evl_stream_read_opts_init(&o);
	o.backwards = 1;
	o.from_version = EVL_STREAM_FROM_END;
	o.max_count = 2;
	evl_assert_ok(evl_stream_read(c, "account", "acct-1", 6, &o, &p));
	cr_assert_eq(p->count, 2);
	cr_assert_eq(p->events[0].version, 2, "newest first");
	cr_assert_eq(p->events[1].version, 1);
	evl_stream_page_free(p);

	int64_t v = 99;
	evl_assert_ok(evl_stream_version(c, "account", "acct-2", 6, &v));
	cr_assert_eq(v, EVL_VERSION_NONE);
	evl_stream_info info;
	evl_assert_ok(evl_stream_info_get(c, "account", "acct-1", 6, &info));
	cr_assert_eq(info.version, 2);
	cr_assert_eq(info.snapshot, -1);

	/* A snapshot: a read "from the snapshot" starts there. */
	evl_event snap = ev("balance 70");
	snap.snapshot = 1;
	evl_assert_ok(
	    evl_stream_append(c, "account", "acct-1", 6, 2, &snap, 1, &r));
	evl_assert_ok(
	    evl_stream_append(c, "account", "acct-1", 6, 3, &w, 1, &r));
	evl_stream_read_opts_init(&o);
	o.from_version = EVL_STREAM_FROM_SNAPSHOT;
	evl_assert_ok(evl_stream_read(c, "account", "acct-1", 6, &o, &p));
	cr_assert_eq(p->count, 2);
	cr_assert_eq(p->events[0].version, 3);
	cr_assert(p->events[0].snapshot);
	cr_assert(value_is(&p->events[0], "balance 70"));
	evl_stream_page_free(p);

	/* Delete: gone at once, version kept, appends continue. */
	int64_t cur = -9;
	evl_assert_err(
	    evl_stream_delete(c, "account", "acct-1", 6, 1, 0, &cur),
	    EVL_EWRONGVERSION);
	cr_assert_eq(cur, 4);
	evl_assert_ok(
	    evl_stream_delete(c, "account", "acct-1", 6, 4, 0, NULL));
	evl_assert_ok(evl_stream_read(c, "account", "acct-1", 6, NULL, &p));
	cr_assert_eq(p->count, 0);
	cr_assert_eq(p->version, 4);
	evl_stream_page_free(p);
	evl_assert_ok(
	    evl_stream_append(c, "account", "acct-1", 6, 4, &w, 1, &r));
	cr_assert_eq(r.version, 5);
	evl_assert_err(
	    evl_stream_delete(c, "account", "nobody", 6, -1, 0, NULL),
	    EVL_ENOTFOUND);

	/* Streams need the key index. */
	evl_assert_ok(evl_topic_create(c, "plain", NULL));
	evl_assert_err(
	    evl_stream_append(c, "plain", "k", 1, 0, &w, 1, NULL), EVL_EINVAL);
	evl_assert_err(evl_stream_version(c, "plain", "k", 1, &v), EVL_EINVAL);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

/* ---- deleted streams, seen from the topic ------------------------------ */

/* The value of the next record k or r delivers, as a C string. */
static void
next_value(evl_reader *r, evl_consumer *k, char *out, size_t len)
{
	const evl_record *rec;
	if (r != NULL)
		evl_assert_ok(evl_reader_next(r, &rec, 10000));
	else
		evl_assert_ok(evl_consumer_poll(k, &rec, 10000));
	snprintf(out, len, "%.*s", (int) rec->value_len,
	    (const char *) rec->value);
}

/*
 * A deleted stream's records stay in the log, erased (PROTOCOL.md
 * §10.4): whoever reads the topic itself, with a reader or in a group,
 * passes over them and gets the other keys' records in order.
 */
Test(client_stream, readers_and_groups_pass_over_a_deleted_stream)
{
	evlct_broker b;
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	evl_client *c = connect_to(b.url);
	create_streams(c, "ledger", 1);
	evl_event gone[2] = { ev("gone-1"), ev("gone-2") };
	evl_event kept    = ev("kept");
	evl_event last    = ev("last");
	evl_assert_ok(evl_stream_append(
	    c, "ledger", "a", 1, EVL_VERSION_NO_STREAM, gone, 2, NULL));
	evl_assert_ok(evl_stream_append(
	    c, "ledger", "b", 1, EVL_VERSION_NO_STREAM, &kept, 1, NULL));
	evl_assert_ok(evl_stream_delete(c, "ledger", "a", 1, 1, 0, NULL));
	evl_assert_ok(
	    evl_stream_append(c, "ledger", "b", 1, 0, &last, 1, NULL));

	char        v[32];
	evl_reader *r;
	evl_assert_ok(evl_reader_open(&r, c, "ledger", NULL));
	evl_assert_ok(evl_reader_seek(r, 0, 0));
	next_value(r, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "kept");
	next_value(r, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "last");
	evl_reader_close(r);

	const char *const topics[] = { "ledger" };
	evl_consumer_opts o;
	evl_consumer     *k;
	evl_consumer_opts_init(&o);
	o.max_wait_ms = 100;
	evl_assert_ok(evl_consumer_open(&k, c, "projection", topics, 1, &o));
	next_value(NULL, k, v, sizeof(v));
	cr_assert_str_eq(v, "kept");
	next_value(NULL, k, v, sizeof(v));
	cr_assert_str_eq(v, "last");
	evl_consumer_close(k);

	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

/* ---- concurrent appenders on two clients ----------------------------- */

#define RACERS 8
#define ROUNDS 25

static pthread_barrier_t bar;
static atomic_int        wins[ROUNDS];

struct racer {
	evl_client *c;
};

static void *
racer_main(void *arg)
{
	struct racer *r = arg;
	evl_event     e = ev("x");
	for (int round = 0; round < ROUNDS; round++) {
		evl_append_result res;
		pthread_barrier_wait(&bar);
		int rv = evl_stream_append(
		    r->c, "account", "hot", 3, round, &e, 1, &res);
		if (rv == 0) {
			atomic_fetch_add(&wins[round], 1);
			cr_assert_eq(res.version, round + 1);
		} else {
			cr_assert_eq(
			    rv, EVL_EWRONGVERSION, "%s", evl_errname(rv));
			cr_assert_eq(res.version, round + 1);
		}
		pthread_barrier_wait(&bar);
	}
	return NULL;
}

Test(client_stream, two_clients_exactly_one_wins)
{
	evlct_broker b;
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	evl_client *c[2] = { connect_to(b.url), connect_to(b.url) };
	create_streams(c[0], "account", 3);
	evl_event e = ev("opened");
	evl_assert_ok(evl_stream_append(
	    c[0], "account", "hot", 3, EVL_VERSION_NO_STREAM, &e, 1, NULL));

	pthread_t    th[RACERS];
	struct racer r[RACERS];
	pthread_barrier_init(&bar, NULL, RACERS);
	for (int i = 0; i < RACERS; i++) {
		r[i].c = c[i % 2];
		pthread_create(&th[i], NULL, racer_main, &r[i]);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);
	for (int round = 0; round < ROUNDS; round++)
		cr_assert_eq(atomic_load(&wins[round]), 1,
		    "round %d: %d winners", round, atomic_load(&wins[round]));
	int64_t v;
	evl_assert_ok(evl_stream_version(c[1], "account", "hot", 3, &v));
	cr_assert_eq(v, ROUNDS);
	evl_client_close(c[0]);
	evl_client_close(c[1]);
	evlct_broker_stop(&b, false);
}

/* ---- the update loop ---------------------------------------------------- */

/* A counter aggregate: its state is the number of events; each update
 * appends the next number. */
struct counter {
	int64_t   n;
	char      buf[32];
	evl_event e;
	int       conflicts_seen;
};

static void
counter_reset(void *arg)
{
	((struct counter *) arg)->n = 0;
}

static int
counter_apply(void *arg, const evl_stream_event *e)
{
	struct counter *c = arg;
	char            want[32];
	snprintf(want, sizeof(want), "%lld", (long long) c->n);
	cr_assert(value_is(e, want), "event %lld holds %.*s",
	    (long long) e->version, (int) e->value_len,
	    (const char *) e->value);
	c->n++;
	return 0;
}

static int
counter_decide(void *arg, int64_t version, const evl_event **events, size_t *n)
{
	struct counter *c = arg;
	cr_assert_eq(version, c->n - 1);
	snprintf(c->buf, sizeof(c->buf), "%lld", (long long) c->n);
	c->e = ev(c->buf);
	*events = &c->e;
	*n = 1;
	return 0;
}

#define UPDATERS 8
#define UPDATES  10

static void *
updater_main(void *arg)
{
	evl_client    *c = arg;
	struct counter st = { 0 };
	evl_aggregate  agg
	    = { counter_reset, counter_apply, counter_decide, &st, 0 };
	for (int i = 0; i < UPDATES; i++) {
		evl_append_result r;
		evl_assert_ok(
		    evl_stream_update(c, "account", "ctr", 3, &agg, 100, &r));
		cr_assert_eq(
		    r.version, st.n, "appended right after its state");
	}
	return NULL;
}

Test(client_stream, update_loop_loses_no_update)
{
	evlct_broker b;
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	evl_client *c[2] = { connect_to(b.url), connect_to(b.url) };
	create_streams(c[0], "account", 2);
	pthread_t th[UPDATERS];
	for (int i = 0; i < UPDATERS; i++)
		pthread_create(&th[i], NULL, updater_main, c[i % 2]);
	for (int i = 0; i < UPDATERS; i++)
		pthread_join(th[i], NULL);

	/* Every update landed once, each after the one before. */
	struct counter st = { 0 };
	evl_aggregate  agg
	    = { counter_reset, counter_apply, counter_decide, &st, 0 };
	evl_assert_ok(
	    evl_stream_update(c[0], "account", "ctr", 3, &agg, 1, NULL));
	cr_assert_eq(st.n, UPDATERS * UPDATES);
	evl_client_close(c[0]);
	evl_client_close(c[1]);
	evlct_broker_stop(&b, false);
}

/* ---- following ---------------------------------------------------------- */

struct follower {
	evl_client      *c;
	evl_stream_page *p;
	int              rv;
	atomic_bool      started;
};

static void *
follower_main(void *arg)
{
	struct follower     *f = arg;
	evl_stream_read_opts o;
	evl_stream_read_opts_init(&o);
	o.from_version = 1;
	o.max_wait_ms = 10000;
	atomic_store(&f->started, true);
	/* An append of another key of the partition may end the wait
	 * early and empty: ask again, as a follower does. */
	for (;;) {
		f->rv = evl_stream_read(f->c, "account", "f", 1, &o, &f->p);
		if (f->rv != 0 || f->p->count > 0)
			break;
		evl_stream_page_free(f->p);
	}
	return NULL;
}

static bool
follower_started(void *arg)
{
	return atomic_load(&((struct follower *) arg)->started);
}

Test(client_stream, follow_a_stream)
{
	evlct_broker b;
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	evl_client *c = connect_to(b.url);
	create_streams(c, "account", 1);
	evl_event e = ev("first");
	evl_assert_ok(
	    evl_stream_append(c, "account", "f", 1, -1, &e, 1, NULL));

	struct follower f = { .c = connect_to(b.url) };
	pthread_t       th;
	pthread_create(&th, NULL, follower_main, &f);
	cr_assert(evlct_wait_until(follower_started, &f, 5000));
	uint64_t t0 = evlct_now_ms();
	e = ev("second");
	evl_assert_ok(evl_stream_append(c, "account", "f", 1, 0, &e, 1, NULL));
	pthread_join(th, NULL);
	evl_assert_ok(f.rv);
	cr_assert_eq(f.p->count, 1);
	cr_assert_eq(f.p->events[0].version, 1);
	cr_assert(value_is(&f.p->events[0], "second"));
	cr_assert_lt(evlct_now_ms() - t0, 5000);
	evl_stream_page_free(f.p);
	evl_client_close(f.c);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

/* ---- idempotent producer across kill -9 ------------------------------ */

#define IDEM_RECS 40000
#define IDEM_KILL 5000

static atomic_int idem_acked, idem_failed;

static void
idem_delivery(void *arg, const evl_delivery *d)
{
	(void) arg;
	if (d->err == 0)
		atomic_fetch_add(&idem_acked, 1);
	else
		atomic_fetch_add(&idem_failed, 1);
}

static bool
idem_enough(void *arg)
{
	(void) arg;
	return atomic_load(&idem_acked) >= IDEM_KILL;
}

struct idem_worker {
	evl_producer *p;
	int           sent;
};

static void *
idem_main(void *arg)
{
	struct idem_worker *w = arg;
	for (int i = 0; i < IDEM_RECS; i++) {
		if (evlct_produce_number(w->p, "idem", (uint32_t) i) != 0)
			break;
		w->sent++;
	}
	return NULL;
}

Test(client_stream, idempotent_producer_across_kill_9)
{
	evlct_broker b;
	char         dir[256], url[512], listen[600];
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	/* ipc: the restarted broker listens where the client dials. */
	snprintf(url, sizeof(url), "ipc://%s/evlogd.sock", dir);
	snprintf(listen, sizeof(listen), "%s", url);
	const char *args[] = { "--listen", listen, NULL };
	cr_assert_eq(evlct_broker_start(&b, NULL, args), 0);
	char data_dir[256];
	snprintf(data_dir, sizeof(data_dir), "%s", b.dir);

	evl_client_opts co;
	evl_client     *c;
	evl_client_opts_init(&co);
	co.url = url;
	co.timeout_ms = 2000;
	evl_assert_ok(evl_client_open(&c, &co));
	evl_assert_ok(evl_topic_create(c, "idem", NULL));
	evl_producer_opts po;
	evl_producer     *p;
	evl_producer_opts_init(&po);
	po.idempotent = 1;
	po.linger_ms = 1;
	po.batch_bytes = 4096; /* many batches in flight over time */
	po.delivery_timeout_ms = 120000;
	po.on_delivery = idem_delivery;
	evl_assert_ok(evl_producer_open(&p, c, &po));

	struct idem_worker w = { p, 0 };
	pthread_t          th;
	pthread_create(&th, NULL, idem_main, &w);
	cr_assert(evlct_wait_until(idem_enough, NULL, 60000));
	evlct_broker_kill(&b, SIGKILL);
	cr_assert_eq(evlct_broker_start(&b, data_dir, args), 0);
	pthread_join(th, NULL);
	evl_assert_ok(evl_producer_flush(p, 120000));
	cr_assert_eq(w.sent, IDEM_RECS);
	cr_assert_eq(atomic_load(&idem_failed), 0);
	cr_assert_eq(atomic_load(&idem_acked), IDEM_RECS);
	evl_producer_close(p);

	/* Every record once, in order. */
	evl_reader       *r;
	const evl_record *rec;
	evl_assert_ok(evl_reader_open(&r, c, "idem", NULL));
	evl_assert_ok(evl_reader_seek(r, 0, 0));
	for (int i = 0; i < IDEM_RECS; i++) {
		char want[16];
		int  n = snprintf(want, sizeof(want), "%d", i);
		evl_assert_ok(evl_reader_next(r, &rec, 10000));
		cr_assert_eq(rec->offset, (uint64_t) i,
		    "offset %llu: a record appended twice or lost",
		    (unsigned long long) rec->offset);
		cr_assert(rec->value_len == (size_t) n
		        && memcmp(rec->value, want, (size_t) n) == 0,
		    "offset %d holds %.*s", i, (int) rec->value_len,
		    (const char *) rec->value);
	}
	evl_assert_err(evl_reader_next(r, &rec, 200), EVL_ETIMEDOUT);
	evl_reader_close(r);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
	char rm[600];
	snprintf(rm, sizeof(rm), "rm -rf '%s'", dir);
	cr_assert_eq(evlct_sh(rm), 0);
}
