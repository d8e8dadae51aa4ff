import type { AgentTemplate } from '../config/file-schema';
import type { BuildOrigin } from '../sources/types';

// A module of its own: provision imports it (shared/provision/kept-origin.ts) without the rest of
// the matching, which sits in a chunk with the reaper's polling and would come along whole.

/**
 * Whether a template may serve a build from `origin`: a template with `from` serves only the builds
 * one of its entries covers, and never a build whose source names no origin (fail closed). The
 * webhook's rule (./match.ts), and provision's again on the record (shared/provision/kept-origin.ts).
 */
export const servesOrigin = (template: AgentTemplate, origin: BuildOrigin | undefined): boolean =>
  template.from === undefined ||
  (origin !== undefined && template.from.some((pattern) => origin.matches(pattern)));
