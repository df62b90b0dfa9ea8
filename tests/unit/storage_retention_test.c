/*
 * Retention (storage/retention.c): trims by offset, age and bytes, the
 * straddling batch, the retention run, reopen after a trim, and a trim
 * interrupted between its counter write and its deletes.
 */
#include "storage_testutil.h"

/* Ten batches of 10 records (offsets 0..99) at times 1000, 1100, ... */
static evls_store *
store_with_batches(const char *dir, _Atomic int64_t *clock, size_t *blen)
{
	evls_options o;
	evls_store  *s;
	evls_options_init(&o);
	o.dir       = dir;
	o.fsync     = EVLS_FSYNC_NEVER;
	o.clock_ms  = tu_clock;
	o.clock_arg = clock;
	evl_assert_ok(evls_store_open(&s, &o));
	tu_create(s, "t", 1);
	for (int i = 0; i < 10; i++) {
		size_t      len;
		evls_append a = { .topic = "t" };
		atomic_store(clock, 1000 + 100 * i);
		a.batch = tu_batch(10, 100, 0, &len);
		a.len   = len;
		evl_assert_ok(evls_append_wait(s, &a));
		evlp_free(a.batch);
		*blen = len;
	}
	return s;
}

Test(retention, trim_below)
{
	char           *dir   = tu_mkdtemp();
	_Atomic int64_t clock = 0;
	size_t          blen;
	evls_store     *s = store_with_batches(dir, &clock, &blen);
	uint64_t        r, b;
	evls_partition_info info;

	evl_assert_ok(evls_trim_below(s, "t", 0, 25, &r, &b));
	cr_assert_eq(r, 25);
	cr_assert_eq(b, 2 * blen, "two whole batches deleted");
	evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
	cr_assert_eq(info.first_offset, 25, "exactly the cut");
	cr_assert_eq(info.records, 75);
	cr_assert_eq(info.bytes, 8 * blen);

	evl_assert_ok(evls_trim_below(s, "t", 0, 10, &r, &b));
	cr_assert_eq(r, 0, "already below first: nothing");
	cr_assert_eq(b, 0);
	evl_assert_err(evls_trim_below(s, "t", 0, 101, &r, &b), EVL_EOFFSET);
	evl_assert_err(evls_trim_below(s, "x", 0, 1, &r, &b), EVL_ENOTOPIC);
	evl_assert_err(evls_trim_below(s, "t", 1, 1, &r, &b), EVL_ENOPART);

	evls_store_close(s);
	s = tu_open(dir, EVLS_FSYNC_NEVER);
	evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
	cr_assert_eq(info.first_offset, 25, "trim survives reopen");
	cr_assert_eq(info.bytes, 8 * blen);
	tu_got g = { 0 };
	evl_assert_ok(evls_read(s, "t", 0, 25, SIZE_MAX, tu_sink, &g, NULL));
	cr_assert_eq(g.first_base, 20);
	cr_assert_eq(g.end, 100);

	/* Everything: the partition is empty and appends go on. */
	evl_assert_ok(evls_trim_below(s, "t", 0, 100, &r, &b));
	cr_assert_eq(r, 75);
	cr_assert_eq(b, 8 * blen);
	evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
	cr_assert_eq(info.records, 0);
	cr_assert_eq(info.bytes, 0);
	uint64_t base;
	evl_assert_ok(tu_append(s, "t", 0, 1, &base));
	cr_assert_eq(base, 100);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(retention, trim_older_and_bytes)
{
	char           *dir   = tu_mkdtemp();
	_Atomic int64_t clock = 0;
	size_t          blen;
	evls_store     *s = store_with_batches(dir, &clock, &blen);
	uint64_t        r, b;
	evls_partition_info info;

	evl_assert_ok(evls_trim_older(s, "t", 0, 1250, &r, &b));
	cr_assert_eq(r, 30, "batches at 1000, 1100, 1200");
	cr_assert_eq(b, 3 * blen);
	evl_assert_ok(evls_trim_older(s, "t", 0, 1250, &r, &b));
	cr_assert_eq(r, 0);

	evl_assert_ok(evls_trim_bytes(s, "t", 0, 4 * blen + 1, &r, &b));
	cr_assert_eq(r, 30);
	cr_assert_eq(b, 3 * blen);
	evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
	cr_assert_eq(info.first_offset, 60);
	cr_assert_eq(info.bytes, 4 * blen);
	evl_assert_ok(evls_trim_bytes(s, "t", 0, 4 * blen, &r, &b));
	cr_assert_eq(r, 0, "at the budget: nothing");
	evl_assert_ok(evls_trim_bytes(s, "t", 0, 0, &r, &b));
	cr_assert_eq(r, 40);
	evl_assert_err(evls_trim_bytes(s, "x", 0, 0, &r, &b), EVL_ENOTOPIC);
	evl_assert_err(evls_trim_older(s, "x", 0, 0, &r, &b), EVL_ENOTOPIC);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(retention, run_applies_each_topics_settings)
{
	char           *dir   = tu_mkdtemp();
	_Atomic int64_t clock = 0;
	size_t          blen;
	evls_store     *s = store_with_batches(dir, &clock, &blen);
	evls_topic_config c;
	evls_retention_stats st;

	/* "t" keeps 500 ms; "u" keeps 2 batches; "v" keeps everything. */
	evls_topic_config_init(&c);
	c.retention_ms = 500;
	evl_assert_ok(evls_topic_alter(s, "t", &c));
	evls_topic_config_init(&c);
	c.partitions      = 2;
	c.retention_bytes = (int64_t) (2 * blen);
	evl_assert_ok(evls_topic_create(s, "u", &c));
	tu_create(s, "v", 1);
	for (int i = 0; i < 5; i++) {
		evl_assert_ok(tu_append(s, "u", 1, 10, NULL));
		evl_assert_ok(tu_append(s, "v", 0, 10, NULL));
	}
	evl_assert_ok(evls_retention_run(s, 2000, &st));
	/* t: times 1000..1900, cut at 1500: 5 batches. u/1: 3 batches. */
	cr_assert_eq(st.records_removed, 50 + 30);
	cr_assert_eq(st.bytes_removed, 5 * blen + 3 * blen);
	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
	cr_assert_eq(info.first_offset, 50);
	evl_assert_ok(evls_partition_info_get(s, "u", 1, &info));
	cr_assert_eq(info.first_offset, 30);
	evl_assert_ok(evls_partition_info_get(s, "v", 0, &info));
	cr_assert_eq(info.first_offset, 0);
	evl_assert_ok(evls_retention_run(s, 2000, &st));
	cr_assert_eq(st.records_removed, 0, "nothing more to do");
	evls_store_close(s);
	tu_rmdir(dir);
}

/* A trim that wrote its new first offset and then crashed (the counters
 * say 40, the index and log still hold 0..39): open sweeps the rest. */
Test(retention, interrupted_trim_is_swept_on_open)
{
	char           *dir   = tu_mkdtemp();
	_Atomic int64_t clock = 0;
	size_t          blen;
	evls_store     *s = store_with_batches(dir, &clock, &blen);
	evls_store_close(s);

	/* Rewrite the counters by hand, as trim's first write does. */
	leveldb_options_t      *opt;
	leveldb_t              *db = tu_raw_open(dir, "meta", &opt);
	leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
	uint8_t                 k[9] = { 'P', 0, 0, 0, 1, 0, 0, 0, 0 };
	uint8_t                 v[32];
	char                   *err = NULL;
	evlp_put_u64(v, 40);
	evlp_put_u64(v + 8, 100);
	evlp_put_u64(v + 16, 6 * blen);
	evlp_put_u64(v + 24, 1900);
	leveldb_put(db, wo, (char *) k, 9, (char *) v, 32, &err);
	cr_assert_null(err);
	leveldb_writeoptions_destroy(wo);
	tu_raw_close(db, opt);

	s = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
	cr_assert_eq(info.first_offset, 40);
	tu_got g = { 0 };
	evl_assert_ok(evls_read(s, "t", 0, 40, SIZE_MAX, tu_sink, &g, NULL));
	cr_assert_eq(g.batches, 6);
	evls_store_close(s);
	db = tu_raw_open(dir, "log", &opt);
	cr_assert_eq(tu_raw_count(db), 6, "the 4 batches below were swept");
	tu_raw_close(db, opt);
	tu_rmdir(dir);
}
