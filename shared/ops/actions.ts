/** Every operator action but `reconcile`, in one chunk that run-action.ts loads on demand. */
export { caps, drain, resume } from './control';
export { describe, list } from './inspect';
export { redrive } from './redrive';
export { cancel, retry } from './requests';
export { status } from './status';
