export { createAgentClient } from './agents';
export type { AgentClient } from './agents';
export { caDataBase64, createBearerKubeConfig, createCoreApi, createKubeConfig } from './client';
export type { BearerConnection, ClusterTimeouts } from './client';
export { connectCluster } from './connect';
export type { ClusterAccessDeps } from './connect';
export { describeEksEndpoint } from './eks-cluster';
export type { DescribeClusterClient, EksEndpoint } from './eks-cluster';
export {
  clusterIdHeader,
  createEksToken,
  eksTokenLifetimeMs,
  eksTokenPrefix,
  stsHostname,
} from './eks-token';
export type { AwsCredentials, EksToken, EksTokenInput } from './eks-token';
export { ClusterError, ClusterRejectedError, ClusterUnavailableError } from './errors';
export { createCachedTokenSource, tokenSourceDefaults } from './token-source';
export type { CachedTokenSourceOptions, TokenRead, TokenSource } from './token-source';
export { isAlreadyExists, isNotFound, translateClusterError } from './translate';
export { defaultNetworkPolicyName, renderNetworkPolicies, templateNetworkPolicyName } from './network-policy';
