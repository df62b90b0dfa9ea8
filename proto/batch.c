/*
 * batch.c -- record batch codec: check, stamp, iterate, build.
 *
 * The layout is the table in batch.h.  Decoding goes through evlp_rd, so a
 * malformed batch -- from a peer or from a damaged disk -- gives an error
 * and never a read outside the buffer.
 */
#include "batch.h"

#include "crc32c.h"

/* Largest attribute/compression bits we accept in version 1. */
#define BATCH_ATTR_COMPRESSION 0x07u

static int
batch_hdr_decode(evlp_rd *r, evlp_batch_hdr *h, size_t avail)
{
	h->base_offset = evlp_rd_u64(r);
	h->append_time = evlp_rd_i64(r);
	uint32_t rest  = evlp_rd_u32(r);
	h->crc         = evlp_rd_u32(r);
	uint8_t magic  = evlp_rd_u8(r);
	h->attributes  = evlp_rd_u8(r);
	uint16_t resv1 = evlp_rd_u16(r);
	h->count       = evlp_rd_u32(r);
	h->first_timestamp = evlp_rd_i64(r);
	h->max_timestamp   = evlp_rd_i64(r);
	h->producer_id     = evlp_rd_i64(r);
	h->producer_epoch  = (int16_t) evlp_rd_u16(r);
	uint16_t resv2     = evlp_rd_u16(r);
	h->base_sequence   = evlp_rd_i32(r);
	if (r->err)
		return r->err;
	if (magic != EVLP_BATCH_MAGIC)
		return EVL_EVERSION;
	if ((h->attributes & ~BATCH_ATTR_COMPRESSION) != 0 || resv1 != 0 ||
	    resv2 != 0)
		return EVL_EPROTO;
	if ((h->attributes & BATCH_ATTR_COMPRESSION) != 0)
		return EVL_ENOTSUP;
	if (h->count == 0)
		return EVL_EPROTO;
	/* rest counts from offset 20; the header needs 44 of those. */
	if (rest < EVLP_BATCH_HEADER_SIZE - 20 || (size_t) rest + 20 > avail)
		return EVL_EPROTO;
	h->size = rest + 20;
	return 0;
}

int
evlp_batch_peek(const void *p, size_t len, evlp_batch_hdr *out)
{
	evlp_rd        r;
	evlp_batch_hdr h;
	evlp_rd_init(&r, p, len);
	int rv = batch_hdr_decode(&r, &h, len);
	if (rv == 0)
		*out = h;
	return rv;
}

/* Decodes one record body from r (which spans exactly that record). */
static void
record_decode(evlp_rd *r, const evlp_batch_hdr *h, uint32_t index,
    evlp_record *rec)
{
	rec->attributes = (uint32_t) evlp_rd_uvarint(r);
	int64_t tsd     = evlp_rd_varint(r);
	uint64_t od     = evlp_rd_uvarint(r);
	if (r->err)
		return;
	if (od != index ||
	    rec->attributes > (EVLP_REC_SNAPSHOT | EVLP_REC_ERASED)) {
		evlp_rd_fail(r, EVL_EPROTO);
		return;
	}
	rec->offset      = h->base_offset + od;
	rec->append_time = h->append_time;
	/* Unsigned add: a hostile delta must wrap, not be undefined. */
	rec->timestamp =
	    (int64_t) ((uint64_t) h->first_timestamp + (uint64_t) tsd);

	int64_t klen = evlp_rd_varint(r);
	rec->has_key = klen >= 0;
	if (klen < -1 || (klen >= 0 && (uint64_t) klen > evlp_rd_left(r))) {
		evlp_rd_fail(r, EVL_EPROTO);
		return;
	}
	rec->key = evlp_rd_view(r, klen > 0 ? (size_t) klen : 0);

	int64_t vlen   = evlp_rd_varint(r);
	rec->has_value = vlen >= 0;
	if (vlen < -1 || (vlen >= 0 && (uint64_t) vlen > evlp_rd_left(r))) {
		evlp_rd_fail(r, EVL_EPROTO);
		return;
	}
	rec->value = evlp_rd_view(r, vlen > 0 ? (size_t) vlen : 0);

	uint64_t hc = evlp_rd_uvarint(r);
	/* Each header takes at least two bytes. */
	if (hc > evlp_rd_left(r) / 2) {
		evlp_rd_fail(r, EVL_EPROTO);
		return;
	}
	rec->header_count = (uint32_t) hc;
	rec->headers      = evlp_rd_view(r, evlp_rd_left(r));

	/* The headers must be well-formed, header_count of them, and fill
	 * the record exactly: a count larger than the headers present
	 * would let a consumer trust a count the bytes do not hold. */
	evlp_rd     hr;
	evlp_header hdr;
	uint64_t    seen = 0;
	evlp_rd_init(&hr, rec->headers.p, rec->headers.len);
	while (seen < hc && evlp_header_next(&hr, &hdr))
		seen++;
	if (hr.err || seen != hc || evlp_rd_left(&hr) != 0)
		evlp_rd_fail(r, EVL_EPROTO);
}

