import { Agent } from 'node:https';
import type { RequestContext } from '@kubernetes/client-node';
import { maxIdleConnectionMs, reuseConnections } from '../../../shared/cluster/client';

/** What client-node hands the middleware: a fresh agent per call, with the call's TLS options. */
function callWith(options: ConstructorParameters<typeof Agent>[0]) {
  let chosen: unknown;
  const context = {
    getAgent: () => new Agent(options),
    setAgent: (agent: unknown) => void (chosen = agent),
  } as unknown as RequestContext;
  return { context, chosen: () => chosen as Agent | undefined };
}

describe('connection reuse for the Kubernetes client', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 1_000_000;
  });

  it('gives every call with the same TLS options one keep-alive agent instead of a new one each', () => {
    const reuse = reuseConnections(now);
    const first = callWith({ ca: 'CA', servername: 'api' });
    const second = callWith({ ca: 'CA', servername: 'api' });
    reuse(first.context);
    clock += 1_000;
    reuse(second.context);
    expect(first.chosen()).toBeInstanceOf(Agent);
    expect(second.chosen()).toBe(first.chosen());
    expect((first.chosen() as Agent & { options: { keepAlive?: boolean } }).options.keepAlive).toBe(true);
  });

  it('starts new connections when the client certificate changes (a rotated certificate)', () => {
    const reuse = reuseConnections(now);
    const before = callWith({ ca: 'CA', cert: Buffer.from('cert-1'), key: Buffer.from('key-1') });
    const same = callWith({ ca: 'CA', cert: Buffer.from('cert-1'), key: Buffer.from('key-1') });
    const rotated = callWith({ ca: 'CA', cert: Buffer.from('cert-2'), key: Buffer.from('key-2') });
    reuse(before.context);
    reuse(same.context);
    reuse(rotated.context);
    expect(same.chosen()).toBe(before.chosen());
    expect(rotated.chosen()).toBeInstanceOf(Agent);
    expect(rotated.chosen()).not.toBe(before.chosen());
  });

  it('does not trust connections left idle longer than the limit (a frozen Lambda, a load balancer)', () => {
    const reuse = reuseConnections(now);
    const first = callWith({ ca: 'CA' });
    const soon = callWith({ ca: 'CA' });
    const late = callWith({ ca: 'CA' });
    reuse(first.context);
    clock += maxIdleConnectionMs;
    reuse(soon.context);
    clock += maxIdleConnectionMs + 1;
    reuse(late.context);
    expect(soon.chosen()).toBe(first.chosen());
    expect(late.chosen()).toBeInstanceOf(Agent);
    expect(late.chosen()).not.toBe(first.chosen());
  });

  it('leaves a call without an https agent (plain http) as it is', () => {
    const reuse = reuseConnections(now);
    let set = false;
    reuse({ getAgent: () => undefined, setAgent: () => void (set = true) } as unknown as RequestContext);
    expect(set).toBe(false);
  });
});
