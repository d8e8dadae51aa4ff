/**
 * The shell lines `pitcrew dev` prints for sending a generic build by hand: the same recipe as
 * docs/generic-webhook.md (a timestamp, an HMAC-SHA256 of `<timestamp>.<body>`, a delivery id), with
 * only `curl`, `openssl` and `date`. test/unit/infra/try-webhook.test.ts runs them in bash and checks
 * the signature with the generic receiver's own scheme.
 */
export function tryWebhookLines(url: string, secret: string, jobId = 'try-1'): string[] {
  return [
    `body='{"action":"queued","job":{"id":"${jobId}","labels":["linux"]}}'`,
    `ts=$(date +%s)`,
    `sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac '${secret}' -r | cut -d' ' -f1)`,
    `curl -s -X POST ${url} -H 'content-type: application/json' -H 'x-pitcrew-delivery: ${jobId}' \\`,
    `  -H "x-pitcrew-timestamp: $ts" -H "x-pitcrew-signature-256: sha256=$sig" -d "$body"`,
  ];
}
