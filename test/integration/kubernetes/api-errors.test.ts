import { ApiException, CoreV1Api } from '@kubernetes/client-node';
import { adminKubeConfig, createTestNamespace, deleteNamespace, restrictedPod } from '../../support/kube';

describe('API server validation errors', () => {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  let namespace: string;

  beforeAll(async () => {
    namespace = await createTestNamespace(core, 'errors');
  });
  afterAll(() => deleteNamespace(core, namespace));

  async function createError(body: ReturnType<typeof restrictedPod>): Promise<ApiException<string>> {
    try {
      await core.createNamespacedPod({ namespace, body });
    } catch (error) {
      return error as ApiException<string>;
    }
    throw new Error('the API server accepted a pod it should have rejected');
  }

  it('rejects an invalid pod spec with 422 and names the field', async () => {
    const pod = restrictedPod('bad-spec');
    pod.spec!.containers[0]!.name = 'Not_A_DNS_Label';
    const error = await createError(pod);
    expect(error).toBeInstanceOf(ApiException);
    expect(error.code).toBe(422);
    const status = JSON.parse(error.body) as { reason: string; details: { causes: { field: string }[] } };
    expect(status.reason).toBe('Invalid');
    expect(status.details.causes.map((cause) => cause.field)).toContain('spec.containers[0].name');
  });

  it('answers 409 AlreadyExists for a second pod of the same name (what idempotent provisioning relies on)', async () => {
    await core.createNamespacedPod({ namespace, body: restrictedPod('same-name') });
    const error = await createError(restrictedPod('same-name'));
    expect(error.code).toBe(409);
    expect(JSON.parse(error.body)).toMatchObject({ reason: 'AlreadyExists' });
  });
});
