/*
 * group_admin.c -- consumer group administration: list, describe,
 * delete, commits outside membership, one committed offset.  Reads and
 * commits are idempotent (re-sent after a reconnect); delete is not (a
 * re-sent delete would answer EVL_ENOGROUP for the group it deleted).
 */
#include <string.h>

#include "alloc.h"
#include "client_int.h"
#include "msg.h"
#include "ops.h"

static int
check_group(evl_client *c, const char *group)
{
	if (c == NULL)
		return EVL_EINVAL;
	evlc_clear_err(c);
	if (group == NULL || *group == '\0' || strlen(group) > 249)
		return evlc_fail(c, EVL_EBADNAME, "missing or too long group");
	return 0;
}

static void
empty_encode(evlp_wr *w, const void *arg)
{
	(void) w;
	(void) arg;
}

static void
name_encode(evlp_wr *w, const void *arg)
{
	evlp_name_req m = { evlp_view_str(arg) };
	evlp_name_req_encode(w, &m);
}

void
evl_group_info_free(evl_group_info *g, size_t n)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		evlp_free(g[i].group);
		evlp_free(g[i].state);
	}
	evlp_free(g);
}

int
evl_group_list(evl_client *c, evl_group_info **out, size_t *n)
{
	evlc_resp        resp = { 0 };
	evlp_group_list  gl;
	evlp_group_entry e;
	evl_group_info  *list = NULL;
	size_t           cnt  = 0;
	int              rv;
	if (c == NULL || out == NULL || n == NULL)
		return EVL_EINVAL;
	evlc_clear_err(c);
	rv = evlc_call(c, EVLP_OP_LIST_GROUPS, empty_encode, NULL, 0,
	    EVLC_IDEMPOTENT, &resp);
	if (rv != 0)
		goto out;
	if ((rv = evlp_group_list_decode(resp.body, &gl)) != 0) {
		rv = evlc_fail(c, EVL_EPROTO, "malformed LIST_GROUPS response");
		goto out;
	}
	if ((list = evlp_zalloc((gl.count + 1) * sizeof(*list))) == NULL) {
		rv = EVL_ENOMEM;
		goto out;
	}
	while (evlp_group_list_next(&gl, &e)) {
		list[cnt].group   = evlp_view_dup(e.group);
		list[cnt].state   = evlp_view_dup(e.state);
		list[cnt].members = e.members;
		cnt++;
		if (list[cnt - 1].group == NULL || list[cnt - 1].state == NULL) {
			rv = EVL_ENOMEM;
			goto out;
		}
	}
	*out = list;
	*n   = cnt;
	list = NULL;
out:
	evl_group_info_free(list, cnt);
	evlc_resp_fini(&resp);
	return rv;
}

void
evl_group_desc_free(evl_group_desc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; d->members != NULL && i < d->member_count; i++) {
		evl_group_member_info *m = &d->members[i];
		evlp_free(m->member);
		evlp_free(m->client_id);
		for (size_t j = 0; m->partitions && j < m->partition_count; j++)
			evlp_free((char *) m->partitions[j].topic);
		evlp_free(m->partitions);
	}
	evlp_free(d->members);
	for (size_t i = 0; d->partitions != NULL && i < d->partition_count;
	     i++) {
		evlp_free(d->partitions[i].topic);
		evlp_free(d->partitions[i].member);
	}
	evlp_free(d->partitions);
	evlp_free(d->group);
	evlp_free(d->state);
	evlp_free(d);
}

/* Copies a decoded description; EVL_ENOMEM leaves d partly filled (the
 * caller frees it). */
