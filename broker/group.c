/*
 * group.c -- the group coordinator (group.h): membership, rebalances,
 * the timer, fencing, and the stored group records.  The wire-facing
 * reads (list, describe) and the metrics are in group_view.c.
 *
 * Stored record layout (the value of the 'M' key, storage/keys.h), with
 * proto's primitive encodings (str = u16 length + bytes):
 *
 *   u8  version (1)
 *   i32 generation
 *   u8  assignor
 *   u64 rebalances
 *   u16 members, then per member:
 *       str id, str client_id, u32 session_ms, u32 rebalance_ms,
 *       u8 assignor,
 *       u16 subscriptions, then per subscription: u8 kind, str pattern
 *       u32 partitions, then per partition: str topic, u32 partition
 */
#include "group_int.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "alloc.h"
#include "assign.h"
#include "limit.h"
#include "server.h"

/* 2 adds each member's user after its partitions; 1 is still read
 * (users ""). */
#define STATE_VERSION 2
/* A join sleeps this much past its rebalance timeout, so the group's
 * deadline (checked by the timer) normally answers it first. */
#define JOIN_SLACK_MS 2000

uint64_t
evld_group_now_ms(void)
{
	return evld_now_us() / 1000u;
}

const char *
evld_group_state_name(int state)
{
	switch (state) {
	case EVLD_GS_REBALANCING:
		return "rebalancing";
	case EVLD_GS_STABLE:
		return "stable";
	default:
		return "empty";
	}
}

/* ---- members and groups ------------------------------------------------ */

void
evld_gtp_free(struct evld_gtp *tps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		evlp_free(tps[i].topic);
	evlp_free(tps);
}

static void
member_free(struct evld_member *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nsubs; i++)
		evlp_free(m->subs[i].pattern);
	evlp_free(m->subs);
	evld_gtp_free(m->parts, m->nparts);
	evlp_free(m->client_id);
	evlp_free(m);
}

static void
group_free(struct evld_group *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->nmembers; i++)
		member_free(g->members[i]);
	evlp_free(g->members);
	evlp_free(g->sig);
	evlp_free(g);
}

struct evld_group *
evld_group_find(struct evld_groups *gs, const char *name)
{
	for (size_t i = 0; i < gs->ngroups; i++)
		if (strcmp(gs->groups[i]->name, name) == 0)
			return gs->groups[i];
	return NULL;
}

/* Adds a new empty group, kept sorted by name.  EVL_ENOMEM. */
static int
group_add(struct evld_groups *gs, const char *name, struct evld_group **out)
{
	struct evld_group *g;
	if (gs->ngroups == gs->groups_cap) {
		size_t              ncap = gs->groups_cap ? 2 * gs->groups_cap : 8;
		struct evld_group **n =
		    evlp_realloc(gs->groups, ncap * sizeof(*n));
		if (n == NULL)
			return EVL_ENOMEM;
		gs->groups     = n;
		gs->groups_cap = ncap;
	}
	if (EVLP_ALLOC_STRUCT(g) == NULL)
		return EVL_ENOMEM;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->state = EVLD_GS_EMPTY;
	size_t at = 0;
	while (at < gs->ngroups && strcmp(gs->groups[at]->name, name) < 0)
		at++;
	memmove(gs->groups + at + 1, gs->groups + at,
	    (gs->ngroups - at) * sizeof(*gs->groups));
	gs->groups[at] = g;
	gs->ngroups++;
	*out = g;
	return 0;
}

static void
group_remove(struct evld_groups *gs, struct evld_group *g)
{
	for (size_t i = 0; i < gs->ngroups; i++) {
		if (gs->groups[i] == g) {
			memmove(gs->groups + i, gs->groups + i + 1,
			    (gs->ngroups - i - 1) * sizeof(*gs->groups));
			gs->ngroups--;
			break;
		}
	}
	group_free(g);
}

static struct evld_member *
member_find(struct evld_group *g, evlp_view id)
{
	for (size_t i = 0; i < g->nmembers; i++) {
		struct evld_member *m = g->members[i];
		if (strlen(m->id) == id.len && memcmp(m->id, id.p, id.len) == 0)
			return m;
	}
	return NULL;
}

/* Inserts m, keeping members sorted by id (the assignors' order). */
static int
member_insert(struct evld_group *g, struct evld_member *m)
{
	if (g->nmembers == g->members_cap) {
		size_t               ncap = g->members_cap ? 2 * g->members_cap : 4;
		struct evld_member **n =
		    evlp_realloc(g->members, ncap * sizeof(*n));
		if (n == NULL)
			return EVL_ENOMEM;
		g->members     = n;
		g->members_cap = ncap;
	}
	size_t at = 0;
	while (at < g->nmembers && strcmp(g->members[at]->id, m->id) < 0)
		at++;
	memmove(g->members + at + 1, g->members + at,
	    (g->nmembers - at) * sizeof(*g->members));
	g->members[at] = m;
	g->nmembers++;
	return 0;
}

