/*
 * ops.h -- operation codes carried in the frame header.  The numbers are
 * on the wire: never renumber, only add.  PROTOCOL.md describes each.
 */
#ifndef EVLP_OPS_H
#define EVLP_OPS_H

/* X(code, NAME, "name used in metrics and logs") */
#define EVLP_OPS(X)                                      \
	X(0x01, PING, "ping")                            \
	X(0x02, PRODUCE, "produce")                      \
	X(0x03, FETCH, "fetch")                          \
	X(0x04, LIST_OFFSETS, "list_offsets")            \
	X(0x10, LIST_TOPICS, "list_topics")              \
	X(0x11, CREATE_TOPIC, "create_topic")            \
	X(0x12, DESCRIBE_TOPIC, "describe_topic")        \
	X(0x13, ALTER_TOPIC, "alter_topic")              \
	X(0x14, DELETE_TOPIC, "delete_topic")            \
	X(0x20, COMMIT_OFFSETS, "commit_offsets")        \
	X(0x21, FETCH_OFFSETS, "fetch_offsets")          \
	X(0x22, JOIN_GROUP, "join_group")                \
	X(0x23, HEARTBEAT, "heartbeat")                  \
	X(0x24, LEAVE_GROUP, "leave_group")              \
	X(0x25, LIST_GROUPS, "list_groups")              \
	X(0x26, DESCRIBE_GROUP, "describe_group")        \
	X(0x27, DELETE_GROUP, "delete_group")            \
	X(0x30, AUTH_START, "auth_start")                \
	X(0x31, AUTH_FINISH, "auth_finish")              \
	X(0x40, READ_STREAM, "read_stream")              \
	X(0x41, STREAM_INFO, "stream_info")              \
	X(0x42, DELETE_STREAM, "delete_stream")          \
	X(0x50, ACL_ADD, "acl_add")                      \
	X(0x51, ACL_REMOVE, "acl_remove")                \
	X(0x52, ACL_LIST, "acl_list")

enum evlp_op {
#define EVLP_OP_ENUM_(code, name, str) EVLP_OP_##name = code,
	EVLP_OPS(EVLP_OP_ENUM_)
#undef EVLP_OP_ENUM_
};

/* "produce" for EVLP_OP_PRODUCE; NULL for a code that is no op. */
const char *evlp_op_name(int op);

#endif /* EVLP_OPS_H */
