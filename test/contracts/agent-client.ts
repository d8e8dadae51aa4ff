import type { CoreV1Event, V1Pod, V1Secret } from '@kubernetes/client-node';
import {
  ClusterRejectedError,
  ClusterUnavailableError,
  type ClusterError,
} from '../../shared/cluster/errors';
import type { AgentClient } from '../../shared/ports/agent-client';
import { isPodMadeFor, managedSelector, pitcrewLabels } from '../../shared/templates/labels';

/**
 * What the agent-cluster contract gets from the side it runs on (the real API server with kwok in
 * the integration project, the in-memory twin in the unit project): the port on a fresh, empty
 * namespace, and what the port cannot do itself (read a Secret, hold a pod terminating, fail calls).
 */
export interface AgentClusterSubject {
  readonly agents: AgentClient;
  readonly namespace: string;
  /** The pod as stored, read by an admin, or undefined. */
  pod(name: string): Promise<V1Pod | undefined>;
  /** The Secret as stored (base64 `data`), read by an admin (the port cannot read secrets), or undefined. */
  secret(name: string): Promise<V1Secret | undefined>;
  /** Gives the pod a finalizer, so a delete leaves it terminating until `release`. */
  hold(name: string): Promise<void>;
  /** Takes the finalizer `hold` gave off again. */
  release(name: string): Promise<void>;
  /**
   * Waits until the pod (a deleted pod may stay terminating a while), or the Secret (the garbage
   * collector deletes it after its owner), is gone.
   */
  waitGone(name: string, kind?: 'pod' | 'secret'): Promise<void>;
  /** Records an event about the pod, as the scheduler or the kubelet would. */
  recordEvent(podName: string, reason: string, message: string): Promise<void>;
  /** Makes the port's next `calls` API calls answer `status`, as a throttling or failing API server. */
  failNext(calls: number, status: 429 | 500 | 503): void;
  /**
   * How many times the port sends one call that the API server answers with `status` before it gives
   * up: the bearer-token client sends a call the server did not take (429, 503) again within the call
   * (shared/cluster/bearer-api.ts). 1 when absent.
   */
  readonly sendsPerCall?: (status: 429 | 500 | 503) => number;
  readonly dispose?: () => Promise<void>;
}

export type MakeAgentClusterSubject = () => Promise<AgentClusterSubject>;

/** A pod the restricted Pod Security Standard admits, with `labels`. */
export function contractPod(namespace: string, name: string, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, namespace, labels },
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'agent',
          image: 'jenkins/inbound-agent:latest',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

const madeFor = (requestId: string, template = 'tpl'): Record<string, string> => ({
  [pitcrewLabels.managedBy]: 'pitcrew',
  [pitcrewLabels.requestId]: requestId,
  [pitcrewLabels.template]: template,
});

function secretFor(namespace: string, pod: V1Pod, token: string): V1Secret {
  return {
    metadata: {
      name: pod.metadata!.name!,
      namespace,
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid! },
      ],
    },
    stringData: { TOKEN: token },
  };
}

async function failure(promise: Promise<unknown>): Promise<ClusterError> {
  try {
    await promise;
  } catch (error) {
    return error as ClusterError;
  }
  throw new Error('the call succeeded where it should have failed');
}

const names = (pods: V1Pod[]): string[] => pods.map((pod) => pod.metadata?.name ?? '').sort();

/**
 * The agent cluster's contract (shared/ports/agent-client.ts), run against every adapter: the
 * Kubernetes API on the test cluster (test/integration/kubernetes) and the in-memory twin
 * (test/unit/cluster). It checks what provision, reap and ops rely on.
 */
const isDate = (value: unknown): boolean => Object.prototype.toString.call(value) === '[object Date]';

