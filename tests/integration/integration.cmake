# Integration tests: a real broker, in process (tests/support/harness.c)
# or as an evlogd child, spoken to over NNG.  Label integration.
if(TARGET evl_test_harness AND TARGET evlogd)
	evl_test(broker_raw_test integration/broker_raw_test.c integration
		evl_test_harness)
	target_compile_definitions(broker_raw_test PRIVATE
		EVLT_EVLOGD="$<TARGET_FILE:evlogd>")
	add_dependencies(broker_raw_test evlogd)
endif()
# The group coordinator over the raw protocol (in-process broker).
if(TARGET evl_test_harness)
	evl_test(broker_group_test integration/broker_group_test.c integration
		evl_test_harness)
endif()
