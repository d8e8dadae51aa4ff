/**
 * An operation on `context` (a table, the cluster's API), as a method of a port. Stores and clients
 * written as functions of their context, rather than as closures in a factory, let each Lambda bind
 * only the operations it calls (shared/runtime/*-ports.ts) and so bundle only those: esbuild drops a
 * top-level function nothing uses, never a method of the object a factory returns.
 */
export const on =
  <Context, Args extends unknown[], Result>(
    context: Context,
    operation: (context: Context, ...args: Args) => Result,
  ) =>
  (...args: Args): Result =>
    operation(context, ...args);