static int
desc_copy(evl_group_desc *d, evlp_group_desc *m)
{
	evlp_group_member    gm;
	evlp_group_partition gp;
	evlp_topic_partition tp;
	if ((d->group = evlp_view_dup(m->group)) == NULL ||
	    (d->state = evlp_view_dup(m->state)) == NULL)
		return EVL_ENOMEM;
	d->generation = m->generation;
	d->members    = evlp_zalloc((m->members + 1) * sizeof(*d->members));
	if (d->members == NULL)
		return EVL_ENOMEM;
	while (evlp_group_desc_next_member(m, &gm)) {
		evl_group_member_info *mi = &d->members[d->member_count++];
		mi->member    = evlp_view_dup(gm.member);
		mi->client_id = evlp_view_dup(gm.client_id);
		mi->partitions =
		    evlp_zalloc((gm.count + 1) * sizeof(*mi->partitions));
		if (mi->member == NULL || mi->client_id == NULL ||
		    mi->partitions == NULL)
			return EVL_ENOMEM;
		while (evlp_group_member_next(&gm, &tp)) {
			evl_topic_partition *p =
			    &mi->partitions[mi->partition_count++];
			p->partition = tp.partition;
			if ((p->topic = evlp_view_dup(tp.topic)) == NULL)
				return EVL_ENOMEM;
		}
	}
	d->partitions =
	    evlp_zalloc(((size_t) m->partitions + 1) * sizeof(*d->partitions));
	if (d->partitions == NULL)
		return EVL_ENOMEM;
	while (evlp_group_desc_next_partition(m, &gp)) {
		evl_group_partition_info *p =
		    &d->partitions[d->partition_count++];
		p->partition = gp.partition;
		p->committed = gp.committed;
		p->head      = gp.head;
		if ((p->topic = evlp_view_dup(gp.topic)) == NULL ||
		    (p->member = evlp_view_dup(gp.member)) == NULL)
			return EVL_ENOMEM;
	}
	return 0;
}

int
evl_group_describe(evl_client *c, const char *group, evl_group_desc **out)
{
	evlc_resp       resp = { 0 };
	evlp_group_desc m;
	evl_group_desc *d = NULL;
	int             rv;
	if ((rv = check_group(c, group)) != 0)
		return rv;
	if (out == NULL)
		return EVL_EINVAL;
	rv = evlc_call(c, EVLP_OP_DESCRIBE_GROUP, name_encode, group, 0,
	    EVLC_IDEMPOTENT, &resp);
	if (rv != 0)
		goto out;
	if ((rv = evlp_group_desc_decode(resp.body, &m)) != 0) {
		rv = evlc_fail(c, EVL_EPROTO, "malformed DESCRIBE_GROUP response");
		goto out;
	}
	if (EVLP_ALLOC_STRUCT(d) == NULL || (rv = desc_copy(d, &m)) != 0) {
		rv = EVL_ENOMEM;
		goto out;
	}
	*out = d;
	d    = NULL;
out:
	evl_group_desc_free(d);
	evlc_resp_fini(&resp);
	return rv;
}

int
evl_group_delete(evl_client *c, const char *group)
{
	evlc_resp resp = { 0 };
	int       rv;
	if ((rv = check_group(c, group)) != 0)
		return rv;
	rv = evlc_call(
	    c, EVLP_OP_DELETE_GROUP, name_encode, group, 0, 0, &resp);
	evlc_resp_fini(&resp);
	return rv;
}

/* ---- commits and committed offsets -------------------------------------- */

int
evlc_commit_call(evl_client *c, const evlc_commit_arg *a, int *errs)
{
	evlc_resp         resp = { 0 };
	evlp_offset_list  ol;
	evlp_offset_entry e;
	int               rv, first = 0;
	size_t            i = 0;
	rv = evlc_call(c, EVLP_OP_COMMIT_OFFSETS, evlc_commit_encode, a, 0,
	    EVLC_IDEMPOTENT, &resp);
	if (rv != 0)
		goto out;
	if ((rv = evlp_commit_resp_decode(resp.body, &ol)) != 0 ||
	    ol.count != a->n) {
		rv = evlc_fail(c, EVL_EPROTO, "malformed COMMIT_OFFSETS response");
		goto out;
	}
	while (evlp_commit_resp_next(&ol, &e)) {
		if (errs != NULL)
			errs[i] = e.error;
		if (e.error != 0 && first == 0)
			first = evlc_fail(c, e.error, "%.*s partition %u: %s",
			    (int) e.topic.len, (const char *) e.topic.p,
			    (unsigned) e.partition, evl_strerror(e.error));
		i++;
	}
	rv = first;
out:
	evlc_resp_fini(&resp);
	return rv;
}

