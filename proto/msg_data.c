/*
 * msg_data.c -- PRODUCE, FETCH and LIST_OFFSETS bodies: the hot path.
 *
 * Layouts are in PROTOCOL.md ("Data").  Decoders check enumerated values
 * (acks, expected version, special timestamps) as well as structure, so
 * the broker's handlers start from a request that means something; a
 * value out of range is EVL_EINVAL, malformed structure EVL_EPROTO.
 */
#include "batch.h"
#include "msg_impl.h"

/* ---- PRODUCE ---------------------------------------------------------- */

/* str topic, u32 partition, u8 acks, i64 expected_version, u32 timeout_ms,
 * bytes batch */
void
evlp_produce_req_encode(evlp_wr *w, const evlp_produce_req *m)
{
	evlp_wr_str(w, m->topic.p, m->topic.len);
	evlp_wr_u32(w, m->partition);
	evlp_wr_u8(w, m->acks);
	evlp_wr_i64(w, m->expected_version);
	evlp_wr_u32(w, m->timeout_ms);
	evlp_wr_bytes(w, m->batch.p, m->batch.len);
}

int
evlp_produce_req_decode(evlp_view body, evlp_produce_req *m)
{
	evlp_rd          r;
	evlp_produce_req x;
	evlp_rd_init(&r, body.p, body.len);
	x.topic            = evlp_rd_str(&r);
	x.partition        = evlp_rd_u32(&r);
	x.acks             = evlp_rd_u8(&r);
	x.expected_version = evlp_rd_i64(&r);
	x.timeout_ms       = evlp_rd_u32(&r);
	x.batch            = evlp_rd_bytes(&r);
	int rv             = evlp_rd_finish(&r);
	if (rv == 0 &&
	    (x.acks > EVLP_ACKS_FSYNC ||
	        x.expected_version < EVLP_VERSION_EXISTS))
		rv = EVL_EINVAL;
	if (rv == 0)
		*m = x;
	return rv;
}

/* u64 base_offset, i64 append_time, u32 count, i64 version */
void
evlp_produce_resp_encode(evlp_wr *w, const evlp_produce_resp *m)
{
	evlp_wr_u64(w, m->base_offset);
	evlp_wr_i64(w, m->append_time);
	evlp_wr_u32(w, m->count);
	evlp_wr_i64(w, m->version);
}

