import { readFileSync } from 'node:fs';
import { podSchemaFile, podSchemaFromModels } from '../../../scripts/pod-schema';
import { podFieldProblems } from '../../../shared/templates/pod-fields';

describe('the pod schema the config checks a template pod against', () => {
  it('is the one client-node models, as installed (else: npx tsx scripts/pod-schema.ts)', () => {
    expect(JSON.parse(readFileSync(podSchemaFile, 'utf8'))).toEqual(podSchemaFromModels());
  });

  it('names a field a pod does not have, and a list or a mapping where the other is, by its path', () => {
    expect(
      podFieldProblems({
        metadata: { name: 'p', labels: { any: 'key' } },
        spec: {
          containers: [
            { name: 'agent', image: 'busybox', ports: [{ containerPort: 80 }], args: 'x' as never },
          ],
          nodeSelecter: {},
          tolerations: { key: 'a' },
        } as never,
      }),
    ).toEqual([
      '`spec.containers.0.args` must be a list',
      '`spec.nodeSelecter` is a field a pod does not have (a typo?): Kubernetes would drop it without a word',
      '`spec.tolerations` must be a list',
    ]);
  });
});
