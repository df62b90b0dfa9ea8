/*
 * admin.c -- topic administration, offsets for times, and the topic
 * metadata cache the producer and reader use.
 *
 * Reads (list, describe, offsets) are idempotent and re-sent after a
 * reconnect by evlc_call; create, alter and delete are not (a re-sent
 * create would answer EVL_ETOPICEXISTS for a topic it made itself), so a
 * cut connection gives the caller EVL_ECONNRESET to judge.
 */
#include <string.h>

#include "alloc.h"
#include "client_int.h"
#include "msg.h"
#include "ops.h"

void
evl_topic_config_init(evl_topic_config *c)
{
	memset(c, 0, sizeof(*c));
	c->partitions      = 1;
	c->retention_ms    = -1;
	c->retention_bytes = -1;
	c->key_index       = 0;
}

static void
topic_req_encode(evlp_wr *w, const void *arg)
{
	evlp_topic_req_encode(w, arg);
}

static void
name_req_encode(evlp_wr *w, const void *arg)
{
	evlp_name_req_encode(w, arg);
}

static int
check_name(evl_client *c, const char *name)
{
	if (c == NULL)
		return EVL_EINVAL;
	evlc_clear_err(c);
	if (name == NULL || *name == '\0' || strlen(name) > UINT16_MAX)
		return evlc_fail(c, EVL_EBADNAME, "missing or too long name");
	return 0;
}

int
evl_topic_create(evl_client *c, const char *name, const evl_topic_config *cfg)
{
	evl_topic_config def;
	evlp_topic_req   req;
	evlc_resp        resp = { 0 };
	int              rv;
	if ((rv = check_name(c, name)) != 0)
		return rv;
	if (cfg == NULL) {
		evl_topic_config_init(&def);
		cfg = &def;
	}
	if (cfg->partitions == 0)
		return evlc_fail(c, EVL_EINVAL, "a topic needs a partition");
	memset(&req, 0, sizeof(req));
	req.name       = evlp_view_str(name);
	req.partitions = cfg->partitions;
	evlp_settings_set(&req.settings, EVLP_SET_RETENTION_MS,
	    cfg->retention_ms);
	evlp_settings_set(&req.settings, EVLP_SET_RETENTION_BYTES,
	    cfg->retention_bytes);
	evlp_settings_set(&req.settings, EVLP_SET_KEY_INDEX,
	    cfg->key_index ? 1 : 0);
	/* Sent only when on: a broker without dedupe still creates topics
	 * that do not ask for it. */
	if (cfg->dedupe_window_ms != 0)
		evlp_settings_set(&req.settings, EVLP_SET_DEDUPE_WINDOW_MS,
		    cfg->dedupe_window_ms);
	rv = evlc_call(c, EVLP_OP_CREATE_TOPIC, topic_req_encode, &req, 0, 0,
	    &resp);
	evlc_resp_fini(&resp);
	return rv;
}

int
evl_topic_alter(evl_client *c, const char *name,
    const evl_topic_config *cfg, unsigned fields)
{
	evlp_topic_req req;
	evlc_resp      resp = { 0 };
	int            rv;
	if ((rv = check_name(c, name)) != 0)
		return rv;
	if (cfg == NULL || fields == 0 ||
	    (fields & ~(EVL_ALTER_PARTITIONS | EVL_ALTER_RETENTION_MS |
	                   EVL_ALTER_RETENTION_BYTES |
	                   EVL_ALTER_DEDUPE_WINDOW)) != 0)
		return evlc_fail(c, EVL_EINVAL, "nothing or unknown to alter");
	memset(&req, 0, sizeof(req));
	req.name = evlp_view_str(name);
	if (fields & EVL_ALTER_PARTITIONS) {
		if (cfg->partitions == 0)
			return evlc_fail(c, EVL_EINVAL, "0 partitions");
		req.partitions = cfg->partitions;
	}
	if (fields & EVL_ALTER_RETENTION_MS)
		evlp_settings_set(&req.settings, EVLP_SET_RETENTION_MS,
		    cfg->retention_ms);
	if (fields & EVL_ALTER_RETENTION_BYTES)
		evlp_settings_set(&req.settings, EVLP_SET_RETENTION_BYTES,
		    cfg->retention_bytes);
	if (fields & EVL_ALTER_DEDUPE_WINDOW)
		evlp_settings_set(&req.settings, EVLP_SET_DEDUPE_WINDOW_MS,
		    cfg->dedupe_window_ms);
	rv = evlc_call(
	    c, EVLP_OP_ALTER_TOPIC, topic_req_encode, &req, 0, 0, &resp);
	evlc_resp_fini(&resp);
	evlc_meta_forget(c, name);
	return rv;
}

