/**
 * The e2e project's timeout. `testTimeout` is a global Jest option (a project's own is ignored), so
 * the e2e specs set theirs here: real processes, sandboxes and a shared CI machine need more than
 * the 5 s default, while unit specs keep it.
 */
jest.setTimeout(60_000);
