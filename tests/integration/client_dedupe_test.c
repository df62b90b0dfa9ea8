/*
 * client_dedupe_test.c -- evlog-id dedupe windows through libevlog
 * against a real evlogd: the topic setting (create, describe, alter, bad
 * values), a record produced again within the window answered with its
 * original offset and not appended, the batching producer, a different
 * id or no window appended, and the window across a kill -9 and restart.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#include "client_util.h"
#include "evl_test.h"

TestSuite(client_dedupe, .timeout = 120);

static evl_client *
connect_url(const char *url)
{
	evl_client_opts o;
	evl_client     *c;
	evl_client_opts_init(&o);
	o.url = url;
	o.timeout_ms = 5000;
	evl_assert_ok(evl_client_open(&c, &o));
	return c;
}

/* Produces one record keyed key with evlog-id id (NULL: none). */
static int
produce_id(evl_client *c, const char *topic, const char *key, const char *id,
    const char *value, uint64_t *offset)
{
	evl_header  h = { "evlog-id", 8, id, id ? strlen(id) : 0 };
	evl_message m = { .topic = topic,
		.partition = EVL_PARTITION_ANY,
		.key = key,
		.key_len = strlen(key),
		.value = value,
		.value_len = strlen(value),
		.headers = &h,
		.header_count = id ? 1 : 0 };
	return evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, offset);
}

static uint64_t
records_in(evl_client *c, const char *topic)
{
	evl_topic_info *t;
	uint64_t        n = 0;
	evl_assert_ok(evl_topic_describe(c, topic, &t));
	for (size_t i = 0; i < t->partition_count; i++)
		n += t->partitions[i].records;
	evl_topic_info_free(t, 1);
	return n;
}

Test(client_dedupe, produce_twice_within_the_window)
{
	evlct_broker     b;
	evl_topic_config cfg;
	evl_topic_info  *t;
	uint64_t         o1, o2, o3;
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	evl_client *c = connect_url(b.url);

	evl_topic_config_init(&cfg);
	cfg.partitions = 3;
	cfg.dedupe_window_ms = 120000;
	evl_assert_ok(evl_topic_create(c, "pay", &cfg));
	evl_assert_ok(evl_topic_describe(c, "pay", &t));
	cr_assert_eq(t->config.dedupe_window_ms, 120000);
	evl_topic_info_free(t, 1);
	cfg.dedupe_window_ms = -5;
	evl_assert_err(evl_topic_create(c, "neg", &cfg), EVL_EINVAL);
	cr_assert(strstr(evl_client_errmsg(c), "dedupe") != NULL);

	evl_assert_ok(produce_id(c, "pay", "acct-1", "pay-1", "10", &o1));
	evl_assert_ok(produce_id(c, "pay", "acct-1", "pay-2", "20", &o2));
	cr_assert_eq(o2, o1 + 1);
	evl_assert_ok(produce_id(c, "pay", "acct-1", "pay-1", "10", &o3));
	cr_assert_eq(o3, o1, "the duplicate answers the original offset");
	cr_assert_eq(records_in(c, "pay"), 2);
	/* Without an id, records are always appended. */
	evl_assert_ok(produce_id(c, "pay", "acct-1", NULL, "30", &o3));
	evl_assert_ok(produce_id(c, "pay", "acct-1", NULL, "30", &o3));
	cr_assert_eq(records_in(c, "pay"), 4);
	/* An empty id is refused, with the broker's message. */
	evl_assert_err(
	    produce_id(c, "pay", "acct-1", "", "x", NULL), EVL_EINVAL);
	cr_assert(strstr(evl_client_errmsg(c), "evlog-id") != NULL);

	/* The batching producer: a record sent again after its delivery. */
	evl_producer     *p;
	evl_producer_opts po;
	evl_producer_opts_init(&po);
	evl_assert_ok(evl_producer_open(&p, c, &po));
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 20; i++) {
			char       id[16];
			evl_header h = { "evlog-id", 8, id, 0 };
			h.value_len
			    = (size_t) snprintf(id, sizeof(id), "b%d", i);
			evl_message m = { .topic = "pay",
				.partition = EVL_PARTITION_ANY,
				.key = id,
				.key_len = h.value_len,
				.value = "v",
				.value_len = 1,
				.headers = &h,
				.header_count = 1 };
			evl_assert_ok(evl_produce(p, &m));
		}
		evl_assert_ok(evl_producer_flush(p, 30000));
		cr_assert_eq(records_in(c, "pay"), 24);
	}
	evl_producer_close(p);

	/* Alter: off, and the same id is appended again. */
	cfg.dedupe_window_ms = 0;
	evl_assert_ok(
	    evl_topic_alter(c, "pay", &cfg, EVL_ALTER_DEDUPE_WINDOW));
	evl_assert_ok(evl_topic_describe(c, "pay", &t));
	cr_assert_eq(t->config.dedupe_window_ms, 0);
	evl_topic_info_free(t, 1);
	evl_assert_ok(produce_id(c, "pay", "acct-1", "pay-1", "10", &o3));
	cr_assert_neq(o3, o1);
	cr_assert_eq(records_in(c, "pay"), 25);
	cfg.dedupe_window_ms = -1;
	evl_assert_err(
	    evl_topic_alter(c, "pay", &cfg, EVL_ALTER_DEDUPE_WINDOW),
	    EVL_EINVAL);

	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

Test(client_dedupe, window_across_kill_9)
{
	evlct_broker b;
	char         dir[256], url[512];
	uint64_t     o1, o2;
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	snprintf(url, sizeof(url), "ipc://%s/evlogd.sock", dir);
	const char *args[] = { "--listen", url, NULL };
	cr_assert_eq(evlct_broker_start(&b, NULL, args), 0);
	char data_dir[256];
	snprintf(data_dir, sizeof(data_dir), "%s", b.dir);
	evl_client      *c = connect_url(url);
	evl_topic_config cfg;
	evl_topic_config_init(&cfg);
	cfg.dedupe_window_ms = 600000;
	evl_assert_ok(evl_topic_create(c, "once", &cfg));
	evl_assert_ok(produce_id(c, "once", "k", "only-once", "v", &o1));
	evl_client_close(c);

	evlct_broker_kill(&b, SIGKILL);
	cr_assert_eq(evlct_broker_start(&b, data_dir, args), 0);
	c = connect_url(url);
	evl_assert_ok(produce_id(c, "once", "k", "only-once", "v", &o2));
	cr_assert_eq(o2, o1);
	cr_assert_eq(records_in(c, "once"), 1);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}
