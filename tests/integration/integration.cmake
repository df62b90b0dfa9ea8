# Integration tests: a real broker, in process (tests/support/harness.c)
# or as an evlogd child, spoken to over NNG.  Label integration.
if(TARGET evl_test_harness AND TARGET evlogd)
	evl_test(broker_raw_test integration/broker_raw_test.c integration
		evl_test_harness)
	target_compile_definitions(broker_raw_test PRIVATE
		EVLT_EVLOGD="$<TARGET_FILE:evlogd>")
	add_dependencies(broker_raw_test evlogd)
	evl_test(broker_stream_test integration/broker_stream_test.c
		integration evl_test_harness)
	evl_test(broker_limits_test integration/broker_limits_test.c
		integration evl_test_harness)
	target_compile_definitions(broker_limits_test PRIVATE
		EVLT_EVLOGD="$<TARGET_FILE:evlogd>")
	add_dependencies(broker_limits_test evlogd)

	# Access control: the allow/deny matrix against every handler.
	evl_test(acl_matrix_test integration/acl_matrix_test.c integration
		evl_test_harness)
endif()

# The examples end to end (examples/): their programs against an evlogd
# child; the projection's read model is checked with SQLite.
if(TARGET evl-bank AND TARGET evl-projector AND TARGET evlogd)
	pkg_check_modules(EVL_TEST_SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
	set(EVL_TEST_EXTRA_SOURCES integration/client_util.c)
	evl_test(examples_test integration/examples_test.c integration
		evl_client PkgConfig::EVL_TEST_SQLITE3)
	unset(EVL_TEST_EXTRA_SOURCES)
	target_compile_definitions(examples_test PRIVATE
		EVLCT_EVLOGD="$<TARGET_FILE:evlogd>"
		EVLCT_BANK="$<TARGET_FILE:evl-bank>"
		EVLCT_PROJECTOR="$<TARGET_FILE:evl-projector>")
	target_include_directories(examples_test PRIVATE
		${CMAKE_CURRENT_SOURCE_DIR}/integration)
	add_dependencies(examples_test evlogd evl-bank evl-projector)
endif()
# Authentication on the wire and the client's re-login (in-process
# broker; the SCRAM library speaks the raw side).
if(TARGET evl_test_harness AND TARGET evl_client)
	evl_test(broker_auth_test integration/broker_auth_test.c integration
		evl_test_harness evl_client evl_scram)
endif()
# The group coordinator over the raw protocol (in-process broker).
if(TARGET evl_test_harness)
	evl_test(broker_group_test integration/broker_group_test.c integration
		evl_test_harness)
endif()
# quotas on the wire (in-process broker; broker/quota.c).
if(TARGET evl_test_harness)
	evl_test(broker_quota_raw_test integration/broker_quota_raw_test.c
		integration evl_test_harness)
endif()
