/**
 * A fake of the few Jenkins remote API endpoints the Jenkins adapter calls, written from the public
 * docs and core's sources:
 * - POST /computer/doCreateItem with form fields name, type and json (ComputerSet.doDoCreateItem;
 *   https://docs.cloudbees.com/docs/cloudbees-ci-kb/latest/client-and-managed-masters/creating-node-with-the-rest-api):
 *   302 to computer/ on success, 400 "Agent called ‘X’ already exists" for a duplicate name
 * - GET /computer/NAME/jenkins-agent.jnlp: the JNLP file of slave-agent.jnlp.jelly, secret first
 * - POST /computer/NAME/doDelete (Computer.doDoDelete): 302, 404 for an unknown agent
 * - POST /computer/NAME/changeOfflineCause (Computer.doChangeOfflineCause): marks the node temporarily
 *   offline whatever it was (doToggleOffline would flip it), 302; its build goes on, it takes no other
 * - GET /computer/NAME/api/json, GET /computer/api/json (ComputerSet: every node, as `computer`) and
 *   GET /queue/api/json (https://www.jenkins.io/doc/book/using/remote-access-api/); an item's why
 *   is derived from the nodes as Queue.BuildableItem.getCauseOfBlockage does, unless a test sets it
 * - GET /queue/item/ID/api/json: the item while it waits, a Queue$LeftItem after it left, else 404
 * Every call needs basic auth with the configured user and API token (401 otherwise); no CSRF crumb
 * is needed with a token (https://www.jenkins.io/doc/book/security/csrf-protection/). Nodes and the
 * queue live in memory; every request is recorded without its Authorization header; the next calls
 * can be told to fail with any status, after a delay, or by resetting the connection.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createFailureSchedule, type FailureControls } from './failure-schedule';
import { closeServer, listenOnLoopback, readBody, recordedHeaders } from './http-server';
import { z } from 'zod';

export interface FakeJenkinsOptions {
  readonly user?: string;
  readonly apiToken?: string;
  /** Where Jenkins is served: '/' by default, '/jenkins/' behind a context path. */
  readonly contextPath?: string;
}

export interface FakeJenkinsNode {
  readonly name: string;
  readonly type: string;
  /** The submitted `json` form field, parsed. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly description: string;
  readonly labelString: string;
  readonly remoteFS: string;
  readonly mode: string;
  readonly numExecutors: number;
  readonly webSocket: boolean;
  /** What Jenkins derives for the agent (SlaveComputer.getJnlpMac): 64 hex digits. */
  readonly secret: string;
  /** Whether an agent is connected; false until a test says otherwise. */
  online: boolean;
  /** Whether its executor runs a build. */
  busy: boolean;
  /** Marked offline by a user (changeOfflineCause): Jenkins hands it no further build. */
  temporarilyOffline: boolean;
  /** The message it was marked offline with. */
  offlineCauseReason?: string;
}

export interface FakeQueueItem {
  readonly id: number;
  /**
   * The item's why text as given; without one, an item with a `label` gets the text Jenkins derives
   * from the nodes (`causeOfBlockage`).
   */
  readonly why?: string | null;
  /** The label the build asks for (one label, or labels joined with `&&`). */
  readonly label?: string;
  readonly taskName?: string;
  readonly taskUrl?: string;
  readonly inQueueSince?: number;
}

export interface FakeJenkinsRequest {
  readonly method: string;
  /** Path and query, without the context path. */
  readonly path: string;
  /** Lower-cased, without Authorization. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface FakeJenkinsFailure {
  /** The status to answer; ignored with `reset`. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Answer only after this long (to exercise client timeouts). */
  readonly delayMs?: number;
  /** Drop the connection instead of answering, as a crashed controller or proxy would. */
  readonly reset?: boolean;
  /** Only fail requests with this method and a path matching this (default: any request). */
  readonly method?: string;
  readonly path?: RegExp;
}

/** An item that left the queue: Jenkins keeps it (a `LeftItem`) for about five minutes. */
export interface FakeLeftItem {
  readonly id: number;
  readonly cancelled: boolean;
}

export interface FakeJenkinsState {
  readonly nodes: Map<string, FakeJenkinsNode>;
  readonly queue: FakeQueueItem[];
  /** Items that left the queue (started, or cancelled) and are still answered for. */
  readonly left: FakeLeftItem[];
  readonly requests: FakeJenkinsRequest[];
}

