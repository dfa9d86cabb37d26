// A test that asserts nothing is a defect: make jest fail it.
beforeEach(() => {
  expect.hasAssertions();
});
