/*
 * msg.h -- the bodies of evlog's requests and responses (PROTOCOL.md).
 *
 * One pattern throughout:
 *  - A decoder takes the body (a view from evlp_frame_decode) and fills a
 *    struct of views into it; the views live as long as the message.  It
 *    validates the *whole* body, repeated entries included, and the body
 *    must be consumed exactly: trailing bytes are EVL_EPROTO.  So any byte
 *    string gives a value or an error code, never a crash.  A count is
 *    checked against the bytes left before any entry is read.  Enumerated
 *    fields out of range (acks, expected_version, the LIST_OFFSETS
 *    timestamp, assignor, subscription kind) are EVL_EINVAL.
 *  - Repeated entries are walked with a _next function after decoding.
 *    Because decode already validated them, _next cannot fail: it returns
 *    false only at the end.
 *  - An encoder writes into an evlp_wr and leaves any failure (EVL_ETOOBIG
 *    for a full buffer, EVL_EINVAL for a string over 65535 bytes) in w->err.
 *    A zero-capacity writer measures the size.  Entries are encoded one at
 *    a time after the fixed part, so callers never build arrays to send.
 *
 * Strings (topic, group, member names) are views and are not
 * NUL-terminated.  Name rules (topic charset and length) are enforced by
 * the broker, not here: here a name is only a str.
 */
#ifndef EVLP_MSG_H
#define EVLP_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

/* Produce acknowledgement levels. */
#define EVLP_ACKS_NONE    0 /* answered at once; nothing is promised */
#define EVLP_ACKS_WRITTEN 1 /* in LevelDB: survives a killed broker */
#define EVLP_ACKS_FSYNC   2 /* synced: survives a power cut */

/* Expected versions for produce on a key-indexed topic (streams). */
#define EVLP_VERSION_ANY       (-1) /* no check */
#define EVLP_VERSION_NO_STREAM (-2) /* key must have no records */
#define EVLP_VERSION_EXISTS    (-3) /* key must have records */
#define EVLP_VERSION_NONE      (-1) /* in responses: no version */

/* Special timestamps for LIST_OFFSETS. */
#define EVLP_TIME_LATEST   (-1) /* the head (next offset) */
#define EVLP_TIME_EARLIEST (-2) /* the first offset still stored */

/* ---- common ---------------------------------------------------------- */

/*
 * The body of every response whose frame status is not EVL_OK.  detail's
 * meaning depends on the code: EVL_EWRONGVERSION the key's current version
 * (-1 = none), EVL_EBUSY / EVL_ETHROTTLED milliseconds to back off; 0
 * otherwise.
 */
typedef struct evlp_error_body {
	evlp_view message;
	int64_t   detail;
} evlp_error_body;

void evlp_error_body_encode(evlp_wr *w, const evlp_error_body *m);
int  evlp_error_body_decode(evlp_view body, evlp_error_body *m);

/* Checks a body that must be empty (PING and LIST_GROUPS requests, the
 * empty responses): EVL_EPROTO for any byte. */
int evlp_empty_decode(evlp_view body);

/*
 * Topic settings travel as a list of (u16 id, i64 value) pairs so either
 * side can add settings without a version bump.  A decoder keeps the ones
 * it knows (bit 1 << id set in present) and counts the others in unknown;
 * the broker refuses a create/alter that carries unknown settings.  Ids
 * are written strictly increasing, so the encoding is canonical and no id
 * appears twice; the decoder refuses any other order (EVL_EPROTO).  The
 * encoder writes the known settings present; unknown ones have no value
 * to write.
 */
enum evlp_setting {
	EVLP_SET_RETENTION_MS    = 1, /* -1 = forever */
	EVLP_SET_RETENTION_BYTES = 2, /* per partition, -1 = unlimited */
	EVLP_SET_KEY_INDEX       = 3, /* 0/1: per-key streams */
	EVLP_SET_DEDUPE_WINDOW_MS = 4, /* evlog-id header dedupe window */
	EVLP_SET_MAX_ = 4
};

