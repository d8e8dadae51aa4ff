import { createAgentPod, deleteAgentPod, putAgentSecret } from '../../../shared/cluster/agents';
import { KubeApiError } from '../../../shared/cluster/bearer-api';
import { ClusterRejectedError, ClusterUnavailableError } from '../../../shared/cluster/errors';
import type { PodApi } from '../../../shared/cluster/pod-api';

/**
 * The agent client's Secret writes (shared/cluster/agents.ts) over a PodApi that answers as told: a
 * Secret from an earlier attempt is replaced, and one that is there again right after its delete
 * (a create the API server took, which the client then sent again) is a "later", not a refusal.
 */
describe("the agent Secret's create (putAgentSecret)", () => {
  const secret = { metadata: { name: 'pc-gen-abc', namespace: 'agents' }, stringData: { token: 't' } };
  const conflict = (): KubeApiError =>
    new KubeApiError(409, { kind: 'Status', reason: 'AlreadyExists', code: 409 }, 'HTTP 409');

  /** A PodApi whose Secret creates answer `creates` in turn (an error is thrown), recording the calls. */
  function podApi(...creates: (KubeApiError | 'ok')[]): { api: PodApi; calls: string[] } {
    const calls: string[] = [];
    const api = {
      createNamespacedSecret: async () => {
        calls.push('create');
        const next = creates.shift() ?? 'ok';
        if (next !== 'ok') throw next;
        return secret;
      },
      deleteNamespacedSecret: async () => {
        calls.push('delete');
        return {};
      },
    } as unknown as PodApi;
    return { api, calls };
  }

  it("replaces an earlier attempt's Secret: delete, then create", async () => {
    const { api, calls } = podApi(conflict(), 'ok');
    await putAgentSecret(api, secret);
    expect(calls).toEqual(['create', 'delete', 'create']);
  });

  it('tries again later, retryable, when the Secret is there again right after its delete', async () => {
    const { api, calls } = podApi(conflict(), conflict());
    const error = await putAgentSecret(api, secret).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect(error).toMatchObject({ retryable: true, status: 409 });
    expect(String(error)).toContain('secret agents/pc-gen-abc exists again after its delete');
    expect(calls).toEqual(['create', 'delete', 'create']);
  });

  it('still refuses for good what the API server refused (422)', async () => {
    const invalid = new KubeApiError(422, { kind: 'Status', message: 'data: Invalid value' }, 'HTTP 422');
    const error = await putAgentSecret(podApi(invalid).api, secret).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ClusterRejectedError);
    expect(error).toMatchObject({ retryable: false, status: 422 });
  });
});

describe("the agent pod's create (createAgentPod)", () => {
  const pod = { metadata: { name: 'pc-gen-abc', namespace: 'agents' } };

  it('tries again later, retryable, when the pod that answered 409 is gone by the time it is read', async () => {
    const api = {
      createNamespacedPod: async () => {
        throw new KubeApiError(409, { kind: 'Status', reason: 'AlreadyExists', code: 409 }, 'HTTP 409');
      },
      readNamespacedPod: async () => {
        throw new KubeApiError(404, { kind: 'Status', reason: 'NotFound', code: 404 }, 'HTTP 404');
      },
    } as unknown as PodApi;
    const error = await createAgentPod(api, pod).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect(error).toMatchObject({ retryable: true, status: 409 });
    expect(String(error)).toContain('is still being deleted; retrying later');
  });
});

describe("the agent pod's delete (deleteAgentPod)", () => {
  const failingWith = (error: KubeApiError) =>
    ({
      deleteNamespacedPod: async () => {
        throw error;
      },
    }) as unknown as PodApi;
  const conflict = new KubeApiError(409, { kind: 'Status', reason: 'Conflict', code: 409 }, 'HTTP 409');

  it('answers false to a 409 on a delete by uid: the pod of that name is another', async () => {
    await expect(deleteAgentPod(failingWith(conflict), 'agents', 'pc-gen-abc', 'uid-1')).resolves.toBe(false);
  });

  it('refuses a 409 on a delete by name alone, which no precondition explains', async () => {
    const error = await deleteAgentPod(failingWith(conflict), 'agents', 'pc-gen-abc').catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ClusterRejectedError);
    expect(error).toMatchObject({ status: 409 });
  });

  it('answers true to a 404, by name or by uid: the pod is gone', async () => {
    const gone = new KubeApiError(404, { kind: 'Status', reason: 'NotFound', code: 404 }, 'HTTP 404');
    await expect(deleteAgentPod(failingWith(gone), 'agents', 'pc-gen-abc')).resolves.toBe(true);
    await expect(deleteAgentPod(failingWith(gone), 'agents', 'pc-gen-abc', 'uid-1')).resolves.toBe(true);
  });
});