int
evl_topic_delete(evl_client *c, const char *name)
{
	evlp_name_req req;
	evlc_resp     resp = { 0 };
	int           rv;
	if ((rv = check_name(c, name)) != 0)
		return rv;
	req.name = evlp_view_str(name);
	rv = evlc_call(
	    c, EVLP_OP_DELETE_TOPIC, name_req_encode, &req, 0, 0, &resp);
	evlc_resp_fini(&resp);
	evlc_meta_forget(c, name);
	return rv;
}

/* Fills the name and config of t from a decoded entry. */
static int
topic_info_fill(evl_topic_info *t, const evlp_topic_entry *e)
{
	evl_topic_config_init(&t->config);
	t->config.partitions = e->partitions;
	if (evlp_settings_has(&e->settings, EVLP_SET_RETENTION_MS))
		t->config.retention_ms =
		    e->settings.value[EVLP_SET_RETENTION_MS];
	if (evlp_settings_has(&e->settings, EVLP_SET_RETENTION_BYTES))
		t->config.retention_bytes =
		    e->settings.value[EVLP_SET_RETENTION_BYTES];
	if (evlp_settings_has(&e->settings, EVLP_SET_KEY_INDEX))
		t->config.key_index =
		    e->settings.value[EVLP_SET_KEY_INDEX] != 0;
	if (evlp_settings_has(&e->settings, EVLP_SET_DEDUPE_WINDOW_MS))
		t->config.dedupe_window_ms =
		    e->settings.value[EVLP_SET_DEDUPE_WINDOW_MS];
	if ((t->name = evlp_alloc(e->name.len + 1)) == NULL)
		return EVL_ENOMEM;
	memcpy(t->name, e->name.p, e->name.len);
	t->name[e->name.len] = '\0';
	return 0;
}

void
evl_topic_info_free(evl_topic_info *t, size_t n)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		evlp_free(t[i].name);
		evlp_free(t[i].partitions);
	}
	evlp_free(t);
}

int
evl_topic_list(evl_client *c, evl_topic_info **out, size_t *n)
{
	evlp_name_req    req  = { { NULL, 0 } };
	evlc_resp        resp = { 0 };
	evlp_topic_list  tl;
	evlp_topic_entry e;
	evl_topic_info  *t = NULL;
	size_t           i = 0;
	int              rv;
	if (c == NULL || out == NULL || n == NULL)
		return EVL_EINVAL;
	evlc_clear_err(c);
	rv = evlc_call(c, EVLP_OP_LIST_TOPICS, name_req_encode, &req, 0,
	    EVLC_IDEMPOTENT, &resp);
	if (rv != 0)
		goto fail;
	if ((rv = evlp_topic_list_decode(resp.body, &tl)) != 0) {
		evlc_fail(c, rv, "malformed LIST_TOPICS response");
		goto fail;
	}
	/* One spare entry so that zero topics is still an allocation. */
	if ((t = evlp_zalloc((tl.count + 1) * sizeof(*t))) == NULL) {
		rv = EVL_ENOMEM;
		goto fail;
	}
	while (i < tl.count && evlp_topic_list_next(&tl, &e)) {
		if ((rv = topic_info_fill(&t[i], &e)) != 0)
			goto fail;
		i++;
	}
	evlc_resp_fini(&resp);
	*out = t;
	*n   = i;
	return 0;
fail:
	evl_topic_info_free(t, i);
	evlc_resp_fini(&resp);
	return rv;
}