typedef struct evlp_settings {
	uint32_t present; /* bit (1u << id) for each setting given */
	int64_t  value[EVLP_SET_MAX_ + 1];
	uint16_t unknown;
} evlp_settings;

static inline void
evlp_settings_set(evlp_settings *s, enum evlp_setting id, int64_t v)
{
	s->present |= 1u << id;
	s->value[id] = v;
}

static inline bool
evlp_settings_has(const evlp_settings *s, enum evlp_setting id)
{
	return (s->present & (1u << id)) != 0;
}

void evlp_settings_encode(evlp_wr *w, const evlp_settings *s);
/* Reads a settings list from r (used inside the topic decoders). */
void evlp_settings_read(evlp_rd *r, evlp_settings *s);

/* PING: empty request.  Response: */
typedef struct evlp_ping_resp {
	uint16_t  protocol_version;
	evlp_view broker_version; /* e.g. "evlogd 0.1.0" */
} evlp_ping_resp;

void evlp_ping_resp_encode(evlp_wr *w, const evlp_ping_resp *m);
int  evlp_ping_resp_decode(evlp_view body, evlp_ping_resp *m);

/* ---- data: produce, fetch, list offsets ------------------------------ */

typedef struct evlp_produce_req {
	evlp_view topic;
	uint32_t  partition;
	uint8_t   acks;             /* EVLP_ACKS_* */
	int64_t   expected_version; /* EVLP_VERSION_*, or >= 0 */
	uint32_t  timeout_ms;
	evlp_view batch; /* one record batch; checked by evlp_batch_check */
} evlp_produce_req;

typedef struct evlp_produce_resp {
	uint64_t base_offset; /* UINT64_MAX with acks none */
	int64_t  append_time;
	uint32_t count;
	int64_t  version; /* key-indexed topics: last version; else -1 */
} evlp_produce_resp;

void evlp_produce_req_encode(evlp_wr *w, const evlp_produce_req *m);
int  evlp_produce_req_decode(evlp_view body, evlp_produce_req *m);
void evlp_produce_resp_encode(evlp_wr *w, const evlp_produce_resp *m);
int  evlp_produce_resp_decode(evlp_view body, evlp_produce_resp *m);

/* FETCH: read several partitions at once; long-polls up to max_wait_ms
 * while none of them has records at or after its offset. */
typedef struct evlp_fetch_part {
	evlp_view topic;
	uint32_t  partition;
	uint64_t  offset;
	uint32_t  max_bytes;
} evlp_fetch_part;

typedef struct evlp_fetch_req {
	uint32_t max_wait_ms;
	uint32_t max_bytes; /* for the whole response */
	uint16_t count;
	evlp_rd  parts_; /* walk with evlp_fetch_req_next */
} evlp_fetch_req;

void evlp_fetch_req_encode(evlp_wr *w, uint32_t max_wait_ms,
    uint32_t max_bytes, uint16_t count);
void evlp_fetch_part_encode(evlp_wr *w, const evlp_fetch_part *p);
int  evlp_fetch_req_decode(evlp_view body, evlp_fetch_req *m);
bool evlp_fetch_req_next(evlp_fetch_req *m, evlp_fetch_part *p);

/* One partition of a fetch response.  batches holds whole record batches
 * back to back; the first may begin before the requested offset (skip
 * records below it). */
typedef struct evlp_fetch_resp_part {
	evlp_view topic;
	uint32_t  partition;
	uint16_t  error; /* EVL_ERRORS code for this partition */
	uint64_t  first_offset;
	uint64_t  next_offset; /* the head when read */
	evlp_view batches;
} evlp_fetch_resp_part;

typedef struct evlp_fetch_resp {
	uint16_t count;
	evlp_rd  parts_;
} evlp_fetch_resp;

void evlp_fetch_resp_encode(evlp_wr *w, uint16_t count);
/*
 * Writes a partition entry up to and including the u32 length of its
 * batches, taken from p->batches.len; the batch bytes themselves are not
 * written, so the broker can append them straight from storage.  The
 * length is the head's last 4 bytes, for patching once it is known.
 */
