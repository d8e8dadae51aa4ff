import { afterAll } from '@jest/globals';
import { closeEverythingStarted } from './teardown';

// Runs after every describe block's own afterAll (a file's top-level afterAll, declared after this,
// runs after it): whatever a test file left started is closed here.
afterAll(closeEverythingStarted);
