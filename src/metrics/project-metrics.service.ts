import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';

/** How a create request ended, as its latency is labelled. */
type CreateOutcome = 'created' | 'deduplicated' | 'replayed' | 'error';

/** The parts of a create's answer its metrics read (structurally, the previews' RequestOutcome). */
export interface CreateAnswer {
  replayed: boolean;
  body: { idSource: 'server' | 'client'; deduplicated?: boolean };
}

/** From 1 ms up, with 2.5 s and 5 s for the tail where lock and pool waits give up. */
const CREATE_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Counts the requests that create or update projects, and how long a create takes. */
@Injectable()
export class ProjectMetrics {
  private readonly created: Counter<'id_source'>;
  private readonly deduplicated: Counter;
  private readonly replayed: Counter;
  private readonly createSeconds: Histogram<'outcome'>;
  private readonly updatesStarted: Counter;
  private readonly updatesReplayed: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.created = new Counter({
      name: 'sheen_projects_created_total',
      help: 'Projects created (201), by who chose the project id.',
      labelNames: ['id_source'],
      registers,
    });
    this.deduplicated = new Counter({
      name: 'sheen_project_creates_deduplicated_total',
      help: 'Creates without an Idempotency-Key answered with the first identical create of the dedupe window.',
      registers,
    });
    this.replayed = new Counter({
      name: 'sheen_project_creates_replayed_total',
      help: 'Creates answered with the stored response of their Idempotency-Key.',
      registers,
    });
    this.createSeconds = new Histogram({
      name: 'sheen_project_create_duration_seconds',
      help: 'Time to answer a create request, from the controller to the committed answer, by outcome.',
      labelNames: ['outcome'],
      buckets: CREATE_SECONDS_BUCKETS,
      registers,
    });
    this.updatesStarted = new Counter({
      name: 'sheen_project_updates_started_total',
      help: 'Updates that queued a new build (202).',
      registers,
    });
    this.updatesReplayed = new Counter({
      name: 'sheen_project_updates_replayed_total',
      help: 'Updates answered with the stored response of their Idempotency-Key.',
      registers,
    });
  }

  /** Runs a create, counting what it answered and timing it (also when it fails). */
  async observeCreate<Answer extends CreateAnswer>(create: () => Promise<Answer>): Promise<Answer> {
    const stopTimer = this.createSeconds.startTimer();
    let outcome: CreateOutcome = 'error';
    try {
      const answer = await create();
      outcome = this.countCreate(answer);
      return answer;
    } finally {
      stopTimer({ outcome });
    }
  }

  /** Runs an update, counting the builds it queued and its replays. */
  async observeUpdate<Answer extends { replayed: boolean }>(update: () => Promise<Answer>): Promise<Answer> {
    const answer = await update();
    (answer.replayed ? this.updatesReplayed : this.updatesStarted).inc();
    return answer;
  }

  private countCreate({ replayed, body }: CreateAnswer): CreateOutcome {
    if (replayed) {
      this.replayed.inc();
      return 'replayed';
    }
    if (body.deduplicated) {
      this.deduplicated.inc();
      return 'deduplicated';
    }
    this.created.inc({ id_source: body.idSource });
    return 'created';
  }
}
