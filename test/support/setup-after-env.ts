import { afterAll } from '@jest/globals';
import { closeEverythingStarted } from './teardown';

// Runs after every describe block's own afterAll: whatever a test file left started is closed here.
afterAll(closeEverythingStarted);
