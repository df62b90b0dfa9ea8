/*
 * handle_offsets.c -- COMMIT_OFFSETS and FETCH_OFFSETS.
 *
 * A member's commit (generation and member id) is checked by the group
 * coordinator: the whole request fails for an unknown group or member or
 * another generation, and each entry for a partition the member does not
 * own in that generation fails with EVL_ENOTOWNER.  A commit outside
 * membership (generation -1, empty member: tools, resets) is allowed
 * only while the group has no members.  The coordinator stays locked
 * from the check to the write, so no rebalance hands a partition on
 * between them.
 *
 * A commit is validated entry by entry; entries that fail (bad name,
 * unknown topic or partition, negative offset, metadata too large) carry
 * their error in the answer, and the valid ones are stored together, all
 * or none, in one store call.
 */
#include <string.h>

#include "acl.h"
#include "alloc.h"
#include "broker.h"
#include "dispatch.h"
#include "group.h"
#include "limit.h"
#include "msg.h"

int
evld_handle_commit_offsets(struct evld_req *r)
{
	evlp_commit_req    m, it;
	evlp_commit_entry  e;
	char               group[EVLD_NAME_MAX + 1];
	evls_group_offset *valid = NULL;
	uint16_t          *errs  = NULL;
	char              *names = NULL;
	size_t             nvalid = 0, names_len = 0, i;
	int                rv, commit_err = 0;
	bool               locked = false;

	if ((rv = evlp_commit_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = evld_name_copy(group, m.group)) != 0)
		return rv;
	/* A member commits with read; a commit outside membership moves
	 * the group's offsets under it (a reset): alter. */
	if ((rv = evld_authorize(r, EVLD_RES_GROUP, group,
	         m.generation == -1 && m.member.len == 0 ? EVLD_ACL_ALTER
	                                                 : EVLD_ACL_READ)) != 0)
		return rv;
	const struct evld_member *owner = NULL;
	if ((rv = evld_groups_commit_begin(r->b->groups, group, m.generation,
	         m.member, &owner)) != 0) {
		if (rv == EVL_EGROUPACTIVE)
			r->errmsg = "stop its members first: while it has "
			            "any, only they commit";
		if (rv == EVL_ELIMIT)
			return evld_limit_fail(r, EVLD_LIMIT_GROUPS);
		return rv;
	}
	locked = true;

	it = m;
	while (evlp_commit_req_next(&it, &e))
		names_len += e.topic.len + 1;
	if (m.count > 0) {
		valid = evlp_alloc(m.count * sizeof(*valid));
		errs  = evlp_zalloc(m.count * sizeof(*errs));
		names = evlp_alloc(names_len);
		if (valid == NULL || errs == NULL || names == NULL) {
			rv = EVL_ENOMEM;
			goto out;
		}
	}

	/* Validate each entry; the valid ones go to the store at once. */
	it            = m;
	char *name_at = names;
	for (i = 0; evlp_commit_req_next(&it, &e); i++) {
		char                topic[EVLD_NAME_MAX + 1];
		evls_partition_info info;
		int                 err = evld_name_copy(topic, e.topic);
		if (err == 0)
			err = evls_partition_info_get(
			    r->b->store, topic, e.partition, &info);
		if (err == 0 && e.offset < 0)
			err = EVL_EINVAL;
		if (err == 0 && e.metadata.len > EVLS_GROUP_META_MAX)
			err = EVL_ETOOBIG;
		if (err == 0 && owner != NULL &&
		    !evld_member_owns(owner, topic, e.partition))
			err = EVL_ENOTOWNER;
		errs[i] = (uint16_t) err;
		if (err != 0)
			continue;
		memcpy(name_at, topic, e.topic.len + 1);
		valid[nvalid].topic     = name_at;
		valid[nvalid].partition = e.partition;
		valid[nvalid].offset    = e.offset;
		valid[nvalid].meta      = e.metadata.p;
		valid[nvalid].meta_len  = e.metadata.len;
		name_at += e.topic.len + 1;
		nvalid++;
	}
	if (nvalid > 0)
		commit_err = evls_group_commit(r->b->store, group, valid, nvalid);
	evld_groups_commit_end(r->b->groups);
	locked = false;

	/* The answer echoes the request's topics: keep the request. */
	if ((rv = evld_resp_begin(r, 0)) != 0)
		goto out;
	EVLD_PUT(r->resp, rv, evlp_commit_resp_encode(w, m.count));
	it = m;
	for (i = 0; rv == 0 && evlp_commit_req_next(&it, &e); i++) {
		evlp_offset_entry res;
		memset(&res, 0, sizeof(res));
		res.topic     = e.topic;
		res.partition = e.partition;
		res.error     = errs[i] != 0 ? errs[i] : (uint16_t) commit_err;
		res.offset    = e.offset;
		EVLD_PUT(r->resp, rv, evlp_commit_result_encode(w, &res));
	}
out:
	if (locked)
		evld_groups_commit_end(r->b->groups);
	evlp_free(valid);
	evlp_free(errs);
	evlp_free(names);
	return rv;
}

