evl_test(broker_config_test unit/broker_config_test.c unit evl_broker)
evl_test(broker_metrics_test unit/broker_metrics_test.c unit evl_broker)
evl_test(broker_http_test unit/broker_http_test.c unit evl_broker)
evl_test(broker_protected_test unit/broker_protected_test.c unit evl_broker)
# The request server's parts (broker/dispatch.c, waiters.c) and the
# shared test harness (tests/support/harness.c: temp dirs, in-process
# broker, raw-protocol client), which integration tests link too.
if(NOT TARGET evl_test_harness)
	add_library(evl_test_harness STATIC support/harness.c)
	target_link_libraries(evl_test_harness PUBLIC evl_broker
		evl_test_support)
endif()
evl_test(broker_waiters_test unit/broker_waiters_test.c unit evl_broker)
evl_test(broker_dispatch_test unit/broker_dispatch_test.c unit evl_broker)
evl_test(broker_assign_test unit/broker_assign_test.c unit evl_broker)
evl_test(broker_acl_test unit/broker_acl_test.c unit evl_broker)
# The users file and the authenticator (broker/users.c, auth.c).
evl_test(broker_users_test unit/broker_users_test.c unit evl_test_harness)
# quotas: the token buckets on a fake clock (broker/quota.c).
evl_test(broker_quota_test unit/broker_quota_test.c unit evl_broker)
