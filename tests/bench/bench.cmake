# Benchmarks: built with the tests, never run by ctest.
add_executable(evl-storage-bench bench/storage_bench.c)
target_link_libraries(evl-storage-bench PRIVATE evl_storage)
add_executable(evl-stream-bench bench/stream_bench.c)
target_link_libraries(evl-stream-bench PRIVATE evl_storage)
