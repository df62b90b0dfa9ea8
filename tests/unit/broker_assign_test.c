/*
 * broker_assign_test.c -- the partition assignors (broker/assign.c):
 * range and round-robin deal as specified, every strategy gives every
 * partition to exactly one subscribed member, and sticky keeps what it
 * can: adding or removing a member moves the fewest partitions.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "alloc.h"
#include "assign.h"
#include "evl_test.h"
#include "msg.h"

#define MAXM 8
#define MAXT 4

struct setup {
	struct evld_assign_topic  t[MAXT];
	size_t                    nt;
	bool                      sub[MAXM][MAXT];
	struct evld_assign_member m[MAXM];
	size_t                    nm;
};

static void
setup_init(struct setup *s, size_t nm, size_t nt, const uint32_t *parts)
{
	static const char *names[MAXT] = { "a", "b", "c", "d" };
	memset(s, 0, sizeof(*s));
	s->nt = nt;
	s->nm = nm;
	for (size_t t = 0; t < nt; t++) {
		s->t[t].name       = names[t];
		s->t[t].partitions = parts[t];
	}
	for (size_t m = 0; m < nm; m++) {
		for (size_t t = 0; t < nt; t++)
			s->sub[m][t] = true;
		s->m[m].subscribed = s->sub[m];
	}
}

static void
setup_fini(struct setup *s)
{
	for (size_t m = 0; m < s->nm; m++)
		evlp_free(s->m[m].out);
}

/* Every partition exactly once, to a subscribed member. */
static void
check_exact(const struct setup *s)
{
	for (size_t t = 0; t < s->nt; t++) {
		bool any = false;
		for (size_t m = 0; m < s->nm; m++)
			any = any || s->sub[m][t];
		for (uint32_t p = 0; p < s->t[t].partitions; p++) {
			int owners = 0;
			for (size_t m = 0; m < s->nm; m++) {
				for (size_t i = 0; i < s->m[m].nout; i++) {
					if (s->m[m].out[i].topic == t &&
					    s->m[m].out[i].partition == p) {
						owners++;
						cr_assert(s->sub[m][t]);
					}
				}
			}
			cr_assert_eq(owners, any ? 1 : 0,
			    "topic %zu partition %u has %d owners", t, p, owners);
		}
	}
}

Test(broker_assign, range_deals_contiguous_ranges_per_topic)
{
	struct setup   s;
	const uint32_t parts[] = { 7, 2 };
	setup_init(&s, 3, 2, parts);
	evl_assert_ok(evld_assign(EVLP_ASSIGN_RANGE, s.t, s.nt, s.m, s.nm));
	check_exact(&s);
	/* a: 0-2, 3-4, 5-6; b: 0, 1, none. */
	cr_assert_eq(s.m[0].nout, 4);
	cr_assert_eq(s.m[0].out[2].partition, 2);
	cr_assert_eq(s.m[0].out[3].topic, 1);
	cr_assert_eq(s.m[0].out[3].partition, 0);
	cr_assert_eq(s.m[1].nout, 3);
	cr_assert_eq(s.m[1].out[0].partition, 3);
	cr_assert_eq(s.m[2].nout, 2);
	cr_assert_eq(s.m[2].out[0].partition, 5);
	setup_fini(&s);
}

Test(broker_assign, roundrobin_deals_in_turn)
{
	struct setup   s;
	const uint32_t parts[] = { 3, 3 };
	setup_init(&s, 2, 2, parts);
	evl_assert_ok(
	    evld_assign(EVLP_ASSIGN_ROUNDROBIN, s.t, s.nt, s.m, s.nm));
	check_exact(&s);
	cr_assert_eq(s.m[0].nout, 3);
	cr_assert_eq(s.m[1].nout, 3);
	/* a0 a2 b1 to the first; a1 b0 b2 to the second. */
	cr_assert_eq(s.m[0].out[1].partition, 2);
	cr_assert_eq(s.m[0].out[2].topic, 1);
	cr_assert_eq(s.m[0].out[2].partition, 1);
	setup_fini(&s);
}

Test(broker_assign, members_get_only_topics_they_subscribe_to)
{
	const int strategies[] = { EVLP_ASSIGN_STICKY, EVLP_ASSIGN_RANGE,
		EVLP_ASSIGN_ROUNDROBIN };
	for (size_t k = 0; k < 3; k++) {
		struct setup   s;
		const uint32_t parts[] = { 4, 5, 1 };
		setup_init(&s, 3, 3, parts);
		s.sub[0][1] = false;
		s.sub[1][0] = false;
		s.sub[2][0] = s.sub[2][1] = s.sub[2][2] = false;
		s.sub[0][2] = s.sub[1][2] = false; /* nobody reads c */
		evl_assert_ok(evld_assign(strategies[k], s.t, s.nt, s.m, s.nm));
		check_exact(&s);
		cr_assert_eq(s.m[0].nout, 4);
		cr_assert_eq(s.m[1].nout, 5);
		cr_assert_eq(s.m[2].nout, 0);
		setup_fini(&s);
	}
}

Test(broker_assign, sticky_balances_a_fresh_group)
{
	struct setup   s;
	const uint32_t parts[] = { 12 };
	setup_init(&s, 3, 1, parts);
	evl_assert_ok(evld_assign(EVLP_ASSIGN_STICKY, s.t, s.nt, s.m, s.nm));
	check_exact(&s);
	for (size_t m = 0; m < 3; m++)
		cr_assert_eq(s.m[m].nout, 4);
	setup_fini(&s);
}

