/*
 * buf.h -- read and write cursors over a caller's buffer.
 *
 * Every decoder in proto/ reads through an evlp_rd.  A read past the end
 * (or a malformed varint) sets the cursor's error, which is sticky, and
 * returns zero values from then on; a decoder reads its whole message and
 * checks the error once.  That keeps decoders total -- no input reads out
 * of bounds -- without a length check after every field.
 *
 * Encoders write through an evlp_wr.  Its len counts every byte asked for,
 * even past the capacity, while bytes are only stored within it; so an
 * encode into a zero-capacity writer measures the size needed, and a full
 * buffer is reported as EVL_ETOOBIG rather than overrun.
 *
 * Encodings (proto/PROTOCOL.md, "Primitive types"):
 *   u8/u16/u32/u64, i32/i64  fixed width, big-endian, two's complement
 *   uvarint                  unsigned LEB128, at most 10 bytes
 *   varint                   zigzag, then uvarint
 *   str                      u16 length, then that many bytes (no NUL)
 *   bytes                    u32 length, then that many bytes
 */
#ifndef EVLP_BUF_H
#define EVLP_BUF_H

#include <evlog/evlog.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "endian.h"

/* A view of bytes inside someone else's buffer; valid while it is. */
typedef struct evlp_view {
	const uint8_t *p;
	size_t         len;
} evlp_view;

/* A view of a C string (its bytes without the NUL); NULL gives "". */
static inline evlp_view
evlp_view_str(const char *s)
{
	evlp_view v = { (const uint8_t *) s, s ? strlen(s) : 0 };
	return v;
}

/* evlp_view_dup copies v into a new C string (alloc.c); caller frees
 * with evlp_free.  NULL when out of memory. */
char *evlp_view_dup(evlp_view v);

typedef struct evlp_rd {
	const uint8_t *p;
	const uint8_t *end;
	int            err;
} evlp_rd;

typedef struct evlp_wr {
	uint8_t *buf;
	size_t   cap;
	size_t   len;
	int      err;
} evlp_wr;

static inline void
evlp_rd_init(evlp_rd *r, const void *buf, size_t len)
{
	/* NULL + 0 is undefined in C, and a failed view is {NULL, 0}: give
	 * such a cursor a real (empty) place to point instead. */
	static const uint8_t nothing[1];
	r->p   = buf ? buf : nothing;
	r->end = buf ? r->p + len : r->p;
	r->err = buf == NULL && len != 0 ? EVL_EPROTO : 0;
}

static inline size_t
evlp_rd_left(const evlp_rd *r)
{
	return r->err ? 0 : (size_t) (r->end - r->p);
}

/* Marks the cursor failed with err (the first failure wins). */
static inline void
evlp_rd_fail(evlp_rd *r, int err)
{
	if (r->err == 0)
		r->err = err;
	r->p = r->end;
}

/* Returns a pointer to the next n bytes and skips them, or NULL (and
 * fails the cursor) when fewer than n are left. */
static inline const uint8_t *
evlp_rd_take(evlp_rd *r, size_t n)
{
	const uint8_t *p = r->p;
	if (r->err || (size_t) (r->end - r->p) < n) {
		evlp_rd_fail(r, EVL_EPROTO);
		return NULL;
	}
	r->p += n;
	return p;
}

static inline uint8_t
evlp_rd_u8(evlp_rd *r)
{
	const uint8_t *p = evlp_rd_take(r, 1);
	return p ? p[0] : 0;
}

static inline uint16_t
evlp_rd_u16(evlp_rd *r)
{
	const uint8_t *p = evlp_rd_take(r, 2);
	return p ? evlp_get_u16(p) : 0;
}

static inline uint32_t
evlp_rd_u32(evlp_rd *r)
{
	const uint8_t *p = evlp_rd_take(r, 4);
	return p ? evlp_get_u32(p) : 0;
}

static inline uint64_t
evlp_rd_u64(evlp_rd *r)
{
	const uint8_t *p = evlp_rd_take(r, 8);
	return p ? evlp_get_u64(p) : 0;
}

static inline int32_t
evlp_rd_i32(evlp_rd *r)
{
	return (int32_t) evlp_rd_u32(r);
}

static inline int64_t
evlp_rd_i64(evlp_rd *r)
{
	return (int64_t) evlp_rd_u64(r);
}

static inline uint64_t
evlp_rd_uvarint(evlp_rd *r)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (r->err || r->p >= r->end) {
			evlp_rd_fail(r, EVL_EPROTO);
			return 0;
		}
		uint8_t b = *r->p++;
		/* The tenth byte may only carry the top bit of a u64. */
		if (shift == 63 && b > 1) {
			evlp_rd_fail(r, EVL_EPROTO);
			return 0;
		}
		v |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return v;
	}
	evlp_rd_fail(r, EVL_EPROTO);
	return 0;
}

