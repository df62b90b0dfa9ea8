/*
 * client_quota_test.c -- quotas through libevlog against an evlogd child
 * (docs/SECURITY.md, "Quotas"): a throttled request is waited out and
 * re-sent by the library, never failed or disconnected, on the
 * synchronous path, the producer and the reader; and the test,
 * a produce quota of 1 MB/s holding within 10% over 10 seconds while an
 * unthrottled user beside it runs at full speed.
 *
 * The first test runs without authentication, as the anonymous user;
 * the test logs in as two users.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#include "client_util.h"
#include "evl_test.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define MB  1000000u

static evlct_broker broker;
static bool         started;

static void
teardown(void)
{
	if (started)
		evlct_broker_stop(&broker, false);
	started = false;
}

TestSuite(client_quota, .fini = teardown, .timeout = 180);

static void
start(const char *dir, const char *const *args)
{
	cr_assert_eq(
	    evlct_broker_start(&broker, dir, args), 0, "evlogd did not start");
	started = true;
}

static evl_client *
connect_client(void)
{
	evl_client_opts o;
	evl_client     *c;
	evl_client_opts_init(&o);
	o.url = broker.url;
	evl_assert_ok(evl_client_open(&c, &o));
	return c;
}

static void
create_topic(evl_client *c, const char *name)
{
	evl_topic_config cfg;
	evl_topic_config_init(&cfg);
	cfg.partitions = 1;
	evl_assert_ok(evl_topic_create(c, name, &cfg));
}

static int
produce_sync(evl_client *c, const char *topic, size_t len)
{
	static char value[64 * 1024];
	evl_message m;
	memset(&m, 0, sizeof(m));
	m.topic = topic;
	m.partition = 0;
	m.value = value;
	m.value_len = len;
	return evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, NULL);
}

/* ---- every path waits and re-sends -------------------------------- */

Test(client_quota, throttled_requests_are_waited_out_not_failed)
{
	const char *const args[]
	    = { "--quota", ":produce=16k,fetch=16k", NULL };
	evl_client       *c;
	evl_reader       *r;
	const evl_record *rec;

	start(NULL, args);
	c = connect_client();
	create_topic(c, "s");

	/* The burst lets 20 KB through and leaves ~4 KB of debt ... */
	evl_assert_ok(produce_sync(c, "s", 20000));
	/* ... which the next (not idempotent) produce waits out. */
	uint64_t t0 = evlct_now_ms();
	evl_assert_ok(produce_sync(c, "s", 100));
	uint64_t took = evlct_now_ms() - t0;
	cr_assert(took >= 150, "a 4 KB debt at 16 KiB/s took %llu ms",
	    (unsigned long long) took);

	/* The reader: the first fetch overdraws the fetch bucket; the
	 * next waits it out inside evl_reader_next and reports a plain
	 * timeout, not the throttle. */
	evl_assert_ok(evl_reader_open(&r, c, "s", NULL));
	evl_assert_ok(evl_reader_seek(r, 0, EVL_OFFSET_BEGINNING));
	evl_assert_ok(evl_reader_next(r, &rec, 5000));
	cr_assert_eq(rec->value_len, 20000);
	evl_assert_ok(evl_reader_next(r, &rec, 5000));
	cr_assert_eq(rec->value_len, 100);
	evl_assert_err(evl_reader_next(r, &rec, 100), EVL_ETIMEDOUT);
	evl_assert_ok(produce_sync(c, "s", 10));
	evl_assert_ok(evl_reader_next(r, &rec, 5000));
	cr_assert_eq(rec->offset, 2);
	evl_reader_close(r);

	/* The producer: 64 KB through a 16 KiB/s quota, about three
	 * seconds of throttled batches, every record delivered. */
	evl_producer     *p;
	evl_producer_opts po;
	char              value[1000];
	memset(value, 'v', sizeof(value));
	evl_producer_opts_init(&po);
	po.batch_bytes = 8 * KIB;
	evl_assert_ok(evl_producer_open(&p, c, &po));
	for (int i = 0; i < 64; i++) {
		evl_message m;
		memset(&m, 0, sizeof(m));
		m.topic = "s";
		m.partition = 0;
		m.value = value;
		m.value_len = sizeof(value);
		evl_assert_ok(evl_produce(p, &m));
	}
	evl_assert_ok(evl_producer_flush(p, 20000));
	evl_producer_close(p);

	/* A group consumer reads all 67 records (~85 KB, five seconds of
	 * the fetch quota) without an error, in order. */
	evl_consumer     *k;
	evl_consumer_opts ko;
	const char *const topics[] = { "s" };
	evl_consumer_opts_init(&ko);
	ko.max_bytes = 16 * KIB;
	evl_assert_ok(evl_consumer_open(&k, c, "g", topics, 1, &ko));
	for (uint64_t want = 0; want < 67; want++) {
		int rv, tries = 0;
		do
			rv = evl_consumer_poll(k, &rec, 1000);
		while (rv == EVL_ETIMEDOUT && ++tries < 30);
		evl_assert_ok(rv);
		cr_assert_eq(rec->offset, want);
	}
	evl_consumer_close(k);
	evl_client_close(c);
}

