/*
 * frame.c -- the 16-byte frame header codec; the table is in frame.h.
 *
 * The version is checked right after the magic, before flags and length,
 * so a peer speaking a later version gets EVL_EVERSION (and can be told
 * which version we speak) even if that version changed the rest of the
 * header.
 */
#include "frame.h"

int
evlp_frame_decode(
    const void *msg, size_t len, evlp_frame *out, evlp_view *body)
{
	const uint8_t *p = msg;
	evlp_frame     f;
	if (p == NULL || len < EVLP_FRAME_SIZE)
		return EVL_EPROTO;
	if (evlp_get_u16(p) != EVLP_MAGIC)
		return EVL_EPROTO;
	f.version = p[2];
	if (f.version != EVLP_VERSION)
		return EVL_EVERSION;
	f.op          = p[3];
	f.flags       = evlp_get_u16(p + 4);
	f.status      = evlp_get_u16(p + 6);
	f.id          = evlp_get_u32(p + 8);
	f.body_length = evlp_get_u32(p + 12);
	if ((f.flags & ~EVLP_FLAG_RESPONSE) != 0)
		return EVL_EPROTO;
	/* A request has no status to carry; a nonzero one is a reserved
	 * field set. */
	if ((f.flags & EVLP_FLAG_RESPONSE) == 0 && f.status != 0)
		return EVL_EPROTO;
	if (f.body_length != len - EVLP_FRAME_SIZE)
		return EVL_EPROTO;
	*out      = f;
	body->p   = p + EVLP_FRAME_SIZE;
	body->len = f.body_length;
	return 0;
}

void
evlp_frame_encode(uint8_t out[EVLP_FRAME_SIZE], const evlp_frame *f)
{
	evlp_put_u16(out, EVLP_MAGIC);
	out[2] = f->version;
	out[3] = f->op;
	evlp_put_u16(out + 4, f->flags);
	evlp_put_u16(out + 6, f->status);
	evlp_put_u32(out + 8, f->id);
	evlp_put_u32(out + 12, f->body_length);
}