bool
evlp_header_next(evlp_rd *rd, evlp_header *h)
{
	if (evlp_rd_left(rd) == 0)
		return false;
	h->name  = evlp_rd_view(rd, evlp_rd_len(rd, evlp_rd_left(rd)));
	h->value = evlp_rd_view(rd, evlp_rd_len(rd, evlp_rd_left(rd)));
	return rd->err == 0;
}

int
evlp_batch_iter_init(evlp_batch_iter *it, const void *p, size_t len)
{
	evlp_rd_init(&it->rd, p, len);
	int rv = batch_hdr_decode(&it->rd, &it->hdr, len);
	if (rv != 0)
		return rv;
	/* Confine the cursor to this batch's records. */
	it->rd.end = (const uint8_t *) p + it->hdr.size;
	it->index  = 0;
	return 0;
}

bool
evlp_batch_next(evlp_batch_iter *it, evlp_record *rec)
{
	if (it->rd.err || it->index >= it->hdr.count)
		return false;
	size_t  rlen = evlp_rd_len(&it->rd, evlp_rd_left(&it->rd));
	evlp_rd body;
	evlp_view v = evlp_rd_view(&it->rd, rlen);
	if (it->rd.err)
		return false;
	evlp_rd_init(&body, v.p, v.len);
	record_decode(&body, &it->hdr, it->index, rec);
	if (body.err) {
		evlp_rd_fail(&it->rd, body.err);
		return false;
	}
	it->index++;
	return true;
}

int
evlp_batch_check(const void *p, size_t len, evlp_batch_hdr *out)
{
	evlp_batch_iter it;
	evlp_record     rec;
	int             rv = evlp_batch_iter_init(&it, p, len);
	if (rv != 0)
		return rv;
	if (it.hdr.size != len)
		return EVL_EPROTO;
	const uint8_t *b = p;
	if (evlp_crc32c(0, b + EVLP_BATCH_CRC_START,
	        len - EVLP_BATCH_CRC_START) != it.hdr.crc)
		return EVL_ECRC;
	while (evlp_batch_next(&it, &rec))
		if (rec.attributes & EVLP_REC_ERASED)
			return EVL_EPROTO; /* the broker's bit */
	if (it.rd.err)
		return it.rd.err;
	if (it.index != it.hdr.count || evlp_rd_left(&it.rd) != 0)
		return EVL_EPROTO;
	*out = it.hdr;
	return 0;
}

void
evlp_batch_stamp(void *p, uint64_t base_offset, int64_t append_time)
{
	evlp_put_u64(p, base_offset);
	evlp_put_u64((uint8_t *) p + 8, (uint64_t) append_time);
}

bool
evlp_batches_next(evlp_rd *rd, evlp_view *batch, evlp_batch_hdr *hdr)
{
	size_t left = evlp_rd_left(rd);
	if (left == 0)
		return false;
	int rv = evlp_batch_peek(rd->p, left, hdr);
	if (rv != 0) {
		evlp_rd_fail(rd, rv);
		return false;
	}
	*batch = evlp_rd_view(rd, hdr->size);
	return rd->err == 0;
}

void
evlp_batch_build_init(evlp_batch_builder *b, void *buf, size_t cap)
{
	evlp_wr_init(&b->w, buf, cap);
	/* The header is filled in by finish; reserve its room now. */
	evlp_wr_take(&b->w, EVLP_BATCH_HEADER_SIZE);
	b->count           = 0;
	b->first_timestamp = 0;
	b->max_timestamp   = 0;
	b->producer_id     = -1;
	b->producer_epoch  = -1;
	b->base_sequence   = -1;
}

void
evlp_batch_build_producer(
    evlp_batch_builder *b, int64_t id, int16_t epoch, int32_t base_sequence)
{
	b->producer_id    = id;
	b->producer_epoch = epoch;
	b->base_sequence  = base_sequence;
}

