/**
 * The database this process talks to, once resolved: DATABASE_URL, or the embedded server that
 * was started because it was unset. Injected wherever a second pool is needed (the build queue).
 */
export class DatabaseConnection {
  constructor(readonly url: string) {}
}
