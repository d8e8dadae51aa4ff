import { jest } from '@jest/globals';

// A beforeAll that imports three handlers cold took over 60 s on a loaded 2-core CI machine
// (provisioning/caps, 2026-12-05), though 5 s on an idle one: an integration hook or test that
// waits on real servers gets 120 s before it is called stuck.
jest.setTimeout(120_000);
