/*
 * heads.h -- the writer's view of per-key stream heads and idempotent
 * producer states while a group is committed (and while open replays the
 * log).
 *
 * Both live in the metadata database ('H' and 'Q', keys.h) and change
 * only on the writer thread (and in stream deletes, which hold
 * commit_mu).  For one group the writer loads the entries its appends
 * touch into a small hash map, checks expected versions and producer
 * sequences against them (admit), counting what earlier appends of the
 * same group reserved, then -- once offsets are assigned -- writes the
 * version index and the new heads and states into the same metadata
 * WriteBatch as the batch index (apply, put).  The map is emptied before
 * every group, so it never holds state another writer of meta changed.
 */
#ifndef EVLS_HEADS_H
#define EVLS_HEADS_H

#include <leveldb/c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"

typedef struct evls_store  evls_store;
typedef struct evls_append evls_append;
typedef struct evls_topic  evls_topic;

typedef struct evls_hent {
	struct evls_hent *chain;
	uint32_t          hash;
	bool              exists; /* in the database, or set by this group */
	bool              dirty;  /* to be written by put */
	/* 'H': the head as loaded, and two counters of versions handed out
	 * starting from it: g_next by admit, w_next by apply.  Both walk
	 * the same appends in the same order, so they agree. */
	evls_head h;
	uint64_t  g_next;
	uint64_t  w_next;
	/* 'Q': the state, and the append of this group that set it (NULL
	 * when it was loaded), whose answer a duplicate in the same group
	 * copies. */
	evls_pstate  ps;
	evls_append *pending;
	/* 'Q' set by an id duplicate of a pending append (pending->dup_):
	 * put takes its offsets from that original, stamped by then. */
	bool from_dup;
	/* 'X': the id's record as stored (exists), or pending (above) with
	 * the index of its record in that append; seen: the append being
	 * admitted that last looked at it (an id twice in one batch). */
	uint64_t     x_offset;
	int64_t      x_time;
	uint32_t     x_index;
	evls_append *seen;
	size_t       klen;
	uint8_t      k[]; /* the metadata key */
} evls_hent;

typedef struct evls_heads {
	evls_hent **buckets;
	size_t      nbuckets;
	size_t      n;
	int64_t     now; /* broker time of the group: dedupe windows */
} evls_heads;

/* The header naming a record's idempotency key (PROTOCOL.md 10.5). */
#define EVLS_ID_HEADER "evlog-id"

/* Frees every entry (the map stays usable); fini also frees buckets. */
void evls_heads_clear(evls_heads *m);
void evls_heads_fini(evls_heads *m);

/*
 * evls_heads_admit checks append a, already admitted to partition `part`
 * of t (its batch header checked), against the map: producer sequence and
 * epoch when its batch carries a producer id, and for a key_index topic
 * every keyed record's partition and key length, and the expected version;
 * on a topic with a dedupe window, the records' evlog-id headers against
 * the ids appended to the partition less than the window before m->now
 * (and those reserved by earlier appends of the group).  On success the
 * versions, the producer sequence and the ids are reserved in the map;
 * a->duplicate is set for a producer's retry or a batch whose ids were
 * all appended already, at the same distances (then a->dup_ is the
 * original append of this group and a->dup_skip_ the original's record
 * index, or base_offset, append_time and version are filled from the
 * stored state).  Nothing changes on error: EVL_EINVAL (also: an id empty,
 * longer than EVLS_ID_MAX, twice in the batch, or a batch mixing
 * duplicates with new ids),
 * EVL_EPROTO, EVL_EWRONGVERSION (a->version = the current version),
 * EVL_ESEQUENCE, EVL_EFENCEDPRODUCER, EVL_ENOMEM, EVL_EIO.
 */
int evls_heads_admit(evls_store *s, evls_heads *m, evls_topic *t,
    uint32_t part, evls_append *a);

/*
 * evls_heads_apply records a stamped batch of partition `part` of t: puts
 * a version-index entry per keyed record (key_index topics) and the 'X'
 * and 'Y' entries of each record's evlog-id (topics with a dedupe window)
 * into mb, and
 * moves the heads and the producer state in the map.  *version gets the
 * version of the batch's last keyed record (-1 = none).  Used by the
 * writer after admit, and by replay on open (which loads what it needs).
 * Errors (replay only): EVL_ENOMEM, EVL_EIO, EVL_ECORRUPT.
 */
int evls_heads_apply(evls_store *s, evls_heads *m, evls_topic *t,
    uint32_t part, const uint8_t *batch, size_t len, leveldb_writebatch_t *mb,
    int64_t *version);

/* Puts every changed head and producer state of the map into mb; returns
 * how many. */
size_t evls_heads_put(evls_heads *m, leveldb_writebatch_t *mb);

/* True when a stream at version cur (-1 = none) satisfies expected
 * (EVLS_VERSION_* or >= 0). */
bool evls_version_matches(int64_t expected, int64_t cur);

/* True when a batch header carries idempotent-producer fields. */
bool evls_heads_is_producer(const uint8_t *batch);

#endif /* EVLS_HEADS_H */
