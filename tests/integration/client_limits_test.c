/*
 * client_limits_test.c -- the broker's --max-* limits through libevlog
 * against a real evlogd: each refusal is EVL_ELIMIT (EVL_ETOOBIG for a
 * record) with a message naming the option and its value, changes
 * nothing, and stops applying once there is room again.  Also the
 * existing --max-message-bytes and --max-outstanding, whose errors must
 * be as clear.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#include "client_util.h"
#include "evl_test.h"

TestSuite(client_limits, .timeout = 120);

/* A client of url; 0 keeps a default. */
static evl_client *
connect_to(const char *url, uint32_t connect_ms, uint32_t timeout_ms)
{
	evl_client_opts o;
	evl_client     *c;
	evl_client_opts_init(&o);
	o.url = url;
	if (connect_ms > 0)
		o.connect_timeout_ms = connect_ms;
	if (timeout_ms > 0)
		o.timeout_ms = timeout_ms;
	evl_assert_ok(evl_client_open(&c, &o));
	return c;
}

static void
assert_msg(evl_client *c, const char *want)
{
	cr_assert(strstr(evl_client_errmsg(c), want) != NULL,
	    "message \"%s\" does not name \"%s\"", evl_client_errmsg(c), want);
}

static size_t
topic_count(evl_client *c)
{
	evl_topic_info *list;
	size_t          n;
	evl_assert_ok(evl_topic_list(c, &list, &n));
	evl_topic_info_free(list, n);
	return n;
}

Test(client_limits, topics)
{
	evlct_broker b;
	const char  *args[] = { "--max-topics", "3", NULL };
	cr_assert_eq(evlct_broker_start(&b, NULL, args), 0);
	evl_client *c = connect_to(b.url, 5000, 0);

	evl_assert_ok(evl_topic_create(c, "t1", NULL));
	evl_assert_ok(evl_topic_create(c, "t2", NULL));
	evl_assert_ok(evl_topic_create(c, "t3", NULL));
	evl_assert_err(evl_topic_create(c, "t4", NULL), EVL_ELIMIT);
	assert_msg(c, "topic limit reached (--max-topics 3)");
	cr_assert_eq(topic_count(c), 3);

	/* (An auto-create by produce is checked in broker_limits_test:
	 * the client describes a topic before producing to it.) */
	evl_message m = { .topic = "t1", .value = "v", .value_len = 1 };
	evl_assert_ok(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, NULL));

	/* Room again after a delete. */
	evl_assert_ok(evl_topic_delete(c, "t2"));
	evl_assert_ok(evl_topic_create(c, "t4", NULL));
	evl_assert_err(evl_topic_create(c, "t6", NULL), EVL_ELIMIT);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

Test(client_limits, partitions)
{
	evlct_broker     b;
	evl_topic_config cfg;
	evl_topic_info  *t;
	const char      *args[] = { "--max-partitions", "8", NULL };
	cr_assert_eq(evlct_broker_start(&b, NULL, args), 0);
	evl_client *c = connect_to(b.url, 5000, 0);

	evl_topic_config_init(&cfg);
	cfg.partitions = 9;
	evl_assert_err(evl_topic_create(c, "wide", &cfg), EVL_ELIMIT);
	assert_msg(c, "9 partitions is over --max-partitions 8");
	evl_assert_err(evl_topic_describe(c, "wide", &t), EVL_ENOTOPIC);

	cfg.partitions = 4;
	evl_assert_ok(evl_topic_create(c, "wide", &cfg));
	cfg.partitions = 8;
	evl_assert_ok(evl_topic_alter(c, "wide", &cfg, EVL_ALTER_PARTITIONS));
	cfg.partitions = 100;
	evl_assert_err(evl_topic_alter(c, "wide", &cfg, EVL_ALTER_PARTITIONS),
	    EVL_ELIMIT);
	assert_msg(c, "100 partitions is over --max-partitions 8");
	evl_assert_ok(evl_topic_describe(c, "wide", &t));
	cr_assert_eq(t->config.partitions, 8);
	evl_topic_info_free(t, 1);
	evl_client_close(c);
	evlct_broker_stop(&b, true);

	/* Lowered below an existing topic's count: that topic keeps its
	 * partitions and its other settings can still change; growing it
	 * is refused. */
	const char *lower[] = { "--max-partitions", "2", NULL };
	char        dir[sizeof(b.dir)];
	memcpy(dir, b.dir, sizeof(dir));
	cr_assert_eq(evlct_broker_start(&b, dir, lower), 0);
	c                = connect_to(b.url, 5000, 0);
	cfg.retention_ms = 60000;
	evl_assert_ok(evl_topic_alter(c, "wide", &cfg, EVL_ALTER_RETENTION_MS));
	cfg.partitions = 9;
	evl_assert_err(evl_topic_alter(c, "wide", &cfg, EVL_ALTER_PARTITIONS),
	    EVL_ELIMIT);
	assert_msg(c, "--max-partitions 2");
	evl_client_close(c);
	evlct_broker_stop(&b, false);

	/* --default-partitions above the limit is a configuration error. */
	const char *bad[] = { "--max-partitions", "2", "--default-partitions",
		"3", NULL };
	cr_assert_neq(evlct_broker_start(&b, NULL, bad), 0);
}

