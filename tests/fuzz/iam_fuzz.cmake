# The IAM policy parser and evaluator (tests/fuzz/iam_fuzz.cc). With ELFS_FUZZ
# every library is instrumented, so the target links the ordinary elfs_iam.
add_executable(iam_fuzz ${CMAKE_CURRENT_LIST_DIR}/iam_fuzz.cc)
target_compile_options(iam_fuzz PRIVATE ${ELFS_FUZZ_FLAGS})
target_link_options(iam_fuzz PRIVATE ${ELFS_FUZZ_FLAGS})
target_link_libraries(iam_fuzz PRIVATE elfs_iam)
