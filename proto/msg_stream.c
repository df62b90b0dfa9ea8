/*
 * msg_stream.c -- READ_STREAM, STREAM_INFO and DELETE_STREAM bodies
 * (PROTOCOL.md §10).  A stream record travels on its own, not inside a
 * batch: a stream read returns one key's records, never its neighbours'
 * in the same batches.
 */
#include "batch.h"
#include "msg_impl.h"

/* str topic, bytes key, i64 from_version, u8 backwards, u32 max_count,
 * u32 max_bytes, u32 max_wait_ms */
void
evlp_read_stream_req_encode(evlp_wr *w, const evlp_read_stream_req *m)
{
	evlp_wr_str(w, m->topic.p, m->topic.len);
	evlp_wr_bytes(w, m->key.p, m->key.len);
	evlp_wr_i64(w, m->from_version);
	evlp_wr_u8(w, m->backwards);
	evlp_wr_u32(w, m->max_count);
	evlp_wr_u32(w, m->max_bytes);
	evlp_wr_u32(w, m->max_wait_ms);
}

int
evlp_read_stream_req_decode(evlp_view body, evlp_read_stream_req *m)
{
	evlp_rd              r;
	evlp_read_stream_req x;
	evlp_rd_init(&r, body.p, body.len);
	x.topic = evlp_rd_str(&r);
	x.key = evlp_rd_bytes(&r);
	x.from_version = evlp_rd_i64(&r);
	x.backwards = evlp_rd_u8(&r);
	x.max_count = evlp_rd_u32(&r);
	x.max_bytes = evlp_rd_u32(&r);
	x.max_wait_ms = evlp_rd_u32(&r);
	int rv = evlp_rd_finish(&r);
	if (rv == 0
	    && (x.backwards > 1 || x.from_version < EVLP_STREAM_FROM_SNAPSHOT
	        || (x.from_version == EVLP_STREAM_FROM_END && !x.backwards)
	        || (x.from_version == EVLP_STREAM_FROM_SNAPSHOT
	            && x.backwards)))
		rv = EVL_EINVAL;
	if (rv == 0)
		*m = x;
	return rv;
}

/* u32 partition, i64 version, u64 first_version, i64 snapshot, u32 count,
 * then count records: i64 version, u64 offset, i64 append_time,
 * i64 timestamp, u8 attributes, u8 has_value, bytes value,
 * u32 header_count, bytes headers */
#define STREAM_REC_MIN (8 + 8 + 8 + 8 + 1 + 1 + 4 + 4 + 4)

void
evlp_read_stream_resp_encode(evlp_wr *w, const evlp_read_stream_resp *m)
{
	evlp_wr_u32(w, m->partition);
	evlp_wr_i64(w, m->version);
	evlp_wr_u64(w, m->first_version);
	evlp_wr_i64(w, m->snapshot);
	evlp_wr_u32(w, m->count);
}

void
evlp_stream_record_encode(evlp_wr *w, const evlp_stream_record *r)
{
	evlp_wr_i64(w, r->version);
	evlp_wr_u64(w, r->offset);
	evlp_wr_i64(w, r->append_time);
	evlp_wr_i64(w, r->timestamp);
	evlp_wr_u8(w, r->attributes);
	evlp_wr_u8(w, r->has_value ? 1 : 0);
	evlp_wr_bytes(w, r->value.p, r->has_value ? r->value.len : 0);
	evlp_wr_u32(w, r->header_count);
	evlp_wr_bytes(w, r->headers.p, r->headers.len);
}

static void
stream_record_read(evlp_rd *r, void *entry)
{
	evlp_stream_record *x = entry;
	x->version = evlp_rd_i64(r);
	x->offset = evlp_rd_u64(r);
	x->append_time = evlp_rd_i64(r);
	x->timestamp = evlp_rd_i64(r);
	x->attributes = evlp_rd_u8(r);
	uint8_t hv = evlp_rd_u8(r);
	x->value = evlp_rd_bytes(r);
	x->header_count = evlp_rd_u32(r);
	x->headers = evlp_rd_bytes(r);
	x->has_value = hv == 1;
	if (r->err)
		return;
	if (hv > 1 || (hv == 0 && x->value.len != 0) || x->version < 0
	    || (x->attributes & ~EVLP_REC_SNAPSHOT) != 0) {
		evlp_rd_fail(r, EVL_EPROTO);
		return;
	}
	/* The headers are exactly header_count well-formed pairs. */
	evlp_rd     hr;
	evlp_header h;
	uint32_t    seen = 0;
	evlp_rd_init(&hr, x->headers.p, x->headers.len);
	while (seen <= x->header_count && evlp_header_next(&hr, &h))
		seen++;
	if (hr.err || seen != x->header_count || evlp_rd_left(&hr) != 0)
		evlp_rd_fail(r, EVL_EPROTO);
}

