/** What a request that may be replayed (a create, an update, a grant) ends in, ready for the controller to answer with. */
export interface RequestOutcome<Body> {
  status: number;
  body: Body;
  /** The answer is a stored one, replayed for a repeated Idempotency-Key (`Idempotent-Replayed`). */
  replayed: boolean;
}

export function created<Body>(body: Body, status: number): RequestOutcome<Body> {
  return { status, body, replayed: false };
}

export function replayed<Body>(status: number, body: Body): RequestOutcome<Body> {
  return { status, body, replayed: true };
}
