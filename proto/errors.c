/*
 * errors.c -- evl_strerror() and evl_errname(), generated from the one
 * EVL_ERRORS list in evlog.h.  Here rather than in the client so that the
 * broker and storage need not link libevlog to print an error.
 */
#include <evlog/evlog.h>

const char *
evl_strerror(int err)
{
	switch (err) {
#define EVL_ERR_MSG_(num, name, msg) \
	case num:                    \
		return msg;
		EVL_ERRORS(EVL_ERR_MSG_)
#undef EVL_ERR_MSG_
	}
	return "unknown error";
}

const char *
evl_errname(int err)
{
	switch (err) {
#define EVL_ERR_NAME_(num, name, msg) \
	case num:                     \
		return "EVL_" #name;
		EVL_ERRORS(EVL_ERR_NAME_)
#undef EVL_ERR_NAME_
	}
	return "EVL_UNKNOWN";
}
