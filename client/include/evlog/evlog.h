/*
 * evlog.h -- the public API of libevlog, the evlog client library.
 *
 * This header is the whole client API: use of declarations not found here
 * is unsupported.  Handles are opaque; every function returns 0 (EVL_OK) or
 * an error code from EVL_ERRORS below, and writes its out-parameters only
 * on success.  Ownership is stated on each prototype with one of three
 * phrases: "takes ownership", "borrows (valid until ...)", or "caller frees
 * with evl_x_free".
 *
 * The error list is also the wire protocol's: the numbers travel in
 * response frames (proto/PROTOCOL.md), so they are never renumbered.
 * Internal code (proto, storage, broker) includes this header only for it.
 */
#ifndef EVLOG_EVLOG_H
#define EVLOG_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define EVL_API __attribute__((visibility("default")))
#else
#define EVL_API
#endif

/*
 * X(number, NAME, message).  Grouped by decade so a new code has a home:
 * 1-19 protocol and request, 20-39 topics and data, 40-59 connection and
 * flow, 60-79 groups, 80-99 streams and producers, 100-119 security.
 * "retryable" in a message means the same request may be sent again.
 */
#define EVL_ERRORS(X)                                                        \
	X(0, OK, "success")                                                  \
	X(1, EPROTO, "malformed message")                                    \
	X(2, EVERSION, "unsupported protocol version")                       \
	X(3, EUNKNOWNOP, "unknown operation")                                \
	X(4, ETOOBIG, "message or record too large")                         \
	X(5, ECRC, "record batch checksum mismatch")                         \
	X(6, EINVAL, "invalid argument")                                     \
	X(7, ENOMEM, "out of memory")                                        \
	X(8, ENOTSUP, "operation not supported")                             \
	X(9, EINTERNAL, "internal error")                                    \
	X(20, ENOTOPIC, "unknown topic")                                     \
	X(21, ENOPART, "unknown partition")                                  \
	X(22, ETOPICEXISTS, "topic already exists")                          \
	X(23, EBADNAME, "invalid name")                                      \
	X(24, EOFFSET, "offset out of range")                                \
	X(25, ECORRUPT, "stored data is corrupted")                          \
	X(26, EIO, "storage I/O error")                                      \
	X(27, ESTREAMS, "not allowed on a topic with per-key streams")       \
	X(28, ENOTFOUND, "not found")                                        \
	X(40, ETIMEDOUT, "timed out")                                        \
	X(41, ECLOSED, "handle or broker closed")                            \
	X(42, ECONNREFUSED, "connection refused")                            \
	X(43, ECONNRESET, "connection lost (retryable)")                     \
	X(44, EBUSY, "broker busy (retryable)")                              \
	X(45, ESHUTDOWN, "broker shutting down (retryable)")                 \
	X(46, ELIMIT, "limit reached")                                       \
	X(47, ETHROTTLED, "quota exceeded, back off (retryable)")            \
	X(60, ENOGROUP, "unknown consumer group")                            \
	X(61, EUNKNOWNMEMBER, "unknown group member")                        \
	X(62, EGENERATION, "stale group generation (fenced)")                \
	X(63, EREBALANCE, "group rebalance in progress (rejoin)")            \
	X(64, ENOTOWNER, "partition not assigned to this member")           \
	X(65, EGROUPACTIVE, "group has active members")                      \
	X(80, EWRONGVERSION, "expected version mismatch")                    \
	X(81, ESEQUENCE, "producer sequence out of order")                   \
	X(82, EFENCEDPRODUCER, "producer id fenced by a newer epoch")        \
	X(83, ESTREAMDELETED, "stream was deleted")                          \
	X(100, EAUTH, "authentication failed")                               \
	X(101, EAUTHREQUIRED, "authentication required")                     \
	X(102, EDENIED, "not authorized")

enum evl_err {
#define EVL_ERR_ENUM_(num, name, msg) EVL_##name = num,
	EVL_ERRORS(EVL_ERR_ENUM_)
#undef EVL_ERR_ENUM_
};

/*
 * evl_strerror returns a human-readable message for an error code, and
 * evl_errname its symbolic name ("EVL_ENOTOPIC").  Both return static
 * strings (do not free); an unknown code gives "unknown error" and
 * "EVL_UNKNOWN".
 */
EVL_API const char *evl_strerror(int err);
EVL_API const char *evl_errname(int err);

/* ---- connection --------------------------------------------------------- */

typedef struct evl_client   evl_client;
typedef struct evl_producer evl_producer;
typedef struct evl_reader   evl_reader;

