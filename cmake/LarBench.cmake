# Benchmark helpers (not tests, not installed): bench/mkledger builds large
# ledgers through the library's own import path for the reports and
# import-into-a-full-ledger benchmarks (bench/measure.py).
add_executable(mkledger ${CMAKE_SOURCE_DIR}/bench/mkledger.c)
target_link_libraries(mkledger PRIVATE lareceipt)