void evlp_fetch_resp_part_encode_head(
    evlp_wr *w, const evlp_fetch_resp_part *p);
/* The same, followed by p->batches' bytes. */
void evlp_fetch_resp_part_encode(evlp_wr *w, const evlp_fetch_resp_part *p);
/* Validates entries and that each batches view is a sequence of whole
 * batch headers (evlp_batches_next); records are checked on iteration. */
int  evlp_fetch_resp_decode(evlp_view body, evlp_fetch_resp *m);
bool evlp_fetch_resp_next(evlp_fetch_resp *m, evlp_fetch_resp_part *p);

/* LIST_OFFSETS: offsets for timestamps (or EVLP_TIME_*), per partition. */
typedef struct evlp_offset_query {
	evlp_view topic;
	uint32_t  partition;
	int64_t   timestamp;
} evlp_offset_query;

typedef struct evlp_offset_answer {
	evlp_view topic;
	uint32_t  partition;
	uint16_t  error;
	uint64_t  offset; /* first offset with append time >= timestamp */
} evlp_offset_answer;

typedef struct evlp_list_offsets {
	uint16_t count;
	evlp_rd  entries_;
} evlp_list_offsets; /* the request and the response alike */

void evlp_list_offsets_encode(evlp_wr *w, uint16_t count);
void evlp_offset_query_encode(evlp_wr *w, const evlp_offset_query *q);
void evlp_offset_answer_encode(evlp_wr *w, const evlp_offset_answer *a);
int  evlp_list_offsets_req_decode(evlp_view body, evlp_list_offsets *m);
bool evlp_list_offsets_req_next(evlp_list_offsets *m, evlp_offset_query *q);
int  evlp_list_offsets_resp_decode(evlp_view body, evlp_list_offsets *m);
bool evlp_list_offsets_resp_next(
    evlp_list_offsets *m, evlp_offset_answer *a);

/* ---- topic admin ----------------------------------------------------- */

/* CREATE_TOPIC and ALTER_TOPIC requests (alter: partitions 0 = keep;
 * only the settings present change).  Responses are empty. */
typedef struct evlp_topic_req {
	evlp_view     name;
	uint32_t      partitions;
	evlp_settings settings;
} evlp_topic_req;

void evlp_topic_req_encode(evlp_wr *w, const evlp_topic_req *m);
int  evlp_topic_req_decode(evlp_view body, evlp_topic_req *m);

/* DESCRIBE_TOPIC and DELETE_TOPIC requests: a name.  LIST_TOPICS: a glob
 * pattern, empty for every topic. */
typedef struct evlp_name_req {
	evlp_view name;
} evlp_name_req;

void evlp_name_req_encode(evlp_wr *w, const evlp_name_req *m);
int  evlp_name_req_decode(evlp_view body, evlp_name_req *m);

typedef struct evlp_topic_entry {
	evlp_view     name;
	uint32_t      partitions;
	evlp_settings settings;
} evlp_topic_entry;

typedef struct evlp_topic_list {
	uint32_t count;
	evlp_rd  entries_;
} evlp_topic_list; /* LIST_TOPICS response */

void evlp_topic_list_encode(evlp_wr *w, uint32_t count);
void evlp_topic_entry_encode(evlp_wr *w, const evlp_topic_entry *e);
int  evlp_topic_list_decode(evlp_view body, evlp_topic_list *m);
bool evlp_topic_list_next(evlp_topic_list *m, evlp_topic_entry *e);

typedef struct evlp_partition_state {
	uint32_t partition;
	uint64_t first_offset;
	uint64_t next_offset;
	uint64_t records;
	uint64_t bytes;
} evlp_partition_state;

/* DESCRIBE_TOPIC response: the topic entry, then one state a partition. */
typedef struct evlp_topic_desc {
	evlp_topic_entry topic;
	uint32_t         count;
	evlp_rd          parts_;
} evlp_topic_desc;