int
evlp_read_stream_resp_decode(evlp_view body, evlp_read_stream_resp *m)
{
	evlp_rd               r;
	evlp_read_stream_resp x;
	evlp_stream_record    scratch;
	evlp_rd_init(&r, body.p, body.len);
	x.partition = evlp_rd_u32(&r);
	x.version = evlp_rd_i64(&r);
	x.first_version = evlp_rd_u64(&r);
	x.snapshot = evlp_rd_i64(&r);
	x.count = evlp_rd_u32(&r);
	if (r.err == 0)
		evlp_list_take(&r, x.count, STREAM_REC_MIN, stream_record_read,
		    &scratch, &x.recs_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0 && (x.version < -1 || x.snapshot < -1))
		rv = EVL_EPROTO;
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_read_stream_resp_next(evlp_read_stream_resp *m, evlp_stream_record *r)
{
	return evlp_list_next(&m->recs_, stream_record_read, r);
}

/* str topic, bytes key */
void
evlp_stream_info_req_encode(evlp_wr *w, const evlp_stream_req *m)
{
	evlp_wr_str(w, m->topic.p, m->topic.len);
	evlp_wr_bytes(w, m->key.p, m->key.len);
}

int
evlp_stream_info_req_decode(evlp_view body, evlp_stream_req *m)
{
	evlp_rd         r;
	evlp_stream_req x = { .expected_version = EVLP_VERSION_ANY };
	evlp_rd_init(&r, body.p, body.len);
	x.topic = evlp_rd_str(&r);
	x.key = evlp_rd_bytes(&r);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

/* str topic, bytes key, i64 expected_version, u8 flags */
void
evlp_delete_stream_req_encode(evlp_wr *w, const evlp_stream_req *m)
{
	evlp_stream_info_req_encode(w, m);
	evlp_wr_i64(w, m->expected_version);
	evlp_wr_u8(w, m->flags);
}

int
evlp_delete_stream_req_decode(evlp_view body, evlp_stream_req *m)
{
	evlp_rd         r;
	evlp_stream_req x;
	evlp_rd_init(&r, body.p, body.len);
	x.topic = evlp_rd_str(&r);
	x.key = evlp_rd_bytes(&r);
	x.expected_version = evlp_rd_i64(&r);
	x.flags = evlp_rd_u8(&r);
	int rv = evlp_rd_finish(&r);
	if (rv == 0
	    && (x.expected_version < EVLP_VERSION_EXISTS
	        || (x.flags & ~EVLP_DELETE_FORGET_VERSIONS) != 0))
		rv = EVL_EINVAL;
	if (rv == 0)
		*m = x;
	return rv;
}

/* u32 partition, i64 version, u64 first_version, i64 snapshot,
 * u64 last_offset, u8 deleted */
void
evlp_stream_info_resp_encode(evlp_wr *w, const evlp_stream_info_resp *m)
{
	evlp_wr_u32(w, m->partition);
	evlp_wr_i64(w, m->version);
	evlp_wr_u64(w, m->first_version);
	evlp_wr_i64(w, m->snapshot);
	evlp_wr_u64(w, m->last_offset);
	evlp_wr_u8(w, m->deleted);
}

int
evlp_stream_info_resp_decode(evlp_view body, evlp_stream_info_resp *m)
{
	evlp_rd               r;
	evlp_stream_info_resp x;
	evlp_rd_init(&r, body.p, body.len);
	x.partition = evlp_rd_u32(&r);
	x.version = evlp_rd_i64(&r);
	x.first_version = evlp_rd_u64(&r);
	x.snapshot = evlp_rd_i64(&r);
	x.last_offset = evlp_rd_u64(&r);
	x.deleted = evlp_rd_u8(&r);
	int rv = evlp_rd_finish(&r);
	if (rv == 0 && (x.version < -1 || x.snapshot < -1 || x.deleted > 1))
		rv = EVL_EPROTO;
	if (rv == 0)
		*m = x;
	return rv;
}
