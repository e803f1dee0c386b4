import { CreatePreviewResponse } from './dto/create-preview.response';

/** What a create-preview request ends in, ready for the controller to answer with. */
export interface CreatePreviewOutcome {
  status: number;
  body: CreatePreviewResponse;
  /** The answer is a stored one, replayed for a repeated Idempotency-Key (`Idempotent-Replayed`). */
  replayed: boolean;
}

export function created(body: CreatePreviewResponse): CreatePreviewOutcome {
  return { status: 201, body, replayed: false };
}

export function replayed(status: number, body: CreatePreviewResponse): CreatePreviewOutcome {
  return { status, body, replayed: true };
}

/** An identical create without a key inside the dedupe window: the first project's body, flagged. */
export function deduplicated(first: CreatePreviewResponse): CreatePreviewOutcome {
  return { status: 200, body: { ...first, deduplicated: true }, replayed: false };
}