static void
member_remove(struct evld_group *g, struct evld_member *m)
{
	for (size_t i = 0; i < g->nmembers; i++) {
		if (g->members[i] == m) {
			memmove(g->members + i, g->members + i + 1,
			    (g->nmembers - i - 1) * sizeof(*g->members));
			g->nmembers--;
			break;
		}
	}
	member_free(m);
}

bool
evld_member_owns(
    const struct evld_member *m, const char *topic, uint32_t partition)
{
	for (size_t i = 0; i < m->nparts; i++)
		if (m->parts[i].partition == partition &&
		    strcmp(m->parts[i].topic, topic) == 0)
			return true;
	return false;
}

bool
evld_member_subscribes(
    struct evld_broker *b, const struct evld_member *m, const char *topic)
{
	for (size_t i = 0; i < m->nsubs; i++) {
		const struct evld_gsub *s = &m->subs[i];
		if (s->kind == EVLP_SUB_TOPIC) {
			/* Checked at join: a denied name fails the join. */
			if (strcmp(s->pattern, topic) == 0)
				return true;
		} else if (fnmatch(s->pattern, topic, 0) == 0 &&
		    evld_broker_may(
		        b, m->user, EVLD_RES_TOPIC, topic, EVLD_ACL_READ)) {
			return true;
		}
	}
	return false;
}

/* ---- resolving subscriptions -------------------------------------------- */

void
evld_group_topics_free(struct evld_group_topics *t)
{
	evls_topic_list_free(t->list, t->n);
	evlp_free(t->sel);
	memset(t, 0, sizeof(*t));
}

int
evld_group_topics(struct evld_groups *gs, const struct evld_group *g,
    struct evld_group_topics *t)
{
	int rv;
	memset(t, 0, sizeof(*t));
	if ((rv = evls_topic_list(gs->b->store, &t->list, &t->n)) != 0)
		return rv;
	if (t->n > 0 && (t->sel = evlp_zalloc(t->n * sizeof(*t->sel))) == NULL) {
		evld_group_topics_free(t);
		return EVL_ENOMEM;
	}
	for (size_t i = 0; i < t->n; i++) {
		for (size_t m = 0; m < g->nmembers && !t->sel[i]; m++)
			t->sel[i] =
			    evld_member_subscribes(
			        gs->b, g->members[m], t->list[i].name);
	}
	return 0;
}

/* "name:partitions," for every selected topic: what a rebalance dealt. */
static char *
topics_sig(const struct evld_group_topics *t)
{
	size_t len = 1;
	for (size_t i = 0; i < t->n; i++)
		if (t->sel[i])
			len += strlen(t->list[i].name) + 12;
	char *s = evlp_alloc(len);
	if (s == NULL)
		return NULL;
	size_t at = 0;
	s[0]      = '\0';
	for (size_t i = 0; i < t->n; i++)
		if (t->sel[i])
			at += (size_t) snprintf(s + at, len - at, "%s:%" PRIu32 ",",
			    t->list[i].name, t->list[i].config.partitions);
	return s;
}

/* ---- persistence -------------------------------------------------------- */

static void
state_encode(evlp_wr *w, const struct evld_group *g)
{
	evlp_wr_u8(w, STATE_VERSION);
	evlp_wr_i32(w, g->generation);
	evlp_wr_u8(w, g->assignor);
	evlp_wr_u64(w, g->rebalances);
	evlp_wr_u16(w, (uint16_t) g->nmembers);
	for (size_t i = 0; i < g->nmembers; i++) {
		const struct evld_member *m = g->members[i];
		evlp_wr_str(w, m->id, strlen(m->id));
		evlp_wr_str(w, m->client_id, strlen(m->client_id));
		evlp_wr_u32(w, m->session_ms);
		evlp_wr_u32(w, m->rebalance_ms);
		evlp_wr_u8(w, m->assignor);
		evlp_wr_u16(w, (uint16_t) m->nsubs);
		for (size_t j = 0; j < m->nsubs; j++) {
			evlp_wr_u8(w, m->subs[j].kind);
			evlp_wr_str(w, m->subs[j].pattern,
			    strlen(m->subs[j].pattern));
		}
		evlp_wr_u32(w, (uint32_t) m->nparts);
		for (size_t j = 0; j < m->nparts; j++) {
			evlp_wr_str(w, m->parts[j].topic,
			    strlen(m->parts[j].topic));
			evlp_wr_u32(w, m->parts[j].partition);
		}
		evlp_wr_str(w, m->user, strlen(m->user));
	}
}

