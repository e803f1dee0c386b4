/**
 * What global setup hands to every test file through the environment (Jest starts its workers
 * after global setup, so they inherit it): the server to create databases on, and the migrated
 * template each test file's database is cloned from.
 */
export const TEST_SERVER_URL_VARIABLE = 'SHEEN_TEST_SERVER_URL';
export const TEST_TEMPLATE_VARIABLE = 'SHEEN_TEST_TEMPLATE_DATABASE';

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