void evlp_topic_desc_encode(
    evlp_wr *w, const evlp_topic_entry *t, uint32_t count);
void evlp_partition_state_encode(
    evlp_wr *w, const evlp_partition_state *p);
int  evlp_topic_desc_decode(evlp_view body, evlp_topic_desc *m);
bool evlp_topic_desc_next(evlp_topic_desc *m, evlp_partition_state *p);

/* ---- consumer groups ------------------------------------------------- */

/* COMMIT_OFFSETS.  generation -1 with an empty member commits outside
 * group membership (tools, resets); the broker allows that only while the
 * group has no active members. */
typedef struct evlp_commit_entry {
	evlp_view topic;
	uint32_t  partition;
	int64_t   offset;
	evlp_view metadata;
} evlp_commit_entry;

typedef struct evlp_commit_req {
	evlp_view group;
	int32_t   generation;
	evlp_view member;
	uint16_t  count;
	evlp_rd   entries_;
} evlp_commit_req;

void evlp_commit_req_encode(evlp_wr *w, evlp_view group, int32_t generation,
    evlp_view member, uint16_t count);
void evlp_commit_entry_encode(evlp_wr *w, const evlp_commit_entry *e);
int  evlp_commit_req_decode(evlp_view body, evlp_commit_req *m);
bool evlp_commit_req_next(evlp_commit_req *m, evlp_commit_entry *e);

/* Per-partition results: COMMIT_OFFSETS responses use topic, partition,
 * error; FETCH_OFFSETS responses all fields (offset -1 = none). */
typedef struct evlp_offset_entry {
	evlp_view topic;
	uint32_t  partition;
	uint16_t  error;
	int64_t   offset;
	evlp_view metadata;
} evlp_offset_entry;

typedef struct evlp_offset_list {
	uint16_t count;
	evlp_rd  entries_;
} evlp_offset_list;

void evlp_commit_resp_encode(evlp_wr *w, uint16_t count);
void evlp_commit_result_encode(evlp_wr *w, const evlp_offset_entry *e);
int  evlp_commit_resp_decode(evlp_view body, evlp_offset_list *m);
bool evlp_commit_resp_next(evlp_offset_list *m, evlp_offset_entry *e);

/* FETCH_OFFSETS request: group, then (topic, partition) pairs; no pairs
 * asks for every offset the group has committed. */
typedef struct evlp_fetch_offsets_req {
	evlp_view group;
	uint16_t  count;
	evlp_rd   entries_;
} evlp_fetch_offsets_req;

typedef struct evlp_topic_partition {
	evlp_view topic;
	uint32_t  partition;
} evlp_topic_partition;

void evlp_fetch_offsets_req_encode(
    evlp_wr *w, evlp_view group, uint16_t count);
void evlp_topic_partition_encode(
    evlp_wr *w, const evlp_topic_partition *tp);
int  evlp_fetch_offsets_req_decode(
     evlp_view body, evlp_fetch_offsets_req *m);
bool evlp_fetch_offsets_req_next(
    evlp_fetch_offsets_req *m, evlp_topic_partition *tp);

void evlp_fetch_offsets_resp_encode(evlp_wr *w, uint16_t count);
void evlp_offset_entry_encode(evlp_wr *w, const evlp_offset_entry *e);
int  evlp_fetch_offsets_resp_decode(evlp_view body, evlp_offset_list *m);
bool evlp_fetch_offsets_resp_next(evlp_offset_list *m, evlp_offset_entry *e);

/* Group membership (implemented by the group coordinator). */
enum evlp_assignor {
	EVLP_ASSIGN_STICKY     = 0,
	EVLP_ASSIGN_RANGE      = 1,
	EVLP_ASSIGN_ROUNDROBIN = 2,
};

enum evlp_sub_kind {
	EVLP_SUB_TOPIC = 0, /* an exact topic name */
	EVLP_SUB_GLOB  = 1, /* a glob over topic names */
};

