import {
  ClusterRejectedError,
  ClusterUnavailableError,
  createAgentClient,
  type AgentClient,
} from '../../../shared/cluster';
import {
  createMemoryAgentClient,
  matchesLabelSelector,
  parseLabelSelector,
  type MemoryAgentClientOptions,
} from '../../../shared/cluster/memory';
import { managedSelector } from '../../../shared/templates/labels';
import { contractEpoch, createTestClock } from '../../contracts/harness';
import {
  contractPod,
  describeAgentClientContract,
  type MakeAgentClusterSubject,
} from '../../contracts/agent-client';

const finalizer = 'pitcrew.dev/contract-hold';
const managed = { 'app.kubernetes.io/managed-by': 'pitcrew' };

/** The contract's subject on the in-memory twin; `waitGone` moves the twin's clock past termination. */
function memorySubject(options: Omit<MemoryAgentClientOptions, 'now'> = {}): MakeAgentClusterSubject {
  return async () => {
    const clock = createTestClock();
    const agents = createMemoryAgentClient({ ...options, now: clock.now });
    const namespace = 'agents';
    return {
      agents,
      namespace,
      pod: async (name) => agents.pod(namespace, name),
      secret: async (name) => agents.secret(namespace, name),
      hold: async (name) => agents.setFinalizers(namespace, name, [finalizer]),
      release: async (name) => agents.setFinalizers(namespace, name, []),
      waitGone: async (name, kind = 'pod') => {
        clock.advance(options.terminatingMs ?? 0);
        if ((kind === 'pod' ? agents.pod : agents.secret)(namespace, name))
          throw new Error(`${kind} ${name} is still there`);
      },
      recordEvent: async (podName, reason, message) =>
        agents.addEvent({
          metadata: { name: `${podName}.${reason}`, namespace },
          involvedObject: { kind: 'Pod', name: podName, namespace },
          reason,
          message,
        }),
      failNext: (calls, status) => agents.failNext(calls, status),
    };
  };
}

describeAgentClientContract('in memory, deletes at once', memorySubject());
describeAgentClientContract('in memory, pods terminate for 30 s', memorySubject({ terminatingMs: 30_000 }));

