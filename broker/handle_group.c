/*
 * handle_group.c -- JOIN_GROUP, HEARTBEAT, LEAVE_GROUP, LIST_GROUPS,
 * DESCRIBE_GROUP, DELETE_GROUP: decode, check names and bounds, and hand
 * over to the coordinator (group.c, group_view.c).
 */
#include <string.h>

#include "acl.h"
#include "broker.h"
#include "dispatch.h"
#include "group.h"
#include "msg.h"

/* Checks a join's subscriptions: exact names must be topic names, globs
 * any non-empty pattern without NUL. */
static int
join_check(struct evld_req *r, const evlp_join_req *m)
{
	evlp_join_req     it = *m;
	evlp_subscription s;
	char              buf[EVLD_NAME_MAX + 1];
	if (m->count == 0) {
		r->errmsg = "a member subscribes to at least one topic";
		return EVL_EINVAL;
	}
	while (evlp_join_req_next(&it, &s)) {
		int rv = s.kind == EVLP_SUB_TOPIC ? evld_name_copy(buf, s.pattern)
		                                  : evld_str_copy(buf, s.pattern);
		if (rv != 0) {
			r->errmsg = "bad topic name or pattern in a subscription";
			return rv;
		}
	}
	if (m->session_timeout_ms < EVLD_SESSION_MIN_MS ||
	    m->session_timeout_ms > EVLD_SESSION_MAX_MS) {
		r->errmsg = "session_timeout_ms must be 100..300000";
		return EVL_EINVAL;
	}
	if (m->rebalance_timeout_ms == 0 ||
	    m->rebalance_timeout_ms > EVLD_REBALANCE_MAX_MS) {
		r->errmsg = "rebalance_timeout_ms must be 1..300000";
		return EVL_EINVAL;
	}
	if (m->member.len > EVLD_MEMBER_MAX) {
		r->errmsg = "unknown member id: rejoin with an empty one";
		return EVL_EUNKNOWNMEMBER;
	}
	if (m->client_id.len > 255) {
		r->errmsg = "client_id longer than 255 bytes";
		return EVL_EINVAL;
	}
	return 0;
}

/* Read on the group and on each topic subscribed by name.  Glob
 * subscriptions are not checked here: the topics they match that the
 * member may not read are left out of its assignment (group.c). */
static int
join_authorize(struct evld_req *r, const char *group, const evlp_join_req *m)
{
	evlp_join_req     it = *m;
	evlp_subscription s;
	char              topic[EVLD_NAME_MAX + 1];
	int               rv;
	if ((rv = evld_authorize(r, EVLD_RES_GROUP, group, EVLD_ACL_READ)) != 0)
		return rv;
	while (evlp_join_req_next(&it, &s)) {
		if (s.kind != EVLP_SUB_TOPIC ||
		    evld_name_copy(topic, s.pattern) != 0)
			continue;
		if ((rv = evld_authorize(
		         r, EVLD_RES_TOPIC, topic, EVLD_ACL_READ)) != 0)
			return rv;
	}
	return 0;
}

int
evld_handle_join_group(struct evld_req *r)
{
	evlp_join_req m;
	char          group[EVLD_NAME_MAX + 1];
	int           rv;
	if ((rv = evlp_join_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = evld_name_copy(group, m.group)) != 0)
		return rv;
	if ((rv = join_check(r, &m)) != 0)
		return rv;
	if ((rv = join_authorize(r, group, &m)) != 0)
		return rv;
	return evld_groups_join(r->b->groups, r, group, &m);
}

/* HEARTBEAT and LEAVE_GROUP share a body. */
static int
member_op(struct evld_req *r, bool leave)
{
	evlp_member_req m;
	char            group[EVLD_NAME_MAX + 1];
	int             rv;
	if ((rv = evlp_member_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = evld_name_copy(group, m.group)) != 0)
		return rv;
	if ((rv = evld_authorize(r, EVLD_RES_GROUP, group, EVLD_ACL_READ)) != 0)
		return rv;
	rv = leave ? evld_groups_leave(
	                 r->b->groups, group, m.member, m.generation)
	           : evld_groups_heartbeat(
	                 r->b->groups, group, m.member, m.generation);
	if (rv != 0)
		return rv;
	return evld_resp_reuse(r);
}

int
evld_handle_heartbeat(struct evld_req *r)
{
	return member_op(r, false);
}

int
evld_handle_leave_group(struct evld_req *r)
{
	return member_op(r, true);
}

int
evld_handle_list_groups(struct evld_req *r)
{
	int rv;
	if ((rv = evlp_empty_decode(r->body)) != 0)
		return rv;
	return evld_groups_list(r->b->groups, r);
}

int
evld_handle_describe_group(struct evld_req *r)
{
	evlp_name_req m;
	char          group[EVLD_NAME_MAX + 1];
	int           rv;
	if ((rv = evlp_name_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = evld_name_copy(group, m.name)) != 0)
		return rv;
	if ((rv = evld_authorize(
	         r, EVLD_RES_GROUP, group, EVLD_ACL_DESCRIBE)) != 0)
		return rv;
	return evld_groups_describe(r->b->groups, r, group);
}

int
evld_handle_delete_group(struct evld_req *r)
{
	evlp_name_req m;
	char          group[EVLD_NAME_MAX + 1];
	int           rv;
	if ((rv = evlp_name_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = evld_name_copy(group, m.name)) != 0)
		return rv;
	if ((rv = evld_authorize(r, EVLD_RES_GROUP, group, EVLD_ACL_DELETE)) != 0)
		return rv;
	if ((rv = evld_groups_delete(r->b->groups, group)) != 0) {
		if (rv == EVL_EGROUPACTIVE)
			r->errmsg = "stop its members first";
		return rv;
	}
	return evld_resp_reuse(r);
}