typedef struct evlp_subscription {
	uint8_t   kind; /* evlp_sub_kind */
	evlp_view pattern;
} evlp_subscription;

/* JOIN_GROUP: answered when the group's rebalance completes, with this
 * member's assignment (a long poll bounded by rebalance_timeout_ms). */
typedef struct evlp_join_req {
	evlp_view group;
	evlp_view member; /* empty on first join: the broker assigns one */
	evlp_view client_id;
	uint32_t  session_timeout_ms;
	uint32_t  rebalance_timeout_ms;
	uint8_t   assignor; /* evlp_assignor */
	uint16_t  count;    /* subscriptions */
	evlp_rd   subs_;
} evlp_join_req;

void evlp_join_req_encode(evlp_wr *w, const evlp_join_req *m);
void evlp_subscription_encode(evlp_wr *w, const evlp_subscription *s);
int  evlp_join_req_decode(evlp_view body, evlp_join_req *m);
bool evlp_join_req_next(evlp_join_req *m, evlp_subscription *s);

typedef struct evlp_join_resp {
	int32_t   generation;
	evlp_view member;
	uint32_t  heartbeat_interval_ms;
	uint16_t  count; /* assigned partitions */
	evlp_rd   parts_;
} evlp_join_resp;

void evlp_join_resp_encode(evlp_wr *w, const evlp_join_resp *m);
int  evlp_join_resp_decode(evlp_view body, evlp_join_resp *m);
bool evlp_join_resp_next(evlp_join_resp *m, evlp_topic_partition *tp);

/* HEARTBEAT and LEAVE_GROUP requests; empty responses.  A heartbeat is
 * answered EVL_EREBALANCE when the member must rejoin. */
typedef struct evlp_member_req {
	evlp_view group;
	evlp_view member;
	int32_t   generation;
} evlp_member_req;

void evlp_member_req_encode(evlp_wr *w, const evlp_member_req *m);
int  evlp_member_req_decode(evlp_view body, evlp_member_req *m);

/* LIST_GROUPS response (request: empty). */
typedef struct evlp_group_entry {
	evlp_view group;
	evlp_view state; /* "empty", "rebalancing", "stable", "dead" */
	uint32_t  members;
} evlp_group_entry;

typedef struct evlp_group_list {
	uint32_t count;
	evlp_rd  entries_;
} evlp_group_list;

void evlp_group_list_encode(evlp_wr *w, uint32_t count);
void evlp_group_entry_encode(evlp_wr *w, const evlp_group_entry *e);
int  evlp_group_list_decode(evlp_view body, evlp_group_list *m);
bool evlp_group_list_next(evlp_group_list *m, evlp_group_entry *e);

/* DESCRIBE_GROUP response (request: evlp_name_req with the group). */
typedef struct evlp_group_member {
	evlp_view member;
	evlp_view client_id;
	uint16_t  count; /* assigned partitions */
	evlp_rd   parts_;
} evlp_group_member;

typedef struct evlp_group_partition {
	evlp_view topic;
	uint32_t  partition;
	evlp_view member; /* empty when unassigned */
	int64_t   committed; /* -1 = none */
	uint64_t  head;
} evlp_group_partition;

typedef struct evlp_group_desc {
	evlp_view group;
	evlp_view state;
	int32_t   generation;
	uint16_t  members;
	evlp_rd   members_;
	uint32_t  partitions;
	evlp_rd   partitions_;
} evlp_group_desc;

void evlp_group_desc_encode(evlp_wr *w, evlp_view group, evlp_view state,
    int32_t generation, uint16_t members);
/* A member, followed by its count partitions via
 * evlp_topic_partition_encode. */
void evlp_group_member_encode(evlp_wr *w, const evlp_group_member *m);
/* After the members: the number of partition rows, then each row. */
void evlp_group_desc_partitions_encode(evlp_wr *w, uint32_t partitions);
void evlp_group_partition_encode(
    evlp_wr *w, const evlp_group_partition *p);
