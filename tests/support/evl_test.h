/*
 * evl_test.h -- assertion helpers shared by the Criterion tests.  On
 * failure they print the evlog error name and message, not just a number.
 */
#ifndef EVL_TEST_H
#define EVL_TEST_H

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#define evl_assert_ok(expr)                                               \
	do {                                                              \
		int evl_rv_ = (expr);                                     \
		cr_assert(evl_rv_ == 0, "%s: %s (%s)", #expr,             \
		    evl_errname(evl_rv_), evl_strerror(evl_rv_));         \
	} while (0)

#define evl_assert_err(expr, want)                                        \
	do {                                                              \
		int evl_rv_ = (expr);                                     \
		cr_assert(evl_rv_ == (want), "%s: got %s (%s), want %s",  \
		    #expr, evl_errname(evl_rv_), evl_strerror(evl_rv_),   \
		    evl_errname(want));                                   \
	} while (0)

#endif /* EVL_TEST_H */
