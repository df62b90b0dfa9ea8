/*
 * msg_group.c -- consumer group bodies: committed offsets (COMMIT_OFFSETS,
 * FETCH_OFFSETS), membership (JOIN_GROUP, HEARTBEAT, LEAVE_GROUP) and the
 * LIST_GROUPS and DESCRIBE_GROUP responses.  Layouts are in PROTOCOL.md
 * ("Consumer groups").
 */
#include "msg_impl.h"

/* (str topic, u32 partition): fetch-offsets keys, assignments. */
#define TP_MIN (EVLP_STR_MIN + 4)

void
evlp_topic_partition_encode(evlp_wr *w, const evlp_topic_partition *tp)
{
	evlp_wr_str(w, tp->topic.p, tp->topic.len);
	evlp_wr_u32(w, tp->partition);
}

static void
tp_read(evlp_rd *r, void *out)
{
	evlp_topic_partition *tp = out;
	tp->topic                = evlp_rd_str(r);
	tp->partition            = evlp_rd_u32(r);
}

/* ---- COMMIT_OFFSETS --------------------------------------------------- */

/* str group, i32 generation, str member, u16 count, then count entries:
 * str topic, u32 partition, i64 offset, str metadata */
#define COMMIT_ENTRY_MIN (EVLP_STR_MIN + 4 + 8 + EVLP_STR_MIN)

void
evlp_commit_req_encode(evlp_wr *w, evlp_view group, int32_t generation,
    evlp_view member, uint16_t count)
{
	evlp_wr_str(w, group.p, group.len);
	evlp_wr_i32(w, generation);
	evlp_wr_str(w, member.p, member.len);
	evlp_wr_u16(w, count);
}

void
evlp_commit_entry_encode(evlp_wr *w, const evlp_commit_entry *e)
{
	evlp_wr_str(w, e->topic.p, e->topic.len);
	evlp_wr_u32(w, e->partition);
	evlp_wr_i64(w, e->offset);
	evlp_wr_str(w, e->metadata.p, e->metadata.len);
}

static void
commit_entry_read(evlp_rd *r, void *out)
{
	evlp_commit_entry *e = out;
	e->topic             = evlp_rd_str(r);
	e->partition         = evlp_rd_u32(r);
	e->offset            = evlp_rd_i64(r);
	e->metadata          = evlp_rd_str(r);
}

