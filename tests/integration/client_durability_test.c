/*
 * client_durability_test.c -- acknowledged means durable: an evlogd child
 * with --fsync always is killed with SIGKILL while producers run; after a
 * restart on the same data, every record whose produce was acknowledged
 * is readable at its acknowledged offset, with its value.
 */
#include <inttypes.h>
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

TestSuite(client_durability, .timeout = 240);

#define PRODUCERS 2
#define PARTS     3
#define MAX_RECS  (1u << 20)
#define KILL_AT   20000 /* acknowledged records before the kill */

struct acked {
	uint32_t part;
	uint64_t offset;
	int      err; /* -1: no report yet */
};

static struct acked *acks;
static atomic_uint    n_acked;

static void
on_delivery(void *arg, const evl_delivery *d)
{
	(void) arg;
	uint32_t i   = (uint32_t) (uintptr_t) d->opaque;
	acks[i].part = d->partition;
	acks[i].offset = d->offset;
	acks[i].err  = d->err;
	if (d->err == 0)
		atomic_fetch_add(&n_acked, 1);
}

struct worker {
	evl_client *c;
	uint32_t    first; /* record ids first, first + PRODUCERS, ... */
	atomic_bool stop;
	uint32_t    sent;
};

static void *
worker_main(void *arg)
{
	struct worker    *w = arg;
	evl_producer     *p;
	evl_producer_opts po;
	char              v[32];
	evl_producer_opts_init(&po);
	po.acks                = EVL_ACKS_WRITTEN;
	po.linger_ms           = 2;
	po.batch_bytes         = 16 * 1024;
	po.delivery_timeout_ms = 3000;
	po.on_delivery         = on_delivery;
	if (evl_producer_open(&p, w->c, &po) != 0)
		return NULL;
	for (uint32_t i = w->first; i < MAX_RECS && !atomic_load(&w->stop);
	     i += PRODUCERS) {
		int n = snprintf(v, sizeof(v), "rec-%u", i);
		evl_message m = { .topic = "durable",
			.partition       = EVL_PARTITION_ANY,
			.value           = v,
			.value_len       = (size_t) n,
			.opaque          = (void *) (uintptr_t) i };
		if (evl_produce(p, &m) != 0)
			break; /* the broker is gone and the buffer full */
		w->sent = i + PRODUCERS;
	}
	/* Reports every record: acknowledged before the kill, or failed. */
	(void) evl_producer_flush(p, 10000);
	evl_producer_close(p);
	return NULL;
}

static bool
enough_acked(void *arg)
{
	(void) arg;
	return atomic_load(&n_acked) >= KILL_AT;
}

Test(client_durability, sigkill_keeps_acknowledged_records)
{
	evlct_broker    b;
	evl_client_opts o;
	evl_client     *c;
	struct worker   w[PRODUCERS];
	pthread_t       th[PRODUCERS];
	char            dir[256];

	acks = malloc(MAX_RECS * sizeof(*acks));
	cr_assert(acks);
	for (uint32_t i = 0; i < MAX_RECS; i++)
		acks[i].err = -1;
	const char *args[] = { "--fsync", "always", NULL };
	cr_assert_eq(evlct_broker_start(&b, NULL, args), 0);
	snprintf(dir, sizeof(dir), "%s", b.dir);
	evl_client_opts_init(&o);
	o.url        = b.url;
	o.timeout_ms = 1000;
	evl_assert_ok(evl_client_open(&c, &o));
	evl_topic_config cfg;
	evl_topic_config_init(&cfg);
	cfg.partitions = PARTS;
	evl_assert_ok(evl_topic_create(c, "durable", &cfg));

	for (int i = 0; i < PRODUCERS; i++) {
		w[i].c     = c;
		w[i].first = (uint32_t) i;
		w[i].sent  = 0;
		atomic_init(&w[i].stop, false);
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	cr_assert(evlct_wait_until(enough_acked, NULL, 60000),
	    "only %u acknowledged", atomic_load(&n_acked));
	evlct_broker_kill(&b, SIGKILL);
	for (int i = 0; i < PRODUCERS; i++)
		atomic_store(&w[i].stop, true);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	evl_client_close(c);

	/* Restart on the same data and read every partition. */
	cr_assert_eq(evlct_broker_start(&b, dir, NULL), 0);
	o.url        = b.url;
	o.timeout_ms = 10000;
	evl_assert_ok(evl_client_open(&c, &o));
	evl_topic_info *t;
	evl_assert_ok(evl_topic_describe(c, "durable", &t));
	uint64_t heads[PARTS];
	for (uint32_t p = 0; p < PARTS; p++)
		heads[p] = t->partitions[p].next_offset;
	evl_topic_info_free(t, 1);

	/* offset -> record id, per partition. */
	uint32_t *ids[PARTS];
	for (uint32_t p = 0; p < PARTS; p++) {
		ids[p] = malloc((heads[p] + 1) * sizeof(uint32_t));
		cr_assert(ids[p]);
	}
	evl_reader       *r;
	const evl_record *rec;
	evl_assert_ok(evl_reader_open(&r, c, "durable", NULL));
	uint64_t total = 0;
	for (uint32_t p = 0; p < PARTS; p++) {
		evl_assert_ok(evl_reader_seek(r, p, 0));
		total += heads[p];
	}
	for (uint64_t k = 0; k < total; k++) {
		evl_assert_ok(evl_reader_next(r, &rec, 10000));
		cr_assert_lt(rec->offset, heads[rec->partition]);
		char v[32];
		cr_assert_lt(rec->value_len, sizeof(v));
		memcpy(v, rec->value, rec->value_len);
		v[rec->value_len] = '\0';
		unsigned id;
		cr_assert_eq(sscanf(v, "rec-%u", &id), 1);
		ids[rec->partition][rec->offset] = id;
	}
	evl_reader_close(r);

	uint32_t acked = 0, failed = 0;
	for (uint32_t i = 0; i < MAX_RECS; i++) {
		if (acks[i].err != 0)
			continue;
		acked++;
		uint32_t p = acks[i].part;
		cr_assert_lt(acks[i].offset, heads[p],
		    "record %u acknowledged at %u/%" PRIu64 " is lost", i, p,
		    acks[i].offset);
		cr_assert_eq(ids[p][acks[i].offset], i,
		    "offset %u/%" PRIu64 " holds record %u, not %u", p,
		    acks[i].offset, ids[p][acks[i].offset], i);
	}
	for (int k = 0; k < PRODUCERS; k++)
		for (uint32_t i = w[k].first; i < w[k].sent; i += PRODUCERS)
			if (acks[i].err > 0)
				failed++;
	cr_assert_geq(acked, KILL_AT);
	cr_log_info("%u acknowledged before the kill, %u failed after it",
	    acked, failed);
	for (uint32_t p = 0; p < PARTS; p++)
		free(ids[p]);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
	free(acks);
}
