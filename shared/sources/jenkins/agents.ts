import * as v from '../../schema/valibot';
import { CiRejectedError } from '../errors';
import { failureFor, isOk, isPostDone, type JenkinsFetch } from './api';
import { secretFromJnlp } from './jnlp';

/** What the agent calls need besides their arguments. */
export interface JenkinsApi {
  readonly fetch: JenkinsFetch;
  readonly now: () => number;
}

export interface AgentNodeConfig {
  readonly name: string;
  readonly description: string;
  /** Whitespace-separated labels, as typed in the UI's Labels field. */
  readonly labelString: string;
  readonly remoteFS: string;
}

const computerPath = (name: string): string => `computer/${encodeURIComponent(name)}`;

/** Node descriptions start with this, so Pitcrew recognises its own agents (and people do too). */
export const agentDescriptionPrefix = 'Pitcrew agent';

/**
 * The form the "New node" page submits, which `POST /computer/doCreateItem` accepts from scripts
 * (https://docs.cloudbees.com/docs/cloudbees-ci-kb/latest/client-and-managed-masters/creating-node-with-the-rest-api):
 * a permanent agent (DumbSlave) with one executor, used only by builds whose label it matches
 * (EXCLUSIVE), launched by the agent connecting in over WebSocket (JNLPLauncher, webSocket: true,
 * https://www.jenkins.io/doc/book/managing/nodes/#creating-agents) and kept while it exists
 * (RetentionStrategy$Always): Pitcrew, not Jenkins, decides when it goes.
 */
export function createNodeForm(config: AgentNodeConfig): Record<string, string> {
  const launcher = 'hudson.slaves.JNLPLauncher';
  const retention = 'hudson.slaves.RetentionStrategy$Always';
  const json = {
    name: config.name,
    nodeDescription: config.description,
    numExecutors: '1',
    remoteFS: config.remoteFS,
    labelString: config.labelString,
    mode: 'EXCLUSIVE',
    launcher: {
      'stapler-class': launcher,
      $class: launcher,
      webSocket: true,
      workDirSettings: {
        disabled: false,
        workDirPath: '',
        internalDir: 'remoting',
        failIfWorkDirIsMissing: false,
      },
    },
    retentionStrategy: { 'stapler-class': retention, $class: retention },
    nodeProperties: { 'stapler-class-bag': 'true' },
    type: 'hudson.slaves.DumbSlave',
  };
  return { name: config.name, type: 'hudson.slaves.DumbSlave', json: JSON.stringify(json) };
}

const createPermission = "the API token's user needs Agent/Create and Agent/Connect permission";

/**
 * Creates the node; `exists` when Jenkins already has one of that name, which is how a provision
 * retry finds the node its first attempt made. Jenkins answers a duplicate with 400 "Agent called ‘X’
 * already exists" (ComputerSet.checkName); rather than match that text (it is translated), a 400 is
 * followed by a look at the node, and only a node Pitcrew created is reused.
 */
export async function createNode(api: JenkinsApi, config: AgentNodeConfig): Promise<'created' | 'exists'> {
  const purpose = `create agent ${config.name}`;
  const response = await api.fetch({
    method: 'POST',
    path: 'computer/doCreateItem',
    form: createNodeForm(config),
    purpose,
  });
  if (isPostDone(response, '/computer/')) return 'created';
  if (response.status === 400) {
    const existing = await getAgentState(api, config.name);
    if (existing !== undefined) return reuse(existing, config.name);
  }
  throw failureFor(response, purpose, api.now(), {
    forbidden: createPermission,
    notFound: 'url does not point at a Jenkins controller (no /computer/doCreateItem there)',
    badRequest: 'Jenkins did not accept the agent configuration: check agentWorkDir and the agent name',
  });
}

function reuse(existing: AgentState, name: string): 'exists' {
  const foreign =
    existing.description !== undefined && !existing.description.startsWith(agentDescriptionPrefix);
  if (!foreign) return 'exists';
  throw new CiRejectedError(
    `Jenkins already has an agent named ${name} that Pitcrew did not create; it was left alone`,
    400,
  );
}

