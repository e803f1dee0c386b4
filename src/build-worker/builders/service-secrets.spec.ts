import { DatabaseConnection } from '../../database/database-connection';
import { SignatureConfig } from '../../http/signature.config';
import { ServiceSecrets } from './service-secrets';

describe('ServiceSecrets', () => {
  const signature: SignatureConfig = { secrets: ['old-secret-0123456789', 'new-secret-0123456789'] };

  it("holds every shared secret, the database's password as written and decoded, and the exporter's header values", () => {
    const connection = new DatabaseConnection('postgres://sheen:p%40ss%2Fword@db.internal:5432/sheen');

    const secrets = ServiceSecrets.of(signature, connection, {
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=key-0123456789,authorization=Bearer%20tok-0123',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-honeycomb-team=team-secret',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.internal',
      PATH: '/usr/bin',
    });

    expect(secrets.values).toEqual([
      'old-secret-0123456789',
      'new-secret-0123456789',
      'p%40ss%2Fword',
      'p@ss/word',
      'key-0123456789',
      'Bearer%20tok-0123',
      'Bearer tok-0123',
      'team-secret',
    ]);
  });

  it('holds nothing of a URL without a password', () => {
    const secrets = ServiceSecrets.of({ secrets: [] }, new DatabaseConnection('postgres://localhost/db'), {});

    expect(secrets.values).toEqual([]);
  });
});
