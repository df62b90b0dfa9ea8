/*
 * Topics (storage/topic.c): create, list, describe, alter, delete and each
 * of their errors; deletion is complete, survives a crash mid-sweep, and
 * a recreated name starts empty.
 */
#include "storage_testutil.h"

Test(topic, create_list_get)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_topic_config c, got;
	evls_topic_entry *l;
	size_t            n;

	evl_assert_ok(evls_topic_list(s, &l, &n));
	cr_assert_eq(n, 0);
	cr_assert_null(l);
	evls_topic_config_init(&c);
	cr_assert_eq(c.partitions, 1);
	cr_assert_eq(c.retention_ms, -1);
	cr_assert_eq(c.retention_bytes, -1);
	cr_assert_not(c.key_index);
	c.partitions   = 3;
	c.retention_ms = 60000;
	evl_assert_ok(evls_topic_create(s, "zeta", &c));
	c.partitions = 1;
	c.key_index  = true;
	evl_assert_ok(evls_topic_create(s, "alpha", &c));
	tu_create(s, "mid.dle_-1", 2);

	evl_assert_ok(evls_topic_list(s, &l, &n));
	cr_assert_eq(n, 3);
	cr_assert_str_eq(l[0].name, "alpha");
	cr_assert_str_eq(l[1].name, "mid.dle_-1");
	cr_assert_str_eq(l[2].name, "zeta");
	cr_assert(l[0].config.key_index);
	cr_assert_eq(l[2].config.partitions, 3);
	cr_assert_eq(l[2].config.retention_ms, 60000);
	evls_topic_list_free(l, n);
	evls_topic_list_free(NULL, 0);

	evl_assert_ok(evls_topic_get(s, "zeta", &got));
	cr_assert_eq(got.partitions, 3);
	evl_assert_err(evls_topic_get(s, "nope", &got), EVL_ENOTOPIC);

	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(s, "zeta", 2, &info));
	cr_assert_eq(info.partition, 2);
	cr_assert_eq(info.next_offset, 0);
	evl_assert_err(evls_partition_info_get(s, "zeta", 3, &info),
	    EVL_ENOPART);
	evl_assert_err(evls_partition_info_get(s, "nope", 0, &info),
	    EVL_ENOTOPIC);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(topic, create_errors_change_nothing)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_topic_config c;
	char              big[260];
	evls_topic_config_init(&c);
	memset(big, 'x', 250);
	big[250] = '\0';
	evl_assert_err(evls_topic_create(s, "", &c), EVL_EBADNAME);
	evl_assert_err(evls_topic_create(s, "a b", &c), EVL_EBADNAME);
	evl_assert_err(evls_topic_create(s, "a/b", &c), EVL_EBADNAME);
	evl_assert_err(evls_topic_create(s, big, &c), EVL_EBADNAME);
	evl_assert_err(evls_topic_create(s, NULL, &c), EVL_EBADNAME);
	c.partitions = 0;
	evl_assert_err(evls_topic_create(s, "t", &c), EVL_EINVAL);
	c.partitions = EVLS_MAX_PARTITIONS + 1;
	evl_assert_err(evls_topic_create(s, "t", &c), EVL_EINVAL);
	c.partitions   = 1;
	c.retention_ms = -2;
	evl_assert_err(evls_topic_create(s, "t", &c), EVL_EINVAL);
	c.retention_ms    = -1;
	c.retention_bytes = -5;
	evl_assert_err(evls_topic_create(s, "t", &c), EVL_EINVAL);
	evl_assert_err(evls_topic_create(s, "t", NULL), EVL_EINVAL);
	c.retention_bytes = -1;
	big[249]          = '\0';
	tu_create(s, big, 1);
	tu_create(s, "t", 1);
	evl_assert_err(evls_topic_create(s, "t", &c), EVL_ETOPICEXISTS);

	evls_topic_entry *l;
	size_t            n;
	evl_assert_ok(evls_topic_list(s, &l, &n));
	cr_assert_eq(n, 2);
	evls_topic_list_free(l, n);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(topic, alter)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_topic_config c, got;
	tu_create(s, "t", 2);
	evl_assert_ok(tu_append(s, "t", 1, 5, NULL));

	evls_topic_config_init(&c);
	c.partitions      = 4;
	c.retention_bytes = 1 << 20;
	evl_assert_ok(evls_topic_alter(s, "t", &c));
	evl_assert_ok(evls_topic_get(s, "t", &got));
	cr_assert_eq(got.partitions, 4);
	cr_assert_eq(got.retention_bytes, 1 << 20);
	uint64_t base;
	evl_assert_ok(tu_append(s, "t", 3, 2, &base));
	cr_assert_eq(base, 0, "new partitions start at 0");
	evl_assert_ok(tu_append(s, "t", 1, 1, &base));
	cr_assert_eq(base, 5, "old partitions keep their data");

	c.partitions = 3;
	evl_assert_err(evls_topic_alter(s, "t", &c), EVL_EINVAL);
	c.partitions = 4;
	c.key_index  = true;
	evl_assert_err(evls_topic_alter(s, "t", &c), EVL_EINVAL);
	c.key_index    = false;
	c.retention_ms = -3;
	evl_assert_err(evls_topic_alter(s, "t", &c), EVL_EINVAL);
	c.retention_ms = -1;
	evl_assert_err(evls_topic_alter(s, "nope", &c), EVL_ENOTOPIC);
	evl_assert_ok(evls_topic_get(s, "t", &got));
	cr_assert_eq(got.partitions, 4, "errors changed nothing");
	cr_assert_eq(got.retention_bytes, 1 << 20);

	/* key_index: partitions fixed, retention still alterable. */
	evls_topic_config_init(&c);
	c.key_index = true;
	evl_assert_ok(evls_topic_create(s, "es", &c));
	c.partitions = 2;
	evl_assert_err(evls_topic_alter(s, "es", &c), EVL_ESTREAMS);
	c.partitions   = 1;
	c.retention_ms = 1000;
	evl_assert_ok(evls_topic_alter(s, "es", &c));

	evls_store_close(s);
	s = tu_open(dir, EVLS_FSYNC_NEVER);
	evl_assert_ok(evls_topic_get(s, "t", &got));
	cr_assert_eq(got.partitions, 4);
	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(s, "t", 3, &info));
	cr_assert_eq(info.next_offset, 2);
	evl_assert_ok(evls_topic_get(s, "es", &got));
	cr_assert_eq(got.retention_ms, 1000);
	evls_store_close(s);
	tu_rmdir(dir);
}

