/*
 * bench_consume.c -- `evlog-bench consume`: one reader reads --records
 * records of the topic from the beginning of every partition.
 *
 * The clock runs from the first fetch to the last record in hand.  Every
 * record's payload is touched (its length summed), as an application
 * would, so nothing is counted that was not read.  When the topic holds
 * fewer records, the run fails once no record came for --timeout.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

int
evlb_consume_main(const evlb_args *a)
{
	evl_client          *c = NULL;
	evl_reader          *r = NULL;
	evl_reader_opts      ro;
	const evl_record    *rec;
	atomic_uint_fast64_t n;
	uint64_t             bytes = 0;
	int                  rv, exit_code = EVLB_EXIT_FAIL;

	atomic_init(&n, 0);
	if (evlb_client_open(a, &c) != 0)
		return EVLB_EXIT_FAIL;
	evl_reader_opts_init(&ro); /* the library's fetch size */
	if ((rv = evl_reader_open(&r, c, a->topic, &ro)) != 0) {
		evlb_fail(c, rv, "open a reader on %s", a->topic);
		goto out;
	}
	for (uint32_t p = 0; p < evl_reader_partitions(r); p++)
		if ((rv = evl_reader_seek(r, p, EVL_OFFSET_BEGINNING)) != 0) {
			evlb_fail(c, rv, "seek %s/%u", a->topic, p);
			goto out;
		}
	evlb_progress *prog =
	    evlb_progress_start(a, "consume", &n, a->records);
	uint64_t t0 = evlb_now_ns(), got = 0;
	while (got < a->records) {
		if ((rv = evl_reader_next(r, &rec, a->timeout_ms)) != 0)
			break;
		bytes += rec->value_len;
		got++;
		if ((got & 1023) == 0)
			atomic_store_explicit(&n, got, memory_order_relaxed);
	}
	double secs = (double) (evlb_now_ns() - t0) / 1e9;
	evlb_progress_stop(prog);
	if (rv != 0) {
		evlb_fail(c, rv, "read %s after %llu of %llu records", a->topic,
		    (unsigned long long) got,
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
	evl_reader_close(r);
	evl_client_close(c);
	return exit_code;
}