export interface FakeJenkins extends FailureControls<FakeJenkinsFailure> {
  /** The controller URL, with a trailing slash. */
  readonly url: string;
  readonly user: string;
  readonly apiToken: string;
  readonly state: FakeJenkinsState;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly body?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Context {
  readonly method: string;
  readonly path: string;
  readonly params: URLSearchParams;
  readonly rootUrl: string;
}

const html = (status: number, message: string): Answer => ({
  status,
  contentType: 'text/html;charset=utf-8',
  body: `<!DOCTYPE html><html><head><title>Jenkins</title></head><body><h1>Error</h1><p>${escapeXml(message)}</p></body></html>`,
});
const json = (body: unknown): Answer => ({
  status: 200,
  contentType: 'application/json;charset=utf-8',
  body: JSON.stringify(body),
});
const notFound: Answer = html(404, 'Not Found');
const methodNotAllowed: Answer = html(405, 'This URL requires POST');

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** What the "New node" form submits for a permanent agent; other fields are kept but not checked. */
const nodeJsonSchema = z.object({
  nodeDescription: z.string().default(''),
  numExecutors: z.union([z.string(), z.number()]).transform(Number).pipe(z.number().int().positive()),
  remoteFS: z.string().min(1),
  labelString: z.string().default(''),
  mode: z.enum(['NORMAL', 'EXCLUSIVE']),
  launcher: z.object({ 'stapler-class': z.string(), webSocket: z.boolean().default(false) }).loose(),
  retentionStrategy: z.object({ 'stapler-class': z.string() }).loose(),
});

/** Characters Jenkins.checkGoodName refuses in a node name. */
const unsafeNameCharacters = /[?*/\\%!@#$^&|<>[\]:;]/;

export async function startFakeJenkins(options: FakeJenkinsOptions = {}): Promise<FakeJenkins> {
  const user = options.user ?? 'pitcrew';
  const apiToken = options.apiToken ?? 'fake-jenkins-api-token';
  const contextPath = normaliseContextPath(options.contextPath ?? '/');
  const expectedAuth = `Basic ${Buffer.from(`${user}:${apiToken}`).toString('base64')}`;
  // Jenkins derives each agent's secret from a per-controller key (JnlpAgentReceiver.SLAVE_SECRET).
  const instanceKey = randomBytes(32);
  const state: FakeJenkinsState = { nodes: new Map(), queue: [], left: [], requests: [] };
  const failures = createFailureSchedule<FakeJenkinsFailure>((failure) =>
    failure.reset ? 'reset' : String(failure.status ?? 500),
  );
  const timers = new Set<NodeJS.Timeout>();

  function createNode(ctx: Context): Answer {
    if (ctx.method !== 'POST') return methodNotAllowed;
    const name = (ctx.params.get('name') ?? '').trim();
    const type = ctx.params.get('type') ?? '';
    if (name === '') return html(400, 'Query parameter ‘name’ is required');
    if (unsafeNameCharacters.test(name)) return html(400, `‘${name}’ is an unsafe character`);
    if (state.nodes.has(name)) return html(400, `Agent called ‘${name}’ already exists`);
    if (type !== 'hudson.slaves.DumbSlave') return html(400, `No such node type: ${type}`);
    let raw: unknown;
    try {
      raw = JSON.parse(ctx.params.get('json') ?? '');
    } catch {
      return html(400, 'Invalid or missing json parameter');
    }
    const parsed = nodeJsonSchema.safeParse(raw);
    if (!parsed.success)
      return html(400, `Invalid agent configuration: ${parsed.error.issues[0]?.path.join('.') ?? ''}`);
    const config = parsed.data;
    state.nodes.set(name, {
      name,
      type,
      config: raw as Record<string, unknown>,
      description: config.nodeDescription,
      labelString: config.labelString,
      remoteFS: config.remoteFS,
      mode: config.mode,
      numExecutors: config.numExecutors,
      webSocket: config.launcher.webSocket,
      secret: createHmac('sha256', instanceKey).update(name).digest('hex'),
      online: false,
      busy: false,
      temporarilyOffline: false,
    });
    return { status: 302, headers: { location: `${ctx.rootUrl}computer/` } };
  }

  /** slave-agent.jnlp.jelly, with the arguments it renders for a WebSocket agent and its work dir. */
  function jnlp(node: FakeJenkinsNode, rootUrl: string): Answer {
    const args = [node.secret, node.name, ...(node.webSocket ? ['-webSocket'] : [])];
    args.push('-workDir', node.remoteFS, '-internalDir', 'remoting', '-url', rootUrl);
    const body = [
      '<jnlp spec="1.0+" codebase="' +
        escapeXml(`${rootUrl}computer/${encodeURIComponent(node.name)}/`) +
        '">',
      `<information><title>Agent for ${escapeXml(node.name)}</title><vendor>Jenkins project</vendor></information>`,
      '<security><all-permissions/></security>',
      `<resources><j2se version="1.8+"/><jar href="${escapeXml(rootUrl)}jnlpJars/remoting.jar"/></resources>`,
      '<application-desc main-class="hudson.remoting.jnlp.Main">',
      ...args.map((arg) => `<argument>${escapeXml(arg)}</argument>`),
      '</application-desc>',
      '</jnlp>',
    ].join('\n');
    return { status: 200, contentType: 'application/x-java-jnlp-file', body };
  }

  function computerJson(node: FakeJenkinsNode): Answer {
    return json(computerObject(node));
  }

  /** A Computer as the remote API exports it (the fields Pitcrew reads, and a few more). */
  function computerObject(node: FakeJenkinsNode): Record<string, unknown> {
    const executors = Array.from({ length: node.numExecutors }, (_, index) => ({
      idle: !(node.busy && index === 0),
      currentExecutable: node.busy && index === 0 ? { url: `${node.name}/1/` } : null,
    }));
    return {
      _class: 'hudson.slaves.SlaveComputer',
      displayName: node.name,
      description: node.description,
      idle: !node.busy,
      // Computer.isOffline: no channel, or marked offline.
      offline: !node.online || node.temporarilyOffline,
      temporarilyOffline: node.temporarilyOffline,
      offlineCauseReason: node.offlineCauseReason ?? '',
      numExecutors: node.numExecutors,
      executors,
      oneOffExecutors: [],
    };
  }

  /** ComputerSet's export: the built-in node first, then every agent. */
  function computerListJson(): Answer {
    const builtIn = {
      _class: 'hudson.model.Hudson$MasterComputer',
      displayName: 'Built-In Node',
      description: "the Jenkins controller's built-in node",
      idle: true,
      offline: false,
      temporarilyOffline: false,
    };
    return json({
      _class: 'hudson.model.ComputerSet',
      computer: [builtIn, ...[...state.nodes.values()].map(computerObject)],
    });
  }

  function computer(ctx: Context, name: string, rest: string): Answer {
    const node = state.nodes.get(name);
    if (node === undefined) return notFound;
    if (rest === 'jenkins-agent.jnlp' && ctx.method === 'GET') return jnlp(node, ctx.rootUrl);
    if (rest === 'api/json' && ctx.method === 'GET') return computerJson(node);
    if (rest === 'changeOfflineCause') {
      if (ctx.method !== 'POST') return methodNotAllowed;
      node.temporarilyOffline = true;
      node.offlineCauseReason = ctx.params.get('offlineMessage') ?? '';
      return { status: 302, headers: { location: `${ctx.rootUrl}computer/${encodeURIComponent(name)}/` } };
    }
    if (rest === 'doDelete') {
      if (ctx.method !== 'POST') return methodNotAllowed;
      state.nodes.delete(name);
      return { status: 302, headers: { location: `${ctx.rootUrl}computer/` } };
    }
    return notFound;
  }

  /**
   * Queue.BuildableItem.getCauseOfBlockage for a build asking for `label`, with core's messages: when
   * exactly one node has the label, the text names that node, not the label.
   */
  function causeOfBlockage(label: string): string {
    const wanted = label.split('&&').map((atom) => atom.trim());
    const nodes = [...state.nodes.values()].filter((node) => {
      const labels = new Set([node.name, ...node.labelString.split(/\s+/)]);
      return wanted.every((atom) => labels.has(atom));
    });
    const offline = nodes.every((node) => !node.online || node.temporarilyOffline);
    const [only] = nodes.length === 1 ? nodes : [];
    if (offline) {
      if (only) return `‘${only.name}’ is offline`;
      return nodes.length === 0
        ? `There are no nodes with the label ‘${label}’`
        : `All nodes of label ‘${label}’ are offline`;
    }
    return `Waiting for next available executor on ‘${only?.name ?? label}’`;
  }

  function queueItemJson(item: FakeQueueItem): Record<string, unknown> {
    const why =
      item.why !== undefined ? item.why : item.label === undefined ? null : causeOfBlockage(item.label);
    return {
      _class: 'hudson.model.Queue$BuildableItem',
      blocked: false,
      buildable: true,
      id: item.id,
      inQueueSince: item.inQueueSince ?? Date.now(),
      stuck: false,
      task: { name: item.taskName ?? `job-${item.id}`, url: item.taskUrl ?? null },
      url: `queue/item/${item.id}/`,
      why,
    };
  }

  function queueJson(): Answer {
    return json({
      _class: 'hudson.model.Queue',
      discoverableItems: [],
      items: state.queue.map(queueItemJson),
    });
  }

  /** GET /queue/item/ID/api/json: the waiting item, a LeftItem for a while after it left, then 404. */
  function queueItem(id: number): Answer {
    const waiting = state.queue.find((item) => item.id === id);
    if (waiting) return json(queueItemJson(waiting));
    const left = state.left.find((item) => item.id === id);
    if (!left) return notFound;
    return json({
      _class: 'hudson.model.Queue$LeftItem',
      blocked: false,
      buildable: false,
      id,
      cancelled: left.cancelled,
      url: `queue/item/${id}/`,
      why: null,
      executable: left.cancelled ? null : { _class: 'hudson.model.FreeStyleBuild', number: 1 },
    });
  }

  function route(ctx: Context): Answer {
    if (ctx.path === 'computer/doCreateItem') return createNode(ctx);
    if (ctx.path === 'queue/api/json' && ctx.method === 'GET') return queueJson();
    const item = /^queue\/item\/(\d+)\/api\/json$/.exec(ctx.path);
    if (item?.[1] !== undefined && ctx.method === 'GET') return queueItem(Number(item[1]));
    if (ctx.path === 'computer/api/json' && ctx.method === 'GET') return computerListJson();
    const match = /^computer\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (match?.[1] === undefined || match[2] === undefined) return notFound;
    return computer(ctx, decodeURIComponent(match[1]), match[2]);
  }

  function send(response: ServerResponse, answer: Answer): void {
    response.writeHead(answer.status, {
      'x-jenkins': '2.504.1',
      ...(answer.contentType === undefined ? {} : { 'content-type': answer.contentType }),
      ...answer.headers,
    });
    response.end(answer.body ?? '');
  }

  function fail(request: IncomingMessage, response: ServerResponse, failure: FakeJenkinsFailure): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (failure.reset) request.socket.destroy();
      else if (!response.destroyed)
        send(response, { status: failure.status ?? 500, body: failure.body ?? '', headers: failure.headers });
    }, failure.delayMs ?? 0);
    timers.add(timer);
  }

  async function handle(request: IncomingMessage, response: ServerResponse, rootUrl: string): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    const path = url.pathname.startsWith(contextPath) ? url.pathname.slice(contextPath.length) : url.pathname;
    const headers = recordedHeaders(request.headers);
    state.requests.push({ method, path: `${path}${url.search}`, headers, body });

    const failure = failures.take(method, path);
    if (failure) return fail(request, response, failure);
    if (request.headers.authorization !== expectedAuth) {
      return send(response, {
        ...html(401, 'Invalid password/token for user'),
        headers: { 'www-authenticate': 'Basic realm="Jenkins"' },
      });
    }
    if (!url.pathname.startsWith(contextPath)) return send(response, notFound);
    // Stapler reads parameters from the query and from a form body alike.
    const params = new URLSearchParams(url.search);
    if ((request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      for (const [key, value] of new URLSearchParams(body)) params.append(key, value);
    }
    send(response, route({ method, path, params, rootUrl }));
  }

  let rootUrl = '';
  const server = createServer((request, response) => {
    handle(request, response, rootUrl).catch((error: unknown) => send(response, html(500, String(error))));
  });
  rootUrl = `http://127.0.0.1:${await listenOnLoopback(server)}${contextPath}`;

  return {
    url: rootUrl,
    user,
    apiToken,
    state,
    failNext: failures.failNext,
    failFor: failures.failFor,
    clearFailures: failures.clearFailures,
    failuresServed: failures.failuresServed,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await closeServer(server);
    },
  };
}

function normaliseContextPath(path: string): string {
  const withLeading = path.startsWith('/') ? path : `/${path}`;
  return withLeading.endsWith('/') ? withLeading : `${withLeading}/`;
}
