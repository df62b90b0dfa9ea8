/*
 * The store handle and recovery (storage/store.c, recover.c): options,
 * opening and creating directories, reopen finding everything, replay of
 * log entries the metadata missed, a log that a power cut shortened, and
 * a store of another format.
 */
#include "storage_testutil.h"

Test(store, options_and_bad_open)
{
	evls_options o;
	evls_store  *s = NULL;
	evls_options_init(&o);
	cr_assert_eq(o.fsync, EVLS_FSYNC_INTERVAL);
	cr_assert_eq(o.fsync_interval_ms, 1000);
	cr_assert_null(o.dir);
	evl_assert_err(evls_store_open(&s, &o), EVL_EINVAL);
	evl_assert_err(evls_store_open(&s, NULL), EVL_EINVAL);
	o.dir = "/proc/evlog-cannot-create";
	evl_assert_err(evls_store_open(&s, &o), EVL_EIO);
	cr_assert_null(s);
	evls_store_close(NULL);
}

Test(store, creates_nested_dir)
{
	char *dir = tu_mkdtemp();
	char  sub[256];
	snprintf(sub, sizeof(sub), "%s/a/b/c", dir);
	evls_store *s = tu_open(sub, EVLS_FSYNC_ALWAYS);
	evls_store_close(s);
	struct stat st;
	snprintf(sub, sizeof(sub), "%s/a/b/c/log", dir);
	cr_assert_eq(stat(sub, &st), 0);
	snprintf(sub, sizeof(sub), "%s/a/b/c/meta", dir);
	cr_assert_eq(stat(sub, &st), 0);
	tu_rmdir(dir);
}

Test(store, reopen_finds_everything)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_INTERVAL);
	evls_topic_config c;
	evls_topic_config_init(&c);
	c.partitions      = 3;
	c.retention_bytes = 12345;
	evl_assert_ok(evls_topic_create(s, "orders", &c));
	tu_create(s, "audit", 1);
	for (uint32_t p = 0; p < 3; p++)
		for (int i = 0; i < 4; i++)
			evl_assert_ok(tu_append(s, "orders", p, 10 + p, NULL));
	evl_assert_ok(tu_append(s, "audit", 0, 7, NULL));
	evls_group_offset go = { "orders", 2, 17, "x", 1 };
	evl_assert_ok(evls_group_commit(s, "billing", &go, 1));
	evls_store_close(s);

	s = tu_open(dir, EVLS_FSYNC_INTERVAL);
	evls_topic_entry *l;
	size_t            n;
	evl_assert_ok(evls_topic_list(s, &l, &n));
	cr_assert_eq(n, 2);
	cr_assert_str_eq(l[1].name, "orders");
	cr_assert_eq(l[1].config.partitions, 3);
	cr_assert_eq(l[1].config.retention_bytes, 12345);
	evls_topic_list_free(l, n);
	for (uint32_t p = 0; p < 3; p++) {
		tu_got g = { 0 };
		evl_assert_ok(
		    evls_read(s, "orders", p, 0, SIZE_MAX, tu_sink, &g, NULL));
		cr_assert_eq(g.batches, 4);
		cr_assert_eq(g.end, 4 * (10 + p));
	}
	int64_t off;
	evl_assert_ok(evls_group_fetch(s, "billing", "orders", 2, &off, NULL,
	    NULL));
	cr_assert_eq(off, 17);
	uint64_t base;
	evl_assert_ok(tu_append(s, "audit", 0, 1, &base));
	cr_assert_eq(base, 7, "offsets continue");
	tu_create(s, "third", 1);
	evls_store_close(s);
	tu_rmdir(dir);
}

/* The writer wrote the log but crashed before the metadata: open replays
 * the log into the index, and the heads come back. */