static size_t
record_body_size(const evlp_record_in *rec, int64_t first_ts, uint32_t index)
{
	size_t n = evlp_uvarint_size(rec->attributes) +
	    evlp_uvarint_size(evlp_zigzag(
	        (int64_t) ((uint64_t) rec->timestamp - (uint64_t) first_ts))) +
	    evlp_uvarint_size(index);
	n += rec->key ? evlp_uvarint_size(evlp_zigzag((int64_t) rec->key_len)) +
	        rec->key_len
	              : 1;
	n += rec->value
	    ? evlp_uvarint_size(evlp_zigzag((int64_t) rec->value_len)) +
	        rec->value_len
	    : 1;
	n += evlp_uvarint_size(rec->header_count);
	for (size_t i = 0; i < rec->header_count; i++) {
		const evlp_header *h = &rec->headers[i];
		n += evlp_uvarint_size(h->name.len) + h->name.len +
		    evlp_uvarint_size(h->value.len) + h->value.len;
	}
	return n;
}

size_t
evlp_record_size(const evlp_record_in *rec, int64_t first_ts, uint32_t index)
{
	size_t body = record_body_size(rec, first_ts, index);
	return evlp_uvarint_size(body) + body;
}

int
evlp_batch_build_add(evlp_batch_builder *b, const evlp_record_in *rec)
{
	if (b->w.err)
		return b->w.err;
	int64_t first = b->count == 0 ? rec->timestamp : b->first_timestamp;
	size_t  body  = record_body_size(rec, first, b->count);
	size_t  mark  = b->w.len;

	evlp_wr_uvarint(&b->w, body);
	evlp_wr_uvarint(&b->w, rec->attributes);
	evlp_wr_varint(&b->w,
	    (int64_t) ((uint64_t) rec->timestamp - (uint64_t) first));
	evlp_wr_uvarint(&b->w, b->count);
	if (rec->key) {
		evlp_wr_varint(&b->w, (int64_t) rec->key_len);
		evlp_wr_raw(&b->w, rec->key, rec->key_len);
	} else {
		evlp_wr_varint(&b->w, -1);
	}
	if (rec->value) {
		evlp_wr_varint(&b->w, (int64_t) rec->value_len);
		evlp_wr_raw(&b->w, rec->value, rec->value_len);
	} else {
		evlp_wr_varint(&b->w, -1);
	}
	evlp_wr_uvarint(&b->w, rec->header_count);
	for (size_t i = 0; i < rec->header_count; i++) {
		const evlp_header *h = &rec->headers[i];
		evlp_wr_uvarint(&b->w, h->name.len);
		evlp_wr_raw(&b->w, h->name.p, h->name.len);
		evlp_wr_uvarint(&b->w, h->value.len);
		evlp_wr_raw(&b->w, h->value.p, h->value.len);
	}
	/* A batch must stay under 4 GiB: its length field is a u32. */
	if (b->w.err || b->w.len > UINT32_MAX) {
		int err  = b->w.err ? b->w.err : EVL_ETOOBIG;
		b->w.len = mark;
		b->w.err = 0;
		return err;
	}
	if (b->count == 0) {
		b->first_timestamp = rec->timestamp;
		b->max_timestamp   = rec->timestamp;
	} else if (rec->timestamp > b->max_timestamp) {
		b->max_timestamp = rec->timestamp;
	}
	b->count++;
	return 0;
}

int
evlp_batch_build_finish(evlp_batch_builder *b, size_t *size)
{
	if (b->count == 0)
		return EVL_EINVAL;
	if (b->w.err)
		return b->w.err;
	uint8_t *p = b->w.buf;
	evlp_put_u64(p, 0);
	evlp_put_u64(p + 8, 0);
	evlp_put_u32(p + 16, (uint32_t) (b->w.len - 20));
	p[24] = EVLP_BATCH_MAGIC;
	p[25] = 0;
	evlp_put_u16(p + 26, 0);
	evlp_put_u32(p + 28, b->count);
	evlp_put_u64(p + 32, (uint64_t) b->first_timestamp);
	evlp_put_u64(p + 40, (uint64_t) b->max_timestamp);
	evlp_put_u64(p + 48, (uint64_t) b->producer_id);
	evlp_put_u16(p + 56, (uint16_t) b->producer_epoch);
	evlp_put_u16(p + 58, 0);
	evlp_put_u32(p + 60, (uint32_t) b->base_sequence);
	evlp_put_u32(p + 20,
	    evlp_crc32c(0, p + EVLP_BATCH_CRC_START,
	        b->w.len - EVLP_BATCH_CRC_START));
	*size = b->w.len;
	return 0;
}