/* Writes g's record.  A failure is logged: the group goes on in memory
 * (its offsets are what matters for at-least-once). */
static void
group_persist(struct evld_groups *gs, struct evld_group *g)
{
	evlp_wr  w;
	uint8_t *buf;
	int      rv;
	evlp_wr_init(&w, NULL, 0);
	state_encode(&w, g);
	if ((buf = evlp_alloc(w.len)) == NULL) {
		rv = EVL_ENOMEM;
	} else {
		evlp_wr_init(&w, buf, w.len);
		state_encode(&w, g);
		rv = w.err != 0 ? w.err
		                : evls_group_state_put(
		                      gs->b->store, g->name, buf, w.len);
		evlp_free(buf);
	}
	if (rv != 0)
		evld_log_error(&gs->b->log, "group %s: cannot store its state: %s",
		    g->name, evl_strerror(rv));
}

/* Decodes one stored member; NULL with *err set on failure. */
static struct evld_member *
state_member(evlp_rd *r, uint8_t version, int *err)
{
	struct evld_member *m;
	if (EVLP_ALLOC_STRUCT(m) == NULL) {
		*err = EVL_ENOMEM;
		return NULL;
	}
	evlp_view id  = evlp_rd_str(r);
	evlp_view cid = evlp_rd_str(r);
	m->session_ms   = evlp_rd_u32(r);
	m->rebalance_ms = evlp_rd_u32(r);
	m->assignor     = evlp_rd_u8(r);
	m->nsubs        = evlp_rd_u16(r);
	if (r->err != 0 || id.len == 0 || id.len > EVLD_MEMBER_MAX)
		goto corrupt;
	memcpy(m->id, id.p, id.len);
	m->id[id.len] = '\0';
	if ((m->client_id = evlp_view_dup(cid)) == NULL)
		goto nomem;
	if (m->nsubs > evlp_rd_left(r))
		goto corrupt;
	if (m->nsubs > 0 &&
	    (m->subs = evlp_zalloc(m->nsubs * sizeof(*m->subs))) == NULL)
		goto nomem;
	for (size_t i = 0; i < m->nsubs; i++) {
		m->subs[i].kind = evlp_rd_u8(r);
		if ((m->subs[i].pattern = evlp_view_dup(evlp_rd_str(r))) == NULL)
			goto nomem;
	}
	uint32_t np = evlp_rd_u32(r);
	if (r->err != 0 || np > evlp_rd_left(r))
		goto corrupt;
	if (np > 0 && (m->parts = evlp_zalloc(np * sizeof(*m->parts))) == NULL)
		goto nomem;
	for (; m->nparts < np; m->nparts++) {
		struct evld_gtp *tp = &m->parts[m->nparts];
		if ((tp->topic = evlp_view_dup(evlp_rd_str(r))) == NULL)
			goto nomem;
		tp->partition = evlp_rd_u32(r);
	}
	if (version >= 2) {
		evlp_view u = evlp_rd_str(r);
		if (u.len > EVLD_USER_MAX)
			goto corrupt;
		if (u.len > 0)
			memcpy(m->user, u.p, u.len);
		m->user[u.len] = '\0';
	}
	if (r->err != 0)
		goto corrupt;
	return m;
corrupt:
	*err = EVL_ECORRUPT;
	member_free(m);
	return NULL;
nomem:
	*err = EVL_ENOMEM;
	member_free(m);
	return NULL;
}

static int
state_load(void *arg, const char *name, const void *v, size_t len)
{
	struct evld_groups *gs = arg;
	struct evld_group  *g;
	evlp_rd             r;
	int                 rv;
	uint64_t            now = evld_group_now_ms();

	evlp_rd_init(&r, v, len);
	uint8_t version = evlp_rd_u8(&r);
	if (version < 1 || version > STATE_VERSION)
		return EVL_ECORRUPT;
	if ((rv = group_add(gs, name, &g)) != 0)
		return rv;
	g->generation = evlp_rd_i32(&r);
	g->assignor   = evlp_rd_u8(&r);
	g->rebalances = evlp_rd_u64(&r);
	uint16_t n    = evlp_rd_u16(&r);
	for (uint16_t i = 0; rv == 0 && i < n; i++) {
		struct evld_member *m = state_member(&r, version, &rv);
		if (m == NULL)
			break;
		/* A full session from now to resume heartbeating. */
		m->deadline_ms = now + m->session_ms;
		if ((rv = member_insert(g, m)) != 0)
			member_free(m);
	}
	if (rv == 0 && (r.err != 0 || evlp_rd_left(&r) != 0))
		rv = EVL_ECORRUPT;
	if (rv != 0) {
		group_remove(gs, g);
		return rv;
	}
	g->state = g->nmembers > 0 ? EVLD_GS_STABLE : EVLD_GS_EMPTY;
	struct evld_group_topics t;
	if (evld_group_topics(gs, g, &t) == 0) {
		g->sig = topics_sig(&t);
		evld_group_topics_free(&t);
	}
	return 0;
}

