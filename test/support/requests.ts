import { randomUUID } from 'node:crypto';

/** A valid create-preview body for a fresh user, with any field overridden. */
export function createBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { userId: randomUUID(), prompt: 'A todo app with dark mode', ...overrides };
}

export const CREATE_PATH = '/v1/create-preview-for-new-project';
