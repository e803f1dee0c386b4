import { Logger } from '@nestjs/common';

/**
 * Runs one repair of a janitor round. One repair failing (a user's lock busy, a folder in use) does
 * not stop the others: it is logged, and the next round tries again.
 */
export async function tryRepair(logger: Logger, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    logger.warn(`janitor could not ${what}: ${(error as Error).message}`);
  }
}
