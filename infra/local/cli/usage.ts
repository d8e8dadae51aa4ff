/** Bad command-line usage: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const usage = `usage: pitcrew <command> [arguments] [options]

The local system:
  dev                     start the whole system locally (real Kubernetes, SQS and DynamoDB servers)
  demo                    send signed sample webhooks to \`pitcrew dev\` and watch their pods run and go
  fetch                   build and resolve the local servers into ~/.cache/pitcrew (first run only)
  cluster-up              start only the Kubernetes control plane and wait (Ctrl-C stops it)
  cluster-down            stop the control plane that cluster-up started

Your cluster:
  k8s-manifests --config FILE   the namespaces, RBAC and NetworkPolicies a config needs, as YAML for \`kubectl apply -f -\`

Operator actions (the ops function; the local system by default, a deployed stage with --stage):
  status                  requests by state, caps and usage, pods, queue and DLQ depth, drained or not
  list                    requests, oldest first   [--status S] [--template T] [--source S] [--limit N] [--cursor C]
  describe <request-id>   one request, with its pod's phase and events
  drain --yes             stop provisioning; new requests wait (nothing is lost)
  resume                  provision again, waking the waiting requests
  reconcile [--force --yes]   run the reaper now and show what it did (--force: also trim running pods over a cap)
  cancel <request-id> --yes   end a request: delete its pod, deregister its agent
  retry <request-id>      queue a failed request again
  redrive [--max N] --yes move dead-letter messages back to the provision queue (default 100)
  caps                    show every cap
  caps <template> <N|default>   set a template's cap at run time (default: back to the config file's)
  caps --global <N|default>     set the global cap at run time (a cap of 0 needs --yes)

Options:
  --yes                   do a destructive action: drain, cancel, redrive, reconcile --force, a cap of 0
  --json                  machine-readable output (one JSON document)
  --stage S               invoke the ops function of a deployed stage (pitcrew-S-ops) with the AWS SDK
  --region R              that stage's region (default: the AWS SDK's, e.g. AWS_REGION)
  --function NAME         the ops function's name, if not pitcrew-<stage>-ops
  --help                  this text

dev options:
  --port N                port of the local webhook endpoint (default: a free port)
  --kubeconfig FILE       use this cluster instead of starting one
  --sqs-endpoint URL      use this SQS endpoint instead of starting ElasticMQ
  --dynamodb-endpoint URL use this DynamoDB endpoint instead of starting DynamoDB Local
  --no-live               do not show the live view

Exit codes: 0 done, 1 the action failed, 2 bad usage.`;
