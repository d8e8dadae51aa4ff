/**
 * Pinned versions of every server the local harness runs. Binaries and jars are cached under
 * `cacheDir()` keyed by these versions, so bumping one here is all it takes to rebuild it.
 * The Go wrapper modules (k8s-tools/, etcd-tools/) pin the same versions in their go.mod files;
 * `test/unit/infra/versions.test.ts` checks they agree.
 */
export const versions = {
  kubernetes: 'v1.34.4',
  etcd: 'v3.5.35',
  kwok: 'v0.7.0',
  elasticmq: '1.7.1',
  dynamodbLocal: '2.6.1',
} as const;
