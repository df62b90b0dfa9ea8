/*
 * walk.h -- walking a FETCH response: its partition entries, each entry's
 * batches (CRC-checked before use), each batch's records, delivering
 * those at or past the partition's position and passing over records
 * erased by a stream delete.  The reader and the group consumer each own
 * one walk; what differs between them (which partition an entry is, and
 * whether it may deliver now) comes in through evlc_walk_ops.
 *
 * A record is delivered once: evlc_walk_record fills the owner's
 * evl_record from it and moves the partition's position past it.  (It
 * also turns what went wrong into the client's error and message, the
 * same for both owners.)  Between two calls the owner may pause,
 * resume or fail a partition (readable is asked again at each call); a
 * seek or an unassign drops the response (evlc_walk_drop), since what is
 * buffered may be of the old position.
 */
#ifndef EVLC_WALK_H
#define EVLC_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "client_int.h"
#include "msg.h"

/* evlc_walk_next's returns besides 0 and EVL_ECORRUPT. */
#define EVLC_WALK_END        (-1) /* the response is used up (released) */
#define EVLC_WALK_STRAY      (-2) /* an entry for a partition not asked for */
#define EVLC_WALK_PART_ERROR (-3) /* w->cur.error for w->part */

typedef struct evlc_walk_ops {
	/* The owner's partition for an entry, or NULL (not asked for). */
	void *(*find)(void *owner, evlp_view topic, uint32_t partition);
	/* Whether part may deliver now: assigned, not paused, not failed. */
	bool (*readable)(const void *part);
	/* part's position: the next offset to deliver. */
	uint64_t *(*pos)(void *part);
	/* part's topic name, for the records and the messages. */
	const char *(*topic)(const void *owner, const void *part);
} evlc_walk_ops;

typedef struct evlc_walk {
	evlc_resp            resp; /* the answer being walked */
	evlp_fetch_resp      fr;
	bool                 in_part;
	evlp_fetch_resp_part cur; /* the entry */
	void                *part; /* its partition (the owner's) */
	uint64_t            *pos;  /* and that partition's position */
	evlp_rd              batches;
	bool                 in_batch;
	evlp_batch_iter      it;
	const char          *what; /* after EVL_ECORRUPT: what was damaged */
} evlc_walk;

/* evlc_walk_start walks the answer now in w->resp: EVL_ECORRUPT (and
 * the answer dropped) when its body is not a fetch response. */
int evlc_walk_start(evlc_walk *w);

/*
 * evlc_walk_next finds the next record to deliver and returns 0 with it
 * in *er (views into w->resp), or EVLC_WALK_END, EVLC_WALK_STRAY (the
 * answer dropped), EVLC_WALK_PART_ERROR (the owner marks w->part and
 * reports w->cur.error; the walk goes on past the entry), or
 * EVL_ECORRUPT (a batch or record is damaged: w->what says which, and
 * the answer is dropped; w->cur.partition stays readable).
 */
int evlc_walk_next(
    evlc_walk *w, const evlc_walk_ops *ops, void *owner, evlp_record *er);

/*
 * evlc_walk_record delivers the next record into *rec (borrowing from
 * w->resp and hb) and moves its partition's position past it: 0, or
 * EVLC_WALK_END, or EVLC_WALK_PART_ERROR (the owner marks w->part; its
 * error is w->cur.error), or an error; every error but EVLC_WALK_END
 * comes with c's message set.
 */
int evlc_walk_record(evlc_walk *w, const evlc_walk_ops *ops, void *owner,
    evl_client *c, evl_record *rec, evlc_hdrs *hb);

/* evlc_walk_drop releases the answer; nothing is buffered afterwards. */
void evlc_walk_drop(evlc_walk *w);

#endif /* EVLC_WALK_H */
