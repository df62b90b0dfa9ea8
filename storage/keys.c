/*
 * keys.c -- encoders and decoders for the layouts tabled in keys.h.  Every
 * decoder checks sizes first: a short or long key or value read back from
 * disk is reported, never read past.
 */
#include "keys.h"

#include <string.h>

#include "endian.h"

void
evls_key_log(uint8_t k[EVLS_LOGKEY_SIZE], uint64_t seq, uint32_t tid,
    uint32_t part)
{
	evlp_put_u64(k, seq);
	evlp_put_u32(k + 8, tid);
	evlp_put_u32(k + 12, part);
}

bool
evls_key_log_decode(const void *k, size_t len, uint64_t *seq, uint32_t *tid,
    uint32_t *part)
{
	const uint8_t *p = k;
	if (len != EVLS_LOGKEY_SIZE)
		return false;
	*seq  = evlp_get_u64(p);
	*tid  = evlp_get_u32(p + 8);
	*part = evlp_get_u32(p + 12);
	return true;
}

void
evls_key_seq(uint8_t k[EVLS_SEQ_SIZE], uint64_t seq)
{
	evlp_put_u64(k, seq);
}

void
evls_key_singleton(uint8_t k[2], uint8_t id)
{
	k[0] = EVLS_KEY_SINGLETON;
	k[1] = id;
}

size_t
evls_key_topic(uint8_t *k, const char *name)
{
	size_t n = strlen(name);
	k[0]     = EVLS_KEY_TOPIC;
	memcpy(k + 1, name, n);
	return n + 1;
}

void
evls_key_deleting(uint8_t k[5], uint32_t tid)
{
	k[0] = EVLS_KEY_DELETING;
	evlp_put_u32(k + 1, tid);
}

void
evls_key_part(uint8_t k[EVLS_PARTKEY_SIZE], uint32_t tid, uint32_t part)
{
	k[0] = EVLS_KEY_PART;
	evlp_put_u32(k + 1, tid);
	evlp_put_u32(k + 5, part);
}

bool
evls_key_part_decode(const void *k, size_t len, uint32_t *tid, uint32_t *part)
{
	const uint8_t *p = k;
	if (len != EVLS_PARTKEY_SIZE || p[0] != EVLS_KEY_PART)
		return false;
	*tid  = evlp_get_u32(p + 1);
	*part = evlp_get_u32(p + 5);
	return true;
}

void
evls_val_part(uint8_t v[EVLS_PARTVAL_SIZE], const evls_counters *c)
{
	evlp_put_u64(v, c->first_offset);
	evlp_put_u64(v + 8, c->next_offset);
	evlp_put_u64(v + 16, c->bytes);
	evlp_put_u64(v + 24, (uint64_t) c->last_time);
}

bool
evls_val_part_decode(const void *v, size_t len, evls_counters *c)
{
	const uint8_t *p = v;
	if (len != EVLS_PARTVAL_SIZE)
		return false;
	c->first_offset = evlp_get_u64(p);
	c->next_offset  = evlp_get_u64(p + 8);
	c->bytes        = evlp_get_u64(p + 16);
	c->last_time    = (int64_t) evlp_get_u64(p + 24);
	return c->first_offset <= c->next_offset;
}

void
evls_key_idx(uint8_t k[EVLS_IDXKEY_SIZE], uint32_t tid, uint32_t part,
    uint64_t last_offset)
{
	k[0] = EVLS_KEY_INDEX;
	evlp_put_u32(k + 1, tid);
	evlp_put_u32(k + 5, part);
	evlp_put_u64(k + 9, last_offset);
}

void
evls_val_idx(uint8_t v[EVLS_IDXVAL_SIZE], const evls_idx *x)
{
	evlp_put_u64(v, x->seq);
	evlp_put_u64(v + 8, x->base_offset);
	evlp_put_u32(v + 16, x->bytes);
	evlp_put_u64(v + 20, (uint64_t) x->append_time);
}

bool
evls_idx_decode(
    const void *k, size_t klen, const void *v, size_t vlen, evls_idx *x)
{
	const uint8_t *kp = k, *vp = v;
	if (klen != EVLS_IDXKEY_SIZE || vlen != EVLS_IDXVAL_SIZE ||
	    kp[0] != EVLS_KEY_INDEX)
		return false;
	x->last_offset = evlp_get_u64(kp + 9);
	x->seq         = evlp_get_u64(vp);
	x->base_offset = evlp_get_u64(vp + 8);
	x->bytes       = evlp_get_u32(vp + 16);
	x->append_time = (int64_t) evlp_get_u64(vp + 20);
	return x->base_offset <= x->last_offset;
}

size_t
evls_key_group(
    uint8_t *k, const char *group, bool with_tp, uint32_t tid, uint32_t part)
{
	size_t n = strlen(group);
	k[0]     = EVLS_KEY_GROUP;
	memcpy(k + 1, group, n);
	k[n + 1] = 0;
	if (!with_tp)
		return n + 2;
	evlp_put_u32(k + n + 2, tid);
	evlp_put_u32(k + n + 6, part);
	return n + 10;
}

bool
evls_name_valid(const char *name)
{
	size_t n = 0;
	if (name == NULL)
		return false;
	for (const char *c = name; *c; c++, n++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
		    *c == '-';
		if (!ok || n >= EVLS_NAME_MAX)
			return false;
	}
	return n >= 1;
}
