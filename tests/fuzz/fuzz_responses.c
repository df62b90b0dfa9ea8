/*
 * fuzz_responses -- what a client does with the broker's answers: the
 * first input byte picks a response decoder (the table below; the
 * client knows which it expects from the op it sent), the rest is the
 * body.  Every entry is walked, fetched batches are checked and iterated
 * record by record, and whatever decodes is re-encoded and must match.
 */
#include "fuzz_util.h"
#include "msg.h"

static void
error_body(evlp_view body)
{
	evlp_error_body m;
	evlp_wr         w;
	if (evlp_error_body_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_error_body_encode(&w, &m);
	fuzz_wr_check(&w, body, "error body");
}

static void
ping(evlp_view body)
{
	evlp_ping_resp m;
	evlp_wr        w;
	if (evlp_ping_resp_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_ping_resp_encode(&w, &m);
	fuzz_wr_check(&w, body, "ping response");
}

static void
produce(evlp_view body)
{
	evlp_produce_resp m;
	evlp_wr           w;
	if (evlp_produce_resp_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_produce_resp_encode(&w, &m);
	fuzz_wr_check(&w, body, "produce response");
}

static void
fetch(evlp_view body)
{
	evlp_fetch_resp      m;
	evlp_fetch_resp_part p;
	evlp_wr              w;
	if (evlp_fetch_resp_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_fetch_resp_encode(&w, m.count);
	uint32_t n = 0;
	for (; evlp_fetch_resp_next(&m, &p); n++) {
		fuzz_walk_batches(p.batches);
		evlp_fetch_resp_part_encode(&w, &p);
	}
	if (n != m.count)
		fuzz_fail("fetch response entries != count");
	fuzz_wr_check(&w, body, "fetch response");
}

static void
list_offsets(evlp_view body)
{
	evlp_list_offsets  m;
	evlp_offset_answer a;
	evlp_wr            w;
	if (evlp_list_offsets_resp_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_list_offsets_encode(&w, m.count);
	uint32_t n = 0;
	for (; evlp_list_offsets_resp_next(&m, &a); n++)
		evlp_offset_answer_encode(&w, &a);
	if (n != m.count)
		fuzz_fail("list offsets entries != count");
	fuzz_wr_check(&w, body, "list offsets response");
}

static void
topic_list(evlp_view body)
{
	evlp_topic_list  m;
	evlp_topic_entry e;
	evlp_wr          w;
	bool             unknown = false;
	if (evlp_topic_list_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_topic_list_encode(&w, m.count);
	uint32_t n = 0;
	for (; evlp_topic_list_next(&m, &e); n++) {
		unknown |= e.settings.unknown != 0;
		evlp_topic_entry_encode(&w, &e);
	}
	if (n != m.count)
		fuzz_fail("topic list entries != count");
	/* Unknown settings are counted, not kept: no byte comparison. */
	if (unknown)
		free(w.buf);
	else
		fuzz_wr_check(&w, body, "topic list");
}

static void
topic_desc(evlp_view body)
{
	evlp_topic_desc      m;
	evlp_partition_state p;
	evlp_wr              w;
	if (evlp_topic_desc_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_topic_desc_encode(&w, &m.topic, m.count);
	uint32_t n = 0;
	for (; evlp_topic_desc_next(&m, &p); n++)
		evlp_partition_state_encode(&w, &p);
	if (n != m.count)
		fuzz_fail("topic partitions != count");
	if (m.topic.settings.unknown)
		free(w.buf);
	else
		fuzz_wr_check(&w, body, "topic description");
}

static void
commit(evlp_view body)
{
	evlp_offset_list  m;
	evlp_offset_entry e;
	evlp_wr           w;
	if (evlp_commit_resp_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_commit_resp_encode(&w, m.count);
	uint32_t n = 0;
	for (; evlp_commit_resp_next(&m, &e); n++)
		evlp_commit_result_encode(&w, &e);
	if (n != m.count)
		fuzz_fail("commit results != count");
	fuzz_wr_check(&w, body, "commit response");
}

static void
fetch_offsets(evlp_view body)
{
	evlp_offset_list  m;
	evlp_offset_entry e;
	evlp_wr           w;
	if (evlp_fetch_offsets_resp_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_fetch_offsets_resp_encode(&w, m.count);
	uint32_t n = 0;
	for (; evlp_fetch_offsets_resp_next(&m, &e); n++)
		evlp_offset_entry_encode(&w, &e);
	if (n != m.count)
		fuzz_fail("fetch offsets entries != count");
	fuzz_wr_check(&w, body, "fetch offsets response");
}

static void
join(evlp_view body)
{
	evlp_join_resp       m;
	evlp_topic_partition tp;
	evlp_wr              w;
	if (evlp_join_resp_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_join_resp_encode(&w, &m);
	uint32_t n = 0;
	for (; evlp_join_resp_next(&m, &tp); n++)
		evlp_topic_partition_encode(&w, &tp);
	if (n != m.count)
		fuzz_fail("join assignment != count");
	fuzz_wr_check(&w, body, "join response");
}

static void
group_list(evlp_view body)
{
	evlp_group_list  m;
	evlp_group_entry e;
	evlp_wr          w;
	if (evlp_group_list_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_group_list_encode(&w, m.count);
	uint32_t n = 0;
	for (; evlp_group_list_next(&m, &e); n++)
		evlp_group_entry_encode(&w, &e);
	if (n != m.count)
		fuzz_fail("group list entries != count");
	fuzz_wr_check(&w, body, "group list");
}

static void
group_desc(evlp_view body)
{
	evlp_group_desc      m;
	evlp_group_member    gm;
	evlp_topic_partition tp;
	evlp_group_partition gp;
	evlp_wr              w;
	if (evlp_group_desc_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_group_desc_encode(&w, m.group, m.state, m.generation, m.members);
	uint32_t n = 0;
	for (; evlp_group_desc_next_member(&m, &gm); n++) {
		evlp_group_member_encode(&w, &gm);
		uint32_t k = 0;
		for (; evlp_group_member_next(&gm, &tp); k++)
			evlp_topic_partition_encode(&w, &tp);
		if (k != gm.count)
			fuzz_fail("member assignment != count");
	}
	if (n != m.members)
		fuzz_fail("group members != count");
	evlp_group_desc_partitions_encode(&w, m.partitions);
	for (n = 0; evlp_group_desc_next_partition(&m, &gp); n++)
		evlp_group_partition_encode(&w, &gp);
	if (n != m.partitions)
		fuzz_fail("group partitions != count");
	fuzz_wr_check(&w, body, "group description");
}

static void
auth(evlp_view body)
{
	evlp_auth_msg m;
	evlp_wr       w;
	if (evlp_auth_data_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_auth_data_encode(&w, &m);
	fuzz_wr_check(&w, body, "auth response");
}

static void
read_stream(evlp_view body)
{
	evlp_read_stream_resp m;
	evlp_stream_record    rec;
	evlp_wr               w;
	if (evlp_read_stream_resp_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_read_stream_resp_encode(&w, &m);
	uint32_t n = 0;
	for (; evlp_read_stream_resp_next(&m, &rec); n++) {
		evlp_rd     hr;
		evlp_header h;
		uint32_t    k = 0;
		evlp_rd_init(&hr, rec.headers.p, rec.headers.len);
		for (; evlp_header_next(&hr, &h); k++)
			;
		if (hr.err || k != rec.header_count)
			fuzz_fail("stream record headers != count");
		evlp_stream_record_encode(&w, &rec);
	}
	if (n != m.count)
		fuzz_fail("stream records != count");
	fuzz_wr_check(&w, body, "read stream response");
}

static void
stream_info(evlp_view body)
{
	evlp_stream_info_resp m;
	evlp_wr               w;
	if (evlp_stream_info_resp_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_stream_info_resp_encode(&w, &m);
	fuzz_wr_check(&w, body, "stream info response");
}

static void
acl_list(evlp_view body)
{
	evlp_acl_list m;
	evlp_acl_rule e;
	evlp_wr       w;
	if (evlp_acl_list_decode(body, &m) != 0)
		return;
	fuzz_wr_open(&w, body);
	evlp_acl_list_encode(&w, m.count);
	uint32_t n = 0;
	for (; evlp_acl_list_next(&m, &e); n++)
		evlp_acl_rule_encode(&w, &e);
	if (n != m.count)
		fuzz_fail("acl list entries != count");
	fuzz_wr_check(&w, body, "acl list");
}

/* Indexed by the first input byte, modulo the table's size; the seed
 * generator (fuzz_seeds.c) uses the same order. */
static void (*const decoders[])(evlp_view) = {
	error_body,
	ping,
	produce,
	fetch,
	list_offsets,
	topic_list,
	topic_desc,
	commit,
	fetch_offsets,
	join,
	group_list,
	group_desc,
	auth,
	read_stream,
	stream_info,
	acl_list,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* A copy sized to the body, so an overread of it is caught. */
	evlp_view body = { NULL, size - 1 };
	uint8_t  *copy = malloc(size - 1 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	body.p = copy;
	decoders[data[0] % (sizeof(decoders) / sizeof(decoders[0]))](body);
	free(copy);
	return 0;
}
