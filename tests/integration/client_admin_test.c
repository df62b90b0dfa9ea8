/*
 * client_admin_test.c -- topic administration through libevlog against a
 * real evlogd: create, list, describe, alter, delete, offsets for times,
 * and the broker's error messages in evl_client_errmsg.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#include "client_util.h"
#include "evl_test.h"

static evlct_broker broker;

static void
setup(void)
{
	cr_assert_eq(evlct_broker_start(&broker, NULL, NULL), 0,
	    "evlogd did not start");
}

static void
teardown(void)
{
	evlct_broker_stop(&broker, false);
}

TestSuite(client_admin, .init = setup, .fini = teardown, .timeout = 120);

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

Test(client_admin, round_trip)
{
	evl_client      *c = connect_client();
	evl_topic_config cfg;
	evl_topic_info  *list, *t;
	size_t           n;

	evl_topic_config_init(&cfg);
	cfg.partitions   = 3;
	cfg.retention_ms = 3600000;
	evl_assert_ok(evl_topic_create(c, "orders", &cfg));
	evl_assert_ok(evl_topic_create(c, "audit", NULL));

	/* Errors carry the broker's message. */
	evl_assert_err(evl_topic_create(c, "orders", &cfg), EVL_ETOPICEXISTS);
	cr_assert_str_neq(evl_client_errmsg(c), "");
	evl_assert_err(evl_topic_create(c, "bad name!", &cfg), EVL_EBADNAME);
	cr_assert_str_neq(evl_client_errmsg(c), "");
	cfg.partitions = 0;
	evl_assert_err(evl_topic_create(c, "zero", &cfg), EVL_EINVAL);

	evl_assert_ok(evl_topic_list(c, &list, &n));
	cr_assert_eq(n, 2);
	cr_assert_str_eq(list[0].name, "audit");
	cr_assert_str_eq(list[1].name, "orders");
	cr_assert_eq(list[0].config.partitions, 1);
	cr_assert_eq(list[0].config.retention_ms, -1);
	cr_assert_eq(list[1].config.partitions, 3);
	cr_assert_eq(list[1].config.retention_ms, 3600000);
	cr_assert_eq(list[1].config.retention_bytes, -1);
	cr_assert_null(list[1].partitions);
	evl_topic_info_free(list, n);

	/* Records show in describe. */
	evl_message m = { .topic = "orders",
		.partition       = 1,
		.value           = "x",
		.value_len       = 1 };
	for (int i = 0; i < 4; i++)
		evl_assert_ok(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, NULL));
	evl_assert_ok(evl_topic_describe(c, "orders", &t));
	cr_assert_str_eq(t->name, "orders");
	cr_assert_eq(t->partition_count, 3);
	cr_assert_eq(t->partitions[1].partition, 1);
	cr_assert_eq(t->partitions[1].first_offset, 0);
	cr_assert_eq(t->partitions[1].next_offset, 4);
	cr_assert_eq(t->partitions[1].records, 4);
	cr_assert_eq(t->partitions[0].next_offset, 0);
	evl_topic_info_free(t, 1);

	/* Alter: grow partitions, change retention. */
	evl_topic_config_init(&cfg);
	cfg.partitions      = 5;
	cfg.retention_bytes = 1 << 20;
	evl_assert_ok(evl_topic_alter(c, "orders", &cfg,
	    EVL_ALTER_PARTITIONS | EVL_ALTER_RETENTION_BYTES));
	evl_assert_ok(evl_topic_describe(c, "orders", &t));
	cr_assert_eq(t->partition_count, 5);
	cr_assert_eq(t->config.partitions, 5);
	cr_assert_eq(t->config.retention_bytes, 1 << 20);
	cr_assert_eq(t->config.retention_ms, 3600000, "unchanged");
	evl_topic_info_free(t, 1);
	/* The client's cached partition count followed the alter. */
	m.partition = 4;
	evl_assert_ok(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, NULL));
	evl_assert_err(evl_topic_alter(c, "orders", &cfg, 0), EVL_EINVAL);

	/* Offsets for times. */
	uint64_t off;
	evl_assert_ok(evl_offset_for_time(c, "orders", 1, EVL_TIME_LATEST, &off));
	cr_assert_eq(off, 4);
	evl_assert_ok(evl_offset_for_time(c, "orders", 1, 0, &off));
	cr_assert_eq(off, 0);
	int rv = evl_offset_for_time(c, "orders", 9, EVL_TIME_LATEST, &off);
	cr_assert(rv == EVL_ENOPART, "%s", evl_errname(rv));
	evl_assert_err(evl_offset_for_time(c, "nope", 0, 0, &off), EVL_ENOTOPIC);

	/* Delete. */
	evl_assert_ok(evl_topic_delete(c, "orders"));
	evl_assert_err(evl_topic_describe(c, "orders", &t), EVL_ENOTOPIC);
	cr_assert_str_neq(evl_client_errmsg(c), "");
	evl_assert_err(evl_topic_delete(c, "orders"), EVL_ENOTOPIC);
	evl_assert_ok(evl_topic_list(c, &list, &n));
	cr_assert_eq(n, 1);
	cr_assert_str_eq(list[0].name, "audit");
	evl_topic_info_free(list, n);
	/* A reader of a missing topic. */
	evl_reader *r;
	evl_assert_err(evl_reader_open(&r, c, "orders", NULL), EVL_ENOTOPIC);
	evl_client_close(c);
}

Test(client_admin, empty_list_and_bad_args)
{
	evl_client     *c = connect_client();
	evl_topic_info *list;
	size_t          n = 99;
	evl_assert_ok(evl_topic_list(c, &list, &n));
	cr_assert_eq(n, 0);
	evl_topic_info_free(list, n);
	evl_assert_err(evl_topic_create(c, "", NULL), EVL_EBADNAME);
	evl_assert_err(evl_topic_create(c, NULL, NULL), EVL_EBADNAME);
	evl_assert_err(evl_topic_list(c, NULL, &n), EVL_EINVAL);
	evl_topic_info_free(NULL, 0);
	evl_client_close(c);
	evl_client_close(NULL);
}
