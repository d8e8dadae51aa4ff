import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lambdaContext } from '../../../infra/local/stand-ins/lambda';
import { functionEnv } from '../../support/function-env';
import { importHandler } from '../../support/handlers';

/**
 * The ops function reads its secrets again before each invocation, as provision and the reaper do:
 * a GitHub App key mended by the operator reaches `cancel` without a new container. Its first
 * invocation fails building GitHub's adapter; once the key file holds a key, the next gets past it
 * (to the table, unreachable here).
 */
describe('the ops handler', () => {
  it("builds a CI's adapter over a secret mended since its cold start", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pitcrew-ops-refresh-'));
    const keyFile = join(dir, 'app-key.pem');
    writeFileSync(keyFile, 'not a key');
    const configFile = join(dir, 'pitcrew.yaml');
    writeFileSync(
      configFile,
      `
cluster:
  credentials: { kind: kubeconfig, path: test/fixtures/config/kubeconfig.yaml }
sources:
  github:
    webhookSecret: { value: github-webhook-secret-0123456789 }
    auth: { app: { appId: '1', installationId: 2, privateKey: { file: ${keyFile} } } }
    repositories: [your-org/app]
templates:
  - { name: gh, source: github, labels: [linux], image: busybox }
`,
    );
    const { handler } = await importHandler('ops', { ...functionEnv, PITCREW_CONFIG_FILE: configFile });
    const cancel = () =>
      handler(
        { action: 'cancel', requestId: 'github-0123456789abcdef0123', confirm: true },
        lambdaContext('ops'),
      ).then(
        () => 'done',
        (error: unknown) => String(error),
      );
    expect(await cancel()).toMatch(/GitHub App privateKey is not a PEM private key/);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    expect(await cancel()).not.toMatch(/PEM/);
  }, 30_000);
});
