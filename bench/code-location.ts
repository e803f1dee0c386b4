/**
 * Where a JavaScript frame's script belongs, read from its URL (a path, or a `file://` URL for an ES
 * module): `group` is the npm package or the service's own `src/<module>`, `file` names the file
 * within it. Undefined for Node's own scripts (`node:…`) and anything else.
 */
export function locateScript(url: string): { group: string; file: string } | undefined {
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return { group: pkg[1], file: `${pkg[1]}/${url.split('/').pop()}` };
  if (url.includes('/dist/src/')) {
    const path = url.split('/dist/src/')[1];
    return { group: `src/${path.split('/')[0]}`, file: `src/${path}` };
  }
  return undefined;
}
