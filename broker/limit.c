/*
 * limit.c -- see limit.h.
 */
#include <evlog/evlog.h>
#include <stdio.h>

#include "batch.h"
#include "broker.h"
#include "limit.h"

_Static_assert(EVLD_LIMIT_GROUPS + 1 == EVLD_METRICS_LIMITS,
    "evlog_limit_hits_total has one series per enum evld_limit");

void
evld_limit_count(struct evld_broker_metrics *bm, enum evld_limit l)
{
	if (bm != NULL && (unsigned) l < EVLD_METRICS_LIMITS)
		evld_counter_inc(bm->limit_hits[l]);
}

int
evld_limit_fail(struct evld_req *r, enum evld_limit l)
{
	const struct evld_config *cfg = r->b->cfg;

	evld_limit_count(r->bm, l);
	if (l == EVLD_LIMIT_TOPICS)
		snprintf(r->errbuf, sizeof(r->errbuf),
		    "topic limit reached (--max-topics %u)", cfg->max_topics);
	else
		snprintf(r->errbuf, sizeof(r->errbuf),
		    "group limit reached (--max-groups %u)", cfg->max_groups);
	r->errmsg = r->errbuf;
	return EVL_ELIMIT;
}

int
evld_limit_partitions(struct evld_req *r, uint32_t n)
{
	uint32_t max = r->b->cfg->max_partitions;

	if (n <= max)
		return 0;
	evld_limit_count(r->bm, EVLD_LIMIT_PARTITIONS);
	snprintf(r->errbuf, sizeof(r->errbuf),
	    "partition limit: %u partitions is over --max-partitions %u", n,
	    max);
	r->errmsg = r->errbuf;
	return EVL_ELIMIT;
}

int
evld_limit_topic_create(
    struct evld_req *r, const char *name, const evls_topic_config *c)
{
	struct evld_broker *b    = r->b;
	evls_topic_entry   *list = NULL;
	size_t              n    = 0;
	int                 rv;

	if ((rv = evld_limit_partitions(r, c->partitions)) != 0)
		return rv;
	pthread_mutex_lock(&b->topics_mu);
	/* Listing is O(topics), but creates are rare and the limit is
	 * what keeps the list short. */
	if ((rv = evls_topic_list(b->store, &list, &n)) == 0) {
		evls_topic_list_free(list, n);
		if (n >= b->cfg->max_topics)
			rv = evld_limit_fail(r, EVLD_LIMIT_TOPICS);
		else
			rv = evls_topic_create(b->store, name, c);
	}
	pthread_mutex_unlock(&b->topics_mu);
	return rv;
}

int
evld_limit_records(struct evld_req *r, const void *batch, size_t len)
{
	size_t          max = r->b->cfg->max_record_bytes;
	evlp_batch_iter it;
	evlp_record     rec;

	if (len <= max)
		return 0;
	if (evlp_batch_iter_init(&it, batch, len) != 0)
		return EVL_EPROTO; /* checked before: cannot happen */
	while (evlp_batch_next(&it, &rec)) {
		size_t size = rec.key.len + rec.value.len + rec.headers.len;
		if (size <= max)
			continue;
		evld_limit_count(r->bm, EVLD_LIMIT_RECORD_BYTES);
		snprintf(r->errbuf, sizeof(r->errbuf),
		    "record %u of the batch is %zu bytes (key+value+headers), "
		    "over --max-record-bytes %zu",
		    it.index - 1, size, max);
		r->errmsg = r->errbuf;
		return EVL_ETOOBIG;
	}
	return it.rd.err;
}
