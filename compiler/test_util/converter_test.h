// For the unit tests of the Python passes (sources/): a fixture that points
// ADLIK_CONVERTER_DIR at the source tree's compiler/converters (the test's
// ADLIK_TEST_CONVERTER_DIR) and clears the interpreter variables a test may
// set, and a graph's pass by name.
//
// Thread-safety: the fixture changes the process environment; tests using it
// run one at a time (as gtest runs them). FindPass is reentrant.
#ifndef ADLIK_COMPILER_TEST_UTIL_CONVERTER_TEST_H_
#define ADLIK_COMPILER_TEST_UTIL_CONVERTER_TEST_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "conversion_graph.h"

#ifndef ADLIK_TEST_CONVERTER_DIR
#error "ADLIK_TEST_CONVERTER_DIR must name compiler/converters"
#endif

namespace adlik::compiler::testing {

class ConverterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("ADLIK_CONVERTER_DIR", ADLIK_TEST_CONVERTER_DIR, 1);
  }
  void TearDown() override {
    unsetenv("ADLIK_CONVERTER_DIR");
    unsetenv("ADLIK_PYTHON");
    unsetenv("ADLIK_TORCH_PYTHON");
  }
};

// The pass of `graph` named `name`, or null.
inline const Pass* FindPass(const ConversionGraph& graph,
                            const std::string& name) {
  for (const Pass& p : graph.passes())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace adlik::compiler::testing

#endif  // ADLIK_COMPILER_TEST_UTIL_CONVERTER_TEST_H_
