import { DatabaseConnection } from '../../database/database-connection';
import { SignatureConfig } from '../../http/signature.config';

/** The OpenTelemetry exporter reads its headers (often an API key) from these variables itself. */
const EXPORTER_HEADERS = /^OTEL_EXPORTER_OTLP(_[A-Z]+)?_HEADERS$/;

/**
 * The values of the service's own secrets, which a build's log and failure detail never show
 * (TextRedactor): every WORKER_SHARED_SECRET, the database's password, and the values of the
 * OpenTelemetry exporter's headers. A build cannot read them (the sandbox, the command's own
 * environment), but a command line or a careless tool could still print one.
 */
export class ServiceSecrets {
  constructor(readonly values: readonly string[]) {}

  static of(signature: SignatureConfig, connection: DatabaseConnection, env: NodeJS.ProcessEnv): ServiceSecrets {
    const values = [...signature.secrets, ...passwordOf(connection.url)];
    for (const [name, headers] of Object.entries(env)) {
      if (EXPORTER_HEADERS.test(name) && headers) values.push(...headerValues(headers));
    }
    return new ServiceSecrets([...new Set(values.filter(Boolean))]);
  }
}

/** The password as written in the URL and decoded: a tool may print either. */
function passwordOf(url: string): string[] {
  try {
    const { password } = new URL(url);
    return [password, safeDecode(password)];
  } catch {
    return [];
  }
}

/** `key1=value1,key2=value2` (values may be percent-encoded): each value, both ways. */
function headerValues(headers: string): string[] {
  return headers.split(',').flatMap((header) => {
    const value = header.slice(header.indexOf('=') + 1).trim();
    return header.includes('=') ? [value, safeDecode(value)] : [];
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
