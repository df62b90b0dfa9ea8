/*
 * store_int.h -- the store's private state, shared by the storage/ files.
 * Not for the broker: it uses store.h only.
 *
 * Locks, taken in this order, never the reverse:
 *   admin_mu   one topic create/alter/delete or group-offset write at a
 *              time (their check-then-write must not interleave);
 *   commit_mu  held by whoever changes partition state or the log: the
 *              writer for a whole group commit, trims, alter, delete.
 *              Held across LevelDB writes, so readers never take it;
 *   mu         the in-memory tables, the append queue and flags; held
 *              only briefly, never across I/O.
 * Partition fields are written under commit_mu AND mu, so holders of
 * either may read them.
 */
#ifndef EVLS_STORE_INT_H
#define EVLS_STORE_INT_H

#include <evlog/evlog.h>
#include <pthread.h>
#include <stdatomic.h>

#include "db.h"
#include "heads.h"
#include "keys.h"
#include "store.h"

typedef struct evls_part {
	uint64_t first;     /* first readable offset */
	uint64_t next;      /* head, visible to readers */
	uint64_t bytes;     /* stored bytes of batches not yet deleted */
	int64_t  last_time; /* append time of the newest batch */
	/* The writer's view while a group is in flight (commit_mu). */
	uint64_t g_next;
	uint64_t g_bytes;
	int64_t  g_time;
	bool     g_touched;
} evls_part;

typedef struct evls_topic {
	char             *name;
	uint32_t          id;
	evls_topic_config config;
	evls_part        *parts; /* config.partitions of them */
} evls_topic;

/* One admitted append of the group being committed. */
typedef struct evls_gitem {
	evls_append *a;
	evls_topic  *t;
	evls_part   *p;
	uint32_t     count;
} evls_gitem;

struct evls_store {
	evls_options opt; /* opt.dir points at dir */
	char        *dir;
	evls_db      log;
	evls_db      meta;

	pthread_mutex_t admin_mu;
	pthread_mutex_t commit_mu;
	pthread_mutex_t mu;
	pthread_cond_t  wake; /* writer: work queued, meta dirty, or stop */

	/* mu: topics sorted by name. */
	evls_topic **topics;
	size_t       ntopics;
	size_t       topics_cap;
	uint32_t     next_tid;

	/* mu: the append queue, FIFO. */
	evls_append *qhead;
	evls_append *qtail;
	bool         stopping;
	int          broken; /* sticky EVL_EIO after a half-done commit */
	/* mu: group offsets written without sync since this monotonic ms
	 * (-1 = none); the writer's interval timer syncs them. */
	int64_t meta_dirty_since;

	/* Writer thread only (after open). */
	pthread_t             writer;
	bool                  writer_started;
	uint64_t              next_seq;
	int64_t               log_dirty_since; /* monotonic ms, -1 = synced */
	leveldb_writebatch_t *lb;
	leveldb_writebatch_t *mb;
	evls_gitem           *group;   /* the admitted appends */
	evls_gitem           *touched; /* one per partition they touch */
	size_t                ntouched;
	size_t                group_cap; /* of both arrays */
	evls_heads            heads; /* stream heads, producer states */

	atomic_uint hooks;
};

/* Broker time in ms: opt.clock_ms, else CLOCK_REALTIME (writer.c). */
int64_t evls_clock_ms(evls_store *s);

/* CLOCK_MONOTONIC in ms, for sync deadlines. */
int64_t evls_mono_ms(void);

/* Looks a topic up by name / id.  Call with mu held. */
evls_topic *evls_topic_find(evls_store *s, const char *name);
evls_topic *evls_topic_by_id(evls_store *s, uint32_t tid);

/* Resolves (topic, partition) to its state.  Call with mu held.  Errors:
 * EVL_ENOTOPIC, EVL_ENOPART. */
int evls_part_find(evls_store *s, const char *topic, uint32_t partition,
    evls_topic **t, evls_part **p);

/* Loads every 'T' and 'P' key into s->topics (open only). */
int evls_topic_load(evls_store *s);

/* Frees a topic and its partitions. */
void evls_topic_free(evls_topic *t);

/*
 * Deletes every batch, index entry, counter and group offset of topic id
 * tid, then its deletion marker.  Idempotent, so open can rerun it.
 * Errors: EVL_EIO, EVL_ECORRUPT.
 */
int evls_topic_sweep(evls_store *s, uint32_t tid);

/* Puts the 'P' counters of p into b. */
void evls_part_put(
    leveldb_writebatch_t *b, uint32_t tid, uint32_t part, const evls_part *p);

/*
 * Deletes the batches (log entries, then index entries) of partition
 * (tid, part) that lie wholly below first.  Caller holds commit_mu or is
 * open.  Adds the deleted bytes to *bytes when not NULL.
 */
int evls_part_sweep(evls_store *s, uint32_t tid, uint32_t part,
    uint64_t first, uint64_t *bytes);

/* Checks a stored batch against its index entry: header, size, offsets,
 * append time and CRC (log.c). */
bool evls_batch_ok(const evls_idx *x, const uint8_t *b, size_t len);

/* Writer life cycle (writer.c). */
int  evls_writer_start(evls_store *s);
void evls_writer_stop(evls_store *s);

/* Recovery (recover.c); runs in open before the writer starts. */
int evls_recover(evls_store *s);

/* Wakes the writer to sync meta within the interval (offsets.c).  Call
 * with mu held. */
void evls_meta_dirty(evls_store *s);

#endif /* EVLS_STORE_INT_H */
