/*
 * writer.h -- appends, group-committed by the store's one writer thread.
 *
 * The writer takes every append waiting, assigns offsets (dense per
 * partition) and a broker time (ms, non-decreasing per partition), stamps
 * both into the batches, writes them all as one LevelDB write to the log
 * database, fsyncs once if the policy or any append of the group asks,
 * writes the index and counters to the metadata database, makes the new
 * offsets visible to readers, and only then calls on_append and every
 * append's done.  A reader therefore never sees an offset whose write has
 * not finished, and never a gap.
 */
#ifndef EVLS_WRITER_H
#define EVLS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Expected versions (evls_append.expected_version). */
#define EVLS_VERSION_ANY       (-1) /* no check */
#define EVLS_VERSION_NO_STREAM (-2) /* the key has no version yet */
#define EVLS_VERSION_EXISTS    (-3) /* the key has a version */

typedef struct evls_store  evls_store;
typedef struct evls_append evls_append;

struct evls_append {
	/* in */
	const char *topic; /* borrowed until done */
	uint32_t    partition;
	/* A batch that passed evlp_batch_check, borrowed until done; the
	 * store stamps base offset and append time into it. */
	uint8_t *batch;
	size_t   len;
	/* acks=fsync: done only after an fsync covers the batch (forces
	 * one for its group whatever the policy). */
	bool sync;
	/* Per-key streams (key_index topics, stream.h): with check_version,
	 * every record must carry the same key and the append succeeds
	 * only if that stream's current version matches expected_version
	 * (EVLS_VERSION_* or >= 0).  false (the zero value): no check. */
	bool    check_version;
	int64_t expected_version;
	/* out, valid in done() */
	int      err; /* 0, or EVL_ENOTOPIC, EVL_ENOPART, EVL_EPROTO (not a
	                 batch), EVL_EIO (the store is broken), EVL_ENOMEM;
	                 streams: EVL_EWRONGVERSION, EVL_EINVAL (a key on
	                 the wrong partition, too long, or several keys with
	                 check_version); producers: EVL_ESEQUENCE,
	                 EVL_EFENCEDPRODUCER, EVL_EINVAL (bad epoch or
	                 sequence); ids: EVL_EINVAL (heads.h) */
	uint64_t base_offset;
	int64_t  append_time;
	/* Key-indexed topics: the version the batch's last keyed record got
	 * (with EVL_EWRONGVERSION: the stream's current version); -1 =
	 * none. */
	int64_t version;
	/* An idempotent producer's retry of its last batch (batch header
	 * producer_id >= 0), or a batch whose evlog-id headers were all
	 * appended within the topic's dedupe window: nothing was appended,
	 * base_offset and append_time are the original's (for ids: the
	 * offset the batch's first record had when first appended), and
	 * version the original's (-1 for ids found in the database). */
	bool duplicate;
	/* Called on the writer thread, exactly once; may resubmit or free
	 * a.  Must not block: it holds up every other append. */
	void (*done)(evls_append *a);
	void *arg;
	evls_append *next_;     /* private */
	void        *dup_;      /* private: a duplicate's original append */
	uint32_t     dup_skip_; /* private: ... and record index in it */
};

/*
 * evls_append_submit queues a.  0: queued, done will be called.  An
 * error means not queued and done not called: EVL_EINVAL (no topic,
 * batch or done; len below a batch header), EVL_ECLOSED (the store is
 * closing).
 */
int evls_append_submit(evls_store *s, evls_append *a);

/*
 * evls_append_wait submits a and blocks until it is done; returns a->err
 * (or the submit error).  It overwrites a->done and a->arg.  Must not be
 * called on the writer thread (from done or on_append).
 */
int evls_append_wait(evls_store *s, evls_append *a);

#endif /* EVLS_WRITER_H */
