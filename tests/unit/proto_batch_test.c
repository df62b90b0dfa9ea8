/*
 * Record batch codec: round trips, every truncation, every single-byte
 * corruption, hostile lengths.  The layout is the table in batch.h.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "batch.h"
#include "crc32c.h"
#include "evl_test.h"

static size_t
build_sample(uint8_t *buf, size_t cap)
{
	evlp_batch_builder b;
	evlp_header        hdrs[2] = {
                { { (const uint8_t *) "trace", 5 }, { (const uint8_t *) "abc", 3 } },
                { { (const uint8_t *) "trace", 5 }, { (const uint8_t *) "", 0 } },
	};
	evlp_record_in r0 = { .key = "k0", .key_len = 2, .value = "v-zero",
		.value_len = 6, .timestamp = 1700000000000 };
	evlp_record_in r1 = { .value = "one", .value_len = 3,
		.headers = hdrs, .header_count = 2,
		.timestamp = 1699999999000 };
	evlp_record_in r2 = { .key = "", .key_len = 0, .value = NULL,
		.timestamp = 1700000005000, .attributes = EVLP_REC_SNAPSHOT };
	size_t size;
	evlp_batch_build_init(&b, buf, cap);
	evl_assert_ok(evlp_batch_build_add(&b, &r0));
	evl_assert_ok(evlp_batch_build_add(&b, &r1));
	evl_assert_ok(evlp_batch_build_add(&b, &r2));
	evl_assert_ok(evlp_batch_build_finish(&b, &size));
	return size;
}

Test(batch, round_trip)
{
	uint8_t        buf[512];
	size_t         n = build_sample(buf, sizeof(buf));
	evlp_batch_hdr h;
	evl_assert_ok(evlp_batch_check(buf, n, &h));
	cr_assert_eq(h.count, 3);
	cr_assert_eq(h.size, n);
	cr_assert_eq(h.first_timestamp, 1700000000000);
	cr_assert_eq(h.max_timestamp, 1700000005000);
	cr_assert_eq(h.producer_id, -1);

	evlp_batch_stamp(buf, 1000, 1234567);
	/* Stamping leaves the CRC valid: the stamped fields are outside. */
	evl_assert_ok(evlp_batch_check(buf, n, &h));
	cr_assert_eq(h.base_offset, 1000);

	evlp_batch_iter it;
	evlp_record     rec;
	evl_assert_ok(evlp_batch_iter_init(&it, buf, n));
	cr_assert(evlp_batch_next(&it, &rec));
	cr_assert_eq(rec.offset, 1000);
	cr_assert_eq(rec.append_time, 1234567);
	cr_assert(rec.has_key);
	cr_assert_eq(rec.key.len, 2);
	cr_assert_eq(memcmp(rec.value.p, "v-zero", 6), 0);
	cr_assert_eq(rec.timestamp, 1700000000000);
	cr_assert(evlp_batch_next(&it, &rec));
	cr_assert_eq(rec.offset, 1001);
	cr_assert_not(rec.has_key);
	cr_assert_eq(rec.timestamp, 1699999999000);
	cr_assert_eq(rec.header_count, 2);
	evlp_rd     hr;
	evlp_header hd;
	evlp_rd_init(&hr, rec.headers.p, rec.headers.len);
	cr_assert(evlp_header_next(&hr, &hd));
	cr_assert_eq(hd.value.len, 3);
	cr_assert(evlp_header_next(&hr, &hd));
	cr_assert_eq(hd.value.len, 0);
	cr_assert_not(evlp_header_next(&hr, &hd));
	cr_assert(evlp_batch_next(&it, &rec));
	cr_assert(rec.has_key);
	cr_assert_eq(rec.key.len, 0);
	cr_assert_not(rec.has_value);
	cr_assert_eq(rec.attributes, EVLP_REC_SNAPSHOT);
	cr_assert_not(evlp_batch_next(&it, &rec));
	cr_assert_eq(it.rd.err, 0);
}

