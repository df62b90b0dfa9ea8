/*
 * fuzz_frame -- what the broker does with a message from the network:
 * decode the frame, then hand the body to the request decoder its op
 * names, and walk every entry.  Whatever decodes is re-encoded (frame
 * header and body) and must match the input byte for byte.
 */
#include "frame.h"
#include "fuzz_util.h"
#include "msg.h"
#include "ops.h"

static void
produce(evlp_view body)
{
	evlp_produce_req m;
	evlp_wr          w;
	if (evlp_produce_req_decode(body, &m) != 0)
		return;
	evlp_batch_hdr h;
	if (evlp_batch_check(m.batch.p, m.batch.len, &h) == 0 &&
	    h.size != m.batch.len)
		fuzz_fail("batch_check accepted a partial batch");
	fuzz_walk_batch(m.batch.p, m.batch.len);
	fuzz_wr_open(&w, body);
	evlp_produce_req_encode(&w, &m);
	fuzz_wr_check(&w, body, "produce request");
}

static void
fetch(evlp_view body)
{
	evlp_fetch_req  m;
	evlp_fetch_part p;
	evlp_wr         w;
	if (evlp_fetch_req_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_fetch_req_encode(&w, m.max_wait_ms, m.max_bytes, m.count);
	uint32_t n = 0;
	for (; evlp_fetch_req_next(&m, &p); n++)
		evlp_fetch_part_encode(&w, &p);
	if (n != m.count)
		fuzz_fail("fetch request entries != count");
	fuzz_wr_check(&w, body, "fetch request");
}

static void
list_offsets(evlp_view body)
{
	evlp_list_offsets m;
	evlp_offset_query q;
	evlp_wr           w;
	if (evlp_list_offsets_req_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_list_offsets_encode(&w, m.count);
	uint32_t n = 0;
	for (; evlp_list_offsets_req_next(&m, &q); n++)
		evlp_offset_query_encode(&w, &q);
	if (n != m.count)
		fuzz_fail("list offsets entries != count");
	fuzz_wr_check(&w, body, "list offsets request");
}

static void
name(evlp_view body)
{
	evlp_name_req m;
	evlp_wr       w;
	if (evlp_name_req_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_name_req_encode(&w, &m);
	fuzz_wr_check(&w, body, "name request");
}

static void
topic(evlp_view body)
{
	evlp_topic_req m;
	evlp_wr        w;
	if (evlp_topic_req_decode(body, &m) != 0)
		return;
	/* Unknown settings are counted, not kept: nothing to re-encode. */
	if (m.settings.unknown)
		return;
	fuzz_wr_open(&w, body);
	evlp_topic_req_encode(&w, &m);
	fuzz_wr_check(&w, body, "topic request");
}

static void
commit(evlp_view body)
{
	evlp_commit_req   m;
	evlp_commit_entry e;
	evlp_wr           w;
	if (evlp_commit_req_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_commit_req_encode(&w, m.group, m.generation, m.member, m.count);
	uint32_t n = 0;
	for (; evlp_commit_req_next(&m, &e); n++)
		evlp_commit_entry_encode(&w, &e);
	if (n != m.count)
		fuzz_fail("commit entries != count");
	fuzz_wr_check(&w, body, "commit request");
}

static void
fetch_offsets(evlp_view body)
{
	evlp_fetch_offsets_req m;
	evlp_topic_partition   tp;
	evlp_wr                w;
	if (evlp_fetch_offsets_req_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_fetch_offsets_req_encode(&w, m.group, m.count);
	uint32_t n = 0;
	for (; evlp_fetch_offsets_req_next(&m, &tp); n++)
		evlp_topic_partition_encode(&w, &tp);
	if (n != m.count)
		fuzz_fail("fetch offsets entries != count");
	fuzz_wr_check(&w, body, "fetch offsets request");
}

static void
join(evlp_view body)
{
	evlp_join_req     m;
	evlp_subscription s;
	evlp_wr           w;
	if (evlp_join_req_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_join_req_encode(&w, &m);
	uint32_t n = 0;
	for (; evlp_join_req_next(&m, &s); n++)
		evlp_subscription_encode(&w, &s);
	if (n != m.count)
		fuzz_fail("join subscriptions != count");
	fuzz_wr_check(&w, body, "join request");
}

static void
member(evlp_view body)
{
	evlp_member_req m;
	evlp_wr         w;
	if (evlp_member_req_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_member_req_encode(&w, &m);
	fuzz_wr_check(&w, body, "member request");
}

static void
auth_start(evlp_view body)
{
	evlp_auth_msg m;
	evlp_wr       w;
	if (evlp_auth_start_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_auth_start_encode(&w, &m);
	fuzz_wr_check(&w, body, "auth start request");
}

static void
auth_data(evlp_view body)
{
	evlp_auth_msg m;
	evlp_wr       w;
	if (evlp_auth_data_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_auth_data_encode(&w, &m);
	fuzz_wr_check(&w, body, "auth data request");
}

static void
read_stream(evlp_view body)
{
	evlp_read_stream_req m;
	evlp_wr              w;
	if (evlp_read_stream_req_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_read_stream_req_encode(&w, &m);
	fuzz_wr_check(&w, body, "read stream request");
}

static void
stream_info(evlp_view body)
{
	evlp_stream_req m;
	evlp_wr         w;
	if (evlp_stream_info_req_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_stream_info_req_encode(&w, &m);
	fuzz_wr_check(&w, body, "stream info request");
}

static void
delete_stream(evlp_view body)
{
	evlp_stream_req m;
	evlp_wr         w;
	if (evlp_delete_stream_req_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_delete_stream_req_encode(&w, &m);
	fuzz_wr_check(&w, body, "delete stream request");
}

static void
acl_rule(evlp_view body)
{
	evlp_acl_rule m;
	evlp_wr       w;
	if (evlp_acl_rule_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_acl_rule_encode(&w, &m);
	fuzz_wr_check(&w, body, "acl rule request");
}

static void
acl_filter(evlp_view body)
{
	evlp_acl_filter m;
	evlp_wr         w;
	if (evlp_acl_filter_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_acl_filter_encode(&w, &m);
	fuzz_wr_check(&w, body, "acl list request");
}

static void
empty(evlp_view body)
{
	if ((evlp_empty_decode(body) == 0) != (body.len == 0))
		fuzz_fail("empty body");
}

/* The broker's dispatch: one request decoder per op. */
static void
dispatch(int op, evlp_view body)
{
	switch (op) {
	case EVLP_OP_PING:
	case EVLP_OP_LIST_GROUPS:
		empty(body);
		break;
	case EVLP_OP_PRODUCE:
		produce(body);
		break;
	case EVLP_OP_FETCH:
		fetch(body);
		break;
	case EVLP_OP_LIST_OFFSETS:
		list_offsets(body);
		break;
	case EVLP_OP_LIST_TOPICS:
	case EVLP_OP_DESCRIBE_TOPIC:
	case EVLP_OP_DELETE_TOPIC:
	case EVLP_OP_DESCRIBE_GROUP:
	case EVLP_OP_DELETE_GROUP:
		name(body);
		break;
	case EVLP_OP_CREATE_TOPIC:
	case EVLP_OP_ALTER_TOPIC:
		topic(body);
		break;
	case EVLP_OP_COMMIT_OFFSETS:
		commit(body);
		break;
	case EVLP_OP_FETCH_OFFSETS:
		fetch_offsets(body);
		break;
	case EVLP_OP_JOIN_GROUP:
		join(body);
		break;
	case EVLP_OP_HEARTBEAT:
	case EVLP_OP_LEAVE_GROUP:
		member(body);
		break;
	case EVLP_OP_AUTH_START:
		auth_start(body);
		break;
	case EVLP_OP_AUTH_FINISH:
		auth_data(body);
		break;
	case EVLP_OP_READ_STREAM:
		read_stream(body);
		break;
	case EVLP_OP_STREAM_INFO:
		stream_info(body);
		break;
	case EVLP_OP_DELETE_STREAM:
		delete_stream(body);
		break;
	case EVLP_OP_ACL_ADD:
	case EVLP_OP_ACL_REMOVE:
		acl_rule(body);
		break;
	case EVLP_OP_ACL_LIST:
		acl_filter(body);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	evlp_frame f;
	evlp_view  body;
	uint8_t    hdr[EVLP_FRAME_SIZE];
	if (evlp_frame_decode(data, size, &f, &body) != 0)
		return 0;
	evlp_frame_encode(hdr, &f);
	if (memcmp(hdr, data, EVLP_FRAME_SIZE) != 0)
		fuzz_fail("frame header round trip");
	if (body.p != data + EVLP_FRAME_SIZE ||
	    body.len != size - EVLP_FRAME_SIZE)
		fuzz_fail("frame body view");
	dispatch(f.op, body);
	return 0;
}