/* ---- answering joins ---------------------------------------------------- */

static void
join_resp_encode(evlp_wr *w, const struct evld_group *g,
    const struct evld_member *m)
{
	evlp_join_resp jr;
	/* A third of the session, and at most a second: members learn of a
	 * rebalance from their heartbeats, so this bounds how long the
	 * others wait for them. */
	uint32_t hb = m->session_ms / 3 < 1000 ? m->session_ms / 3 : 1000;
	memset(&jr, 0, sizeof(jr));
	jr.generation            = g->generation;
	jr.member.p              = (const uint8_t *) m->id;
	jr.member.len            = strlen(m->id);
	jr.heartbeat_interval_ms = hb > 0 ? hb : 1;
	jr.count                 = (uint16_t) m->nparts;
	evlp_join_resp_encode(w, &jr);
	for (size_t i = 0; i < m->nparts; i++) {
		evlp_topic_partition tp = {
			{ (const uint8_t *) m->parts[i].topic,
			    strlen(m->parts[i].topic) },
			m->parts[i].partition
		};
		evlp_topic_partition_encode(w, &tp);
	}
}

/* Answers m's pending join with rv (0: its assignment), waking it when it
 * is parked.  Call with the lock held. */
static void
join_answer(struct evld_group *g, struct evld_member *m, int rv)
{
	struct evld_req *r = m->join;
	if (r == NULL)
		return;
	m->join = NULL;
	if (rv == 0 && m->nparts > UINT16_MAX)
		rv = EVL_ELIMIT;
	if (rv == 0 && (rv = evld_resp_begin(r, 0)) == 0)
		EVLD_PUT(r->resp, rv, join_resp_encode(w, g, m));
	r->join_rv       = rv;
	r->join_answered = true;
	if (r->join_parked)
		evld_req_wake(r);
}

/* ---- rebalancing -------------------------------------------------------- */

static void
rebalance_start(struct evld_group *g, uint64_t now)
{
	uint32_t wait = 0;
	for (size_t i = 0; i < g->nmembers; i++) {
		g->members[i]->joined = g->members[i]->join != NULL;
		if (g->members[i]->rebalance_ms > wait)
			wait = g->members[i]->rebalance_ms;
	}
	g->state              = EVLD_GS_REBALANCING;
	g->rebalance_deadline = now + wait;
}

