/*
 * fuzz_batch -- the record batch checker and iterator on arbitrary bytes:
 * evlp_batch_check (what the broker runs on every produce), a record and
 * header walk (what a consumer runs), and the concatenated-batch walker.
 *
 * A batch that checks is rebuilt with the builder from its decoded
 * records and must decode to the same records.  The comparison is of
 * values, not bytes: a varint has several encodings and first/max
 * timestamps are the producer's to set, so two different byte strings
 * can hold the same batch.
 */
#include "fuzz_util.h"

#define MAX_HEADERS 64

/* Compares the records of two batches value by value. */
static void
same_records(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	evlp_batch_iter ia, ib;
	evlp_record     ra, rb;
	if (evlp_batch_iter_init(&ia, a, alen) != 0 ||
	    evlp_batch_iter_init(&ib, b, blen) != 0)
		fuzz_fail("rebuilt batch does not open");
	if (ia.hdr.count != ib.hdr.count ||
	    ia.hdr.producer_id != ib.hdr.producer_id ||
	    ia.hdr.producer_epoch != ib.hdr.producer_epoch ||
	    ia.hdr.base_sequence != ib.hdr.base_sequence)
		fuzz_fail("rebuilt batch header differs");
	while (evlp_batch_next(&ia, &ra)) {
		if (!evlp_batch_next(&ib, &rb))
			fuzz_fail("rebuilt batch is short");
		if (ra.timestamp != rb.timestamp ||
		    ra.attributes != rb.attributes ||
		    ra.has_key != rb.has_key || ra.key.len != rb.key.len ||
		    ra.has_value != rb.has_value ||
		    ra.value.len != rb.value.len ||
		    ra.header_count != rb.header_count ||
		    ra.headers.len != rb.headers.len ||
		    (ra.key.len && memcmp(ra.key.p, rb.key.p, ra.key.len)) ||
		    (ra.value.len &&
		        memcmp(ra.value.p, rb.value.p, ra.value.len)) ||
		    (ra.headers.len &&
		        memcmp(ra.headers.p, rb.headers.p, ra.headers.len)))
			fuzz_fail("rebuilt record differs");
	}
	if (ia.rd.err || evlp_batch_next(&ib, &rb))
		fuzz_fail("rebuilt batch is long");
}

/* Rebuilds a checked batch of len bytes from its records. */
static void
rebuild(const uint8_t *p, size_t len)
{
	evlp_batch_iter    it;
	evlp_record        rec;
	evlp_batch_builder b;
	evlp_header        hdrs[MAX_HEADERS];
	size_t             n;
	/* Rebased timestamp deltas can take up to 9 more bytes than the
	 * original's, and every record is at least 7 bytes: twice the size
	 * always holds the rebuilt batch. */
	size_t   cap = 2 * len;
	uint8_t *out = malloc(cap);
	evlp_batch_iter_init(&it, p, len);
	evlp_batch_build_init(&b, out, cap);
	evlp_batch_build_producer(&b, it.hdr.producer_id,
	    it.hdr.producer_epoch, it.hdr.base_sequence);
	while (evlp_batch_next(&it, &rec)) {
		evlp_rd        hr;
		evlp_record_in in = {
			.key          = rec.has_key ? (rec.key.p ? rec.key.p : p)
			                            : NULL,
			.key_len      = rec.key.len,
			.value        = rec.has_value
			           ? (rec.value.p ? rec.value.p : p)
			           : NULL,
			.value_len    = rec.value.len,
			.headers      = hdrs,
			.header_count = 0,
			.timestamp    = rec.timestamp,
			.attributes   = rec.attributes,
		};
		if (rec.header_count > MAX_HEADERS) {
			free(out);
			return;
		}
		evlp_rd_init(&hr, rec.headers.p, rec.headers.len);
		while (evlp_header_next(&hr, &hdrs[in.header_count]))
			in.header_count++;
		if (evlp_batch_build_add(&b, &in) != 0)
			fuzz_fail("a checked record does not rebuild");
	}
	if (evlp_batch_build_finish(&b, &n) != 0)
		fuzz_fail("rebuilt batch does not finish");
	evlp_batch_hdr h;
	if (evlp_batch_check(out, n, &h) != 0)
		fuzz_fail("rebuilt batch does not check");
	same_records(p, len, out, n);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	evlp_batch_hdr h;
	evlp_view      all = { data, size };
	if (evlp_batch_check(data, size, &h) == 0) {
		if (h.size != size)
			fuzz_fail("checked batch size differs from input");
		rebuild(data, size);
	}
	fuzz_walk_batch(data, size);
	fuzz_walk_batches(all);
	return 0;
}
