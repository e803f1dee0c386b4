import { createHmac } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/**
 * The `webhook-signature` header of Standard Webhooks v1: for each secret, `v1,` and the base64
 * HMAC-SHA256, keyed with the secret's bytes (the base64 after `whsec_`), of `id.timestamp.body`;
 * space-separated, so a receiver holding any one of the secrets verifies.
 */
export function webhookSignature(secrets: readonly string[], id: string, timestampSeconds: number, body: string) {
  const signed = `${id}.${timestampSeconds}.${body}`;
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
      return `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
    })
    .join(' ');
}