/* The members' new assignment.  Call with the lock held. */
static int
deal(struct evld_groups *gs, struct evld_group *g)
{
	struct evld_group_topics   t;
	struct evld_assign_topic  *at  = NULL;
	struct evld_assign_member *am  = NULL;
	bool                      *sub = NULL;
	size_t                     nt  = 0, i, j;
	int                        rv;

	if ((rv = evld_group_topics(gs, g, &t)) != 0)
		return rv;
	for (i = 0; i < t.n; i++)
		nt += t.sel[i];
	at  = evlp_zalloc((nt + 1) * sizeof(*at));
	am  = evlp_zalloc((g->nmembers + 1) * sizeof(*am));
	sub = evlp_zalloc((g->nmembers * nt + 1) * sizeof(*sub));
	if (at == NULL || am == NULL || sub == NULL) {
		rv = EVL_ENOMEM;
		goto out;
	}
	for (i = 0, j = 0; i < t.n; i++) {
		if (!t.sel[i])
			continue;
		at[j].name       = t.list[i].name;
		at[j].partitions = t.list[i].config.partitions;
		j++;
	}
	for (size_t m = 0; m < g->nmembers; m++) {
		struct evld_member    *mb = g->members[m];
		struct evld_assign_tp *prev =
		    evlp_alloc((mb->nparts + 1) * sizeof(*prev));
		if (prev == NULL) {
			rv = EVL_ENOMEM;
			goto out;
		}
		am[m].prev       = prev;
		am[m].subscribed = sub + m * nt;
		for (j = 0; j < nt; j++)
			sub[m * nt + j] =
			    evld_member_subscribes(gs->b, mb, at[j].name);
		for (i = 0; i < mb->nparts; i++) {
			for (j = 0; j < nt; j++) {
				if (strcmp(at[j].name, mb->parts[i].topic) == 0) {
					prev[am[m].nprev].topic = (uint32_t) j;
					prev[am[m].nprev].partition =
					    mb->parts[i].partition;
					am[m].nprev++;
					break;
				}
			}
		}
	}
	if ((rv = evld_assign(g->assignor, at, nt, am, g->nmembers)) != 0)
		goto out;
	/* Build every new list first, then swap: all or nothing. */
	struct evld_gtp **lists = evlp_zalloc((g->nmembers + 1) * sizeof(*lists));
	if (lists == NULL) {
		rv = EVL_ENOMEM;
	} else {
		for (size_t m = 0; rv == 0 && m < g->nmembers; m++) {
			lists[m] = evlp_zalloc((am[m].nout + 1) * sizeof(**lists));
			for (i = 0; lists[m] != NULL && i < am[m].nout; i++) {
				lists[m][i].topic = evlp_strdup(at[am[m].out[i].topic].name);
				lists[m][i].partition = am[m].out[i].partition;
				if (lists[m][i].topic == NULL)
					break;
			}
			if (lists[m] == NULL || i < am[m].nout)
				rv = EVL_ENOMEM;
		}
		for (size_t m = 0; m < g->nmembers; m++) {
			if (rv == 0) {
				struct evld_member *mb = g->members[m];
				evld_gtp_free(mb->parts, mb->nparts);
				mb->parts  = lists[m];
				mb->nparts = am[m].nout;
			} else if (lists[m] != NULL) {
				evld_gtp_free(lists[m], am[m].nout);
			}
		}
		evlp_free(lists);
	}
	if (rv == 0) {
		char *sig = topics_sig(&t);
		evlp_free(g->sig);
		g->sig = sig;
	}
out:
	if (am != NULL) {
		for (size_t m = 0; m < g->nmembers; m++) {
			evlp_free((void *) am[m].prev);
			evlp_free(am[m].out);
		}
	}
	evlp_free(am);
	evlp_free(at);
	evlp_free(sub);
	evld_group_topics_free(&t);
	return rv;
}

/* Ends g's rebalance: a new generation, its assignment, the joins
 * answered, the record stored.  Call with the lock held. */
static void
rebalance_complete(struct evld_groups *gs, struct evld_group *g, uint64_t now)
{
	int rv = deal(gs, g);
	g->generation++;
	g->rebalances++;
	g->state = EVLD_GS_STABLE;
	for (size_t i = 0; i < g->nmembers; i++) {
		struct evld_member *m = g->members[i];
		m->joined             = false;
		m->deadline_ms        = now + m->session_ms;
		join_answer(g, m, rv);
	}
	if (rv != 0) {
		/* Could not deal (out of memory, store error): the members
		 * were told and rejoin, which retries the deal. */
		evld_log_error(&gs->b->log, "group %s: rebalance failed: %s",
		    g->name, evl_strerror(rv));
		rebalance_start(g, now);
	}
	group_persist(gs, g);
}

/* The group lost its last member. */
static void
group_emptied(struct evld_groups *gs, struct evld_group *g)
{
	g->state = EVLD_GS_EMPTY;
	g->generation++; /* fences whatever the last members still send */
	g->rebalances++;
	group_persist(gs, g);
}

/* Completes g's rebalance when every member rejoined, or when its
 * deadline passed (dropping those that did not).  Lock held. */
static void
rebalance_check(struct evld_groups *gs, struct evld_group *g, uint64_t now)
{
	if (g->state != EVLD_GS_REBALANCING)
		return;
	bool all = true;
	for (size_t i = 0; i < g->nmembers; i++)
		all = all && g->members[i]->joined;
	if (!all && now < g->rebalance_deadline)
		return;
	for (size_t i = g->nmembers; i-- > 0;) {
		struct evld_member *m = g->members[i];
		if (!m->joined) {
			evld_log_info(&gs->b->log,
			    "group %s: member %s did not rejoin in time",
			    g->name, m->id);
			member_remove(g, m);
		}
	}
	if (g->nmembers == 0)
		group_emptied(gs, g);
	else
		rebalance_complete(gs, g, now);
}

/* Membership changed (a member left or expired): rebalance.  Lock held. */
static void
membership_changed(struct evld_groups *gs, struct evld_group *g, uint64_t now)
{
	if (g->nmembers == 0) {
		group_emptied(gs, g);
		return;
	}
	if (g->state != EVLD_GS_REBALANCING)
		rebalance_start(g, now);
	rebalance_check(gs, g, now);
}