/** The agent's secret from its JNLP file (secretFromJnlp says where in it). */
export async function readAgentSecret(api: JenkinsApi, name: string): Promise<string> {
  const purpose = `read the secret of agent ${name}`;
  const response = await api.fetch({
    method: 'GET',
    path: `${computerPath(name)}/jenkins-agent.jnlp`,
    purpose,
  });
  if (!isOk(response)) {
    throw failureFor(response, purpose, api.now(), {
      forbidden: "the API token's user needs Agent/Connect permission",
      notFound: `agent ${name} is not registered (it was deleted, or the user cannot see it)`,
    });
  }
  const read = secretFromJnlp(response.text, name);
  if (!read.ok) {
    throw new CiRejectedError(
      `Jenkins answered ${response.status} when asked to ${purpose}, but ${read.problem}: check that url points at Jenkins itself, not a login page`,
      response.status,
    );
  }
  return read.secret;
}

/** `POST /computer/NAME/doDelete` (Computer.doDoDelete); an agent that is already gone is success. */
export async function deleteNode(api: JenkinsApi, name: string): Promise<'deleted' | 'absent'> {
  const purpose = `delete agent ${name}`;
  const response = await api.fetch({ method: 'POST', path: `${computerPath(name)}/doDelete`, purpose });
  if (isPostDone(response, '/computer/')) return 'deleted';
  if (response.status === 404) return 'absent';
  throw failureFor(response, purpose, api.now(), {
    forbidden: "the API token's user needs Agent/Delete permission",
    notFound: `agent ${name} is not registered`,
  });
}

const executorSchema = v.object({ idle: v.optional(v.boolean()) });

/** The fields of Computer's remote API (https://javadoc.jenkins.io/hudson/model/Computer.html) used here. */
const computerSchema = v.object({
  idle: v.boolean(),
  temporarilyOffline: v.optional(v.boolean()),
  description: v.nullish(v.string()),
  executors: v.nullish(v.array(v.nullable(executorSchema))),
  oneOffExecutors: v.nullish(v.array(v.nullable(executorSchema))),
});

export interface AgentState {
  /** Running (part of) a build: a busy executor, or a Pipeline's flyweight task. */
  readonly busy: boolean;
  /** Marked offline (by Pitcrew once it ran a build: retire.ts): Jenkins hands it no other build. */
  readonly retired: boolean;
  readonly description?: string;
}

const computerTree = 'idle,temporarilyOffline,description,executors[idle],oneOffExecutors[idle]';

/**
 * `GET /computer/NAME/api/json`, or undefined when Jenkins has no such agent. Computer.idle already
 * covers every executor and one-off executor; the lists are checked too in case a plugin overrides it.
 */
export async function getAgentState(api: JenkinsApi, name: string): Promise<AgentState | undefined> {
  const purpose = `read the state of agent ${name}`;
  const path = `${computerPath(name)}/api/json?tree=${encodeURIComponent(computerTree)}`;
  const response = await api.fetch({ method: 'GET', path, purpose });
  if (response.status === 404) return undefined;
  if (!isOk(response)) {
    throw failureFor(response, purpose, api.now(), {
      forbidden: "the API token's user needs Overall/Read permission",
      notFound: `agent ${name} is not registered`,
    });
  }
  const computer = v.safeParse(computerSchema, parseJson(response.text));
  if (!computer.success) throw unexpectedAnswer(purpose, response.status);
  const { idle, temporarilyOffline, description, executors, oneOffExecutors } = computer.output;
  const anyBusy = [...(executors ?? []), ...(oneOffExecutors ?? [])].some(
    (executor) => executor?.idle === false,
  );
  return {
    busy: !idle || anyBusy,
    retired: !!temporarilyOffline,
    ...(description == null ? {} : { description }),
  };
}

/** The body as JSON; undefined if it is not, which the schema then refuses. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An answer that is not the JSON Jenkins's remote API documents for the call. */
export function unexpectedAnswer(purpose: string, status: number): CiRejectedError {
  return new CiRejectedError(
    `Jenkins answered ${status} when asked to ${purpose}, but not with the JSON its remote API documents: check that url points at Jenkins itself`,
    status,
  );
}
