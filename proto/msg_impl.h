/*
 * msg_impl.h -- what the msg_*.c codecs share; not part of msg.h's
 * contract.
 *
 * Every repeated section is read the same way: check the count against
 * the bytes left (each entry has a known minimum size, so a count of 65535
 * with 3 bytes left fails before any entry is read), walk every entry once
 * with the reader the _next function will use later, and keep a cursor
 * over exactly the entries' bytes.  _next then stops when that cursor is
 * empty, which needs no index and cannot fail: every entry is at least one
 * byte and was already read successfully once.
 */
#ifndef EVLP_MSG_IMPL_H
#define EVLP_MSG_IMPL_H

#include "msg.h"

/* Reads one entry from r into *entry; fails r on malformed input. */
typedef void (*evlp_entry_read_fn)(evlp_rd *r, void *entry);

/*
 * Reads count entries, each at least min_size bytes, from r with read
 * (scratch receives each in turn) and sets *list to a cursor over exactly
 * their bytes.  On malformed input r is failed and *list is empty.
 */
void evlp_list_take(evlp_rd *r, uint32_t count, size_t min_size,
    evlp_entry_read_fn read, void *scratch, evlp_rd *list);

/* The next entry of a list evlp_list_take accepted; false at its end. */
static inline bool
evlp_list_next(evlp_rd *list, evlp_entry_read_fn read, void *entry)
{
	if (evlp_rd_left(list) == 0)
		return false;
	read(list, entry);
	return true;
}

/* Ends a decode: the cursor's error, else EVL_EPROTO for bytes left. */
static inline int
evlp_rd_finish(const evlp_rd *r)
{
	if (r->err)
		return r->err;
	return r->p != r->end ? EVL_EPROTO : 0;
}

/* Minimum encoded sizes, for checking counts against the bytes left. */
#define EVLP_STR_MIN   2 /* u16 length */
#define EVLP_BYTES_MIN 4 /* u32 length */

#endif /* EVLP_MSG_IMPL_H */
