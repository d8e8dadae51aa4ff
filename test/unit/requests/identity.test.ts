import { isPodNameOf } from '../../../shared/requests/identity';
import { podNameFor, requestIdFor } from '../../../shared/requests';

describe('request identity', () => {
  it('gives every delivery about one build the same request id, and different builds different ids', () => {
    expect(requestIdFor('github', '4242')).toBe(requestIdFor('github', '4242'));
    expect(requestIdFor('github', '4242')).not.toBe(requestIdFor('github', '4243'));
    expect(requestIdFor('github', '4242')).not.toBe(requestIdFor('generic', '4242'));
    expect(requestIdFor('jenkins', 'https://ci/#7')).toMatch(/^jenkins-[0-9a-f]{20}$/);
  });

  it('derives a valid DNS label pod name from the template and request, even for the longest template name', () => {
    const name = podNameFor('t'.repeat(40), requestIdFor('jenkins', 'https://ci.example.com/#123'));
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(podNameFor('linux', requestIdFor('github', '1'))).toBe(
      podNameFor('linux', requestIdFor('github', '1')),
    );
  });
});

describe('isPodNameOf', () => {
  it('knows the pods podNameFor gives a template, and no other template’s or name', () => {
    const name = podNameFor('jk-linux', requestIdFor('jenkins', 'https://ci.example.com/#7'));
    expect(isPodNameOf('jk-linux', name)).toBe(true);
    expect(isPodNameOf('jk', name)).toBe(false);
    expect(isPodNameOf('jk-linux-big', name)).toBe(false);
    expect(isPodNameOf('jk-linux', `${name}0`)).toBe(false);
    expect(isPodNameOf('jk-linux', name.replace(/.$/, 'z'))).toBe(false);
    expect(isPodNameOf('jk-linux', 'linux')).toBe(false);
    const long = 't'.repeat(40);
    expect(isPodNameOf(long, podNameFor(long, requestIdFor('jenkins', 'https://ci.example.com/#8')))).toBe(
      true,
    );
  });
});
