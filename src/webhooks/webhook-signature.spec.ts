import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { webhookSignature } from './webhook-signature';

const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

describe('webhookSignature', () => {
  const id = '01JDRZ8Q4XK8V1N9E6W3T2Y5B6';
  const body = JSON.stringify({ type: 'build.succeeded', timestamp: '2026-12-07T09:00:00.000Z', data: { ü: 'ß' } });
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = (signature: string) => ({
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  });

  it('verifies with the standardwebhooks package, for a body of non-ASCII characters', () => {
    const secret = newSecret();
    expect(new Webhook(secret).verify(body, headers(webhookSignature([secret], id, timestamp, body)))).toEqual(
      JSON.parse(body),
    );
  });

  it('signs with every secret, so during a rotation the old and the new each verify', () => {
    const [old, current] = [newSecret(), newSecret()];
    const signature = webhookSignature([old, current], id, timestamp, body);
    expect(signature.split(' ')).toHaveLength(2);
    expect(() => new Webhook(old).verify(body, headers(signature))).not.toThrow();
    expect(() => new Webhook(current).verify(body, headers(signature))).not.toThrow();
    expect(() => new Webhook(newSecret()).verify(body, headers(signature))).toThrow(/No matching signature/);
  });

  it('does not verify another body, id or timestamp', () => {
    const secret = newSecret();
    const signature = webhookSignature([secret], id, timestamp, body);
    const webhook = new Webhook(secret);
    expect(() => webhook.verify(`${body} `, headers(signature))).toThrow(/No matching signature/);
    expect(() => webhook.verify(body, { ...headers(signature), 'webhook-id': `${id}X` })).toThrow(/No matching/);
    expect(() => webhook.verify(body, { ...headers(signature), 'webhook-timestamp': String(timestamp - 1) })).toThrow(
      /No matching/,
    );
  });
});
