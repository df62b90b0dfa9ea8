/*
 * limit.h -- the --max-* limits that are checked per request: topics,
 * partitions per topic, record size and consumer groups.  (Connections
 * are limited in server.c, at pipe add; message size by NNG's
 * NNG_OPT_RECVMAXSZ; outstanding requests per connection in server.c.)
 *
 * A request over a limit changes nothing and is answered EVL_ELIMIT
 * (EVL_ETOOBIG for a record) with a message naming the option and its
 * value, e.g. "topic limit reached (--max-topics 10000)", so that the
 * operator who reads the client's error knows which knob it is; each
 * refusal is counted in evlog_limit_hits_total{limit=...}.
 */
#ifndef EVLD_LIMITS_H
#define EVLD_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "dispatch.h"
#include "store.h"
#include "topic.h"

/* The limits, in the order of evlog_limit_hits_total's label values. */
enum evld_limit {
	EVLD_LIMIT_CONNECTIONS,
	EVLD_LIMIT_TOPICS,
	EVLD_LIMIT_PARTITIONS,
	EVLD_LIMIT_RECORD_BYTES,
	EVLD_LIMIT_GROUPS,
};

/* Counts one refusal by limit l; bm may be NULL. */
void evld_limit_count(struct evld_broker_metrics *bm, enum evld_limit l);

/*
 * evld_limit_fail counts a refusal by the topic or group limit and sets
 * r->errmsg (in r->errbuf) to "<noun> limit reached (--max-<noun>s N)".
 * Returns EVL_ELIMIT.
 */
int evld_limit_fail(struct evld_req *r, enum evld_limit l);

/* EVL_ELIMIT (message set, counted) when a topic of n partitions is over
 * --max-partitions; else 0. */
int evld_limit_partitions(struct evld_req *r, uint32_t n);

/*
 * evld_limit_topic_create creates topic name with c under --max-topics
 * and --max-partitions: the count and the create hold one broker lock,
 * so concurrent creates cannot overshoot.  Errors: EVL_ELIMIT, and
 * evls_topic_create's (EVL_ETOPICEXISTS, ...).
 */
int evld_limit_topic_create(
    struct evld_req *r, const char *name, const evls_topic_config *c);

/*
 * evld_limit_records checks each record of a batch that evlp_batch_check
 * accepted: key + value + encoded headers at most --max-record-bytes.
 * Errors: EVL_ETOOBIG with a message naming the record and the limit.
 * A batch no longer than the limit is not walked (no record in it can
 * be over), which keeps the common produce free of a second pass.
 */
int evld_limit_records(struct evld_req *r, const void *batch, size_t len);

#endif /* EVLD_LIMITS_H */
