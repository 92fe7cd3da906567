/* The dependency weightio_missing_dep.so needs and the loader cannot find. */
int wio_test_dep_value(void) {
  return 42;
}
