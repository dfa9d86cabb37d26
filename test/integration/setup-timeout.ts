// Integration tests run real CLI processes against real peers: seconds, not milliseconds.
jest.setTimeout(120_000);