/* ---- the test: 1 MB/s within 10% over 10 seconds -------- */

#define FAST_RECORDS 8192 /* of 1 KiB: 8 MiB to read over and over */

struct slow_producer {
	evl_producer    *p;
	atomic_bool      stop;
	_Atomic uint64_t delivered; /* value bytes acknowledged */
	atomic_int       errors;
	int              first_err;
	pthread_t        th;
};

static void
on_delivery(void *arg, const evl_delivery *d)
{
	struct slow_producer *sp = arg;
	if (d->err == 0) {
		atomic_fetch_add(&sp->delivered, KIB);
	} else if (atomic_fetch_add(&sp->errors, 1) == 0) {
		sp->first_err = d->err;
	}
}

static void *
slow_run(void *arg)
{
	struct slow_producer *sp = arg;
	static char           value[KIB];
	evl_message           m;

	memset(&m, 0, sizeof(m));
	m.topic = "slow";
	m.partition = 0;
	m.value = value;
	m.value_len = sizeof(value);
	while (!atomic_load(&sp->stop)) {
		int rv = evl_produce(sp->p, &m);
		if (rv != 0 && atomic_fetch_add(&sp->errors, 1) == 0)
			sp->first_err = rv;
	}
	return NULL;
}

static bool
burst_spent(void *arg)
{
	struct slow_producer *sp = arg;
	return atomic_load(&sp->delivered) >= MIB + MIB / 4;
}

/* Reads "fast" (FAST_RECORDS records) round and round for ms; returns
 * the value bytes read. */
static uint64_t
read_for(evl_reader *r, uint64_t ms)
{
	uint64_t          end = evlct_now_ms() + ms, bytes = 0;
	const evl_record *rec;
	uint32_t          n = 0;

	for (;;) {
		/* The clock every 64 records is plenty at these rates. */
		if (n++ % 64 == 0 && evlct_now_ms() >= end)
			break;
		evl_assert_ok(evl_reader_next(r, &rec, 5000));
		bytes += rec->value_len;
		if (rec->offset == FAST_RECORDS - 1)
			evl_assert_ok(evl_reader_seek(r, 0, 0));
	}
	return bytes;
}

static evl_client *
connect_as(const char *user, const char *password)
{
	evl_client_opts o;
	evl_client     *c;
	evl_client_opts_init(&o);
	o.url = broker.url;
	o.user = user;
	o.password = password;
	evl_assert_ok(evl_client_open(&c, &o));
	return c;
}

/*
 * The test.  User "slow" has a produce quota of 1 MB/s and
 * produces as fast as it may; user "fast" has none and meanwhile reads
 * at full speed, then produces 4 MiB (four seconds' worth of slow's
 * quota) in one go.  Slow's rate holds within 10% over 10 s; fast reads
 * about as fast as alone and produces without waiting on slow's debt.
 */
