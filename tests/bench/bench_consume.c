/*
 * bench_consume.c -- `evlog-bench consume`: one reader reads --records
 * records of the topic from the beginning of every partition; with
 * --group, one member of a consumer group does (the join, its first
 * fetches and the final commit are inside the clock, as an application
 * pays for them).
 *
 * The clock runs from the first fetch to the last record in hand.  Every
 * record's payload is touched (its length summed), as an application
 * would, so nothing is counted that was not read.  When the topic holds
 * fewer records, the run fails once no record came for --timeout.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

/* What both ways of reading share: a source of records and its end. */
typedef struct source {
	evl_reader   *r;
	evl_consumer *k;
} source;

static int
source_open(const evlb_args *a, evl_client *c, source *src)
{
	int rv;
	if (a->group != NULL) {
		evl_consumer_opts ko;
		const char       *topics[] = { a->topic };
		evl_consumer_opts_init(&ko);
		ko.client_id         = "evlog-bench";
		ko.auto_offset_reset = EVL_RESET_EARLIEST;
		ko.auto_commit_ms    = 0; /* one commit, at the end */
		if ((rv = evl_consumer_open(
		         &src->k, c, a->group, topics, 1, &ko)) != 0)
			evlb_fail(c, rv, "join group %s", a->group);
		return rv;
	}
	evl_reader_opts ro;
	evl_reader_opts_init(&ro); /* the library's fetch size */
	if ((rv = evl_reader_open(&src->r, c, a->topic, &ro)) != 0) {
		evlb_fail(c, rv, "open a reader on %s", a->topic);
		return rv;
	}
	for (uint32_t p = 0; p < evl_reader_partitions(src->r); p++)
		if ((rv = evl_reader_seek(src->r, p, EVL_OFFSET_BEGINNING)) !=
		    0) {
			evlb_fail(c, rv, "seek %s/%u", a->topic, p);
			return rv;
		}
	return 0;
}

static int
source_next(source *src, const evl_record **rec, uint32_t timeout_ms)
{
	if (src->k != NULL)
		return evl_consumer_poll(src->k, rec, timeout_ms);
	return evl_reader_next(src->r, rec, timeout_ms);
}

int
evlb_consume_main(const evlb_args *a)
{
	evl_client          *c   = NULL;
	source               src = { NULL, NULL };
	const evl_record    *rec;
	atomic_uint_fast64_t n;
	uint64_t             bytes = 0;
	int                  rv, exit_code = EVLB_EXIT_FAIL;

	atomic_init(&n, 0);
	if (evlb_client_open(a, &c) != 0)
		return EVLB_EXIT_FAIL;
	if (source_open(a, c, &src) != 0)
		goto out;
	evlb_progress *prog =
	    evlb_progress_start(a, "consume", &n, a->records);
	uint64_t t0 = evlb_now_ns(), got = 0;
	while (got < a->records) {
		if ((rv = source_next(&src, &rec, a->timeout_ms)) != 0)
			break;
		bytes += rec->value_len;
		got++;
		if ((got & 1023) == 0)
			atomic_store_explicit(&n, got, memory_order_relaxed);
	}
	if (rv == 0 && src.k != NULL && (rv = evl_consumer_commit(src.k)) != 0)
		evlb_fail(c, rv, "commit group %s", a->group);
	double secs = (double) (evlb_now_ns() - t0) / 1e9;
	evlb_progress_stop(prog);
	if (rv != 0) {
		if (got < a->records)
			evlb_fail(c, rv, "read %s after %llu of %llu records",
			    a->topic, (unsigned long long) got,
			    (unsigned long long) a->records);
		goto out;
	}
	evlb_result res = { .op = "consume",
		.records        = got,
		.payload_bytes  = bytes,
		.seconds        = secs };
	evlb_report(a, &res);
	exit_code = EVLB_EXIT_OK;
out:
	evl_consumer_close(src.k);
	evl_reader_close(src.r);
	evl_client_close(c);
	return exit_code;
}
