/*
 * handle_admin.c -- PING and the topic operations: LIST, CREATE,
 * DESCRIBE, ALTER, DELETE.
 *
 * These are rare and answered inline on the NNG callback thread.  Topic
 * changes are synced by the store before they return, which holds that
 * one thread for a disk sync; NNG's taskq has several, and produces never
 * wait on them.
 */
#include <fnmatch.h>
#include <string.h>

#include "acl.h"
#include "alloc.h"
#include "broker.h"
#include "dispatch.h"
#include "group.h"
#include "limit.h"
#include "msg.h"

#ifndef EVLD_VERSION
#define EVLD_VERSION "0"
#endif
#define EVLD_BROKER_VERSION "evlogd " EVLD_VERSION

int
evld_handle_ping(struct evld_req *r)
{
	evlp_ping_resp m;
	int            rv;
	if (r->body.len != 0)
		return EVL_EPROTO;
	if ((rv = evld_resp_reuse(r)) != 0)
		return rv;
	m.protocol_version   = EVLP_VERSION;
	m.broker_version.p   = (const uint8_t *) EVLD_BROKER_VERSION;
	m.broker_version.len = strlen(EVLD_BROKER_VERSION);
	EVLD_PUT(r->resp, rv, evlp_ping_resp_encode(w, &m));
	return rv;
}

static void
settings_from_config(evlp_settings *s, const evls_topic_config *c)
{
	memset(s, 0, sizeof(*s));
	evlp_settings_set(s, EVLP_SET_RETENTION_MS, c->retention_ms);
	evlp_settings_set(s, EVLP_SET_RETENTION_BYTES, c->retention_bytes);
	evlp_settings_set(s, EVLP_SET_KEY_INDEX, c->key_index ? 1 : 0);
	evlp_settings_set(s, EVLP_SET_DEDUPE_WINDOW_MS, c->dedupe_window_ms);
}

/* Applies the settings present in s to c.  Unknown settings are refused
 * (a client asking for something we would silently drop). */
static int
settings_apply(struct evld_req *r, evls_topic_config *c, const evlp_settings *s)
{
	if (s->unknown != 0) {
		r->errmsg = "unknown topic setting";
		return EVL_EINVAL;
	}
	if (evlp_settings_has(s, EVLP_SET_DEDUPE_WINDOW_MS)) {
		if (s->value[EVLP_SET_DEDUPE_WINDOW_MS] < 0) {
			r->errmsg = "dedupe window must be >= 0 ms";
			return EVL_EINVAL;
		}
		c->dedupe_window_ms = s->value[EVLP_SET_DEDUPE_WINDOW_MS];
	}
	if (evlp_settings_has(s, EVLP_SET_RETENTION_MS))
		c->retention_ms = s->value[EVLP_SET_RETENTION_MS];
	if (evlp_settings_has(s, EVLP_SET_RETENTION_BYTES))
		c->retention_bytes = s->value[EVLP_SET_RETENTION_BYTES];
	if (evlp_settings_has(s, EVLP_SET_KEY_INDEX)) {
		int64_t v = s->value[EVLP_SET_KEY_INDEX];
		if (v != 0 && v != 1) {
			r->errmsg = "key index must be 0 or 1";
			return EVL_EINVAL;
		}
		c->key_index = v == 1;
	}
	return 0;
}

int
evld_handle_list_topics(struct evld_req *r)
{
	evlp_name_req     m;
	char              pattern[EVLD_NAME_MAX + 1];
	evls_topic_entry *list = NULL;
	size_t            n = 0, matched = 0;
	int               rv;

	if ((rv = evlp_name_req_decode(r->body, &m)) != 0)
		return rv;
	/* A glob may hold *?[] besides name characters; any byte string
	 * without NUL is accepted as a pattern. */
	if (m.name.len > 0 && (rv = evld_str_copy(pattern, m.name)) != 0)
		return EVL_EINVAL;
	if ((rv = evls_topic_list(r->b->store, &list, &n)) != 0)
		return rv;
	/* Only the topics the user may describe are listed (and counted);
	 * the rest stay invisible rather than failing the request. */
	for (size_t i = 0; i < n; i++) {
		if ((m.name.len == 0 || fnmatch(pattern, list[i].name, 0) == 0) &&
		    evld_authorized(r, EVLD_RES_TOPIC, list[i].name,
		        EVLD_ACL_DESCRIBE))
			matched++;
	}
	if ((rv = evld_resp_reuse(r)) != 0)
		goto out;
	EVLD_PUT(r->resp, rv, evlp_topic_list_encode(w, (uint32_t) matched));
	for (size_t i = 0; rv == 0 && i < n; i++) {
		evlp_topic_entry e;
		if (m.name.len != 0 && fnmatch(pattern, list[i].name, 0) != 0)
			continue;
		if (!evld_authorized(r, EVLD_RES_TOPIC, list[i].name,
		        EVLD_ACL_DESCRIBE))
			continue;
		e.name.p     = (const uint8_t *) list[i].name;
		e.name.len   = strlen(list[i].name);
		e.partitions = list[i].config.partitions;
		settings_from_config(&e.settings, &list[i].config);
		EVLD_PUT(r->resp, rv, evlp_topic_entry_encode(w, &e));
	}
out:
	evls_topic_list_free(list, n);
	return rv;
}