void
evlc_commit_encode(evlp_wr *w, const void *arg)
{
	const evlc_commit_arg *a = arg;
	evlp_commit_req_encode(w, evlp_view_str(a->group), a->generation,
	    evlp_view_str(a->member), (uint16_t) a->n);
	for (size_t i = 0; i < a->n; i++) {
		evlp_commit_entry e = { evlp_view_str(a->topics[i]),
			a->partitions[i], a->offsets[i], { NULL, 0 } };
		evlp_commit_entry_encode(w, &e);
	}
}

int
evl_group_commit_offsets(
    evl_client *c, const char *group, evl_group_offset *offs, size_t n)
{
	evlc_commit_arg a;
	int             rv;
	if ((rv = check_group(c, group)) != 0)
		return rv;
	if (offs == NULL || n == 0 || n > UINT16_MAX)
		return evlc_fail(c, EVL_EINVAL, "1..65535 offsets to commit");
	memset(&a, 0, sizeof(a));
	a.group      = group;
	a.generation = -1;
	a.member     = "";
	a.n          = n;
	a.topics     = evlp_alloc(n * sizeof(*a.topics));
	a.partitions = evlp_alloc(n * sizeof(*a.partitions));
	a.offsets    = evlp_alloc(n * sizeof(*a.offsets));
	int *errs    = evlp_zalloc(n * sizeof(*errs));
	if (a.topics == NULL || a.partitions == NULL || a.offsets == NULL ||
	    errs == NULL) {
		rv = EVL_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (offs[i].topic == NULL || offs[i].offset < 0) {
			rv = evlc_fail(c, EVL_EINVAL, "entry %zu: bad offset", i);
			goto out;
		}
		a.topics[i]     = offs[i].topic;
		a.partitions[i] = offs[i].partition;
		a.offsets[i]    = offs[i].offset;
	}
	rv = evlc_commit_call(c, &a, errs);
	for (size_t i = 0; i < n; i++)
		offs[i].err = rv == 0 || errs[i] != 0 ? errs[i] : rv;
out:
	evlp_free((void *) a.topics);
	evlp_free(a.partitions);
	evlp_free(a.offsets);
	evlp_free(errs);
	return rv;
}

typedef struct fetch_one {
	const char *group;
	const char *topic;
	uint32_t    partition;
} fetch_one;

static void
fetch_one_encode(evlp_wr *w, const void *arg)
{
	const fetch_one     *f  = arg;
	evlp_topic_partition tp = { evlp_view_str(f->topic), f->partition };
	evlp_fetch_offsets_req_encode(w, evlp_view_str(f->group), 1);
	evlp_topic_partition_encode(w, &tp);
}

int
evl_group_committed(evl_client *c, const char *group, const char *topic,
    uint32_t partition, int64_t *offset)
{
	evlc_resp         resp = { 0 };
	evlp_offset_list  ol;
	evlp_offset_entry e;
	fetch_one         f = { group, topic, partition };
	int               rv;
	if ((rv = check_group(c, group)) != 0)
		return rv;
	if (topic == NULL || offset == NULL)
		return evlc_fail(c, EVL_EINVAL, "no topic or offset");
	rv = evlc_call(c, EVLP_OP_FETCH_OFFSETS, fetch_one_encode, &f, 0,
	    EVLC_IDEMPOTENT, &resp);
	if (rv != 0)
		goto out;
	if ((rv = evlp_fetch_offsets_resp_decode(resp.body, &ol)) != 0 ||
	    ol.count != 1 || !evlp_fetch_offsets_resp_next(&ol, &e)) {
		rv = evlc_fail(c, EVL_EPROTO, "malformed FETCH_OFFSETS response");
		goto out;
	}
	if (e.error != 0) {
		rv = evlc_fail(c, e.error, "%s partition %u: %s", topic,
		    (unsigned) partition, evl_strerror(e.error));
		goto out;
	}
	*offset = e.offset;
out:
	evlc_resp_fini(&resp);
	return rv;
}
