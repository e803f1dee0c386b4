import { readFileSync } from 'node:fs';
import { locateScript } from './code-location';

/**
 * Reads `perf script` output on stdin and charges each sample to the nearest JavaScript frame of a
 * package or of the service's own `src/` (Node's own frames are walked through to their caller; an
 * ES module's frames, NestJS 12's among them, are named by `file://` URL);
 * samples with no such frame are Node's own JavaScript, native code (V8, libuv, Node's C++) or the
 * kernel. Prints the shares by group and by function (bench/profile-service.sh).
 */
const counts = { groups: new Map<string, number>(), functions: new Map<string, number>() };
let samples = 0;

function charge(frames: string[]): [group: string, where: string] {
  for (const frame of frames) {
    const js = /JS:\S*?'?(\S+) ((?:file:\/\/)?\/\S+|node:\S+)/.exec(frame);
    if (!js) continue;
    const [, name, url] = js;
    const script = locateScript(url);
    if (script) return [script.group, `${name} ${script.file}`];
  }
  const leaf = frames[0] ?? '';
  if (frames.some((frame) => frame.includes('JS:'))) return ['node (its own JavaScript)', leaf];
  if (leaf.includes('[kernel')) return ['kernel', leaf];
  return ['native (V8, libuv, Node C++)', leaf];
}

function add(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

let stack: string[] = [];
const endSample = (): void => {
  if (stack.length === 0) return;
  const [group, where] = charge(stack);
  samples++;
  add(counts.groups, group);
  add(counts.functions, where.slice(0, 100));
  stack = [];
};
for (const line of readFileSync(0, 'utf8').split('\n')) {
  if (line.trim() === '' || /^\S/.test(line)) endSample();
  else stack.push(line.trim().replace(/^[0-9a-f]+ /, ''));
}
endSample();

const top = (map: Map<string, number>, rows: number): string =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([key, count]) => `${((100 * count) / samples).toFixed(1).padStart(5)} %  ${key}`)
    .join('\n');
process.stdout.write(
  `samples: ${samples}\n--- by group\n${top(counts.groups, 25)}\n--- by function\n${top(counts.functions, 30)}\n`,
);