Test(batch, every_truncation_is_an_error)
{
	uint8_t        buf[512];
	size_t         n = build_sample(buf, sizeof(buf));
	evlp_batch_hdr h;
	for (size_t len = 0; len < n; len++) {
		/* A copy of exactly len bytes, so ASan sees any overread. */
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, buf, len);
		cr_assert_neq(evlp_batch_check(p, len, &h), 0, "len %zu", len);
		free(p);
	}
}

Test(batch, every_byte_flip_is_caught)
{
	uint8_t        buf[512];
	size_t         n = build_sample(buf, sizeof(buf));
	evlp_batch_hdr h;
	for (size_t i = 0; i < n; i++) {
		if (i < 16)
			continue; /* broker-stamped, deliberately unchecked */
		buf[i] ^= 0x5a;
		cr_assert_neq(evlp_batch_check(buf, n, &h), 0, "byte %zu", i);
		buf[i] ^= 0x5a;
	}
	evl_assert_ok(evlp_batch_check(buf, n, &h));
}

Test(batch, wrong_crc_is_ecrc)
{
	uint8_t        buf[512];
	size_t         n = build_sample(buf, sizeof(buf));
	evlp_batch_hdr h;
	buf[n - 1] ^= 1;
	evl_assert_err(evlp_batch_check(buf, n, &h), EVL_ECRC);
}

/* Re-seals a hand-edited batch so the CRC does not hide a record bug. */
static void
reseal(uint8_t *buf, size_t n)
{
	evlp_put_u32(buf + 16, (uint32_t) (n - 20));
	evlp_put_u32(buf + 20,
	    evlp_crc32c(0, buf + EVLP_BATCH_CRC_START, n - EVLP_BATCH_CRC_START));
}

Test(batch, hostile_lengths_and_counts)
{
	uint8_t        buf[512];
	size_t         n = build_sample(buf, sizeof(buf));
	evlp_batch_hdr h;

	/* count larger than the records present */
	evlp_put_u32(buf + 28, 4);
	reseal(buf, n);
	evl_assert_err(evlp_batch_check(buf, n, &h), EVL_EPROTO);
	/* count of zero */
	evlp_put_u32(buf + 28, 0);
	reseal(buf, n);
	evl_assert_err(evlp_batch_check(buf, n, &h), EVL_EPROTO);
	evlp_put_u32(buf + 28, 3);
	reseal(buf, n);
	evl_assert_ok(evlp_batch_check(buf, n, &h));

	/* a length field claiming more than the buffer */
	evlp_put_u32(buf + 16, 0xffffffffu);
	evl_assert_err(evlp_batch_check(buf, n, &h), EVL_EPROTO);
	reseal(buf, n);

	/* trailing bytes after the last record */
	buf[n] = 0;
	reseal(buf, n + 1);
	evl_assert_err(evlp_batch_check(buf, n + 1, &h), EVL_EPROTO);

	/* first record's length varint made huge */
	reseal(buf, n);
	uint8_t save = buf[EVLP_BATCH_HEADER_SIZE];
	buf[EVLP_BATCH_HEADER_SIZE] = 0xff;
	reseal(buf, n);
	cr_assert_neq(evlp_batch_check(buf, n, &h), 0);
	buf[EVLP_BATCH_HEADER_SIZE] = save;

	/* another magic is a version error, compression not supported */
	buf[24] = 2;
	reseal(buf, n);
	evl_assert_err(evlp_batch_check(buf, n, &h), EVL_EVERSION);
	buf[24] = 1;
	buf[25] = 1;
	reseal(buf, n);
	evl_assert_err(evlp_batch_check(buf, n, &h), EVL_ENOTSUP);
}