typedef struct evl_client_opts {
	/* Broker URL: tcp://, ipc://, ws://, tls+tcp://.  NULL: the
	 * EVLOG_BROKER environment variable, else tcp://127.0.0.1:7470. */
	const char *url;
	uint32_t    timeout_ms;         /* each request; default 10000 */
	uint32_t    connect_timeout_ms; /* first connection; default 5000 */
	/* tls+tcp:// only; NULL = unset.  ca verifies the broker. */
	const char *tls_ca_file;
	const char *tls_cert_file;
	const char *tls_key_file;
	const char *tls_server_name;
	/*
	 * Authentication (SCRAM-SHA-256, PROTOCOL.md §9); NULL = none.
	 * With user set, password is required; both are copied by
	 * evl_client_open (the copy is wiped at close).  The client logs in
	 * at open, and again by itself after every reconnect; a request the
	 * broker refused as unauthenticated meanwhile is re-sent after the
	 * login (it was refused before it had any effect).  A broker that
	 * cannot prove it knows the user's key fails the login too.
	 */
	const char *user;
	const char *password;
} evl_client_opts;

/* evl_client_opts_init fills in the defaults. */
EVL_API void evl_client_opts_init(evl_client_opts *o);

/*
 * evl_client_open connects to a broker and checks it answers (a PING),
 * within connect_timeout_ms: EVL_ECONNREFUSED or EVL_ETIMEDOUT otherwise.
 * The connection re-dials by itself after a drop.  A client is safe to use
 * from several threads.  Caller frees with evl_client_close.
 *
 * Every request is bounded by timeout_ms (a fetch adds its long-poll
 * wait): a broker that is down gives EVL_ECONNREFUSED (no connection
 * came up in time) or EVL_ETIMEDOUT (connected, no answer), never a
 * hang.  A request cut by a dropped connection fails with the retryable
 * EVL_ECONNRESET; the library itself re-sends the idempotent ones
 * (fetches, metadata and admin reads, offsets) while time is left.
 * Topic create/alter/delete and evl_produce_sync are not re-sent: the
 * caller sees EVL_ECONNRESET and decides.  A request a broker quota
 * refuses with EVL_ETHROTTLED (it did nothing) is re-sent whatever it
 * is, after the back-off the broker asked for, within the same timeout;
 * the connection stays up (docs/SECURITY.md, "Quotas").  With
 * tls+tcp:// and no tls_ca_file the connection is encrypted but the
 * broker not verified.
 *
 * With opts.user, open also logs in: EVL_EAUTH for an unknown user, a
 * wrong password or a broker that failed to prove itself (one message
 * for all, see evl_client_errmsg), EVL_ETHROTTLED when the broker locked
 * this address out after repeated failures (detail in the message),
 * EVL_ENOTSUP when the broker has authentication off, EVL_EINVAL for a
 * user without a password.  Without a user, a broker that requires
 * authentication answers every request but a ping EVL_EAUTHREQUIRED.
 */
EVL_API int evl_client_open(evl_client **out, const evl_client_opts *o);

/* evl_client_close closes consumers, producers and readers left open on
 * c, in that order (a consumer commits and leaves its group, a producer
 * flushes), then the connection.  NULL does nothing. */
EVL_API void evl_client_close(evl_client *c);

/*
 * evl_client_errmsg returns the detail of the most recent failed call on
 * c (the broker's message when it sent one), or "" -- borrowed, valid
 * until the next call on c.  With several threads calling, it may belong
 * to another thread's call.
 */
EVL_API const char *evl_client_errmsg(evl_client *c);

/* ---- records ------------------------------------------------------------- */

typedef struct evl_header {
	const char *name;
	size_t      name_len;
	const void *value;
	size_t      value_len;
} evl_header;

/* A record read back.  Every pointer borrows from the reader (valid until
 * its next call); key is NULL when the record has no key. */
typedef struct evl_record {
	const char       *topic;
	uint32_t          partition;
	uint64_t          offset;
	int64_t           timestamp;          /* broker append time, ms */
	int64_t           producer_timestamp; /* 0 = none given */
	const void       *key;
	size_t            key_len;
	const void       *value;
	size_t            value_len;
	const evl_header *headers;
	size_t            header_count;
} evl_record;

/* ---- topics -------------------------------------------------------------- */

typedef struct evl_topic_config {
	uint32_t partitions;      /* default 1 */
	int64_t  retention_ms;    /* -1 = forever (default) */
	int64_t  retention_bytes; /* per partition; -1 = unlimited (default) */
	int      key_index;       /* per-key streams; default 0 */
	/* Records whose "evlog-id" header was appended to the same partition
	 * less than this many ms ago are not appended again: the produce
	 * answers the original offset (PROTOCOL.md 10.5).  0 = off
	 * (default). */
	int64_t dedupe_window_ms;
} evl_topic_config;

