import * as v from '../../schema/valibot';
import { agentDescriptionPrefix, type JenkinsApi, parseJson, unexpectedAnswer } from './agents';
import { failureFor, isOk, isPostDone } from './api';

/**
 * One build per agent. A Jenkins node stays connected after its build, and Jenkins hands it any queued
 * build its labels fit: a build that left a process behind (one that escaped the ProcessTreeKiller)
 * would see the next build's workspace, credentials and files. Jenkins' own single-use strategy
 * (OnceRetentionStrategy) is for cloud agents only, and a node created through the remote API cannot
 * carry one, so Pitcrew marks the node temporarily offline once it runs a build
 * (`POST /computer/NAME/changeOfflineCause`, Computer.doChangeOfflineCause): its build goes on, it
 * takes no other, and the reaper deletes it once idle (shared/reap/decide.ts).
 */
export const retiredMessage = 'Pitcrew: one build per agent; removed once idle';

// Built on first use: a schema at the top level would stay in the reaper's bundle, which never lists.
const computerListSchema = () =>
  v.object({
    computer: v.array(
      v.object({
        displayName: v.string(),
        description: v.nullish(v.string()),
        idle: v.boolean(),
        temporarilyOffline: v.optional(v.boolean(), false),
      }),
    ),
  });

/**
 * Takes out of rotation every agent of Pitcrew's that runs a build now; another's node is never
 * touched. An idle one is left: the build it was made for may have gone to another agent, and then it
 * serves that agent's build. Returns the agents taken out; one that is gone meanwhile is skipped.
 */
export async function retireBusyAgents(api: JenkinsApi): Promise<string[]> {
  const purpose = 'list the agents';
  const response = await api.fetch({
    method: 'GET',
    path: `computer/api/json?tree=${encodeURIComponent('computer[displayName,description,idle,temporarilyOffline]')}`,
    purpose,
  });
  if (!isOk(response))
    throw failureFor(response, purpose, api.now(), {
      forbidden: "the API token's user needs Overall/Read permission",
      notFound: 'url does not point at a Jenkins controller (no /computer/api/json there)',
    });
  const listed = v.safeParse(computerListSchema(), parseJson(response.text));
  if (!listed.success) throw unexpectedAnswer(purpose, response.status);
  const names = listed.output.computer
    .filter((computer) => computer.description?.startsWith(agentDescriptionPrefix) === true)
    .filter((computer) => !computer.idle && !computer.temporarilyOffline)
    .map((computer) => computer.displayName);
  const retired: string[] = [];
  for (const name of names) if (await retireAgent(api, name)) retired.push(name);
  return retired;
}

/** Marks one agent temporarily offline; false when Jenkins no longer has it. */
async function retireAgent(api: JenkinsApi, name: string): Promise<boolean> {
  const purpose = `take agent ${name} out of rotation`;
  const response = await api.fetch({
    method: 'POST',
    path: `computer/${encodeURIComponent(name)}/changeOfflineCause`,
    form: { offlineMessage: retiredMessage },
    purpose,
  });
  if (isPostDone(response, `/computer/${encodeURIComponent(name)}/`)) return true;
  if (response.status === 404) return false;
  throw failureFor(response, purpose, api.now(), {
    forbidden: "the API token's user needs Agent/Disconnect permission (docs/jenkins.md)",
    notFound: `agent ${name} is not registered`,
  });
}
