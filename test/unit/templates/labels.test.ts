import { isPodMadeFor, pitcrewLabels } from '../../../shared/templates';

describe('isPodMadeFor', () => {
  const request = { requestId: 'generic-abc', template: 'gen' };
  const ours = {
    [pitcrewLabels.managedBy]: 'pitcrew',
    [pitcrewLabels.requestId]: 'generic-abc',
    [pitcrewLabels.template]: 'gen',
    [pitcrewLabels.source]: 'generic',
  };
  const podWith = (labels?: Record<string, string>) => ({ metadata: { name: 'pc-gen-abc', labels } });

  it('knows a pod Pitcrew made for the request', () => {
    expect(isPodMadeFor(podWith(ours), request)).toBe(true);
  });

  it.each([
    ['no labels', undefined],
    ['not managed by Pitcrew', { ...ours, [pitcrewLabels.managedBy]: 'someone' }],
    ['another request', { ...ours, [pitcrewLabels.requestId]: 'generic-other' }],
    ['another template', { ...ours, [pitcrewLabels.template]: 'other' }],
    ['no template label', { [pitcrewLabels.managedBy]: 'pitcrew', [pitcrewLabels.requestId]: 'generic-abc' }],
  ])('refuses a pod with %s', (_, labels) => {
    expect(isPodMadeFor(podWith(labels), request)).toBe(false);
  });
});
