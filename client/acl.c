/*
 * acl.c -- access-control rules: evl_acl_add, evl_acl_remove and
 * evl_acl_list (ACL_ADD, ACL_REMOVE, ACL_LIST in PROTOCOL.md).
 *
 * Adding is idempotent (adding operations a rule has changes nothing),
 * so it is re-sent after a cut connection like the reads; removing is
 * not (the second try would answer EVL_ENOTFOUND for a removal that
 * happened), so a cut connection gives the caller EVL_ECONNRESET.
 */
#include <string.h>

#include "alloc.h"
#include "client_int.h"
#include "msg.h"
#include "ops.h"

static void
rule_encode(evlp_wr *w, const void *arg)
{
	evlp_acl_rule_encode(w, arg);
}

static void
filter_encode(evlp_wr *w, const void *arg)
{
	evlp_acl_filter_encode(w, arg);
}

static int
rule_call(evl_client *c, const evl_acl_rule *rule, uint8_t op)
{
	evlp_acl_rule m;
	evlc_resp     resp = { 0 };
	int           rv;
	if (c == NULL)
		return EVL_EINVAL;
	evlc_clear_err(c);
	if (rule == NULL || rule->principal == NULL || rule->pattern == NULL)
		return evlc_fail(c, EVL_EINVAL, "a rule needs a principal and "
		                                "a pattern");
	if (rule->resource < EVL_RES_TOPIC || rule->resource > EVL_RES_CLUSTER)
		return evlc_fail(c, EVL_EINVAL, "unknown resource type %d",
		    rule->resource);
	if (rule->ops == 0 || (rule->ops & ~EVL_ACL_ALL) != 0)
		return evlc_fail(c, EVL_EINVAL, "no or unknown operations");
	if (strlen(rule->principal) > UINT16_MAX ||
	    strlen(rule->pattern) > UINT16_MAX)
		return evlc_fail(c, EVL_EINVAL, "principal or pattern too long");
	m.principal = evlp_view_str(rule->principal);
	m.resource  = (uint8_t) rule->resource;
	m.pattern   = evlp_view_str(rule->pattern);
	m.ops       = (uint8_t) rule->ops;
	m.effect    = rule->deny ? EVLP_ACL_DENY : EVLP_ACL_ALLOW;
	rv = evlc_call(c, op, rule_encode, &m, 0,
	    op == EVLP_OP_ACL_ADD ? EVLC_IDEMPOTENT : 0, &resp);
	evlc_resp_fini(&resp);
	return rv;
}

int
evl_acl_add(evl_client *c, const evl_acl_rule *rule)
{
	return rule_call(c, rule, EVLP_OP_ACL_ADD);
}

int
evl_acl_remove(evl_client *c, const evl_acl_rule *rule)
{
	return rule_call(c, rule, EVLP_OP_ACL_REMOVE);
}

void
evl_acl_rules_free(evl_acl_rule *rules, size_t n)
{
	if (rules == NULL)
		return;
	/* The strings are the array's own (evl_acl_list allocated them). */
	for (size_t i = 0; i < n; i++) {
		evlp_free((char *) rules[i].principal);
		evlp_free((char *) rules[i].pattern);
	}
	evlp_free(rules);
}

int
evl_acl_list(evl_client *c, const evl_acl_rule *filter, evl_acl_rule **out,
    size_t *n)
{
	evlp_acl_filter f;
	evlp_acl_list   l;
	evlp_acl_rule   e;
	evlc_resp       resp = { 0 };
	evl_acl_rule   *v    = NULL;
	size_t          i    = 0;
	int             rv;

	if (c == NULL || out == NULL || n == NULL)
		return EVL_EINVAL;
	evlc_clear_err(c);
	memset(&f, 0, sizeof(f));
	if (filter != NULL) {
		if (filter->resource < 0 || filter->resource > EVL_RES_CLUSTER)
			return evlc_fail(c, EVL_EINVAL,
			    "unknown resource type %d", filter->resource);
		f.principal = evlp_view_str(filter->principal);
		f.resource  = (uint8_t) filter->resource;
		f.pattern   = evlp_view_str(filter->pattern);
		if (f.principal.len > UINT16_MAX || f.pattern.len > UINT16_MAX)
			return evlc_fail(c, EVL_EINVAL, "filter too long");
	}
	rv = evlc_call(c, EVLP_OP_ACL_LIST, filter_encode, &f, 0,
	    EVLC_IDEMPOTENT, &resp);
	if (rv != 0)
		goto fail;
	if ((rv = evlp_acl_list_decode(resp.body, &l)) != 0) {
		evlc_fail(c, rv, "malformed ACL_LIST response");
		goto fail;
	}
	/* One spare entry so that no rules is still an allocation. */
	if ((v = evlp_zalloc((l.count + 1) * sizeof(*v))) == NULL) {
		rv = EVL_ENOMEM;
		goto fail;
	}
	while (i < l.count && evlp_acl_list_next(&l, &e)) {
		char *p = evlp_view_dup(e.principal);
		char *t = evlp_view_dup(e.pattern);
		if (p == NULL || t == NULL) {
			evlp_free(p);
			evlp_free(t);
			rv = EVL_ENOMEM;
			goto fail;
		}
		v[i].principal = p;
		v[i].pattern   = t;
		v[i].resource  = e.resource;
		v[i].ops       = e.ops;
		v[i].deny      = e.effect == EVLP_ACL_DENY;
		i++;
	}
	evlc_resp_fini(&resp);
	*out = v;
	*n   = i;
	return 0;
fail:
	evl_acl_rules_free(v, i);
	evlc_resp_fini(&resp);
	return rv;
}