export function describeAgentClientContract(name: string, make: MakeAgentClusterSubject): void {
  describe(`AgentClient contract: ${name}`, () => {
    let state: AgentClusterSubject | undefined;
    beforeEach(async () => {
      state = await make();
    });
    afterEach(async () => {
      await state?.dispose?.();
      state = undefined;
    });
    const current = (): AgentClusterSubject => {
      if (!state) throw new Error('the contract subject exists only inside a test');
      return state;
    };

    it('creates a pod, answers it with a uid, and finds it (without a Secret yet)', async () => {
      const { agents, namespace } = current();
      expect(await agents.findAgent(namespace, 'agent-1')).toEqual({ hasSecret: false });
      const created = await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      expect(created.adopted).toBe(false);
      expect(created.pod.metadata).toMatchObject({ name: 'agent-1', namespace, labels: madeFor('r1') });
      expect(created.pod.metadata?.uid).toEqual(expect.any(String));
      // Timestamps come as Date objects, as client-node's models have them (reap/pod-view.ts reads them).
      // Checked by tag, not instanceof: the twin's structuredClone makes its Dates in Node's realm.
      expect(isDate(created.pod.metadata?.creationTimestamp)).toBe(true);
      const found = await agents.findAgent(namespace, 'agent-1');
      expect(found.hasSecret).toBe(false);
      expect(found.pod?.metadata?.uid).toBe(created.pod.metadata?.uid);
      expect(found.pod?.metadata?.labels).toEqual(madeFor('r1'));
    });

    it('adopts the existing pod on a second create of the name, with its own labels and uid', async () => {
      const { agents, namespace } = current();
      const first = await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      const again = await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      expect(again.adopted).toBe(true);
      expect(again.pod.metadata?.uid).toBe(first.pod.metadata?.uid);
      expect(isPodMadeFor(again.pod, { requestId: 'r1', template: 'tpl' })).toBe(true);

      const other = await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r2')));
      expect(other.adopted).toBe(true);
      expect(other.pod.metadata?.labels).toEqual(madeFor('r1'));
      expect(isPodMadeFor(other.pod, { requestId: 'r2', template: 'tpl' })).toBe(false);
    });

    it('creates a pod once for two concurrent creates of the name: the other adopts it', async () => {
      const { agents, namespace } = current();
      const results = await Promise.all([
        agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1'))),
        agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1'))),
      ]);
      expect(results.map((result) => result.adopted).sort()).toEqual([false, true]);
      expect(results[0].pod.metadata?.uid).toBe(results[1].pod.metadata?.uid);
    });

    it('answers "being deleted" (retryable, 409) to a create while the old pod terminates, then creates anew', async () => {
      const { agents, namespace, hold, release, waitGone } = current();
      const old = await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      await hold('agent-1');
      await agents.deletePod(namespace, 'agent-1');
      const terminating = await agents.findAgent(namespace, 'agent-1');
      expect(terminating.pod?.metadata?.deletionTimestamp).toBeDefined();
      expect((await agents.listPods(namespace, managedSelector)).map((pod) => pod.metadata?.name)).toEqual([
        'agent-1',
      ]);

      const error = await failure(agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1'))));
      expect(error).toBeInstanceOf(ClusterUnavailableError);
      expect(error).toMatchObject({ retryable: true, status: 409 });
      expect(error.message).toMatch(/being deleted/);
      await expect(agents.deletePod(namespace, 'agent-1')).resolves.toBe(true);
      // The same pod, terminating: its uid still matches.
      await expect(agents.deletePod(namespace, 'agent-1', old.pod.metadata?.uid)).resolves.toBe(true);

      await release('agent-1');
      await waitGone('agent-1');
      const renewed = await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      expect(renewed.adopted).toBe(false);
      expect(renewed.pod.metadata?.uid).not.toBe(old.pod.metadata?.uid);
    });

    it('deletes a pod, which is then gone; deleting a missing pod is fine', async () => {
      const { agents, namespace, waitGone, pod } = current();
      await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      await agents.deletePod(namespace, 'agent-1');
      await waitGone('agent-1');
      expect(await pod('agent-1')).toBeUndefined();
      expect(await agents.findAgent(namespace, 'agent-1')).toEqual({ hasSecret: false });
      await expect(agents.deletePod(namespace, 'agent-1')).resolves.toBe(true);
      await expect(agents.deletePod(namespace, 'never-made')).resolves.toBe(true);
      await expect(agents.deletePod(namespace, 'never-made', 'some-uid')).resolves.toBe(true);
    });

    it('deletes by uid only the pod of that uid: a newer pod of the name is left, and said so', async () => {
      const { agents, namespace, waitGone, pod } = current();
      const old = await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      await agents.deletePod(namespace, 'agent-1');
      await waitGone('agent-1');
      const newer = await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      expect(newer.pod.metadata?.uid).not.toBe(old.pod.metadata?.uid);
      await expect(agents.deletePod(namespace, 'agent-1', old.pod.metadata?.uid)).resolves.toBe(false);
      expect((await pod('agent-1'))?.metadata).toMatchObject({ uid: newer.pod.metadata?.uid });
      expect((await pod('agent-1'))?.metadata?.deletionTimestamp).toBeUndefined();
      await expect(agents.deletePod(namespace, 'agent-1', newer.pod.metadata?.uid)).resolves.toBe(true);
      await waitGone('agent-1');
    });

    it('creates the Secret owned by the pod, then replaces it; findAgent sees it', async () => {
      const { agents, namespace, secret } = current();
      const { pod } = await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      await agents.putSecret(secretFor(namespace, pod, 'first'));
      const stored = await secret('agent-1');
      expect(Buffer.from(stored?.data?.TOKEN ?? '', 'base64').toString()).toBe('first');
      expect(stored?.metadata?.ownerReferences).toEqual([
        expect.objectContaining({ apiVersion: 'v1', kind: 'Pod', name: 'agent-1', uid: pod.metadata!.uid }),
      ]);
      expect(await agents.findAgent(namespace, 'agent-1')).toMatchObject({ hasSecret: true });

      await agents.putSecret(secretFor(namespace, pod, 'second'));
      const replaced = await secret('agent-1');
      expect(Buffer.from(replaced?.data?.TOKEN ?? '', 'base64').toString()).toBe('second');
      expect(replaced?.metadata?.ownerReferences?.[0]?.uid).toBe(pod.metadata!.uid);
    });

    it('deletes the Secret once its owner pod is gone', async () => {
      const { agents, namespace, waitGone, secret } = current();
      const { pod } = await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      await agents.putSecret(secretFor(namespace, pod, 'token'));
      await agents.deletePod(namespace, 'agent-1');
      await waitGone('agent-1');
      await waitGone('agent-1', 'secret');
      expect(await secret('agent-1')).toBeUndefined();
    });

    it('lists only the pods the selector matches, across every page', async () => {
      const { agents, namespace } = current();
      for (let index = 0; index < 5; index++)
        await agents.createPod(contractPod(namespace, `agent-${index}`, madeFor(`r${index}`)));
      await agents.createPod(
        contractPod(namespace, 'foreign', { [pitcrewLabels.managedBy]: 'someone-else' }),
      );
      await agents.createPod(contractPod(namespace, 'unlabelled'));

      const managed = ['agent-0', 'agent-1', 'agent-2', 'agent-3', 'agent-4'];
      expect(names(await agents.listPods(namespace, managedSelector, 2))).toEqual(managed);
      expect(names(await agents.listPods(namespace, managedSelector, 1))).toEqual(managed);
      expect(names(await agents.listPods(namespace, managedSelector))).toEqual(managed);
      expect(names(await agents.listPods(namespace, '', 3))).toEqual([...managed, 'foreign', 'unlabelled']);
      expect(names(await agents.listPods(namespace, `${pitcrewLabels.requestId} in (r1, r3)`, 1))).toEqual([
        'agent-1',
        'agent-3',
      ]);
      expect(names(await agents.listPods(namespace, `!${pitcrewLabels.requestId}`))).toEqual([
        'foreign',
        'unlabelled',
      ]);
      expect(
        names(await agents.listPods(namespace, `${pitcrewLabels.managedBy},${pitcrewLabels.requestId}!=r0`)),
      ).toEqual(['agent-1', 'agent-2', 'agent-3', 'agent-4', 'foreign']);
      expect(await agents.listPods(`${namespace}-none`, managedSelector)).toEqual([]);
    });

    it('describes a pod with the events about it, and a missing one with none', async () => {
      const { agents, namespace, recordEvent } = current();
      await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      await agents.createPod(contractPod(namespace, 'agent-2', madeFor('r2')));
      await recordEvent('agent-1', 'ContractCheck', 'about agent-1');
      await recordEvent('agent-2', 'ContractCheck', 'about agent-2');
      const described = await agents.describeAgent(namespace, 'agent-1');
      expect(described.pod?.metadata?.name).toBe('agent-1');
      expect(isDate(described.pod?.metadata?.creationTimestamp)).toBe(true);
      const ours = described.events.filter((event: CoreV1Event) => event.reason === 'ContractCheck');
      expect(ours.map((event) => event.message)).toEqual(['about agent-1']);
      expect(described.events.every((event) => event.involvedObject.name === 'agent-1')).toBe(true);
      const missing = await agents.describeAgent(namespace, 'never-made');
      expect(missing.pod).toBeUndefined();
      expect(missing.events).toEqual([]);
    });

    it.each([429, 503, 500] as const)(
      'translates a %s from the API server as retryable, naming the call',
      async (status) => {
        const { agents, namespace, failNext, sendsPerCall } = current();
        failNext(sendsPerCall?.(status) ?? 1, status);
        const error = await failure(agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1'))));
        expect(error).toBeInstanceOf(ClusterUnavailableError);
        expect(error).toMatchObject({ retryable: true, status });
        expect(error.message).toContain(`creating pod ${namespace}/agent-1 failed (${status})`);
        // Only that call failed: the retry creates the pod.
        expect((await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')))).adopted).toBe(
          false,
        );
      },
    );

    it('throws ClusterUnavailableError from every method while the API server fails', async () => {
      const { agents, namespace, failNext, sendsPerCall } = current();
      const { pod } = await agents.createPod(contractPod(namespace, 'agent-1', madeFor('r1')));
      const calls: [string, () => Promise<unknown>][] = [
        ['deleting pod', () => agents.deletePod(namespace, 'agent-1')],
        ['reading pod', () => agents.findAgent(namespace, 'agent-1')],
        ['listing pods', () => agents.listPods(namespace, managedSelector)],
        ['reading pod', () => agents.describeAgent(namespace, 'agent-1')],
        ['creating secret', () => agents.putSecret(secretFor(namespace, pod, 'token'))],
      ];
      for (const [action, run] of calls) {
        failNext(sendsPerCall?.(503) ?? 1, 503);
        const error = await failure(run());
        expect(error).toBeInstanceOf(ClusterUnavailableError);
        expect(error).toMatchObject({ status: 503 });
        expect(error.message).toContain(action);
      }
      expect((await agents.findAgent(namespace, 'agent-1')).pod?.metadata?.uid).toBe(pod.metadata?.uid);
    });

    it('refuses a selector it cannot parse for good (400)', async () => {
      const { agents, namespace } = current();
      const error = await failure(agents.listPods(namespace, 'app in (a'));
      expect(error).toBeInstanceOf(ClusterRejectedError);
      expect(error).toMatchObject({ retryable: false, status: 400 });
      expect(error.message).toContain(`listing pods in ${namespace}`);
    });

    it('refuses an invalid pod for good (422), with the API server message naming the field', async () => {
      const { agents, namespace } = current();
      const error = await failure(agents.createPod(contractPod(namespace, 'Not_A_Name', madeFor('r1'))));
      expect(error).toBeInstanceOf(ClusterRejectedError);
      expect(error).toMatchObject({ retryable: false, status: 422 });
      expect(error.message).toContain('metadata.name');
    });
  });
}