int
evlp_commit_req_decode(evlp_view body, evlp_commit_req *m)
{
	evlp_rd           r;
	evlp_commit_req   x;
	evlp_commit_entry scratch;
	evlp_rd_init(&r, body.p, body.len);
	x.group      = evlp_rd_str(&r);
	x.generation = evlp_rd_i32(&r);
	x.member     = evlp_rd_str(&r);
	x.count      = evlp_rd_u16(&r);
	evlp_list_take(&r, x.count, COMMIT_ENTRY_MIN, commit_entry_read,
	    &scratch, &x.entries_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_commit_req_next(evlp_commit_req *m, evlp_commit_entry *e)
{
	return evlp_list_next(&m->entries_, commit_entry_read, e);
}

/* Response: u16 count, then count results: str topic, u32 partition,
 * u16 error. */
#define COMMIT_RESULT_MIN (EVLP_STR_MIN + 4 + 2)

void
evlp_commit_resp_encode(evlp_wr *w, uint16_t count)
{
	evlp_wr_u16(w, count);
}

void
evlp_commit_result_encode(evlp_wr *w, const evlp_offset_entry *e)
{
	evlp_wr_str(w, e->topic.p, e->topic.len);
	evlp_wr_u32(w, e->partition);
	evlp_wr_u16(w, e->error);
}

static void
commit_result_read(evlp_rd *r, void *out)
{
	evlp_offset_entry *e = out;
	e->topic             = evlp_rd_str(r);
	e->partition         = evlp_rd_u32(r);
	e->error             = evlp_rd_u16(r);
	/* Not on the wire for a commit; filled so the struct is whole. */
	e->offset       = -1;
	e->metadata.p   = NULL;
	e->metadata.len = 0;
}

static int
offset_list_decode(evlp_view body, evlp_offset_list *m, size_t min_size,
    evlp_entry_read_fn read)
{
	evlp_rd           r;
	evlp_offset_list  x;
	evlp_offset_entry scratch;
	evlp_rd_init(&r, body.p, body.len);
	x.count = evlp_rd_u16(&r);
	evlp_list_take(&r, x.count, min_size, read, &scratch, &x.entries_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

int
evlp_commit_resp_decode(evlp_view body, evlp_offset_list *m)
{
	return offset_list_decode(
	    body, m, COMMIT_RESULT_MIN, commit_result_read);
}

bool
evlp_commit_resp_next(evlp_offset_list *m, evlp_offset_entry *e)
{
	return evlp_list_next(&m->entries_, commit_result_read, e);
}

/* ---- FETCH_OFFSETS ---------------------------------------------------- */

/* Request: str group, u16 count, then count (str topic, u32 partition). */
void
evlp_fetch_offsets_req_encode(evlp_wr *w, evlp_view group, uint16_t count)
{
	evlp_wr_str(w, group.p, group.len);
	evlp_wr_u16(w, count);
}

int
evlp_fetch_offsets_req_decode(evlp_view body, evlp_fetch_offsets_req *m)
{
	evlp_rd                r;
	evlp_fetch_offsets_req x;
	evlp_topic_partition   scratch;
	evlp_rd_init(&r, body.p, body.len);
	x.group = evlp_rd_str(&r);
	x.count = evlp_rd_u16(&r);
	evlp_list_take(&r, x.count, TP_MIN, tp_read, &scratch, &x.entries_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_fetch_offsets_req_next(
    evlp_fetch_offsets_req *m, evlp_topic_partition *tp)
{
	return evlp_list_next(&m->entries_, tp_read, tp);
}

/* Response: u16 count, then count entries: str topic, u32 partition,
 * u16 error, i64 offset, str metadata. */
#define OFFSET_ENTRY_MIN (EVLP_STR_MIN + 4 + 2 + 8 + EVLP_STR_MIN)

void
evlp_fetch_offsets_resp_encode(evlp_wr *w, uint16_t count)
{
	evlp_wr_u16(w, count);
}

void
evlp_offset_entry_encode(evlp_wr *w, const evlp_offset_entry *e)
{
	evlp_wr_str(w, e->topic.p, e->topic.len);
	evlp_wr_u32(w, e->partition);
	evlp_wr_u16(w, e->error);
	evlp_wr_i64(w, e->offset);
	evlp_wr_str(w, e->metadata.p, e->metadata.len);
}

static void
offset_entry_read(evlp_rd *r, void *out)
{
	evlp_offset_entry *e = out;
	e->topic             = evlp_rd_str(r);
	e->partition         = evlp_rd_u32(r);
	e->error             = evlp_rd_u16(r);
	e->offset            = evlp_rd_i64(r);
	e->metadata          = evlp_rd_str(r);
}

int
evlp_fetch_offsets_resp_decode(evlp_view body, evlp_offset_list *m)
{
	return offset_list_decode(body, m, OFFSET_ENTRY_MIN, offset_entry_read);
}

bool
evlp_fetch_offsets_resp_next(evlp_offset_list *m, evlp_offset_entry *e)
{
	return evlp_list_next(&m->entries_, offset_entry_read, e);
}

/* ---- JOIN_GROUP ------------------------------------------------------- */

/* Request: str group, str member, str client_id, u32 session_timeout_ms,
 * u32 rebalance_timeout_ms, u8 assignor, u16 count, then count
 * subscriptions: u8 kind, str pattern */
#define SUB_MIN (1 + EVLP_STR_MIN)

void
evlp_join_req_encode(evlp_wr *w, const evlp_join_req *m)
{
	evlp_wr_str(w, m->group.p, m->group.len);
	evlp_wr_str(w, m->member.p, m->member.len);
	evlp_wr_str(w, m->client_id.p, m->client_id.len);
	evlp_wr_u32(w, m->session_timeout_ms);
	evlp_wr_u32(w, m->rebalance_timeout_ms);
	evlp_wr_u8(w, m->assignor);
	evlp_wr_u16(w, m->count);
}

void
evlp_subscription_encode(evlp_wr *w, const evlp_subscription *s)
{
	evlp_wr_u8(w, s->kind);
	evlp_wr_str(w, s->pattern.p, s->pattern.len);
}

static void
sub_read(evlp_rd *r, void *out)
{
	evlp_subscription *s = out;
	s->kind              = evlp_rd_u8(r);
	s->pattern           = evlp_rd_str(r);
	if (r->err == 0 && s->kind > EVLP_SUB_GLOB)
		evlp_rd_fail(r, EVL_EINVAL);
}

int
evlp_join_req_decode(evlp_view body, evlp_join_req *m)
{
	evlp_rd           r;
	evlp_join_req     x;
	evlp_subscription scratch;
	evlp_rd_init(&r, body.p, body.len);
	x.group                = evlp_rd_str(&r);
	x.member               = evlp_rd_str(&r);
	x.client_id            = evlp_rd_str(&r);
	x.session_timeout_ms   = evlp_rd_u32(&r);
	x.rebalance_timeout_ms = evlp_rd_u32(&r);
	x.assignor             = evlp_rd_u8(&r);
	x.count                = evlp_rd_u16(&r);
	if (r.err == 0 && x.assignor > EVLP_ASSIGN_ROUNDROBIN)
		evlp_rd_fail(&r, EVL_EINVAL);
	evlp_list_take(&r, x.count, SUB_MIN, sub_read, &scratch, &x.subs_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_join_req_next(evlp_join_req *m, evlp_subscription *s)
{
	return evlp_list_next(&m->subs_, sub_read, s);
}

/* Response: i32 generation, str member, u32 heartbeat_interval_ms,
 * u16 count, then count (str topic, u32 partition). */
void
evlp_join_resp_encode(evlp_wr *w, const evlp_join_resp *m)
{
	evlp_wr_i32(w, m->generation);
	evlp_wr_str(w, m->member.p, m->member.len);
	evlp_wr_u32(w, m->heartbeat_interval_ms);
	evlp_wr_u16(w, m->count);
}

int
evlp_join_resp_decode(evlp_view body, evlp_join_resp *m)
{
	evlp_rd              r;
	evlp_join_resp       x;
	evlp_topic_partition scratch;
	evlp_rd_init(&r, body.p, body.len);
	x.generation            = evlp_rd_i32(&r);
	x.member                = evlp_rd_str(&r);
	x.heartbeat_interval_ms = evlp_rd_u32(&r);
	x.count                 = evlp_rd_u16(&r);
	evlp_list_take(&r, x.count, TP_MIN, tp_read, &scratch, &x.parts_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_join_resp_next(evlp_join_resp *m, evlp_topic_partition *tp)
{
	return evlp_list_next(&m->parts_, tp_read, tp);
}

/* ---- HEARTBEAT, LEAVE_GROUP ------------------------------------------- */

/* str group, str member, i32 generation */
void
evlp_member_req_encode(evlp_wr *w, const evlp_member_req *m)
{
	evlp_wr_str(w, m->group.p, m->group.len);
	evlp_wr_str(w, m->member.p, m->member.len);
	evlp_wr_i32(w, m->generation);
}

int
evlp_member_req_decode(evlp_view body, evlp_member_req *m)
{
	evlp_rd         r;
	evlp_member_req x;
	evlp_rd_init(&r, body.p, body.len);
	x.group      = evlp_rd_str(&r);
	x.member     = evlp_rd_str(&r);
	x.generation = evlp_rd_i32(&r);
	int rv       = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

/* ---- LIST_GROUPS ------------------------------------------------------ */

/* u32 count, then count entries: str group, str state, u32 members */
#define GROUP_ENTRY_MIN (EVLP_STR_MIN + EVLP_STR_MIN + 4)

void
evlp_group_list_encode(evlp_wr *w, uint32_t count)
{
	evlp_wr_u32(w, count);
}

void
evlp_group_entry_encode(evlp_wr *w, const evlp_group_entry *e)
{
	evlp_wr_str(w, e->group.p, e->group.len);
	evlp_wr_str(w, e->state.p, e->state.len);
	evlp_wr_u32(w, e->members);
}

static void
group_entry_read(evlp_rd *r, void *out)
{
	evlp_group_entry *e = out;
	e->group            = evlp_rd_str(r);
	e->state            = evlp_rd_str(r);
	e->members          = evlp_rd_u32(r);
}

int
evlp_group_list_decode(evlp_view body, evlp_group_list *m)
{
	evlp_rd          r;
	evlp_group_list  x;
	evlp_group_entry scratch;
	evlp_rd_init(&r, body.p, body.len);
	x.count = evlp_rd_u32(&r);
	evlp_list_take(&r, x.count, GROUP_ENTRY_MIN, group_entry_read,
	    &scratch, &x.entries_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_group_list_next(evlp_group_list *m, evlp_group_entry *e)
{
	return evlp_list_next(&m->entries_, group_entry_read, e);
}

/* ---- DESCRIBE_GROUP --------------------------------------------------- */

/*
 * str group, str state, i32 generation, u16 members, then each member:
 * str member, str client_id, u16 count, count (str topic, u32 partition);
 * then u32 partitions, and each row: str topic, u32 partition, str member,
 * i64 committed, u64 head.
 */
#define MEMBER_MIN    (EVLP_STR_MIN + EVLP_STR_MIN + 2)
#define GROUP_PART_MIN (EVLP_STR_MIN + 4 + EVLP_STR_MIN + 8 + 8)

void
evlp_group_desc_encode(evlp_wr *w, evlp_view group, evlp_view state,
    int32_t generation, uint16_t members)
{
	evlp_wr_str(w, group.p, group.len);
	evlp_wr_str(w, state.p, state.len);
	evlp_wr_i32(w, generation);
	evlp_wr_u16(w, members);
}

void
evlp_group_member_encode(evlp_wr *w, const evlp_group_member *m)
{
	evlp_wr_str(w, m->member.p, m->member.len);
	evlp_wr_str(w, m->client_id.p, m->client_id.len);
	evlp_wr_u16(w, m->count);
}

void
evlp_group_desc_partitions_encode(evlp_wr *w, uint32_t partitions)
{
	evlp_wr_u32(w, partitions);
}

void
evlp_group_partition_encode(evlp_wr *w, const evlp_group_partition *p)
{
	evlp_wr_str(w, p->topic.p, p->topic.len);
	evlp_wr_u32(w, p->partition);
	evlp_wr_str(w, p->member.p, p->member.len);
	evlp_wr_i64(w, p->committed);
	evlp_wr_u64(w, p->head);
}

/* A member and its nested assignment list, which evlp_list_take confines
 * to the member's own bytes. */
static void
group_member_read(evlp_rd *r, void *out)
{
	evlp_group_member   *m = out;
	evlp_topic_partition scratch;
	m->member    = evlp_rd_str(r);
	m->client_id = evlp_rd_str(r);
	m->count     = evlp_rd_u16(r);
	evlp_list_take(r, m->count, TP_MIN, tp_read, &scratch, &m->parts_);
}

static void
group_partition_read(evlp_rd *r, void *out)
{
	evlp_group_partition *p = out;
	p->topic                = evlp_rd_str(r);
	p->partition            = evlp_rd_u32(r);
	p->member               = evlp_rd_str(r);
	p->committed            = evlp_rd_i64(r);
	p->head                 = evlp_rd_u64(r);
}

int
evlp_group_desc_decode(evlp_view body, evlp_group_desc *m)
{
	evlp_rd              r;
	evlp_group_desc      x;
	evlp_group_member    member;
	evlp_group_partition part;
	evlp_rd_init(&r, body.p, body.len);
	x.group      = evlp_rd_str(&r);
	x.state      = evlp_rd_str(&r);
	x.generation = evlp_rd_i32(&r);
	x.members    = evlp_rd_u16(&r);
	evlp_list_take(&r, x.members, MEMBER_MIN, group_member_read, &member,
	    &x.members_);
	x.partitions = evlp_rd_u32(&r);
	evlp_list_take(&r, x.partitions, GROUP_PART_MIN, group_partition_read,
	    &part, &x.partitions_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_group_desc_next_member(evlp_group_desc *m, evlp_group_member *gm)
{
	return evlp_list_next(&m->members_, group_member_read, gm);
}

bool
evlp_group_member_next(evlp_group_member *gm, evlp_topic_partition *tp)
{
	return evlp_list_next(&gm->parts_, tp_read, tp);
}

bool
evlp_group_desc_next_partition(evlp_group_desc *m, evlp_group_partition *p)
{
	return evlp_list_next(&m->partitions_, group_partition_read, p);
}
