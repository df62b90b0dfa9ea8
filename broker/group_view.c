/*
 * group_view.c -- what the coordinator shows: LIST_GROUPS,
 * DESCRIBE_GROUP, and the per-group metrics.  A group is known when it
 * is in memory (it has or had members since its record was stored) or
 * has committed offsets (a group only tools have committed for).
 *
 * A group's partition rows are every partition of the topics its members
 * subscribe to, plus every partition it has committed for, sorted by
 * topic and partition: with owner, committed offset and head, so lag is
 * head - committed, computed from one read of each.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "alloc.h"
#include "group_int.h"

struct row {
	const char *topic; /* borrowed from the topic list or the entries */
	uint32_t    partition;
	const char *member; /* borrowed member id, "" when none */
	int64_t     committed;
	uint64_t    head;
};

struct rows {
	struct evld_group_topics t;
	evls_group_entry        *ents;
	size_t                   nents;
	struct row              *v;
	size_t                   n;
};

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int               c = strcmp(x->topic, y->topic);
	if (c != 0)
		return c;
	return x->partition < y->partition ? -1 : (x->partition > y->partition);
}

static void
rows_free(struct rows *rs)
{
	evld_group_topics_free(&rs->t);
	evls_group_entries_free(rs->ents, rs->nents);
	evlp_free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

static struct row *
row_find(struct rows *rs, const char *topic, uint32_t partition)
{
	struct row key = { topic, partition, NULL, 0, 0 };
	return bsearch(&key, rs->v, rs->n, sizeof(*rs->v), row_cmp);
}

/* The rows of group name (g may be NULL).  Call with the lock held. */
static int
rows_build(struct evld_groups *gs, const struct evld_group *g,
    const char *name, struct rows *rs)
{
	size_t cap = 0, i;
	int    rv;

	memset(rs, 0, sizeof(*rs));
	rv = evls_group_offsets(gs->b->store, name, &rs->ents, &rs->nents);
	if (rv != 0)
		return rv;
	if (g != NULL && (rv = evld_group_topics(gs, g, &rs->t)) != 0)
		goto fail;
	for (i = 0; i < rs->t.n; i++)
		if (rs->t.sel[i])
			cap += rs->t.list[i].config.partitions;
	cap += rs->nents;
	if ((rs->v = evlp_zalloc((cap + 1) * sizeof(*rs->v))) == NULL) {
		rv = EVL_ENOMEM;
		goto fail;
	}
	for (i = 0; i < rs->t.n; i++) {
		if (!rs->t.sel[i])
			continue;
		for (uint32_t p = 0; p < rs->t.list[i].config.partitions; p++) {
			rs->v[rs->n].topic     = rs->t.list[i].name;
			rs->v[rs->n].partition = p;
			rs->n++;
		}
	}
	for (i = 0; i < rs->nents; i++) {
		rs->v[rs->n].topic     = rs->ents[i].topic;
		rs->v[rs->n].partition = rs->ents[i].partition;
		rs->n++;
	}
	qsort(rs->v, rs->n, sizeof(*rs->v), row_cmp);
	size_t out = 0;
	for (i = 0; i < rs->n; i++) {
		if (out > 0 && row_cmp(&rs->v[out - 1], &rs->v[i]) == 0)
			continue;
		rs->v[out]           = rs->v[i];
		rs->v[out].member    = "";
		rs->v[out].committed = -1;
		out++;
	}
	rs->n = out;
	for (i = 0; i < rs->nents; i++) {
		struct row *r =
		    row_find(rs, rs->ents[i].topic, rs->ents[i].partition);
		if (r != NULL)
			r->committed = rs->ents[i].offset;
	}
	for (i = 0; g != NULL && i < g->nmembers; i++) {
		const struct evld_member *m = g->members[i];
		for (size_t j = 0; j < m->nparts; j++) {
			struct row *r = row_find(
			    rs, m->parts[j].topic, m->parts[j].partition);
			if (r != NULL)
				r->member = m->id;
		}
	}
	for (i = 0; i < rs->n; i++) {
		evls_partition_info info;
		if (evls_partition_info_get(gs->b->store, rs->v[i].topic,
		        rs->v[i].partition, &info) == 0)
			rs->v[i].head = info.next_offset;
	}
	return 0;
fail:
	rows_free(rs);
	return rv;
}

/* Every known group name, sorted, deduplicated.  Lock held. */
static int
names_all(struct evld_groups *gs, char ***out, size_t *n)
{
	char **stored = NULL, **all;
	size_t ns = 0, k = 0, i = 0, j = 0;
	int    rv = evls_group_list(gs->b->store, &stored, &ns);
	if (rv != 0)
		return rv;
	if ((all = evlp_zalloc((ns + gs->ngroups + 1) * sizeof(*all))) == NULL) {
		evls_group_list_free(stored, ns);
		return EVL_ENOMEM;
	}
	while (i < gs->ngroups || j < ns) {
		const char *a = i < gs->ngroups ? gs->groups[i]->name : NULL;
		const char *b = j < ns ? stored[j] : NULL;
		int c = a == NULL ? 1 : b == NULL ? -1 : strcmp(a, b);
		if ((all[k] = evlp_strdup(c <= 0 ? a : b)) == NULL) {
			evls_group_list_free(all, k);
			evls_group_list_free(stored, ns);
			return EVL_ENOMEM;
		}
		k++;
		i += c <= 0;
		j += c >= 0;
	}
	evls_group_list_free(stored, ns);
	*out = all;
	*n   = k;
	return 0;
}

int
evld_groups_admit(struct evld_groups *gs, const char *group)
{
	char **names = NULL;
	size_t n     = 0;
	int    rv;

	if (evld_group_find(gs, group) != NULL)
		return 0;
	if ((rv = names_all(gs, &names, &n)) != 0)
		return rv;
	rv = n < gs->b->cfg->max_groups ? 0 : EVL_ELIMIT;
	for (size_t i = 0; rv != 0 && i < n; i++)
		if (strcmp(names[i], group) == 0)
			rv = 0; /* only offsets stored: it exists */
	evls_group_list_free(names, n);
	return rv;
}

static evlp_view
view_of(const char *s)
{
	evlp_view v = { (const uint8_t *) s, strlen(s) };
	return v;
}

int
evld_groups_list(struct evld_groups *gs, struct evld_req *r)
{
	char **names = NULL;
	size_t n     = 0;
	int    rv;
	pthread_mutex_lock(&gs->mu);
	if ((rv = names_all(gs, &names, &n)) != 0)
		goto out;
	if ((rv = evld_resp_begin(r, 0)) != 0)
		goto out;
	/* Only the groups the user may describe are listed. */
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += evld_authorized(
		    r, EVLD_RES_GROUP, names[i], EVLD_ACL_DESCRIBE);
	EVLD_PUT(r->resp, rv, evlp_group_list_encode(w, (uint32_t) shown));
	for (size_t i = 0; rv == 0 && i < n; i++) {
		const struct evld_group *g = evld_group_find(gs, names[i]);
		evlp_group_entry         e;
		if (!evld_authorized(
		        r, EVLD_RES_GROUP, names[i], EVLD_ACL_DESCRIBE))
			continue;
		e.group   = view_of(names[i]);
		e.state   = view_of(evld_group_state_name(
                    g ? g->state : EVLD_GS_EMPTY));
		e.members = g ? (uint32_t) g->nmembers : 0;
		EVLD_PUT(r->resp, rv, evlp_group_entry_encode(w, &e));
	}
out:
	pthread_mutex_unlock(&gs->mu);
	evls_group_list_free(names, n);
	return rv;
}

static void
desc_encode(evlp_wr *w, const struct evld_group *g, const char *name,
    const struct rows *rs)
{
	size_t nm = g ? g->nmembers : 0;
	evlp_group_desc_encode(w, view_of(name),
	    view_of(evld_group_state_name(g ? g->state : EVLD_GS_EMPTY)),
	    g ? g->generation : 0, (uint16_t) nm);
	for (size_t i = 0; i < nm; i++) {
		const struct evld_member *m = g->members[i];
		evlp_group_member         gm;
		memset(&gm, 0, sizeof(gm));
		gm.member    = view_of(m->id);
		gm.client_id = view_of(m->client_id);
		gm.count     = (uint16_t) m->nparts;
		evlp_group_member_encode(w, &gm);
		for (size_t j = 0; j < m->nparts; j++) {
			evlp_topic_partition tp = { view_of(m->parts[j].topic),
				m->parts[j].partition };
			evlp_topic_partition_encode(w, &tp);
		}
	}
	evlp_group_desc_partitions_encode(w, (uint32_t) rs->n);
	for (size_t i = 0; i < rs->n; i++) {
		evlp_group_partition p = { view_of(rs->v[i].topic),
			rs->v[i].partition, view_of(rs->v[i].member),
			rs->v[i].committed, rs->v[i].head };
		evlp_group_partition_encode(w, &p);
	}
}

int
evld_groups_describe(
    struct evld_groups *gs, struct evld_req *r, const char *group)
{
	struct rows rs;
	int         rv;
	pthread_mutex_lock(&gs->mu);
	const struct evld_group *g = evld_group_find(gs, group);
	if ((rv = rows_build(gs, g, group, &rs)) != 0)
		goto out;
	if (g == NULL && rs.nents == 0) {
		rows_free(&rs);
		rv = EVL_ENOGROUP;
		goto out;
	}
	if (g != NULL && g->nmembers > UINT16_MAX)
		rv = EVL_ELIMIT;
	for (size_t i = 0; rv == 0 && g != NULL && i < g->nmembers; i++)
		if (g->members[i]->nparts > UINT16_MAX)
			rv = EVL_ELIMIT;
	if (rv == 0 && (rv = evld_resp_begin(r, 0)) == 0)
		EVLD_PUT(r->resp, rv, desc_encode(w, g, group, &rs));
	rows_free(&rs);
out:
	pthread_mutex_unlock(&gs->mu);
	return rv;
}

/* ---- metrics ------------------------------------------------------------ */

static void
collect_group(struct evld_groups *gs, evld_metrics_writer *w, const char *name)
{
	const struct evld_group *g = evld_group_find(gs, name);
	struct rows              rs;
	char                     num[32];
	const char *glabels[] = { "group", name, NULL };

	if (evld_metrics_write_family(w, "evlog_group_members",
	        "Members of the consumer group", EVLD_METRIC_GAUGE) == 0)
		evld_metrics_write_u64(w, glabels, g ? g->nmembers : 0);
	if (evld_metrics_write_family(w, "evlog_group_generation",
	        "Current generation of the consumer group",
	        EVLD_METRIC_GAUGE) == 0)
		evld_metrics_write_i64(w, glabels, g ? g->generation : 0);
	if (evld_metrics_write_family(w, "evlog_group_rebalances_total",
	        "Rebalances the consumer group went through",
	        EVLD_METRIC_COUNTER) == 0)
		evld_metrics_write_u64(w, glabels, g ? g->rebalances : 0);
	if (rows_build(gs, g, name, &rs) != 0)
		return;
	for (size_t i = 0; i < rs.n; i++) {
		const struct row *r = &rs.v[i];
		snprintf(num, sizeof(num), "%" PRIu32, r->partition);
		const char *labels[] = { "group", name, "topic", r->topic,
			"partition", num, NULL };
		if (evld_metrics_write_family(w, "evlog_group_head_offset",
		        "Head (next offset) of a partition the group reads",
		        EVLD_METRIC_GAUGE) == 0)
			evld_metrics_write_u64(w, labels, r->head);
		if (r->committed < 0)
			continue;
		if (evld_metrics_write_family(w, "evlog_group_committed_offset",
		        "Committed offset (next to consume) of the group",
		        EVLD_METRIC_GAUGE) == 0)
			evld_metrics_write_i64(w, labels, r->committed);
		if (evld_metrics_write_family(w, "evlog_group_lag",
		        "Records between the group's commit and the head",
		        EVLD_METRIC_GAUGE) == 0)
			evld_metrics_write_i64(w, labels,
			    (int64_t) r->head - r->committed);
	}
	rows_free(&rs);
}

void
evld_groups_collect(void *arg, evld_metrics_writer *w)
{
	struct evld_groups *gs    = arg;
	char              **names = NULL;
	size_t              n     = 0;
	pthread_mutex_lock(&gs->mu);
	if (names_all(gs, &names, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			collect_group(gs, w, names[i]);
	}
	pthread_mutex_unlock(&gs->mu);
	evls_group_list_free(names, n);
}
