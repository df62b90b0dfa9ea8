# Benchmarks: built with the tests, never run by ctest (`make bench` runs
# them, tests/bench/run.sh; the peers comparison is tests/bench/peers.sh).
add_executable(evl-storage-bench bench/storage_bench.c)
target_link_libraries(evl-storage-bench PRIVATE evl_storage)

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