EVL_API void evl_topic_config_init(evl_topic_config *c);

/* Field bits for evl_topic_alter: which settings to change. */
#define EVL_ALTER_PARTITIONS      0x1u /* grow only; remaps keys */
#define EVL_ALTER_RETENTION_MS    0x2u
#define EVL_ALTER_RETENTION_BYTES 0x4u
#define EVL_ALTER_DEDUPE_WINDOW   0x8u

typedef struct evl_partition_info {
	uint32_t partition;
	uint64_t first_offset; /* first offset still stored */
	uint64_t next_offset;  /* the head: offset the next record gets */
	uint64_t records;
	uint64_t bytes;
} evl_partition_info;

typedef struct evl_topic_info {
	char               *name;
	evl_topic_config    config;
	size_t              partition_count; /* entries in partitions */
	evl_partition_info *partitions;      /* NULL from evl_topic_list */
} evl_topic_info;

/* Errors: EVL_ETOPICEXISTS, EVL_EBADNAME, EVL_EINVAL. */
EVL_API int evl_topic_create(
    evl_client *c, const char *name, const evl_topic_config *cfg);
/* Changes the settings named in fields (EVL_ALTER_*). */
EVL_API int evl_topic_alter(evl_client *c, const char *name,
    const evl_topic_config *cfg, unsigned fields);
EVL_API int evl_topic_delete(evl_client *c, const char *name);
/* All topics, sorted by name.  Caller frees with evl_topic_info_free. */
EVL_API int evl_topic_list(evl_client *c, evl_topic_info **out, size_t *n);
/* One topic with its partitions.  Caller frees with
 * evl_topic_info_free(*out, 1). */
EVL_API int evl_topic_describe(
    evl_client *c, const char *name, evl_topic_info **out);
EVL_API void evl_topic_info_free(evl_topic_info *t, size_t n);

/* Special timestamps for evl_offset_for_time. */
#define EVL_TIME_LATEST   (-1) /* the head */
#define EVL_TIME_EARLIEST (-2) /* the first offset still stored */

/* The first offset of a partition whose broker append time is >= ts_ms
 * (the head when there is none), or per EVL_TIME_*. */
EVL_API int evl_offset_for_time(evl_client *c, const char *topic,
    uint32_t partition, int64_t ts_ms, uint64_t *offset);

/* ---- producing ----------------------------------------------------------- */

#define EVL_ACKS_NONE    0 /* sent; nothing promised */
#define EVL_ACKS_WRITTEN 1 /* in the log: survives a killed broker */
#define EVL_ACKS_FSYNC   2 /* synced: survives a power cut */

/* Partition choice: explicit, or EVL_PARTITION_ANY for a stable hash of
 * the key (keyed records) or round-robin (keyless). */
#define EVL_PARTITION_ANY UINT32_MAX

typedef struct evl_message {
	const char       *topic;
	uint32_t          partition; /* or EVL_PARTITION_ANY */
	const void       *key;       /* NULL = no key */
	size_t            key_len;
	const void       *value;
	size_t            value_len;
	const evl_header *headers;
	size_t            header_count;
	int64_t           timestamp; /* producer time, ms; 0 = none */
	void             *opaque;    /* handed back in the delivery report */
} evl_message;

/* The outcome of one record, given to on_delivery. */
typedef struct evl_delivery {
	int         err;
	const char *topic;
	uint32_t    partition;
	uint64_t    offset; /* UINT64_MAX with EVL_ACKS_NONE or on error */
	void       *opaque;
} evl_delivery;

typedef struct evl_producer_opts {
	int      acks;          /* EVL_ACKS_*; default EVL_ACKS_WRITTEN */
	uint32_t linger_ms;     /* wait this long to fill a batch; default 5 */
	size_t   batch_bytes;   /* most bytes in one batch; default 1 MiB */
	size_t   buffer_bytes;  /* queued, unacknowledged; default 64 MiB */
	uint32_t delivery_timeout_ms; /* give up on a record; default 30000 */
	/* Idempotent: the broker recognises a re-sent batch (producer id +
	 * sequence per partition) and appends it once, so a retry after a
	 * lost connection or a broker restart never duplicates.  Default 0;
	 * acks must not be EVL_ACKS_NONE. */
	int idempotent;
	/* Called once per record, on a client thread; must not block long
	 * or call the producer's flush/close. */
	void (*on_delivery)(void *arg, const evl_delivery *d);
	void *on_delivery_arg;
} evl_producer_opts;

EVL_API void evl_producer_opts_init(evl_producer_opts *o);

/* A batching producer on c.  Caller frees with evl_producer_close. */
EVL_API int evl_producer_open(
    evl_producer **out, evl_client *c, const evl_producer_opts *o);

