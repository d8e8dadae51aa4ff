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

  it('names each agent a request is given anew, the first as it always was (a Jenkins secret comes from the name)', () => {
    const requestId = requestIdFor('jenkins', 'https://ci.example.com/#123');
    expect(podNameFor('linux', requestId, 1)).toBe(`pc-linux-${requestId.slice('jenkins-'.length, 18)}`);
    expect(podNameFor('linux', requestId)).toBe(podNameFor('linux', requestId, 1));
    const names = Array.from({ length: 50 }, (_, index) => podNameFor('t'.repeat(40), requestId, index + 1));
    expect(new Set(names).size).toBe(50);
    for (const name of names) {
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(name.length).toBe(names[0]?.length);
      expect(isPodNameOf('t'.repeat(40), name)).toBe(true);
    }
    // Another request's later agents are not this one's.
    const other = requestIdFor('jenkins', 'https://ci.example.com/#124');
    expect(podNameFor('linux', other, 2)).not.toBe(podNameFor('linux', requestId, 2));
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
