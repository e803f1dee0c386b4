/**
 * docs/contract.md: "A field is either absent or present with a valid value: `null` is not a value of
 * any field." These find every `null` in a response body, however deep.
 */

/** Where each `null` in a JSON value is, as `$.items[0].previewUrl`; empty when there is none. */
export function nullPaths(value: unknown, path = '$'): string[] {
  if (value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((item, index) => nullPaths(item, `${path}[${index}]`));
  if (typeof value === 'object') {
    return Object.entries(value).flatMap(([key, field]) => nullPaths(field, `${path}.${key}`));
  }
  return [];
}

/** A supertest assertion, `.expect(noNulls)`: fails naming every `null` in the response body. */
export function noNulls({ body }: { body: unknown }): void {
  const paths = nullPaths(body);
  if (paths.length > 0) throw new Error(`null is not a value in this API, found at ${paths.join(', ')}`);
}
