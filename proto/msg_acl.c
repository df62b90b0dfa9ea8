/*
 * msg_acl.c -- ACL_ADD, ACL_REMOVE and ACL_LIST bodies: access-control
 * rules on the wire.  Layouts are in PROTOCOL.md ("Access control").
 * Enumerated fields out of range (resource type, operation set, effect)
 * are EVL_EINVAL, malformed structure EVL_EPROTO.
 */
#include "msg_impl.h"

/* str principal, u8 resource, str pattern, u8 ops, u8 effect */
#define RULE_MIN (EVLP_STR_MIN + 1 + EVLP_STR_MIN + 1 + 1)

static void
rule_read(evlp_rd *r, void *out)
{
	evlp_acl_rule *e = out;
	e->principal     = evlp_rd_str(r);
	e->resource      = evlp_rd_u8(r);
	e->pattern       = evlp_rd_str(r);
	e->ops           = evlp_rd_u8(r);
	e->effect        = evlp_rd_u8(r);
	if (r->err == 0 &&
	    (e->resource < EVLP_RES_TOPIC || e->resource > EVLP_RES_CLUSTER ||
	        e->ops == 0 || (e->ops & ~EVLP_ACL_ALL) != 0 ||
	        e->effect > EVLP_ACL_DENY))
		evlp_rd_fail(r, EVL_EINVAL);
}

void
evlp_acl_rule_encode(evlp_wr *w, const evlp_acl_rule *m)
{
	evlp_wr_str(w, m->principal.p, m->principal.len);
	evlp_wr_u8(w, m->resource);
	evlp_wr_str(w, m->pattern.p, m->pattern.len);
	evlp_wr_u8(w, m->ops);
	evlp_wr_u8(w, m->effect);
}

int
evlp_acl_rule_decode(evlp_view body, evlp_acl_rule *m)
{
	evlp_rd       r;
	evlp_acl_rule x;
	evlp_rd_init(&r, body.p, body.len);
	rule_read(&r, &x);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

/* str principal, u8 resource (0 = any), str pattern */
void
evlp_acl_filter_encode(evlp_wr *w, const evlp_acl_filter *m)
{
	evlp_wr_str(w, m->principal.p, m->principal.len);
	evlp_wr_u8(w, m->resource);
	evlp_wr_str(w, m->pattern.p, m->pattern.len);
}

int
evlp_acl_filter_decode(evlp_view body, evlp_acl_filter *m)
{
	evlp_rd         r;
	evlp_acl_filter x;
	evlp_rd_init(&r, body.p, body.len);
	x.principal = evlp_rd_str(&r);
	x.resource  = evlp_rd_u8(&r);
	x.pattern   = evlp_rd_str(&r);
	if (r.err == 0 && x.resource > EVLP_RES_CLUSTER)
		evlp_rd_fail(&r, EVL_EINVAL);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

/* u32 count, then count rules */
void
evlp_acl_list_encode(evlp_wr *w, uint32_t count)
{
	evlp_wr_u32(w, count);
}

int
evlp_acl_list_decode(evlp_view body, evlp_acl_list *m)
{
	evlp_rd       r;
	evlp_acl_list x;
	evlp_acl_rule scratch;
	evlp_rd_init(&r, body.p, body.len);
	x.count = evlp_rd_u32(&r);
	evlp_list_take(&r, x.count, RULE_MIN, rule_read, &scratch, &x.entries_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_acl_list_next(evlp_acl_list *m, evlp_acl_rule *e)
{
	return evlp_list_next(&m->entries_, rule_read, e);
}
