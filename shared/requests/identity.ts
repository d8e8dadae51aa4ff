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
 * The agent's pod name (and its name at the CI): deterministic from the request, so a retried
 * provision gets 409 AlreadyExists instead of a second pod. Always a valid DNS label (<= 63).
 */
export function podNameFor(templateName: string, requestId: string): string {
  const suffix = requestId.slice(requestId.lastIndexOf('-') + 1, requestId.lastIndexOf('-') + 11);
  return `pc-${templateName}-${suffix}`.slice(0, 63);
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