int  evlp_group_desc_decode(evlp_view body, evlp_group_desc *m);
bool evlp_group_desc_next_member(evlp_group_desc *m, evlp_group_member *gm);
bool evlp_group_member_next(evlp_group_member *gm, evlp_topic_partition *tp);
bool evlp_group_desc_next_partition(
    evlp_group_desc *m, evlp_group_partition *p);

/* ---- streams (per-key streams on key-indexed topics) ----------------- */

/* READ_STREAM start versions besides a version >= 0. */
#define EVLP_STREAM_FROM_END      (-1) /* backwards: the current version */
#define EVLP_STREAM_FROM_SNAPSHOT (-2) /* forwards: the newest snapshot */

/* Stream delete flags. */
#define EVLP_DELETE_FORGET_VERSIONS 0x1u /* versions restart at 0 */

/*
 * READ_STREAM: one key's records by version, forwards from from_version
 * (long-polling up to max_wait_ms while there is none yet) or backwards.
 * Decode checks the combinations: backwards 0/1, from_version >= -2, -1
 * only backwards, -2 only forwards (EVL_EINVAL).
 */
typedef struct evlp_read_stream_req {
	evlp_view topic;
	evlp_view key;
	int64_t   from_version;
	uint8_t   backwards;
	uint32_t  max_count; /* 0 = the broker's limit */
	uint32_t  max_bytes; /* soft: the first record always goes */
	uint32_t  max_wait_ms;
} evlp_read_stream_req;

void evlp_read_stream_req_encode(evlp_wr *w, const evlp_read_stream_req *m);
int  evlp_read_stream_req_decode(evlp_view body, evlp_read_stream_req *m);

/* One record of a stream (its key is the request's). */
typedef struct evlp_stream_record {
	int64_t   version;
	uint64_t  offset;
	int64_t   append_time;
	int64_t   timestamp; /* producer time, 0 = none */
	uint8_t   attributes; /* EVLP_REC_SNAPSHOT */
	bool      has_value;
	evlp_view value;
	uint32_t  header_count;
	evlp_view headers; /* encoded pairs; walk with evlp_header_next */
} evlp_stream_record;

typedef struct evlp_read_stream_resp {
	uint32_t partition;
	int64_t  version;       /* current, -1 = none */
	uint64_t first_version; /* first readable */
	int64_t  snapshot;      /* newest readable snapshot, -1 = none */
	uint32_t count;
	evlp_rd  recs_;
} evlp_read_stream_resp;

void evlp_read_stream_resp_encode(evlp_wr *w,
    const evlp_read_stream_resp *m);
void evlp_stream_record_encode(evlp_wr *w, const evlp_stream_record *r);
/* Validates every record, its headers walked to exactly header_count. */
int  evlp_read_stream_resp_decode(evlp_view body, evlp_read_stream_resp *m);
bool evlp_read_stream_resp_next(
    evlp_read_stream_resp *m, evlp_stream_record *r);

/* STREAM_INFO request: topic and key.  DELETE_STREAM adds an expected
 * version (EVLP_VERSION_*) and flags (EVLP_DELETE_*; others EVL_EINVAL). */
typedef struct evlp_stream_req {
	evlp_view topic;
	evlp_view key;
	int64_t   expected_version; /* DELETE_STREAM only */
	uint8_t   flags;            /* DELETE_STREAM only */
} evlp_stream_req;

void evlp_stream_info_req_encode(evlp_wr *w, const evlp_stream_req *m);
int  evlp_stream_info_req_decode(evlp_view body, evlp_stream_req *m);
void evlp_delete_stream_req_encode(evlp_wr *w, const evlp_stream_req *m);
int  evlp_delete_stream_req_decode(evlp_view body, evlp_stream_req *m);

typedef struct evlp_stream_info_resp {
	uint32_t partition;
	int64_t  version;
	uint64_t first_version;
	int64_t  snapshot;
	uint64_t last_offset; /* of the current version */
	uint8_t  deleted;     /* 0/1: deleted at least once */
} evlp_stream_info_resp;

