import { type SigningScheme, tokenSigning } from '../signature';

/** The header GitLab sends a webhook's secret token in (https://docs.gitlab.com/user/project/integrations/webhooks/#delivery-headers). */
export const gitlabTokenHeader = 'x-gitlab-token';

/**
 * GitLab signs nothing: a webhook sends its secret token as is in X-Gitlab-Token
 * (https://docs.gitlab.com/user/project/integrations/webhooks/, "Secret token"),
 * compared in constant time. It proves no time, so the receiver refuses stale jobs by their own date.
 */
export const gitlabSigning: SigningScheme = tokenSigning(gitlabTokenHeader);
