# HTTP request parsing as the server does it (src/http/parser.h). Under
# ELFS_FUZZ every library is instrumented, so this links elfs_http.
add_executable(http_fuzz ${CMAKE_CURRENT_LIST_DIR}/http_fuzz.cc)
target_compile_options(http_fuzz PRIVATE ${ELFS_FUZZ_FLAGS})
target_link_options(http_fuzz PRIVATE ${ELFS_FUZZ_FLAGS})
target_link_libraries(http_fuzz PRIVATE elfs_http)