/*
 * evl_produce queues one record (its bytes are copied: the message is
 * borrowed only during the call).  Records for one partition are sent in
 * order, one batch in flight per partition.  Blocks while buffer_bytes
 * are queued, up to the client timeout (EVL_ETIMEDOUT).  Errors here:
 * EVL_ENOTOPIC (unknown topic), EVL_ENOPART (explicit partition out of
 * range), EVL_ETOOBIG (record larger than batch_bytes), EVL_ECLOSED;
 * later errors arrive through on_delivery.  A topic's partition count is
 * fetched on its first record and cached in the client.
 *
 * Duplicates: a batch whose request fails with a retryable error (lost
 * connection, timeout, busy, throttled, shutting down) is re-sent until
 * delivery_timeout_ms, in order.  If the broker had appended it before
 * the answer was lost, the records are appended twice -- unless the
 * producer is idempotent (opts.idempotent), when the broker answers the
 * re-send with the original offsets.  So delivery is at-least-once by
 * default (never lost once acknowledged, never reordered, possibly
 * duplicated after a reconnect) and exactly-once per batch when
 * idempotent.
 */
EVL_API int evl_produce(evl_producer *p, const evl_message *m);

/* Sends what is queued and waits until every record is delivered or has
 * failed.  Returns the first delivery error since the last flush (which
 * it then clears), or EVL_ETIMEDOUT. */
EVL_API int evl_producer_flush(evl_producer *p, uint32_t timeout_ms);

/* Flushes (up to the client timeout) and frees p; records still queued
 * after that are reported to on_delivery with EVL_ECLOSED.  NULL does
 * nothing. */
EVL_API void evl_producer_close(evl_producer *p);

/* One record, synchronously: its offset in *offset (may be NULL; with
 * EVL_ACKS_NONE it is UINT64_MAX).  Not re-sent after EVL_ECONNRESET. */
EVL_API int evl_produce_sync(
    evl_client *c, const evl_message *m, int acks, uint64_t *offset);

/* ---- reading ------------------------------------------------------------- */

/* Start positions for evl_reader_seek. */
#define EVL_OFFSET_BEGINNING (UINT64_MAX - 1)
#define EVL_OFFSET_END       UINT64_MAX

typedef struct evl_reader_opts {
	uint32_t max_wait_ms; /* long poll per fetch; default 500 */
	size_t   max_bytes;   /* per fetch; default 1 MiB */
} evl_reader_opts;

EVL_API void evl_reader_opts_init(evl_reader_opts *o);

/* A reader of one topic; it reads no partition until one is seeked.
 * EVL_ENOTOPIC.  Caller frees with evl_reader_close. */
EVL_API int evl_reader_open(evl_reader **out, evl_client *c,
    const char *topic, const evl_reader_opts *o);

/* Number of partitions of the reader's topic (as of open). */
EVL_API uint32_t evl_reader_partitions(evl_reader *r);

/* Reads partition from offset (or EVL_OFFSET_BEGINNING/END) on. */
EVL_API int evl_reader_seek(evl_reader *r, uint32_t partition, uint64_t offset);
/* Reads partition from the first record appended at or after ts_ms. */
EVL_API int evl_reader_seek_time(
    evl_reader *r, uint32_t partition, int64_t ts_ms);
/* Stops reading a partition. */
EVL_API int evl_reader_unassign(evl_reader *r, uint32_t partition);

/* The offset the reader will return next for partition. */
EVL_API int evl_reader_position(
    evl_reader *r, uint32_t partition, uint64_t *offset);

/*
 * evl_reader_next returns the next record of any assigned partition, in
 * offset order within each partition.  When none is buffered it fetches,
 * long-polling up to timeout_ms: EVL_ETIMEDOUT when nothing arrived (0
 * returns at once).  *rec borrows from r until the next call on r.
 * Records a retention cut removed give EVL_EOFFSET for that partition:
 * seek it again.  A lost connection is retried until timeout_ms, then
 * reported (EVL_ECONNREFUSED, EVL_ETIMEDOUT, EVL_ECONNRESET).  A batch
 * that fails its checksum or does not decode gives EVL_ECORRUPT (seek
 * past it to go on).  Records erased by evl_stream_delete are skipped
 * (their offsets are passed over).
 */
EVL_API int evl_reader_next(
    evl_reader *r, const evl_record **rec, uint32_t timeout_ms);

/* Frees r; records it returned are gone.  NULL does nothing. */
EVL_API void evl_reader_close(evl_reader *r);

/* ---- consumer groups ----------------------------------------------------- */