int
evlp_produce_resp_decode(evlp_view body, evlp_produce_resp *m)
{
	evlp_rd           r;
	evlp_produce_resp x;
	evlp_rd_init(&r, body.p, body.len);
	x.base_offset = evlp_rd_u64(&r);
	x.append_time = evlp_rd_i64(&r);
	x.count       = evlp_rd_u32(&r);
	x.version     = evlp_rd_i64(&r);
	int rv        = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

/* ---- FETCH request ---------------------------------------------------- */

/* u32 max_wait_ms, u32 max_bytes, u16 count, then count parts:
 * str topic, u32 partition, u64 offset, u32 max_bytes */
#define FETCH_PART_MIN (EVLP_STR_MIN + 4 + 8 + 4)

void
evlp_fetch_req_encode(
    evlp_wr *w, uint32_t max_wait_ms, uint32_t max_bytes, uint16_t count)
{
	evlp_wr_u32(w, max_wait_ms);
	evlp_wr_u32(w, max_bytes);
	evlp_wr_u16(w, count);
}

void
evlp_fetch_part_encode(evlp_wr *w, const evlp_fetch_part *p)
{
	evlp_wr_str(w, p->topic.p, p->topic.len);
	evlp_wr_u32(w, p->partition);
	evlp_wr_u64(w, p->offset);
	evlp_wr_u32(w, p->max_bytes);
}

static void
fetch_part_read(evlp_rd *r, void *out)
{
	evlp_fetch_part *p = out;
	p->topic           = evlp_rd_str(r);
	p->partition       = evlp_rd_u32(r);
	p->offset          = evlp_rd_u64(r);
	p->max_bytes       = evlp_rd_u32(r);
}

int
evlp_fetch_req_decode(evlp_view body, evlp_fetch_req *m)
{
	evlp_rd         r;
	evlp_fetch_req  x;
	evlp_fetch_part scratch;
	evlp_rd_init(&r, body.p, body.len);
	x.max_wait_ms = evlp_rd_u32(&r);
	x.max_bytes   = evlp_rd_u32(&r);
	x.count       = evlp_rd_u16(&r);
	evlp_list_take(
	    &r, x.count, FETCH_PART_MIN, fetch_part_read, &scratch, &x.parts_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_fetch_req_next(evlp_fetch_req *m, evlp_fetch_part *p)
{
	return evlp_list_next(&m->parts_, fetch_part_read, p);
}

/* ---- FETCH response --------------------------------------------------- */

/* u16 count, then count parts: str topic, u32 partition, u16 error,
 * u64 first_offset, u64 next_offset, bytes batches */
#define FETCH_RESP_PART_MIN (EVLP_STR_MIN + 4 + 2 + 8 + 8 + EVLP_BYTES_MIN)

void
evlp_fetch_resp_encode(evlp_wr *w, uint16_t count)
{
	evlp_wr_u16(w, count);
}

void
evlp_fetch_resp_part_encode_head(evlp_wr *w, const evlp_fetch_resp_part *p)
{
	evlp_wr_str(w, p->topic.p, p->topic.len);
	evlp_wr_u32(w, p->partition);
	evlp_wr_u16(w, p->error);
	evlp_wr_u64(w, p->first_offset);
	evlp_wr_u64(w, p->next_offset);
	if (p->batches.len > UINT32_MAX) {
		if (w->err == 0)
			w->err = EVL_EINVAL;
		return;
	}
	evlp_wr_u32(w, (uint32_t) p->batches.len);
}

void
evlp_fetch_resp_part_encode(evlp_wr *w, const evlp_fetch_resp_part *p)
{
	evlp_fetch_resp_part_encode_head(w, p);
	evlp_wr_raw(w, p->batches.p, p->batches.len);
}

static void
fetch_resp_part_read(evlp_rd *r, void *out)
{
	evlp_fetch_resp_part *p = out;
	p->topic                = evlp_rd_str(r);
	p->partition            = evlp_rd_u32(r);
	p->error                = evlp_rd_u16(r);
	p->first_offset         = evlp_rd_u64(r);
	p->next_offset          = evlp_rd_u64(r);
	p->batches              = evlp_rd_bytes(r);
}

/* The decode-time reader also checks that batches is whole batches back
 * to back; _next skips that, having seen it pass once. */
static void
fetch_resp_part_check(evlp_rd *r, void *out)
{
	evlp_fetch_resp_part *p = out;
	evlp_rd               br;
	evlp_view             batch;
	evlp_batch_hdr        hdr;
	fetch_resp_part_read(r, p);
	if (r->err)
		return;
	evlp_rd_init(&br, p->batches.p, p->batches.len);
	while (evlp_batches_next(&br, &batch, &hdr))
		;
	if (br.err)
		evlp_rd_fail(r, br.err);
}

int
evlp_fetch_resp_decode(evlp_view body, evlp_fetch_resp *m)
{
	evlp_rd              r;
	evlp_fetch_resp      x;
	evlp_fetch_resp_part scratch;
	evlp_rd_init(&r, body.p, body.len);
	x.count = evlp_rd_u16(&r);
	evlp_list_take(&r, x.count, FETCH_RESP_PART_MIN, fetch_resp_part_check,
	    &scratch, &x.parts_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_fetch_resp_next(evlp_fetch_resp *m, evlp_fetch_resp_part *p)
{
	return evlp_list_next(&m->parts_, fetch_resp_part_read, p);
}

/* ---- LIST_OFFSETS ----------------------------------------------------- */

/* u16 count, then count entries.  Request entry: str topic, u32 partition,
 * i64 timestamp.  Response entry: str topic, u32 partition, u16 error,
 * u64 offset. */
#define OFFSET_QUERY_MIN  (EVLP_STR_MIN + 4 + 8)
#define OFFSET_ANSWER_MIN (EVLP_STR_MIN + 4 + 2 + 8)

void
evlp_list_offsets_encode(evlp_wr *w, uint16_t count)
{
	evlp_wr_u16(w, count);
}

void
evlp_offset_query_encode(evlp_wr *w, const evlp_offset_query *q)
{
	evlp_wr_str(w, q->topic.p, q->topic.len);
	evlp_wr_u32(w, q->partition);
	evlp_wr_i64(w, q->timestamp);
}

void
evlp_offset_answer_encode(evlp_wr *w, const evlp_offset_answer *a)
{
	evlp_wr_str(w, a->topic.p, a->topic.len);
	evlp_wr_u32(w, a->partition);
	evlp_wr_u16(w, a->error);
	evlp_wr_u64(w, a->offset);
}

static void
offset_query_read(evlp_rd *r, void *out)
{
	evlp_offset_query *q = out;
	q->topic             = evlp_rd_str(r);
	q->partition         = evlp_rd_u32(r);
	q->timestamp         = evlp_rd_i64(r);
	/* Below -2 is neither a time nor one of EVLP_TIME_*. */
	if (r->err == 0 && q->timestamp < EVLP_TIME_EARLIEST)
		evlp_rd_fail(r, EVL_EINVAL);
}

static void
offset_answer_read(evlp_rd *r, void *out)
{
	evlp_offset_answer *a = out;
	a->topic              = evlp_rd_str(r);
	a->partition          = evlp_rd_u32(r);
	a->error              = evlp_rd_u16(r);
	a->offset             = evlp_rd_u64(r);
}

static int
list_offsets_decode(evlp_view body, evlp_list_offsets *m, size_t min_size,
    evlp_entry_read_fn read, void *scratch)
{
	evlp_rd           r;
	evlp_list_offsets x;
	evlp_rd_init(&r, body.p, body.len);
	x.count = evlp_rd_u16(&r);
	evlp_list_take(&r, x.count, min_size, read, scratch, &x.entries_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

int
evlp_list_offsets_req_decode(evlp_view body, evlp_list_offsets *m)
{
	evlp_offset_query q;
	return list_offsets_decode(
	    body, m, OFFSET_QUERY_MIN, offset_query_read, &q);
}

bool
evlp_list_offsets_req_next(evlp_list_offsets *m, evlp_offset_query *q)
{
	return evlp_list_next(&m->entries_, offset_query_read, q);
}

int
evlp_list_offsets_resp_decode(evlp_view body, evlp_list_offsets *m)
{
	evlp_offset_answer a;
	return list_offsets_decode(
	    body, m, OFFSET_ANSWER_MIN, offset_answer_read, &a);
}

bool
evlp_list_offsets_resp_next(evlp_list_offsets *m, evlp_offset_answer *a)
{
	return evlp_list_next(&m->entries_, offset_answer_read, a);
}
