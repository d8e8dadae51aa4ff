import { createHash } from 'node:crypto';
import type { CiSource } from '../sources/names';

const digest = (source: CiSource, jobKey: string): string =>
  createHash('sha256').update(`${source}\n${jobKey}`).digest('hex');

/**
 * One request id per build: derived from the source and the CI's job key, so every delivery about
 * the same build (duplicates, retries, out-of-order events) lands on the same record.
 */
export const requestIdFor = (source: CiSource, jobKey: string): string =>
  `${source}-${digest(source, jobKey).slice(0, 20)}`;

/**
 * The agent's pod name (and its name at the CI) for a request's `generation`th reserve (its
 * `attempts` after it): deterministic, so a provision retried within the attempt gets 409
 * AlreadyExists instead of a second pod, and new for each agent the request is given again (a
 * retry, a requeue, an operator's retry). Jenkins derives a node's secret from its name alone: a
 * build that read an earlier agent's secret must not be able to connect as the next one. The first
 * keeps the name it always had. Always a valid DNS label (<= 63).
 */
export function podNameFor(templateName: string, requestId: string, generation = 1): string {
  const id = requestId.slice(requestId.lastIndexOf('-') + 1);
  const suffix = generation > 1 ? createHash('sha256').update(`${id}\n${generation}`).digest('hex') : id;
  return `pc-${templateName}-${suffix.slice(0, 10)}`.slice(0, 63);
}

/**
 * Whether `name` is a pod (and CI agent) name `podNameFor` gives a request of `templateName`: how a
 * Jenkins queue item that names one of Pitcrew's nodes (not a label) finds the template that serves
 * it (sources/jenkins/webhook.ts). The shape comes from `podNameFor` itself: its prefix, its length,
 * and a hex suffix.
 */
export function isPodNameOf(templateName: string, name: string): boolean {
  const prefix = podNameFor(templateName, '-');
  return (
    name.startsWith(prefix) &&
    name.length === podNameFor(templateName, '-0123456789').length &&
    /^[0-9a-f]*$/.test(name.slice(prefix.length))
  );
}