/* Appends one FETCH_OFFSETS answer entry. */
static int
offset_put(struct evld_req *r, const char *group, evlp_view topic_v,
    uint32_t partition)
{
	char              topic[EVLD_NAME_MAX + 1];
	evlp_offset_entry res;
	void             *meta     = NULL;
	size_t            meta_len = 0;
	int64_t           off      = -1;
	int               rv       = 0;
	int               err      = evld_name_copy(topic, topic_v);

	if (err == 0)
		err = evls_group_fetch(r->b->store, group, topic, partition,
		    &off, &meta, &meta_len);
	if (err == EVL_ENOMEM) {
		rv = err;
		goto out;
	}
	memset(&res, 0, sizeof(res));
	res.topic        = topic_v;
	res.partition    = partition;
	res.error        = (uint16_t) err;
	res.offset       = err == 0 ? off : -1;
	res.metadata.p   = err == 0 ? meta : NULL;
	res.metadata.len = err == 0 ? meta_len : 0;
	EVLD_PUT(r->resp, rv, evlp_offset_entry_encode(w, &res));
out:
	evlp_free(meta);
	return rv;
}

int
evld_handle_fetch_offsets(struct evld_req *r)
{
	evlp_fetch_offsets_req m, it;
	evlp_topic_partition   tp;
	char                   group[EVLD_NAME_MAX + 1];
	int                    rv;

	if ((rv = evlp_fetch_offsets_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = evld_name_copy(group, m.group)) != 0)
		return rv;
	if ((rv = evld_authorize(r, EVLD_RES_GROUP, group, EVLD_ACL_READ)) != 0)
		return rv;
	if ((rv = evld_resp_begin(r, 0)) != 0)
		return rv;

	if (m.count > 0) {
		EVLD_PUT(r->resp, rv, evlp_fetch_offsets_resp_encode(w, m.count));
		it = m;
		while (rv == 0 && evlp_fetch_offsets_req_next(&it, &tp))
			rv = offset_put(r, group, tp.topic, tp.partition);
		return rv;
	}

	/* No pairs: every offset the group has committed. */
	evls_group_entry *list = NULL;
	size_t            n    = 0;
	if ((rv = evls_group_offsets(r->b->store, group, &list, &n)) != 0)
		return rv;
	/* The count is a u16 on the wire. */
	size_t shown = n > UINT16_MAX ? UINT16_MAX : n;
	EVLD_PUT(r->resp, rv,
	    evlp_fetch_offsets_resp_encode(w, (uint16_t) shown));
	for (size_t i = 0; rv == 0 && i < shown; i++) {
		evlp_view v = { (const uint8_t *) list[i].topic,
			strlen(list[i].topic) };
		rv = offset_put(r, group, v, list[i].partition);
	}
	evls_group_entries_free(list, n);
	return rv;
}