void evlp_stream_info_resp_encode(
    evlp_wr *w, const evlp_stream_info_resp *m);
int  evlp_stream_info_resp_decode(evlp_view body, evlp_stream_info_resp *m);

/* ---- access control (ACL_ADD, ACL_REMOVE, ACL_LIST) ------------------ */

/* Resource types of a rule. */
#define EVLP_RES_TOPIC   1
#define EVLP_RES_GROUP   2
#define EVLP_RES_CLUSTER 3

/* Operations, a bit each; a rule holds a set of them. */
#define EVLP_ACL_READ     0x01u
#define EVLP_ACL_WRITE    0x02u
#define EVLP_ACL_CREATE   0x04u
#define EVLP_ACL_DELETE   0x08u
#define EVLP_ACL_DESCRIBE 0x10u
#define EVLP_ACL_ALTER    0x20u
#define EVLP_ACL_ALL      0x3fu

/* Effects. */
#define EVLP_ACL_ALLOW 0
#define EVLP_ACL_DENY  1

/*
 * A rule: principal ("*" or a user), resource type and pattern (a glob
 * with * and ? over the name), a set of operations, an effect.  The body
 * of ACL_ADD and ACL_REMOVE requests (responses are empty) and an entry
 * of the ACL_LIST response.  Decode refuses a resource type other than
 * EVLP_RES_*, an empty or unknown operation set, and an effect other than
 * allow or deny (EVL_EINVAL); the name rules (principal and pattern
 * charset) are the broker's.
 */
typedef struct evlp_acl_rule {
	evlp_view principal;
	uint8_t   resource; /* EVLP_RES_* */
	evlp_view pattern;
	uint8_t   ops;      /* EVLP_ACL_* bits, not 0 */
	uint8_t   effect;   /* EVLP_ACL_ALLOW or EVLP_ACL_DENY */
} evlp_acl_rule;

void evlp_acl_rule_encode(evlp_wr *w, const evlp_acl_rule *m);
int  evlp_acl_rule_decode(evlp_view body, evlp_acl_rule *m);

/* ACL_LIST request: each field empty / 0 matches every rule; otherwise
 * the rule's principal and pattern must equal the filter's strings (no
 * glob matching) and its resource type the filter's (0..3, else
 * EVL_EINVAL). */
typedef struct evlp_acl_filter {
	evlp_view principal;
	uint8_t   resource;
	evlp_view pattern;
} evlp_acl_filter;

void evlp_acl_filter_encode(evlp_wr *w, const evlp_acl_filter *m);
int  evlp_acl_filter_decode(evlp_view body, evlp_acl_filter *m);

/* ACL_LIST response: u32 count, then count rules. */
typedef struct evlp_acl_list {
	uint32_t count;
	evlp_rd  entries_;
} evlp_acl_list;

void evlp_acl_list_encode(evlp_wr *w, uint32_t count);
int  evlp_acl_list_decode(evlp_view body, evlp_acl_list *m);
bool evlp_acl_list_next(evlp_acl_list *m, evlp_acl_rule *e);

/* ---- authentication (SCRAM-SHA-256; the security issue) ------------- */

/* AUTH_START request: mechanism and SCRAM client-first-message; response:
 * server-first-message.  AUTH_FINISH request: client-final-message;
 * response: server-final-message.  Both are (str, bytes) / (bytes). */
typedef struct evlp_auth_msg {
	evlp_view mechanism; /* AUTH_START request only */
	evlp_view data;
} evlp_auth_msg;

void evlp_auth_start_encode(evlp_wr *w, const evlp_auth_msg *m);
int  evlp_auth_start_decode(evlp_view body, evlp_auth_msg *m);
void evlp_auth_data_encode(evlp_wr *w, const evlp_auth_msg *m);
int  evlp_auth_data_decode(evlp_view body, evlp_auth_msg *m);

#endif /* EVLP_MSG_H */