/*
 * A group consumer: several processes open one on the same group and
 * topics, and the broker shares the topics' partitions among them, each
 * partition read by exactly one member at a time.  Progress is the
 * group's committed offsets in the broker: a commit stores, per
 * partition, the next offset to consume.  Delivery is at-least-once: a
 * member that crashes (or loses a partition) before committing has its
 * uncommitted records delivered again to the next owner.
 *
 * One application thread calls a consumer (it is not for concurrent use);
 * a background thread of the consumer heartbeats and sends async
 * commits.  Rebalances happen inside evl_consumer_poll: the consumer
 * calls on_revoke with every partition it holds (the last moment its
 * commits are accepted), commits there itself with auto-commit, rejoins,
 * and calls on_assign with the new assignment.  Close consumers before
 * their client.
 */
typedef struct evl_consumer evl_consumer;

typedef struct evl_topic_partition {
	const char *topic;
	uint32_t    partition;
} evl_topic_partition;

/* Assignors (the group uses its first member's). */
#define EVL_ASSIGN_STICKY     0 /* moves as few partitions as possible */
#define EVL_ASSIGN_RANGE      1
#define EVL_ASSIGN_ROUNDROBIN 2

/* Where a partition starts when the group has committed nothing. */
#define EVL_RESET_EARLIEST 0
#define EVL_RESET_LATEST   1

typedef struct evl_consumer_opts {
	const char *client_id;            /* shown by describe; "evlog" */
	uint32_t    session_timeout_ms;   /* default 10000 */
	uint32_t    rebalance_timeout_ms; /* default 30000 */
	int         assignor;             /* EVL_ASSIGN_*; sticky */
	int         auto_offset_reset;    /* EVL_RESET_*; earliest */
	/* Commit the positions of the records polled so far every this
	 * many ms, on revoke and on close; 0 = only explicit commits.
	 * Default 5000. */
	uint32_t auto_commit_ms;
	uint32_t max_wait_ms; /* long poll per fetch; default 500 */
	size_t   max_bytes;   /* per fetch; default 1 MiB */
	/*
	 * Called on the polling thread, inside evl_consumer_poll (and
	 * evl_consumer_close for on_revoke).  parts borrow until the
	 * callback returns.  on_revoke may call evl_consumer_commit.
	 */
	void (*on_assign)(void *arg, evl_consumer *k,
	    const evl_topic_partition *parts, size_t n);
	void (*on_revoke)(void *arg, evl_consumer *k,
	    const evl_topic_partition *parts, size_t n);
	void *cb_arg;
	/* Result of each async commit, on the consumer's thread. */
	void (*on_commit)(void *arg, int err);
} evl_consumer_opts;

EVL_API void evl_consumer_opts_init(evl_consumer_opts *o);

/*
 * evl_consumer_open joins group (a name as for topics) subscribing to
 * the ntopics names in topics (borrowed for the call); a name with any
 * of *?[ is a glob over topic names, re-evaluated by the broker as
 * topics are created.  It returns without waiting for the first
 * assignment: evl_consumer_poll joins.  Errors: EVL_EINVAL, EVL_ENOMEM.
 * Caller frees with evl_consumer_close.
 */
EVL_API int evl_consumer_open(evl_consumer **out, evl_client *c,
    const char *group, const char *const *topics, size_t ntopics,
    const evl_consumer_opts *o);

/*
 * evl_consumer_poll returns the next record of the assigned partitions,
 * joining or rejoining the group first when needed, and long-polling up
 * to timeout_ms: EVL_ETIMEDOUT when nothing arrived.  *rec borrows from k
 * until its next call.  A broker that cannot be reached is retried until
 * timeout_ms, then reported (EVL_ECONNREFUSED, EVL_ECONNRESET, ...): poll
 * again to go on.
 */
EVL_API int evl_consumer_poll(
    evl_consumer *k, const evl_record **rec, uint32_t timeout_ms);

/*
 * evl_consumer_commit commits, for every assigned partition, the offset
 * after the last record poll returned (synchronously).  Errors:
 * EVL_EGENERATION, EVL_EUNKNOWNMEMBER, EVL_EREBALANCE (the member was
 * fenced: the records since the last commit will be consumed again,
 * by this member after it rejoins or by another), the first per
 * partition error (EVL_ENOTOWNER), connection errors.
 * evl_consumer_commit_async queues the same commit for the background
 * thread and returns at once; the outcome goes to on_commit.
 */
EVL_API int evl_consumer_commit(evl_consumer *k);
EVL_API int evl_consumer_commit_async(evl_consumer *k);

/* Pauses / resumes fetching one assigned partition.  EVL_ENOTOWNER when
 * it is not assigned. */
EVL_API int evl_consumer_pause(
    evl_consumer *k, const char *topic, uint32_t partition);
EVL_API int evl_consumer_resume(
    evl_consumer *k, const char *topic, uint32_t partition);

