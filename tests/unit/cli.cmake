# The evlog CLI (client/cli/).  Unit tests compile the CLI's pure files
# (no broker, no libevlog calls) into each test; the integration test runs
# the built `evlog` binary against an evlogd child process, and parses its
# --json output with jansson.
set(EVL_CLI_DIR ${PROJECT_SOURCE_DIR}/client/cli)
set(EVL_CLI_PURE
	${EVL_CLI_DIR}/buf.c
	${EVL_CLI_DIR}/format.c
	${EVL_CLI_DIR}/json.c
	${EVL_CLI_DIR}/opts.c
	${EVL_CLI_DIR}/timespec.c)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)

set(EVL_TEST_EXTRA_SOURCES ${EVL_CLI_PURE})
foreach(t timespec json format opts)
	evl_test(cli_${t}_test unit/cli_${t}_test.c unit PkgConfig::JANSSON)
	target_include_directories(cli_${t}_test PRIVATE ${EVL_CLI_DIR}
		${PROJECT_SOURCE_DIR}/client/include)
endforeach()
unset(EVL_TEST_EXTRA_SOURCES)

if(TARGET evlog-cli AND TARGET evlogd)
	# The evlogd child-process helper is the client tests' own
	# (integration/client_util.c).
	set(EVL_TEST_EXTRA_SOURCES integration/client_util.c)
	evl_test(cli_test integration/cli_test.c integration
		PkgConfig::JANSSON Threads::Threads)
	unset(EVL_TEST_EXTRA_SOURCES)
	target_compile_definitions(cli_test PRIVATE
		EVLCT_EVLOGD="$<TARGET_FILE:evlogd>"
		EVLOG_PATH="$<TARGET_FILE:evlog-cli>")
	target_include_directories(cli_test PRIVATE
		${CMAKE_CURRENT_SOURCE_DIR}/integration
		${PROJECT_SOURCE_DIR}/client/include)
	add_dependencies(cli_test evlogd evlog-cli)
endif()
