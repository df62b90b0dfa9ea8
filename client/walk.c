/*
 * walk.c -- see walk.h.
 */
#include "walk.h"
#include "crc32c.h"

void
evlc_walk_drop(evlc_walk *w)
{
	evlc_resp_fini(&w->resp);
	w->in_part  = false;
	w->in_batch = false;
}

int
evlc_walk_start(evlc_walk *w)
{
	w->in_part  = false;
	w->in_batch = false;
	if (evlp_fetch_resp_decode(w->resp.body, &w->fr) != 0) {
		evlc_walk_drop(w);
		w->what = "malformed fetch response";
		return EVL_ECORRUPT;
	}
	return 0;
}

static int
corrupt(evlc_walk *w, const char *what)
{
	evlc_walk_drop(w);
	w->what = what;
	return EVL_ECORRUPT;
}

int
evlc_walk_next(
    evlc_walk *w, const evlc_walk_ops *ops, void *owner, evlp_record *er)
{
	evlp_view      bv;
	evlp_batch_hdr bh;

	if (w->resp.msg == NULL)
		return EVLC_WALK_END;
	for (;;) {
		/* A partition paused or failed since the last call stops
		 * delivering at once: the rest of its entry is passed over. */
		if (w->in_batch) {
			if (ops->readable(w->part)) {
				while (evlp_batch_next(&w->it, er)) {
					if (er->offset < *w->pos)
						continue;
					/* Erased by a stream delete: not data
					 * any more; its offset is passed over. */
					if (er->attributes & EVLP_REC_ERASED) {
						*w->pos = er->offset + 1;
						continue;
					}
					return 0;
				}
				if (w->it.rd.err)
					return corrupt(w, "malformed record");
			}
			w->in_batch = false;
		}
		if (w->in_part) {
			if (ops->readable(w->part) &&
			    evlp_batches_next(&w->batches, &bv, &bh)) {
				/* Whole batch below the position: skip it
				 * without walking. */
				if (bh.base_offset + bh.count <= *w->pos)
					continue;
				if (evlp_crc32c(0, bv.p + EVLP_BATCH_CRC_START,
				        bv.len - EVLP_BATCH_CRC_START) != bh.crc)
					return corrupt(w, "batch checksum");
				if (evlp_batch_iter_init(&w->it, bv.p, bv.len) != 0)
					return corrupt(w, "batch header");
				w->in_batch = true;
				continue;
			}
			if (w->batches.err)
				return corrupt(w, "batch framing");
			w->in_part = false;
		}
		if (!evlp_fetch_resp_next(&w->fr, &w->cur)) {
			evlc_walk_drop(w);
			return EVLC_WALK_END;
		}
		w->part = ops->find(owner, w->cur.topic, w->cur.partition);
		if (w->part == NULL) {
			evlc_walk_drop(w);
			return EVLC_WALK_STRAY;
		}
		if (!ops->readable(w->part))
			continue;
		if (w->cur.error != 0)
			return EVLC_WALK_PART_ERROR;
		w->pos = ops->pos(w->part);
		evlp_rd_init(&w->batches, w->cur.batches.p, w->cur.batches.len);
		w->in_part = true;
	}
}

int
evlc_walk_record(evlc_walk *w, const evlc_walk_ops *ops, void *owner,
    evl_client *c, evl_record *rec, evlc_hdrs *hb)
{
	evlp_record er;
	int         rv = evlc_walk_next(w, ops, owner, &er);

	switch (rv) {
	case 0:
		break;
	case EVLC_WALK_END:
		return rv;
	case EVLC_WALK_STRAY:
		return evlc_fail(c, EVL_EPROTO,
		    "fetch answered a partition not asked for");
	case EVLC_WALK_PART_ERROR:
		(void) evlc_fail(c, w->cur.error,
		    "%s partition %u at offset %llu: %s",
		    ops->topic(owner, w->part), (unsigned) w->cur.partition,
		    (unsigned long long) *ops->pos(w->part),
		    evl_strerror(w->cur.error));
		return rv;
	default:
		return evlc_fail(c, rv, "%s partition %u: %s",
		    ops->topic(owner, w->part), (unsigned) w->cur.partition,
		    w->what);
	}
	if ((rv = evlc_record_fill(rec, hb, &er, ops->topic(owner, w->part),
	         w->cur.partition)) != 0)
		return rv;
	*w->pos = er.offset + 1;
	return 0;
}