Test(store, replay_after_crash_between_log_and_meta)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_create(s, "t", 2);
	tu_create(s, "dead", 1);
	evl_assert_ok(tu_append(s, "t", 0, 5, NULL));
	evl_assert_ok(tu_append(s, "t", 1, 5, NULL));
	evls_store_test_hooks(s, EVLS_HOOK_SKIP_META);
	evl_assert_ok(tu_append(s, "t", 0, 3, NULL));
	evl_assert_ok(tu_append(s, "dead", 0, 3, NULL));
	evl_assert_ok(tu_append(s, "t", 1, 4, NULL));
	evl_assert_ok(tu_append(s, "t", 0, 2, NULL));
	evls_store_test_hooks(s, 0);
	/* Deleting "dead" leaves its unindexed log entry to replay. */
	evl_assert_ok(evls_topic_delete(s, "dead"));
	evls_store_close(s);

	s = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
	cr_assert_eq(info.next_offset, 10);
	evl_assert_ok(evls_partition_info_get(s, "t", 1, &info));
	cr_assert_eq(info.next_offset, 9);
	tu_got g = { 0 };
	evl_assert_ok(evls_read(s, "t", 0, 0, SIZE_MAX, tu_sink, &g, NULL));
	cr_assert_eq(g.batches, 3);
	cr_assert_eq(g.end, 10);
	uint64_t base;
	evl_assert_ok(tu_append(s, "t", 1, 1, &base));
	cr_assert_eq(base, 9);
	evls_store_close(s);

	leveldb_options_t *opt;
	leveldb_t         *db = tu_raw_open(dir, "log", &opt);
	cr_assert_eq(tu_raw_count(db), 6, "the orphan of \"dead\" is gone");
	tu_raw_close(db, opt);
	tu_rmdir(dir);
}

/* A power cut lost the log's tail after the metadata had seen it (fsync
 * NEVER): open drops the index entries of the lost batches and pulls the
 * head back, so offsets stay dense. */
Test(store, log_shortened_by_power_cut)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_create(s, "t", 1);
	for (int i = 0; i < 5; i++)
		evl_assert_ok(tu_append(s, "t", 0, 10, NULL));
	evls_store_close(s);

	leveldb_options_t      *opt;
	leveldb_t              *db = tu_raw_open(dir, "log", &opt);
	leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
	char                   *err = NULL;
	for (uint64_t seq = 4; seq <= 5; seq++) {
		uint8_t k[16] = { 0 };
		evlp_put_u64(k, seq);
		evlp_put_u32(k + 8, 1);
		leveldb_delete(db, wo, (char *) k, 16, &err);
		cr_assert_null(err);
	}
	leveldb_writeoptions_destroy(wo);
	tu_raw_close(db, opt);

	s = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(s, "t", 0, &info));
	cr_assert_eq(info.next_offset, 30);
	tu_got g = { 0 };
	evl_assert_ok(evls_read(s, "t", 0, 0, SIZE_MAX, tu_sink, &g, NULL));
	cr_assert_eq(g.end, 30);
	uint64_t base;
	evl_assert_ok(tu_append(s, "t", 0, 1, &base));
	cr_assert_eq(base, 30);
	evls_store_close(s);
	s = tu_open(dir, EVLS_FSYNC_NEVER);
	memset(&g, 0, sizeof(g));
	evl_assert_ok(evls_read(s, "t", 0, 0, SIZE_MAX, tu_sink, &g, NULL));
	cr_assert_eq(g.end, 31);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(store, other_format_is_refused)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_store_close(s);
	leveldb_options_t      *opt;
	leveldb_t              *db = tu_raw_open(dir, "meta", &opt);
	leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
	char                   *err = NULL;
	leveldb_put(db, wo, "S\x01", 2, "\0\0\0\x09", 4, &err);
	cr_assert_null(err);
	leveldb_writeoptions_destroy(wo);
	tu_raw_close(db, opt);
	evls_options o;
	evls_options_init(&o);
	o.dir = dir;
	s     = NULL;
	evl_assert_err(evls_store_open(&s, &o), EVL_EVERSION);
	cr_assert_null(s);
	tu_rmdir(dir);
}