/* Entries of the raw log and meta databases (the store closed). */
static void
raw_counts(const char *dir, size_t *log, size_t *meta)
{
	leveldb_options_t *opt;
	leveldb_t         *db = tu_raw_open(dir, "log", &opt);
	*log                  = tu_raw_count(db);
	tu_raw_close(db, opt);
	db    = tu_raw_open(dir, "meta", &opt);
	*meta = tu_raw_count(db);
	tu_raw_close(db, opt);
}

Test(topic, delete_removes_everything)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	size_t      log0, meta0, log1, meta1;
	tu_create(s, "keep", 1);
	evl_assert_ok(tu_append(s, "keep", 0, 3, NULL));
	evls_store_close(s);
	raw_counts(dir, &log0, &meta0);

	s = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_create(s, "gone", 3);
	for (uint32_t p = 0; p < 3; p++)
		for (int i = 0; i < 5; i++)
			evl_assert_ok(tu_append(s, "gone", p, 4, NULL));
	evls_group_offset go = { .topic = "gone", .offset = 3 };
	evl_assert_ok(evls_group_commit(s, "g", &go, 1));
	evl_assert_ok(evls_topic_delete(s, "gone"));
	evl_assert_err(evls_topic_delete(s, "gone"), EVL_ENOTOPIC);
	evl_assert_err(evls_topic_delete(s, NULL), EVL_ENOTOPIC);
	evl_assert_err(tu_append(s, "gone", 0, 1, NULL), EVL_ENOTOPIC);
	tu_got g = { 0 };
	evl_assert_err(evls_read(s, "gone", 0, 0, SIZE_MAX, tu_sink, &g, NULL),
	    EVL_ENOTOPIC);
	char **groups;
	size_t ng;
	evl_assert_ok(evls_group_list(s, &groups, &ng));
	cr_assert_eq(ng, 0, "its group offsets went with it");

	/* Same name again: a new, empty topic. */
	tu_create(s, "gone", 1);
	evls_partition_info info;
	evl_assert_ok(evls_partition_info_get(s, "gone", 0, &info));
	cr_assert_eq(info.next_offset, 0);
	evl_assert_ok(evls_topic_delete(s, "gone"));
	evls_store_close(s);

	raw_counts(dir, &log1, &meta1);
	cr_assert_eq(log1, log0, "no batch left behind");
	/* meta: only the next-topic-id and applied markers changed value,
	 * no key was added. */
	cr_assert_eq(meta1, meta0);
	tu_rmdir(dir);
}

Test(topic, delete_interrupted_is_finished_on_open)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	size_t      log, meta;
	tu_create(s, "t", 2);
	for (int i = 0; i < 10; i++)
		evl_assert_ok(tu_append(s, "t", (uint32_t) i % 2, 3, NULL));
	evls_store_test_hooks(s, EVLS_HOOK_STOP_DELETE);
	evl_assert_ok(evls_topic_delete(s, "t"));
	evls_store_close(s);
	raw_counts(dir, &log, &meta);
	cr_assert_eq(log, 10, "the crash left the batches");

	s = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_topic_config c;
	evl_assert_err(evls_topic_get(s, "t", &c), EVL_ENOTOPIC);
	evls_store_close(s);
	raw_counts(dir, &log, &meta);
	cr_assert_eq(log, 0, "open finished the sweep");
	/* version, applied, next tid: nothing of the topic is left */
	cr_assert_eq(meta, 3);
	tu_rmdir(dir);
}
