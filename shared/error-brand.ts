/**
 * Makes `instanceof` of an error class hold for an error another copy of its module made. A module
 * loaded on first use (a dynamic import: provision's steps of an ended build and of a failure, the
 * reaper's trim, which remove agents and tell a CI's errors apart, shared/sources/deregister.ts, or
 * throw RetryLaterError) may get copies
 * of its imports of its own under a loader that keeps more than one module registry (jest's, whose
 * fresh cold starts reset it), and an error thrown by code loaded at cold start would then be no
 * instance of the class the lazy code checks: a transient failure taken for a permanent one. A base
 * class answers `instanceof` with this (`static [Symbol.hasInstance]`), and each class of its
 * hierarchy names itself in a static `brand`; one without falls back to the usual check.
 */
export function isInstance(type: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  const brand = Object.hasOwn(type, 'brand') ? (type as { brand?: unknown }).brand : undefined;
  if (typeof brand !== 'string') return Function.prototype[Symbol.hasInstance].call(type, value);
  if (typeof value !== 'object' || value === null) return false;
  // The classes along its prototype chain, each its prototype's own `constructor`.
  for (let proto: unknown = Object.getPrototypeOf(value); proto; proto = Object.getPrototypeOf(proto)) {
    const of: unknown = Object.hasOwn(proto, 'constructor')
      ? (proto as { constructor: unknown }).constructor
      : undefined;
    if (typeof of === 'function' && Object.hasOwn(of, 'brand') && (of as { brand?: unknown }).brand === brand)
      return true;
  }
  return false;
}