Test(client_limits, record_bytes)
{
	evlct_broker b;
	uint64_t     off;
	static char  big[3000];
	const char  *args[] = { "--max-record-bytes", "1k", NULL };
	cr_assert_eq(evlct_broker_start(&b, NULL, args), 0);
	evl_client *c = connect_to(b.url, 5000, 0);
	evl_assert_ok(evl_topic_create(c, "rec", NULL));
	memset(big, 'x', sizeof(big));

	evl_message m = { .topic = "rec", .value = big, .value_len = 1024 };
	evl_assert_ok(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, &off));
	cr_assert_eq(off, 0);
	m.value_len = 1025;
	evl_assert_err(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, NULL),
	    EVL_ETOOBIG);
	assert_msg(c, "1025 bytes (key+value+headers), over "
	              "--max-record-bytes 1024");
	/* Key and headers count too. */
	evl_header h = { .name = "h", .name_len = 1, .value = big,
		.value_len = 300 };
	m.key       = big;
	m.key_len   = 400;
	m.value_len = 400;
	m.headers      = &h;
	m.header_count = 1;
	evl_assert_err(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, NULL),
	    EVL_ETOOBIG);
	assert_msg(c, "--max-record-bytes 1024");

	/* Nothing was appended: the next record is offset 1.  And a batch
	 * of small records well over the limit in total is fine. */
	evl_producer *p;
	evl_assert_ok(evl_producer_open(&p, c, NULL));
	evl_message small = { .topic = "rec", .partition = 0, .value = big,
		.value_len = 500 };
	for (int i = 0; i < 20; i++)
		evl_assert_ok(evl_produce(p, &small));
	evl_assert_ok(evl_producer_flush(p, 10000));
	evl_producer_close(p);
	evl_topic_info *t;
	evl_assert_ok(evl_topic_describe(c, "rec", &t));
	cr_assert_eq(t->partitions[0].next_offset, 21);
	evl_topic_info_free(t, 1);
	evl_client_close(c);
	evlct_broker_stop(&b, false);

	/* It must stay below --max-message-bytes. */
	const char *bad[] = { "--max-record-bytes", "2m",
		"--max-message-bytes", "1m", NULL };
	cr_assert_neq(evlct_broker_start(&b, NULL, bad), 0);
}

