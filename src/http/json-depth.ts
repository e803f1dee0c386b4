import { RequestValidationError } from '../errors/request-validation.error';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x7b, 0x5b]); // { [
const CLOSERS = new Set([0x7d, 0x5d]); // } ]

/**
 * Whether the JSON text nests objects and arrays deeper than `maxDepth`, found in one pass over its
 * bytes without parsing it (brackets inside strings do not count). Malformed text is left to the
 * parser to refuse.
 */
export function jsonNestsDeeperThan(json: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < json.length; index++) {
    const byte = json[index];
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (OPENERS.has(byte)) {
      if (++depth > maxDepth) return true;
    } else if (CLOSERS.has(byte)) {
      depth--;
    }
  }
  return false;
}

/** A body nested deeper than MAX_JSON_DEPTH: a 400 about the body as a whole. */
export class JsonTooDeepError extends RequestValidationError {
  constructor(maxDepth: number) {
    super([{ field: '', message: `the JSON body nests deeper than ${maxDepth} levels` }]);
  }
}