int
evld_handle_create_topic(struct evld_req *r)
{
	evlp_topic_req    m;
	evls_topic_config c;
	char              name[EVLD_NAME_MAX + 1];
	int               rv;

	if ((rv = evlp_topic_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = evld_name_copy(name, m.name)) != 0)
		return rv;
	if ((rv = evld_authorize(r, EVLD_RES_TOPIC, name, EVLD_ACL_CREATE)) != 0)
		return rv;
	evls_topic_config_init(&c);
	c.partitions = m.partitions != 0 ? m.partitions
	                                 : r->b->cfg->default_partitions;
	if ((rv = settings_apply(r, &c, &m.settings)) != 0)
		return rv;
	if ((rv = evld_limit_topic_create(r, name, &c)) != 0)
		return rv;
	/* Groups re-resolve their subscriptions (globs, growth). */
	evld_groups_topics_changed(r->b->groups);
	return evld_resp_reuse(r);
}

static int
describe(struct evld_req *r, const char *name, const evls_topic_config *c)
{
	evlp_topic_entry e;
	int              rv;

	e.name.p     = (const uint8_t *) name;
	e.name.len   = strlen(name);
	e.partitions = c->partitions;
	settings_from_config(&e.settings, c);
	if ((rv = evld_resp_reuse(r)) != 0)
		return rv;
	EVLD_PUT(r->resp, rv, evlp_topic_desc_encode(w, &e, c->partitions));
	for (uint32_t p = 0; rv == 0 && p < c->partitions; p++) {
		evls_partition_info  info;
		evlp_partition_state st;
		if ((rv = evls_partition_info_get(r->b->store, name, p, &info)) != 0)
			break; /* deleted or shrunk meanwhile: report it */
		st.partition    = p;
		st.first_offset = info.first_offset;
		st.next_offset  = info.next_offset;
		st.records      = info.records;
		st.bytes        = info.bytes;
		EVLD_PUT(r->resp, rv, evlp_partition_state_encode(w, &st));
	}
	return rv;
}

int
evld_handle_describe_topic(struct evld_req *r)
{
	evlp_name_req     m;
	evls_topic_config c;
	char              name[EVLD_NAME_MAX + 1];
	int               rv;

	if ((rv = evlp_name_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = evld_name_copy(name, m.name)) != 0)
		return rv;
	if ((rv = evld_authorize(
	         r, EVLD_RES_TOPIC, name, EVLD_ACL_DESCRIBE)) != 0)
		return rv;
	if ((rv = evls_topic_get(r->b->store, name, &c)) != 0)
		return rv;
	return describe(r, name, &c);
}

int
evld_handle_alter_topic(struct evld_req *r)
{
	evlp_topic_req    m;
	evls_topic_config c;
	char              name[EVLD_NAME_MAX + 1];
	int               rv;

	if ((rv = evlp_topic_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = evld_name_copy(name, m.name)) != 0)
		return rv;
	if ((rv = evld_authorize(r, EVLD_RES_TOPIC, name, EVLD_ACL_ALTER)) != 0)
		return rv;
	if ((rv = evls_topic_get(r->b->store, name, &c)) != 0)
		return rv;
	/* Only a change of the count is checked: a topic made before the
	 * limit was lowered keeps its partitions and its other settings
	 * stay alterable. */
	if (m.partitions != 0 && m.partitions != c.partitions &&
	    (rv = evld_limit_partitions(r, m.partitions)) != 0)
		return rv;
	if (m.partitions != 0)
		c.partitions = m.partitions;
	if ((rv = settings_apply(r, &c, &m.settings)) != 0)
		return rv;
	if ((rv = evls_topic_alter(r->b->store, name, &c)) != 0)
		return rv;
	/* Groups re-resolve their subscriptions (globs, growth). */
	evld_groups_topics_changed(r->b->groups);
	return evld_resp_reuse(r);
}

int
evld_handle_delete_topic(struct evld_req *r)
{
	evlp_name_req m;
	char          name[EVLD_NAME_MAX + 1];
	int           rv;

	if ((rv = evlp_name_req_decode(r->body, &m)) != 0)
		return rv;
	if ((rv = evld_name_copy(name, m.name)) != 0)
		return rv;
	if ((rv = evld_authorize(r, EVLD_RES_TOPIC, name, EVLD_ACL_DELETE)) != 0)
		return rv;
	if ((rv = evls_topic_delete(r->b->store, name)) != 0)
		return rv;
	/* Groups re-resolve their subscriptions (globs, growth). */
	evld_groups_topics_changed(r->b->groups);
	return evld_resp_reuse(r);
}