Test(batch, builder_full_leaves_batch_valid)
{
	uint8_t            buf[200];
	uint8_t            big[100];
	evlp_batch_builder b;
	evlp_record_in     r = { .value = big, .value_len = sizeof(big) };
	size_t             n;
	memset(big, 'x', sizeof(big));
	evlp_batch_build_init(&b, buf, sizeof(buf));
	evl_assert_ok(evlp_batch_build_add(&b, &r));
	evl_assert_err(evlp_batch_build_add(&b, &r), EVL_ETOOBIG);
	cr_assert_eq(b.count, 1);
	evl_assert_ok(evlp_batch_build_finish(&b, &n));
	cr_assert_eq(n, EVLP_BATCH_HEADER_SIZE + evlp_record_size(&r, 0, 0));
	evlp_batch_hdr h;
	evl_assert_ok(evlp_batch_check(buf, n, &h));
	cr_assert_eq(h.count, 1);
}

Test(batch, empty_builder_cannot_finish)
{
	uint8_t            buf[100];
	evlp_batch_builder b;
	size_t             n;
	evlp_batch_build_init(&b, buf, sizeof(buf));
	evl_assert_err(evlp_batch_build_finish(&b, &n), EVL_EINVAL);
}

Test(batch, concatenated_batches_walk)
{
	uint8_t buf[1024];
	size_t  a = build_sample(buf, sizeof(buf));
	size_t  b = build_sample(buf + a, sizeof(buf) - a);
	evlp_rd rd;
	evlp_view      v;
	evlp_batch_hdr h;
	int            seen = 0;
	evlp_rd_init(&rd, buf, a + b);
	while (evlp_batches_next(&rd, &v, &h))
		seen++;
	cr_assert_eq(seen, 2);
	cr_assert_eq(rd.err, 0);
	/* cut in the middle of the second */
	evlp_rd_init(&rd, buf, a + b - 1);
	seen = 0;
	while (evlp_batches_next(&rd, &v, &h))
		seen++;
	cr_assert_eq(seen, 1);
	cr_assert_neq(rd.err, 0);
}

Test(errors, names_and_messages)
{
	cr_assert_str_eq(evl_errname(EVL_ENOTOPIC), "EVL_ENOTOPIC");
	cr_assert_str_eq(evl_strerror(EVL_OK), "success");
	cr_assert_str_eq(evl_strerror(9999), "unknown error");
	cr_assert_str_eq(evl_errname(-1), "EVL_UNKNOWN");
}

Test(alloc, fault_injection_countdown)
{
	evlp_alloc_fail_after(2);
	void *a = evlp_alloc(8), *b = evlp_alloc(8), *c = evlp_alloc(8);
	evlp_alloc_fail_after(-1);
	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_assert_null(c);
	evlp_free(a);
	evlp_free(b);
	void *d = evlp_alloc(8);
	cr_assert_not_null(d);
	evlp_free(d);
}

Test(batch, header_count_must_match_headers)
{
	/* Found by fuzz_batch: a header_count above the headers present
	 * was accepted when the headers filled the record. */
	uint8_t            buf[128];
	evlp_batch_builder b;
	evlp_header        h = { { (const uint8_t *) "a", 1 },
		       { (const uint8_t *) "b", 1 } };
	evlp_record_in     r = { .value = "v", .value_len = 1, .headers = &h,
		    .header_count = 1 };
	size_t             n;
	evlp_batch_hdr     hdr;
	evlp_batch_build_init(&b, buf, sizeof(buf));
	evl_assert_ok(evlp_batch_build_add(&b, &r));
	evl_assert_ok(evlp_batch_build_finish(&b, &n));
	/* length, attributes, ts delta, offset delta, key -1, value 1 'v',
	 * then the header count */
	size_t at = EVLP_BATCH_HEADER_SIZE + 7;
	cr_assert_eq(buf[at], 1);
	buf[at] = 2;
	reseal(buf, n);
	evl_assert_err(evlp_batch_check(buf, n, &hdr), EVL_EPROTO);
	buf[at] = 1;
	reseal(buf, n);
	evl_assert_ok(evlp_batch_check(buf, n, &hdr));
}
