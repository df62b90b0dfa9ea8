# libevlog tests.  Each runs against a real evlogd started as a child
# process by tests/integration/client_util.c (it can then be killed and
# restarted on the same data, as the durability test needs); label
# integration.
if(TARGET evl_client AND TARGET evlogd)
	set(EVL_TEST_EXTRA_SOURCES integration/client_util.c)
	foreach(t client_pubsub client_admin client_transport
			client_durability client_group)
		evl_test(${t}_test integration/${t}_test.c integration
			evl_client)
		target_compile_definitions(${t}_test PRIVATE
			EVLCT_EVLOGD="$<TARGET_FILE:evlogd>")
		target_include_directories(${t}_test PRIVATE
			${CMAKE_CURRENT_SOURCE_DIR}/integration)
		add_dependencies(${t}_test evlogd)
	endforeach()
	unset(EVL_TEST_EXTRA_SOURCES)
	# A group member as its own process, for client_group_test to kill.
	add_executable(group_member integration/group_member.c)
	target_link_libraries(group_member PRIVATE evl_client)
	target_compile_definitions(client_group_test PRIVATE
		EVLCT_GROUP_MEMBER="$<TARGET_FILE:group_member>")
	add_dependencies(client_group_test group_member)
endif()