/* Moves an assigned partition's position (the next offset poll returns
 * and the next commit stores).  offset may be EVL_OFFSET_BEGINNING or
 * EVL_OFFSET_END.  EVL_ENOTOWNER when it is not assigned. */
EVL_API int evl_consumer_seek(evl_consumer *k, const char *topic,
    uint32_t partition, uint64_t offset);

/* The current assignment; borrowed until the next call on k. */
EVL_API int evl_consumer_assignment(
    evl_consumer *k, const evl_topic_partition **parts, size_t *n);

/* The member id (borrowed, "" before the first join) and generation
 * (-1 before the first join). */
EVL_API const char *evl_consumer_member(evl_consumer *k, int32_t *generation);

/* Commits (with auto-commit), calls on_revoke, leaves the group, frees
 * k.  NULL does nothing. */
EVL_API void evl_consumer_close(evl_consumer *k);

/* ---- group administration ------------------------------------------------ */

typedef struct evl_group_info {
	char    *group;
	char    *state; /* "empty", "rebalancing", "stable" */
	uint32_t members;
} evl_group_info;

typedef struct evl_group_member_info {
	char                *member;
	char                *client_id;
	size_t               partition_count;
	evl_topic_partition *partitions; /* topics owned by the desc */
} evl_group_member_info;

typedef struct evl_group_partition_info {
	char    *topic;
	uint32_t partition;
	char    *member;    /* "" when unassigned */
	int64_t  committed; /* -1 = none */
	uint64_t head;      /* lag = head - committed */
} evl_group_partition_info;

typedef struct evl_group_desc {
	char                     *group;
	char                     *state;
	int32_t                   generation;
	size_t                    member_count;
	evl_group_member_info    *members;
	size_t                    partition_count;
	evl_group_partition_info *partitions; /* sorted by topic, partition */
} evl_group_desc;

/* Every group, sorted by name.  Caller frees with evl_group_info_free. */
EVL_API int  evl_group_list(evl_client *c, evl_group_info **out, size_t *n);
EVL_API void evl_group_info_free(evl_group_info *g, size_t n);
/* EVL_ENOGROUP.  Caller frees with evl_group_desc_free. */
EVL_API int  evl_group_describe(
     evl_client *c, const char *group, evl_group_desc **out);
EVL_API void evl_group_desc_free(evl_group_desc *d);
/* Deletes a group's offsets and record.  EVL_EGROUPACTIVE, EVL_ENOGROUP. */
EVL_API int evl_group_delete(evl_client *c, const char *group);

/* One entry of a commit outside membership; err is filled in. */
typedef struct evl_group_offset {
	const char *topic;
	uint32_t    partition;
	int64_t     offset; /* the next offset to consume */
	int         err;
} evl_group_offset;

/*
 * evl_group_commit_offsets commits the n entries of offs for group
 * outside membership (resets, migrations): refused with
 * EVL_EGROUPACTIVE while the group has members.  Per-entry errors are
 * in offs[i].err; the first is returned.
 */
EVL_API int evl_group_commit_offsets(
    evl_client *c, const char *group, evl_group_offset *offs, size_t n);

/* The group's committed offset of one partition, -1 when none. */
EVL_API int evl_group_committed(evl_client *c, const char *group,
    const char *topic, uint32_t partition, int64_t *offset);

/* ---- access control ----------------------------------------------------- */

/*
 * With authentication on, the broker allows a user's request only when
 * an allow rule matches it and no deny rule does (docs/SECURITY.md,
 * "Access control"); a refused request fails with EVL_EDENIED and
 * evl_client_errmsg names the operation and resource.  Rules are read
 * with describe and changed with alter on the cluster (or by a
 * --superusers user).
 */

/* Operations, a bit each. */
#define EVL_ACL_READ     0x01u
#define EVL_ACL_WRITE    0x02u
#define EVL_ACL_CREATE   0x04u
#define EVL_ACL_DELETE   0x08u
#define EVL_ACL_DESCRIBE 0x10u
#define EVL_ACL_ALTER    0x20u
#define EVL_ACL_ALL      0x3fu

/* Resource types. */
#define EVL_RES_TOPIC   1
#define EVL_RES_GROUP   2
#define EVL_RES_CLUSTER 3

typedef struct evl_acl_rule {
	const char *principal; /* a user name, or "*" for every user */
	int         resource;  /* EVL_RES_* */
	const char *pattern;   /* glob with * and ?; "*" for the cluster */
	unsigned    ops;       /* EVL_ACL_* bits */
	int         deny;      /* 0 allow, 1 deny (deny wins) */
} evl_acl_rule;

