/*
 * Committed group offsets (storage/offsets.c): commit, fetch, list,
 * delete, atomicity, errors, and reopen.
 */
#include "storage_testutil.h"

Test(offsets, commit_fetch_list_delete_reopen)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_INTERVAL);
	tu_create(s, "a", 2);
	tu_create(s, "b", 1);

	int64_t off;
	void   *meta;
	size_t  mlen;
	evl_assert_ok(evls_group_fetch(s, "g1", "a", 0, &off, &meta, &mlen));
	cr_assert_eq(off, -1, "nothing committed");
	cr_assert_null(meta);
	cr_assert_eq(mlen, 0);

	evls_group_offset o[] = {
		{ "a", 0, 10, "m0", 2 },
		{ "a", 1, 20, NULL, 0 },
		{ "b", 0, 30, "meta-b", 6 },
	};
	evl_assert_ok(evls_group_commit(s, "g1", o, 3));
	evl_assert_ok(evls_group_commit(s, "g2", o, 1));
	o[0].offset = 11;
	evl_assert_ok(evls_group_commit(s, "g1", o, 1));

	evl_assert_ok(evls_group_fetch(s, "g1", "a", 0, &off, &meta, &mlen));
	cr_assert_eq(off, 11, "the latest commit wins");
	cr_assert_eq(mlen, 2);
	cr_assert(memcmp(meta, "m0", 2) == 0);
	evlp_free(meta);
	evl_assert_ok(evls_group_fetch(s, "g1", "a", 1, &off, NULL, NULL));
	cr_assert_eq(off, 20);

	char **groups;
	size_t ng;
	evl_assert_ok(evls_group_list(s, &groups, &ng));
	cr_assert_eq(ng, 2);
	cr_assert_str_eq(groups[0], "g1");
	cr_assert_str_eq(groups[1], "g2");
	evls_group_list_free(groups, ng);

	evls_store_close(s);
	s = tu_open(dir, EVLS_FSYNC_INTERVAL);

	evls_group_entry *e;
	size_t            ne;
	evl_assert_ok(evls_group_offsets(s, "g1", &e, &ne));
	cr_assert_eq(ne, 3);
	cr_assert_str_eq(e[0].topic, "a");
	cr_assert_eq(e[0].partition, 0);
	cr_assert_eq(e[0].offset, 11);
	cr_assert_str_eq(e[1].topic, "a");
	cr_assert_eq(e[1].partition, 1);
	cr_assert_str_eq(e[2].topic, "b");
	cr_assert_eq(e[2].offset, 30);
	evls_group_entries_free(e, ne);
	evl_assert_ok(evls_group_fetch(s, "g1", "b", 0, &off, &meta, &mlen));
	cr_assert_eq(mlen, 6);
	cr_assert(memcmp(meta, "meta-b", 6) == 0);
	evlp_free(meta);

	evl_assert_ok(evls_group_delete(s, "g1"));
	evl_assert_err(evls_group_delete(s, "g1"), EVL_ENOGROUP);
	evl_assert_ok(evls_group_fetch(s, "g1", "a", 0, &off, NULL, NULL));
	cr_assert_eq(off, -1);
	evl_assert_ok(evls_group_offsets(s, "g1", &e, &ne));
	cr_assert_eq(ne, 0);
	evl_assert_ok(evls_group_fetch(s, "g2", "a", 0, &off, NULL, NULL));
	cr_assert_eq(off, 10, "other groups untouched");
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(offsets, prefix_groups_stay_apart)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_ALWAYS);
	tu_create(s, "t", 1);
	evls_group_offset o = { "t", 0, 1, NULL, 0 };
	evl_assert_ok(evls_group_commit(s, "ab", &o, 1));
	o.offset = 2;
	evl_assert_ok(evls_group_commit(s, "ab.", &o, 1));
	o.offset = 3;
	evl_assert_ok(evls_group_commit(s, "a", &o, 1));
	char **groups;
	size_t ng;
	evl_assert_ok(evls_group_list(s, &groups, &ng));
	cr_assert_eq(ng, 3);
	cr_assert_str_eq(groups[0], "a");
	cr_assert_str_eq(groups[1], "ab");
	cr_assert_str_eq(groups[2], "ab.");
	evls_group_list_free(groups, ng);
	evl_assert_ok(evls_group_delete(s, "ab"));
	int64_t off;
	evl_assert_ok(evls_group_fetch(s, "ab.", "t", 0, &off, NULL, NULL));
	cr_assert_eq(off, 2);
	evl_assert_ok(evls_group_fetch(s, "a", "t", 0, &off, NULL, NULL));
	cr_assert_eq(off, 3);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(offsets, errors_write_nothing)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	tu_create(s, "t", 2);
	char big[300];
	memset(big, 'g', 250);
	big[250] = '\0';
	evls_group_offset o[] = {
		{ "t", 0, 5, NULL, 0 },
		{ "t", 2, 6, NULL, 0 }, /* no such partition */
	};
	evl_assert_err(evls_group_commit(s, "g", o, 2), EVL_ENOPART);
	o[1].topic = "nope";
	evl_assert_err(evls_group_commit(s, "g", o, 2), EVL_ENOTOPIC);
	o[1].topic     = "t";
	o[1].partition = 1;
	o[1].offset    = -1;
	evl_assert_err(evls_group_commit(s, "g", o, 2), EVL_EINVAL);
	o[1].offset   = 1;
	o[1].meta_len = EVLS_GROUP_META_MAX + 1;
	o[1].meta     = big;
	evl_assert_err(evls_group_commit(s, "g", o, 2), EVL_EINVAL);
	evl_assert_err(evls_group_commit(s, "g", o, 0), EVL_EINVAL);
	evl_assert_err(evls_group_commit(s, "", o, 1), EVL_EBADNAME);
	evl_assert_err(evls_group_commit(s, big, o, 1), EVL_EBADNAME);
	evl_assert_err(evls_group_commit(s, NULL, o, 1), EVL_EBADNAME);

	int64_t off = 99;
	evl_assert_ok(evls_group_fetch(s, "g", "t", 0, &off, NULL, NULL));
	cr_assert_eq(off, -1, "the good entry of a failed commit is not there");
	char **groups;
	size_t ng;
	evl_assert_ok(evls_group_list(s, &groups, &ng));
	cr_assert_eq(ng, 0);
	evl_assert_err(evls_group_fetch(s, "g", "nope", 0, &off, NULL, NULL),
	    EVL_ENOTOPIC);
	evl_assert_err(evls_group_fetch(s, "g", "t", 9, &off, NULL, NULL),
	    EVL_ENOPART);
	evl_assert_err(evls_group_fetch(s, "", "t", 0, &off, NULL, NULL),
	    EVL_EBADNAME);
	evl_assert_err(evls_group_delete(s, "nope"), EVL_ENOGROUP);
	evl_assert_err(evls_group_delete(s, ""), EVL_EBADNAME);
	evls_store_close(s);
	tu_rmdir(dir);
}