Test(client_limits, groups)
{
	evlct_broker     b;
	evl_group_offset off = { .topic = "g", .partition = 0, .offset = 0 };
	const char      *args[] = { "--max-groups", "2", NULL };
	cr_assert_eq(evlct_broker_start(&b, NULL, args), 0);
	evl_client *c = connect_to(b.url, 5000, 0);
	evl_assert_ok(evl_topic_create(c, "g", NULL));

	evl_assert_ok(evl_group_commit_offsets(c, "g1", &off, 1));
	evl_assert_ok(evl_group_commit_offsets(c, "g2", &off, 1));
	evl_assert_err(evl_group_commit_offsets(c, "g3", &off, 1), EVL_ELIMIT);
	assert_msg(c, "group limit reached (--max-groups 2)");
	/* Known groups go on committing. */
	off.offset = 0;
	evl_assert_ok(evl_group_commit_offsets(c, "g1", &off, 1));

	/* Joining a new group is refused the same way. */
	evl_consumer     *k;
	const evl_record *rec;
	const char       *topics[] = { "g" };
	evl_assert_ok(evl_consumer_open(&k, c, "g3", topics, 1, NULL));
	evl_assert_err(evl_consumer_poll(k, &rec, 2000), EVL_ELIMIT);
	evl_consumer_close(k);

	evl_group_info *list;
	size_t          n;
	evl_assert_ok(evl_group_list(c, &list, &n));
	cr_assert_eq(n, 2);
	evl_group_info_free(list, n);

	/* Room again after a delete. */
	evl_assert_ok(evl_group_delete(c, "g2"));
	evl_assert_ok(evl_group_commit_offsets(c, "g3", &off, 1));
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

struct opened {
	const char *url;
	evl_client *c;
};

/* A client can connect (the broker admits one more connection). */
static bool
can_open(void *arg)
{
	struct opened  *o = arg;
	evl_client_opts opts;
	evl_client_opts_init(&opts);
	opts.url                = o->url;
	opts.connect_timeout_ms = 300;
	return evl_client_open(&o->c, &opts) == 0;
}

Test(client_limits, connections)
{
	evlct_broker    b;
	evl_client_opts o;
	evl_client     *c3;
	const char     *args[] = { "--max-connections", "2", NULL };
	cr_assert_eq(evlct_broker_start(&b, NULL, args), 0);
	evl_client *c1 = connect_to(b.url, 5000, 0);
	evl_client *c2 = connect_to(b.url, 5000, 0);

	/* The third connection is closed as it comes: open fails within
	 * its connect timeout. */
	evl_client_opts_init(&o);
	o.url                = b.url;
	o.connect_timeout_ms = 1000;
	uint64_t t0          = evlct_now_ms();
	cr_assert_neq(evl_client_open(&c3, &o), 0);
	cr_assert_lt(evlct_now_ms() - t0, 4000);
	/* The two admitted ones are unaffected. */
	evl_assert_ok(evl_topic_create(c1, "ok", NULL));
	cr_assert_eq(topic_count(c2), 1);

	/* A closed connection makes room. */
	evl_client_close(c1);
	struct opened op = { b.url, NULL };
	cr_assert(evlct_wait_until(can_open, &op, 10000),
	    "no room after a connection closed");
	cr_assert_eq(topic_count(op.c), 1);
	evl_client_close(op.c);
	evl_client_close(c2);
	evlct_broker_stop(&b, false);
}

/* The two limits that existed before: their errors say what happened. */
Test(client_limits, message_bytes_and_outstanding)
{
	evlct_broker b;
	static char  big[80000];
	const char  *args[] = { "--max-message-bytes", "64k",
		"--max-outstanding", "1", NULL };
	cr_assert_eq(evlct_broker_start(&b, NULL, args), 0);
	evl_client *c = connect_to(b.url, 0, 3000);
	evl_assert_ok(evl_topic_create(c, "m", NULL));

	/* A request over --max-message-bytes: NNG drops the connection
	 * before the broker sees it, so the client reports the connection
	 * loss, within its timeout. */
	memset(big, 'x', sizeof(big));
	evl_message m = { .topic = "m", .value = big, .value_len = sizeof(big) };
	uint64_t    t0 = evlct_now_ms();
	int         rv = evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, NULL);
	evl_assert_err(rv, EVL_ECONNRESET);
	assert_msg(c, "the request was ");
	assert_msg(c, "over its --max-message-bytes");
	cr_assert_lt(evlct_now_ms() - t0, 8000);
	/* The client goes on after it. */
	m.value_len = 1000;
	evl_assert_ok(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, NULL));
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

/* Two threads creating topics over one connection. */
struct creator {
	evl_client *c;
	int         id;
	int         rv;
	char        err[256];
};

static void *
creator_main(void *arg)
{
	struct creator *k = arg;
	for (int i = 0; i < 20 && k->rv == 0; i++) {
		char name[16];
		snprintf(name, sizeof(name), "t%d-%d", k->id, i);
		if ((k->rv = evl_topic_create(k->c, name, NULL)) != 0)
			snprintf(k->err, sizeof(k->err), "create %s: %s", name,
			    evl_client_errmsg(k->c));
	}
	return NULL;
}

/* EVL_EBUSY is answered before the broker does anything, so the client
 * sends any request again after it, not only idempotent ones: here
 * topic creations from two threads that share the connection's one
 * outstanding slot.  Before, the loser of each collision failed with
 * EVL_EBUSY. */
Test(client_limits, busy_is_sent_again_whatever_the_op)
{
	evlct_broker   b;
	const char    *args[] = { "--max-outstanding", "1", NULL };
	struct creator k[2];
	pthread_t      th[2];
	cr_assert_eq(evlct_broker_start(&b, NULL, args), 0);
	evl_client *c = connect_to(b.url, 0, 10000);
	for (int i = 0; i < 2; i++) {
		k[i] = (struct creator) { .c = c, .id = i };
		cr_assert_eq(pthread_create(&th[i], NULL, creator_main, &k[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(k[i].rv, 0, "%s (%s)", evl_errname(k[i].rv), k[i].err);
	}
	cr_assert_eq(topic_count(c), 40);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}
