/*
 * acl.c -- access-control rules in the metadata database (acl.h).
 * Key: 'A' + resource u8 + effect u8 + principal length u8 + principal
 * + pattern; value: the operations, one byte (keys.h).  Writes hold
 * admin_mu like topic changes and are always synced, whatever --fsync
 * says: a rule change is rare and must not be lost once answered.
 */
#include "acl.h"

#include <string.h>

#include "store_int.h"

#define ACL_KEY_MAX (4 + EVLS_ACL_PRINCIPAL_MAX + EVLS_ACL_PATTERN_MAX)

static size_t
acl_key(uint8_t k[ACL_KEY_MAX], const evls_acl_rule *r)
{
	size_t pl = strlen(r->principal), tl = strlen(r->pattern);
	k[0]      = EVLS_KEY_ACL;
	k[1]      = r->resource;
	k[2]      = r->effect;
	k[3]      = (uint8_t) pl;
	memcpy(k + 4, r->principal, pl);
	memcpy(k + 4 + pl, r->pattern, tl);
	return 4 + pl + tl;
}

int
evls_acl_put(evls_store *s, const evls_acl_rule *rule)
{
	uint8_t k[ACL_KEY_MAX];
	size_t  pl, tl;
	int     rv;

	if (rule == NULL)
		return EVL_EINVAL;
	pl = strnlen(rule->principal, sizeof(rule->principal));
	tl = strnlen(rule->pattern, sizeof(rule->pattern));
	if (pl == 0 || pl > EVLS_ACL_PRINCIPAL_MAX || tl == 0 ||
	    tl > EVLS_ACL_PATTERN_MAX)
		return EVL_EINVAL;
	size_t                klen = acl_key(k, rule);
	leveldb_writebatch_t *b    = leveldb_writebatch_create();
	if (rule->ops == 0)
		leveldb_writebatch_delete(b, (char *) k, klen);
	else
		leveldb_writebatch_put(
		    b, (char *) k, klen, (const char *) &rule->ops, 1);
	pthread_mutex_lock(&s->admin_mu);
	rv = evls_db_write(&s->meta, b, true, "write acl rule");
	pthread_mutex_unlock(&s->admin_mu);
	leveldb_writebatch_destroy(b);
	return rv;
}

/* Decodes one 'A' entry; false when it is no rule. */
static bool
acl_decode(const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen,
    evls_acl_rule *r)
{
	size_t pl, tl;
	if (klen < 4 || vlen != 1 || v[0] == 0)
		return false;
	pl = k[3];
	if (pl == 0 || 4 + pl >= klen)
		return false;
	tl = klen - 4 - pl;
	if (tl > EVLS_ACL_PATTERN_MAX || memchr(k + 4, 0, pl + tl) != NULL)
		return false;
	r->resource = k[1];
	r->effect   = k[2];
	r->ops      = v[0];
	memcpy(r->principal, k + 4, pl);
	r->principal[pl] = '\0';
	memcpy(r->pattern, k + 4 + pl, tl);
	r->pattern[tl] = '\0';
	return true;
}

int
evls_acl_each(evls_store *s, evls_acl_fn fn, void *arg)
{
	uint8_t             pfx = EVLS_KEY_ACL;
	evls_acl_rule       rule;
	int                 rv = 0;
	leveldb_iterator_t *it = evls_db_iter(&s->meta);

	leveldb_iter_seek(it, (char *) &pfx, 1);
	for (; rv == 0 && evls_db_iter_has_prefix(it, &pfx, 1);
	     leveldb_iter_next(it)) {
		size_t      klen, vlen;
		const char *k = leveldb_iter_key(it, &klen);
		const char *v = leveldb_iter_value(it, &vlen);
		if (!acl_decode((const uint8_t *) k, klen, (const uint8_t *) v,
		        vlen, &rule)) {
			rv = EVL_ECORRUPT;
			break;
		}
		rv = fn(arg, &rule);
	}
	if (rv == 0)
		rv = evls_db_iter_err(it, "list acl rules");
	leveldb_iter_destroy(it);
	return rv;
}
