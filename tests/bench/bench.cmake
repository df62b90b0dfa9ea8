# Benchmarks: built with the tests, never run by ctest (`make bench` runs
# them, tests/bench/run.sh; the peers comparison is tests/bench/peers.sh).
add_executable(evl-storage-bench bench/storage_bench.c)
target_link_libraries(evl-storage-bench PRIVATE evl_storage)
add_executable(evl-stream-bench bench/stream_bench.c)
target_link_libraries(evl-stream-bench PRIVATE evl_storage)


# The NNG round trip under evlog's latency (docs/PERFORMANCE.md).
add_executable(evl-nng-rtt bench/nng_rtt.c)
target_link_libraries(evl-nng-rtt PRIVATE nng::nng Threads::Threads)

# evlog-bench: the broker through libevlog.  It borrows the CLI's option
# walker (client/cli/opts.c, a pure file) so its flags read like evlog's.
if(TARGET evl_client)
	add_executable(evlog-bench
		bench/bench_main.c
		bench/bench_args.c
		bench/bench_util.c
		bench/bench_produce.c
		bench/bench_consume.c
		bench/bench_latency.c
		${PROJECT_SOURCE_DIR}/client/cli/opts.c)
	target_include_directories(evlog-bench PRIVATE
		${CMAKE_CURRENT_SOURCE_DIR}/bench
		${PROJECT_SOURCE_DIR}/client/cli)
	target_link_libraries(evlog-bench PRIVATE evl_client Threads::Threads)
endif()

# The benchmark program's own tests (argument errors, the JSON line) run
# the built binary, some against an evlogd child: label integration.
if(TARGET evlog-bench AND TARGET evlogd)
	pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
	set(EVL_TEST_EXTRA_SOURCES integration/client_util.c)
	evl_test(bench_test integration/bench_test.c integration evl_client
		PkgConfig::JANSSON Threads::Threads)
	unset(EVL_TEST_EXTRA_SOURCES)
	target_compile_definitions(bench_test PRIVATE
		EVLCT_EVLOGD="$<TARGET_FILE:evlogd>"
		EVLB_BENCH="$<TARGET_FILE:evlog-bench>")
	target_include_directories(bench_test PRIVATE
		${CMAKE_CURRENT_SOURCE_DIR}/integration)
	add_dependencies(bench_test evlogd evlog-bench)
endif()
