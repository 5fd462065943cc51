#pragma once
// How a case file of the op-test table names its Catch2 test cases in the program it is compiled
// into: cuda_tests (EMNIST_OP_TESTS_ON_CUDA) keeps the names and tags of the CUDA op tests, which
// tools/gpu-check.sh selects by tag; emnist_tests puts them under [ops].
#include <catch2/catch.hpp>

#ifdef EMNIST_OP_TESTS_ON_CUDA
#define OP_TEST_CASE(name, tags) TEST_CASE("cuda " name, "[cuda]" tags)
// A case about the target's own modes (TF32, BF16, deterministic algorithms).
#define OP_MODES_TEST_CASE(name, tags) TEST_CASE("cuda " name, "[cuda]" tags)
#else
#define OP_TEST_CASE(name, tags) TEST_CASE("ops " name, "[ops]" tags)
// The CPU backend has no modes: the body compiles, as a function nothing calls.
#define OP_MODES_TEST_CASE(name, tags) \
  [[maybe_unused]] static void INTERNAL_CATCH_UNIQUE_NAME(op_modes_case_)()
#endif
