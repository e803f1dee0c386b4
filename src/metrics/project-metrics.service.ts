import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { counter, histogram } from './metrics-registry';

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
export class ProjectMetricsService {
  private readonly created: Counter<'id_source'>;
  private readonly deduplicated: Counter;
  private readonly replayed: Counter;
  private readonly createSeconds: Histogram<'outcome'>;
  private readonly updatesStarted: Counter;
  private readonly updatesReplayed: Counter;

  constructor(registry: Registry) {
    const replayedHelp = 'answered with the stored response of their Idempotency-Key.';
    this.created = counter(
      registry,
      'sheen_projects_created_total',
      'Projects created (201), by who chose the project id.',
      ['id_source'],
    );
    this.deduplicated = counter(
      registry,
      'sheen_project_creates_deduplicated_total',
      'Creates without an Idempotency-Key answered with the first identical create of the dedupe window.',
    );
    this.replayed = counter(registry, 'sheen_project_creates_replayed_total', `Creates ${replayedHelp}`);
    this.createSeconds = histogram(
      registry,
      'sheen_project_create_duration_seconds',
      'Time to answer a create request, from the controller to the committed answer, by outcome.',
      CREATE_SECONDS_BUCKETS,
      ['outcome'],
    );
    this.updatesStarted = counter(
      registry,
      'sheen_project_updates_started_total',
      'Updates that queued a new build (202).',
    );
    this.updatesReplayed = counter(registry, 'sheen_project_updates_replayed_total', `Updates ${replayedHelp}`);
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