describe('the in-memory agent cluster', () => {
  it('is an AgentClient, as the Kubernetes adapter is', () => {
    const ports: AgentClient[] = [createMemoryAgentClient(), createAgentClient({} as never)];
    expect(
      ports.map((port) =>
        Object.keys(port)
          .filter((key) => key in ports[1]!)
          .sort(),
      ),
    ).toEqual([
      ['createPod', 'deletePod', 'describeAgent', 'findAgent', 'listPods', 'putSecret'],
      ['createPod', 'deletePod', 'describeAgent', 'findAgent', 'listPods', 'putSecret'],
    ]);
  });

  it('keeps a deleted pod terminating for `terminatingMs` of its clock, then drops it and its Secret', async () => {
    const clock = createTestClock();
    const agents = createMemoryAgentClient({ now: clock.now, terminatingMs: 30_000 });
    const { pod } = await agents.createPod(contractPod('ns', 'agent-1', managed));
    expect(pod.metadata?.creationTimestamp).toEqual(new Date(contractEpoch));
    await agents.putSecret({
      metadata: {
        name: 'agent-1',
        namespace: 'ns',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'agent-1', uid: pod.metadata!.uid! }],
      },
      stringData: { TOKEN: 't' },
    });
    await agents.deletePod('ns', 'agent-1');
    expect(agents.pod('ns', 'agent-1')?.metadata?.deletionTimestamp).toEqual(
      new Date(contractEpoch + 30_000),
    );
    clock.advance(29_999);
    expect((await agents.listPods('ns', managedSelector)).map((found) => found.metadata?.name)).toEqual([
      'agent-1',
    ]);
    expect(agents.secret('ns', 'agent-1')).toBeDefined();
    clock.advance(1);
    expect(await agents.listPods('ns', managedSelector)).toEqual([]);
    expect(agents.secrets('ns')).toEqual([]);
  });

  it('keeps a deleted pod with finalizers until they are cleared', async () => {
    const agents = createMemoryAgentClient();
    await agents.createPod(contractPod('ns', 'agent-1'));
    agents.setFinalizers('ns', 'agent-1', ['x/y']);
    await agents.deletePod('ns', 'agent-1');
    expect(agents.pods('ns')).toHaveLength(1);
    agents.setFinalizers('ns', 'agent-1', []);
    expect(agents.pods('ns')).toEqual([]);
  });

  it('starts pods Pending and sets their status when told', async () => {
    const agents = createMemoryAgentClient();
    expect((await agents.createPod(contractPod('ns', 'agent-1', managed))).pod.status?.phase).toBe('Pending');
    agents.setStatus('ns', 'agent-1', { phase: 'Succeeded' });
    expect((await agents.listPods('ns', managedSelector))[0]?.status).toEqual({ phase: 'Succeeded' });
    expect(() => agents.setStatus('ns', 'missing', { phase: 'Running' })).toThrow(/no pod/);
  });

  it('keeps namespaces apart', async () => {
    const agents = createMemoryAgentClient();
    await agents.createPod(contractPod('a', 'agent-1', managed));
    expect((await agents.createPod(contractPod('b', 'agent-1', managed))).adopted).toBe(false);
    await agents.deletePod('a', 'agent-1');
    expect(agents.pods('b')).toHaveLength(1);
    expect(await agents.findAgent('a', 'agent-1')).toEqual({ hasSecret: false });
  });

  it('stores copies: what a caller holds changes nothing stored', async () => {
    const agents = createMemoryAgentClient();
    const input = contractPod('ns', 'agent-1', { ...managed });
    const { pod } = await agents.createPod(input);
    input.metadata!.labels!.changed = 'yes';
    pod.metadata!.labels!.changed = 'yes';
    expect(agents.pod('ns', 'agent-1')?.metadata?.labels).toEqual(managed);
  });

  it('makes one API call per page, and as many calls as the adapter on a 409', async () => {
    const agents = createMemoryAgentClient();
    for (let index = 0; index < 5; index++)
      await agents.createPod(contractPod('ns', `agent-${index}`, managed));
    const before = agents.apiCalls();
    expect(await agents.listPods('ns', managedSelector, 2)).toHaveLength(5);
    expect(agents.apiCalls() - before).toBe(3);
    await agents.createPod(contractPod('ns', 'agent-0', managed));
    expect(agents.apiCalls() - before).toBe(5);
  });

  it('fails the call failNext names, a later page too, and every call until recover() by default', async () => {
    const agents = createMemoryAgentClient();
    for (let index = 0; index < 3; index++)
      await agents.createPod(contractPod('ns', `agent-${index}`, managed));
    // The first page's call passes, the second fails: no partial list.
    const listing = agents.listPods('ns', managedSelector, 2);
    agents.failNext(1, 429);
    await expect(listing).resolves.toHaveLength(3);
    agents.failNext(1, 429);
    await expect(agents.listPods('ns', managedSelector, 2)).rejects.toMatchObject({ status: 429 });
    agents.failNext();
    for (let attempt = 0; attempt < 3; attempt++)
      await expect(agents.deletePod('ns', 'agent-0')).rejects.toBeInstanceOf(ClusterUnavailableError);
    await expect(agents.findAgent('ns', 'agent-0')).rejects.toMatchObject({ status: 503, retryable: true });
    agents.recover();
    expect((await agents.findAgent('ns', 'agent-0')).pod).toBeDefined();
  });

  it('counts failNext in API calls: each failed create spends one', async () => {
    const agents = createMemoryAgentClient();
    await agents.createPod(contractPod('ns', 'agent-1', managed));
    const creating = agents.createPod(contractPod('ns', 'agent-1', managed));
    await expect(creating).resolves.toMatchObject({ adopted: true });
    agents.failNext(2, 500);
    await expect(agents.createPod(contractPod('ns', 'agent-1', managed))).rejects.toThrow(
      /creating pod ns\/agent-1 failed \(500\)/,
    );
    await expect(agents.createPod(contractPod('ns', 'agent-1', managed))).rejects.toThrow(
      /creating pod ns\/agent-1 failed \(500\)/,
    );
    await expect(agents.createPod(contractPod('ns', 'agent-1', managed))).resolves.toMatchObject({
      adopted: true,
    });
  });

  it('refuses a Secret with an invalid name for good', async () => {
    const agents = createMemoryAgentClient();
    await expect(
      agents.putSecret({ metadata: { name: 'Bad_Name', namespace: 'ns' } }),
    ).rejects.toBeInstanceOf(ClusterRejectedError);
  });

  it('answers the events about the pod only', async () => {
    const agents = createMemoryAgentClient();
    agents.addEvent({
      metadata: { namespace: 'ns' },
      involvedObject: { kind: 'Pod', name: 'a', namespace: 'ns' },
    });
    agents.addEvent({ metadata: { namespace: 'ns' }, involvedObject: { kind: 'Node', name: 'a' } });
    agents.addEvent({ metadata: { namespace: 'other' }, involvedObject: { kind: 'Pod', name: 'a' } });
    expect((await agents.describeAgent('ns', 'a')).events).toHaveLength(1);
  });
});

describe('label selectors (in memory)', () => {
  const labels = { app: 'web', tier: 'front', 'example.com/role': 'agent' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app = web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db, web)', true],
    ['app in (db)', false],
    ['app notin (db)', true],
    ['missing notin (db)', true],
    ['missing in (db)', false],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['example.com/role=agent,app in (web),!missing', true],
    ['example.com/role=agent,app=db', false],
  ])('%j matches: %s', (selector, expected) => {
    expect(matchesLabelSelector(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it.each(['app in (a', 'app in a)', 'a=b=c', 'bad key=x', 'app=has space', '=x', ','])(
    'refuses %j',
    (selector) => {
      expect(() => parseLabelSelector(selector)).toThrow();
    },
  );
});