/* ---- the timer ---------------------------------------------------------- */

static void
tick_groups(struct evld_groups *gs, uint64_t now)
{
	bool topics = gs->topics_changed;
	gs->topics_changed = false;
	for (size_t i = 0; i < gs->ngroups; i++) {
		struct evld_group *g       = gs->groups[i];
		bool               changed = false;
		for (size_t j = g->nmembers; j-- > 0;) {
			struct evld_member *m = g->members[j];
			if (m->join == NULL && now >= m->deadline_ms) {
				evld_log_info(&gs->b->log,
				    "group %s: member %s session expired",
				    g->name, m->id);
				member_remove(g, m);
				changed = true;
			}
		}
		if (changed) {
			membership_changed(gs, g, now);
			continue;
		}
		if (g->state == EVLD_GS_REBALANCING) {
			rebalance_check(gs, g, now);
			continue;
		}
		if (topics && g->state == EVLD_GS_STABLE) {
			struct evld_group_topics t;
			if (evld_group_topics(gs, g, &t) != 0)
				continue;
			char *sig = topics_sig(&t);
			evld_group_topics_free(&t);
			if (sig != NULL &&
			    (g->sig == NULL || strcmp(sig, g->sig) != 0)) {
				evld_log_info(&gs->b->log,
				    "group %s: its topics changed", g->name);
				rebalance_start(g, now);
			}
			evlp_free(sig);
		}
	}
}

static void
tick_cb(void *arg)
{
	struct evld_groups *gs = arg;
	pthread_mutex_lock(&gs->mu);
	if (gs->closed) {
		pthread_mutex_unlock(&gs->mu);
		return;
	}
	tick_groups(gs, evld_group_now_ms());
	nng_sleep_aio(EVLD_GROUP_TICK_MS, gs->tick);
	pthread_mutex_unlock(&gs->mu);
}

void
evld_groups_topics_changed(struct evld_groups *gs)
{
	if (gs == NULL)
		return;
	pthread_mutex_lock(&gs->mu);
	gs->topics_changed = true;
	pthread_mutex_unlock(&gs->mu);
}

/* ---- start and stop ----------------------------------------------------- */

int
evld_groups_start(struct evld_groups **out, struct evld_broker *b)
{
	struct evld_groups *gs;
	int                 rv;
	if (EVLP_ALLOC_STRUCT(gs) == NULL)
		return EVL_ENOMEM;
	gs->b     = b;
	gs->epoch = (uint64_t) time(NULL);
	pthread_mutex_init(&gs->mu, NULL);
	if ((rv = evls_group_state_each(b->store, state_load, gs)) != 0) {
		evld_log_error(&b->log, "cannot load the consumer groups: %s",
		    evl_strerror(rv));
		goto fail;
	}
	if (nng_aio_alloc(&gs->tick, tick_cb, gs) != 0) {
		rv = EVL_ENOMEM;
		goto fail;
	}
	if ((rv = evld_metrics_collector_add(
	         b->metrics, evld_groups_collect, gs)) != 0)
		goto fail;
	gs->collector = true;
	nng_sleep_aio(EVLD_GROUP_TICK_MS, gs->tick);
	*out = gs;
	return 0;
fail:
	evld_groups_close(gs);
	evld_groups_free(gs);
	return rv;
}

void
evld_groups_close(struct evld_groups *gs)
{
	if (gs == NULL)
		return;
	pthread_mutex_lock(&gs->mu);
	gs->closed = true;
	for (size_t i = 0; i < gs->ngroups; i++) {
		struct evld_group *g = gs->groups[i];
		for (size_t j = 0; j < g->nmembers; j++)
			join_answer(g, g->members[j], EVL_ESHUTDOWN);
	}
	pthread_mutex_unlock(&gs->mu);
	if (gs->tick != NULL)
		nng_aio_stop(gs->tick);
}

void
evld_groups_free(struct evld_groups *gs)
{
	if (gs == NULL)
		return;
	if (gs->collector)
		evld_metrics_collector_remove(
		    gs->b->metrics, evld_groups_collect, gs);
	if (gs->tick != NULL)
		nng_aio_free(gs->tick);
	for (size_t i = 0; i < gs->ngroups; i++)
		group_free(gs->groups[i]);
	evlp_free(gs->groups);
	pthread_mutex_destroy(&gs->mu);
	evlp_free(gs);
}

/* ---- join, heartbeat, leave --------------------------------------------- */