int
evl_topic_describe(evl_client *c, const char *name, evl_topic_info **out)
{
	evlp_name_req        req;
	evlc_resp            resp = { 0 };
	evlp_topic_desc      d;
	evlp_partition_state ps;
	evl_topic_info      *t = NULL;
	int                  rv;
	if ((rv = check_name(c, name)) != 0)
		return rv;
	if (out == NULL)
		return EVL_EINVAL;
	req.name = evlp_view_str(name);
	rv = evlc_call(c, EVLP_OP_DESCRIBE_TOPIC, name_req_encode, &req, 0,
	    EVLC_IDEMPOTENT, &resp);
	if (rv != 0)
		goto fail;
	if ((rv = evlp_topic_desc_decode(resp.body, &d)) != 0) {
		evlc_fail(c, rv, "malformed DESCRIBE_TOPIC response");
		goto fail;
	}
	if (EVLP_ALLOC_STRUCT(t) == NULL) {
		rv = EVL_ENOMEM;
		goto fail;
	}
	if ((rv = topic_info_fill(t, &d.topic)) != 0)
		goto fail;
	if ((t->partitions = evlp_zalloc(
	         (d.count + 1) * sizeof(*t->partitions))) == NULL) {
		rv = EVL_ENOMEM;
		goto fail;
	}
	while (t->partition_count < d.count && evlp_topic_desc_next(&d, &ps)) {
		evl_partition_info *pi = &t->partitions[t->partition_count++];
		pi->partition    = ps.partition;
		pi->first_offset = ps.first_offset;
		pi->next_offset  = ps.next_offset;
		pi->records      = ps.records;
		pi->bytes        = ps.bytes;
	}
	evlc_resp_fini(&resp);
	*out = t;
	return 0;
fail:
	evl_topic_info_free(t, t ? 1 : 0);
	evlc_resp_fini(&resp);
	return rv;
}

/* ---- offsets for times ------------------------------------------------ */

static void
offsets_encode(evlp_wr *w, const void *arg)
{
	evlp_list_offsets_encode(w, 1);
	evlp_offset_query_encode(w, arg);
}

int
evl_offset_for_time(evl_client *c, const char *topic, uint32_t partition,
    int64_t ts_ms, uint64_t *offset)
{
	evlp_offset_query  q;
	evlp_list_offsets  lo;
	evlp_offset_answer a;
	evlc_resp          resp = { 0 };
	int                rv;
	if ((rv = check_name(c, topic)) != 0)
		return rv;
	if (offset == NULL || ts_ms < EVL_TIME_EARLIEST)
		return evlc_fail(c, EVL_EINVAL, "bad timestamp or no offset");
	q.topic     = evlp_view_str(topic);
	q.partition = partition;
	q.timestamp = ts_ms;
	rv = evlc_call(c, EVLP_OP_LIST_OFFSETS, offsets_encode, &q, 0,
	    EVLC_IDEMPOTENT, &resp);
	if (rv != 0)
		goto out;
	if ((rv = evlp_list_offsets_resp_decode(resp.body, &lo)) != 0 ||
	    lo.count != 1 || !evlp_list_offsets_resp_next(&lo, &a)) {
		rv = evlc_fail(c, rv ? rv : EVL_EPROTO,
		    "malformed LIST_OFFSETS response");
		goto out;
	}
	if (a.error != 0) {
		rv = evlc_fail(c, a.error, "%s partition %u: %s", topic,
		    (unsigned) partition, evl_strerror(a.error));
		goto out;
	}
	*offset = a.offset;
out:
	evlc_resp_fini(&resp);
	return rv;
}

/* ---- metadata cache --------------------------------------------------- */

int
evlc_topic_partitions(evl_client *c, const char *topic, uint32_t *n)
{
	evlc_meta      *m;
	evl_topic_info *t;
	size_t          len = strlen(topic);
	uint32_t        parts;
	pthread_mutex_lock(&c->mu);
	for (m = c->metas; m != NULL; m = m->next) {
		if (strcmp(m->name, topic) == 0) {
			*n = m->partitions;
			pthread_mutex_unlock(&c->mu);
			return 0;
		}
	}
	pthread_mutex_unlock(&c->mu);

	int rv = evl_topic_describe(c, topic, &t);
	if (rv != 0)
		return rv;
	parts = t->config.partitions;
	evl_topic_info_free(t, 1);
	if (parts == 0)
		return evlc_fail(c, EVL_EPROTO, "topic %s has no partitions",
		    topic);
	if ((m = evlp_alloc(sizeof(*m) + len + 1)) == NULL)
		return EVL_ENOMEM;
	m->partitions = parts;
	memcpy(m->name, topic, len + 1);
	pthread_mutex_lock(&c->mu);
	m->next  = c->metas;
	c->metas = m;
	pthread_mutex_unlock(&c->mu);
	*n = parts;
	return 0;
}

void
evlc_meta_forget(evl_client *c, const char *topic)
{
	evlc_meta **pp, *m;
	pthread_mutex_lock(&c->mu);
	for (pp = &c->metas; (m = *pp) != NULL; pp = &m->next) {
		if (strcmp(m->name, topic) == 0) {
			*pp = m->next;
			evlp_free(m);
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
}
