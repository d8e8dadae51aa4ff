import { readFileSync } from 'node:fs';
import { versions } from '../../../infra/local/versions';

const goMod = (module: string): string => readFileSync(`infra/local/${module}/go.mod`, 'utf8');

describe('pinned server versions', () => {
  it('builds kube-apiserver from the release versions.ts names', () => {
    expect(goMod('k8s-tools')).toContain(`require k8s.io/kubernetes ${versions.kubernetes}\n`);
  });

  it('points every k8s.io staging module at the tag of that same release', () => {
    const staging = `v0.${versions.kubernetes.slice('v1.'.length)}`;
    const replaces = [...goMod('k8s-tools').matchAll(/^\s+(k8s\.io\/\S+) => (\S+) (\S+)$/gm)];
    expect(replaces.length).toBeGreaterThan(20);
    for (const [, from, to, version] of replaces) {
      expect({ from, to, version }).toEqual({ from, to: from, version: staging });
    }
  });

  it('builds etcd from the version versions.ts names', () => {
    expect(goMod('etcd-tools')).toContain(`require go.etcd.io/etcd/server/v3 ${versions.etcd}\n`);
  });

  it('resolves the Java servers at the versions versions.ts names', () => {
    const pom = readFileSync('infra/local/maven/pom.xml', 'utf8');
    expect(pom).toContain(`<elasticmq.version>${versions.elasticmq}</elasticmq.version>`);
    expect(pom).toContain(`<dynamodb-local.version>${versions.dynamodbLocal}</dynamodb-local.version>`);
  });
});
