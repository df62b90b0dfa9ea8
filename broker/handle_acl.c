/*
 * handle_acl.c -- ACL_ADD, ACL_REMOVE and ACL_LIST (PROTOCOL.md, "Access
 * control"): changing and reading the rules of acl.h.
 *
 * Changing rules needs alter on the cluster, reading them describe on
 * the cluster; superusers pass both.  The check comes before the body is
 * even looked at, so someone who may not change rules learns nothing
 * from the answers.  Every change is logged at warn, who changed what,
 * so it shows at the default log level: the audit trail.
 */
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "alloc.h"
#include "broker.h"
#include "dispatch.h"
#include "group.h"
#include "msg.h"

/* Decodes and checks a rule body into *out. */
static int
rule_decode(struct evld_req *r, evls_acl_rule *out)
{
	evlp_acl_rule m;
	const char   *why;
	int           rv;

	if ((rv = evlp_acl_rule_decode(r->body, &m)) != 0) {
		if (rv == EVL_EINVAL)
			r->errmsg = "malformed rule: the resource is topic, "
			            "group or cluster, the operations a "
			            "non-empty set of read, write, create, "
			            "delete, describe, alter, the effect allow "
			            "or deny";
		return rv;
	}
	if ((rv = evld_acl_rule_check(&m, out, &why)) != 0) {
		snprintf(r->errbuf, sizeof(r->errbuf), "malformed rule: %s", why);
		r->errmsg = r->errbuf;
	}
	return rv;
}

static void
audit(struct evld_req *r, const char *verb, const evls_acl_rule *x)
{
	char ops[64];
	evld_acl_ops_format(x->ops, ops, sizeof(ops));
	/* The cluster has no name: "cluster", as the CLI writes it. */
	bool cluster = x->resource == EVLP_RES_CLUSTER;
	evld_log_warn(&r->b->log, "acl: %s %s %s %s %s %s%s%s",
	    r->user[0] ? r->user : "anonymous", verb,
	    x->effect == EVLP_ACL_DENY ? "deny" : "allow", x->principal, ops,
	    evld_acl_res_name((enum evld_res) x->resource), cluster ? "" : ":",
	    cluster ? "" : x->pattern);
}

static int
rule_change(struct evld_req *r, bool add)
{
	evls_acl_rule x;
	int           rv;

	if ((rv = evld_authorize(r, EVLD_RES_CLUSTER, EVLD_CLUSTER_NAME,
	         EVLD_ACL_ALTER)) != 0)
		return rv;
	if ((rv = rule_decode(r, &x)) != 0)
		return rv;
	rv = add ? evld_acl_add(r->b->acl, &x) : evld_acl_remove(r->b->acl, &x);
	if (rv == EVL_ENOTFOUND)
		r->errmsg = "no such rule: acl list shows the rules";
	if (rv != 0)
		return rv;
	audit(r, add ? "added" : "removed", &x);
	/* Glob subscriptions follow what their members may read: groups
	 * re-resolve them, as when topics change. */
	evld_groups_topics_changed(r->b->groups);
	if (r->b->bm_ok)
		evld_gauge_set(
		    r->b->bm.acl_rules, (int64_t) evld_acl_count(r->b->acl));
	return evld_resp_reuse(r);
}

int
evld_handle_acl_add(struct evld_req *r)
{
	return rule_change(r, true);
}

int
evld_handle_acl_remove(struct evld_req *r)
{
	return rule_change(r, false);
}

/* Copies a filter string (empty allowed) of at most max bytes. */
static int
filter_copy(char *out, size_t max, evlp_view v)
{
	if (v.len > max || (v.len > 0 && memchr(v.p, '\0', v.len) != NULL))
		return EVL_EINVAL;
	if (v.len > 0)
		memcpy(out, v.p, v.len);
	out[v.len] = '\0';
	return 0;
}

static evlp_view
view_of(const char *s)
{
	evlp_view v = { (const uint8_t *) s, strlen(s) };
	return v;
}

int
evld_handle_acl_list(struct evld_req *r)
{
	evlp_acl_filter m;
	char            principal[EVLD_USER_MAX + 1];
	char            pattern[EVLD_NAME_MAX + 1];
	evls_acl_rule  *v = NULL;
	size_t          n = 0;
	int             rv;

	if ((rv = evld_authorize(r, EVLD_RES_CLUSTER, EVLD_CLUSTER_NAME,
	         EVLD_ACL_DESCRIBE)) != 0)
		return rv;
	if ((rv = evlp_acl_filter_decode(r->body, &m)) != 0)
		return rv;
	if (filter_copy(principal, EVLD_USER_MAX, m.principal) != 0 ||
	    filter_copy(pattern, EVLD_NAME_MAX, m.pattern) != 0) {
		r->errmsg = "filter principal or pattern too long";
		return EVL_EINVAL;
	}
	if ((rv = evld_acl_list(r->b->acl, principal, m.resource, pattern, &v,
	         &n)) != 0)
		return rv;
	if ((rv = evld_resp_reuse(r)) != 0)
		goto out;
	EVLD_PUT(r->resp, rv, evlp_acl_list_encode(w, (uint32_t) n));
	for (size_t i = 0; rv == 0 && i < n; i++) {
		evlp_acl_rule e = { view_of(v[i].principal), v[i].resource,
			view_of(v[i].pattern), v[i].ops, v[i].effect };
		EVLD_PUT(r->resp, rv, evlp_acl_rule_encode(w, &e));
	}
out:
	evlp_free(v);
	return rv;
}