/*
 * evl_acl_add adds rule->ops to the rule with its principal, resource,
 * pattern and effect (creating it; adding what is there already is no
 * error).  evl_acl_remove takes them away (the rule goes when none are
 * left).  Both are in force for the next request of every connection
 * when they return.  rule is borrowed.  Errors: EVL_EINVAL (a malformed
 * rule; the message says why), EVL_ENOTFOUND (remove: no such rule or
 * none of the operations), EVL_EDENIED.
 */
EVL_API int evl_acl_add(evl_client *c, const evl_acl_rule *rule);
EVL_API int evl_acl_remove(evl_client *c, const evl_acl_rule *rule);

/*
 * evl_acl_list gives the rules matching filter (may be NULL; a NULL or
 * empty string and resource 0 match any; strings must equal, they are
 * not globs), sorted by resource, pattern, principal, allow before
 * deny.  Caller frees *out (its strings included) with
 * evl_acl_rules_free.  Errors: EVL_EDENIED.
 */
EVL_API int  evl_acl_list(evl_client *c, const evl_acl_rule *filter,
     evl_acl_rule **out, size_t *n);
EVL_API void evl_acl_rules_free(evl_acl_rule *rules, size_t n);

/* ---- per-key streams (event sourcing) ---------------------------------- */

/*
 * On a topic created with key_index (evlog topics create --streams), every
 * record key is a stream -- one aggregate, say "account-42" in topic
 * "account" -- and every keyed record gets a version, dense per key (0,
 * 1, 2 ...) besides its offset.  A key's current version is the version
 * of its last record; a key with no records has none (EVL_VERSION_NONE).
 * Such a topic's partition count is fixed, so a key never moves.
 */

/* Expected versions for evl_stream_append and evl_stream_delete, besides
 * an exact current version N >= 0. */
#define EVL_VERSION_ANY       (-1) /* no check */
#define EVL_VERSION_NO_STREAM (-2) /* the key has no version yet */
#define EVL_VERSION_EXISTS    (-3) /* the key has a version */
/* A stream's version when it has none. */
#define EVL_VERSION_NONE (-1)

/* One event to append. */
typedef struct evl_event {
	const void       *value; /* NULL with value_len 0: a null value */
	size_t            value_len;
	const evl_header *headers;
	size_t            header_count;
	int64_t           timestamp; /* producer time, ms; 0 = none */
	int               snapshot;  /* a snapshot: reads may start here */
} evl_event;

typedef struct evl_append_result {
	uint32_t partition;
	uint64_t offset;  /* of the first event */
	int64_t  version; /* of the last event: the stream's new version */
} evl_append_result;

/*
 * evl_stream_append appends n >= 1 events to stream key of topic, all or
 * none, with consecutive versions, if the stream's current version
 * matches expected_version (EVL_VERSION_* or N: the first event then gets
 * N + 1).  The check is made by the broker's writer atomically with the
 * append, so of several appenders expecting one version exactly one wins.
 * On a mismatch nothing is appended and EVL_EWRONGVERSION is returned
 * with res->version set to the current version (the one exception to
 * "out-parameters only on success"); res may be NULL.  Waits for acks
 * "written".  Not re-sent after a cut connection (EVL_ECONNRESET): the
 * append may have landed; evl_stream_update settles that by itself.
 * Errors: EVL_ENOTOPIC, EVL_EINVAL (topic without key index, no events,
 * key longer than 4096 bytes), EVL_ETOOBIG.
 */
EVL_API int evl_stream_append(evl_client *c, const char *topic,
    const void *key, size_t key_len, int64_t expected_version,
    const evl_event *events, size_t n, evl_append_result *res);

/* A stream event read back; pointers borrow from its evl_stream_page. */
typedef struct evl_stream_event {
	int64_t           version;
	uint64_t          offset;
	int64_t           timestamp;          /* broker append time, ms */
	int64_t           producer_timestamp; /* 0 = none given */
	const void       *value;              /* NULL for a null value */
	size_t            value_len;
	const evl_header *headers;
	size_t            header_count;
	int               snapshot;
} evl_stream_event;

/* The result of one stream read.  Caller frees with
 * evl_stream_page_free. */
typedef struct evl_stream_page {
	uint32_t          partition;
	int64_t           version;       /* the stream's current version */
	uint64_t          first_version; /* first readable (after deletes) */
	int64_t           snapshot;      /* newest snapshot, -1 = none */
	size_t            count;
	evl_stream_event *events; /* count of them, in read order */
} evl_stream_page;

/* Start versions for evl_stream_read_opts.from_version besides N >= 0. */
#define EVL_STREAM_FROM_END      (-1) /* backwards: the current version */
#define EVL_STREAM_FROM_SNAPSHOT (-2) /* forwards: the newest snapshot, or
                                         the start without one */