/* Replaces m's subscriptions and settings from the request. */
static int
member_update(
    struct evld_member *m, const evlp_join_req *req, const char *user)
{
	evlp_join_req     it = *req;
	evlp_subscription s;
	struct evld_gsub *subs = evlp_zalloc(req->count * sizeof(*subs));
	char             *cid  = evlp_view_dup(req->client_id);
	size_t            n    = 0;
	if (subs == NULL || cid == NULL)
		goto nomem;
	while (evlp_join_req_next(&it, &s)) {
		subs[n].kind = s.kind;
		if ((subs[n].pattern = evlp_view_dup(s.pattern)) == NULL)
			goto nomem;
		n++;
	}
	for (size_t i = 0; i < m->nsubs; i++)
		evlp_free(m->subs[i].pattern);
	evlp_free(m->subs);
	evlp_free(m->client_id);
	m->subs         = subs;
	m->nsubs        = n;
	m->client_id    = cid;
	m->session_ms   = req->session_timeout_ms;
	m->rebalance_ms = req->rebalance_timeout_ms;
	m->assignor     = req->assignor;
	snprintf(m->user, sizeof(m->user), "%s", user);
	return 0;
nomem:
	for (size_t i = 0; i < n; i++)
		evlp_free(subs[i].pattern);
	evlp_free(subs);
	evlp_free(cid);
	return EVL_ENOMEM;
}

/* The parked join woke: answered, timed out, or shut down. */
static int
join_resume(struct evld_req *r)
{
	struct evld_groups *gs = r->b->groups;
	int                 rv;
	pthread_mutex_lock(&gs->mu);
	r->join_parked = false;
	if (r->join_answered) {
		rv = r->join_rv;
	} else {
		struct evld_group *g = evld_group_find(gs, r->join_group);
		evlp_view id = { (const uint8_t *) r->join_member,
			strlen(r->join_member) };
		struct evld_member *m = g ? member_find(g, id) : NULL;
		if (m != NULL && m->join == r)
			m->join = NULL;
		rv        = EVL_EREBALANCE;
		r->errmsg = "the rebalance did not complete in time: rejoin";
	}
	r->join_answered = false;
	pthread_mutex_unlock(&gs->mu);
	evld_req_park_release(r);
	return rv;
}

int
evld_groups_join(struct evld_groups *gs, struct evld_req *r,
    const char *group, const evlp_join_req *m)
{
	struct evld_group  *g = NULL;
	struct evld_member *mb;
	uint64_t            now = evld_group_now_ms();
	int                 rv;

	pthread_mutex_lock(&gs->mu);
	if (gs->closed) {
		rv = EVL_ESHUTDOWN;
		goto out;
	}
	if ((g = evld_group_find(gs, group)) == NULL) {
		if ((rv = evld_groups_admit(gs, group)) != 0) {
			if (rv == EVL_ELIMIT)
				evld_limit_fail(r, EVLD_LIMIT_GROUPS);
			goto out;
		}
		if ((rv = group_add(gs, group, &g)) != 0)
			goto out;
	}
	if (m->member.len == 0) {
		if (EVLP_ALLOC_STRUCT(mb) == NULL) {
			rv = EVL_ENOMEM;
			goto out;
		}
		snprintf(mb->id, sizeof(mb->id), "m-%" PRIx64 "-%" PRIu64,
		    gs->epoch, ++gs->next_member);
		if ((rv = member_update(mb, m, r->user)) != 0 ||
		    (rv = member_insert(g, mb)) != 0) {
			member_free(mb);
			goto out;
		}
		if (g->nmembers == 1)
			g->assignor = m->assignor; /* the first joiner's */
	} else if ((mb = member_find(g, m->member)) == NULL) {
		r->errmsg = "unknown member id: rejoin with an empty one";
		rv        = EVL_EUNKNOWNMEMBER;
		goto out;
	} else {
		if (mb->join != NULL)
			join_answer(g, mb, EVL_EREBALANCE); /* superseded */
		if ((rv = member_update(mb, m, r->user)) != 0)
			goto out;
	}
	snprintf(r->join_group, sizeof(r->join_group), "%s", group);
	snprintf(r->join_member, sizeof(r->join_member), "%s", mb->id);
	r->join_answered = false;
	r->join_parked   = false;
	mb->join         = r;
	mb->joined       = true;
	mb->deadline_ms  = now + mb->session_ms;
	if (g->state != EVLD_GS_REBALANCING)
		rebalance_start(g, now);
	rebalance_check(gs, g, now);
	if (r->join_answered) {
		r->join_answered = false;
		rv               = r->join_rv;
		goto out;
	}
	/* Wait for the others, holding a parked slot like a fetch. */
	if ((rv = evld_req_park_acquire(r)) != 0) {
		mb->join  = NULL;
		r->detail = EVLD_BUSY_BACKOFF_MS;
		r->errmsg = "too many parked requests";
		goto out;
	}
	nng_msg_free(r->resp);
	r->resp        = NULL;
	r->resume      = join_resume;
	r->join_parked = true;
	/* Armed under the lock: a completion (which wakes it) cannot run
	 * between the registration and the sleep. */
	evld_req_sleep(r, m->rebalance_timeout_ms + JOIN_SLACK_MS);
	rv = EVLD_ASYNC;
out:
	if (g != NULL && rv != EVLD_ASYNC && rv != 0 && g->nmembers == 0 &&
	    g->generation == 0 && g->state == EVLD_GS_EMPTY) {
		/* Nothing was ever stored for it: forget it. */
		group_remove(gs, g);
	}
	pthread_mutex_unlock(&gs->mu);
	return rv;
}

