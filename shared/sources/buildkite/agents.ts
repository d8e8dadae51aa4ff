import * as v from '../../schema/valibot';
import { failureFor, type BuildkiteFetch, type FailureHints, unexpectedBody } from './api';

export interface AgentApi {
  readonly fetch: BuildkiteFetch;
  readonly organization: string;
}

const agentsPath = (organization: string): string =>
  `/v2/organizations/${encodeURIComponent(organization)}/agents`;

const hints = (organization: string): FailureHints => ({
  forbidden: 'the API token needs the read_agents and write_agents scopes',
  notFound: `organization ${organization} does not exist or the API token cannot see it`,
});

const messageSchema = v.object({ message: v.string() });

const messageOf = (body: unknown): string => {
  const parsed = v.safeParse(messageSchema, body);
  return parsed.success ? parsed.output.message : '';
};

const agentListSchema = v.array(
  v.object({
    id: v.pipe(v.string(), v.regex(/^[0-9A-Za-z-]{1,64}$/)),
    name: v.string(),
    connection_state: v.optional(v.string()),
  }),
);

/**
 * https://buildkite.com/docs/apis/rest-api/agents#list-agents: connected agents only, filtered by
 * `name` server-side; the exact-name check guards against a looser match. One page of 100 is plenty
 * for one name.
 */
export async function findConnectedAgents(api: AgentApi, name: string): Promise<string[]> {
  const purpose = `look up agent ${name} in ${api.organization}`;
  const response = await api.fetch({
    method: 'GET',
    path: `${agentsPath(api.organization)}?name=${encodeURIComponent(name)}&per_page=100`,
    purpose,
  });
  if (response.status !== 200) throw failureFor(response, purpose, hints(api.organization));
  const parsed = v.safeParse(agentListSchema, response.body);
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  return parsed.output.filter((agent) => agent.name === name).map((agent) => agent.id);
}

/**
 * https://buildkite.com/docs/apis/rest-api/agents#stop-an-agent: 204 when told to stop. `force: false`
 * lets a job it runs finish (the reaper never cuts a build short). 400 "Can only stop connected
 * agents" and 404 mean it is already gone.
 */
export async function stopAgent(api: AgentApi, agentId: string, name: string): Promise<void> {
  const purpose = `stop agent ${name} in ${api.organization}`;
  const response = await api.fetch({
    method: 'PUT',
    path: `${agentsPath(api.organization)}/${encodeURIComponent(agentId)}/stop`,
    body: { force: false },
    purpose,
  });
  if (response.status === 204 || response.status === 404) return;
  if (response.status === 400 && /connected/i.test(messageOf(response.body))) return;
  throw failureFor(response, purpose, hints(api.organization));
}