/* Partitions that changed owner between two assignments. */
static size_t
moved(const struct evld_assign_tp *prev[], const size_t nprev[],
    const struct setup *s)
{
	size_t n = 0;
	for (size_t m = 0; m < s->nm; m++) {
		for (size_t i = 0; i < s->m[m].nout; i++) {
			bool kept = false;
			for (size_t j = 0; prev[m] && j < nprev[m]; j++)
				kept = kept ||
				    (prev[m][j].topic == s->m[m].out[i].topic &&
				        prev[m][j].partition ==
				            s->m[m].out[i].partition);
			n += !kept;
		}
	}
	return n;
}

Test(broker_assign, sticky_moves_the_fewest_partitions_when_a_member_joins)
{
	struct setup          s;
	const uint32_t        parts[] = { 12 };
	struct evld_assign_tp p0[6], p1[6];
	for (uint32_t i = 0; i < 6; i++) {
		p0[i] = (struct evld_assign_tp) { 0, i };
		p1[i] = (struct evld_assign_tp) { 0, 6 + i };
	}
	setup_init(&s, 3, 1, parts);
	s.m[0].prev  = p0;
	s.m[0].nprev = 6;
	s.m[1].prev  = p1;
	s.m[1].nprev = 6;
	evl_assert_ok(evld_assign(EVLP_ASSIGN_STICKY, s.t, s.nt, s.m, s.nm));
	check_exact(&s);
	for (size_t m = 0; m < 3; m++)
		cr_assert_eq(s.m[m].nout, 4);
	const struct evld_assign_tp *prev[]  = { p0, p1, NULL };
	const size_t                 nprev[] = { 6, 6, 0 };
	/* Only the 4 the newcomer needs move. */
	cr_assert_eq(moved(prev, nprev, &s), 4);

	/* Range, for contrast, reshuffles more. */
	setup_fini(&s);
	setup_init(&s, 3, 1, parts);
	evl_assert_ok(evld_assign(EVLP_ASSIGN_RANGE, s.t, s.nt, s.m, s.nm));
	cr_assert_gt(moved(prev, nprev, &s), 4);
	setup_fini(&s);
}

Test(broker_assign, sticky_keeps_the_survivors_partitions_when_one_leaves)
{
	struct setup          s;
	const uint32_t        parts[] = { 9 };
	struct evld_assign_tp p0[3] = { { 0, 0 }, { 0, 3 }, { 0, 6 } };
	struct evld_assign_tp p1[3] = { { 0, 1 }, { 0, 4 }, { 0, 7 } };
	setup_init(&s, 2, 1, parts);
	s.m[0].prev  = p0;
	s.m[0].nprev = 3;
	s.m[1].prev  = p1;
	s.m[1].nprev = 3;
	evl_assert_ok(evld_assign(EVLP_ASSIGN_STICKY, s.t, s.nt, s.m, s.nm));
	check_exact(&s);
	const struct evld_assign_tp *prev[]  = { p0, p1 };
	const size_t                 nprev[] = { 3, 3 };
	cr_assert_eq(moved(prev, nprev, &s), 3); /* the departed's three */
	cr_assert(s.m[0].nout == 4 || s.m[0].nout == 5);
	setup_fini(&s);
}

Test(broker_assign, sticky_ignores_stale_and_doubly_claimed_partitions)
{
	struct setup          s;
	const uint32_t        parts[] = { 4 };
	struct evld_assign_tp p0[3] = { { 0, 0 }, { 0, 1 }, { 0, 99 } };
	struct evld_assign_tp p1[2] = { { 0, 1 }, { 3, 0 } };
	setup_init(&s, 2, 1, parts);
	s.m[0].prev  = p0;
	s.m[0].nprev = 3;
	s.m[1].prev  = p1;
	s.m[1].nprev = 2;
	evl_assert_ok(evld_assign(EVLP_ASSIGN_STICKY, s.t, s.nt, s.m, s.nm));
	check_exact(&s);
	cr_assert_eq(s.m[0].nout, 2);
	cr_assert_eq(s.m[1].nout, 2);
	cr_assert_eq(s.m[0].out[0].partition, 0);
	cr_assert_eq(s.m[0].out[1].partition, 1);
	setup_fini(&s);
}

Test(broker_assign, every_strategy_deals_every_partition_once)
{
	const int strategies[] = { EVLP_ASSIGN_STICKY, EVLP_ASSIGN_RANGE,
		EVLP_ASSIGN_ROUNDROBIN };
	for (size_t k = 0; k < 3; k++) {
		for (size_t nm = 1; nm <= MAXM; nm++) {
			struct setup   s;
			const uint32_t parts[] = { 1, 6, 13, 0 };
			setup_init(&s, nm, 4, parts);
			for (size_t m = 0; m < nm; m++)
				s.sub[m][m % 3] = (m % 2) == 0;
			evl_assert_ok(
			    evld_assign(strategies[k], s.t, s.nt, s.m, s.nm));
			check_exact(&s);
			setup_fini(&s);
		}
	}
	struct setup s;
	setup_init(&s, 0, 0, NULL);
	cr_assert_eq(evld_assign(7, s.t, 0, s.m, 0), EVL_EINVAL);
	evl_assert_ok(evld_assign(EVLP_ASSIGN_STICKY, s.t, 0, s.m, 0));
}
