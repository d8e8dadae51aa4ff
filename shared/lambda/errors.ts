/** A capability that a later issue builds. Thrown, never answered as success. */
export class NotImplementedError extends Error {
  constructor(readonly capability: string) {
    super(`${capability} is not implemented yet`);
    this.name = 'NotImplementedError';
  }
}
