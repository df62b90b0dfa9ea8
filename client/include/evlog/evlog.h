/*
 * evlog.h -- the public API of libevlog, the evlog client library.
 *
 * This header is the whole client API: use of declarations not found here
 * is unsupported.  Handles are opaque; every function returns 0 (EVL_OK) or
 * an error code from EVL_ERRORS below, and writes its out-parameters only
 * on success.  Ownership is stated on each prototype with one of three
 * phrases: "takes ownership", "borrows (valid until ...)", or "caller frees
 * with evl_x_free".
 *
 * The error list is also the wire protocol's: the numbers travel in
 * response frames (proto/PROTOCOL.md), so they are never renumbered.
 * Internal code (proto, storage, broker) includes this header only for it.
 */
#ifndef EVLOG_EVLOG_H
#define EVLOG_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define EVL_API __attribute__((visibility("default")))
#else
#define EVL_API
#endif

/*
 * X(number, NAME, message).  Grouped by decade so a new code has a home:
 * 1-19 protocol and request, 20-39 topics and data, 40-59 connection and
 * flow, 60-79 groups, 80-99 streams and producers, 100-119 security.
 * "retryable" in a message means the same request may be sent again.
 */
#define EVL_ERRORS(X)                                                        \
	X(0, OK, "success")                                                  \
	X(1, EPROTO, "malformed message")                                    \
	X(2, EVERSION, "unsupported protocol version")                       \
	X(3, EUNKNOWNOP, "unknown operation")                                \
	X(4, ETOOBIG, "message or record too large")                         \
	X(5, ECRC, "record batch checksum mismatch")                         \
	X(6, EINVAL, "invalid argument")                                     \
	X(7, ENOMEM, "out of memory")                                        \
	X(8, ENOTSUP, "operation not supported")                             \
	X(9, EINTERNAL, "internal error")                                    \
	X(20, ENOTOPIC, "unknown topic")                                     \
	X(21, ENOPART, "unknown partition")                                  \
	X(22, ETOPICEXISTS, "topic already exists")                          \
	X(23, EBADNAME, "invalid name")                                      \
	X(24, EOFFSET, "offset out of range")                                \
	X(25, ECORRUPT, "stored data is corrupted")                          \
	X(26, EIO, "storage I/O error")                                      \
	X(27, ESTREAMS, "not allowed on a topic with per-key streams")       \
	X(28, ENOTFOUND, "not found")                                        \
	X(40, ETIMEDOUT, "timed out")                                        \
	X(41, ECLOSED, "handle or broker closed")                            \
	X(42, ECONNREFUSED, "connection refused")                            \
	X(43, ECONNRESET, "connection lost (retryable)")                     \
	X(44, EBUSY, "broker busy (retryable)")                              \
	X(45, ESHUTDOWN, "broker shutting down (retryable)")                 \
	X(46, ELIMIT, "limit reached")                                       \
	X(47, ETHROTTLED, "quota exceeded, back off (retryable)")            \
	X(60, ENOGROUP, "unknown consumer group")                            \
	X(61, EUNKNOWNMEMBER, "unknown group member")                        \
	X(62, EGENERATION, "stale group generation (fenced)")                \
	X(63, EREBALANCE, "group rebalance in progress (rejoin)")            \
	X(64, ENOTOWNER, "partition not assigned to this member")           \
	X(65, EGROUPACTIVE, "group has active members")                      \
	X(80, EWRONGVERSION, "expected version mismatch")                    \
	X(81, ESEQUENCE, "producer sequence out of order")                   \
	X(82, EFENCEDPRODUCER, "producer id fenced by a newer epoch")        \
	X(83, ESTREAMDELETED, "stream was deleted")                          \
	X(100, EAUTH, "authentication failed")                               \
	X(101, EAUTHREQUIRED, "authentication required")                     \
	X(102, EDENIED, "not authorized")

enum evl_err {
#define EVL_ERR_ENUM_(num, name, msg) EVL_##name = num,
	EVL_ERRORS(EVL_ERR_ENUM_)
#undef EVL_ERR_ENUM_
};

/*
 * evl_strerror returns a human-readable message for an error code, and
 * evl_errname its symbolic name ("EVL_ENOTOPIC").  Both return static
 * strings (do not free); an unknown code gives "unknown error" and
 * "EVL_UNKNOWN".
 */
EVL_API const char *evl_strerror(int err);
EVL_API const char *evl_errname(int err);

#ifdef __cplusplus
}
#endif

#endif /* EVLOG_EVLOG_H */
