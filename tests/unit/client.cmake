# libevlog tests.  Each runs against a real evlogd started as a child
# process by tests/integration/client_util.c (it can then be killed and
# restarted on the same data, as the durability test needs); label
# integration.
if(TARGET evl_client AND TARGET evlogd)
	set(EVL_TEST_EXTRA_SOURCES integration/client_util.c)
	foreach(t client_pubsub client_admin client_transport
			client_durability client_group client_stream
			client_dedupe client_auth client_limits client_tls)
		evl_test(${t}_test integration/${t}_test.c integration
			evl_client)
		target_compile_definitions(${t}_test PRIVATE
			EVLCT_EVLOGD="$<TARGET_FILE:evlogd>")
		target_include_directories(${t}_test PRIVATE
			${CMAKE_CURRENT_SOURCE_DIR}/integration)
		add_dependencies(${t}_test evlogd)
	endforeach()
	unset(EVL_TEST_EXTRA_SOURCES)
	# Access control end to end, with the CLI (evlog acl).
	set(EVL_TEST_EXTRA_SOURCES integration/client_util.c)
	evl_test(client_acl_test integration/client_acl_test.c integration
		evl_client)
	unset(EVL_TEST_EXTRA_SOURCES)
	target_compile_definitions(client_acl_test PRIVATE
		EVLCT_EVLOGD="$<TARGET_FILE:evlogd>"
		EVLOG_PATH="$<TARGET_FILE:evlog-cli>")
	target_include_directories(client_acl_test PRIVATE
		${CMAKE_CURRENT_SOURCE_DIR}/integration)
	add_dependencies(client_acl_test evlogd evlog-cli)
	# A group member as its own process, for client_group_test to kill.
	add_executable(group_member integration/group_member.c)
	target_link_libraries(group_member PRIVATE evl_client)
	target_compile_definitions(client_group_test PRIVATE
		EVLCT_GROUP_MEMBER="$<TARGET_FILE:group_member>")
	add_dependencies(client_group_test group_member)
	# examples/pubsub, run as processes.
	if(TARGET example_shipping)
		set(EVL_TEST_EXTRA_SOURCES integration/client_util.c)
		evl_test(example_pubsub_test integration/example_pubsub_test.c
			integration evl_client)
		unset(EVL_TEST_EXTRA_SOURCES)
		target_compile_definitions(example_pubsub_test PRIVATE
			EVLCT_EVLOGD="$<TARGET_FILE:evlogd>"
			EXAMPLE_ORDERS="$<TARGET_FILE:example_orders>"
			EXAMPLE_SHIPPING="$<TARGET_FILE:example_shipping>")
		target_include_directories(example_pubsub_test PRIVATE
			${CMAKE_CURRENT_SOURCE_DIR}/integration)
		add_dependencies(example_pubsub_test evlogd example_orders
			example_shipping)
	endif()
endif()
# quotas through libevlog (a throttled evlogd child).
if(TARGET evl_client AND TARGET evlogd)
	set(EVL_TEST_EXTRA_SOURCES integration/client_util.c)
	evl_test(client_quota_test integration/client_quota_test.c integration
		evl_client)
	unset(EVL_TEST_EXTRA_SOURCES)
	target_compile_definitions(client_quota_test PRIVATE
		EVLCT_EVLOGD="$<TARGET_FILE:evlogd>")
	target_include_directories(client_quota_test PRIVATE
		${CMAKE_CURRENT_SOURCE_DIR}/integration)
	add_dependencies(client_quota_test evlogd)
endif()

# The fetch-response walker (client/walk.c) on hand-built answers; it is
# internal, so the test sees client/'s private headers.
if(TARGET evl_client)
	evl_test(client_walk_test unit/client_walk_test.c unit evl_client)
	target_include_directories(client_walk_test PRIVATE
		${PROJECT_SOURCE_DIR}/client)
endif()