typedef struct evl_stream_read_opts {
	int64_t  from_version; /* default 0 */
	int      backwards;    /* newest first, from from_version down */
	uint32_t max_count;    /* 0 (default) = the broker's limit, 1000 */
	/* Forwards: when there is no event at from_version yet, wait up to
	 * this long for one (following a stream); 0 (default) = answer at
	 * once.  The wait may end early, empty, when another key of the
	 * same partition was appended: ask again. */
	uint32_t max_wait_ms;
} evl_stream_read_opts;

EVL_API void evl_stream_read_opts_init(evl_stream_read_opts *o);

/*
 * evl_stream_read reads one page of stream key: never the whole topic,
 * one seek and the batches holding the key's events.  A stream with no
 * events (or none at from_version yet) gives a page with count 0.  Caller
 * frees *out with evl_stream_page_free.  Errors: EVL_ENOTOPIC, EVL_EINVAL
 * (no key index, bad from_version).
 */
EVL_API int evl_stream_read(evl_client *c, const char *topic,
    const void *key, size_t key_len, const evl_stream_read_opts *o,
    evl_stream_page **out);
EVL_API void evl_stream_page_free(evl_stream_page *p);

typedef struct evl_stream_info {
	uint32_t partition;
	int64_t  version;       /* EVL_VERSION_NONE when it has none */
	uint64_t first_version; /* first readable version */
	int64_t  snapshot;      /* newest readable snapshot, -1 = none */
	uint64_t last_offset;   /* offset of the current version's event */
	int      deleted;       /* deleted at least once */
} evl_stream_info;

/* The state of stream key (O(1) in the broker).  Errors: EVL_ENOTOPIC,
 * EVL_EINVAL (no key index). */
EVL_API int evl_stream_info_get(evl_client *c, const char *topic,
    const void *key, size_t key_len, evl_stream_info *out);
/* Just the current version (EVL_VERSION_NONE: no events). */
EVL_API int evl_stream_version(evl_client *c, const char *topic,
    const void *key, size_t key_len, int64_t *version);

/* evl_stream_delete flags. */
#define EVL_DELETE_FORGET_VERSIONS 0x1u /* the key starts again at 0 */

/*
 * evl_stream_delete deletes stream key if its current version matches
 * expected_version: its events become unreadable at once and their bytes
 * are erased from the broker's log (values and headers zeroed in place).
 * The version is kept as a tombstone, so later appends continue after it
 * -- unless EVL_DELETE_FORGET_VERSIONS.  EVL_EWRONGVERSION sets *current
 * (may be NULL) to the current version.  Errors: EVL_ENOTFOUND (no such
 * stream), EVL_ENOTOPIC, EVL_EINVAL.
 */
EVL_API int evl_stream_delete(evl_client *c, const char *topic,
    const void *key, size_t key_len, int64_t expected_version,
    unsigned flags, int64_t *current);

/*
 * An aggregate for evl_stream_update: reset clears its state, apply folds
 * one event into it (in version order), decide looks at the state and
 * the version it was built from and gives the events to append (*n may be
 * 0: nothing to do).  The events decide gives are borrowed until the next
 * call of any of the three.  A nonzero return from apply or decide aborts
 * the update and is returned as is (use a positive number for the
 * application's own refusals, e.g. "insufficient funds").
 */
typedef struct evl_aggregate {
	void (*reset)(void *arg);
	int (*apply)(void *arg, const evl_stream_event *e);
	int (*decide)(void *arg, int64_t version, const evl_event **events,
	    size_t *n);
	void *arg;
	int   from_snapshot; /* load from the newest snapshot on */
} evl_aggregate;

/*
 * evl_stream_update is the "load, decide, append with the expected
 * version, retry on conflict" loop: it reads stream key (all of it, or
 * from its newest snapshot) into agg, asks agg->decide, and appends the
 * events expecting the version it loaded.  On EVL_EWRONGVERSION someone
 * else appended first: it loads again and decides again, up to
 * max_attempts times (0 = 10), then returns EVL_EWRONGVERSION.  A cut
 * connection or timeout during the append is settled, not guessed: every
 * attempt tags its first event with a unique "evlog-id" header, and the
 * loop reads the version the append would have taken to see whether it
 * landed.  So the decision is appended at most once.  res (may be NULL)
 * gets the append's result; with nothing to append, res->version is the
 * loaded version and res->offset UINT64_MAX.
 */
EVL_API int evl_stream_update(evl_client *c, const char *topic,
    const void *key, size_t key_len, const evl_aggregate *agg,
    int max_attempts, evl_append_result *res);

#ifdef __cplusplus
}
#endif

#endif /* EVLOG_EVLOG_H */
