/*
 * store.h -- the evlog log store: everything the broker uses from storage/.
 *
 * A store is a data directory holding two LevelDB databases (keys.h): an
 * append-ordered log of record batches and a small metadata database with
 * topics, the per-partition batch index, counters and group offsets.  One
 * writer thread group-commits appends (writer.h); reads, topic changes,
 * group offsets and retention may be called from any thread.  Every
 * function returns 0 or an evl_err from evlog.h and writes its
 * out-parameters only on success.  No call may be in flight on a store
 * when it is closed.
 *
 * The store knows nothing of the network: it links LevelDB and evl_proto
 * (allocator, error codes, batch codec) only.
 */
#ifndef EVLS_STORE_H
#define EVLS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "dedupe.h"
#include "log.h"
#include "offsets.h"
#include "group_state.h"
#include "retention.h"
#include "stream.h"
#include "topic.h"
#include "writer.h"

typedef struct evls_store evls_store;

typedef enum evls_fsync {
	EVLS_FSYNC_NEVER,    /* leave it to the OS (survives kill -9 only) */
	EVLS_FSYNC_INTERVAL, /* a sync at least every fsync_interval_ms */
	EVLS_FSYNC_ALWAYS,   /* every group commit is synced */
} evls_fsync;

typedef struct evls_options {
	const char *dir; /* created (with parents) if missing; copied */
	evls_fsync  fsync;
	/* INTERVAL: a sync at least this often while there are unsynced
	 * writes (the writer wakes on a timer when idle). */
	uint32_t fsync_interval_ms;
	/* Block cache and memtable size of the log database; 0 = defaults
	 * (64 MiB each).  The meta database gets fixed small ones. */
	size_t cache_bytes, write_buffer_bytes;
	/* Called on the writer thread after new offsets became visible to
	 * readers, once per partition a group commit touched; topic is
	 * borrowed for the call.  Must not block or call back into the
	 * store's writer (evls_append_wait). */
	void (*on_append)(void *arg, const char *topic, uint32_t partition,
	    uint64_t next_offset);
	void *on_append_arg;
	/* The broker clock for append times, ms since the epoch; NULL =
	 * CLOCK_REALTIME.  Tests pass a fake one.  Called on the writer. */
	int64_t (*clock_ms)(void *arg);
	void *clock_arg;
} evls_options;

/* evls_options_init sets the defaults: no dir, fsync INTERVAL every
 * 1000 ms, default sizes, no callbacks. */
void evls_options_init(evls_options *o);

/*
 * evls_store_open opens the store in o->dir, creating it if missing, and
 * recovers it (README.md, "Recovery"): finishes interrupted topic
 * deletions and trims, drops index entries whose batches a power cut
 * lost, and replays log entries the metadata has not caught up with.
 * Then it starts the writer thread.  On success *out is the store; close
 * it with evls_store_close.  Errors: EVL_EINVAL (no dir), EVL_EIO (cannot
 * create or open; the LevelDB text is on stderr), EVL_ECORRUPT (stored
 * data fails its checks), EVL_EVERSION (another storage format),
 * EVL_ENOMEM.
 */
int evls_store_open(evls_store **out, const evls_options *o);

/*
 * evls_store_close stops accepting appends (they fail with EVL_ECLOSED),
 * lets the writer commit and answer every append already queued, stops
 * it, syncs what is unsynced (unless fsync is NEVER), closes both
 * databases and frees s.  NULL does nothing.
 */
void evls_store_close(evls_store *s);

/*
 * Test hooks, to simulate crashes at the exact points recovery handles.
 * SKIP_META: the writer writes the log but not the metadata (a crash
 * between the two writes; answers still succeed).  STOP_DELETE: topic
 * deletion stops right after its deletion marker (a crash mid-sweep).
 * Never set outside tests.
 */
#define EVLS_HOOK_SKIP_META   0x1u
#define EVLS_HOOK_STOP_DELETE 0x2u
void evls_store_test_hooks(evls_store *s, unsigned hooks);

#endif /* EVLS_STORE_H */