int
evld_groups_heartbeat(struct evld_groups *gs, const char *group,
    evlp_view member, int32_t generation)
{
	struct evld_group  *g;
	struct evld_member *m;
	int                 rv = 0;
	pthread_mutex_lock(&gs->mu);
	if ((g = evld_group_find(gs, group)) == NULL)
		rv = EVL_ENOGROUP;
	else if ((m = member_find(g, member)) == NULL)
		rv = EVL_EUNKNOWNMEMBER;
	else {
		m->deadline_ms = evld_group_now_ms() + m->session_ms;
		if (g->state == EVLD_GS_REBALANCING)
			rv = EVL_EREBALANCE;
		else if (generation != g->generation)
			rv = EVL_EGENERATION;
	}
	pthread_mutex_unlock(&gs->mu);
	return rv;
}

int
evld_groups_leave(struct evld_groups *gs, const char *group,
    evlp_view member, int32_t generation)
{
	struct evld_group  *g;
	struct evld_member *m;
	int                 rv = 0;
	pthread_mutex_lock(&gs->mu);
	if ((g = evld_group_find(gs, group)) == NULL)
		rv = EVL_ENOGROUP;
	else if ((m = member_find(g, member)) == NULL)
		rv = EVL_EUNKNOWNMEMBER;
	else if (generation != g->generation && generation != -1)
		rv = EVL_EGENERATION;
	else {
		join_answer(g, m, EVL_EUNKNOWNMEMBER);
		member_remove(g, m);
		membership_changed(gs, g, evld_group_now_ms());
	}
	pthread_mutex_unlock(&gs->mu);
	return rv;
}

/* ---- commits and deletion ------------------------------------------------ */

int
evld_groups_commit_begin(struct evld_groups *gs, const char *group,
    int32_t generation, evlp_view member, const struct evld_member **owner)
{
	struct evld_group  *g;
	struct evld_member *m = NULL;
	int                 rv = 0;
	pthread_mutex_lock(&gs->mu);
	g = evld_group_find(gs, group);
	if (generation == -1 && member.len == 0) {
		if (g != NULL && g->nmembers > 0)
			rv = EVL_EGROUPACTIVE;
		else if (g == NULL)
			rv = evld_groups_admit(gs, group); /* --max-groups */
	} else if (g == NULL) {
		rv = EVL_ENOGROUP;
	} else if ((m = member_find(g, member)) == NULL) {
		rv = EVL_EUNKNOWNMEMBER;
	} else if (generation != g->generation) {
		rv = EVL_EGENERATION;
	}
	if (rv != 0) {
		pthread_mutex_unlock(&gs->mu);
		return rv;
	}
	*owner = m;
	return 0;
}

void
evld_groups_commit_end(struct evld_groups *gs)
{
	pthread_mutex_unlock(&gs->mu);
}

int
evld_groups_delete(struct evld_groups *gs, const char *group)
{
	struct evld_group *g;
	int                rv;
	pthread_mutex_lock(&gs->mu);
	g = evld_group_find(gs, group);
	if (g != NULL && g->nmembers > 0) {
		rv = EVL_EGROUPACTIVE;
		goto out;
	}
	rv = evls_group_delete(gs->b->store, group);
	if (rv == EVL_ENOGROUP && g != NULL)
		rv = 0; /* a record without offsets */
	if (rv == 0)
		rv = evls_group_state_delete(gs->b->store, group);
	if (rv == 0 && g != NULL)
		group_remove(gs, g);
out:
	pthread_mutex_unlock(&gs->mu);
	return rv;
}
