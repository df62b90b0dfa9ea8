/*
 * Reads and offset-for-time (storage/log.c): byte limits, reading from the
 * middle of a batch, out-of-range offsets, sink errors, a corrupted stored
 * batch.
 */
#include "storage_testutil.h"

#include "keys.h"

/* Ten batches of 10 records: offsets 0..99. */
static evls_store *
ten_batches(const char *dir, size_t *batch_len)
{
	evls_store *s = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_create(s, "t", 1);
	for (int i = 0; i < 10; i++) {
		size_t      len;
		evls_append a = { .topic = "t" };
		a.batch       = tu_batch(10, 100, (uint64_t) i * 10, &len);
		a.len         = len;
		evl_assert_ok(evls_append_wait(s, &a));
		cr_assert_eq(a.base_offset, (uint64_t) i * 10);
		*batch_len = len;
		evlp_free(a.batch);
	}
	return s;
}

Test(log, round_trip_records)
{
	char       *dir = tu_mkdtemp();
	size_t      blen;
	evls_store *s = ten_batches(dir, &blen);
	tu_got      g = { 0 };
	evls_partition_info info;
	evl_assert_ok(evls_read(s, "t", 0, 0, SIZE_MAX, tu_sink, &g, &info));
	cr_assert_eq(g.batches, 10);
	cr_assert_eq(g.end, 100);
	cr_assert_eq(info.next_offset, 100);
	cr_assert_eq(info.first_offset, 0);
	cr_assert_eq(info.bytes, 10 * blen);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(log, byte_limits)
{
	char       *dir = tu_mkdtemp();
	size_t      blen;
	evls_store *s = ten_batches(dir, &blen);
	tu_got      g = { 0 };
	/* Too small for one batch: still one. */
	evl_assert_ok(evls_read(s, "t", 0, 0, 1, tu_sink, &g, NULL));
	cr_assert_eq(g.batches, 1);
	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_read(s, "t", 0, 0, 3 * blen, tu_sink, &g, NULL));
	cr_assert_eq(g.batches, 3);
	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_read(s, "t", 0, 0, 3 * blen - 1, tu_sink, &g, NULL));
	cr_assert_eq(g.batches, 2, "never past max_bytes after the first");
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(log, from_middle_of_a_batch)
{
	char       *dir = tu_mkdtemp();
	size_t      blen;
	evls_store *s = ten_batches(dir, &blen);
	tu_got      g = { 0 };
	evl_assert_ok(evls_read(s, "t", 0, 37, 2 * blen, tu_sink, &g, NULL));
	cr_assert_eq(g.first_base, 30, "the batch holding 37, whole");
	cr_assert_eq(g.end, 50);
	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_read(s, "t", 0, 99, SIZE_MAX, tu_sink, &g, NULL));
	cr_assert_eq(g.first_base, 90);
	cr_assert_eq(g.batches, 1);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(log, offset_errors)
{
	char       *dir = tu_mkdtemp();
	size_t      blen;
	evls_store *s = ten_batches(dir, &blen);
	tu_got      g = { 0 };
	evl_assert_ok(evls_read(s, "t", 0, 100, SIZE_MAX, tu_sink, &g, NULL));
	cr_assert_eq(g.batches, 0, "at the head: nothing, ok");
	evl_assert_err(evls_read(s, "t", 0, 101, SIZE_MAX, tu_sink, &g, NULL),
	    EVL_EOFFSET);
	evl_assert_err(evls_read(s, "x", 0, 0, SIZE_MAX, tu_sink, &g, NULL),
	    EVL_ENOTOPIC);
	evl_assert_err(evls_read(s, "t", 1, 0, SIZE_MAX, tu_sink, &g, NULL),
	    EVL_ENOPART);
	evl_assert_ok(evls_trim_below(s, "t", 0, 15, NULL, NULL));
	evl_assert_err(evls_read(s, "t", 0, 14, SIZE_MAX, tu_sink, &g, NULL),
	    EVL_EOFFSET);
	evl_assert_ok(evls_read(s, "t", 0, 15, SIZE_MAX, tu_sink, &g, NULL));
	cr_assert_eq(g.first_base, 10, "the straddling batch is served");
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(log, sink_error_stops_the_read)
{
	char       *dir = tu_mkdtemp();
	size_t      blen;
	evls_store *s = ten_batches(dir, &blen);
	tu_got      g = { .fail_after = 2 };
	evl_assert_err(evls_read(s, "t", 0, 0, SIZE_MAX, tu_sink, &g, NULL),
	    EVL_ELIMIT);
	cr_assert_eq(g.batches, 2);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(log, empty_partition)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_create(s, "t", 1);
	tu_got   g = { 0 };
	uint64_t off;
	evl_assert_ok(evls_read(s, "t", 0, 0, SIZE_MAX, tu_sink, &g, NULL));
	cr_assert_eq(g.batches, 0);
	evl_assert_err(evls_read(s, "t", 0, 1, SIZE_MAX, tu_sink, &g, NULL),
	    EVL_EOFFSET);
	evl_assert_ok(evls_offset_for_time(s, "t", 0, 0, &off));
	cr_assert_eq(off, 0);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(log, offset_for_time)
{
	char           *dir   = tu_mkdtemp();
	_Atomic int64_t clock = 0;
	evls_options    o;
	evls_store     *s;
	uint64_t        off;
	evls_options_init(&o);
	o.dir       = dir;
	o.clock_ms  = tu_clock;
	o.clock_arg = &clock;
	evl_assert_ok(evls_store_open(&s, &o));
	tu_create(s, "t", 1);
	/* Batch i (5 records, offsets 5i..5i+4) at time 1000 + 100 i; two
	 * batches share each time. */
	for (int i = 0; i < 40; i++) {
		atomic_store(&clock, 1000 + 100 * (i / 2));
		evl_assert_ok(tu_append(s, "t", 0, 5, NULL));
	}
	evl_assert_ok(evls_offset_for_time(s, "t", 0, 0, &off));
	cr_assert_eq(off, 0);
	evl_assert_ok(evls_offset_for_time(s, "t", 0, 1000, &off));
	cr_assert_eq(off, 0);
	evl_assert_ok(evls_offset_for_time(s, "t", 0, 1001, &off));
	cr_assert_eq(off, 10);
	evl_assert_ok(evls_offset_for_time(s, "t", 0, 1500, &off));
	cr_assert_eq(off, 50);
	evl_assert_ok(evls_offset_for_time(s, "t", 0, 2900, &off));
	cr_assert_eq(off, 190);
	evl_assert_ok(evls_offset_for_time(s, "t", 0, 2901, &off));
	cr_assert_eq(off, 200, "none: the head");
	for (int64_t ts = 900; ts < 3000; ts += 37) {
		evl_assert_ok(evls_offset_for_time(s, "t", 0, ts, &off));
		int64_t k = ts <= 1000 ? 0 : (ts - 1000 + 99) / 100;
		cr_assert_eq(off, (uint64_t) k * 10, "ts %lld", (long long) ts);
	}
	/* Never below the first offset. */
	evl_assert_ok(evls_trim_below(s, "t", 0, 23, NULL, NULL));
	evl_assert_ok(evls_offset_for_time(s, "t", 0, 0, &off));
	cr_assert_eq(off, 23);
	evl_assert_err(evls_offset_for_time(s, "u", 0, 0, &off), EVL_ENOTOPIC);
	evl_assert_err(evls_offset_for_time(s, "t", 3, 0, &off), EVL_ENOPART);
	evls_store_close(s);
	tu_rmdir(dir);
}

/* Overwrites the log entry of the batch holding offset 30 with garbage,
 * as a damaged disk would return it, through a raw LevelDB handle. */
static void
corrupt_batch(const char *dir, const uint8_t *garbage, size_t glen)
{
	leveldb_options_t     *opt;
	leveldb_t             *db = tu_raw_open(dir, "log", &opt);
	leveldb_readoptions_t *ro = leveldb_readoptions_create();
	leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
	leveldb_iterator_t    *it = leveldb_create_iterator(db, ro);
	char                  *err = NULL;
	int                    i   = 0;
	/* Single partition, ten batches in seq order: the fourth. */
	for (leveldb_iter_seek_to_first(it); i < 3; i++)
		leveldb_iter_next(it);
	size_t      klen;
	const char *k = leveldb_iter_key(it, &klen);
	uint64_t    seq;
	uint32_t    tid, part;
	cr_assert(evls_key_log_decode(k, klen, &seq, &tid, &part));
	cr_assert_eq(seq, 4, "seqs start at 1: the batch at offset 30");
	char key[EVLS_LOGKEY_SIZE];
	memcpy(key, k, klen);
	leveldb_iter_destroy(it);
	leveldb_put(db, wo, key, klen, (const char *) garbage, glen, &err);
	cr_assert_null(err);
	leveldb_writeoptions_destroy(wo);
	leveldb_readoptions_destroy(ro);
	tu_raw_close(db, opt);
}

Test(log, corrupted_batch_reads_back_ecorrupt)
{
	char       *dir = tu_mkdtemp();
	size_t      blen;
	evls_store *s = ten_batches(dir, &blen);
	evls_store_close(s);

	uint8_t garbage[300];
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t) (i * 131 + 7);
	corrupt_batch(dir, garbage, sizeof(garbage));
	s     = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_got g = { 0 };
	evl_assert_err(evls_read(s, "t", 0, 0, SIZE_MAX, tu_sink, &g, NULL),
	    EVL_ECORRUPT);
	cr_assert_eq(g.batches, 3, "the good batches before it");
	memset(&g, 0, sizeof(g));
	evl_assert_err(evls_read(s, "t", 0, 35, SIZE_MAX, tu_sink, &g, NULL),
	    EVL_ECORRUPT);
	evl_assert_ok(evls_read(s, "t", 0, 40, SIZE_MAX, tu_sink, &g, NULL));
	cr_assert_eq(g.batches, 6, "the rest still reads");
	evls_store_close(s);

	/* A well-formed batch whose payload bits flipped: the CRC. */
	uint8_t *b = tu_batch(10, 100, 30, &blen);
	evlp_batch_stamp(b, 30, 0);
	b[blen - 5] ^= 0x10;
	corrupt_batch(dir, b, blen);
	evlp_free(b);
	s = tu_open(dir, EVLS_FSYNC_NEVER);
	memset(&g, 0, sizeof(g));
	evl_assert_err(evls_read(s, "t", 0, 30, SIZE_MAX, tu_sink, &g, NULL),
	    EVL_ECORRUPT);
	evls_store_close(s);
	tu_rmdir(dir);
}