static inline int64_t
evlp_rd_varint(evlp_rd *r)
{
	uint64_t u = evlp_rd_uvarint(r);
	return (int64_t) (u >> 1) ^ -(int64_t) (u & 1);
}

/* A uvarint that must fit in limit; larger values fail the cursor. */
static inline size_t
evlp_rd_len(evlp_rd *r, size_t limit)
{
	uint64_t v = evlp_rd_uvarint(r);
	if (v > limit) {
		evlp_rd_fail(r, EVL_EPROTO);
		return 0;
	}
	return (size_t) v;
}

static inline evlp_view
evlp_rd_view(evlp_rd *r, size_t n)
{
	evlp_view v = { evlp_rd_take(r, n), 0 };
	v.len       = v.p ? n : 0;
	return v;
}

/* str: u16 length + bytes. */
static inline evlp_view
evlp_rd_str(evlp_rd *r)
{
	return evlp_rd_view(r, evlp_rd_u16(r));
}

/* bytes: u32 length + bytes. */
static inline evlp_view
evlp_rd_bytes(evlp_rd *r)
{
	return evlp_rd_view(r, evlp_rd_u32(r));
}

static inline void
evlp_wr_init(evlp_wr *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->err = 0;
}

/* Reserves n bytes; returns where to write them, or NULL when they do not
 * fit (the writer then reports EVL_ETOOBIG but keeps counting). */
static inline uint8_t *
evlp_wr_take(evlp_wr *w, size_t n)
{
	size_t at = w->len;
	w->len += n;
	if (w->err || w->len > w->cap || w->len < at) {
		if (w->err == 0)
			w->err = EVL_ETOOBIG;
		return NULL;
	}
	/* Only n == 0 gets here with no buffer; NULL + 0 is undefined. */
	return w->buf ? w->buf + at : NULL;
}

static inline void
evlp_wr_u8(evlp_wr *w, uint8_t v)
{
	uint8_t *p = evlp_wr_take(w, 1);
	if (p)
		p[0] = v;
}

static inline void
evlp_wr_u16(evlp_wr *w, uint16_t v)
{
	uint8_t *p = evlp_wr_take(w, 2);
	if (p)
		evlp_put_u16(p, v);
}

static inline void
evlp_wr_u32(evlp_wr *w, uint32_t v)
{
	uint8_t *p = evlp_wr_take(w, 4);
	if (p)
		evlp_put_u32(p, v);
}

static inline void
evlp_wr_u64(evlp_wr *w, uint64_t v)
{
	uint8_t *p = evlp_wr_take(w, 8);
	if (p)
		evlp_put_u64(p, v);
}

static inline void
evlp_wr_i32(evlp_wr *w, int32_t v)
{
	evlp_wr_u32(w, (uint32_t) v);
}

static inline void
evlp_wr_i64(evlp_wr *w, int64_t v)
{
	evlp_wr_u64(w, (uint64_t) v);
}

static inline size_t
evlp_uvarint_size(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline void
evlp_wr_uvarint(evlp_wr *w, uint64_t v)
{
	uint8_t *p = evlp_wr_take(w, evlp_uvarint_size(v));
	if (p == NULL)
		return;
	while (v >= 0x80) {
		*p++ = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	*p = (uint8_t) v;
}

static inline uint64_t
evlp_zigzag(int64_t v)
{
	return ((uint64_t) v << 1) ^ (uint64_t) (v >> 63);
}

static inline void
evlp_wr_varint(evlp_wr *w, int64_t v)
{
	evlp_wr_uvarint(w, evlp_zigzag(v));
}

static inline void
evlp_wr_raw(evlp_wr *w, const void *src, size_t n)
{
	uint8_t *p = evlp_wr_take(w, n);
	if (p && n)
		memcpy(p, src, n);
}

/* str: u16 length + bytes; longer than 65535 fails with EVL_EINVAL. */
static inline void
evlp_wr_str(evlp_wr *w, const void *s, size_t n)
{
	if (n > UINT16_MAX) {
		if (w->err == 0)
			w->err = EVL_EINVAL;
		return;
	}
	evlp_wr_u16(w, (uint16_t) n);
	evlp_wr_raw(w, s, n);
}

/* bytes: u32 length + bytes. */
static inline void
evlp_wr_bytes(evlp_wr *w, const void *s, size_t n)
{
	if (n > UINT32_MAX) {
		if (w->err == 0)
			w->err = EVL_EINVAL;
		return;
	}
	evlp_wr_u32(w, (uint32_t) n);
	evlp_wr_raw(w, s, n);
}

#endif /* EVLP_BUF_H */