Test(client_quota, one_mb_per_second_holds_beside_an_unthrottled_user)
{
	char              dir[256], users[300];
	evl_client       *c, *fc;
	evl_producer     *p;
	evl_producer_opts po;
	evl_reader       *r;
	static char       value[KIB];

	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	cr_assert_eq(evlct_passwd(dir, "slow", "slowpw"), 0);
	cr_assert_eq(evlct_passwd(dir, "fast", "fastpw"), 0);
	snprintf(users, sizeof(users), "%s/users", dir);
	/* Superusers, so that no ACL stands between them and the topics:
	 * quotas apply to superusers as to anyone. */
	const char *const args[] = { "--users", users, "--superusers",
		"slow,fast", "--quota", "slow:produce=1000000", NULL };
	start(dir, args);

	/* fast fills its topic (no quota) and reads it alone. */
	fc = connect_as("fast", "fastpw");
	create_topic(fc, "slow");
	create_topic(fc, "fast");
	evl_producer_opts_init(&po);
	evl_assert_ok(evl_producer_open(&p, fc, &po));
	for (int i = 0; i < FAST_RECORDS; i++) {
		evl_message m;
		memset(&m, 0, sizeof(m));
		m.topic = "fast";
		m.partition = 0;
		m.value = value;
		m.value_len = sizeof(value);
		evl_assert_ok(evl_produce(p, &m));
	}
	evl_assert_ok(evl_producer_flush(p, 30000));
	evl_producer_close(p);
	evl_assert_ok(evl_reader_open(&r, fc, "fast", NULL));
	evl_assert_ok(evl_reader_seek(r, 0, 0));
	(void) read_for(r, 500); /* warm: connection, page cache */
	uint64_t t = evlct_now_ms();
	uint64_t rb = read_for(r, 2000);
	double   alone = (double) rb * 1000.0 / (double) (evlct_now_ms() - t);

	/* slow's producer, its burst spent before measuring. */
	struct slow_producer sp;
	memset(&sp, 0, sizeof(sp));
	c = connect_as("slow", "slowpw");
	evl_producer_opts_init(&po);
	po.batch_bytes = 64 * KIB;
	po.buffer_bytes = 256 * KIB;
	po.on_delivery = on_delivery;
	po.on_delivery_arg = &sp;
	evl_assert_ok(evl_producer_open(&sp.p, c, &po));
	cr_assert_eq(pthread_create(&sp.th, NULL, slow_run, &sp), 0);
	cr_assert(evlct_wait_until(burst_spent, &sp, 10000),
	    "the producer did not get through its burst");

	/* Ten seconds side by side. */
	uint64_t t0 = evlct_now_ms();
	uint64_t d0 = atomic_load(&sp.delivered);
	rb = read_for(r, 10000);
	uint64_t t1 = evlct_now_ms();
	uint64_t d1 = atomic_load(&sp.delivered);
	double   beside = (double) rb * 1000.0 / (double) (t1 - t0);
	double   rate = (double) (d1 - d0) * 1000.0 / (double) (t1 - t0);

	/* fast produces four seconds of slow's quota while slow is in
	 * debt: its own bucket, no wait. */
	uint64_t tp = evlct_now_ms();
	for (int i = 0; i < 64; i++)
		evl_assert_ok(produce_sync(fc, "fast", 64 * KIB));
	uint64_t fast_ms = evlct_now_ms() - tp;

	atomic_store(&sp.stop, true);
	pthread_join(sp.th, NULL);
	evl_producer_close(sp.p);
	evl_reader_close(r);
	evl_client_close(fc);
	evl_client_close(c);

	fprintf(stderr,
	    "client_quota: user slow at a 1 MB/s produce quota: %.3f MB/s "
	    "over %.1f s; user fast (no quota) reads %.1f MiB/s alone, "
	    "%.1f MiB/s beside it, and produced 4 MiB in %llu ms\n",
	    rate / MB, (double) (t1 - t0) / 1000.0, alone / MIB, beside / MIB,
	    (unsigned long long) fast_ms);
	cr_assert_eq(atomic_load(&sp.errors), 0, "producer error %s",
	    evl_errname(sp.first_err));
	/* Value bytes are ~1.5% under the batch bytes the quota counts
	 * (record framing, batch headers). */
	cr_assert(rate >= 0.9 * MB && rate <= 1.1 * MB,
	    "%.3f MB/s under a 1 MB/s quota", rate / MB);
	/* Not slowed beyond noise.  The bounds are loose because the
	 * machine is shared (and sanitizers are slow), but a user caught
	 * by slow's quota would crawl at about 1 MB/s: 4 s for the 4 MiB. */
	cr_assert(beside >= alone / 3 && beside > 4.0 * MIB,
	    "fast reads %.1f MiB/s alone, %.1f MiB/s beside slow", alone / MIB,
	    beside / MIB);
	cr_assert(fast_ms < 2000, "fast took %llu ms for 4 MiB",
	    (unsigned long long) fast_ms);
}
